//! `pump` (`lib/plugins/pump.js`): the newest pump status of the last `2 × PUMP_URGENT_CLOCK`
//! minutes (by the pump's clock) with its reservoir, battery, clock and status levels.

use chrono::{TimeZone, Timelike};
use serde_json::{Map, Value, json};

use super::notify::{URGENT, WARN, format_ago};
use super::settings::{PluginSettings, PumpPrefs};
use super::{Inputs, iso, num, openaps};

/// JavaScript `toPrecision(3)` for a reservoir (`125`, `12.5`, `2.00`).
fn precision3(x: f64) -> String {
    if x == 0.0 {
        return "0.00".into();
    }
    let digits = (2 - x.abs().log10().floor() as i32).max(0);
    if x.abs() >= 1000.0 {
        let m = 10f64.powi(x.abs().log10().floor() as i32 - 2);
        return crate::domain::glucose::js_str((x / m).round() * m);
    }
    super::fixed(x, digits)
}

fn level_of(field: &Value) -> i64 {
    field.get("level").and_then(Value::as_i64).unwrap_or(-3)
}

/// `prepareData`: the `data` part of the property, with the overall `level`, `title` and
/// `message` the notification uses.
pub fn prepare(status: &Map<String, Value>, prefs: &PumpPrefs, s: &PluginSettings, inp: &Inputs) -> Value {
    let empty = Map::new();
    let pump = status.get("pump").and_then(Value::as_object).unwrap_or(&empty);
    let now = inp.now;
    let mut r = Map::new();
    r.insert("level".into(), (-3).into());
    let clock = pump.get("clock").and_then(|v| super::millis(pump, "clock").map(|m| (m, v.clone())));
    r.insert(
        "clock".into(),
        match clock {
            Some((m, _)) => {
                let (level, message) = if (now - m) as f64 > prefs.urgent_clock * 60_000.0 {
                    (URGENT, Some("URGENT: Pump data stale"))
                } else if (now - m) as f64 > prefs.warn_clock * 60_000.0 {
                    (WARN, Some("Warning, Pump data stale"))
                } else {
                    (-3, None)
                };
                let mut c =
                    json!({"value": iso(m), "label": "Last Clock", "display": format_ago(m, now), "level": level});
                if let Some(msg) = message {
                    c["message"] = msg.into();
                }
                c
            }
            None => Value::Null,
        },
    );
    let reservoir = pump.get("reservoir").and_then(super::js_number).filter(|_| !pump["reservoir"].is_null());
    let mut res = match reservoir {
        Some(v) => {
            let (level, message) = if v < prefs.urgent_res {
                (URGENT, Some("URGENT: Pump Reservoir Low"))
            } else if v < prefs.warn_res {
                (WARN, Some("Warning, Pump Reservoir Low"))
            } else {
                (-3, None)
            };
            let mut x = json!({"value": num(v), "label": "Reservoir", "display": format!("{}U", precision3(v)), "level": level});
            if let Some(m) = message {
                x["message"] = m.into();
            }
            x
        }
        None if pump.get("manufacturer").and_then(Value::as_str) == Some("Insulet") => {
            json!({"label": "Reservoir", "display": "50+ U"})
        }
        None => Value::Null,
    };
    let display_override = pump.get("reservoir_display_override").filter(|v| truthy(v)).cloned();
    let level_override = pump.get("reservoir_level_override").filter(|v| truthy(v)).cloned();
    if res.is_object() {
        if let Some(d) = &display_override {
            res["display"] = d.clone();
        }
        if let Some(l) = &level_override {
            res["level"] = l.clone();
        }
    }
    r.insert("reservoir".into(), res);
    r.insert("reservoir_display_override".into(), display_override.unwrap_or(Value::Null));
    r.insert("reservoir_level_override".into(), level_override.unwrap_or(Value::Null));
    for k in ["manufacturer", "model"] {
        if let Some(v) = pump.get(k) {
            r.insert(k.into(), v.clone());
        }
    }
    r.insert("extended".into(), pump.get("extended").filter(|v| truthy(v)).cloned().unwrap_or(Value::Null));
    if let Some(st) = pump.get("status").filter(|v| truthy(v)) {
        let mut text = st.get("status").and_then(Value::as_str).unwrap_or("normal").to_owned();
        let mut field = Map::new();
        if st.get("bolusing").is_some_and(truthy) {
            text = "bolusing".into();
        } else if st.get("suspended").is_some_and(truthy) {
            text = "suspended".into();
            if prefs.warn_on_suspend {
                field.insert("level".into(), WARN.into());
                field.insert("message".into(), "Pump Suspended".into());
            }
        }
        field.insert("value".into(), text.clone().into());
        field.insert("display".into(), text.into());
        field.insert("label".into(), "Status".into());
        r.insert("status".into(), Value::Object(field));
    }
    let battery_warn = !(prefs.warn_batt_quiet_night && quiet_night(inp, s));
    let battery = pump.get("battery");
    let pct = battery.and_then(|b| b.get("percent")).and_then(super::js_number).filter(|x| *x != 0.0);
    let volts = battery.and_then(|b| b.get("voltage")).and_then(super::js_number).filter(|x| *x != 0.0);
    let batt = match (pct, volts) {
        (Some(p), _) => Some((p, "percent", "%", prefs.urgent_batt_p, prefs.warn_batt_p)),
        (None, Some(v)) => Some((v, "volts", "v", prefs.urgent_batt_v, prefs.warn_batt_v)),
        _ => None,
    };
    if let Some((v, unit, suffix, urgent, warn)) = batt {
        let (level, message) = if v < urgent && battery_warn {
            (URGENT, Some("URGENT: Pump Battery Low"))
        } else if v < warn && battery_warn {
            (WARN, Some("Warning, Pump Battery Low"))
        } else {
            (-3, None)
        };
        let display = format!("{}{suffix}", crate::domain::glucose::js_str(v));
        let mut b = json!({"value": num(v), "unit": unit, "label": "Battery", "display": display, "level": level});
        if let Some(m) = message {
            b["message"] = m.into();
        }
        r.insert("battery".into(), b);
    }
    r.insert("device".into(), json!({"label": "Device", "display": status.get("device")}));
    r.insert("title".into(), "Pump Status".into());
    let mut level = -3;
    if openaps::offline_marker(inp).is_none() {
        for k in ["reservoir", "battery", "clock", "status", "device"] {
            if let Some(f) = r.get(k)
                && level_of(f) > level
            {
                level = level_of(f);
                let msg = f.get("message").cloned().unwrap_or(Value::Null);
                r.insert("title".into(), msg);
            }
        }
    }
    r.insert("level".into(), level.into());
    if level > -3 {
        let mut lines = Vec::new();
        if let Some(b) = r.get("battery") {
            lines.push(format!("Pump Battery: {}", b["display"].as_str().unwrap_or_default()));
        }
        if let Some(x) = r.get("reservoir").filter(|x| x.is_object()) {
            lines.push(format!("Pump Reservoir: {}", x["display"].as_str().unwrap_or_default()));
        }
        r.insert("message".into(), lines.join("\n").into());
    }
    Value::Object(r)
}

