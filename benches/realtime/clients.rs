//! The dashboards the bench connects: Engine.IO 4 / socket.io 5 over websocket or long-polling,
//! authorizing, answering pings, and timing each delta `dataUpdate` carrying a POSTed reading.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;

/// POST time of each reading, by its `date` (the `mills` the dashboards receive).
/// The largest full `dataUpdate` a dashboard received, in bytes.
pub static FULL_PAYLOAD_BYTES: AtomicUsize = AtomicUsize::new(0);

pub type Sent = Arc<Mutex<HashMap<i64, Instant>>>;

/// Every socket.io packet in an Engine.IO message (`4` + socket.io packet).
fn on_packet(text: &str, sent: &Sent, lat: &mpsc::UnboundedSender<Duration>) {
    let Some(sio) = text.strip_prefix("42") else { return };
    if !sio.starts_with("[\"dataUpdate\"") {
        return;
    }
    if !sio.contains("\"delta\":true") {
        FULL_PAYLOAD_BYTES.fetch_max(text.len(), Ordering::Relaxed);
        return;
    }
    let Ok(serde_json::Value::Array(parts)) = serde_json::from_str::<serde_json::Value>(sio) else { return };
    let Some(sgvs) = parts.get(1).and_then(|d| d.get("sgvs")).and_then(|s| s.as_array()) else { return };
    let now = Instant::now();
    let sent = sent.lock().unwrap();
    for s in sgvs {
        if let Some(t0) = s.get("mills").and_then(|m| m.as_i64()).and_then(|m| sent.get(&m)) {
            let _ = lat.send(now - *t0);
        }
    }
}

const AUTHORIZE: &str =
    r#"420["authorize",{"client":"bench","secret":"b723e97aa97846eb92d5264f084b2823f57c4aa1","history":48}]"#;
/// What Ferroscout's own dashboard sends: deltas only on the socket, the full payload over REST.
const AUTHORIZE_DELTAS: &str = r#"420["authorize",{"client":"web","secret":"b723e97aa97846eb92d5264f084b2823f57c4aa1","history":48,"fullData":false}]"#;

/// `BENCH_DASHBOARD=ferroscout`: the websocket dashboards behave like Ferroscout's own (full
/// payload over REST after the ack); otherwise like Nightscout's clients (full payload on the socket).
pub fn ours() -> bool {
    std::env::var("BENCH_DASHBOARD").is_ok_and(|v| v == "ferroscout")
}

/// The full payload over REST, as our dashboard fetches it after its `authorize` ack.
async fn fetch_full(port: u16) {
    let url = format!("http://127.0.0.1:{port}/api/v2/dataupdate");
    let res = reqwest::Client::new().get(url).header("api-secret", crate::SECRET_SHA1).send().await;
    if let Ok(body) = res.and_then(|r| r.error_for_status()).map(|r| r.bytes())
        && let Ok(b) = body.await
    {
        FULL_PAYLOAD_BYTES.fetch_max(b.len(), Ordering::Relaxed);
    }
}

pub async fn websocket_client(port: u16, sent: Sent, lat: mpsc::UnboundedSender<Duration>, ready: mpsc::Sender<()>) {
    let url = format!("ws://127.0.0.1:{port}/socket.io/?EIO=4&transport=websocket");
    let Ok((mut ws, _)) = tokio_tungstenite::connect_async(url).await else { return };
    let mut authorized = false;
    while let Some(Ok(msg)) = ws.next().await {
        let Message::Text(t) = msg else { continue };
        let t = t.as_str();
        if t.starts_with('0') {
            let _ = ws.send(Message::text("40")).await;
        } else if t.starts_with("40") && !authorized {
            authorized = true;
            let _ = ws.send(Message::text(if ours() { AUTHORIZE_DELTAS } else { AUTHORIZE })).await;
        } else if t == "2" {
            let _ = ws.send(Message::text("3")).await;
        } else if t.starts_with("430") {
            if ours() {
                fetch_full(port).await;
            }
            let _ = ready.send(()).await;
        } else {
            on_packet(t, &sent, &lat);
        }
    }
}

pub async fn polling_client(port: u16, sent: Sent, lat: mpsc::UnboundedSender<Duration>, ready: mpsc::Sender<()>) {
    let http = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{port}/socket.io/?EIO=4&transport=polling");
    let Ok(open) = http.get(&base).send().await else { return };
    let Ok(open) = open.text().await else { return };
    let Some(sid) = open.split("\"sid\":\"").nth(1).and_then(|s| s.split('"').next()).map(str::to_owned) else {
        return;
    };
    let url = format!("{base}&sid={sid}");
    let post = |body: &'static str| {
        let (http, url) = (http.clone(), url.clone());
        async move {
            let _ = http.post(&url).body(body).send().await;
        }
    };
    post("40").await;
    let mut authorized = false;
    loop {
        let Ok(res) = http.get(&url).send().await else { return };
        if !res.status().is_success() {
            return;
        }
        let Ok(body) = res.text().await else { return };
        for p in body.split('\u{1e}') {
            if p.starts_with("40") && !authorized {
                authorized = true;
                post(AUTHORIZE).await;
            } else if p == "2" {
                post("3").await;
            } else if p.starts_with("430") {
                let _ = ready.send(()).await;
            } else if p == "1" {
                return;
            } else {
                on_packet(p, &sent, &lat);
            }
        }
    }
}
