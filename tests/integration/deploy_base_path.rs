//! Sub-path hosting: with `BASE_PATH=/dante` (an IIS virtual directory), the API, socket.io and
//! the dashboard live under `/dante/`; nothing is served outside it except `/health`.

use crate::common::*;
use reqwest::{Client, Method, redirect};
use serde_json::json;

async fn spawn(vars: &[(&str, &str)]) -> TestApp {
    TestApp::spawn_with(Backend::Sqlite, vars).await.expect("sqlite app")
}

fn no_follow() -> Client {
    Client::builder().redirect(redirect::Policy::none()).build().unwrap()
}

#[tokio::test]
async fn the_api_answers_under_the_base_path_with_extensions_and_writes() {
    let app = spawn(&[("BASE_PATH", "/dante/")]).await;
    let ms = now_ms() - 60_000;
    let res =
        app.authed(Method::POST, "/dante/api/v1/entries").json(&json!([xdrip_reading(ms, 140)])).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let list = app.get_json("/dante/api/v1/entries.json?count=5").await;
    assert_eq!(list[0]["sgv"], 140);
    let status = app.get_json("/dante/api/v1/status.json").await;
    assert_eq!(status["status"], "ok");
    let versions = app.get_json("/dante/api/versions").await;
    assert!(versions.is_array());
}

#[tokio::test]
async fn nothing_is_served_outside_the_base_path_except_health() {
    let app = spawn(&[("BASE_PATH", "/dante")]).await;
    for path in ["/api/v1/entries.json", "/", "/danteX/api/v1/status.json", "/socket.io/?EIO=4&transport=polling"] {
        let res = app.req(Method::GET, path).send().await.unwrap();
        assert_eq!(res.status(), 404, "{path}");
    }
    assert_eq!(app.req(Method::GET, "/health").send().await.unwrap().status(), 200);
    assert_eq!(app.req(Method::GET, "/dante/health").send().await.unwrap().status(), 200);
}

#[tokio::test]
async fn the_bare_base_path_redirects_to_its_slash_so_relative_dashboard_urls_resolve_under_it() {
    let app = spawn(&[("BASE_PATH", "/dante")]).await;
    let res = no_follow().get(app.url("/dante?lang=de")).send().await.unwrap();
    assert_eq!(res.status(), 308);
    assert_eq!(res.headers()["location"], "/dante/?lang=de");
    let page = app.req(Method::GET, "/dante/").send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("<html"), "the dashboard is served at /dante/");
    assert!(!html.contains("href=\"/api") && !html.contains("src=\"/"), "dashboard URLs must be relative");
}

#[tokio::test]
async fn the_https_redirect_keeps_the_base_path() {
    let app = spawn(&[("BASE_PATH", "/dante"), ("FERROSCOUT_TRUSTED_PROXIES", "1")]).await;
    let res = no_follow()
        .get(app.url("/dante/api/v1/entries.json?count=1"))
        .header("x-forwarded-proto", "http")
        .header("x-forwarded-host", "iis.example.org")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 307);
    assert_eq!(res.headers()["location"], "https://iis.example.org/dante/api/v1/entries.json?count=1");
    let health = no_follow().get(app.url("/dante/health")).header("x-forwarded-proto", "http").send().await.unwrap();
    assert_eq!(health.status(), 200);
}

#[tokio::test]
async fn socket_io_requests_under_the_base_path_reach_the_inner_socket_io_path() {
    // The prefix is gone before routing, so the socket.io layer (mounted at /socket.io/) sees its
    // own path and answers the Engine.IO handshake.
    let app = spawn(&[("BASE_PATH", "/dante")]).await;
    let inner = app.req(Method::GET, "/dante/socket.io/?EIO=4&transport=polling").send().await.unwrap();
    let outer = app.req(Method::GET, "/socket.io/?EIO=4&transport=polling").send().await.unwrap();
    assert_eq!(outer.status(), 404);
    assert_eq!(inner.status(), 200);
    let handshake = inner.text().await.unwrap();
    assert!(handshake.starts_with("0{") && handshake.contains("\"sid\""), "engine.io handshake: {handshake}");
}
