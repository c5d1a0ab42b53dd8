//! Contract: bad input never costs more than it should. Each limit answers with a clear 4xx
//! in Nightscout's error shape, on both backends.

use crate::common::*;
use reqwest::Method;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

contract!(
    an_anonymous_post_is_refused_before_its_body_is_read,
    a_post_with_a_wrong_header_secret_is_refused_before_its_body_is_read,
    a_small_body_may_still_carry_the_secret,
    a_huge_times_brace_pattern_is_a_400_not_a_gigabyte,
    thousands_of_in_alternatives_work_and_too_many_are_a_400,
    a_regex_is_validated_with_its_options,
    a_nul_in_a_field_name_is_a_400,
    a_backfill_over_16_mib_is_stored_whole,
);

/// Sends a request head announcing `length` body bytes, then only a few; the answer's head.
async fn head_only(app: &TestApp, head: &str) -> String {
    let addr = app.base.trim_start_matches("http://");
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(head.as_bytes()).await.unwrap();
    s.write_all(b"[{\"sgv\":").await.unwrap();
    let mut buf = vec![0u8; 4096];
    // A hang guard, not a timed assertion: a server that waited for the body would never answer.
    let n =
        tokio::time::timeout(std::time::Duration::from_secs(30), s.read(&mut buf)).await.expect("an answer").unwrap();
    String::from_utf8_lossy(&buf[..n]).into_owned()
}

async fn an_anonymous_post_is_refused_before_its_body_is_read(app: TestApp) {
    let head = "POST /api/v1/entries HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 48000000\r\n\r\n";
    let answer = head_only(&app, head).await;
    assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");
    assert!(answer.contains("Invalid/Missing"), "{answer}");
}

async fn a_post_with_a_wrong_header_secret_is_refused_before_its_body_is_read(app: TestApp) {
    let head = "POST /api/v1/treatments HTTP/1.1\r\nHost: x\r\napi-secret: 0000000000000000000000000000000000000000\r\nContent-Type: application/json\r\nContent-Length: 48000000\r\n\r\n";
    let answer = head_only(&app, head).await;
    assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");
}

async fn a_small_body_may_still_carry_the_secret(app: TestApp) {
    let mut r = xdrip_reading(now_ms() - 60_000, 101);
    r["secret"] = json!(SECRET_SHA1);
    let res = app.req(Method::POST, "/api/v1/entries").json(&json!([r])).send().await.unwrap();
    let (status, body) = status_json(res).await;
    assert_eq!(status, 200, "{body}");
    assert!(body[0].get("secret").is_none(), "the credential is taken out of the body");
    // Over the unauthenticated read limit (1 MiB): refused, not read whole.
    let many: Vec<_> = (0..6_000).map(|i| xdrip_reading(now_ms() - 60_000 * i, 100)).collect();
    let mut many = serde_json::Value::Array(many);
    many[0]["secret"] = json!(SECRET_SHA1);
    let res = app.req(Method::POST, "/api/v1/entries").json(&many).send().await.unwrap();
    assert_eq!(res.status(), 401);
}

async fn a_huge_times_brace_pattern_is_a_400_not_a_gigabyte(app: TestApp) {
    let list = vec!["1"; 5_000].join(",");
    let path = format!("/api/v1/times/2026/{{{list}}}{{{list}}}.json");
    let (status, body) = status_json(app.req(Method::GET, &path).send().await.unwrap()).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["status"], 400);
}

async fn thousands_of_in_alternatives_work_and_too_many_are_a_400(app: TestApp) {
    app.post_entries(json!([xdrip_reading(now_ms() - 60_000, 150)])).await;
    // As one JSON-encoded `find` (see `list::params`), so the URL stays short.
    let query = |n: usize| {
        let vals: Vec<String> = (0..n).map(|i| (100 + i).to_string()).collect();
        format!("find=%7B%22sgv%22%3A%7B%22%24in%22%3A%5B{}%5D%7D%7D", vals.join("%2C"))
    };
    let list = app.get_json(&format!("/api/v1/entries.json?{}", query(3_000))).await;
    assert_eq!(list.as_array().unwrap().len(), 1, "3,000 alternatives (SQLite's depth limit is 1,000)");
    let ors = (0..1_500).map(|i| format!("find[$or][{i}][sgv]={}", 100 + i)).collect::<Vec<_>>().join("&");
    let res = app.req(Method::GET, &format!("/api/v1/entries.json?{ors}")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let res = app.req(Method::GET, &format!("/api/v1/entries.json?{}", query(6_000))).send().await.unwrap();
    assert_eq!(res.status(), 400, "over the 5,000 alternatives limit");
}

async fn a_regex_is_validated_with_its_options(app: TestApp) {
    // `[ ]` is a class holding a space; with `x` the space is ignored and the class is empty.
    let path = "/api/v1/treatments.json?find[notes][$regex]=%5B%20%5D&find[notes][$options]=x";
    let (status, body) = status_json(app.req(Method::GET, path).send().await.unwrap()).await;
    assert_eq!(status, 400, "{body}");
    let ok = "/api/v1/treatments.json?find[notes][$regex]=%5B%20%5D";
    assert_eq!(app.req(Method::GET, ok).send().await.unwrap().status(), 200);
}

async fn a_nul_in_a_field_name_is_a_400(app: TestApp) {
    let body = "[{\"date\": 1700000000000, \"sg\\u0000v\": 100}]";
    let res = app
        .authed(Method::POST, "/api/v1/entries")
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    let (status, err) = status_json(res).await;
    assert_eq!(status, 400, "{err}");
    assert_eq!(err["status"], 400);
}

async fn a_backfill_over_16_mib_is_stored_whole(app: TestApp) {
    // 60 readings with 400 KB each: 24 MB, over MongoDB's 16 MiB command limit.
    let pad = "x".repeat(400_000);
    let now = now_ms();
    let docs: Vec<_> = (0..60)
        .map(|i| {
            let mut r = xdrip_reading(now - 60_000 * (i + 1), 100);
            r["note"] = json!(pad);
            r
        })
        .collect();
    let res = app.authed(Method::POST, "/api/v1/entries").json(&docs).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let list = app.get_json("/api/v1/entries.json?count=100").await;
    assert_eq!(list.as_array().unwrap().len(), 60);
}
