//! Fakes of the vendors' clouds on 127.0.0.1:0 (Dexcom Share, LibreLinkUp, CareLink), with
//! switches for the failures the bridges must survive, and a socket.io dashboard client.
#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

pub mod carelink;
pub mod dashboard;
pub mod dexcom;
pub mod harness;
pub mod linkup;

/// What a fake vendor holds and how it should misbehave; tests flip the switches.
#[derive(Debug, Default)]
pub struct Vendor {
    /// The readings in the cloud: (epoch ms, mg/dL).
    pub readings: Vec<(i64, i64)>,
    pub username: String,
    pub password: String,
    /// Successful logins and every login attempt.
    pub logins: u32,
    pub login_attempts: u32,
    pub data_calls: u32,
    /// The next N data calls fail with HTTP 503 / are rate limited (429).
    pub fail_data: u32,
    pub rate_limit: u32,
    /// Seconds the rate limit asks us to wait.
    pub retry_after_s: u64,
    /// The next data call finds the session gone.
    pub expire_session: bool,
    /// Logins answer "accept the new terms" until cleared.
    pub terms: bool,
    /// Valid session tokens.
    pub sessions: Vec<String>,
    /// The query of each data call.
    pub queries: Vec<HashMap<String, String>>,
    /// Requests refused for missing/old app headers (LibreLinkUp).
    pub refused_headers: u32,
    /// Free-form notes a fake records (e.g. CareLink's data request body).
    pub notes: Vec<String>,
}

#[derive(Clone, Default)]
pub struct Shared(pub Arc<Mutex<Vendor>>);

impl Shared {
    pub fn new(username: &str, password: &str) -> Shared {
        let v = Vendor { username: username.into(), password: password.into(), ..Vendor::default() };
        Shared(Arc::new(Mutex::new(v)))
    }

    pub fn lock(&self) -> MutexGuard<'_, Vendor> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn add(&self, ms: i64, sgv: i64) {
        self.lock().readings.push((ms, sgv));
    }

    /// A new session token.
    pub fn open_session(&self) -> String {
        let mut v = self.lock();
        v.logins += 1;
        let token = format!("sess-{:04}-{}", v.logins, common_token());
        v.sessions.push(token.clone());
        token
    }

    pub fn valid(&self, token: &str) -> bool {
        self.lock().sessions.iter().any(|s| s == token)
    }

    /// Counts a data call; `Err(status)` when the switches say it should fail.
    pub fn data_call(&self, query: HashMap<String, String>) -> Result<(), u16> {
        let mut v = self.lock();
        v.data_calls += 1;
        v.queries.push(query);
        if v.expire_session {
            v.expire_session = false;
            v.sessions.clear();
            return Err(401);
        }
        if v.rate_limit > 0 {
            v.rate_limit -= 1;
            return Err(429);
        }
        if v.fail_data > 0 {
            v.fail_data -= 1;
            return Err(503);
        }
        Ok(())
    }
}

fn common_token() -> u128 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() % 1_000_000
}

/// Serves `router` on 127.0.0.1:0; returns its base URL. The task ends with the test runtime.
pub async fn serve(router: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    base
}
