//! `/api/v1/activity` (`lib/api/activity/index.js`, `lib/server/activity.js`; spec 1.7).

use crate::api::json::Json;
use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get};
use serde_json::{Value, json};

use super::list;
use crate::api::permit::{ActivityCreate, ActivityDelete, ActivityRead, ActivityUpdate, Allowed, AllowedBody};
use crate::app::AppState;
use crate::domain::Collection;
use crate::domain::documents::docs_of;
use crate::error::{ApiError, ApiResult};

/// The effective JSON limit for activity in Nightscout (the default body parser).
const BODY_LIMIT: usize = 100 * 1024;
const A: Collection = Collection::Activity;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/activity", get(list_activity).post(create).put(update))
        .route("/activity/{id}", delete(delete_id))
        .layer(axum::extract::DefaultBodyLimit::max(BODY_LIMIT))
}

/// Spec 1.7 GET: `find` on `created_at` with the default window, newest first, no default count.
async fn list_activity(
    State(state): State<AppState>,
    _: Allowed<ActivityRead>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    let params = list::params(raw.as_deref());
    let filter = list::find_filter(&state, A, &params)?;
    let docs = state.store.find(A, &list::newest_first(A, filter, list::count(&params, 0))).await?;
    Ok(Json(docs).into_response())
}

/// Spec 1.7 POST (xDrip+ steps and heart rate): object or array, `_id` checked, `created_at`
/// defaulted; a known `_id` is replaced, others inserted.
async fn create(State(state): State<AppState>, req: AllowedBody<ActivityCreate>) -> ApiResult<Response> {
    Ok(Json(state.writer.save_dated(A, docs_of(req.body)).await?).into_response())
}

/// Spec 1.7 PUT: one object, replaced by `_id`.
async fn update(State(state): State<AppState>, req: AllowedBody<ActivityUpdate>) -> ApiResult<Response> {
    let Value::Object(doc) = req.body else {
        return Err(ApiError::bad_request("Bad request body", "PUT /activity takes one activity object"));
    };
    let docs = vec![doc];
    crate::write::check_given_ids(&docs)?;
    let mut saved = state.writer.save_dated(A, docs).await?;
    Ok(Json(saved.pop()).into_response())
}

/// Spec 1.7 DELETE `/activity/{id}` → `{}`.
async fn delete_id(
    State(state): State<AppState>,
    _: Allowed<ActivityDelete>,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    state.writer.delete_by_object_id(A, &id).await?;
    Ok(Json(json!({})).into_response())
}
