//! Forced https: the redirect matrix (proxy header variants, Azure's `x-arr-ssl`,
//! `INSECURE_USE_HTTP`, the health exemption, methods and bodies, socket.io paths) and the
//! security headers, against a real server. Backend-independent, so run on SQLite only.

use crate::common::*;
use reqwest::{Client, Method, Response, redirect};
use serde_json::json;

async fn spawn(vars: &[(&str, &str)]) -> TestApp {
    TestApp::spawn_with(Backend::Sqlite, vars).await.expect("sqlite app")
}

/// A client that shows redirects instead of following them.
fn no_follow() -> Client {
    Client::builder().redirect(redirect::Policy::none()).build().unwrap()
}

async fn send(app: &TestApp, method: Method, path: &str, headers: &[(&str, &str)]) -> Response {
    let mut req = no_follow().request(method, app.url(path));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    req.send().await.unwrap()
}

fn location(res: &Response) -> &str {
    res.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or("")
}

fn header<'a>(res: &'a Response, name: &str) -> Option<&'a str> {
    res.headers().get(name).and_then(|v| v.to_str().ok())
}

const PROXIED_HTTP: [(&str, &str); 2] = [("x-forwarded-proto", "http"), ("x-forwarded-host", "ns.example.org")];

#[tokio::test]
async fn direct_plain_requests_are_served_when_no_tls_is_configured_so_a_local_run_just_works() {
    let app = spawn(&[("FERROSCOUT_TRUSTED_PROXIES", "1")]).await;
    let res = send(&app, Method::GET, "/api/v1/status.json", &[]).await;
    assert_eq!(res.status(), 200);
    assert_eq!(header(&res, "strict-transport-security"), Some("max-age=31536000"));
    assert_eq!(header(&res, "x-content-type-options"), Some("nosniff"));
    assert_eq!(header(&res, "referrer-policy"), Some("no-referrer"));
    assert_eq!(header(&res, "x-permitted-cross-domain-policies"), Some("none"));
    assert_eq!(header(&res, "x-frame-options"), None, "framing stays allowed, as in Nightscout");
    assert_eq!(header(&res, "x-powered-by"), None);
}

#[tokio::test]
async fn x_forwarded_proto_http_gets_a_307_to_the_same_url_on_https() {
    let app = spawn(&[("FERROSCOUT_TRUSTED_PROXIES", "1")]).await;
    let res = send(&app, Method::GET, "/api/v1/entries.json?count=2&find[sgv][$gte]=100", &PROXIED_HTTP).await;
    assert_eq!(res.status(), 307);
    assert_eq!(location(&res), "https://ns.example.org/api/v1/entries.json?count=2&find[sgv][$gte]=100");
    assert_eq!(header(&res, "strict-transport-security"), Some("max-age=31536000"));
    let dashboard = send(&app, Method::GET, "/", &PROXIED_HTTP).await;
    assert_eq!(dashboard.status(), 307);
    assert_eq!(location(&dashboard), "https://ns.example.org/");
}

#[tokio::test]
async fn proxy_header_variants_are_read_like_a_trusting_express_but_case_insensitively() {
    let app = spawn(&[("FERROSCOUT_TRUSTED_PROXIES", "1")]).await;
    for proto in ["https", "HTTPS", "https, http", "wss"] {
        let res = send(&app, Method::GET, "/api/v1/status.json", &[("x-forwarded-proto", proto)]).await;
        assert_eq!(res.status(), 200, "X-Forwarded-Proto: {proto}");
    }
    for proto in ["http", "HTTP", "http, https"] {
        let res = send(&app, Method::GET, "/api/v1/status.json", &[("x-forwarded-proto", proto)]).await;
        assert_eq!(res.status(), 307, "X-Forwarded-Proto: {proto}");
    }
    let rfc =
        send(&app, Method::GET, "/api/v1/status.json", &[("forwarded", "for=10.0.0.1;proto=http;host=ns.example.org")])
            .await;
    assert_eq!(rfc.status(), 307);
    let rfc = send(&app, Method::GET, "/api/v1/status.json", &[("forwarded", "for=10.0.0.1;proto=https")]).await;
    assert_eq!(rfc.status(), 200);
    // The proxy's Host is used when there is no X-Forwarded-Host; a port 80 is dropped.
    let res = send(&app, Method::GET, "/x", &[("x-forwarded-proto", "http"), ("host", "cgm.example.net:80")]).await;
    assert_eq!(location(&res), "https://cgm.example.net/x");
}

