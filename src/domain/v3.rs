//! API v3's document rules (`lib/api3/generic/collection.js` `parseDate`,
//! `shared/operationTools.js`, `generic/update/validate.js`; spec 6): the date and offset a
//! document is filed under, its computed identifier, and what a client may not change.

use serde_json::Value;
use sha1::Digest as _;

use super::js::{js_number, truthy};
use super::time::{parse_epoch_ms_or_zoned, to_iso_utc};
use super::{Collection, Doc};

/// Dates at or before 2000-01-01 are refused (`MIN_TIMESTAMP`).
pub const MIN_TIMESTAMP: i64 = 946_684_800_000;
const MAX_UTC_OFFSET: f64 = 1440.0;

/// Fields a client cannot change once stored, checked in this order.
const IMMUTABLE: [&str; 11] = [
    "identifier",
    "date",
    "utcOffset",
    "eventType",
    "device",
    "app",
    "srvCreated",
    "subject",
    "srvModified",
    "modifiedBy",
    "isValid",
];

/// Why a document is refused, with API v3's message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Invalid {
    Body,
    Identifier,
    Date,
    UtcOffset,
    App,
    Immutable(&'static str),
    ReadOnly,
}

impl Invalid {
    pub fn message(&self) -> String {
        match self {
            Invalid::Body => "Bad or missing request body".into(),
            Invalid::Identifier => "Bad or missing identifier field".into(),
            Invalid::Date => "Bad or missing date field".into(),
            Invalid::UtcOffset => "Bad or missing utcOffset field".into(),
            Invalid::App => "Bad or missing app field".into(),
            Invalid::Immutable(f) => format!("Field {f} cannot be modified by the client"),
            Invalid::ReadOnly => "Trying to modify read-only document".into(),
        }
    }
}

/// A time as `dateTools.parseToMoment` reads it: epoch ms (seconds below `MIN_TIMESTAMP`) or
/// a date string; with the offset the text carried (0 for numbers: the server runs in UTC).
pub fn parse_moment(v: &Value) -> Option<(i64, i32)> {
    match v {
        Value::Number(n) => {
            let x = n.as_f64()?;
            let ms = if x < MIN_TIMESTAMP as f64 { x * 1000.0 } else { x };
            ms.is_finite().then_some((ms as i64, 0))
        }
        Value::String(s) => parse_epoch_ms_or_zoned(s).map(|t| (t.epoch_ms, t.offset_minutes)),
        _ => None,
    }
}

/// `parseDate`: `date` from `date` or else `created_at`, `utcOffset` from it when absent,
/// `created_at` rewritten as ISO UTC.
pub fn parse_date(doc: &mut Doc) {
    let found = ["date", "created_at"].iter().find_map(|k| doc.get(*k).and_then(parse_moment));
    if let Some((ms, offset)) = found {
        doc.insert("date".into(), ms.into());
        doc.entry("utcOffset").or_insert_with(|| offset.into());
        if let Some(iso) = to_iso_utc(ms) {
            doc.insert("created_at".into(), Value::String(iso));
        }
    }
}

/// UUID version 5 of `name` in namespace `ns` (RFC 4122 section 4.3). Hand-written over the
/// `sha1` crate we already use: `uuid`'s `v5` feature would add a second SHA-1 implementation.
fn uuid_v5(ns: &[u8; 16], name: &str) -> String {
    let mut h = sha1::Sha1::new();
    h.update(ns);
    h.update(name.as_bytes());
    let mut b = [0u8; 16];
    b.copy_from_slice(&h.finalize()[..16]);
    b[6] = (b[6] & 0x0f) | 0x50;
    b[8] = (b[8] & 0x3f) | 0x80;
    let x = hex::encode(b);
    format!("{}-{}-{}-{}-{}", &x[..8], &x[8..12], &x[12..16], &x[16..20], &x[20..])
}

