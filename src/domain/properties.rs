//! The non-glucose plugin properties followers read from `/api/v2/properties`:
//! `upbat` (`lib/plugins/upbat.js`) and `dbsize` (`lib/plugins/dbsize.js`).

use serde_json::{Map, Value, json};

use super::Doc;
use super::documents::time_of;
use super::filter::Val;
use super::js::{js_number, json_number};
use super::query::parse_int_js;

const UPBAT_WARN: f64 = 30.0;
const UPBAT_URGENT: f64 = 20.0;
const DBSIZE_WARN_PERCENT: f64 = 60.0;
const DBSIZE_URGENT_PERCENT: f64 = 75.0;

/// The uploader battery of a devicestatus: `uploaderBattery` where present (Nightscout's data
/// loader replaces `uploader` by `{battery: uploaderBattery}`), else `uploader.battery`.
pub fn uploader_battery(doc: &Doc) -> Option<f64> {
    let v = doc.get("uploaderBattery").or_else(|| doc.get("uploader").and_then(|u| u.get("battery")))?;
    match v {
        Value::String(s) => match parse_int_js(s) {
            Val::Int(n) => Some(n as f64),
            _ => None,
        },
        Value::Null => None,
        other => js_number(other).map(f64::trunc),
    }
}

/// `analyzeStatus`: the uploader part of one devicestatus with `display`, `level` (icon
/// bucket) and `notification` (1 warn, 2 urgent).
fn uploader_status(doc: &Doc, warn: f64, urgent: f64) -> Option<(Option<f64>, Value)> {
    let mut up = doc.get("uploader").and_then(Value::as_object).cloned().unwrap_or_default();
    let battery = uploader_battery(doc).filter(|b| *b != 0.0);
    let voltage = up.get("batteryVoltage").and_then(js_number).filter(|v| *v != 0.0);
    let voltage = voltage.map(|v| if v > 1000.0 { v / 1000.0 } else { v });
    if battery.is_none() && voltage.is_none() {
        return None;
    }
    let voltage_display = voltage.map(|v| format!("{v:.3}v"));
    up.insert("value".into(), json_number(battery.or(voltage).unwrap_or_default()));
    if let Some(b) = battery {
        up.insert("battery".into(), json_number(b));
    }
    if let (Some(v), Some(d)) = (voltage, &voltage_display) {
        up.insert("voltage".into(), json_number(v));
        up.insert("voltageDisplay".into(), Value::String(d.clone()));
    }
    let display = match battery {
        Some(b) => format!("{}%", json_number(b)),
        None => voltage_display.unwrap_or_default(),
    };
    up.insert("display".into(), Value::String(display));
    let b = battery.unwrap_or(f64::NAN);
    let level = if b >= 95.0 {
        100
    } else if b >= 55.0 {
        75
    } else if b >= 30.0 {
        50
    } else {
        25
    };
    up.insert("level".into(), level.into());
    if b <= urgent {
        up.insert("notification".into(), 2.into());
    } else if b <= warn {
        up.insert("notification".into(), 1.into());
    }
    Some((battery, Value::Object(up)))
}

/// `levels.toStatusClass`.
fn status_class(notification: Option<&Value>) -> &'static str {
    match notification.and_then(Value::as_i64) {
        Some(2) => "urgent",
        Some(1) => "warn",
        _ => "current",
    }
}

/// `upbat`: per uploading device its statuses and the lowest battery of its last 10 minutes,
/// and the lowest of those. `statuses` are the devicestatus documents of the last 30 minutes.
pub fn upbat<D: std::borrow::Borrow<Doc>>(statuses: &[D]) -> Value {
    upbat_with(statuses, UPBAT_WARN, UPBAT_URGENT)
}

