//! Clean shutdown: under a steady write load no acknowledged write is lost (both backends), idle
//! keep-alive sockets are closed so clients reconnect elsewhere, nothing new is accepted, and the
//! real binary exits 0 on SIGTERM.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};

use crate::common::*;
use reqwest::{Client, Method};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

contract!(shutdown_under_load_loses_no_acknowledged_write);

async fn shutdown_under_load_loses_no_acknowledged_write(app: TestApp) {
    let start = now_ms() - 3_600_000;
    let next = Arc::new(AtomicI64::new(0));
    let acked = Arc::new(std::sync::Mutex::new(Vec::<i64>::new()));
    let done = Arc::new(AtomicUsize::new(0));
    let mut writers = Vec::new();
    for _ in 0..8 {
        let (url, next, acked, done) = (app.url("/api/v1/entries"), next.clone(), acked.clone(), done.clone());
        writers.push(tokio::spawn(async move {
            let client = Client::new();
            loop {
                let ms = start + next.fetch_add(1, Ordering::SeqCst) * 1000;
                let sent = client
                    .post(&url)
                    .header("api-secret", SECRET_SHA1)
                    .json(&serde_json::json!([xdrip_reading(ms, 100 + ms % 200)]))
                    .send()
                    .await;
                match sent {
                    Ok(res) if res.status() == 200 => {
                        // Acknowledged only once the response is complete.
                        if res.bytes().await.is_ok() {
                            acked.lock().unwrap().push(ms);
                            done.fetch_add(1, Ordering::SeqCst);
                        }
                    }
                    Ok(res) => panic!("unexpected status {} during shutdown", res.status()),
                    Err(_) => break,
                }
            }
        }));
    }
    while done.load(Ordering::SeqCst) < 40 {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    let backend = app.backend;
    let (data_dir, mongo_uri) = app.stop().await;
    for w in writers {
        w.await.unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    assert!(acked.len() >= 40);

    let again = TestApp::spawn_at(backend, &[], data_dir, mongo_uri).await;
    let stored = again.get_json(&format!("/api/v1/entries.json?count=100000&find[date][$gte]={start}")).await;
    let stored: HashSet<i64> = stored.as_array().unwrap().iter().filter_map(|e| e["date"].as_i64()).collect();
    let lost: Vec<&i64> = acked.iter().filter(|ms| !stored.contains(ms)).collect();
    assert!(lost.is_empty(), "{} of {} acknowledged writes lost: {lost:?}", lost.len(), acked.len());
}

#[tokio::test]
async fn idle_keep_alive_connections_are_closed_and_new_ones_refused_on_shutdown() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let addr = app.base.trim_start_matches("http://").to_owned();
    let mut idle = tokio::net::TcpStream::connect(&addr).await.unwrap();
    idle.write_all(b"GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n").await.unwrap();
    let mut seen = Vec::new();
    let mut buf = [0u8; 1024];
    while !String::from_utf8_lossy(&seen).contains("{\"status\":\"ok\"}") {
        let n = idle.read(&mut buf).await.unwrap();
        assert!(n > 0, "server closed before answering");
        seen.extend_from_slice(&buf[..n]);
    }
    // The connection is now idle and kept alive.
    let client = Client::new();
    app.stop().await;
    let eof = idle.read(&mut buf).await;
    assert!(matches!(eof, Ok(0) | Err(_)), "the idle socket is closed, so the client reconnects");
    assert!(client.get(format!("http://{addr}/health")).send().await.is_err(), "nothing is accepted any more");
}

#[cfg(unix)]
#[tokio::test]
async fn the_binary_exits_cleanly_on_sigterm() {
    use std::process::Stdio;
    use tokio::io::AsyncBufReadExt;

    let dir = std::env::temp_dir().join(unique("ferroscout_bin"));
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_ferroscout"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOSTNAME", "127.0.0.1")
        .env("PORT", "0")
        .env("NO_COLOR", "1")
        .env("FERROSCOUT_DATA_DIR", dir.display().to_string())
        .env("API_SECRET", SECRET)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let port = loop {
        let line = lines.next_line().await.unwrap().expect("the server logs where it listens");
        if let Some(rest) = line.split("listening on http://127.0.0.1:").nth(1) {
            break rest.split('/').next().unwrap().parse::<u16>().unwrap();
        }
    };
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    let base = format!("http://127.0.0.1:{port}");
    let res = Client::new().request(Method::GET, format!("{base}/api/v1/status.json")).send().await.unwrap();
    let status: Value = res.json().await.unwrap();
    assert_eq!(status["status"], "ok");

    let pid = child.id().unwrap().to_string();
    let killed = tokio::process::Command::new("kill").args(["-TERM", &pid]).status().await.unwrap();
    assert!(killed.success());
    let exit = child.wait().await.unwrap();
    assert!(exit.success(), "exit status {exit:?}");
}
