//! Glucose units and the BG thresholds (`lib/settings.js`, `lib/constants.json`).

/// mg/dL per mmol/L (`lib/constants.json` MMOL_TO_MGDL since 2025).
pub const MMOL_TO_MGDL: f64 = 18.01559;
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Units {
    MgDl,
    Mmol,
}

impl Units {
    pub fn as_str(self) -> &'static str {
        match self {
            Units::MgDl => "mg/dl",
            Units::Mmol => "mmol",
        }
    }
}

/// BG thresholds, always in mg/dL.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Thresholds {
    pub bg_high: f64,
    pub bg_target_top: f64,
    pub bg_target_bottom: f64,
    pub bg_low: f64,
}

/// Nightscout's threshold rules (`lib/settings.js`): values are in display units; with mmol and
/// `BG_HIGH < 50` all four are converted to mg/dL; then they are forced consistent.
pub fn thresholds(units: Units, high: f64, top: f64, bottom: f64, low: f64) -> Thresholds {
    let (mut high, mut top, mut bottom, mut low) = (high, top, bottom, low);
    if units == Units::Mmol && high < 50.0 {
        let c = super::glucose::mmol_to_mgdl;
        (high, top, bottom, low) = (c(high), c(top), c(bottom), c(low));
    }
    if bottom >= top {
        bottom = top - 1.0;
    }
    if low >= bottom {
        low = bottom - 1.0;
    }
    if high <= top {
        high = top + 1.0;
    }
    Thresholds { bg_high: high, bg_target_top: top, bg_target_bottom: bottom, bg_low: low }
}
