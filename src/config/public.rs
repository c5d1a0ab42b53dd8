//! What of the configuration clients see: the body of `status.json` (`lib/api/status.js`), sent
//! by REST and in the socket `dataUpdate.status`. Never a secret.

use serde_json::{Value, json};

use super::Config;
use crate::domain::time::{now_ms, to_iso_utc};

/// The Nightscout version we are wire-compatible with; clients compare against it.
pub const NIGHTSCOUT_VERSION: &str = "15.0.7";
const DEFAULT_FEATURES: [&str; 12] = [
    "bgnow",
    "delta",
    "direction",
    "timeago",
    "devicestatus",
    "upbat",
    "errorcodes",
    "profile",
    "bolus",
    "dbsize",
    "runtimestate",
    "basal",
];

/// `versionNum` (`lib/server/websocket.js`): 10000 major + 100 minor + patch, 150007 for 15.0.7.
pub fn version_num(v: &str) -> u64 {
    let mut parts = v.split('.').map(|p| p.parse::<u64>().unwrap_or(0));
    let mut next = || parts.next().unwrap_or(0);
    10_000 * next() + 100 * next() + next()
}

/// The features enabled: Nightscout's defaults, the alarm plugin, `ENABLE`.
pub fn enabled_features(c: &Config) -> Vec<String> {
    let mut out: Vec<String> = DEFAULT_FEATURES.iter().map(|s| s.to_string()).collect();
    out.push("careportal".into());
    out.push(if c.alarm_types.contains("simple") { "simplealarms".into() } else { "ar2".into() });
    out.push("treatmentnotify".into());
    for e in &c.enable {
        if !out.contains(e) {
            out.push(e.clone());
        }
    }
    out
}

/// `status.json`: server facts and settings, never secrets.
pub fn status_json(c: &Config, backend: &str) -> Value {
    let now = now_ms();
    let enable = enabled_features(c);
    let raw = |k: &str, d: &str| c.raw.get(k).cloned().unwrap_or_else(|| d.to_owned());
    let on = |k: &str, d: bool| match raw(k, "").to_ascii_lowercase().as_str() {
        "on" | "true" => true,
        "off" | "false" => false,
        _ => d,
    };
    let num = |k: &str, d: f64| raw(k, "").parse::<f64>().unwrap_or(d);
    let t = &c.thresholds;
    json!({
        "status": "ok",
        "name": "nightscout",
        "version": NIGHTSCOUT_VERSION,
        "versionNum": version_num(NIGHTSCOUT_VERSION),
        "server": {"name": "ferroscout", "version": env!("CARGO_PKG_VERSION"), "storage": backend},
        "serverTime": to_iso_utc(now),
        "serverTimeEpoch": now,
        "apiEnabled": true,
        "careportalEnabled": enable.iter().any(|e| e == "careportal"),
        "boluscalcEnabled": enable.iter().any(|e| e == "boluscalc"),
        "settings": {
            "units": c.units.as_str(),
            "timeFormat": c.time_format,
            "dayStart": num("DAY_START", 7.0),
            "dayEnd": num("DAY_END", 21.0),
            "nightMode": on("NIGHT_MODE", false),
            "editMode": on("EDIT_MODE", true),
            "showRawbg": raw("SHOW_RAWBG", "never"),
            "customTitle": c.custom_title,
            "theme": c.theme,
            "alarmUrgentHigh": on("ALARM_URGENT_HIGH", true),
            "alarmUrgentHighMins": [30, 60, 90, 120],
            "alarmHigh": on("ALARM_HIGH", true),
            "alarmHighMins": [30, 60, 90, 120],
            "alarmLow": on("ALARM_LOW", true),
            "alarmLowMins": [15, 30, 45, 60],
            "alarmUrgentLow": on("ALARM_URGENT_LOW", true),
            "alarmUrgentLowMins": [15, 30, 45],
            "alarmUrgentMins": [30, 60, 90, 120],
            "alarmWarnMins": [30, 60, 90, 120],
            "alarmTimeagoWarn": on("ALARM_TIMEAGO_WARN", true),
            "alarmTimeagoWarnMins": num("ALARM_TIMEAGO_WARN_MINS", 15.0),
            "alarmTimeagoUrgent": on("ALARM_TIMEAGO_URGENT", true),
            "alarmTimeagoUrgentMins": num("ALARM_TIMEAGO_URGENT_MINS", 30.0),
            "alarmPumpBatteryLow": false,
            "language": c.language,
            "scaleY": raw("SCALE_Y", "log"),
            "showPlugins": format!("{} delta direction upbat", raw("SHOW_PLUGINS", "dbsize")),
            "showForecast": raw("SHOW_FORECAST", "ar2"),
            "focusHours": num("FOCUS_HOURS", 3.0),
            "heartbeat": 60,
            "baseURL": c.base_url,
            "authDefaultRoles": c.auth_default_roles.join(" "),
            "thresholds": {
                "bgHigh": t.bg_high, "bgTargetTop": t.bg_target_top,
                "bgTargetBottom": t.bg_target_bottom, "bgLow": t.bg_low
            },
            "DEFAULT_FEATURES": DEFAULT_FEATURES,
            "alarmTypes": [if c.alarm_types.contains("simple") { "simple" } else { "predict" }],
            "enable": enable,
            "authenticationPromptOnLoad": on("AUTHENTICATION_PROMPT_ON_LOAD", false),
        },
        "extendedSettings": c.plugins.extended(&enable),
        "authorized": null,
        "runtimeState": "loaded",
    })
}
