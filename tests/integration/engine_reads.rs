//! The engine owns recent data (issue #12): writes are applied in place and the common recent
//! reads are answered from memory with the very bytes the store path gives, on both backends.
//! Two servers share one store: one answers from memory, the other (reads from memory off) from
//! the store; every answer is compared byte for byte.

use std::sync::Arc;

use crate::common::*;
use ferroscout::app::AppState;
use ferroscout::config::Config;
use ferroscout::server::serve;
use ferroscout::store::Collection;
use serde_json::{Value, json};

const MIN: i64 = 60_000;

struct Pair {
    memory: AppState,
    memory_base: String,
    store_base: String,
    http: reqwest::Client,
    _stop: Vec<tokio::sync::oneshot::Sender<()>>,
}

async fn start(state: AppState) -> (String, tokio::sync::oneshot::Sender<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        let _ = serve(listener, state, async move {
            let _ = rx.await;
        })
        .await;
    });
    (base, tx)
}

async fn pair(backend: Backend) -> Option<Pair> {
    let data_dir = std::env::temp_dir().join(unique("ferroscout_engine"));
    let mut env = std::collections::HashMap::new();
    env.insert("API_SECRET".to_owned(), SECRET.to_owned());
    env.insert("FERROSCOUT_DATA_DIR".to_owned(), data_dir.display().to_string());
    if backend == Backend::Mongo {
        env.insert("MONGODB_URI".to_owned(), mongo_uri_for(&unique("fs"))?);
    }
    let config = Config::from_lookup(&move |k| env.get(k).cloned()).expect("config");
    let store = ferroscout::app::open_store(&config).await.expect("store");
    let memory = AppState::new(config.clone(), store.clone());
    let from_store = AppState::new(config, store);
    from_store.engine.set_serve_reads(false);
    let (memory_base, a) = start(memory.clone()).await;
    let (store_base, b) = start(from_store).await;
    Some(Pair { memory, memory_base, store_base, http: reqwest::Client::new(), _stop: vec![a, b] })
}

impl Pair {
    async fn post(&self, path: &str, body: Value) {
        let res = self.http.post(format!("{}{path}", self.memory_base)).header("api-secret", SECRET_SHA1).json(&body);
        let res = res.send().await.unwrap();
        assert_eq!(res.status(), 200, "POST {path}");
    }

    async fn get(&self, base: &str, path: &str) -> (u16, Option<String>, String) {
        let res = self.http.get(format!("{base}{path}")).header("api-secret", SECRET_SHA1).send().await.unwrap();
        let lm = res.headers().get("last-modified").map(|v| v.to_str().unwrap().to_owned());
        (res.status().as_u16(), lm, res.text().await.unwrap())
    }

    /// Asserts the memory server answers `path` exactly as the store does, and from memory.
    async fn same(&self, path: &str) -> String {
        // Memory answers once it reflects every confirmed write (the store answers until then).
        assert!(self.memory.engine.caught_up(std::time::Duration::from_secs(60)).await, "the engine caught up");
        let before = self.memory.engine.memory_reads();
        let (s1, lm1, b1) = self.get(&self.memory_base, path).await;
        let (s2, lm2, b2) = self.get(&self.store_base, path).await;
        let snap = self.memory.engine.snapshot();
        assert!(
            self.memory.engine.memory_reads() > before,
            "{path} was not answered from memory ({} entries, {} devicestatus in memory)",
            snap.entries.len(),
            snap.devicestatus.len()
        );
        assert_eq!((s1, &lm1), (s2, &lm2), "{path}: status and Last-Modified");
        assert_eq!(without_now(&b1), without_now(&b2), "{path}: body");
        b1
    }
}

/// `/pebble` says when it answered; everything else must be equal.
fn without_now(body: &str) -> String {
    match serde_json::from_str::<Value>(body) {
        Ok(mut v) if v.get("status").is_some() && v.get("bgs").is_some() => {
            v["status"][0]["now"] = json!(0);
            v.to_string()
        }
        _ => body.to_owned(),
    }
}