/// `upbat` with the `UPBAT_WARN` / `UPBAT_URGENT` percentages.
pub fn upbat_with<D: std::borrow::Borrow<Doc>>(statuses: &[D], warn: f64, urgent: f64) -> Value {
    struct Device {
        uri: String,
        statuses: Vec<(i64, Option<f64>, Value, Value)>,
    }
    let mut devices: Vec<Device> = Vec::new();
    for s in statuses {
        let s: &Doc = s.borrow();
        if !s.contains_key("uploader") && !s.contains_key("uploaderBattery") {
            continue;
        }
        let mills = time_of(s.get("created_at")).map_or(0, |t| t.epoch_ms);
        let uri = s.get("device").and_then(Value::as_str).unwrap_or("uploader").to_owned();
        let (battery, up) =
            uploader_status(s, warn, urgent).unwrap_or((None, s.get("uploader").cloned().unwrap_or(json!({}))));
        let picked = json!({"uploader": up, "created_at": s.get("created_at"), "mills": mills, "_id": s.get("_id")});
        let entry = (mills, battery, up, picked);
        match devices.iter_mut().find(|d| d.uri == uri) {
            Some(d) => d.statuses.push(entry),
            None => devices.push(Device { uri, statuses: vec![entry] }),
        }
    }
    let mut out_devices = Map::new();
    let mut lowest: Option<(f64, Value)> = None;
    for mut d in devices {
        d.statuses.sort_by_key(|s| std::cmp::Reverse(s.0));
        let recent = d.statuses.first().map_or(0, |s| s.0) - 10 * 60_000;
        let min = d
            .statuses
            .iter()
            .filter(|s| s.0 > recent)
            .filter_map(|s| s.1.map(|b| (b, s.2.clone())))
            .min_by(|a, b| a.0.total_cmp(&b.0));
        let name = d.uri.strip_prefix("openaps://").unwrap_or(&d.uri).to_owned();
        let statuses: Vec<Value> = d.statuses.iter().map(|s| s.3.clone()).collect();
        let mut device = json!({"name": name, "uri": d.uri, "statuses": statuses});
        if let Some((b, up)) = min {
            device["min"] = up.clone();
            if lowest.as_ref().is_none_or(|l| b < l.0) {
                lowest = Some((b, up));
            }
        }
        out_devices.insert(d.uri.clone(), device);
    }
    match lowest {
        Some((_, up)) => json!({"level": up["level"], "display": up["display"],
            "status": status_class(up.get("notification")), "devices": out_devices, "min": up}),
        None => json!({"display": "?%", "devices": out_devices}),
    }
}

/// `dbsize`: data plus index size (MiB) against `DBSIZE_MAX` (MiB); warn at 60 %, urgent at 75 %.
pub fn dbsize(data_bytes: u64, index_bytes: u64, max_mib: f64) -> Value {
    let total_mib = (data_bytes + index_bytes) as f64 / (1024.0 * 1024.0);
    let percent = (total_mib * 100.0 / max_mib).floor();
    let level = if total_mib >= (DBSIZE_URGENT_PERCENT / 100.0 * max_mib).floor() {
        2
    } else if total_mib >= (DBSIZE_WARN_PERCENT / 100.0 * max_mib).floor() {
        1
    } else {
        0
    };
    let round2 = |x: f64| (x * 100.0).round() / 100.0;
    json!({"display": format!("{}%", json_number(percent)), "status": status_class(Some(&json!(level))),
        "notificationLevel": level, "totalDataSize": json_number(total_mib), "dataPercentage": json_number(percent),
        "details": {"maxSize": json_number(round2(max_mib)), "dataSize": json_number(round2(total_mib))}})
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(v: Value) -> Doc {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn upbat_takes_each_devices_newest_battery_and_reports_the_lowest() {
        let s = [
            doc(json!({"device": "loop://iPhone", "created_at": "2024-01-01T10:05:00Z", "uploader": {"battery": 64}})),
            doc(json!({"device": "loop://iPhone", "created_at": "2024-01-01T10:00:00Z", "uploader": {"battery": 10}})),
            doc(json!({"device": "xDrip-DexcomG6", "created_at": "2024-01-01T10:01:00Z", "uploaderBattery": "25%"})),
            doc(json!({"device": "openaps://rig", "created_at": "2024-01-01T10:02:00Z", "pump": {}})),
        ];
        let u = upbat(&s);
        assert_eq!(u["display"], "10%", "the iPhone's lowest within 10 minutes of its newest");
        assert_eq!(u["status"], "urgent");
        assert_eq!(u["level"], 25);
        assert_eq!(u["devices"]["loop://iPhone"]["min"]["battery"], 10);
        assert_eq!(u["devices"]["loop://iPhone"]["statuses"][0]["uploader"]["battery"], 64, "newest first");
        assert_eq!(u["devices"]["xDrip-DexcomG6"]["min"]["display"], "25%");
        assert_eq!(u["devices"]["xDrip-DexcomG6"]["min"]["notification"], 1);
        assert!(u["devices"].get("openaps://rig").is_none(), "no uploader, no device");
        assert_eq!(upbat::<Doc>(&[])["display"], "?%");
        let rig = doc(json!({"device": "openaps://rig", "created_at": "2024-01-01T10:00:00Z",
            "uploader": {"batteryVoltage": 3950}}));
        let u = upbat(&[rig]);
        assert_eq!(u["devices"]["openaps://rig"]["name"], "rig");
        assert_eq!(u["devices"]["openaps://rig"]["statuses"][0]["uploader"]["display"], "3.950v");
    }

    #[test]
    fn dbsize_is_a_percentage_of_the_maximum() {
        let d = dbsize(300 * 1024 * 1024, 20 * 1024 * 1024, 496.0);
        assert_eq!(d["dataPercentage"], 64);
        assert_eq!(d["status"], "warn");
        assert_eq!(d["display"], "64%");
        assert_eq!(d["details"], json!({"maxSize": 496, "dataSize": 320}));
        assert_eq!(dbsize(0, 0, 496.0)["status"], "current");
        assert_eq!(dbsize(400 * 1024 * 1024, 0, 496.0)["status"], "urgent");
    }
}
