//! A socket.io dashboard over websocket (Engine.IO 4): connects, authorizes with the secret and
//! keeps every reading (`mills`) and alarm event the server pushes.

use std::sync::{Arc, Mutex};

use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use tokio_tungstenite::tungstenite::Message;

#[derive(Clone, Default)]
pub struct Dashboard {
    /// `mills` of every sgv pushed (full load and deltas), in arrival order.
    pub sgvs: Arc<Mutex<Vec<i64>>>,
    /// Alarm events (`alarm`, `urgent_alarm`) as pushed.
    pub alarms: Arc<Mutex<Vec<Value>>>,
    pub authorized: Arc<Mutex<bool>>,
}

impl Dashboard {
    pub async fn connect(base: &str, secret_sha1: &str) -> Dashboard {
        let url = format!("{}/socket.io/?EIO=4&transport=websocket", base.replace("http://", "ws://"));
        let (mut ws, _) = tokio_tungstenite::connect_async(url).await.expect("websocket");
        let d = Dashboard::default();
        let me = d.clone();
        let authorize = format!(r#"420["authorize",{{"client":"bridge-test","secret":"{secret_sha1}","history":48}}]"#);
        tokio::spawn(async move {
            while let Some(Ok(msg)) = ws.next().await {
                let Message::Text(t) = msg else { continue };
                let t = t.as_str();
                if t.starts_with('0') {
                    let _ = ws.send(Message::text("40")).await;
                } else if t.starts_with("40") {
                    let _ = ws.send(Message::text(authorize.clone())).await;
                } else if t == "2" {
                    let _ = ws.send(Message::text("3")).await;
                } else if t.starts_with("430") {
                    *me.authorized.lock().unwrap() = true;
                } else if let Some(p) = t.strip_prefix("42") {
                    me.on_event(p);
                }
            }
        });
        d
    }

    fn on_event(&self, packet: &str) {
        let Ok(Value::Array(parts)) = serde_json::from_str::<Value>(packet) else { return };
        match parts.first().and_then(Value::as_str) {
            Some("dataUpdate") => {
                let sgvs =
                    parts.get(1).and_then(|d| d.get("sgvs")).and_then(Value::as_array).cloned().unwrap_or_default();
                let mut seen = self.sgvs.lock().unwrap();
                seen.extend(sgvs.iter().filter_map(|s| s.get("mills").and_then(Value::as_i64)));
            }
            Some("alarm" | "urgent_alarm") => {
                self.alarms.lock().unwrap().push(parts.get(1).cloned().unwrap_or_default());
            }
            _ => {}
        }
    }

    pub fn has(&self, mills: i64) -> bool {
        self.sgvs.lock().unwrap().contains(&mills)
    }

    pub fn is_authorized(&self) -> bool {
        *self.authorized.lock().unwrap()
    }
}
