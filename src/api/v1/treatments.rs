//! `/api/v1/treatments` (`lib/api/treatments/index.js`, `lib/server/treatments.js`; spec 1.4).

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get};
use axum::{Json, Router};
use serde_json::Value;

use super::list;
use crate::api::body::Body;
use crate::api::caller::AuthInput;
use crate::api::format::{http_date, parse_http_date};
use crate::app::AppState;
use crate::domain::documents::{docs_of, time_of};
use crate::domain::filter::{Filter, Query};
use crate::domain::time::now_ms;
use crate::domain::treatments::{self, Key};
use crate::domain::{Collection, Doc};
use crate::error::{ApiError, ApiResult};
use crate::store::{Upsert, WriteMode, Written};

const READ: &str = "api:treatments:read";
/// Nightscout's JSON limit for treatments.
const BODY_LIMIT: usize = 50 * 1024 * 1024;
const T: Collection = Collection::Treatments;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/treatments", get(list_treatments).post(create).put(update).delete(delete_matching))
        .route("/treatments/{id}", delete(delete_id))
        .layer(axum::extract::DefaultBodyLimit::max(BODY_LIMIT))
}

/// Spec 1.4 GET: count 100 (1000 with `find`), newest first, `carbs`/`insulin` via `Number()`.
async fn list_treatments(
    State(state): State<AppState>,
    auth: AuthInput,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> ApiResult<Response> {
    auth.require(&state, &[READ]).await?;
    let params = list::params(raw.as_deref());
    let default = if params.contains_key("find") { 1000 } else { 100 };
    let filter = list::find_filter(&state, T, &params)?;
    let mut docs = state.store.find(T, &list::newest_first(T, filter, list::count(&params, default))).await?;
    let newest = docs.iter().filter_map(|d| time_of(d.get("created_at")).map(|t| t.epoch_ms)).max();
    let since = headers.get(header::IF_MODIFIED_SINCE).and_then(|v| v.to_str().ok()).and_then(parse_http_date);
    if let (Some(n), Some(s)) = (newest, since)
        && n / 1000 <= s / 1000
    {
        return Ok(StatusCode::NOT_MODIFIED.into_response());
    }
    docs.iter_mut().for_each(treatments::read_back);
    let mut res = Json(docs).into_response();
    if let Some(lm) = newest.and_then(http_date).and_then(|s| HeaderValue::from_str(&s).ok()) {
        res.headers_mut().insert(header::LAST_MODIFIED, lm);
    }
    Ok(res)
}

/// One planned write: the document as it will be answered, its key and filter.
struct Planned {
    doc: Doc,
    key: Key,
    filter: Filter,
}

fn plan(mut doc: Doc, uuid_handling: bool) -> Planned {
    let (key, filter) = treatments::dedup(&mut doc, uuid_handling);
    Planned { doc, key, filter }
}

/// Normalises one treatment; with `split`, a `preBolus` with carbs becomes two records.
fn prepare(mut doc: Doc, state: &AppState, now: i64, split: bool) -> Vec<Planned> {
    let uuid = state.config.uuid_handling;
    let carbs = treatments::normalize(&mut doc, uuid, now, split);
    let second = carbs.clone().and_then(|c| treatments::prebolus_record(&doc, c));
    if let (Some(c), None) = (carbs, &second) {
        doc.insert("carbs".into(), c); // never lose the carbs
    }
    let mut out = vec![plan(doc, uuid)];
    out.extend(second.map(|d| plan(d, uuid)));
    out
}

/// Replace-upserts in order; answers each document with its `_id` where Nightscout gives one.
async fn write(state: &AppState, planned: Vec<Planned>) -> ApiResult<Vec<Doc>> {
    let ops = planned
        .iter()
        .map(|p| Upsert { filter: p.filter.clone(), doc: p.doc.clone(), mode: WriteMode::Replace })
        .collect();
    let written = state.store.upsert_many(T, ops).await?;
    let mut out = Vec::with_capacity(planned.len());
    for (p, w) in planned.into_iter().zip(written) {
        let id = match (w, &p.key) {
            (Written::Inserted(id), _) => Some(id),
            (Written::Updated(Some(id)), Key::Identifier(_)) => Some(id),
            (Written::Updated(None), Key::Identifier(_)) => {
                let found = state.store.find(T, &Query::new(p.filter.clone()).limit(Some(1))).await?;
                found.first().and_then(|d| d.get("_id")).and_then(Value::as_str).map(str::to_owned)
            }
            _ => None,
        };
        out.push(with_id(p.doc, id));
    }
    Ok(out)
}

/// `{_id, ...doc}` unless the document has its `_id` already.
fn with_id(mut doc: Doc, id: Option<String>) -> Doc {
    match id {
        Some(id) if !doc.contains_key("_id") => {
            let mut d = Doc::with_capacity(doc.len() + 1);
            d.insert("_id".into(), Value::String(id));
            d.append(&mut doc);
            d
        }
        _ => doc,
    }
}

/// Spec 1.4 POST: object or array, always an array back.
async fn create(State(state): State<AppState>, mut auth: AuthInput, Body(mut body): Body) -> ApiResult<Response> {
    auth.take_body_credentials(&mut body);
    auth.require(&state, &[READ, "api:treatments:create"]).await?;
    let now = now_ms();
    let planned = docs_of(body).into_iter().flat_map(|d| prepare(d, &state, now, true)).collect();
    Ok(Json(write(&state, planned).await?).into_response())
}

/// Spec 1.4 PUT: the same key and normalisation, one object back. Unlike Nightscout, `preBolus`
/// does not take the carbs off the record here (there is no second record on PUT), and an
/// array (as xDrip+ sends) is taken item by item.
async fn update(State(state): State<AppState>, mut auth: AuthInput, Body(mut body): Body) -> ApiResult<Response> {
    auth.take_body_credentials(&mut body);
    auth.require(&state, &[READ, "api:treatments:update"]).await?;
    let now = now_ms();
    let single = body.is_object();
    let docs = docs_of(body);
    if docs.is_empty() {
        return Err(ApiError::bad_request("Bad request body", "PUT /treatments takes a treatment object"));
    }
    let planned = docs.into_iter().flat_map(|d| prepare(d, &state, now, false)).collect();
    let mut saved = write(&state, planned).await?;
    Ok(if single { Json(saved.remove(0)).into_response() } else { Json(saved).into_response() })
}

/// Spec 1.4 DELETE `/treatments/{id}`: 24-hex, UUID (via `identifier`) or `*`, plus `find`.
async fn delete_id(
    State(state): State<AppState>,
    auth: AuthInput,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    auth.require(&state, &[READ, "api:treatments:delete"]).await?;
    let mut params = list::params(raw.as_deref());
    if id != "*" {
        list::set_find(&mut params, "_id", &id);
    }
    list::delete_where(&state, T, &params).await
}

/// Spec 1.4 DELETE `/treatments?find...` (default window applies).
async fn delete_matching(
    State(state): State<AppState>,
    auth: AuthInput,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    auth.require(&state, &[READ, "api:treatments:delete"]).await?;
    list::delete_where(&state, T, &list::params(raw.as_deref())).await
}
