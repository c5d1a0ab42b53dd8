//! Batch uploads (REST v1 arrays as AndroidAPS and xDrip+ send them) are a few store round
//! trips, with Nightscout's dedup rules unchanged: entries on `date`+`type` (`sysTime`+`type`),
//! treatments on `created_at`+`eventType`, and the v3 stamps of a document written over kept.

use std::collections::HashMap;

use crate::common::*;
use reqwest::Method;
use serde_json::{Value, json};

contract!(
    a_large_entries_array_is_stored_once_and_a_resend_keeps_the_stamps,
    a_large_treatments_array_keeps_nightscout_dedup,
);

/// Large on SQLite; on SecantusDB (which scans the whole collection for each upsert statement)
/// enough for two pre-read chunks of 500.
fn size(app: &TestApp) -> i64 {
    if app.backend == Backend::Sqlite { 5_000 } else { 600 }
}

/// `identifier` -> `srvCreated` of every stored document.
async fn stamps(app: &TestApp, coll: &str) -> HashMap<String, Value> {
    let find = if coll == "entries" { "find[date][$gte]=0" } else { "find[created_at][$gte]=2000" };
    let all = app.get_json(&format!("/api/v1/{coll}.json?count=0&{find}")).await;
    let all = all.as_array().unwrap();
    let map: HashMap<String, Value> =
        all.iter().map(|d| (d["identifier"].as_str().unwrap().to_owned(), d["srvCreated"].clone())).collect();
    assert_eq!(map.len(), all.len(), "identifiers are distinct");
    map
}

async fn a_large_entries_array_is_stored_once_and_a_resend_keeps_the_stamps(app: TestApp) {
    let n = size(&app);
    let now = now_ms();
    let mut docs: Vec<Value> = (0..n).map(|i| xdrip_reading(now - 60_000 * (i + 1), 100 + i % 50)).collect();
    // The same reading twice in one upload is stored once.
    docs.push(docs[0].clone());
    let started = std::time::Instant::now();
    let echo = app.post_entries(Value::Array(docs.clone())).await;
    eprintln!("{:?}: {} entries stored in {:?}", app.backend, n, started.elapsed());
    assert_eq!(echo.as_array().unwrap().len(), n as usize + 1);
    let before = stamps(&app, "entries").await;
    assert_eq!(before.len(), n as usize);
    // A resend (a backfill after a lost connection) writes over each reading, stamps kept.
    for d in &mut docs {
        d["sgv"] = json!(d["sgv"].as_i64().unwrap() + 1);
    }
    let started = std::time::Instant::now();
    let echo = app.post_entries(Value::Array(docs)).await;
    eprintln!("{:?}: {} entries written over in {:?}", app.backend, n, started.elapsed());
    let echo = echo.as_array().unwrap();
    assert!(echo.iter().all(|d| before.get(d["identifier"].as_str().unwrap()) == Some(&d["srvCreated"])));
    let after = stamps(&app, "entries").await;
    assert_eq!(after, before, "same documents, same identifier and srvCreated");
    let newest = app.get_json("/api/v1/entries.json?count=1").await;
    assert_eq!(newest[0]["sgv"], 101, "the resent values were stored");
}

async fn a_large_treatments_array_keeps_nightscout_dedup(app: TestApp) {
    let n = size(&app) / 2;
    let now = now_ms();
    let mut docs: Vec<Value> = (0..n)
        .map(|i| json!({"eventType": "Carb Correction", "carbs": 10, "created_at": iso(now - 60_000 * (i + 1))}))
        .collect();
    // Same time, another event type: a second record; same time and type: the same one.
    docs.push(json!({"eventType": "Note", "notes": "x", "created_at": iso(now - 60_000)}));
    docs.push(json!({"eventType": "Carb Correction", "carbs": 12, "created_at": iso(now - 60_000)}));
    let started = std::time::Instant::now();
    app.write_json(Method::POST, "/api/v1/treatments", Value::Array(docs.clone())).await;
    eprintln!("{:?}: {} treatments stored in {:?}", app.backend, n + 2, started.elapsed());
    let before = stamps(&app, "treatments").await;
    assert_eq!(before.len(), n as usize + 1);
    let echo = app.write_json(Method::POST, "/api/v1/treatments", Value::Array(docs)).await;
    assert!(echo.as_array().unwrap().iter().all(|d| d["_id"].is_string() || d.get("_id").is_none()));
    assert_eq!(stamps(&app, "treatments").await, before, "a resend writes over the same records");
    let newest = app.get_json("/api/v1/treatments.json?count=2&find[eventType]=Carb%20Correction").await;
    assert_eq!(newest[0]["carbs"], 12, "the later of the two in one upload wins");
}
