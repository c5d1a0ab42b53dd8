//! `/api/v1/food` (`lib/api/food/index.js`, `lib/server/food.js`; spec 1.7).

use crate::api::json::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get};
use serde_json::json;

use crate::api::permit::{Allowed, AllowedBody, FoodCreate, FoodDelete, FoodRead, FoodUpdate};
use crate::app::AppState;
use crate::domain::Collection;
use crate::domain::documents::docs_of;
use crate::domain::filter::{Dir, Filter, Query, Val};
use crate::error::ApiResult;

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

async fn read(state: &AppState, q: Query) -> ApiResult<Response> {
    Ok(Json(state.store.find(F, &q).await?).into_response())
}

/// Spec 1.7 GET `/food`: every document.
async fn list_all(State(state): State<AppState>, _: Allowed<FoodRead>) -> ApiResult<Response> {
    read(&state, Query::new(Filter::All)).await
}

/// Spec 1.7 `/food/quickpicks`: `type:'quickpick'`, `hidden:'false'` (a string), by `position`.
async fn quickpicks(State(state): State<AppState>, _: Allowed<FoodRead>) -> ApiResult<Response> {
    let f = Filter::eq("type", Val::Str("quickpick".into())).and(Filter::eq("hidden", Val::Str("false".into())));
    read(&state, Query::new(f).sort("position", Dir::Asc)).await
}

/// Spec 1.7 `/food/regular`: `type:'food'`.
async fn regular(State(state): State<AppState>, _: Allowed<FoodRead>) -> ApiResult<Response> {
    read(&state, Query::new(Filter::eq("type", Val::Str("food".into())))).await
}

/// Spec 1.7 POST: object or array, `_id` checked, `created_at` set to now. Unlike Nightscout
/// (which keys on `{_id, created_at}` and so fails on a known `_id`), a known `_id` is replaced.
async fn create(State(state): State<AppState>, req: AllowedBody<FoodCreate>) -> ApiResult<Response> {
    Ok(Json(state.writer.create_food(docs_of(req.body)).await?).into_response())
}

/// Spec 1.7 PUT: object or array, each replaced by `_id` (a new one when absent; 400 when malformed).
async fn update(State(state): State<AppState>, req: AllowedBody<FoodUpdate>) -> ApiResult<Response> {
    let docs = docs_of(req.body);
    crate::write::check_given_ids(&docs)?;
    Ok(Json(state.writer.save_all(F, docs).await?).into_response())
}

/// Spec 1.7 DELETE `/food/{id}` → `{}`.
async fn delete_id(
    State(state): State<AppState>,
    _: Allowed<FoodDelete>,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    state.writer.delete_by_object_id(F, &id).await?;
    Ok(Json(json!({})).into_response())
}
