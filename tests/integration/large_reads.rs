//! Large answers (`count=0`: every document, as Nightscout gives it to backup scripts) are
//! streamed from the store a page at a time, with the bytes a whole answer has, and only a few
//! run at once: over the limit a read waits, then gets a 503 with `Retry-After`.

use std::time::Duration;

use crate::common::*;
use reqwest::Method;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

contract!(
    count_zero_returns_every_entry_with_the_bytes_of_whole_answers,
    count_zero_returns_every_treatment_and_devicestatus,
);

/// More than the streaming threshold (1,000), a reading a minute: all within the cache's 2 days.
const MANY: i64 = 1_500;

/// Puts `docs` into the entries: through the API on SQLite; on MongoDB straight into the
/// collection, as an existing Nightscout database holds them (SecantusDB, the test server,
/// scans the whole collection for each upsert, which would make a large upload minutes long).
async fn seed_entries(app: &TestApp, docs: Vec<Value>) {
    match &app.mongo_uri {
        None => {
            app.post_entries(Value::Array(docs)).await;
        }
        Some(uri) => {
            let client = mongodb::Client::with_uri_str(uri).await.unwrap();
            let coll = client.default_database().unwrap().collection::<mongodb::bson::Document>("entries");
            let docs: Vec<mongodb::bson::Document> =
                docs.iter().map(|d| mongodb::bson::to_document(d).unwrap()).collect();
            coll.insert_many(docs).await.unwrap();
        }
    }
}

async fn text(app: &TestApp, path: &str) -> String {
    let res = app.req(Method::GET, path).send().await.unwrap();
    assert_eq!(res.status(), 200, "GET {path}");
    res.text().await.unwrap()
}

/// The inside of a JSON array's text: `[a,b]` -> `a,b`.
fn inner(s: &str) -> &str {
    &s[1..s.len() - 1]
}

async fn count_zero_returns_every_entry_with_the_bytes_of_whole_answers(app: TestApp) {
    assert_eq!(app.get_json("/api/v1/entries.json?count=0").await, json!([]), "nothing yet: an empty list");
    let now = now_ms();
    let docs: Vec<Value> = (0..MANY).map(|i| xdrip_reading(now - 60_000 * (i + 1), 80 + i % 200)).collect();
    seed_entries(&app, docs).await;
    // A `find` keeps Nightscout's cache (and its `mills`) out of all three answers.
    let all = text(&app, "/api/v1/entries.json?find[date][$gte]=0&count=0").await;
    let first = text(&app, "/api/v1/entries.json?find[date][$gte]=0&count=1000").await;
    let list: Value = serde_json::from_str(&first).unwrap();
    let oldest = list[999]["date"].as_i64().unwrap();
    let rest = text(&app, &format!("/api/v1/entries.json?find[date][$lt]={oldest}&count=1000")).await;
    assert_eq!(all, format!("[{},{}]", inner(&first), inner(&rest)), "the streamed bytes are the whole answers'");
    let all: Value = serde_json::from_str(&all).unwrap();
    assert_eq!(all.as_array().unwrap().len(), MANY as usize);
    // Without `find`, a huge count Nightscout answers from its cache carries `mills`; count=0 does not.
    let cached = app.get_json("/api/v1/entries.json?count=1500").await;
    assert_eq!(cached.as_array().unwrap().len(), 1500);
    assert!(cached.as_array().unwrap().iter().all(|e| e["mills"] == e["date"]), "cached entries carry mills");
    let every = app.get_json("/api/v1/entries/sgv.json?count=0").await;
    assert_eq!(every.as_array().unwrap().len(), MANY as usize);
    assert!(every[0].get("mills").is_none());
    // Text formats stream too: one row per entry.
    let tsv = text(&app, "/api/v1/entries.tsv?count=0").await;
    assert_eq!(tsv.split("\r\n").count(), MANY as usize);
}

