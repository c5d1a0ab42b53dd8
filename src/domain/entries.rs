//! Entries (`lib/server/entries.js`): normalisation on POST, the dedup key, text rows.

use serde_json::Value;

use super::Doc;
use super::filter::{Filter, Val, is_object_id};
use super::time::{ZonedTime, parse_zoned, to_iso_utc};

/// The time a document stands for: `dateString` (keeping its offset), else `date` (epoch ms).
fn entry_time(doc: &Doc) -> Option<ZonedTime> {
    if let Some(t) = doc.get("dateString").and_then(Value::as_str).and_then(parse_zoned) {
        return Some(t);
    }
    let ms = match doc.get("date")? {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().filter(|x| x.is_finite()).map(|x| x as i64)),
        Value::String(s) => s.trim().parse::<f64>().ok().filter(|x| x.is_finite()).map(|x| x as i64),
        _ => None,
    }?;
    Some(ZonedTime { epoch_ms: ms, offset_minutes: 0 })
}

/// Normalises one uploaded entry as Nightscout's `create` does:
/// a non-ObjectId string `_id` (e.g. a UUID) moves to `identifier`; `utcOffset` and `sysTime`
/// are computed from `dateString` or `date` (else now); `dateString` is rewritten in UTC.
/// Beyond Nightscout, a missing `date` is filled from `dateString`, so the reading is not
/// invisible to every date query.
pub fn normalize(doc: &mut Doc, uuid_handling: bool, now_ms: i64) {
    match doc.get("_id") {
        Some(Value::String(id)) if is_object_id(id) => {}
        Some(Value::String(id)) => {
            let id = id.clone();
            doc.remove("_id");
            if uuid_handling && !doc.contains_key("identifier") && !id.is_empty() {
                doc.insert("identifier".into(), Value::String(id));
            }
        }
        Some(_) => {
            doc.remove("_id");
        }
        None => {}
    }
    let t = entry_time(doc).unwrap_or(ZonedTime { epoch_ms: now_ms, offset_minutes: 0 });
    let iso = to_iso_utc(t.epoch_ms).unwrap_or_default();
    doc.insert("utcOffset".into(), t.offset_minutes.into());
    if doc.contains_key("dateString") {
        doc.insert("dateString".into(), Value::String(iso.clone()));
    }
    doc.insert("sysTime".into(), Value::String(iso));
    if !doc.contains_key("date") {
        doc.insert("date".into(), t.epoch_ms.into());
    }
}

/// Nightscout's upsert key: `{sysTime, type}`; without a type, the whole document.
pub fn dedup_filter(doc: &Doc) -> Filter {
    match (doc.get("sysTime"), doc.get("type")) {
        (Some(Value::String(s)), Some(t)) => {
            Filter::eq("sysTime", Val::Str(s.clone())).and(Filter::eq("type", Val::from_json(t)))
        }
        _ => Filter::And(
            doc.iter().filter(|(k, _)| *k != "_id").map(|(k, v)| Filter::eq(k.clone(), Val::from_json(v))).collect(),
        ),
    }
}

/// One text row: `dateString, date, sgv, direction, device`, each JSON-encoded
/// (missing or null fields empty), joined by `sep`.
pub fn text_row(doc: &Doc, sep: char) -> String {
    let mut row = String::with_capacity(96);
    for (i, field) in ["dateString", "date", "sgv", "direction", "device"].iter().enumerate() {
        if i > 0 {
            row.push(sep);
        }
        match doc.get(*field) {
            None | Some(Value::Null) => {}
            Some(v) => row.push_str(&v.to_string()),
        }
    }
    row
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn doc(v: Value) -> Doc {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn dexcom_style_entry_is_normalised_to_utc() {
        let mut d = doc(json!({"type": "sgv", "sgv": "199", "date": 1405791855000i64,
            "dateString": "2014-07-20T00:44:15.000-07:00", "device": "dexcom", "direction": "NOT COMPUTABLE",
            "utcOffset": 99}));
        normalize(&mut d, true, 0);
        assert_eq!(d["dateString"], "2014-07-20T07:44:15.000Z");
        assert_eq!(d["sysTime"], "2014-07-20T07:44:15.000Z");
        assert_eq!(d["utcOffset"], -420);
        assert_eq!(d["sgv"], "199");
        assert_eq!(d["date"], 1405791855000i64);
    }

    #[test]
    fn uuid_ids_move_to_identifier_and_object_ids_stay() {
        let mut d = doc(json!({"_id": "0b3a2a4e-1c1f-4c3e-9a6e-2f2d3b4c5d6e", "date": 1}));
        normalize(&mut d, true, 0);
        assert!(!d.contains_key("_id"));
        assert_eq!(d["identifier"], "0b3a2a4e-1c1f-4c3e-9a6e-2f2d3b4c5d6e");
        let mut d = doc(json!({"_id": "5c9c1c3e2f8b4a0012345678", "date": 1}));
        normalize(&mut d, true, 0);
        assert_eq!(d["_id"], "5c9c1c3e2f8b4a0012345678");
    }

    #[test]
    fn missing_times_use_date_then_now() {
        let mut d = doc(json!({"date": 1405842255000i64, "sgv": 100, "type": "sgv"}));
        normalize(&mut d, true, 0);
        assert_eq!(d["sysTime"], "2014-07-20T07:44:15.000Z");
        assert!(!d.contains_key("dateString"));
        let mut d = doc(json!({"sgv": 100, "dateString": "2014-07-20T07:44:15Z"}));
        normalize(&mut d, true, 0);
        assert_eq!(d["date"], 1405842255000i64);
        let mut d = doc(json!({"sgv": 100, "date": "garbage"}));
        normalize(&mut d, true, 1405842255000);
        assert_eq!(d["sysTime"], "2014-07-20T07:44:15.000Z");
    }

    #[test]
    fn dedup_key_is_systime_and_type() {
        let d = doc(json!({"sysTime": "x", "type": "sgv", "sgv": 1}));
        assert_eq!(
            dedup_filter(&d),
            Filter::And(vec![Filter::eq("sysTime", Val::Str("x".into())), Filter::eq("type", Val::Str("sgv".into())),])
        );
    }

    #[test]
    fn text_rows_quote_strings_and_leave_missing_empty() {
        let d = doc(json!({"dateString": "2014-07-20T07:44:15.000Z", "date": 1405791855000i64, "sgv": "199",
            "direction": "NOT COMPUTABLE", "device": "dexcom"}));
        assert_eq!(
            text_row(&d, '\t'),
            "\"2014-07-20T07:44:15.000Z\"\t1405791855000\t\"199\"\t\"NOT COMPUTABLE\"\t\"dexcom\""
        );
        assert_eq!(text_row(&doc(json!({"date": 5})), ','), ",5,,,");
    }
}
