//! `rawbg` (`lib/plugins/rawbg.js`): the raw sensor value of the newest sgv from its
//! `filtered`/`unfiltered` counts and the newest calibration.

use serde_json::{Value, json};

use super::{Context, Doc, Inputs};
use crate::domain::glucose::{self, Units};

fn parse_int(v: Option<&Value>) -> f64 {
    match v {
        Some(Value::Number(n)) => n.as_f64().map_or(0.0, f64::trunc),
        Some(Value::String(s)) => {
            let digits: String = s
                .trim()
                .chars()
                .enumerate()
                .take_while(|(i, c)| c.is_ascii_digit() || (*i == 0 && *c == '-'))
                .map(|(_, c)| c)
                .collect();
            digits.parse().unwrap_or(0.0)
        }
        _ => 0.0,
    }
}

fn parse_float(v: Option<&Value>) -> f64 {
    v.and_then(crate::domain::js::js_number).unwrap_or(0.0)
}

/// `rawbg.calc`: `unsmoothed` (default) scales the unfiltered value by the sgv/filtered ratio.
pub fn calc(sgv: &Doc, mgdl: f64, cal: &Doc, display: &str) -> f64 {
    let unfiltered = parse_int(sgv.get("unfiltered"));
    let filtered = parse_int(sgv.get("filtered"));
    let (scale, intercept, slope) =
        (parse_float(cal.get("scale")), parse_float(cal.get("intercept")), parse_float(cal.get("slope")));
    let raw = if slope == 0.0 || unfiltered == 0.0 || scale == 0.0 {
        0.0
    } else if filtered == 0.0 || mgdl < 40.0 || display == "unfiltered" {
        scale * (unfiltered - intercept) / slope
    } else if display == "filtered" {
        scale * (filtered - intercept) / slope
    } else {
        let ratio = scale * (filtered - intercept) / slope / mgdl;
        scale * (unfiltered - intercept) / slope / ratio
    };
    crate::domain::js::js_round(raw)
}

/// `noiseCodeToDisplay`.
pub fn noise_label(mgdl: f64, noise: Option<&Value>) -> &'static str {
    match noise.map(|n| parse_int(Some(n)) as i64).filter(|_| noise.is_some_and(|n| !n.is_null())) {
        Some(0) => "---",
        Some(1) => "Clean",
        Some(2) => "Light",
        Some(3) => "Medium",
        Some(4) => "Heavy",
        _ if mgdl < 40.0 => "Heavy",
        _ => "~~~",
    }
}

/// `{mgdl, noiseLabel, sgv, cal, displayLine}` for the newest sgv and calibration, else `{}`.
pub fn property(inp: &Inputs, cx: &Context) -> Value {
    let (Some(r), Some(cal)) = (inp.readings.first(), inp.cals.last()) else { return json!({}) };
    let Some(doc) = inp.last_sgv.as_ref() else { return json!({}) };
    let mgdl = calc(doc, r.mgdl, cal, &cx.settings.rawbg_display);
    let label = noise_label(r.mgdl, doc.get("noise"));
    let unit = if cx.units == Units::Mmol { "mmol/L" } else { "mg/dl" };
    let scaled = glucose::js_str(glucose::scale(mgdl, cx.units));
    let mut sgv = json!({"_id": r.id, "mgdl": super::num(r.mgdl), "mills": r.mills, "device": r.device,
        "direction": r.direction, "type": "sgv"});
    for k in ["filtered", "unfiltered", "noise", "rssi"] {
        if let Some(v) = doc.get(k) {
            sgv[k] = v.clone();
        }
    }
    json!({"mgdl": super::num(mgdl), "noiseLabel": label, "sgv": sgv, "cal": cal,
        "displayLine": format!("Raw BG: {scaled} {unit} {label}")})
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    fn doc(v: serde_json::Value) -> crate::domain::Doc {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn unsmoothed_raw_is_scaled_by_the_sgv_to_filtered_ratio() {
        let cal = doc(json!({"scale": 1, "intercept": 25717.82377004309, "slope": 766.895601715918}));
        let sgv = doc(json!({"unfiltered": 113680, "filtered": 111232, "noise": 1}));
        // ratio = (111232-25717.8)/766.9/100 = 1.11507; raw = (113680-25717.8)/766.9/1.11507 = 102.86
        assert_eq!(super::calc(&sgv, 100.0, &cal, "unsmoothed"), 103.0);
        assert_eq!(super::calc(&sgv, 100.0, &cal, "unfiltered"), 115.0);
        assert_eq!(super::calc(&sgv, 100.0, &cal, "filtered"), 112.0);
        assert_eq!(super::calc(&doc(json!({})), 100.0, &cal, "unsmoothed"), 0.0);
        assert_eq!(super::noise_label(100.0, Some(&json!(1))), "Clean");
        assert_eq!(super::noise_label(35.0, None), "Heavy");
        assert_eq!(super::noise_label(100.0, None), "~~~");
    }
}
