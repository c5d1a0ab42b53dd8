//! JSON <-> BSON as Nightscout's documents need: `_id` 24-hex strings become ObjectIds,
//! ObjectIds and dates come back as strings, integral doubles come back as integers
//! (what Node's JSON output shows for them).

use mongodb::bson::{Bson, Document, oid::ObjectId};
use serde_json::{Map, Number, Value};

use crate::domain::Doc;
use crate::domain::filter::is_object_id;

/// A document for MongoDB. A 24-hex string `_id` is stored as an ObjectId.
pub fn to_document(doc: &Doc) -> Document {
    let mut out = Document::new();
    for (k, v) in doc {
        if k == "_id" {
            out.insert("_id", id_to_bson(v));
        } else {
            out.insert(k.clone(), to_bson(v));
        }
    }
    out
}

pub fn id_to_bson(v: &Value) -> Bson {
    match v {
        Value::String(s) if is_object_id(s) => match ObjectId::parse_str(s) {
            Ok(oid) => Bson::ObjectId(oid),
            Err(_) => Bson::String(s.clone()),
        },
        other => to_bson(other),
    }
}

pub fn to_bson(v: &Value) -> Bson {
    match v {
        Value::Null => Bson::Null,
        Value::Bool(b) => Bson::Boolean(*b),
        Value::Number(n) => number_to_bson(n),
        Value::String(s) => Bson::String(s.clone()),
        Value::Array(a) => Bson::Array(a.iter().map(to_bson).collect()),
        Value::Object(o) => {
            let mut d = Document::new();
            for (k, v) in o {
                d.insert(k.clone(), to_bson(v));
            }
            Bson::Document(d)
        }
    }
}

fn number_to_bson(n: &Number) -> Bson {
    if let Some(i) = n.as_i64() {
        return match i32::try_from(i) {
            Ok(small) => Bson::Int32(small),
            Err(_) => Bson::Int64(i),
        };
    }
    Bson::Double(n.as_f64().unwrap_or(f64::NAN))
}

/// A stored document as JSON, `_id` first.
pub fn from_document(d: Document) -> Doc {
    let mut out = Map::with_capacity(d.len());
    if let Some(id) = d.get("_id") {
        out.insert("_id".into(), from_bson(id.clone()));
    }
    for (k, v) in d {
        if k != "_id" {
            out.insert(k, from_bson(v));
        }
    }
    out
}

pub fn from_bson(b: Bson) -> Value {
    match b {
        Bson::Null | Bson::Undefined | Bson::MinKey | Bson::MaxKey => Value::Null,
        Bson::Boolean(b) => Value::Bool(b),
        Bson::Int32(i) => Value::from(i),
        Bson::Int64(i) => Value::from(i),
        Bson::Double(x) => double(x),
        Bson::String(s) | Bson::Symbol(s) | Bson::JavaScriptCode(s) => Value::String(s),
        Bson::ObjectId(oid) => Value::String(oid.to_hex()),
        Bson::DateTime(dt) => {
            let ms = dt.timestamp_millis();
            crate::domain::time::to_iso_utc(ms).map(Value::String).unwrap_or(Value::from(ms))
        }
        Bson::Decimal128(d) => d.to_string().parse::<f64>().map(double).unwrap_or(Value::Null),
        Bson::Timestamp(t) => Value::from(t.time),
        Bson::Array(a) => Value::Array(a.into_iter().map(from_bson).collect()),
        Bson::Document(d) => Value::Object(d.into_iter().map(|(k, v)| (k, from_bson(v))).collect()),
        Bson::RegularExpression(r) => Value::String(format!("/{}/{}", r.pattern, r.options)),
        Bson::Binary(b) => Value::String(hex::encode(b.bytes)),
        other => Value::String(other.to_string()),
    }
}

/// A double as Node's JSON shows it: integral values without a fraction; NaN/Infinity as null.
fn double(x: f64) -> Value {
    if x.is_finite() && x.fract() == 0.0 && x.abs() < 9_007_199_254_740_992.0 {
        Value::from(x as i64)
    } else {
        Number::from_f64(x).map(Value::Number).unwrap_or(Value::Null)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn round_trip_keeps_fields_and_turns_ids_into_object_ids() {
        let doc = json!({"_id": "5c9c1c3e2f8b4a0012345678", "sgv": 120, "date": 1405791855000i64,
            "delta": -1.5, "direction": "Flat", "nested": {"a": [1, "x", null, true]}});
        let d = to_document(doc.as_object().unwrap());
        assert!(matches!(d.get("_id"), Some(Bson::ObjectId(_))));
        assert!(matches!(d.get("sgv"), Some(Bson::Int32(120))));
        assert!(matches!(d.get("date"), Some(Bson::Int64(_))));
        assert_eq!(json!(from_document(d)), doc);
    }

    #[test]
    fn integral_doubles_read_back_as_integers() {
        assert_eq!(from_bson(Bson::Double(1405791855000.0)), json!(1405791855000i64));
        assert_eq!(from_bson(Bson::Double(1.25)), json!(1.25));
        assert_eq!(from_bson(Bson::Double(f64::NAN)), Value::Null);
    }
}
