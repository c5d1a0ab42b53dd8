//! What of the configuration clients see: the body of `status.json` (`lib/api/status.js`), sent
//! by REST and in the socket `dataUpdate.status`. Never a secret.

use serde_json::{Value, json};

use super::Config;
use crate::domain::time::{now_ms, to_iso_utc};

/// The Nightscout version we are wire-compatible with; clients compare against it.
pub const NIGHTSCOUT_VERSION: &str = "15.0.7";
/// `settings.DEFAULT_FEATURES` (`lib/settings.js`).
const DEFAULT_FEATURES: [&str; 13] = [
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
    "careportal",
];

/// `versionNum` (`lib/server/websocket.js`): 10000 major + 100 minor + patch, 150007 for 15.0.7.
pub fn version_num(v: &str) -> u64 {
    let mut parts = v.split('.').map(|p| p.parse::<u64>().unwrap_or(0));
    let mut next = || parts.next().unwrap_or(0);
    10_000 * next() + 100 * next() + next()
}

/// Variables whose raw value `status.json` settings show, by env name (the rest come from `Config`).
pub(super) const PASSTHROUGH: [&str; 39] = [
    "ALARM_URGENT_HIGH",
    "ALARM_HIGH",
    "ALARM_LOW",
    "ALARM_URGENT_LOW",
    "ALARM_TIMEAGO_WARN",
    "ALARM_TIMEAGO_WARN_MINS",
    "ALARM_TIMEAGO_URGENT",
    "ALARM_TIMEAGO_URGENT_MINS",
    "NIGHT_MODE",
    "EDIT_MODE",
    "SHOW_RAWBG",
    "SHOW_PLUGINS",
    "SHOW_FORECAST",
    "SCALE_Y",
    "FOCUS_HOURS",
    "DAY_START",
    "DAY_END",
    "AUTHENTICATION_PROMPT_ON_LOAD",
    "SECURE_CSP",
    "DE_NORMALIZE_DATES",
    "SHOW_CLOCK_DELTA",
    "SHOW_CLOCK_LAST_TIME",
    "ADMIN_NOTIFIES_ENABLED",
    "FRAME_URL1",
    "FRAME_URL2",
    "FRAME_URL3",
    "FRAME_URL4",
    "FRAME_URL5",
    "FRAME_URL6",
    "FRAME_URL7",
    "FRAME_URL8",
    "FRAME_NAME1",
    "FRAME_NAME2",
    "FRAME_NAME3",
    "FRAME_NAME4",
    "FRAME_NAME5",
    "FRAME_NAME6",
    "FRAME_NAME7",
    "FRAME_NAME8",
];

/// The features enabled, in `lib/settings.js`' order: `ENABLE`, then `treatmentnotify` when
/// `ENABLE` names `careportal`, `pushover` or `maker`, the defaults not named yet, the alarm plugin.
pub fn enabled_features(c: &Config) -> Vec<String> {
    let mut out = c.enable.clone();
    if out.iter().any(|e| matches!(e.as_str(), "careportal" | "pushover" | "maker")) {
        out.push("treatmentnotify".into());
    }
    for f in DEFAULT_FEATURES {
        if !c.enable.iter().any(|e| e == f) {
            out.push(f.into());
        }
    }
    out.push(if c.alarm_types.contains("simple") { "simplealarms".into() } else { "ar2".into() });
    // `DISABLE` takes features out last (`_.difference(enable, disable)`).
    out.retain(|e| !c.disable.contains(e));
    out
}

/// The socket's `dataUpdate.status` (`websocket.js` `status()`): status.json's facts with
/// `versionNum`, and `activeProfile` when a Profile Switch names one.
pub fn socket_status(c: &Config, backend: &str, active_profile: Option<String>) -> Value {
    let mut v = status_json(c, backend);
    if let Some(o) = v.as_object_mut() {
        o.remove("authorized");
        o.remove("runtimeState");
        if let Some(p) = active_profile {
            o.insert("activeProfile".into(), p.into());
        }
    }
    v
}

/// `careportalEnabled` (`lib/api/status.js`): the API is on (Nightscout's needs `API_SECRET`;
/// without it Ferroscout refuses every write, so nothing could be entered) and `careportal` is
/// enabled (a default feature, unless `DISABLE` names it).
pub fn careportal_enabled(c: &Config, enabled: &[String]) -> bool {
    c.api_secret.is_some() && enabled.iter().any(|e| e == "careportal")
}

