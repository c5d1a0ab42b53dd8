//! The plugins' settings (Nightscout's `extendedSettings`, `lib/server/env.js`): `<PLUGIN>_<KEY>`
//! variables such as `PUMP_WARN_RES` or `CAGE_ENABLE_ALERTS`, with each plugin's defaults. As in
//! Nightscout, a number that is 0 or does not parse falls back to the default (`x || default`).

use super::Env;
use crate::domain::plugins::Context;
pub use crate::domain::plugins::settings::{AgePrefs, BwpPrefs, LoopPrefs, PluginSettings, PumpPrefs, UpbatPrefs};

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

impl<'a> Context<'a> {
    /// The plugins' context from the configuration; `enabled` as `status.json` lists the features.
    pub fn from_config(c: &'a super::Config, enabled: &'a [String]) -> Context<'a> {
        let on = |k: &str| !matches!(c.raw.get(k).map(|v| v.to_ascii_lowercase()).as_deref(), Some("off" | "false"));
        Context {
            units: c.units,
            thresholds: c.thresholds,
            settings: &c.plugins,
            enabled,
            alarm_high: on("ALARM_HIGH"),
            alarm_low: on("ALARM_LOW"),
            show_rawbg: c.raw.get("SHOW_RAWBG").cloned().unwrap_or_else(|| "never".into()),
            tr: crate::domain::i18n::Tr::new(&c.language),
        }
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