#[tokio::test]
async fn azure_x_arr_ssl_marks_https_and_on_app_service_its_absence_means_clear_text() {
    let app = spawn(&[("FERROSCOUT_TRUSTED_PROXIES", "1")]).await;
    let res = send(&app, Method::GET, "/api/v1/status.json", &[("x-arr-ssl", "2048|256|CN=Microsoft Azure TLS")]).await;
    assert_eq!(res.status(), 200);

    let azure = spawn(&[("WEBSITE_SITE_NAME", "mynightscout")]).await;
    let host = [("host", "mynightscout.azurewebsites.net")];
    let res = send(&azure, Method::GET, "/api/v1/status.json", &host).await;
    assert_eq!(res.status(), 307);
    assert_eq!(location(&res), "https://mynightscout.azurewebsites.net/api/v1/status.json");
    let res = send(&azure, Method::GET, "/api/v1/status.json", &[host[0], ("x-arr-ssl", "1")]).await;
    assert_eq!(res.status(), 200);
    let res = send(&azure, Method::GET, "/api/v1/status.json", &[host[0], ("x-forwarded-proto", "https")]).await;
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn the_health_and_ready_probes_answer_plain_http_without_a_redirect() {
    let app = spawn(&[("WEBSITE_SITE_NAME", "mynightscout")]).await;
    let res = send(&app, Method::GET, "/health", &PROXIED_HTTP).await;
    assert_eq!(res.status(), 200);
    let (_, body) = status_json(res).await;
    assert_eq!(body, json!({"status": "ok"}));
    assert_eq!(send(&app, Method::GET, "/health", &[]).await.status(), 200);
    assert_eq!(send(&app, Method::GET, "/healthz", &[]).await.status(), 307);
    let res = send(&app, Method::GET, "/ready", &PROXIED_HTTP).await;
    assert_eq!(res.status(), 200, "a redirect would count as ready for Kubernetes");
    assert_eq!(status_json(res).await.1["status"], "ready");
    assert_eq!(send(&app, Method::GET, "/readyz", &[]).await.status(), 307);
}

#[tokio::test]
async fn a_plain_http_post_is_redirected_with_307_so_method_and_body_are_kept_and_nothing_is_stored() {
    let app = spawn(&[("FERROSCOUT_TRUSTED_PROXIES", "1")]).await;
    let ms = now_ms() - 60_000;
    let res = no_follow()
        .post(app.url("/api/v1/entries"))
        .header("api-secret", SECRET_SHA1)
        .header("x-forwarded-proto", "http")
        .header("x-forwarded-host", "ns.example.org")
        .json(&json!([xdrip_reading(ms, 111)]))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 307, "307, not 301/302, which would turn the POST into a GET");
    assert_eq!(location(&res), "https://ns.example.org/api/v1/entries");
    for method in [Method::PUT, Method::DELETE] {
        let res = send(&app, method.clone(), "/api/v1/entries/sgv", &PROXIED_HTTP).await;
        assert_eq!(res.status(), 307, "{method}");
    }
    let list = app.get_json("/api/v1/entries.json").await;
    assert_eq!(list.as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn socket_io_polling_and_websocket_upgrades_are_redirected_like_everything_else() {
    let app = spawn(&[("FERROSCOUT_TRUSTED_PROXIES", "1")]).await;
    let res = send(&app, Method::GET, "/socket.io/?EIO=4&transport=polling&t=abc", &PROXIED_HTTP).await;
    assert_eq!(res.status(), 307);
    assert_eq!(location(&res), "https://ns.example.org/socket.io/?EIO=4&transport=polling&t=abc");
    let res = send(&app, Method::POST, "/socket.io/?EIO=3&transport=polling&sid=x", &PROXIED_HTTP).await;
    assert_eq!(res.status(), 307);
    let upgrade = [
        PROXIED_HTTP[0],
        PROXIED_HTTP[1],
        ("connection", "Upgrade"),
        ("upgrade", "websocket"),
        ("sec-websocket-version", "13"),
        ("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ=="),
    ];
    let res = send(&app, Method::GET, "/socket.io/?EIO=4&transport=websocket", &upgrade).await;
    assert_eq!(res.status(), 307);
}

#[tokio::test]
async fn insecure_use_http_turns_the_redirect_and_hsts_off() {
    let app = spawn(&[("INSECURE_USE_HTTP", "true")]).await;
    let res = send(&app, Method::GET, "/api/v1/status.json", &PROXIED_HTTP).await;
    assert_eq!(res.status(), 200);
    assert_eq!(header(&res, "strict-transport-security"), None);
    assert_eq!(header(&res, "x-content-type-options"), Some("nosniff"));
    let ms = now_ms() - 60_000;
    let res = app
        .authed(Method::POST, "/api/v1/entries")
        .header("x-forwarded-proto", "http")
        .json(&json!([xdrip_reading(ms, 150)]))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    // As in Nightscout, an unknown spelling keeps the default (redirect on).
    let yes = spawn(&[("INSECURE_USE_HTTP", "yes")]).await;
    assert_eq!(send(&yes, Method::GET, "/api/v1/status.json", &PROXIED_HTTP).await.status(), 307);
}

#[tokio::test]
async fn hsts_follows_the_secure_hsts_header_settings() {
    let app = spawn(&[("SECURE_HSTS_HEADER_INCLUDESUBDOMAINS", "true"), ("SECURE_HSTS_HEADER_PRELOAD", "on")]).await;
    let res = send(&app, Method::GET, "/api/v1/status.json", &[("x-forwarded-proto", "https")]).await;
    assert_eq!(header(&res, "strict-transport-security"), Some("max-age=31536000; includeSubDomains; preload"));
    let off = spawn(&[("SECURE_HSTS_HEADER", "false")]).await;
    let res = send(&off, Method::GET, "/api/v1/status.json", &[("x-forwarded-proto", "https")]).await;
    assert_eq!(header(&res, "strict-transport-security"), None);
    assert_eq!(send(&off, Method::GET, "/", &PROXIED_HTTP).await.status(), 307, "HSTS off keeps the redirect");
}

#[tokio::test]
async fn a_redirect_for_a_request_with_a_bogus_host_is_a_400_never_a_500() {
    let app = spawn(&[("FERROSCOUT_TRUSTED_PROXIES", "1")]).await;
    for host in ["evil.example/path", "a:b:c", "[::1", "x:99999"] {
        let res = send(&app, Method::GET, "/", &[("x-forwarded-proto", "http"), ("x-forwarded-host", host)]).await;
        assert_eq!(res.status(), 400, "host {host}");
    }
}

#[tokio::test]
async fn a_forged_x_forwarded_host_does_not_steer_the_redirect_without_a_trusted_proxy() {
    let app = spawn(&[]).await;
    let res = send(
        &app,
        Method::GET,
        "/api/v1/status.json",
        &[("x-forwarded-proto", "http"), ("x-forwarded-host", "evil.example"), ("host", "ns.example.org")],
    )
    .await;
    assert_eq!(res.status(), 307);
    assert_eq!(location(&res), "https://ns.example.org/api/v1/status.json");
}
