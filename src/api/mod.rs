//! The REST API: one module per area, each exporting `router()`.

use axum::Router;
use axum::routing::get;

use crate::app::AppState;
use crate::error::ApiError;

pub mod body;
pub mod caller;
pub mod format;
pub(crate) mod json;
mod kept;
mod pebble;
pub(crate) mod permit;
pub mod query_string;
pub(crate) mod snapshot;
pub(crate) mod stream;
pub(crate) mod v1;
mod v2;
mod v3;

/// `/api/versions`, `/api/v1/*`, `/api/v2/*` (which re-mounts v1, as Nightscout's does), `/api/v3/*`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/versions", get(versions))
        .nest("/api/v1", v1::router())
        .nest("/api/v2", v1::router())
        .merge(v2::router())
        .merge(v3::router())
        .merge(pebble::router())
        .route("/api/v1/{*rest}", axum::routing::any(not_found))
        .route("/api/v2/{*rest}", axum::routing::any(not_found))
}

/// `lib/api/root.js`.
async fn versions() -> crate::api::json::Json<serde_json::Value> {
    crate::api::json::Json(serde_json::json!([
        {"version": "1.0.0", "url": "/api/v1"},
        {"version": "2.0.0", "url": "/api/v2"},
        {"version": "3.0.3-alpha", "url": "/api/v3"}
    ]))
}

async fn not_found(uri: axum::http::Uri) -> ApiError {
    ApiError::NotFound(format!("no such API path: {}", uri.path()))
}