/// JavaScript's `String(v)` for the scalars an identifier is built from.
fn js_string(v: Option<&Value>) -> String {
    match v {
        None => "undefined".into(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => js_number(&Value::Number(n.clone()))
            .map(|x| super::js::json_number(x).to_string())
            .unwrap_or_else(|| n.to_string()),
        Some(other) => other.to_string(),
    }
}

/// `calculateIdentifier`: UUID v5 of `<device>_<date>[_<eventType>]` in namespace
/// `NightscoutRocks!`.
pub fn calculate_identifier(doc: &Doc) -> String {
    let mut key = format!("{}_{}", js_string(doc.get("device")), js_string(doc.get("date")));
    if let Some(e) = doc.get("eventType").filter(|v| truthy(v)) {
        key.push('_');
        key.push_str(&js_string(Some(e)));
    }
    uuid_v5(b"NightscoutRocks!", &key)
}

/// `resolveIdentifier`: a document without `identifier` gets the computed one.
pub fn resolve_identifier(doc: &mut Doc) {
    if !doc.get("identifier").is_some_and(truthy) {
        doc.insert("identifier".into(), Value::String(calculate_identifier(doc)));
    }
}

/// `validateCommon`: `date`, `utcOffset` and `app` (when patching, only those present).
pub fn validate_common(doc: &Doc, patching: bool) -> Result<(), Invalid> {
    let check = |k: &str| !patching || doc.contains_key(k);
    let num = |k: &str| doc.get(k).and_then(Value::as_f64);
    if check("date") && num("date").is_none_or(|d| d <= MIN_TIMESTAMP as f64) {
        return Err(Invalid::Date);
    }
    if check("utcOffset") && num("utcOffset").is_none_or(|o| !(-MAX_UTC_OFFSET..=MAX_UTC_OFFSET).contains(&o)) {
        return Err(Invalid::UtcOffset);
    }
    let app = doc.get("app").and_then(Value::as_str);
    if check("app") && app.is_none_or(|a| a.trim().is_empty()) {
        return Err(Invalid::App);
    }
    Ok(())
}

/// A create: an identifier, then the common fields.
pub fn validate_create(doc: &Doc) -> Result<(), Invalid> {
    match doc.get("identifier").and_then(Value::as_str) {
        Some(s) if !s.trim().is_empty() => validate_common(doc, false),
        _ => Err(Invalid::Identifier),
    }
}

/// JavaScript's `!==` on JSON values (objects and arrays are never equal to anything), except
/// that a field the stored document lacks is not a change: Nightscout refuses it, so a v3
/// re-send (which must carry `app`) could never deduplicate onto a v1 document.
fn strictly_differs(a: &Value, b: Option<&Value>) -> bool {
    match (a, b) {
        (_, None) => false,
        (Value::Number(x), Some(Value::Number(y))) => x.as_f64() != y.as_f64(),
        (Value::String(x), Some(Value::String(y))) => x != y,
        (Value::Bool(x), Some(Value::Bool(y))) => x != y,
        (Value::Null, Some(Value::Null)) => false,
        _ => true,
    }
}

/// True for a document marked read-only.
pub fn is_read_only(stored: &Doc) -> bool {
    ["isReadOnly", "readOnly", "readonly"].iter().any(|k| stored.get(*k) == Some(&Value::Bool(true)))
}

/// An update of `stored` by `doc` (`generic/update/validate.js`): read-only documents, the
/// immutable fields in order (a dedup may change `identifier`; a deleted document anything),
/// then the common fields. `stored_identifier` is what v3 shows for `stored`.
pub fn validate_update(
    doc: &Doc,
    stored: &Doc,
    stored_identifier: &str,
    patching: bool,
    dedup: bool,
) -> Result<(), Invalid> {
    if is_read_only(stored) {
        return Err(Invalid::ReadOnly);
    }
    if stored.get("isValid") != Some(&Value::Bool(false)) {
        for field in IMMUTABLE {
            if field == "identifier" && dedup {
                continue;
            }
            let Some(v) = doc.get(field) else { continue };
            let old = if field == "identifier" { Some(Value::String(stored_identifier.to_owned())) } else { None };
            if strictly_differs(v, old.as_ref().or_else(|| stored.get(field))) {
                return Err(Invalid::Immutable(field));
            }
        }
    }
    validate_common(doc, patching)
}

/// The fields whose values, all present, identify a document sent again without its
/// identifier (`API3_DEDUP_FALLBACK_ENABLED`, `generic/setup.js`).
pub fn dedup_fields(coll: Collection) -> &'static [&'static str] {
    match coll {
        Collection::DeviceStatus => &["created_at", "device"],
        Collection::Entries => &["date", "type"],
        Collection::Food | Collection::Profile => &["created_at"],
        Collection::Treatments => &["created_at", "eventType"],
        Collection::Activity => &[],
    }
}

