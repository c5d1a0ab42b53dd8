//! The edge's limits, set low: a request body that stalls gets its 408, connections over the
//! total or per-address limit are refused with a 503 while the others are served. Each on both
//! backends (the edge does not touch the store, but the server is started on each).

use std::time::Duration;

use crate::common::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const BACKENDS: [Backend; 2] = [Backend::Sqlite, Backend::Mongo];

/// Everything the server sends until it closes the connection (a hang guard, not a timed
/// assertion: a server that never closed would fail here instead of hanging the suite).
async fn read_to_close(s: &mut TcpStream) -> String {
    let mut out = Vec::new();
    tokio::time::timeout(Duration::from_secs(30), s.read_to_end(&mut out))
        .await
        .expect("the server closes the connection")
        .expect("read");
    String::from_utf8_lossy(&out).into_owned()
}

fn addr(app: &TestApp) -> String {
    app.base.trim_start_matches("http://").to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_trickled_then_stalled_gets_a_408_and_the_connection_closes() {
    for backend in BACKENDS {
        let Some(app) = TestApp::spawn_with(backend, &[("FERROSCOUT_BODY_TIMEOUT", "1")]).await else { continue };
        let mut s = TcpStream::connect(addr(&app)).await.unwrap();
        let head = format!(
            "POST /api/v1/entries HTTP/1.1\r\nHost: x\r\napi-secret: {SECRET_SHA1}\r\n\
             Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
        );
        s.write_all(head.as_bytes()).await.unwrap();
        // A few bytes, one at a time, then nothing more.
        for b in b"[{\"sgv\"" {
            s.write_all(&[*b]).await.unwrap();
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let answer = read_to_close(&mut s).await;
        assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
        assert!(answer.to_ascii_lowercase().contains("connection: close"), "{answer}");
        let body: serde_json::Value = serde_json::from_str(answer.split("\r\n\r\n").nth(1).unwrap()).unwrap();
        assert_eq!(body["status"], 408);
        assert_eq!(body["message"], "Request Timeout");
        // Nothing of it was stored, and the server serves the next request.
        let list = app.get_json("/api/v1/entries.json").await;
        assert_eq!(list, serde_json::json!([]));
    }
}

/// A GET on a fresh connection from `from` (a loopback address); the raw answer, read to close.
async fn get_from(app: &TestApp, from: &str) -> String {
    let sock = tokio::net::TcpSocket::new_v4().unwrap();
    sock.bind(format!("{from}:0").parse().unwrap()).unwrap();
    let mut s = sock.connect(addr(app).parse().unwrap()).await.unwrap();
    s.write_all(b"GET /api/v1/status.json HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await.unwrap();
    read_to_close(&mut s).await
}

/// A connection that is open and counted: it has had one answer and is kept alive.
async fn held(app: &TestApp) -> TcpStream {
    let mut s = TcpStream::connect(addr(app)).await.unwrap();
    s.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap();
    let mut buf = vec![0u8; 2048];
    let n = tokio::time::timeout(Duration::from_secs(30), s.read(&mut buf)).await.expect("an answer").unwrap();
    assert!(buf[..n].starts_with(b"HTTP/1.1 200"), "{}", String::from_utf8_lossy(&buf[..n]));
    s
}

fn assert_refused(answer: &str) {
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    assert!(answer.to_ascii_lowercase().contains("retry-after: 5"), "{answer}");
    let body: serde_json::Value = serde_json::from_str(answer.split("\r\n\r\n").nth(1).unwrap()).unwrap();
    assert_eq!(body["status"], 503);
    assert_eq!(body["message"], "Service Unavailable");
}

/// Polls until a new connection from `from` is served (its slot was freed when a held one closed).
async fn served_again(app: &TestApp, from: &str) {
    for _ in 0..300 {
        if get_from(app, from).await.starts_with("HTTP/1.1 200") {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the freed slot was never given to a new connection");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_over_the_per_address_limit_are_refused_while_other_addresses_are_served() {
    for backend in BACKENDS {
        let vars = [("FERROSCOUT_MAX_CONNECTIONS_PER_ADDRESS", "2")];
        let Some(app) = TestApp::spawn_with(backend, &vars).await else { continue };
        let first = held(&app).await;
        let _second = held(&app).await;
        assert_refused(&get_from(&app, "127.0.0.1").await);
        assert!(get_from(&app, "127.0.0.2").await.starts_with("HTTP/1.1 200"), "another address is served");
        drop(first);
        served_again(&app, "127.0.0.1").await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_over_the_total_limit_are_refused_and_a_freed_slot_is_reusable() {
    for backend in BACKENDS {
        // Behind a trusted proxy the per-address limit is off: the total still holds.
        let vars = [
            ("FERROSCOUT_MAX_CONNECTIONS", "3"),
            ("FERROSCOUT_MAX_CONNECTIONS_PER_ADDRESS", "1"),
            ("FERROSCOUT_TRUSTED_PROXIES", "1"),
        ];
        let Some(app) = TestApp::spawn_with(backend, &vars).await else { continue };
        let first = held(&app).await;
        let _others = [held(&app).await, held(&app).await];
        assert_refused(&get_from(&app, "127.0.0.1").await);
        assert_refused(&get_from(&app, "127.0.0.2").await);
        drop(first);
        served_again(&app, "127.0.0.2").await;
    }
}
