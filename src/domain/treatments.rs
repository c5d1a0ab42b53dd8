//! Treatments (`lib/server/treatments.js`): normalisation on POST/PUT (`prepareData`), the
//! `preBolus` split, the dedup key (`upsertQueryFor`) and the read-back shape.

use serde_json::Value;

use super::Doc;
use super::documents::time_of;
use super::filter::{Cond, Filter, Val, is_object_id};
use super::js::{js_number, json_number, truthy};
use super::time::{ZonedTime, parse_zoned, to_iso_utc};

/// Fields coerced with JavaScript's `Number()`.
const NUMERIC: [&str; 10] = [
    "glucose",
    "targetTop",
    "targetBottom",
    "carbs",
    "insulin",
    "duration",
    "percent",
    "absolute",
    "relative",
    "preBolus",
];
/// Deleted when falsy (0, NaN, empty).
const DELETE_IF_EMPTY: [&str; 8] =
    ["targetTop", "targetBottom", "carbs", "insulin", "percent", "relative", "notes", "preBolus"];
/// Deleted when not a number (so `0` survives).
const DELETE_IF_NAN: [&str; 2] = ["absolute", "duration"];

/// Normalises one treatment as `prepareData` does. Returns the carbs taken off an insulin
/// record by `preBolus` (they belong to the second record) when `split_prebolus` is set.
pub fn normalize(doc: &mut Doc, uuid_handling: bool, now_ms: i64, split_prebolus: bool) -> Option<Value> {
    move_foreign_id(doc, uuid_handling);
    // Beyond Nightscout (which uses now): without a valid `created_at`, the `timestamp`
    // xDrip+ and Loop also send, so an insulin record is not moved to the upload time.
    let t = time_of(doc.get("created_at"))
        .or_else(|| time_of(doc.get("timestamp")))
        .unwrap_or(ZonedTime { epoch_ms: now_ms, offset_minutes: 0 });
    let mut created = t.epoch_ms;
    if let Some(et) = time_of(doc.get("eventTime")) {
        created = et.epoch_ms;
        doc.remove("eventTime");
    }
    doc.insert("created_at".into(), Value::String(to_iso_utc(created).unwrap_or_default()));
    doc.insert("utcOffset".into(), t.offset_minutes.into());
    for k in NUMERIC {
        if let Some(v) = doc.get(k) {
            let n = js_number(v).map_or(Value::Null, json_number);
            doc.insert(k.into(), n);
        }
    }
    for k in DELETE_IF_EMPTY {
        if doc.get(k).is_some_and(|v| !truthy(v)) {
            doc.remove(k);
        }
    }
    for k in DELETE_IF_NAN {
        if doc.get(k).is_some_and(Value::is_null) {
            doc.remove(k);
        }
    }
    if !doc.get("glucose").is_some_and(truthy) {
        for k in ["glucose", "glucoseType", "units"] {
            doc.remove(k);
        }
    }
    if doc.get("eventType").and_then(Value::as_str) == Some("Announcement") {
        doc.insert("isAnnouncement".into(), Value::Bool(true));
    }
    if split_prebolus && doc.contains_key("preBolus") && doc.contains_key("carbs") {
        return doc.remove("carbs");
    }
    None
}

/// A non-ObjectId string `_id` (a client UUID) moves to `identifier`; other `_id`s go.
fn move_foreign_id(doc: &mut Doc, uuid_handling: bool) {
    match doc.get("_id") {
        Some(Value::String(id)) if is_object_id(id) => {}
        Some(Value::String(id)) => {
            let id = id.clone();
            doc.remove("_id");
            if uuid_handling && !id.is_empty() && !doc.get("identifier").is_some_and(truthy) {
                doc.insert("identifier".into(), Value::String(id));
            }
        }
        Some(_) => {
            doc.remove("_id");
        }
        None => {}
    }
}

/// The second record of a `preBolus` treatment: the carbs, `preBolus` minutes later.
pub fn prebolus_record(main: &Doc, carbs: Value) -> Option<Doc> {
    let minutes = main.get("preBolus").and_then(js_number)?;
    let created = main.get("created_at").and_then(Value::as_str).and_then(parse_zoned)?;
    let at = created.epoch_ms + (minutes * 60_000.0) as i64;
    let mut d = Doc::new();
    d.insert("created_at".into(), Value::String(to_iso_utc(at)?));
    if let Some(e) = main.get("eventType") {
        d.insert("eventType".into(), e.clone());
    }
    d.insert("carbs".into(), carbs);
    if let Some(n) = main.get("notes") {
        d.insert("notes".into(), n.clone());
    }
    Some(d)
}

/// What a treatment is deduplicated on.
#[derive(Debug, Clone, PartialEq)]
pub enum Key {
    Identifier(String),
    Id(String),
    TimeAndType,
}

/// `upsertQueryFor`: `identifier` > `_id` > `{created_at, eventType}`. With an identifier the
/// `_id` is dropped from the document, so a match keeps its own.
pub fn dedup(doc: &mut Doc, uuid_handling: bool) -> (Key, Filter) {
    if let Some(Value::String(ident)) = doc.get("identifier").filter(|v| truthy(v)) {
        let ident = ident.clone();
        doc.remove("_id");
        let by_ident = Filter::eq("identifier", Val::Str(ident.clone()));
        let f = if uuid_handling {
            Filter::Or(vec![by_ident, Filter::eq("_id", Val::Str(ident.clone()))])
        } else {
            by_ident
        };
        return (Key::Identifier(ident), f);
    }
    if let Some(Value::String(id)) = doc.get("_id") {
        return (Key::Id(id.clone()), Filter::eq("_id", Val::ObjectId(id.clone())));
    }
    let created = doc.get("created_at").map_or(Val::Null, Val::from_json);
    let event = match doc.get("eventType") {
        Some(v) if !v.is_null() => Cond::Eq(Val::from_json(v)),
        _ => Cond::Exists(false),
    };
    (Key::TimeAndType, Filter::eq("created_at", created).and(Filter::field("eventType", event)))
}

/// As GET returns a treatment: `carbs` and `insulin` through `Number()` (absent gives null).
pub fn read_back(doc: &mut Doc) {
    for k in ["carbs", "insulin"] {
        let n = doc.get(k).and_then(js_number).map_or(Value::Null, json_number);
        doc.insert(k.into(), n);
    }
}

#[cfg(test)]
#[path = "treatments_tests.rs"]
mod tests;
