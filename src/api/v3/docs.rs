//! One document by identifier (`lib/api3/generic/read`, `generic/delete`), and the shape every
//! document is answered in: no `_id`, `identifier` (else the `_id`), `srvModified` and
//! `srvCreated` back-filled for documents written before stamps (`resolveDates`).

use axum::extract::{Path, Query as Params, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::auth::V3Caller;
use super::{V3Error, V3Result, collection, ok, query};
use crate::api::format::{http_date, parse_http_date};
use crate::app::AppState;
use crate::domain::{Collection, Doc};
use crate::write::stamp::identifier_of;
use crate::write::v3::modified_ms;

/// A stored document as API v3 answers it, cut to `fields` when given.
pub fn shape(coll: Collection, mut doc: Doc, fields: Option<&[String]>) -> Value {
    if let Some(id) = identifier_of(&doc) {
        doc.insert("identifier".into(), Value::String(id));
    }
    doc.remove("_id");
    if !doc.get("srvModified").is_some_and(Value::is_number)
        && let Some(ms) = modified_ms(coll, &doc)
    {
        doc.insert("srvModified".into(), ms.into());
    }
    if !doc.contains_key("srvCreated")
        && let Some(ms) = doc.get("srvModified").cloned()
    {
        doc.insert("srvCreated".into(), ms);
    }
    match fields {
        None => Value::Object(doc),
        Some(f) => Value::Object(doc.into_iter().filter(|(k, _)| f.iter().any(|x| x == k)).collect()),
    }
}

/// `GET /{col}/{identifier}`: 404, 410 when deleted, 304 with `If-Modified-Since`.
pub async fn read(
    State(state): State<AppState>,
    _: super::KnownCollection,
    who: V3Caller,
    Path((col, identifier)): Path<(String, String)>,
    Params(params): Params<Vec<(String, String)>>,
    headers: HeaderMap,
) -> V3Result<Response> {
    let coll = collection(&col)?;
    who.need(coll, "read")?;
    let Some(doc) = state.writer.v3_find(coll, &identifier).await? else {
        let gone = state.writer.v3_deleted(coll, &identifier).await?;
        return Err(V3Error::bare(if gone { StatusCode::GONE } else { StatusCode::NOT_FOUND }));
    };
    let modified = modified_ms(coll, &doc);
    let since = headers.get(header::IF_MODIFIED_SINCE).and_then(|v| v.to_str().ok()).and_then(parse_http_date);
    if let (Some(m), Some(s)) = (modified, since)
        && m / 1000 <= s / 1000
    {
        return Ok(StatusCode::NOT_MODIFIED.into_response());
    }
    let mut res = ok(shape(coll, doc, query::fields(&params).as_deref()));
    if let Some(v) = modified.and_then(http_date).and_then(|s| HeaderValue::from_str(&s).ok()) {
        res.headers_mut().insert(header::LAST_MODIFIED, v);
    }
    Ok(res)
}

/// `DELETE /{col}/{identifier}[?permanent=true]`.
pub async fn delete(
    State(state): State<AppState>,
    _: super::KnownCollection,
    who: V3Caller,
    Path((col, identifier)): Path<(String, String)>,
    Params(params): Params<Vec<(String, String)>>,
) -> V3Result<Response> {
    let coll = collection(&col)?;
    who.need(coll, "delete")?;
    let permanent = params.iter().any(|(k, v)| k == "permanent" && v == "true");
    state.writer.v3_delete(coll, &identifier, permanent).await?;
    Ok(axum::Json(json!({"status": 200})).into_response())
}
