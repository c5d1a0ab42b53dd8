//! `GET /health`: a liveness probe for platforms (Docker `HEALTHCHECK`, App Service Health check,
//! Kubernetes). Answered over plain http even when https is forced, and at `/health` even with a
//! `BASE_PATH`. It does not touch the store: a database outage is reported by the API itself (503).

use crate::api::json::Json;
use serde_json::{Value, json};

pub async fn health() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// `GET /ready`: a readiness probe that tells "up" (`/health`) from "able to store": ready when
/// the store took the last write, with a small probe write when nothing was written for 10 s
/// (never a write per request; `store::StoreHealth`). 503 with `Retry-After` and what happened
/// while it cannot store (a full disk or database size limit too), until a write works again.
pub async fn ready(
    axum::extract::State(state): axum::extract::State<crate::app::AppState>,
) -> axum::response::Response {
    use axum::http::{StatusCode, header};
    use axum::response::IntoResponse;
    match state.health.check().await {
        Ok(ready) => {
            Json(json!({ "status": "ready", "storage": state.store.backend(), "lastWrite": ready.last_write_ms }))
                .into_response()
        }
        Err(crate::store::StoreError::Unavailable(cause)) => {
            let description = crate::error::outage_description(&cause);
            let body = json!({ "status": 503, "message": "Not ready", "description": description });
            (StatusCode::SERVICE_UNAVAILABLE, [(header::RETRY_AFTER, "5")], Json(body)).into_response()
        }
        Err(e) => crate::error::ApiError::from(e).into_response(),
    }
}
