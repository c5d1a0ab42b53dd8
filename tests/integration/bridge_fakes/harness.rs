//! The server side of the bridge tests: a Ferroscout pointed at a fake vendor with fast timings,
//! and polling helpers (no sleeps with assertions: every wait polls a condition).

use std::future::Future;
use std::time::Duration;

use serde_json::Value;

use crate::common::{Backend, TestApp};

/// Timings that make a test run in milliseconds: poll every 250 ms, first retry after 100 ms,
/// doubling, at most a minute (so a "wait the longest" is never reached within a test).
pub const FAST: [(&str, &str); 5] = [
    ("FERROSCOUT_BRIDGE_CADENCE_MS", "250"),
    ("FERROSCOUT_BRIDGE_LAG_MS", "0"),
    ("FERROSCOUT_BRIDGE_JITTER_MS", "0"),
    ("FERROSCOUT_BRIDGE_BACKOFF_MS", "100"),
    ("FERROSCOUT_BRIDGE_MAX_BACKOFF_MS", "60000"),
];

/// The env for a bridge of `source` at `base`, plus FAST and `extra` (later entries win).
pub fn vars<'a>(
    source: &'a str,
    creds: &[(&'a str, &'a str)],
    extra: &[(&'a str, &'a str)],
) -> Vec<(&'a str, &'a str)> {
    let mut v = vec![("ENABLE", "connect"), ("CONNECT_SOURCE", source)];
    v.extend_from_slice(creds);
    v.extend_from_slice(&FAST);
    v.extend_from_slice(extra);
    v
}

pub async fn spawn(backend: Backend, vars: &[(&str, &str)]) -> Option<TestApp> {
    TestApp::spawn_with(backend, vars).await
}

/// Polls `check` every 25 ms until it gives `Some`, for at most 30 s.
pub async fn wait_for<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(tokio::time::Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// The whole `status.json` text and the first bridge's health.
pub async fn status(app: &TestApp) -> (String, Value) {
    let res = app.req(reqwest::Method::GET, "/api/v1/status.json").send().await.unwrap();
    assert_eq!(res.status(), 200);
    let text = res.text().await.unwrap();
    let v: Value = serde_json::from_str(&text).unwrap();
    (text, v["bridges"][0].clone())
}

/// Waits until the first bridge's health satisfies `ok`; returns it.
pub async fn health_until(app: &TestApp, what: &str, ok: impl Fn(&Value) -> bool) -> Value {
    wait_for(what, || async {
        let (_, h) = status(app).await;
        ok(&h).then_some(h)
    })
    .await
}

/// Every stored sgv entry, oldest first.
pub async fn entries(app: &TestApp) -> Vec<Value> {
    let v = app.get_json("/api/v1/entries/sgv.json?count=10000&find[date][$gte]=0").await;
    let mut list = v.as_array().cloned().unwrap_or_default();
    list.sort_by_key(|e| e["date"].as_i64().unwrap_or(0));
    list
}

/// Waits until `n` entries are stored; returns them.
pub async fn entries_count(app: &TestApp, n: usize) -> Vec<Value> {
    wait_for(&format!("{n} stored entries"), || async {
        let e = entries(app).await;
        (e.len() >= n).then_some(e)
    })
    .await
}

/// Asserts each date is stored exactly once and the dates are exactly `want`.
pub fn assert_once(stored: &[Value], want: &[i64]) {
    let dates: Vec<i64> = stored.iter().filter_map(|e| e["date"].as_i64()).collect();
    let mut sorted = want.to_vec();
    sorted.sort();
    assert_eq!(dates, sorted, "each reading stored exactly once");
}

/// A time on a whole second, `mins` minutes from now (vendors send seconds).
pub fn at_min(mins: i64) -> i64 {
    let now = crate::common::now_ms();
    (now / 1000) * 1000 + mins * 60_000
}
