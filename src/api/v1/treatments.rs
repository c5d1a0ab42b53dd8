//! `/api/v1/treatments` (`lib/api/treatments/index.js`, `lib/server/treatments.js`; spec 1.4).

use crate::api::json::Json;
use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get};

use super::list;
use crate::api::format::{http_date, parse_http_date};
use crate::api::permit::{Allowed, AllowedBody, TreatmentsCreate, TreatmentsDelete, TreatmentsRead, TreatmentsUpdate};
use crate::api::stream;
use crate::app::AppState;
use crate::domain::Collection;
use crate::domain::documents::{docs_of, time_of};
use crate::domain::treatments;
use crate::error::{ApiError, ApiResult};

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
    _: Allowed<TreatmentsRead>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let params = list::params(raw.as_deref());
    let default = if params.contains_key("find") { 1000 } else { 100 };
    let filter = list::find_filter(&state, T, &params)?;
    let limit = list::count(&params, default);
    let query = list::newest_first(T, filter, limit);
    let since = headers.get(header::IF_MODIFIED_SINCE).and_then(|v| v.to_str().ok()).and_then(parse_http_date);
    let newest_of = |docs: &[crate::domain::Doc]| {
        docs.iter().filter_map(|d| time_of(d.get("created_at")).map(|t| t.epoch_ms)).max()
    };
    let not_modified = |newest: Option<i64>| matches!((newest, since), (Some(n), Some(s)) if n / 1000 <= s / 1000);
    // A large listing streams; its `Last-Modified` is the newest of its first page (sorted by
    // `created_at` descending, that is the newest but for mixed time zone offsets).
    let (newest, mut res) = if stream::is_large(limit) {
        let opened = stream::open(&state, T, query).await?;
        let newest = newest_of(&opened.first);
        if not_modified(newest) {
            return Ok(StatusCode::NOT_MODIFIED.into_response());
        }
        (newest, stream::json(opened, treatments::read_back))
    } else {
        let mut docs = state.store.find(T, &query).await?;
        let newest = newest_of(&docs);
        if not_modified(newest) {
            return Ok(StatusCode::NOT_MODIFIED.into_response());
        }
        docs.iter_mut().for_each(treatments::read_back);
        (newest, Json(docs).into_response())
    };
    if let Some(lm) = newest.and_then(http_date).and_then(|s| HeaderValue::from_str(&s).ok()) {
        res.headers_mut().insert(header::LAST_MODIFIED, lm);
    }
    Ok(res)
}

/// Spec 1.4 POST: object or array, always an array back.
async fn create(State(state): State<AppState>, req: AllowedBody<TreatmentsCreate>) -> ApiResult<Response> {
    Ok(Json(state.writer.create_treatments(docs_of(req.body)).await?).into_response())
}

/// Spec 1.4 PUT: the same key and normalisation, one object back; an array (as xDrip+ sends)
/// is taken item by item.
async fn update(State(state): State<AppState>, req: AllowedBody<TreatmentsUpdate>) -> ApiResult<Response> {
    let single = req.body.is_object();
    let docs = docs_of(req.body);
    if docs.is_empty() {
        return Err(ApiError::bad_request("Bad request body", "PUT /treatments takes a treatment object"));
    }
    let mut saved = state.writer.update_treatments(docs).await?;
    Ok(if single { Json(saved.remove(0)).into_response() } else { Json(saved).into_response() })
}

/// Spec 1.4 DELETE `/treatments/{id}`: 24-hex, UUID (via `identifier`) or `*`, plus `find`.
async fn delete_id(
    State(state): State<AppState>,
    _: Allowed<TreatmentsDelete>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    let mut params = list::params(raw.as_deref());
    if id != "*" {
        list::set_find(&mut params, "_id", &id);
    }
    list::delete_where(&state, T, &params).await
}

/// Spec 1.4 DELETE `/treatments?find...` (default window applies).
async fn delete_matching(
    State(state): State<AppState>,
    _: Allowed<TreatmentsDelete>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    list::delete_where(&state, T, &list::params(raw.as_deref())).await
}
