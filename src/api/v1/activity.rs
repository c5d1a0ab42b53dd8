//! `/api/v1/activity` (`lib/api/activity/index.js`, `lib/server/activity.js`; spec 1.7).

use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get};
use axum::{Json, Router};
use serde_json::{Value, json};

use super::{docs, list};
use crate::api::body::Body;
use crate::api::caller::AuthInput;
use crate::app::AppState;
use crate::domain::Collection;
use crate::domain::documents::{default_created_at, docs_of};
use crate::domain::time::now_ms;
use crate::error::{ApiError, ApiResult};

const READ: &str = "api:activity:read";
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
async fn list_activity(State(state): State<AppState>, auth: AuthInput, RawQuery(raw): RawQuery) -> ApiResult<Response> {
    auth.require(&state, &[READ]).await?;
    let params = list::params(raw.as_deref());
    let filter = list::find_filter(&state, A, &params)?;
    let docs = state.store.find(A, &list::newest_first(A, filter, list::count(&params, 0))).await?;
    Ok(Json(docs).into_response())
}

/// Spec 1.7 POST (xDrip+ steps and heart rate): object or array, `_id` checked, `created_at`
/// defaulted; a known `_id` is replaced, others inserted.
async fn create(State(state): State<AppState>, mut auth: AuthInput, Body(mut body): Body) -> ApiResult<Response> {
    auth.take_body_credentials(&mut body);
    auth.require(&state, &[READ, "api:activity:create"]).await?;
    let mut items = docs_of(body);
    docs::check_ids(&items)?;
    let now = now_ms();
    items.iter_mut().for_each(|d| default_created_at(d, now));
    Ok(Json(docs::save_all(&state, A, items).await?).into_response())
}

/// Spec 1.7 PUT: one object, replaced by `_id`.
async fn update(State(state): State<AppState>, mut auth: AuthInput, Body(mut body): Body) -> ApiResult<Response> {
    auth.take_body_credentials(&mut body);
    auth.require(&state, &[READ, "api:activity:update"]).await?;
    let Value::Object(mut doc) = body else {
        return Err(ApiError::bad_request("Bad request body", "PUT /activity takes one activity object"));
    };
    docs::check_ids(std::slice::from_ref(&doc))?;
    default_created_at(&mut doc, now_ms());
    let mut saved = docs::save_all(&state, A, vec![doc]).await?;
    Ok(Json(saved.pop()).into_response())
}

/// Spec 1.7 DELETE `/activity/{id}` → `{}`.
async fn delete_id(State(state): State<AppState>, auth: AuthInput, Path(id): Path<String>) -> ApiResult<Response> {
    auth.require(&state, &[READ, "api:activity:delete"]).await?;
    docs::delete_by_id(&state, A, &id).await?;
    Ok(Json(json!({})).into_response())
}
