//! `GET /health`: a liveness probe for platforms (Docker `HEALTHCHECK`, App Service Health check,
//! Kubernetes). Answered over plain http even when https is forced, and at `/health` even with a
//! `BASE_PATH`. It does not touch the store: a database outage is reported by the API itself (503).

use crate::api::json::Json;
use serde_json::{Value, json};

pub async fn health() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// `GET /ready`: a readiness probe that asks the store, so a platform can tell "up" (`/health`)
/// from "able to serve data". 503 with `Retry-After` and what happened while the store is out.
pub async fn ready(
    axum::extract::State(state): axum::extract::State<crate::app::AppState>,
) -> crate::error::ApiResult<Json<Value>> {
    state.store.stats().await?;
    Ok(Json(json!({ "status": "ready", "storage": state.store.backend() })))
}
