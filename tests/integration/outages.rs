//! Store outages: a clear, quick answer that says what happened, never a hang.

use crate::common::*;
use reqwest::Method;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mongodb_outage_answers_503_with_retry_after_soon_instead_of_hanging() {
    if mongo_base().is_none() {
        return;
    }
    // Nothing listens on port 9 of this machine: every server selection fails.
    let uri = "mongodb://127.0.0.1:9/fs_outage?directConnection=true".to_owned();
    let app =
        TestApp::spawn_at(Backend::Mongo, &[("MONGODB_URI", &uri)], std::env::temp_dir().join(unique("fo")), None)
            .await;
    let started = std::time::Instant::now();
    let res = app.req(Method::GET, "/api/v1/entries.json").send().await.unwrap();
    let elapsed = started.elapsed();
    assert_eq!(res.status(), 503);
    assert_eq!(res.headers()["retry-after"], "5");
    let (_, body) = status_json(res).await;
    assert_eq!(body["message"], "Database unavailable");
    assert!(body["description"].as_str().unwrap().contains("could not be reached"), "{body}");
    let res =
        app.authed(Method::POST, "/api/v1/entries").json(&json!([xdrip_reading(now_ms(), 100)])).send().await.unwrap();
    assert_eq!(res.status(), 503);
    let res = app.req(Method::GET, "/ready").send().await.unwrap();
    assert_eq!(res.status(), 503, "not ready while the store is out");
    assert!(res.headers().contains_key("retry-after"));
    let res = app.req(Method::GET, "/health").send().await.unwrap();
    assert_eq!(res.status(), 200, "but alive");
    eprintln!("outage answered in {elapsed:?} (server selection timeout 2 s)");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ready_reports_the_store_when_it_answers() {
    for backend in [Backend::Sqlite, Backend::Mongo] {
        let Some(app) = TestApp::spawn(backend).await else { continue };
        let body = app.get_json("/ready").await;
        assert_eq!(body["status"], "ready");
        assert_eq!(body["storage"], if backend == Backend::Sqlite { "sqlite" } else { "mongodb" });
    }
}