/// Outside `DAY_START`..`DAY_END` in the profile's time zone (needs one, as Nightscout does).
fn quiet_night(inp: &Inputs, s: &PluginSettings) -> bool {
    let Some(tz) = inp.profile.as_ref().and_then(|p| p.timezone(inp.now)).and_then(|z| z.parse::<chrono_tz::Tz>().ok())
    else {
        return false;
    };
    let Some(t) = tz.timestamp_millis_opt(inp.now).single() else { return false };
    let hour = f64::from(t.hour()) + f64::from(t.minute()) / 60.0 + f64::from(t.second()) / 3600.0;
    hour < s.day_start || hour > s.day_end
}

fn truthy(v: &Value) -> bool {
    !matches!(v, Value::Null | Value::Bool(false)) && v != &json!(0) && v != &json!("")
}

/// The property: the newest devicestatus with `pump` (by `pump.clock`), plus `clockMills` and
/// `data`; `{data: ..}` alone when there is none.
pub fn property(inp: &Inputs, prefs: &PumpPrefs, s: &PluginSettings) -> Value {
    let recent = inp.now - (prefs.urgent_clock * 2.0 * 60_000.0) as i64;
    let mut best: Option<(i64, &super::Status)> = None;
    for s in inp.devicestatus.iter().filter(|d| d.doc.contains_key("pump")) {
        let (d, m) = (s.doc, s.mills);
        if m > inp.now || m < recent {
            continue;
        }
        let clock = d.get("pump").and_then(Value::as_object).and_then(|p| super::millis(p, "clock")).unwrap_or(m);
        if best.is_none_or(|(c, _)| clock > c) {
            best = Some((clock, s));
        }
    }
    let mut out = best.map(|(c, d)| {
        let mut o = d.runtime();
        o.insert("clockMills".into(), c.into());
        o
    });
    let status = out.clone().unwrap_or_default();
    let data = prepare(&status, prefs, s, inp);
    let o = out.get_or_insert_with(Map::new);
    o.insert("data".into(), data);
    Value::Object(o.clone())
}

#[cfg(test)]
#[path = "pump_tests.rs"]
mod tests;
