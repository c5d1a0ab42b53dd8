//! `/api/v1/status` (`lib/api/status.js`), `/verifyauth` (`lib/api/verifyauth.js`) and
//! `/experiments/test` (Loop's and xDrip4iOS's credential check). Spec sections 1.8-1.9.

use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::http::{HeaderMap, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Router};
use serde_json::{Value, json};

use crate::api::caller::AuthInput;
use crate::api::format::{Format, PathFormat, negotiate};
use crate::api::json::{self, Json};
use crate::api::permit::{Allowed, DebugTest, StatusRead};
use crate::api::query_string;
use crate::app::AppState;
use crate::config::public::status_json;
use crate::error::{ApiError, ApiResult};

const OFFERED: &[Format] = &[Format::Html, Format::Png, Format::Svg, Format::Js, Format::Txt, Format::Json];
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/status", get(status))
        .route("/verifyauth", get(verifyauth))
        .route("/experiments/test", get(experiments_test))
}

async fn status(
    State(state): State<AppState>,
    _: Allowed<StatusRead>,
    path: Option<Extension<PathFormat>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> ApiResult<Response> {
    // `authorized`: `?token=` (or `?secret=` holding a token) exchanged for a JWT, else null.
    let q = query_string::parse(query.as_deref().unwrap_or_default());
    let presented = [query_string::first_str(&q, "token"), query_string::first_str(&q, "secret")]
        .into_iter()
        .flatten()
        .find(|t| !t.is_empty());
    let authorized = match presented {
        Some(t) => state.auth.authorize(t).await.unwrap_or(Value::Null),
        None => Value::Null,
    };
    let info = || {
        let mut v = with_bridges(&state);
        v["authorized"] = authorized.clone();
        v
    };
    let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok());
    let format = negotiate(path.map(|e| e.0), accept, OFFERED).ok_or(ApiError::NotAcceptable)?;
    Ok(match format {
        Format::Html => Html("<h1>STATUS OK</h1>").into_response(),
        // `res.redirect(url)`: a 302 to the plain-http badge, as Nightscout writes it.
        Format::Png => found("http://img.shields.io/badge/Nightscout-OK-green.png"),
        Format::Svg => found("http://img.shields.io/badge/Nightscout-OK-green.svg"),
        Format::Txt => "STATUS OK".into_response(),
        Format::Js => (
            [(header::CONTENT_TYPE, "application/javascript; charset=utf-8")],
            format!("this.serverSettings = {} ;", json::to_string(&info())),
        )
            .into_response(),
        _ => Json(info()).into_response(),
    })
}

/// `status_json` plus, when any vendor-cloud bridge is configured, their health (`bridges`).
fn with_bridges(state: &AppState) -> Value {
    let mut v = status_json(&state.config, state.store.backend());
    if state.bridges.any() {
        v["bridges"] = state.bridges.status(crate::domain::time::now_ms());
    }
    v
}

/// Express' `res.redirect(url)`: 302 with a short text body.
fn found(url: &'static str) -> Response {
    (StatusCode::FOUND, [(header::LOCATION, url)], format!("Found. Redirecting to {url}")).into_response()
}

/// Always 200; the answer is nested under `message`.
async fn verifyauth(State(state): State<AppState>, auth: AuthInput) -> Json<Value> {
    let message = match auth.resolve(&state).await {
        Ok(c) => {
            let can_read = c.can("*:*:read");
            json!({
                "canRead": can_read,
                "canWrite": c.can("*:*:write"),
                "isAdmin": c.can("*:*:admin"),
                "message": if can_read && !c.from_defaults { "OK" } else { "UNAUTHORIZED" },
                "rolefound": if c.subject.is_some() { "FOUND" } else { "NOTFOUND" },
                "permissions": if c.from_defaults { "DEFAULT" } else { "ROLE" },
            })
        }
        Err(_) => json!({
            "canRead": false, "canWrite": false, "isAdmin": false,
            "message": "UNAUTHORIZED", "rolefound": "NOTFOUND", "permissions": "ROLE",
        }),
    };
    Json(json!({"status": 200, "message": message}))
}

async fn experiments_test(_: Allowed<DebugTest>) -> ApiResult<Json<Value>> {
    Ok(Json(json!({"status": "ok"})))
}
