//! A fake LibreLinkUp API: login (ticket, terms step, wrong password), connections (two patients),
//! graph; every call checks the app headers the current app sends (`version`, `product`, and
//! `Account-Id` = hex SHA-256 of the user id once logged in).

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::Shared;

pub const USER_ID: &str = "5d3c0e1a-7f00-4b2e-9a6d-2c6f1e0b9a11";
/// The patient whose readings the fake holds; the other one always reads 399.
pub const PATIENT: &str = "p-2";
pub const OTHER_PATIENT: &str = "p-1";

pub fn router(shared: Shared) -> Router {
    Router::new()
        .route("/llu/auth/login", post(login))
        .route("/llu/connections", get(connections))
        .route("/llu/connections/{id}/graph", get(graph))
        .with_state(shared)
}

fn factory(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms).unwrap().format("%-m/%-d/%Y %-I:%M:%S %p").to_string()
}

fn header<'a>(h: &'a HeaderMap, name: &str) -> &'a str {
    h.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default()
}

/// `None` when the app headers (and, with `authed`, the ticket and Account-Id) are right.
fn refuse(s: &Shared, h: &HeaderMap, authed: bool) -> Option<Response> {
    let account = hex::encode(Sha256::digest(USER_ID));
    let app_ok = header(h, "version") == "4.16.0" && header(h, "product") == "llu.android";
    let id_ok = !authed || header(h, "account-id") == account;
    if !app_ok || !id_ok {
        s.lock().refused_headers += 1;
        return Some((StatusCode::FORBIDDEN, Json(json!({"message": "RequiredHeaderMissing"}))).into_response());
    }
    let token = header(h, "authorization").strip_prefix("Bearer ").unwrap_or_default();
    if authed && !s.valid(token) {
        return Some((StatusCode::UNAUTHORIZED, Json(json!({"message": "Unauthorized"}))).into_response());
    }
    None
}

async fn login(State(s): State<Shared>, h: HeaderMap, Json(body): Json<Value>) -> Response {
    if header(&h, "version") != "4.16.0" && header(&h, "product") == "llu.android" {
        // An app older than the vendor accepts: status 920 names the minimum.
        s.lock().refused_headers += 1;
        return Json(json!({"status": 920, "data": {"minimumVersion": "4.16.0"}})).into_response();
    }
    if let Some(r) = refuse(&s, &h, false) {
        return r;
    }
    let (ok, terms) = {
        let mut v = s.lock();
        v.login_attempts += 1;
        (body["email"] == v.username.as_str() && body["password"] == v.password.as_str(), v.terms)
    };
    if !ok {
        return Json(json!({"status": 2, "error": {"message": "NotAuthenticated"}})).into_response();
    }
    if terms {
        return Json(json!({"status": 4, "data": {"step": {"type": "tou", "componentName": "AcceptDocument"},
            "user": {"id": USER_ID}, "authTicket": {"token": "limited", "expires": 0, "duration": 3600000}}}))
        .into_response();
    }
    let token = s.open_session();
    Json(json!({"status": 0, "data": {"user": {"id": USER_ID, "email": "x"}, "messages": {},
        "authTicket": {"token": token, "expires": 1_900_000_000, "duration": 3_600_000}}}))
    .into_response()
}

async fn connections(State(s): State<Shared>, h: HeaderMap) -> Response {
    if let Some(r) = refuse(&s, &h, true) {
        return r;
    }
    Json(json!({"status": 0, "data": [
        {"patientId": OTHER_PATIENT, "firstName": "Other", "lastName": "Child"},
        {"patientId": PATIENT, "firstName": "Our", "lastName": "Child"}
    ]}))
    .into_response()
}

async fn graph(State(s): State<Shared>, h: HeaderMap, Path(id): Path<String>) -> Response {
    if let Some(r) = refuse(&s, &h, true) {
        return r;
    }
    match s.data_call(Default::default()) {
        Err(401) => return (StatusCode::UNAUTHORIZED, Json(json!({"message": "Unauthorized"}))).into_response(),
        Err(429) => {
            let lockout = s.lock().retry_after_s;
            let body = json!({"status": 429, "data": {"code": 60, "data": {"failures": 3, "interval": 60, "lockout": lockout}, "message": "locked"}});
            return (StatusCode::TOO_MANY_REQUESTS, Json(body)).into_response();
        }
        Err(code) => return StatusCode::from_u16(code).unwrap().into_response(),
        Ok(()) => {}
    }
    let mut rows = s.lock().readings.clone();
    if id != PATIENT {
        rows = rows.iter().map(|(t, _)| (*t, 399)).collect();
    }
    rows.sort_by_key(|(t, _)| *t);
    let measurement = |(t, v): &(i64, i64), arrow: i64| {
        json!({"FactoryTimestamp": factory(*t), "Timestamp": factory(*t + 3_600_000), "type": 1,
               "ValueInMgPerDl": v, "Value": *v as f64 / 18.0, "TrendArrow": arrow, "isHigh": false, "isLow": false})
    };
    let current = rows.last().map(|r| measurement(r, 3));
    let history: Vec<Value> = rows.iter().take(rows.len().saturating_sub(1)).map(|r| measurement(r, 0)).collect();
    Json(json!({"status": 0, "data": {"connection": {"patientId": id, "glucoseMeasurement": current}, "graphData": history}}))
        .into_response()
}