/// A looper's recent data: sgvs every 5 minutes for a day, devicestatus every 5 minutes for 3
/// hours (AndroidAPS-shaped, with floats the backends could print differently), temp basals.
async fn seed(p: &Pair) -> i64 {
    let now = now_ms();
    let sgvs: Vec<Value> = (1..=300).map(|i| xdrip_reading(now - i * 5 * MIN, 80 + i % 120)).collect();
    p.post("/api/v1/entries", Value::Array(sgvs)).await;
    let ds: Vec<Value> = (1..=36)
        .map(|i| {
            json!({"device": "openaps://phone", "created_at": iso(now - i * 5 * MIN + 30_000),
                "uploaderBattery": 60 + i, "isCharging": false, "pump": {"reservoir": 112.0, "battery": {"percent": 76}},
                "openaps": {"suggested": {"bg": 120, "eventualBG": 110.5, "rate": 0.0, "predBGs": {"IOB": [120, 118.0, 117]}},
                    "iob": {"iob": 1.25, "basaliob": -0.1, "activity": 0.0123}}})
        })
        .collect();
    p.post("/api/v1/devicestatus", Value::Array(ds)).await;
    let tb: Vec<Value> = (1..=10)
        .map(|i| json!({"eventType": "Temp Basal", "created_at": iso(now - i * 10 * MIN), "duration": 30, "rate": 0.5, "absolute": 0.5}))
        .collect();
    p.post("/api/v1/treatments", Value::Array(tb)).await;
    now
}

const READS: [&str; 10] = [
    "/api/v1/entries.json?count=288",
    "/api/v1/entries.json",
    "/api/v1/entries?count=3",
    "/api/v1/entries/current.json",
    "/api/v1/devicestatus.json?count=10",
    "/api/v1/devicestatus.json",
    "/pebble?count=5",
    "/pebble",
    "/api/v2/properties",
    "/api/v2/properties/upbat,bgnow",
];

async fn recent_reads_from_memory_equal_the_store_path(backend: Backend) {
    let Some(p) = pair(backend).await else { return };
    seed(&p).await;
    for path in READS {
        p.same(path).await;
    }
    // A write is seen by the very next read, answered from memory.
    let t = now_ms();
    p.post("/api/v1/entries", json!([xdrip_reading(t, 222)])).await;
    let current = p.same("/api/v1/entries/current.json").await;
    assert!(current.contains("222"), "the new reading: {current}");
    let ds = json!({"device": "openaps://phone", "created_at": iso(t), "uploaderBattery": 42, "rate": 1.0});
    p.post("/api/v1/devicestatus", ds).await;
    let newest = p.same("/api/v1/devicestatus.json?count=1").await;
    assert!(newest.contains("\"uploaderBattery\":42"), "{newest}");
    for path in READS {
        p.same(path).await;
    }
}

async fn updates_and_deletes_are_applied_to_memory(backend: Backend) {
    let Some(p) = pair(backend).await else { return };
    let now = seed(&p).await;
    // The same reading again (deduplicated upsert) with a new value, then a deletion.
    let mut r = xdrip_reading(now - 5 * MIN, 80 + 1);
    r["sgv"] = json!(250);
    p.post("/api/v1/entries", json!([r])).await;
    let list = p.same("/api/v1/entries.json?count=2").await;
    assert!(list.contains("\"sgv\":250"), "{list}");
    let res = p
        .http
        .delete(format!("{}/api/v1/entries?find[sgv]=250", p.memory_base))
        .header("api-secret", SECRET_SHA1)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let list = p.same("/api/v1/entries.json?count=2").await;
    assert!(!list.contains("\"sgv\":250"), "{list}");
    for path in READS {
        p.same(path).await;
    }
    // Documents a write did not touch stay shared between snapshots, not copied.
    let before = p.memory.engine.recent(Collection::Treatments);
    p.post("/api/v1/entries", json!([xdrip_reading(now_ms(), 150)])).await;
    p.same("/api/v1/entries/current.json").await;
    let after = p.memory.engine.recent(Collection::Treatments);
    assert_eq!(before.len(), 10);
    assert!(before.iter().zip(&after).all(|(a, b)| Arc::ptr_eq(a, b)));
    assert_eq!(p.memory.engine.snapshot().entries.len(), 300);
}

mod sqlite {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn recent_reads_from_memory_equal_the_store_path() {
        super::recent_reads_from_memory_equal_the_store_path(Backend::Sqlite).await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn updates_and_deletes_are_applied_to_memory() {
        super::updates_and_deletes_are_applied_to_memory(Backend::Sqlite).await
    }
}

mod mongo {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn recent_reads_from_memory_equal_the_store_path() {
        super::recent_reads_from_memory_equal_the_store_path(Backend::Mongo).await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn updates_and_deletes_are_applied_to_memory() {
        super::updates_and_deletes_are_applied_to_memory(Backend::Mongo).await
    }
}
