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
