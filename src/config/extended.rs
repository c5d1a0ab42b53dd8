//! Plugin settings from `<PLUGIN>_<SETTING>` variables (`lib/server/env.js`
//! `findExtendedSettings`): `PUMP_FIELDS=reservoir battery` becomes `pump.fields`. Nightscout
//! scans the whole environment; we read the variables its client plugins document, so tests
//! and `Config::from_lookup` see the same thing.

use serde_json::{Map, Value};

use super::Env;

/// The client plugins with settings, and the settings each reads.
const PLUGIN_SETTINGS: [(&str, &[&str]); 9] = [
    (
        "pump",
        &[
            "FIELDS",
            "RETRO_FIELDS",
            "ENABLE_ALERTS",
            "WARN_CLOCK",
            "URGENT_CLOCK",
            "WARN_RES",
            "URGENT_RES",
            "WARN_BATT_P",
            "URGENT_BATT_P",
            "WARN_BATT_V",
            "URGENT_BATT_V",
            "WARN_ON_SUSPEND",
            "WARN_BATT_QUIET_NIGHT",
        ],
    ),
    ("cage", &["ENABLE_ALERTS", "INFO", "WARN", "URGENT", "DISPLAY"]),
    ("sage", &["ENABLE_ALERTS", "INFO", "WARN", "URGENT"]),
    ("iage", &["ENABLE_ALERTS", "INFO", "WARN", "URGENT"]),
    ("bage", &["ENABLE_ALERTS", "DISPLAY", "INFO", "WARN", "URGENT"]),
    (
        "openaps",
        &[
            "ENABLE_ALERTS",
            "WARN",
            "URGENT",
            "FIELDS",
            "RETRO_FIELDS",
            "PRED_IOB_COLOR",
            "PRED_COB_COLOR",
            "PRED_ACOB_COLOR",
            "PRED_ZT_COLOR",
            "PRED_UAM_COLOR",
            "COLOR_PREDICTION_LINES",
        ],
    ),
    ("loop", &["ENABLE_ALERTS", "WARN", "URGENT"]),
    ("bwp", &["WARN", "URGENT", "SNOOZE_MINS", "SNOOZE"]),
    ("devicestatus", &["ADVANCED", "DAYS"]),
];

/// lodash `camelCase` of a lowercase `a_b_c`: `aBC`.
fn camel(key: &str) -> String {
    let mut out = String::new();
    for (i, word) in key.to_ascii_lowercase().split('_').filter(|w| !w.is_empty()).enumerate() {
        let mut chars = word.chars();
        if i > 0
            && let Some(first) = chars.next()
        {
            out.push(first.to_ascii_uppercase());
            out.extend(chars);
        } else {
            out.push_str(word);
        }
    }
    out
}

/// A value as Nightscout coerces it: numbers, `on/true`, `off/false`, else the text.
fn coerce(v: &str) -> Value {
    if let Ok(n) = v.parse::<f64>()
        && n.is_finite()
    {
        return serde_json::Number::from_f64(n)
            .map(|num| if n.fract() == 0.0 && n.abs() < 1e15 { Value::from(n as i64) } else { Value::Number(num) })
            .unwrap_or(Value::Null);
    }
    match v.to_ascii_lowercase().as_str() {
        "on" | "true" => Value::Bool(true),
        "off" | "false" => Value::Bool(false),
        _ => Value::String(v.to_owned()),
    }
}

/// Every plugin's settings that are set, by plugin name; `devicestatus` always has
/// `{advanced: true, days: 1}` underneath.
pub fn read(env: &Env) -> Map<String, Value> {
    let mut out = Map::new();
    for (plugin, keys) in PLUGIN_SETTINGS {
        let mut block = Map::new();
        if plugin == "devicestatus" {
            block.insert("advanced".into(), Value::Bool(true));
            block.insert("days".into(), Value::from(1));
        }
        for key in keys {
            if let Some(v) = env.get(&format!("{}_{key}", plugin.to_ascii_uppercase())) {
                block.insert(camel(key), coerce(&v));
            }
        }
        if !block.is_empty() {
            out.insert(plugin.into(), Value::Object(block));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_camel_cased_and_values_coerced() {
        assert_eq!(camel("WARN_BATT_P"), "warnBattP");
        assert_eq!(camel("ENABLE_ALERTS"), "enableAlerts");
        assert_eq!(coerce("30"), Value::from(30));
        assert_eq!(coerce("1.5"), serde_json::json!(1.5));
        assert_eq!(coerce("On"), Value::Bool(true));
        assert_eq!(coerce("reservoir battery"), Value::from("reservoir battery"));
    }
}
