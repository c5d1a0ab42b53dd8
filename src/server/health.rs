//! `GET /health`: a liveness probe for platforms (Docker `HEALTHCHECK`, App Service Health check,
//! Kubernetes). Answered over plain http even when https is forced, and at `/health` even with a
//! `BASE_PATH`. It does not touch the store: a database outage is reported by the API itself (503).

use crate::api::json::Json;
use serde_json::{Value, json};

pub async fn health() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}