/// `status.json`: server facts and settings, never secrets.
pub fn status_json(c: &Config, backend: &str) -> Value {
    let now = now_ms();
    let enable = enabled_features(c);
    json!({
        "status": "ok",
        "name": "nightscout",
        "version": NIGHTSCOUT_VERSION,
        "versionNum": version_num(NIGHTSCOUT_VERSION),
        "server": {"name": "ferroscout", "version": env!("CARGO_PKG_VERSION"), "storage": backend},
        "serverTime": to_iso_utc(now),
        "serverTimeEpoch": now,
        "apiEnabled": true,
        "careportalEnabled": careportal_enabled(c, &enable),
        "boluscalcEnabled": enable.iter().any(|e| e == "boluscalc"),
        "settings": settings(c, enable.clone()),
        "extendedSettings": c.plugins.extended(&enable),
        "authorized": null,
        "runtimeState": "loaded",
    })
}

/// `settings.filteredSettings()`: every key of `lib/settings.js` in its order, secrets left out.
fn settings(c: &Config, enable: Vec<String>) -> Value {
    let raw = |k: &str, d: &str| c.raw.get(k).cloned().unwrap_or_else(|| d.to_owned());
    // A setting read from the environment is its text, except where `lib/settings.js` maps it:
    // `mapTruthy` makes on/true/off/false booleans (other text stays text).
    let on = |k: &str, d: bool| match c.raw.get(k) {
        None => Value::Bool(d),
        Some(v) => match v.to_ascii_lowercase().as_str() {
            "on" | "true" => Value::Bool(true),
            "off" | "false" => Value::Bool(false),
            _ => Value::String(v.clone()),
        },
    };
    let text_or = |k: &str, d: Value| c.raw.get(k).map_or(d, |v| Value::String(v.clone()));
    let mut show_plugins = format!("{} delta direction upbat", raw("SHOW_PLUGINS", "dbsize"));
    if matches!(raw("SHOW_RAWBG", "never").as_str(), "always" | "noise") {
        show_plugins.push_str(" rawbg");
    }
    let t = &c.thresholds;
    let mut s = json!({
        "units": c.units.as_str(),
        "timeFormat": c.time_format,
        "dayStart": text_or("DAY_START", json!(7)),
        "dayEnd": text_or("DAY_END", json!(21)),
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
        "alarmTimeagoWarnMins": text_or("ALARM_TIMEAGO_WARN_MINS", json!(15)),
        "alarmTimeagoUrgent": on("ALARM_TIMEAGO_URGENT", true),
        "alarmTimeagoUrgentMins": text_or("ALARM_TIMEAGO_URGENT_MINS", json!(30)),
        "alarmPumpBatteryLow": false,
        "language": c.language,
        "scaleY": raw("SCALE_Y", "log"),
        "showPlugins": show_plugins,
        "showForecast": raw("SHOW_FORECAST", "ar2"),
        "focusHours": text_or("FOCUS_HOURS", json!(3)),
        "heartbeat": 60,
        "baseURL": c.base_url,
        "authDefaultRoles": c.auth_default_roles.join(" "),
        "thresholds": {
            "bgHigh": t.bg_high, "bgTargetTop": t.bg_target_top,
            "bgTargetBottom": t.bg_target_bottom, "bgLow": t.bg_low
        },
        "insecureUseHttp": c.insecure_use_http,
        "secureHstsHeader": c.hsts.enabled,
        "secureHstsHeaderIncludeSubdomains": c.hsts.include_subdomains,
        "secureHstsHeaderPreload": c.hsts.preload,
        "secureCsp": on("SECURE_CSP", false),
        "deNormalizeDates": on("DE_NORMALIZE_DATES", false),
        "showClockDelta": on("SHOW_CLOCK_DELTA", false),
        "showClockLastTime": on("SHOW_CLOCK_LAST_TIME", false),
    });
    let Value::Object(m) = &mut s else { return s };
    for kind in ["URL", "NAME"] {
        for i in 1..=8 {
            let key = if kind == "URL" { format!("frameUrl{i}") } else { format!("frameName{i}") };
            m.insert(key, Value::String(raw(&format!("FRAME_{kind}{i}"), "")));
        }
    }
    m.insert("authFailDelay".into(), json!(c.auth_fail_delay.as_millis() as u64));
    m.insert("adminNotifiesEnabled".into(), on("ADMIN_NOTIFIES_ENABLED", true));
    m.insert("authenticationPromptOnLoad".into(), on("AUTHENTICATION_PROMPT_ON_LOAD", false));
    m.insert("DEFAULT_FEATURES".into(), json!(DEFAULT_FEATURES));
    m.insert("alarmTypes".into(), json!([if c.alarm_types.contains("simple") { "simple" } else { "predict" }]));
    m.insert("enable".into(), json!(enable));
    s
}
