//! Test harness: a real server on 127.0.0.1:0 per test, on a fresh database of either backend.
#![allow(dead_code)]

pub mod binary;
pub mod fuzz;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use ferroscout::app::AppState;
use ferroscout::config::Config;
use ferroscout::server::serve;
use reqwest::{Client, Method, RequestBuilder, Response};
use serde_json::Value;

pub const SECRET: &str = "this is my long pass phrase";
pub const SECRET_SHA1: &str = "b723e97aa97846eb92d5264f084b2823f57c4aa1";
pub const SECRET_SHA512: &str = "8c8743d38cbe00debe4b3ba8d0ffbb85e4716c982a61bb9e57bab203178e3718b2965831c1a5e42b9da16f082fdf8a6cecf993b49ed67e3a8b1cd475885d8070";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Mongo,
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A unique name for a database or folder.
pub fn unique(prefix: &str) -> String {
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    let t = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    format!("{prefix}_{}_{n}_{}", std::process::id(), t % 1_000_000_000)
}

/// The test MongoDB (SecantusDB, started by scripts/test). Without it, Mongo tests fail loudly
/// unless FERROSCOUT_SKIP_MONGO=1.
pub fn mongo_base() -> Option<String> {
    match std::env::var("FERROSCOUT_TEST_MONGODB_URI") {
        Ok(u) if !u.is_empty() => Some(u),
        _ if std::env::var("FERROSCOUT_SKIP_MONGO").as_deref() == Ok("1") => None,
        _ => panic!("FERROSCOUT_TEST_MONGODB_URI is not set: run scripts/test (or set FERROSCOUT_SKIP_MONGO=1)"),
    }
}

/// `mongodb://host:port/<db>?<opts>` for a fresh database.
pub fn mongo_uri_for(db: &str) -> Option<String> {
    let base = mongo_base()?;
    let (hosts, opts) = match base.split_once('?') {
        Some((h, o)) => (h.trim_end_matches('/').to_owned(), o.to_owned()),
        None => (base.trim_end_matches('/').to_owned(), String::new()),
    };
    let opts = if opts.is_empty() { "directConnection=true".to_owned() } else { opts };
    Some(format!("{hosts}/{db}?{opts}"))
}

pub struct TestApp {
    pub base: String,
    pub client: Client,
    pub backend: Backend,
    pub data_dir: PathBuf,
    pub mongo_uri: Option<String>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl TestApp {
    /// A server with API_SECRET set, no failure delay, and otherwise default settings.
    /// `None` when the backend is Mongo and Mongo tests are skipped.
    pub async fn spawn(backend: Backend) -> Option<TestApp> {
        TestApp::spawn_with(backend, &[]).await
    }

    pub async fn spawn_with(backend: Backend, vars: &[(&str, &str)]) -> Option<TestApp> {
        let data_dir = std::env::temp_dir().join(unique("ferroscout_test"));
        let mongo_uri = match backend {
            Backend::Sqlite => None,
            Backend::Mongo => Some(mongo_uri_for(&unique("fs"))?),
        };
        Some(TestApp::spawn_at(backend, vars, data_dir, mongo_uri).await)
    }

    /// A server on an existing data folder / database (for restart tests).
    pub async fn spawn_at(
        backend: Backend,
        vars: &[(&str, &str)],
        data_dir: PathBuf,
        mongo_uri: Option<String>,
    ) -> TestApp {
        let mut env: HashMap<String, String> = HashMap::new();
        env.insert("API_SECRET".into(), SECRET.into());
        env.insert("AUTH_FAIL_DELAY".into(), "0".into());
        env.insert("FERROSCOUT_DATA_DIR".into(), data_dir.display().to_string());
        if let Some(u) = &mongo_uri {
            env.insert("MONGODB_URI".into(), u.clone());
        }
        for (k, v) in vars {
            if v.is_empty() {
                env.remove(*k);
            } else {
                env.insert(k.to_string(), v.to_string());
            }
        }
        let config = Config::from_lookup(&move |k| env.get(k).cloned()).expect("config");
        let store = ferroscout::app::open_store(&config).await.expect("store");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        // As the binary does: what instances share (leases, the adapter) comes from the config.
        let state = AppState::connect(config, store).await.expect("shared state");
        let task = tokio::spawn(async move {
            serve(listener, state, async move {
                let _ = rx.await;
            })
            .await
            .unwrap();
        });
        TestApp { base, client: Client::new(), backend, data_dir, mongo_uri, shutdown: Some(tx), task: Some(task) }
    }

    /// Stops the server and waits for it to finish.
    pub async fn stop(mut self) -> (PathBuf, Option<String>) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.task.take() {
            let _ = t.await;
        }
        (self.data_dir.clone(), self.mongo_uri.clone())
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub fn req(&self, method: Method, path: &str) -> RequestBuilder {
        self.client.request(method, self.url(path))
    }

    /// An authorized request (SHA-1 secret header), as uploaders send it.
    pub fn authed(&self, method: Method, path: &str) -> RequestBuilder {
        self.req(method, path).header("api-secret", SECRET_SHA1)
    }

    pub async fn get_json(&self, path: &str) -> Value {
        let res = self.req(Method::GET, path).header("accept", "application/json").send().await.unwrap();
        assert_eq!(res.status(), 200, "GET {path}");
        res.json().await.unwrap()
    }

    pub async fn post_entries(&self, body: Value) -> Value {
        let res = self.authed(Method::POST, "/api/v1/entries").json(&body).send().await.unwrap();
        assert_eq!(res.status(), 200, "POST entries");
        res.json().await.unwrap()
    }
}

impl TestApp {
    /// An authorized write with a JSON body; asserts 200 and returns the JSON answer.
    pub async fn write_json(&self, method: Method, path: &str, body: Value) -> Value {
        let res = self.authed(method.clone(), path).json(&body).send().await.unwrap();
        let (status, out) = status_json(res).await;
        assert_eq!(status, 200, "{method} {path}: {out}");
        out
    }

