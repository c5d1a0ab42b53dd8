//! Writes made by someone else reach dashboards (issue #12): a document inserted straight into
//! MongoDB (as another Nightscout or a tool would) arrives at a socket dashboard as a delta
//! `dataUpdate`, through MongoDB's change stream.

use std::time::Duration;

use crate::common::*;
use futures_util::{SinkExt, StreamExt};
use mongodb::bson::doc;
use serde_json::Value;
use tokio_tungstenite::tungstenite::Message;

const AUTHORIZE: &str =
    r#"420["authorize",{"client":"test","secret":"b723e97aa97846eb92d5264f084b2823f57c4aa1","history":48}]"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reading_inserted_directly_into_mongodb_reaches_a_socket_dashboard() {
    let Some(app) = TestApp::spawn(Backend::Mongo).await else { return };
    app.post_entries(serde_json::json!([xdrip_reading(now_ms() - 300_000, 100)])).await;
    let url = format!("{}/socket.io/?EIO=4&transport=websocket", app.base.replace("http://", "ws://"));
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    // Handshake, connect, authorize; then the full dataUpdate and the ack.
    let mut authorized = false;
    while let Some(Ok(msg)) = ws.next().await {
        let Message::Text(t) = msg else { continue };
        if t.starts_with('0') {
            ws.send(Message::text("40")).await.unwrap();
        } else if t.starts_with("40") {
            ws.send(Message::text(AUTHORIZE)).await.unwrap();
        } else if t.starts_with("430") {
            authorized = true;
            break;
        }
    }
    assert!(authorized, "the dashboard authorized");

    let client = mongodb::Client::with_uri_str(app.mongo_uri.as_deref().unwrap()).await.unwrap();
    let db = client.default_database().unwrap();
    let date = now_ms();
    db.collection("entries")
        .insert_one(doc! {"type": "sgv", "sgv": 187, "date": date, "direction": "Flat", "device": "someone-else"})
        .await
        .unwrap();

    // Waits for the delta (bounded, so a missing push fails instead of hanging).
    let got = tokio::time::timeout(Duration::from_secs(60), async {
        while let Some(Ok(msg)) = ws.next().await {
            let Message::Text(t) = msg else { continue };
            if t == "2" {
                let _ = ws.send(Message::text("3")).await;
                continue;
            }
            let Some(body) = t.strip_prefix("42") else { continue };
            let Ok(Value::Array(parts)) = serde_json::from_str::<Value>(body) else { continue };
            if parts.first().and_then(Value::as_str) != Some("dataUpdate") || parts[1]["delta"] != true {
                continue;
            }
            if let Some(s) = parts[1]["sgvs"].as_array().and_then(|s| s.iter().find(|s| s["mills"] == date)) {
                return s.clone();
            }
        }
        Value::Null
    })
    .await
    .expect("the delta with the reading arrives");
    assert_eq!(got["mgdl"], 187);
    assert_eq!(got["device"], "someone-else");
}
