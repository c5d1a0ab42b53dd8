//! `/api/v2/authorization/*` (`lib/authorization/endpoints.js`, spec 4.4 and tokens-and-v3 §1-2):
//! the JWT exchange, and the admin API for subjects, roles and permissions.

use axum::extract::{Path, State};
use axum::routing::{delete, get};
use axum::{Json, Router};
use serde_json::{Value, json};

use crate::api::body::Body;
use crate::api::caller::AuthInput;
use crate::app::AppState;
use crate::domain::Doc;
use crate::domain::filter::is_object_id;
use crate::error::{ApiError, ApiResult};
use crate::store::AuthKind;

pub fn router() -> Router<AppState> {
    let r = Router::new()
        .route("/request/{token}", get(request))
        .route("/permissions", get(permissions))
        .route("/permissions/trie", get(permissions_trie))
        .route("/subjects", get(list_subjects).post(create_subject).put(save_subject))
        .route("/subjects/{id}", delete(delete_subject))
        .route("/roles", get(list_roles).post(create_role).put(save_role))
        .route("/roles/{id}", delete(delete_role))
        .route("/debug/check/{permission}", get(debug_check));
    Router::new().nest("/api/v2/authorization", r)
}

/// An access token (or a still-valid JWT) for a fresh JWT; no credentials needed, no delay.
async fn request(State(state): State<AppState>, Path(token): Path<String>) -> ApiResult<Json<Value>> {
    state.auth.authorize(&token).await.map(Json).ok_or_else(ApiError::unauthorized)
}

async fn permissions(State(state): State<AppState>, auth: AuthInput) -> ApiResult<Json<Value>> {
    auth.require(&state, &["admin:api:permissions:read"]).await?;
    Ok(Json(json!(state.auth.seen_permissions())))
}

async fn permissions_trie(State(state): State<AppState>, auth: AuthInput) -> ApiResult<Json<Value>> {
    auth.require(&state, &["admin:api:permissions:read"]).await?;
    Ok(Json(crate::auth::shiro::trie_json(&state.auth.seen_permissions())))
}

async fn debug_check(
    State(state): State<AppState>,
    auth: AuthInput,
    Path(permission): Path<String>,
) -> ApiResult<Json<Value>> {
    state.auth.note_permission(&permission);
    auth.require(&state, &[&permission]).await?;
    Ok(Json(json!({"check": true})))
}

/// `[{_id, name, accessToken, roles}]`, by name.
async fn list_subjects(State(state): State<AppState>, auth: AuthInput) -> ApiResult<Json<Value>> {
    auth.require(&state, &["admin:api:subjects:read"]).await?;
    let snap = state.auth.registry().fresh(crate::auth::registry::MAX_AGE).await;
    let list: Vec<Value> = snap
        .subjects
        .iter()
        .map(|s| {
            let mut o = json!({"_id": s.id, "name": s.name});
            if let Some(d) = &s.derived {
                o["accessToken"] = json!(d.access_token);
            }
            o["roles"] = json!(s.roles);
            o
        })
        .collect();
    Ok(Json(Value::Array(list)))
}

async fn list_roles(State(state): State<AppState>, auth: AuthInput) -> ApiResult<Json<Value>> {
    auth.require(&state, &["admin:api:roles:list"]).await?;
    let snap = state.auth.registry().fresh(crate::auth::registry::MAX_AGE).await;
    Ok(Json(Value::Array(snap.roles.iter().map(|r| Value::Object(r.doc.clone())).collect())))
}

async fn create_subject(State(state): State<AppState>, auth: AuthInput, body: Body) -> ApiResult<Json<Value>> {
    create(state, auth, body, AuthKind::Subjects).await
}

async fn save_subject(State(state): State<AppState>, auth: AuthInput, body: Body) -> ApiResult<Json<Value>> {
    save(state, auth, body, AuthKind::Subjects).await
}

async fn delete_subject(
    State(state): State<AppState>,
    auth: AuthInput,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    remove(state, auth, id, AuthKind::Subjects).await
}

