//! `/api/v1/profile`, `/profiles`, `/profile/current` (`lib/api/profile/index.js`,
//! `lib/server/profile.js`; spec 1.6).

use crate::api::json::Json;
use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get};
use serde_json::{Value, json};

use super::list;
use crate::api::permit::{Allowed, AllowedBody, ProfileCreate, ProfileDelete, ProfileRead, ProfileUpdate};
use crate::app::AppState;
use crate::domain::Collection;
use crate::domain::documents::docs_of;
use crate::domain::filter::{Dir, Filter, Query, valid_path};
use crate::error::{ApiError, ApiResult};

/// Nightscout's JSON limit for profiles.
const BODY_LIMIT: usize = 1024 * 1024;
const DEFAULT_COUNT: u64 = 10;
const P: Collection = Collection::Profile;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/profile", get(list_all).post(create).put(update))
        .route("/profiles", get(list_profiles))
        .route("/profile/current", get(current))
        .route("/profile/{id}", delete(delete_id))
        .layer(axum::extract::DefaultBodyLimit::max(BODY_LIMIT))
}

fn newest(filter: Filter, limit: Option<u64>) -> Query {
    Query::new(filter).sort("startDate", Dir::Desc).sort("_id", Dir::Desc).limit(limit)
}

/// Spec 1.6 GET `/profile`: every profile, newest `startDate` first, `count` (10), no window.
async fn list_all(
    State(state): State<AppState>,
    _: Allowed<ProfileRead>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    let params = list::params(raw.as_deref());
    let docs = state.store.find(P, &newest(Filter::All, list::count(&params, DEFAULT_COUNT))).await?;
    Ok(Json(docs).into_response())
}

/// Spec 1.6 GET `/profiles`: `find` on `startDate` with the default window, `sort[x]=1|-1`.
async fn list_profiles(
    State(state): State<AppState>,
    _: Allowed<ProfileRead>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    let params = list::params(raw.as_deref());
    let filter = list::find_filter(&state, P, &params)?;
    let limit = list::count(&params, DEFAULT_COUNT);
    let q = match params.get("sort").and_then(Value::as_object) {
        Some(sort) => {
            let mut q = Query::new(filter).limit(limit);
            for (field, dir) in sort {
                if !valid_path(field) {
                    return Err(ApiError::bad_request("Bad query", format!("Invalid sort field {field:?}")));
                }
                q = q.sort(field, if dir.as_str() == Some("-1") { Dir::Desc } else { Dir::Asc });
            }
            q
        }
        None => newest(filter, limit),
    };
    Ok(Json(state.store.find(P, &q).await?).into_response())
}

/// Spec 1.6 GET `/profile/current`: the newest profile object, or `null`.
async fn current(State(state): State<AppState>, _: Allowed<ProfileRead>) -> ApiResult<Response> {
    let mut docs = state.store.find(P, &newest(Filter::All, Some(1))).await?;
    Ok(Json(docs.pop().map_or(Value::Null, Value::Object)).into_response())
}

/// Spec 1.6 POST: object or array, `_id` checked, `created_at` added, inserted (no dedup).
async fn create(State(state): State<AppState>, req: AllowedBody<ProfileCreate>) -> ApiResult<Response> {
    Ok(Json(state.writer.create_profiles(docs_of(req.body)).await?).into_response())
}

/// Spec 1.6 PUT: one object, replaced by `_id` (inserted when new or without `_id`).
async fn update(State(state): State<AppState>, req: AllowedBody<ProfileUpdate>) -> ApiResult<Response> {
    let Value::Object(doc) = req.body else {
        return Err(ApiError::bad_request("Bad request body", "PUT /profile takes one profile object"));
    };
    let docs = vec![doc];
    crate::write::check_given_ids(&docs)?;
    let mut saved = state.writer.save_dated(P, docs).await?;
    Ok(Json(saved.pop()).into_response())
}

/// Spec 1.6 DELETE `/profile/{id}` → `{}`.
async fn delete_id(
    State(state): State<AppState>,
    _: Allowed<ProfileDelete>,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    state.writer.delete_by_object_id(P, &id).await?;
    Ok(Json(json!({})).into_response())
}
