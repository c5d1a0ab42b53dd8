//! `/api/v1/food` (`lib/api/food/index.js`, `lib/server/food.js`; spec 1.7).

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get};
use axum::{Json, Router};
use serde_json::{Value, json};

use super::docs;
use crate::api::body::Body;
use crate::api::caller::AuthInput;
use crate::app::AppState;
use crate::domain::Collection;
use crate::domain::documents::docs_of;
use crate::domain::filter::{Dir, Filter, Query, Val};
use crate::domain::time::{now_ms, to_iso_utc};
use crate::error::ApiResult;

const READ: &str = "api:food:read";
/// The effective JSON limit for food in Nightscout (the default body parser).
const BODY_LIMIT: usize = 100 * 1024;
const F: Collection = Collection::Food;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/food", get(list_all).post(create).put(update))
        .route("/food/quickpicks", get(quickpicks))
        .route("/food/regular", get(regular))
        .route("/food/{id}", delete(delete_id))
        .layer(axum::extract::DefaultBodyLimit::max(BODY_LIMIT))
}

async fn read(state: &AppState, auth: &AuthInput, q: Query) -> ApiResult<Response> {
    auth.require(state, &[READ]).await?;
    Ok(Json(state.store.find(F, &q).await?).into_response())
}

/// Spec 1.7 GET `/food`: every document.
async fn list_all(State(state): State<AppState>, auth: AuthInput) -> ApiResult<Response> {
    read(&state, &auth, Query::new(Filter::All)).await
}

/// Spec 1.7 `/food/quickpicks`: `type:'quickpick'`, `hidden:'false'` (a string), by `position`.
async fn quickpicks(State(state): State<AppState>, auth: AuthInput) -> ApiResult<Response> {
    let f = Filter::eq("type", Val::Str("quickpick".into())).and(Filter::eq("hidden", Val::Str("false".into())));
    read(&state, &auth, Query::new(f).sort("position", Dir::Asc)).await
}

/// Spec 1.7 `/food/regular`: `type:'food'`.
async fn regular(State(state): State<AppState>, auth: AuthInput) -> ApiResult<Response> {
    read(&state, &auth, Query::new(Filter::eq("type", Val::Str("food".into())))).await
}

/// Spec 1.7 POST: object or array, `_id` checked, `created_at` set to now. Unlike Nightscout
/// (which keys on `{_id, created_at}` and so fails on a known `_id`), a known `_id` is replaced.
async fn create(State(state): State<AppState>, mut auth: AuthInput, Body(mut body): Body) -> ApiResult<Response> {
    auth.take_body_credentials(&mut body);
    auth.require(&state, &[READ, "api:food:create"]).await?;
    let mut items = docs_of(body);
    docs::check_ids(&items)?;
    let now = Value::String(to_iso_utc(now_ms()).unwrap_or_default());
    items.iter_mut().for_each(|d| {
        d.insert("created_at".into(), now.clone());
    });
    Ok(Json(docs::save_all(&state, F, items).await?).into_response())
}

/// Spec 1.7 PUT: object or array, each replaced by `_id` (a new one when absent or invalid).
async fn update(State(state): State<AppState>, mut auth: AuthInput, Body(mut body): Body) -> ApiResult<Response> {
    auth.take_body_credentials(&mut body);
    auth.require(&state, &[READ, "api:food:update"]).await?;
    Ok(Json(docs::save_all(&state, F, docs_of(body)).await?).into_response())
}

/// Spec 1.7 DELETE `/food/{id}` → `{}`.
async fn delete_id(State(state): State<AppState>, auth: AuthInput, Path(id): Path<String>) -> ApiResult<Response> {
    auth.require(&state, &[READ, "api:food:delete"]).await?;
    docs::delete_by_id(&state, F, &id).await?;
    Ok(Json(json!({})).into_response())
}
