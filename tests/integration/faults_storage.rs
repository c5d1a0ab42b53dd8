//! Storage faults: a full embedded database (its size limit, SQLite's own SQLITE_FULL path, as a
//! full disk gives it) answers 507 with one clear log line, keeps reading and writes again when
//! space is freed; `/ready` tells "able to store" from "up", for the size limit and for a MongoDB
//! that goes away and comes back.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::common::binary::{Binary, fresh_location, remove_location};
use crate::common::*;
use reqwest::{Client, Method};
use serde_json::{Value, json};

async fn post(client: &Client, server: &Binary, docs: &Value) -> (u16, Value) {
    let res = client.post(server.url("/api/v1/entries")).header("api-secret", SECRET_SHA1).json(docs).send().await;
    status_json(res.unwrap()).await
}

async fn get(client: &Client, url: String) -> (u16, Value) {
    status_json(client.get(url).send().await.unwrap()).await
}

/// Waits (bounded) until the binary logged `n` lines with `needle`.
async fn logged(server: &Binary, needle: &str, n: usize) {
    for _ in 0..2_000 {
        if server.lines_with(needle).len() >= n {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("never logged {n} x {needle:?}: {:#?}", server.log());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_database_answers_507_logs_once_keeps_reading_and_writes_again_when_space_returns() {
    let Some((dir, _)) = fresh_location(false) else { return };
    let mut server = Binary::start(&dir, None, &[("FERROSCOUT_SQLITE_MAX_SIZE_MB", "1")]).await;
    let client = Client::new();
    let start = now_ms() - 20 * 86_400_000;
    let batch = |from: i64| -> Value { (0..100).map(|i| xdrip_reading(start + (from + i) * 60_000, 120)).collect() };

    // Fill it: 100 readings at a time until the limit refuses one.
    let mut stored = 0;
    let (status, body) = loop {
        let (status, body) = post(&client, &server, &batch(stored)).await;
        if status != 200 {
            break (status, body);
        }
        stored += 100;
        assert!(stored < 20_000, "1 MiB never filled");
    };
    assert_eq!(status, 507, "{body}");
    assert_eq!(body["status"], 507);
    assert_eq!(body["message"], "Storage full");
    assert!(body["description"].as_str().unwrap().contains("nothing was written"), "{body}");
    let (ready, why) = get(&client, server.url("/ready")).await;
    assert_eq!(ready, 503, "not ready while nothing fits: {why}");
    assert!(why["description"].as_str().unwrap().contains("storage is full"), "{why}");
    for _ in 0..3 {
        assert_eq!(post(&client, &server, &batch(stored)).await.0, 507);
    }
    // Reads go on, and what was acknowledged is there.
    let (status, list) =
        get(&client, server.url(&format!("/api/v1/entries.json?count=100000&find[date][$gte]={start}"))).await;
    assert_eq!(status, 200);
    assert_eq!(list.as_array().unwrap().len() as i64, stored);
    assert_eq!(get(&client, server.url("/api/v1/status.json")).await.0, 200);
    // One line says it, however many uploads fail (each has only its status line).
    logged(&server, "status=507", 4).await;
    let full = server.lines_with("storage is full");
    assert_eq!(full.len(), 1, "{:#?}", server.log());
    eprintln!("{stored} readings in 1 MiB; the log says: {}", full[0]);
    assert!(server.alive(), "no crash");

    // Space returns: old readings are deleted; the next upload is stored.
    let cut = start + stored / 2 * 60_000;
    let res = client
        .delete(server.url(&format!("/api/v1/entries?find[date][$lt]={cut}")))
        .header("api-secret", SECRET_SHA1)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let (status, body) = post(&client, &server, &json!([xdrip_reading(now_ms(), 99)])).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(get(&client, server.url("/ready")).await.0, 200);
    logged(&server, "storage: writing again", 1).await;
    server.kill9().await;

    // A raised limit takes more at once.
    let server = Binary::start(&dir, None, &[("FERROSCOUT_SQLITE_MAX_SIZE_MB", "4")]).await;
    assert_eq!(post(&client, &server, &batch(stored)).await.0, 200);
    let (status, body) = get(&client, server.url("/api/v2/properties/dbsize")).await;
    assert_eq!(status, 200);
    assert!(
        body["dbsize"]["details"]["maxSize"].as_f64().is_some_and(|m| m == 4.0),
        "DBSIZE_MAX follows the limit: {body}"
    );
    server.kill9().await;
    remove_location(&dir, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ready_probes_writes_without_a_write_per_request() {
    for backend in [Backend::Sqlite, Backend::Mongo] {
        let Some(app) = TestApp::spawn(backend).await else { continue };
        let mut seen = std::collections::HashSet::new();
        for _ in 0..5 {
            let body = app.get_json("/ready").await;
            assert_eq!(body["status"], "ready");
            seen.insert(body["lastWrite"].as_i64().expect("when the store last took a write"));
        }
        // One probe, or two if the window lapsed on a stalled machine: not one per request.
        assert!(seen.len() <= 2, "{backend:?}: {seen:?}");
        let before = *seen.iter().max().unwrap();
        app.post_entries(json!([xdrip_reading(now_ms(), 100)])).await;
        let after = app.get_json("/ready").await["lastWrite"].as_i64().unwrap();
        assert!(after >= before, "a real write counts as one");
    }
}

/// A TCP relay to the test MongoDB that can be cut (connections dropped, new ones closed) and
/// restored: a real outage and a real return, on a port that stays the same.
struct Relay {
    addr: std::net::SocketAddr,
    up: Arc<AtomicBool>,
    links: Arc<std::sync::Mutex<Vec<tokio::task::AbortHandle>>>,
}

impl Relay {
    async fn to(target: String) -> Relay {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (up, links) = (Arc::new(AtomicBool::new(true)), Arc::new(std::sync::Mutex::new(Vec::new())));
        let (up2, links2) = (up.clone(), links.clone());
        tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                if !up2.load(Ordering::SeqCst) {
                    continue; // dropped: closed at once
                }
                let target = target.clone();
                let link = tokio::spawn(async move {
                    if let Ok(mut out) = tokio::net::TcpStream::connect(target).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut out).await;
                    }
                });
                links2.lock().unwrap().push(link.abort_handle());
            }
        });
        Relay { addr, up, links }
    }

    fn cut(&self) {
        self.up.store(false, Ordering::SeqCst);
        self.links.lock().unwrap().drain(..).for_each(|l| l.abort());
    }

    fn restore(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}

/// Polls `/ready` (bounded) until it answers `want`.
async fn ready_becomes(app: &TestApp, want: u16) {
    for _ in 0..120 {
        if app.req(Method::GET, "/ready").send().await.unwrap().status() == want {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    panic!("/ready never answered {want}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ready_follows_a_mongodb_outage_and_writing_resumes_by_itself() {
    let Some(base) = mongo_base() else { return };
    let hostport = base.trim_start_matches("mongodb://").split(['/', '?']).next().unwrap().to_owned();
    let relay = Relay::to(hostport).await;
    let uri = format!("mongodb://{}/{}?directConnection=true", relay.addr, unique("fs_relay"));
    let app =
        TestApp::spawn_at(Backend::Mongo, &[("MONGODB_URI", &uri)], std::env::temp_dir().join(unique("fr")), None)
            .await;
    app.post_entries(json!([xdrip_reading(now_ms() - 120_000, 110)])).await;
    ready_becomes(&app, 200).await;

    relay.cut();
    ready_becomes(&app, 503).await;
    let res = app.authed(Method::POST, "/api/v1/entries").json(&json!([xdrip_reading(now_ms(), 90)])).send().await;
    let res = res.unwrap();
    assert_eq!(res.status(), 503);
    assert!(res.headers().contains_key("retry-after"));

    relay.restore();
    ready_becomes(&app, 200).await;
    app.post_entries(json!([xdrip_reading(now_ms(), 95)])).await;
    assert_eq!(app.get_json("/api/v1/entries.json?count=10").await.as_array().unwrap().len(), 2);
    drop_database_later(app, uri);
}

/// The relay's database is dropped through the relay's target, not the relay.
fn drop_database_later(app: TestApp, uri: String) {
    drop(app);
    let direct = mongo_uri_for(uri.rsplit('/').next().unwrap().split('?').next().unwrap()).unwrap();
    let _ = std::thread::spawn(move || drop_database(&direct)).join();
}
