//! `/api/v1/devicestatus` (`lib/api/devicestatus/index.js`, `lib/server/devicestatus.js`; spec 1.5).

use crate::api::json::Json;
use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get};
use serde_json::Value;

use super::list;
use crate::api::kept::{self, Rendered};
use crate::api::permit::{Allowed, AllowedBody, DeviceStatusCreate, DeviceStatusDelete, DeviceStatusRead};
use crate::api::{snapshot, stream};
use crate::app::AppState;
use crate::domain::Collection;
use crate::domain::documents::docs_of;
use crate::domain::filter::is_object_id;
use crate::error::ApiResult;
use crate::write::invalid_given_id;

/// Nightscout's JSON limit for devicestatus.
const BODY_LIMIT: usize = 1024 * 1024;
const DEFAULT_COUNT: u64 = 10;
const D: Collection = Collection::DeviceStatus;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/devicestatus", get(list_statuses).post(create).delete(delete_matching))
        .route("/devicestatus/{id}", delete(delete_id))
        .layer(axum::extract::DefaultBodyLimit::max(BODY_LIMIT))
}

/// Spec 1.5 GET: count 10, `find[created_at]`, newest first, stored documents as posted.
async fn list_statuses(
    State(state): State<AppState>,
    _: Allowed<DeviceStatusRead>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    let params = list::params(raw.as_deref());
    let filter = list::find_filter(&state, D, &params)?;
    let limit = list::count(&params, DEFAULT_COUNT);
    if !params.contains_key("find")
        && let Some((snap, docs)) = snapshot::newest(&state, D, limit).await
    {
        let build = || async { Rendered::json(&docs.iter().map(|d| &**d).collect::<Vec<&crate::domain::Doc>>()) };
        return kept::answer(&snap, &format!("devicestatus:{limit:?}"), None, build).await;
    }
    let query = list::newest_first(D, filter, limit);
    if stream::is_large(limit) {
        return Ok(stream::json(stream::open(&state, D, query).await?, |_| {}));
    }
    Ok(Json(state.store.find(D, &query).await?).into_response())
}

/// Spec 1.5 POST: every `_id` checked first (400, nothing stored), then inserted without dedup.
async fn create(State(state): State<AppState>, req: AllowedBody<DeviceStatusCreate>) -> ApiResult<Response> {
    Ok(Json(state.writer.create_devicestatus(docs_of(req.body)).await?).into_response())
}

/// Spec 1.5 DELETE `/devicestatus/{id}`: 24-hex or `*` (400 otherwise), plus `find`.
async fn delete_id(
    State(state): State<AppState>,
    _: Allowed<DeviceStatusDelete>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    let mut params = list::params(raw.as_deref());
    if id != "*" {
        if !is_object_id(&id) {
            return Err(invalid_given_id(&Value::String(id)));
        }
        list::set_find(&mut params, "_id", &id);
    }
    list::delete_where(&state, D, &params).await
}

/// Spec 1.5 DELETE `/devicestatus?find...`.
async fn delete_matching(
    State(state): State<AppState>,
    _: Allowed<DeviceStatusDelete>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    list::delete_where(&state, D, &list::params(raw.as_deref())).await
}
