//! `/api/v1/devicestatus` (`lib/api/devicestatus/index.js`, `lib/server/devicestatus.js`; spec 1.5).

use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get};
use axum::{Json, Router};
use serde_json::Value;

use super::{docs, list};
use crate::api::body::Body;
use crate::api::caller::AuthInput;
use crate::api::snapshot;
use crate::app::AppState;
use crate::domain::documents::docs_of;
use crate::domain::filter::is_object_id;
use crate::domain::time::now_ms;
use crate::domain::{Collection, devicestatus};
use crate::error::ApiResult;

const READ: &str = "api:devicestatus:read";
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
async fn list_statuses(State(state): State<AppState>, auth: AuthInput, RawQuery(raw): RawQuery) -> ApiResult<Response> {
    auth.require(&state, &[READ]).await?;
    let params = list::params(raw.as_deref());
    let filter = list::find_filter(&state, D, &params)?;
    let limit = list::count(&params, DEFAULT_COUNT);
    if !params.contains_key("find")
        && let Some(docs) = snapshot::newest(&state, D, limit).await
    {
        return Ok(Json(docs.iter().map(|d| &**d).collect::<Vec<&crate::domain::Doc>>()).into_response());
    }
    let docs = state.store.find(D, &list::newest_first(D, filter, limit)).await?;
    Ok(Json(docs).into_response())
}

/// Spec 1.5 POST: every `_id` checked first (400, nothing stored), then inserted without dedup.
async fn create(State(state): State<AppState>, mut auth: AuthInput, Body(mut body): Body) -> ApiResult<Response> {
    auth.take_body_credentials(&mut body);
    auth.require(&state, &[READ, "api:devicestatus:create"]).await?;
    let mut items = docs_of(body);
    docs::check_ids(&items)?;
    let now = now_ms();
    for d in &mut items {
        devicestatus::normalize(d, now, state.config.predictions_max_size);
    }
    Ok(Json(state.store.insert_many(D, items).await?).into_response())
}

/// Spec 1.5 DELETE `/devicestatus/{id}`: 24-hex or `*` (400 otherwise), plus `find`.
async fn delete_id(
    State(state): State<AppState>,
    auth: AuthInput,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    auth.require(&state, &[READ, "api:devicestatus:delete"]).await?;
    let mut params = list::params(raw.as_deref());
    if id != "*" {
        if !is_object_id(&id) {
            return Err(docs::invalid_id(&Value::String(id)));
        }
        list::set_find(&mut params, "_id", &id);
    }
    list::delete_where(&state, D, &params).await
}

/// Spec 1.5 DELETE `/devicestatus?find...`.
async fn delete_matching(
    State(state): State<AppState>,
    auth: AuthInput,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    auth.require(&state, &[READ, "api:devicestatus:delete"]).await?;
    list::delete_where(&state, D, &list::params(raw.as_deref())).await
}
