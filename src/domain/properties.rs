//! The non-glucose plugin properties followers read from `/api/v2/properties`:
//! `upbat` (`lib/plugins/upbat.js`) and `dbsize` (`lib/plugins/dbsize.js`).

use serde_json::{Map, Value, json};

use super::Doc;
use super::documents::time_of;
use super::filter::Val;
use super::query::parse_int_js;
use super::treatments::{js_number, json_number};

const UPBAT_WARN: f64 = 30.0;
const UPBAT_URGENT: f64 = 20.0;
const DBSIZE_WARN_PERCENT: f64 = 60.0;
const DBSIZE_URGENT_PERCENT: f64 = 75.0;

/// The uploader battery of a devicestatus: `uploader.battery`, or xDrip+'s `uploaderBattery`.
pub fn uploader_battery(doc: &Doc) -> Option<f64> {
    let v = doc.get("uploader").and_then(|u| u.get("battery")).or_else(|| doc.get("uploaderBattery"))?;
    match v {
        Value::String(s) => match parse_int_js(s) {
            Val::Int(n) => Some(n as f64),
            _ => None,
        },
        Value::Null => None,
        other => js_number(other).map(f64::trunc),
    }
}

fn uploader_status(battery: f64) -> Value {
    let level = match battery {
        b if b >= 95.0 => 100,
        b if b >= 55.0 => 75,
        b if b >= 30.0 => 50,
        _ => 25,
    };
    let status = match battery {
        b if b <= UPBAT_URGENT => Value::from("urgent"),
        b if b <= UPBAT_WARN => Value::from("warn"),
        _ => Value::Null,
    };
    json!({"battery": json_number(battery), "display": format!("{}%", json_number(battery)), "level": level,
        "status": status})
}

/// `upbat`: per uploading device its newest battery, and the lowest of them. `statuses` are
/// the recent devicestatus documents (Nightscout looks at the last 30 minutes).
pub fn upbat(statuses: &[Doc]) -> Value {
    let mut devices = Map::new();
    let mut newest: Vec<(String, i64, f64)> = Vec::new();
    for s in statuses {
        let Some(battery) = uploader_battery(s).filter(|b| *b >= 0.0) else { continue };
        let mills = time_of(s.get("created_at")).map_or(0, |t| t.epoch_ms);
        let uri = s.get("device").and_then(Value::as_str).unwrap_or("uploader").to_owned();
        match newest.iter_mut().find(|(u, _, _)| *u == uri) {
            Some(slot) if slot.1 < mills => *slot = (uri, mills, battery),
            Some(_) => {}
            None => newest.push((uri, mills, battery)),
        }
    }
    for (uri, mills, battery) in &newest {
        let name = uri.split("://").nth(1).unwrap_or(uri);
        devices.insert(uri.clone(), json!({"name": name, "uploader": uploader_status(*battery), "createdAt": mills}));
    }
    let Some(min) = newest.iter().min_by(|a, b| a.2.total_cmp(&b.2)) else {
        return json!({"display": "?%", "devices": {}});
    };
    let up = uploader_status(min.2);
    json!({"level": up["level"], "display": up["display"], "status": up["status"], "devices": devices,
        "min": devices.get(&min.0)})
}

/// `dbsize`: data plus index size against `DBSIZE_MAX` (MiB).
pub fn dbsize(data_bytes: u64, index_bytes: u64, max_mib: f64) -> Value {
    let total_mib = (data_bytes + index_bytes) as f64 / (1024.0 * 1024.0);
    let percent = (total_mib * 100.0 / max_mib).floor();
    let (status, level) = if percent >= DBSIZE_URGENT_PERCENT {
        ("urgent", 2)
    } else if percent >= DBSIZE_WARN_PERCENT {
        ("warn", 1)
    } else {
        ("current", 0)
    };
    json!({"display": format!("{}%", json_number(percent)), "status": status, "notificationLevel": level,
        "totalDataSize": json_number(total_mib), "dataPercentage": json_number(percent),
        "details": {"maxSize": json_number(max_mib), "dataSize": data_bytes, "indexSize": index_bytes,
            "dataPercentage": json_number(percent)}})
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
        assert_eq!(u["display"], "25%");
        assert_eq!(u["status"], "warn");
        assert_eq!(u["level"], 25);
        assert_eq!(u["devices"]["loop://iPhone"]["uploader"]["battery"], 64);
        assert_eq!(u["devices"]["loop://iPhone"]["name"], "iPhone");
        assert_eq!(u["min"]["name"], "xDrip-DexcomG6");
        assert_eq!(upbat(&[])["display"], "?%");
    }

    #[test]
    fn dbsize_is_a_percentage_of_the_maximum() {
        let d = dbsize(300 * 1024 * 1024, 20 * 1024 * 1024, 496.0);
        assert_eq!(d["dataPercentage"], 64);
        assert_eq!(d["status"], "warn");
        assert_eq!(d["display"], "64%");
        assert_eq!(dbsize(0, 0, 496.0)["status"], "current");
        assert_eq!(dbsize(400 * 1024 * 1024, 0, 496.0)["status"], "urgent");
    }
}
