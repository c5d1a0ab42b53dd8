//! Nightscout's runtime ("ddata") forms of stored documents, as the socket sends them
//! (`lib/data/dataloader.js`, spec sections 3.1-3.4). Pure functions.

use serde_json::{Map, Value, json};

use crate::domain::glucose::num as number;
use crate::domain::js::js_number;
use crate::domain::time::field_ms;
use crate::domain::{Collection, Doc};

/// Which array of the socket payload an entry belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    Sgv,
    Mbg,
    Cal,
}

impl EntryKind {
    /// A document with `mbg` is an mbg even if it also has `sgv`; `type: cal` is a calibration.
    pub fn of(doc: &Doc) -> Option<EntryKind> {
        if doc.contains_key("mbg") {
            Some(EntryKind::Mbg)
        } else if doc.contains_key("sgv") {
            Some(EntryKind::Sgv)
        } else if doc.get("type").and_then(Value::as_str) == Some("cal") {
            Some(EntryKind::Cal)
        } else {
            None
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            EntryKind::Sgv => "sgvs",
            EntryKind::Mbg => "mbgs",
            EntryKind::Cal => "cals",
        }
    }
}

/// The runtime form of an entry of `kind`.
pub fn entry(doc: &Doc, kind: EntryKind) -> Doc {
    let mut out = Map::new();
    let copy = |out: &mut Doc, k: &str| {
        if let Some(v) = doc.get(k) {
            out.insert(k.to_owned(), v.clone());
        }
    };
    copy(&mut out, "_id");
    let mills = Collection::Entries.time_ms(doc);
    match kind {
        EntryKind::Sgv | EntryKind::Mbg => {
            let field = if kind == EntryKind::Sgv { "sgv" } else { "mbg" };
            out.insert("mgdl".into(), doc.get(field).and_then(js_number).map_or(Value::Null, number));
            out.insert("mills".into(), mills.map_or(Value::Null, Value::from));
            copy(&mut out, "device");
            if kind == EntryKind::Sgv {
                for k in ["direction", "filtered", "unfiltered", "noise", "rssi"] {
                    copy(&mut out, k);
                }
            }
        }
        EntryKind::Cal => {
            out.insert("mills".into(), mills.map_or(Value::Null, Value::from));
            for k in ["scale", "intercept", "slope"] {
                copy(&mut out, k);
            }
        }
    }
    let t = match kind {
        EntryKind::Sgv => "sgv",
        EntryKind::Mbg => "mbg",
        EntryKind::Cal => "cal",
    };
    out.insert("type".into(), Value::String(t.into()));
    out
}

/// The runtime form of a treatment: `mills`, `endmills`, `duration` from
/// `durationInMilliseconds`, `absolute` from `amount`.
pub fn treatment(doc: &Doc) -> Doc {
    let mut out = doc.clone();
    let mills = field_ms(doc, "created_at");
    out.insert("mills".into(), mills.map_or(Value::Null, Value::from));
    if !out.contains_key("duration")
        && let Some(ms) = doc.get("durationInMilliseconds").and_then(js_number)
    {
        out.insert("duration".into(), number(ms / 60_000.0));
    }
    if let (Some(m), Some(d)) = (mills, out.get("duration").and_then(js_number)) {
        out.insert("endmills".into(), Value::from(m + (d * 60_000.0) as i64));
    }
    if !out.contains_key("absolute")
        && let Some(a) = doc.get("amount")
    {
        out.insert("absolute".into(), a.clone());
    }
    out
}

/// The runtime form of a devicestatus: `mills`, and `uploaderBattery` as `uploader.battery`.
pub fn devicestatus(doc: &Doc) -> Doc {
    let mut out = doc.clone();
    out.insert("mills".into(), field_ms(doc, "created_at").map_or(Value::Null, Value::from));
    if let Some(b) = out.remove("uploaderBattery") {
        out.insert("uploader".into(), json!({"battery": b}));
    }
    out
}

/// The runtime form of a profile: `mills` from `startDate`, store names with `@@@@@` removed.
pub fn profile(doc: &Doc) -> Doc {
    let mut out = doc.clone();
    if let Some(Value::Object(store)) = out.get_mut("store") {
        store.retain(|k, _| !k.contains("@@@@@"));
    }
    if let Some(m) = field_ms(doc, "startDate") {
        out.insert("mills".into(), Value::from(m));
    }
    out
}

/// Devicestatus kinds Nightscout keeps the newest 10 of, per device (`ddata.js`).
pub const DEVICESTATUS_KINDS: [&str; 5] = ["uploader", "pump", "openaps", "loop", "xdripjs"];

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(v: Value) -> Doc {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn sgv_entries_take_the_runtime_form() {
        let d = doc(json!({"_id": "a", "sgv": "199", "date": 1405791855000i64, "device": "dexcom",
            "direction": "Flat", "noise": 1, "sysTime": "x", "type": "sgv"}));
        assert_eq!(EntryKind::of(&d), Some(EntryKind::Sgv));
        assert_eq!(
            json!(entry(&d, EntryKind::Sgv)),
            json!({"_id": "a", "mgdl": 199, "mills": 1405791855000i64, "device": "dexcom",
                "direction": "Flat", "noise": 1, "type": "sgv"})
        );
    }

    #[test]
    fn mbg_wins_over_sgv_and_cal_is_by_type() {
        assert_eq!(EntryKind::of(&doc(json!({"mbg": 100, "sgv": 90}))), Some(EntryKind::Mbg));
        assert_eq!(EntryKind::of(&doc(json!({"type": "cal", "slope": 1}))), Some(EntryKind::Cal));
        assert_eq!(EntryKind::of(&doc(json!({"type": "sensor"}))), None);
    }

    #[test]
    fn treatments_get_mills_and_endmills() {
        let t = treatment(&doc(json!({"created_at": "2024-01-01T00:00:00.000Z", "eventType": "Temp Basal",
            "durationInMilliseconds": 1800000, "amount": 0.5})));
        assert_eq!(t["mills"], 1704067200000i64);
        assert_eq!(t["duration"], 30);
        assert_eq!(t["endmills"], 1704067200000i64 + 1_800_000);
        assert_eq!(t["absolute"], 0.5);
    }

    #[test]
    fn uploader_battery_moves_and_secret_profiles_are_hidden() {
        let d = devicestatus(&doc(json!({"created_at": "2024-01-01T00:00:00Z", "uploaderBattery": 55})));
        assert_eq!(d["uploader"], json!({"battery": 55}));
        assert!(d.get("uploaderBattery").is_none());
        let p = profile(&doc(json!({"startDate": "2024-01-01T00:00:00Z", "store": {"A": {}, "B@@@@@x": {}}})));
        assert_eq!(p["store"], json!({"A": {}}));
    }
}