async fn create_role(State(state): State<AppState>, auth: AuthInput, body: Body) -> ApiResult<Json<Value>> {
    create(state, auth, body, AuthKind::Roles).await
}

async fn save_role(State(state): State<AppState>, auth: AuthInput, body: Body) -> ApiResult<Json<Value>> {
    save(state, auth, body, AuthKind::Roles).await
}

async fn delete_role(State(state): State<AppState>, auth: AuthInput, Path(id): Path<String>) -> ApiResult<Json<Value>> {
    remove(state, auth, id, AuthKind::Roles).await
}

fn permission(kind: AuthKind, action: &str) -> String {
    format!("admin:api:{}:{action}", kind.suffix())
}

/// The body as a subject or role: an object with a non-empty `name` and a list of strings in
/// `roles` (subjects) or `permissions` (roles); other fields (`notes`…) are kept as sent. The
/// caller must hold `admin:api:<kind>:<action>` (checked first, credentials may be in the body).
async fn document(state: &AppState, kind: AuthKind, action: &str, mut auth: AuthInput, body: Body) -> ApiResult<Doc> {
    let Body(mut body) = body;
    auth.take_body_credentials(&mut body);
    auth.require(state, &[&permission(kind, action)]).await?;
    let Value::Object(mut doc) = body else {
        return Err(ApiError::bad_request("Bad request body", "send one JSON object"));
    };
    if doc.get("name").and_then(Value::as_str).is_none_or(|n| n.trim().is_empty()) {
        return Err(ApiError::bad_request("Bad request body", "name must be a non-empty string"));
    }
    let list = if kind == AuthKind::Subjects { "roles" } else { "permissions" };
    match doc.get(list) {
        None => {
            doc.insert(list.into(), json!([]));
        }
        Some(Value::Array(a)) if a.iter().all(Value::is_string) => {}
        Some(_) => return Err(ApiError::bad_request("Bad request body", format!("{list} must be a list of strings"))),
    }
    if !doc.contains_key("created_at") {
        let now = crate::domain::time::to_iso_utc(crate::domain::time::now_ms()).unwrap_or_default();
        doc.insert("created_at".into(), now.into());
    }
    Ok(doc)
}

/// Re-reads subjects and roles so the change is in effect for the next request.
async fn changed(state: &AppState) {
    let _ = state.auth.registry().reload().await;
}

async fn create(state: AppState, auth: AuthInput, body: Body, kind: AuthKind) -> ApiResult<Json<Value>> {
    let mut doc = document(&state, kind, "create", auth, body).await?;
    if doc.get("_id").and_then(Value::as_str).is_some_and(|id| !is_object_id(id)) {
        doc.remove("_id");
    }
    let created = state.auth.registry().store().auth().auth_insert(kind, doc).await?;
    changed(&state).await;
    Ok(Json(Value::Object(created)))
}

async fn save(state: AppState, auth: AuthInput, body: Body, kind: AuthKind) -> ApiResult<Json<Value>> {
    let doc = document(&state, kind, "update", auth, body).await?;
    match doc.get("_id") {
        None | Some(Value::Null) => return Err(ApiError::bad_request("Bad request body", "Missing _id for update")),
        Some(Value::String(id)) if is_object_id(id) => {}
        Some(other) => {
            let shown = other.as_str().map(str::to_owned).unwrap_or_else(|| other.to_string());
            return Err(ApiError::bad_request("Bad request body", format!("Invalid _id format: {shown}")));
        }
    }
    state.auth.registry().store().auth().auth_replace(kind, doc.clone()).await?;
    changed(&state).await;
    Ok(Json(Value::Object(doc)))
}

async fn remove(state: AppState, auth: AuthInput, id: String, kind: AuthKind) -> ApiResult<Json<Value>> {
    auth.require(&state, &[&permission(kind, "delete")]).await?;
    if !is_object_id(&id) {
        return Err(ApiError::bad_request("Bad request", format!("Invalid _id format: {id}")));
    }
    state.auth.registry().store().auth().auth_delete(kind, &id).await?;
    changed(&state).await;
    Ok(Json(json!({})))
}