/// The field a collection's `srvModified` falls back to for documents written before it was
/// stamped (`fallbackDateField`).
pub fn fallback_date_field(coll: Collection) -> &'static str {
    if coll == Collection::Entries { "date" } else { "created_at" }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn doc(v: Value) -> Doc {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn identifiers_are_uuid_v5_in_nightscouts_namespace() {
        // RFC 4122 appendix B style check: the DNS namespace and "www.example.com".
        let dns = [0x6b, 0xa7, 0xb8, 0x10, 0x9d, 0xad, 0x11, 0xd1, 0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8];
        assert_eq!(uuid_v5(&dns, "www.example.com"), "2ed6657d-e927-568b-95e1-2665a8aea6a2");
        let d = doc(json!({"device": "AAPS", "date": 1700000000000i64, "eventType": "Meal Bolus"}));
        assert_eq!(calculate_identifier(&d), uuid_v5(b"NightscoutRocks!", "AAPS_1700000000000_Meal Bolus"));
        let e = doc(json!({"date": 1700000000000i64}));
        assert_eq!(calculate_identifier(&e), uuid_v5(b"NightscoutRocks!", "undefined_1700000000000"));
    }

    #[test]
    fn dates_offsets_and_apps_are_checked_as_nightscout_does() {
        let mut d = doc(json!({"created_at": "2023-11-14T23:13:20+02:00", "app": "AAPS"}));
        parse_date(&mut d);
        assert_eq!(d["date"], json!(1699996400000i64));
        assert_eq!(d["utcOffset"], json!(120));
        assert_eq!(d["created_at"], json!("2023-11-14T21:13:20.000Z"));
        assert_eq!(validate_common(&d, false), Ok(()));
        let mut secs = doc(json!({"date": 1700000000, "app": "x"}));
        parse_date(&mut secs);
        assert_eq!(secs["date"], json!(1700000000000i64));
        let bad = doc(json!({"date": 1700000000000i64, "utcOffset": 2000, "app": "x"}));
        assert_eq!(validate_common(&bad, false), Err(Invalid::UtcOffset));
        assert_eq!(Invalid::UtcOffset.message(), "Bad or missing utcOffset field");
        let no_app = doc(json!({"date": 1700000000000i64, "utcOffset": 0}));
        assert_eq!(validate_common(&no_app, false), Err(Invalid::App));
        assert_eq!(validate_common(&doc(json!({"app": "x"})), true), Ok(()));
    }

    #[test]
    fn immutable_fields_are_named_in_order() {
        let stored = doc(json!({"date": 1, "device": "a", "app": "x", "utcOffset": 0}));
        let v1 = doc(json!({"date": 1700000000000i64, "device": "a"}));
        let fills = doc(json!({"date": 1700000000000i64, "device": "a", "app": "AAPS", "utcOffset": 0}));
        assert_eq!(validate_update(&fills, &v1, "id", true, true), Ok(()));
        let changed = doc(json!({"device": "b", "date": 2, "app": "x"}));
        let err = validate_update(&changed, &stored, "id", false, false).unwrap_err();
        assert_eq!(err, Invalid::Immutable("date"));
        assert_eq!(err.message(), "Field date cannot be modified by the client");
        let other_id = doc(json!({"identifier": "new"}));
        assert_eq!(validate_update(&other_id, &stored, "id", true, false), Err(Invalid::Immutable("identifier")));
        assert_eq!(validate_update(&other_id, &stored, "id", true, true), Ok(()));
    }
}