    /// An authorized DELETE; returns status and JSON body.
    pub async fn delete(&self, path: &str) -> (u16, Value) {
        status_json(self.authed(Method::DELETE, path).send().await.unwrap()).await
    }
}

impl Drop for TestApp {
    /// Stops the server and removes its data folder and database, unless `stop` handed them on
    /// (to a restarted server, which cleans them up in turn).
    fn drop(&mut self) {
        let Some(tx) = self.shutdown.take() else { return };
        let _ = tx.send(());
        let _ = std::fs::remove_dir_all(&self.data_dir);
        if let Some(uri) = self.mongo_uri.take() {
            // Drop runs inside the test's runtime: drop the database from a thread of its own.
            let _ = std::thread::spawn(move || drop_database(&uri)).join();
        }
    }
}

/// Drops the database a test's `mongodb://host/<db>?...` URI names.
pub fn drop_database(uri: &str) {
    let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() else { return };
    rt.block_on(async {
        let Ok(client) = mongodb::Client::with_uri_str(uri).await else { return };
        if let Some(db) = client.default_database() {
            let _ = db.drop().await;
        }
    });
}

/// Status and JSON body of a response.
pub async fn status_json(res: Response) -> (u16, Value) {
    let status = res.status().as_u16();
    let text = res.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

pub fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64
}

pub fn iso(ms: i64) -> String {
    ferroscout::domain::time::to_iso_utc(ms).unwrap()
}

/// An xDrip+-style reading (`utilitymodels/NightscoutUploader.java`): offset without colon.
pub fn xdrip_reading(ms: i64, sgv: i64) -> Value {
    serde_json::json!({
        "device": "xDrip-DexcomG6", "date": ms, "dateString": iso(ms).replace('Z', "+0000"),
        "sgv": sgv, "delta": -1.5, "direction": "Flat", "type": "sgv",
        "filtered": sgv * 1000, "unfiltered": sgv * 1000, "rssi": 100, "noise": 1,
        "sysTime": iso(ms)
    })
}

/// Declares each contract test once per backend: `sqlite::name` and `mongo::name`.
#[macro_export]
macro_rules! contract {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
               async fn $name() { if let Some(app) = $crate::common::TestApp::spawn($crate::common::Backend::Sqlite).await { super::$name(app).await } } )*
        }
        mod mongo {
            $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
               async fn $name() { if let Some(app) = $crate::common::TestApp::spawn($crate::common::Backend::Mongo).await { super::$name(app).await } } )*
        }
    };
}