async fn count_zero_returns_every_treatment_and_devicestatus(app: TestApp) {
    let now = now_ms();
    let n = 1_100;
    let treatments: Vec<Value> = (0..n)
        .map(|i| json!({"eventType": "Correction Bolus", "insulin": 0.5, "created_at": iso(now - 60_000 * (i + 1))}))
        .collect();
    app.write_json(Method::POST, "/api/v1/treatments", Value::Array(treatments)).await;
    let statuses: Vec<Value> =
        (0..n).map(|i| json!({"device": "openaps://rig", "created_at": iso(now - 60_000 * (i + 1))})).collect();
    app.write_json(Method::POST, "/api/v1/devicestatus", Value::Array(statuses)).await;
    let all = app.get_json("/api/v1/treatments.json?count=0").await;
    let all = all.as_array().unwrap();
    assert_eq!(all.len(), n as usize);
    assert_eq!(all[0]["insulin"], 0.5, "read back as Nightscout does");
    assert!(all.windows(2).all(|w| w[0]["created_at"].as_str() > w[1]["created_at"].as_str()), "newest first");
    let res = app.req(Method::GET, "/api/v1/treatments.json?count=0").send().await.unwrap();
    assert!(res.headers().contains_key("last-modified"));
    let all = app.get_json("/api/v1/devicestatus.json?count=0").await;
    assert_eq!(all.as_array().unwrap().len(), n as usize);
}

/// A client that asks for every entry and then reads nothing, with a tiny receive window: its
/// answer cannot finish, so it holds its large-read slot until it closes.
async fn stalled_reader(app: &TestApp) -> tokio::net::TcpStream {
    let sock = tokio::net::TcpSocket::new_v4().unwrap();
    sock.set_recv_buffer_size(4096).unwrap();
    let mut s = sock.connect(app.base.trim_start_matches("http://").parse().unwrap()).await.unwrap();
    s.write_all(b"GET /api/v1/entries.json?count=0 HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap();
    let mut head = [0u8; 16];
    tokio::time::timeout(Duration::from_secs(30), s.read_exact(&mut head)).await.expect("an answer").unwrap();
    assert!(head.starts_with(b"HTTP/1.1 200"), "{}", String::from_utf8_lossy(&head));
    s
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_read_over_the_limit_waits_then_gets_a_503_and_the_slot_comes_back() {
    for backend in [Backend::Sqlite, Backend::Mongo] {
        let vars = [("FERROSCOUT_MAX_LARGE_READS", "1"), ("FERROSCOUT_LARGE_READ_WAIT", "0.2")];
        let Some(app) = TestApp::spawn_with(backend, &vars).await else { continue };
        // 1,001 entries of 4 KB: more than the socket buffers hold.
        let pad = "x".repeat(4_000);
        let now = now_ms();
        let docs: Vec<Value> = (0..1_001)
            .map(|i| {
                let mut r = xdrip_reading(now - 60_000 * (i + 1), 100);
                r["note"] = json!(pad);
                r
            })
            .collect();
        seed_entries(&app, docs).await;
        let stalled = stalled_reader(&app).await;
        let res = app.req(Method::GET, "/api/v1/entries.json?count=0").send().await.unwrap();
        assert_eq!(res.status(), 503);
        assert_eq!(res.headers()["retry-after"], "5");
        let (_, body) = status_json(res).await;
        assert_eq!(body["message"], "Service Unavailable", "{body}");
        // Small reads are not held up.
        assert_eq!(app.get_json("/api/v1/entries.json?count=10").await.as_array().unwrap().len(), 10);
        drop(stalled);
        let mut served = false;
        for _ in 0..200 {
            let res = app.req(Method::GET, "/api/v1/entries.json?count=0").send().await.unwrap();
            if res.status() == 200 {
                assert_eq!(res.json::<Value>().await.unwrap().as_array().unwrap().len(), 1_001);
                served = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert!(served, "the slot came back when the stalled reader went away");
    }
}
