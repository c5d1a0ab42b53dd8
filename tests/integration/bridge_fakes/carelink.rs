//! A fake Medtronic CareLink: the SSO login form, the login post (cookies only for the right
//! password), the consent step setting `auth_tmp_token`, the session facts of a care partner
//! following one patient, and the BLE data endpoint the country settings name.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};

use super::Shared;

pub const PATIENT: &str = "kid";
pub const CARER: &str = "carer";

pub fn router(shared: Shared) -> Router {
    Router::new()
        .route("/patient/sso/login", get(login_page))
        .route("/mmcl/auth/login", post(login))
        .route("/mmcl/auth/consent", post(consent))
        .route(
            "/patient/users/me",
            get(|s: State<Shared>, h: HeaderMap| authed(s, h, json!({"role": "CARE_PARTNER_OUS"}))),
        )
        .route(
            "/patient/users/me/profile",
            get(|s: State<Shared>, h: HeaderMap| authed(s, h, json!({"username": CARER}))),
        )
        .route("/patient/countries/settings", get(settings))
        .route(
            "/patient/configuration/system/personal.cp.m2m.enabled",
            get(|s: State<Shared>, h: HeaderMap| authed(s, h, json!({"value": true}))),
        )
        .route(
            "/patient/m2m/links/patients",
            get(|s: State<Shared>, h: HeaderMap| authed(s, h, json!([{"username": PATIENT}]))),
        )
        .route(
            "/patient/monitor/data",
            get(|s: State<Shared>, h: HeaderMap| authed(s, h, json!({"deviceFamily": "NGP"}))),
        )
        .route("/patient/connect/ble", post(ble))
        .with_state(shared)
}

fn form(body: &str) -> HashMap<String, String> {
    form_urlencoded::parse(body.as_bytes()).into_owned().collect()
}

fn token(h: &HeaderMap) -> String {
    h.get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default()
        .to_owned()
}

async fn authed(State(s): State<Shared>, h: HeaderMap, body: Value) -> Response {
    if !s.valid(&token(&h)) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    Json(body).into_response()
}

async fn login_page(Query(q): Query<HashMap<String, String>>) -> Response {
    if q.get("country").map(String::as_str) != Some("gb") {
        return StatusCode::BAD_REQUEST.into_response();
    }
    Html(
        r#"<html><body><form action="/mmcl/auth/login" method="POST">
        <input type="hidden" name="sessionID" value="S1"><input type="hidden" name="sessionData" value="D1">
        </form></body></html>"#,
    )
    .into_response()
}

async fn login(State(s): State<Shared>, body: String) -> Response {
    let f = form(&body);
    let mut v = s.lock();
    v.login_attempts += 1;
    let ok = f.get("sessionID").map(String::as_str) == Some("S1")
        && f.get("username") == Some(&v.username)
        && f.get("password") == Some(&v.password);
    if !ok {
        return Html("<html><body>Invalid user name or password</body></html>").into_response();
    }
    let page = r#"<html><form action="/mmcl/auth/consent" method="POST">
        <input type="hidden" name="sessionID" value="S2"><input type="hidden" name="sessionData" value="D2"></form></html>"#;
    ([("set-cookie", "mdt_login=yes; Path=/; HttpOnly")], Html(page)).into_response()
}

async fn consent(State(s): State<Shared>, h: HeaderMap, body: String) -> Response {
    let f = form(&body);
    let cookie = h.get("cookie").and_then(|v| v.to_str().ok()).unwrap_or_default();
    if !cookie.contains("mdt_login=yes") || f.get("action").map(String::as_str) != Some("consent") {
        return StatusCode::BAD_REQUEST.into_response();
    }
    let token = s.open_session();
    let mut res = (StatusCode::FOUND, [("location", "/patient/")]).into_response();
    let headers = res.headers_mut();
    headers.append("set-cookie", format!("auth_tmp_token={token}; Path=/").parse().unwrap());
    headers.append("set-cookie", "c_token_valid_to=Tue Dec 01 2026; Path=/".parse().unwrap());
    res
}

async fn settings(State(s): State<Shared>, h: HeaderMap, Query(q): Query<HashMap<String, String>>) -> Response {
    let body = json!({"blePereodicDataEndpoint": "/patient/connect/ble", "country": q.get("countryCode")});
    authed(State(s), h, body).await
}

fn iso(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms).unwrap().format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

async fn ble(State(s): State<Shared>, h: HeaderMap, Json(body): Json<Value>) -> Response {
    if !s.valid(&token(&h)) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    s.lock().notes.push(body.to_string());
    if let Err(code) = s.data_call(Default::default()) {
        return StatusCode::from_u16(code).unwrap().into_response();
    }
    let mut rows = s.lock().readings.clone();
    rows.sort_by_key(|(t, _)| *t);
    let mut sgs: Vec<Value> = rows.iter().map(|(t, v)| json!({"sg": v, "datetime": iso(*t), "kind": "SG"})).collect();
    if let Some((t, _)) = rows.first() {
        // A slot without a reading, as CareLink lists it.
        sgs.insert(0, json!({"sg": 0, "datetime": iso(t - 300_000), "kind": "SG"}));
    }
    let last = rows.last().map(|(t, v)| json!({"sg": v, "datetime": iso(*t)}));
    Json(json!({"medicalDeviceFamily": "NGP", "lastConduitDateTime": "2026-12-01T10:00:00.000+00:00",
                "lastSG": last, "lastSGTrend": "UP", "sgs": sgs, "markers": []}))
    .into_response()
}
