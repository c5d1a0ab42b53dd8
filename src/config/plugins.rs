//! The plugins' settings (Nightscout's `extendedSettings`, `lib/server/env.js`): `<PLUGIN>_<KEY>`
//! variables such as `PUMP_WARN_RES` or `CAGE_ENABLE_ALERTS`, with each plugin's defaults. As in
//! Nightscout, a number that is 0 or does not parse falls back to the default (`x || default`).

use super::Env;

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

impl Default for PluginSettings {
    fn default() -> PluginSettings {
        PluginSettings::from_lookup(&|_| None)
    }
}

impl PluginSettings {
    /// Reads the settings through `lookup` (tests pass a map).
    pub fn from_lookup(lookup: &dyn Fn(&str) -> Option<String>) -> PluginSettings {
        PluginSettings::from_env(&Env::new(lookup))
    }

    pub fn from_env(env: &Env) -> PluginSettings {
        let num = |name: &str, default: f64| {
            env.get(name).and_then(|v| v.parse::<f64>().ok()).filter(|x| *x != 0.0 && x.is_finite()).unwrap_or(default)
        };
        let flag = |name: &str| env.flag(name, false);
        let looping = |p: &str| LoopPrefs {
            warn: num(&format!("{p}_WARN"), 30.0),
            urgent: num(&format!("{p}_URGENT"), 60.0),
            enable_alerts: flag(&format!("{p}_ENABLE_ALERTS")),
        };
        let age = |p: &str, info: f64, warn: f64, urgent: f64, days: bool| AgePrefs {
            info: num(&format!("{p}_INFO"), info),
            warn: num(&format!("{p}_WARN"), warn),
            urgent: num(&format!("{p}_URGENT"), urgent),
            display_days: env.get(&format!("{p}_DISPLAY")).map_or(days, |d| d == "days"),
            enable_alerts: flag(&format!("{p}_ENABLE_ALERTS")),
        };
        PluginSettings {
            loop_: looping("LOOP"),
            openaps: looping("OPENAPS"),
            pump: PumpPrefs {
                warn_clock: num("PUMP_WARN_CLOCK", 30.0),
                urgent_clock: num("PUMP_URGENT_CLOCK", 60.0),
                warn_res: num("PUMP_WARN_RES", 10.0),
                urgent_res: num("PUMP_URGENT_RES", 5.0),
                warn_batt_v: num("PUMP_WARN_BATT_V", 1.35),
                urgent_batt_v: num("PUMP_URGENT_BATT_V", 1.3),
                warn_batt_p: num("PUMP_WARN_BATT_P", 30.0),
                urgent_batt_p: num("PUMP_URGENT_BATT_P", 20.0),
                warn_on_suspend: flag("PUMP_WARN_ON_SUSPEND"),
                enable_alerts: flag("PUMP_ENABLE_ALERTS"),
                warn_batt_quiet_night: flag("PUMP_WARN_BATT_QUIET_NIGHT"),
            },
            // Sensor age: 6 days, 7 days less 4 hours, 7 days less 2 hours (`sensorage.js`).
            cage: age("CAGE", 44.0, 48.0, 72.0, false),
            sage: age("SAGE", 144.0, 164.0, 166.0, true),
            iage: age("IAGE", 44.0, 48.0, 72.0, true),
            bage: age("BAGE", 312.0, 336.0, 360.0, true),
            upbat: UpbatPrefs {
                warn: num("UPBAT_WARN", 30.0),
                urgent: num("UPBAT_URGENT", 20.0),
                enable_alerts: flag("UPBAT_ENABLE_ALERTS"),
            },
            bwp: BwpPrefs { warn: num("BWP_WARN", 0.5), urgent: num("BWP_URGENT", 1.0) },
            ar2_cone_factor: env
                .get("AR2_CONE_FACTOR")
                .and_then(|v| v.parse::<f64>().ok())
                .filter(|x| *x >= 0.0)
                .unwrap_or(2.0),
            rawbg_display: env.get("RAWBG_DISPLAY").unwrap_or_else(|| "unsmoothed".into()),
            day_start: env.get("DAY_START").and_then(|v| v.parse().ok()).unwrap_or(7.0),
            day_end: env.get("DAY_END").and_then(|v| v.parse().ok()).unwrap_or(21.0),
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_nightscouts_and_env_names_override_them() {
        let d = PluginSettings::default();
        assert_eq!(
            (d.pump.warn_res, d.pump.urgent_res, d.pump.warn_batt_v, d.pump.urgent_batt_p),
            (10.0, 5.0, 1.35, 20.0)
        );
        assert_eq!((d.sage.info, d.sage.warn, d.sage.urgent), (144.0, 164.0, 166.0));
        assert_eq!((d.bage.info, d.bage.urgent), (312.0, 360.0));
        assert!(!d.cage.display_days && d.bage.display_days);
        assert!(!d.loop_.enable_alerts);
        let vars = [("PUMP_WARN_RES", "20"), ("CAGE_ENABLE_ALERTS", "true"), ("LOOP_URGENT", "0"), ("SAGE_WARN", "x")];
        let s = PluginSettings::from_lookup(&|k| vars.iter().find(|(n, _)| *n == k).map(|(_, v)| v.to_string()));
        assert_eq!(s.pump.warn_res, 20.0);
        assert!(s.cage.enable_alerts);
        assert_eq!(s.loop_.urgent, 60.0, "0 falls back to the default, as `||` does");
        assert_eq!(s.sage.warn, 164.0);
        let ext = s.extended(&["pump".to_string(), "cage".to_string()]);
        assert_eq!(ext["pump"]["warnRes"], 20.0);
        assert_eq!(ext["cage"]["enableAlerts"], true);
        assert_eq!(ext["devicestatus"]["days"], 1);
        assert!(ext.get("sage").is_none());
    }
}
