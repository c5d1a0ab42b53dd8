//! What every v1 listing shares: `count` and `find` from the query string, then the filter.

use serde_json::{Map, Value};

use crate::api::query_string;
use crate::app::AppState;
use crate::domain::Collection;
use crate::domain::filter::{Dir, Filter, Query};
use crate::domain::query::{Spec, parse_find, with_default_window};
use crate::domain::time::now_ms;
use crate::error::{ApiError, ApiResult};

/// The query string, qs-parsed. A `find` sent as one JSON-encoded object (what axios 0.x
/// sends, e.g. nightscout-connect's Nightscout source: `find={"dateString":{"$gt":".."}}`) is
/// taken as the query it spells, its values as text as qs would give them (beyond Nightscout,
/// which fails it with a 500).
pub fn params(raw: Option<&str>) -> Map<String, Value> {
    let mut params = query_string::parse(raw.unwrap_or_default());
    if let Some(Value::String(s)) = params.get("find")
        && s.trim_start().starts_with('{')
        && let Ok(Value::Object(find)) = serde_json::from_str::<Value>(s)
    {
        params.insert("find".into(), as_query_text(Value::Object(find)));
    }
    params
}

/// A JSON value with its scalars as the text a query string carries (`null` stays `null`).
fn as_query_text(v: Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(m.into_iter().map(|(k, v)| (k, as_query_text(v))).collect()),
        Value::Array(a) => Value::Array(a.into_iter().map(as_query_text).collect()),
        Value::Number(n) => Value::String(n.to_string()),
        Value::Bool(b) => Value::String(b.to_string()),
        other => other,
    }
}

/// `count` as Nightscout reads it (`parseInt`); missing or unparsable gives `default`,
/// 0 means no limit (Mongo's `limit(0)`).
pub fn count(params: &Map<String, Value>, default: u64) -> Option<u64> {
    let n = match query_string::first_str(params, "count").map(crate::domain::query::parse_int_js) {
        Some(crate::domain::filter::Val::Int(n)) => n.unsigned_abs(),
        _ => default,
    };
    (n > 0).then_some(n)
}

/// `find[...]` as a filter, with the default window added.
pub fn find_filter(state: &AppState, coll: Collection, params: &Map<String, Value>) -> ApiResult<Filter> {
    let spec = Spec::of(coll);
    let f = parse_find(params.get("find"), &spec, state.config.uuid_handling)
        .map_err(|e| ApiError::bad_request("Bad query", e.0))?;
    Ok(with_default_window(f, &spec, now_ms()))
}

/// Newest first by the collection's date field.
pub fn newest_first(coll: Collection, filter: Filter, limit: Option<u64>) -> Query {
    Query::new(filter).sort(Spec::of(coll).date_field, Dir::Desc).limit(limit)
}

/// Sets `find[key] = value` in the parsed query (as a path segment like `/treatments/{id}` does).
pub fn set_find(params: &mut Map<String, Value>, key: &str, value: &str) {
    let find = params.entry("find").or_insert_with(|| Value::Object(Map::new()));
    if !find.is_object() {
        *find = Value::Object(Map::new());
    }
    if let Some(f) = find.as_object_mut() {
        f.insert(key.to_owned(), Value::String(value.to_owned()));
    }
}

/// The driver's DeleteResult, as Nightscout answers deletions.
/// Deletes what `params`' `find` matches (default window included); the DeleteResult.
pub async fn delete_where(
    state: &AppState,
    coll: Collection,
    params: &Map<String, Value>,
) -> ApiResult<axum::response::Response> {
    use axum::response::IntoResponse;
    let filter = find_filter(state, coll, params)?;
    Ok(delete_result(state.writer.delete_where(coll, &filter).await?).into_response())
}

pub fn delete_result(n: u64) -> crate::api::json::Json<Value> {
    crate::api::json::Json(serde_json::json!({"acknowledged": true, "deletedCount": n}))
}
