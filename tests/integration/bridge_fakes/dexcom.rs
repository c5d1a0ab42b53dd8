//! A fake Dexcom Share (`ShareWebServices`): publisher login in two steps, then the latest
//! glucose values; errors in Share's shape (`{"Code", "Message"}`, HTTP 500).

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{Value, json};

use super::Shared;

pub const APPLICATION_ID: &str = "d89443d2-327c-4a6f-89e5-496bbb0317db";
const ACCOUNT_ID: &str = "8a5f7c3e-1111-4c2d-9e0f-123456789abc";

fn share_error(code: &str) -> Response {
    (StatusCode::INTERNAL_SERVER_ERROR, Json(json!({"Code": code, "Message": format!("{code} (fake)")})))
        .into_response()
}

pub fn router(shared: Shared) -> Router {
    Router::new()
        .route("/ShareWebServices/Services/General/AuthenticatePublisherAccount", post(authenticate))
        .route("/ShareWebServices/Services/General/LoginPublisherAccountById", post(login))
        .route("/ShareWebServices/Services/Publisher/ReadPublisherLatestGlucoseValues", post(latest))
        .with_state(shared)
}

async fn authenticate(State(s): State<Shared>, Json(body): Json<Value>) -> Response {
    let mut v = s.lock();
    v.login_attempts += 1;
    if body["applicationId"] != APPLICATION_ID {
        return share_error("InvalidArgument");
    }
    if body["accountName"] != v.username.as_str() || body["password"] != v.password.as_str() {
        return share_error("AccountPasswordInvalid");
    }
    Json(json!(ACCOUNT_ID)).into_response()
}

async fn login(State(s): State<Shared>, Json(body): Json<Value>) -> Response {
    {
        let v = s.lock();
        if body["accountId"] != ACCOUNT_ID || body["password"] != v.password.as_str() {
            return Json(json!("00000000-0000-0000-0000-000000000000")).into_response();
        }
    }
    Json(json!(s.open_session())).into_response()
}

async fn latest(State(s): State<Shared>, Query(q): Query<HashMap<String, String>>) -> Response {
    let session = q.get("sessionID").cloned().unwrap_or_default();
    if !s.valid(&session) {
        return share_error("SessionIdNotFound");
    }
    let minutes: i64 = q.get("minutes").and_then(|m| m.parse().ok()).unwrap_or(1440);
    let max: usize = q.get("maxCount").and_then(|m| m.parse().ok()).unwrap_or(1);
    match s.data_call(q) {
        Err(401) => return share_error("SessionIdNotFound"),
        Err(429) => {
            let wait = s.lock().retry_after_s.to_string();
            return (StatusCode::TOO_MANY_REQUESTS, [("retry-after", wait)], "slow down").into_response();
        }
        Err(code) => return StatusCode::from_u16(code).unwrap().into_response(),
        Ok(()) => {}
    }
    let now = crate::common::now_ms();
    let mut rows: Vec<(i64, i64)> =
        s.lock().readings.iter().copied().filter(|(t, _)| *t >= now - minutes * 60_000).collect();
    rows.sort_by_key(|(t, _)| std::cmp::Reverse(*t));
    rows.truncate(max);
    let out: Vec<Value> = rows
        .iter()
        .map(|(t, sgv)| {
            json!({"WT": format!("/Date({t})/"), "ST": format!("/Date({t})/"), "DT": format!("/Date({t}+0100)/"),
                   "Value": sgv, "Trend": "Flat"})
        })
        .collect();
    Json(out).into_response()
}
