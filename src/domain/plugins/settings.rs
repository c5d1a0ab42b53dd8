//! The plugins' settings (Nightscout's `extendedSettings`): each plugin's thresholds and
//! switches, read from `<PLUGIN>_<KEY>` variables by `config::plugins`.

/// `LOOP_*` and `OPENAPS_*`: minutes since the last loop.
#[derive(Debug, Clone, PartialEq)]
pub struct LoopPrefs {
    pub warn: f64,
    pub urgent: f64,
    pub enable_alerts: bool,
}

/// `PUMP_*` (`lib/plugins/pump.js` `getPrefs`).
#[derive(Debug, Clone, PartialEq)]
pub struct PumpPrefs {
    pub warn_clock: f64,
    pub urgent_clock: f64,
    pub warn_res: f64,
    pub urgent_res: f64,
    pub warn_batt_v: f64,
    pub urgent_batt_v: f64,
    pub warn_batt_p: f64,
    pub urgent_batt_p: f64,
    pub warn_on_suspend: bool,
    pub enable_alerts: bool,
    pub warn_batt_quiet_night: bool,
}

/// `CAGE_*`, `SAGE_*`, `IAGE_*`, `BAGE_*`: hours since the change.
#[derive(Debug, Clone, PartialEq)]
pub struct AgePrefs {
    pub info: f64,
    pub warn: f64,
    pub urgent: f64,
    /// `hours` ("50h") or `days` ("2d2h").
    pub display_days: bool,
    pub enable_alerts: bool,
}

/// `UPBAT_*`: uploader battery percent.
#[derive(Debug, Clone, PartialEq)]
pub struct UpbatPrefs {
    pub warn: f64,
    pub urgent: f64,
    pub enable_alerts: bool,
}

/// `BWP_*`: bolus wizard preview units.
#[derive(Debug, Clone, PartialEq)]
pub struct BwpPrefs {
    pub warn: f64,
    pub urgent: f64,
}

/// Every plugin's settings.
#[derive(Debug, Clone, PartialEq)]
pub struct PluginSettings {
    pub loop_: LoopPrefs,
    pub openaps: LoopPrefs,
    pub pump: PumpPrefs,
    pub cage: AgePrefs,
    pub sage: AgePrefs,
    pub iage: AgePrefs,
    pub bage: AgePrefs,
    pub upbat: UpbatPrefs,
    pub bwp: BwpPrefs,
    /// `AR2_CONE_FACTOR` (2): the width of the forecast cone.
    pub ar2_cone_factor: f64,
    /// `RAWBG_DISPLAY`: `unsmoothed` (default), `filtered` or `unfiltered`.
    pub rawbg_display: String,
    /// `DAY_START` / `DAY_END` (7, 21): hours, for `PUMP_WARN_BATT_QUIET_NIGHT`.
    pub day_start: f64,
    pub day_end: f64,
}

impl PluginSettings {
    /// `extendedSettings` as `status.json` and the socket's `status` carry them, for the
    /// enabled plugins (Nightscout sends the variables set; these are the values in force).
    pub fn extended(&self, enabled: &[String]) -> serde_json::Value {
        use serde_json::json;
        let on = |p: &str| enabled.iter().any(|e| e == p);
        let looping = |p: &LoopPrefs| json!({"warn": p.warn, "urgent": p.urgent, "enableAlerts": p.enable_alerts});
        let age = |p: &AgePrefs| {
            json!({"info": p.info, "warn": p.warn, "urgent": p.urgent,
                "display": if p.display_days { "days" } else { "hours" }, "enableAlerts": p.enable_alerts})
        };
        let p = &self.pump;
        let mut out = serde_json::Map::new();
        out.insert("devicestatus".into(), json!({"advanced": true, "days": 1}));
        let blocks = [
            (
                "pump",
                json!({"warnClock": p.warn_clock, "urgentClock": p.urgent_clock, "warnRes": p.warn_res,
                "urgentRes": p.urgent_res, "warnBattV": p.warn_batt_v, "urgentBattV": p.urgent_batt_v,
                "warnBattP": p.warn_batt_p, "urgentBattP": p.urgent_batt_p, "warnOnSuspend": p.warn_on_suspend,
                "enableAlerts": p.enable_alerts, "warnBattQuietNight": p.warn_batt_quiet_night}),
            ),
            ("loop", looping(&self.loop_)),
            ("openaps", looping(&self.openaps)),
            ("cage", age(&self.cage)),
            ("sage", age(&self.sage)),
            ("iage", age(&self.iage)),
            ("bage", age(&self.bage)),
            (
                "upbat",
                json!({"warn": self.upbat.warn, "urgent": self.upbat.urgent, "enableAlerts": self.upbat.enable_alerts}),
            ),
        ];
        for (name, block) in blocks {
            if on(name) {
                out.insert(name.into(), block);
            }
        }
        serde_json::Value::Object(out)
    }
}
