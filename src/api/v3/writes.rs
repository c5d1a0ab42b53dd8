//! Create, update and patch (`lib/api3/generic/create`, `update`, `patch`); the rules are in
//! `crate::write::v3`.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::auth::V3Caller;
use super::{V3Result, collection};
use crate::api::body::Body;
use crate::api::format::{http_date, parse_http_date};
use crate::app::AppState;
use crate::domain::{Collection, Doc};
use crate::write::v3::{Grants, Saved};

fn grants(who: &V3Caller, coll: Collection) -> Grants {
    Grants { create: who.can(coll, "create"), update: who.can(coll, "update"), subject: who.subject() }
}

/// The body as one document; anything else counts as empty (400 `Bad or missing request body`).
fn document(body: Value) -> Doc {
    match body {
        Value::Object(m) => m,
        _ => Doc::new(),
    }
}

fn last_modified(res: &mut Response, at: i64) {
    if let Some(v) = http_date(at).and_then(|s| HeaderValue::from_str(&s).ok()) {
        res.headers_mut().insert(header::LAST_MODIFIED, v);
    }
}

/// 201 `{identifier, lastModified}` + `Location`, or 200 with `isDeduplication`.
fn answer(col: &str, saved: Saved) -> Response {
    match saved {
        Saved::Created { identifier, at } => {
            let body = json!({"status": 201, "identifier": identifier, "lastModified": at});
            let mut res = (StatusCode::CREATED, axum::Json(body)).into_response();
            if let Ok(v) = HeaderValue::from_str(&format!("/api/v3/{col}/{identifier}")) {
                res.headers_mut().insert(header::LOCATION, v);
            }
            last_modified(&mut res, at);
            res
        }
        Saved::Replaced { identifier, previous, dedup, at } => {
            let mut body = json!({"status": 200, "lastModified": at});
            if identifier != previous || dedup {
                body["identifier"] = Value::String(identifier.clone());
                body["isDeduplication"] = Value::Bool(true);
                if identifier != previous {
                    body["deduplicatedIdentifier"] = Value::String(previous);
                }
            }
            let dedup = body.get("identifier").is_some();
            let mut res = axum::Json(body).into_response();
            // `update/replace.js`: a deduplication says where the document is.
            if dedup && let Ok(v) = HeaderValue::from_str(&format!("/api/v3/{col}/{identifier}")) {
                res.headers_mut().insert(header::LOCATION, v);
            }
            last_modified(&mut res, at);
            res
        }
    }
}

/// `POST /{col}`.
pub async fn create(
    State(state): State<AppState>,
    _: super::KnownCollection,
    who: V3Caller,
    Path(col): Path<String>,
    Body(body): Body,
) -> V3Result<Response> {
    let coll = collection(&col)?;
    let saved = state.writer.v3_create(coll, document(body), &grants(&who, coll)).await?;
    Ok(answer(&col, saved))
}

/// `PUT /{col}/{identifier}`.
pub async fn update(
    State(state): State<AppState>,
    _: super::KnownCollection,
    who: V3Caller,
    Path((col, identifier)): Path<(String, String)>,
    Body(body): Body,
) -> V3Result<Response> {
    let coll = collection(&col)?;
    if !who.can(coll, "update") && !who.can(coll, "create") {
        who.need(coll, "update")?;
    }
    let saved = state.writer.v3_update(coll, &identifier, document(body), &grants(&who, coll)).await?;
    Ok(answer(&col, saved))
}

/// `PATCH /{col}/{identifier}`: 200 `{status: 200}`.
pub async fn patch(
    State(state): State<AppState>,
    _: super::KnownCollection,
    who: V3Caller,
    Path((col, identifier)): Path<(String, String)>,
    headers: HeaderMap,
    Body(body): Body,
) -> V3Result<Response> {
    let coll = collection(&col)?;
    let since = headers.get(header::IF_UNMODIFIED_SINCE).and_then(|v| v.to_str().ok()).and_then(parse_http_date);
    let at = state.writer.v3_patch(coll, &identifier, document(body), &grants(&who, coll), since).await?;
    let mut res = axum::Json(json!({"status": 200})).into_response();
    last_modified(&mut res, at);
    Ok(res)
}
