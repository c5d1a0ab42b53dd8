//! What devicestatus, profile, food and activity share: the `_id` check, `created_at`.

use serde_json::Value;

use super::Doc;
use super::filter::is_object_id;
use super::time::{ZonedTime, parse_epoch_ms_or_zoned, parse_zoned, to_iso_utc};

/// Nightscout's answer to a bad `_id` in a new document (POST): 400 `Invalid _id format` with
/// this description (`lib/api/*/index.js`, `objectid-validation`).
pub fn invalid_id_description(id: &Value) -> String {
    format!("Must be 24-character hex string or omit for auto-generation. Got: {}", shown(id))
}

/// The same for an `_id` that must be given (PUT, DELETE by id): no "or omit".
pub fn invalid_given_id_description(id: &Value) -> String {
    format!("Must be 24-character hex string. Got: {}", shown(id))
}

fn shown(id: &Value) -> String {
    match id {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The first `_id` that is present but not 24 hex characters (any case).
pub fn first_invalid_id(docs: &[Doc]) -> Option<&Value> {
    docs.iter().filter_map(|d| d.get("_id")).find(|v| !v.as_str().is_some_and(is_object_id))
}

/// What is wrong with a field name anywhere in `v` that no store can hold as sent: a NUL (BSON
/// names are C strings), an empty name or one starting with `$` (MongoDB refuses them in the
/// `$set` of an upsert; the embedded store keeps the same rule so both answer alike).
pub fn bad_key(v: &Value) -> Option<&'static str> {
    match v {
        Value::Object(m) => m.iter().find_map(|(k, v)| {
            if k.contains('\0') {
                Some("field names must not contain NUL characters")
            } else if k.is_empty() {
                Some("field names must not be empty")
            } else if k.starts_with('$') {
                Some("field names must not start with $")
            } else {
                bad_key(v)
            }
        }),
        Value::Array(a) => a.iter().find_map(bad_key),
        _ => None,
    }
}

/// The documents of a body: an object is one document, an array its objects. Empty objects
/// (what a body of another content type parses to) are not documents.
pub fn docs_of(body: Value) -> Vec<Doc> {
    let items = match body {
        Value::Object(m) => vec![Value::Object(m)],
        Value::Array(a) => a,
        _ => Vec::new(),
    };
    items
        .into_iter()
        .filter_map(|v| match v {
            Value::Object(m) if !m.is_empty() => Some(m),
            _ => None,
        })
        .collect()
}

/// `parseZone(created_at)` (numbers as epoch ms), or `None` when missing or invalid.
pub fn time_of(v: Option<&Value>) -> Option<ZonedTime> {
    match v? {
        Value::String(s) => parse_zoned(s),
        Value::Number(n) => parse_epoch_ms_or_zoned(&n.to_string()),
        _ => None,
    }
}

/// `created_at` rewritten in UTC (now when missing or invalid) and `utcOffset` from it.
pub fn normalize_created_at(doc: &mut Doc, now_ms: i64) {
    let t = time_of(doc.get("created_at")).unwrap_or(ZonedTime { epoch_ms: now_ms, offset_minutes: 0 });
    doc.insert("created_at".into(), Value::String(to_iso_utc(t.epoch_ms).unwrap_or_default()));
    doc.insert("utcOffset".into(), t.offset_minutes.into());
}

/// `created_at` set to now (ISO) when missing, as profile and activity POSTs do.
pub fn default_created_at(doc: &mut Doc, now_ms: i64) {
    if doc.get("created_at").is_none_or(Value::is_null) {
        doc.insert("created_at".into(), Value::String(to_iso_utc(now_ms).unwrap_or_default()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ids_must_be_24_hex_when_present() {
        let docs = docs_of(json!([{"_id": "5C9C1C3E2F8B4A0012345678"}, {"a": 1}]));
        assert_eq!(first_invalid_id(&docs), None);
        let docs = docs_of(json!([{"a": 1}, {"_id": "not-an-id"}, {"_id": 5}]));
        assert_eq!(first_invalid_id(&docs), Some(&json!("not-an-id")));
        assert!(docs_of(json!({})).is_empty());
        assert_eq!(docs_of(json!([{}, 5, {"a": 1}])).len(), 1);
        assert_eq!(
            invalid_id_description(&json!("x")),
            "Must be 24-character hex string or omit for auto-generation. Got: x"
        );
    }

    #[test]
    fn created_at_is_normalised_or_defaulted() {
        let mut d = docs_of(json!({"created_at": "2014-07-20T09:44:15+02:00"})).remove(0);
        normalize_created_at(&mut d, 0);
        assert_eq!(json!(d), json!({"created_at": "2014-07-20T07:44:15.000Z", "utcOffset": 120}));
        let mut d = docs_of(json!({"created_at": "garbage"})).remove(0);
        normalize_created_at(&mut d, 1405842255000);
        assert_eq!(d["created_at"], "2014-07-20T07:44:15.000Z");
        let mut d = Doc::new();
        default_created_at(&mut d, 1405842255000);
        assert_eq!(d["created_at"], "2014-07-20T07:44:15.000Z");
    }
}
