//! Durability: the real binary killed with `kill -9` in the middle of a stream of uploads loses
//! no reading it acknowledged, on either store. On MongoDB the database outlives the server (the
//! test MongoDB keeps its data in memory), so killing our process is the case that matters there.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use crate::common::binary::{Binary, fresh_location, remove_location};
use crate::common::*;
use reqwest::Client;
use serde_json::json;

/// Uploaders at once, and acknowledged uploads to wait for before each kill.
const WRITERS: usize = 6;
const ACKED_BEFORE_KILL: usize = 150;
const ROUNDS: usize = 2;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_during_an_upload_stream_loses_no_acknowledged_reading_on_sqlite() {
    kill_rounds(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_during_an_upload_stream_loses_no_acknowledged_reading_on_mongodb() {
    kill_rounds(true).await;
}

async fn kill_rounds(mongo: bool) {
    let Some((dir, uri)) = fresh_location(mongo) else { return };
    let start = now_ms() - 30 * 86_400_000;
    let next = Arc::new(AtomicI64::new(0));
    let mut acked: Vec<i64> = Vec::new();
    for _ in 0..ROUNDS {
        let server = Binary::start(&dir, uri.as_deref(), &[]).await;
        acked.extend(stream_until_killed(server, start, next.clone()).await);
    }
    let server = Binary::start(&dir, uri.as_deref(), &[]).await;
    let url = server.url(&format!("/api/v1/entries.json?count=1000000&find[date][$gte]={start}"));
    let stored: serde_json::Value = Client::new().get(url).send().await.unwrap().json().await.unwrap();
    let stored: HashSet<i64> = stored.as_array().unwrap().iter().filter_map(|e| e["date"].as_i64()).collect();
    let lost: Vec<&i64> = acked.iter().filter(|ms| !stored.contains(ms)).collect();
    eprintln!(
        "kill -9 x{ROUNDS}: {} acknowledged, {} stored, {} lost (mongo: {mongo})",
        acked.len(),
        stored.len(),
        lost.len()
    );
    assert!(lost.is_empty(), "{} of {} acknowledged readings lost: {lost:?}", lost.len(), acked.len());
    server.kill9().await;
    remove_location(&dir, uri.as_deref());
}

/// Uploads one reading per request from several uploaders; once enough were acknowledged, kills
/// the server while the uploads go on. The readings whose answer arrived whole.
async fn stream_until_killed(server: Binary, start: i64, next: Arc<AtomicI64>) -> Vec<i64> {
    let acked = Arc::new(std::sync::Mutex::new(Vec::<i64>::new()));
    let mut writers = Vec::new();
    for _ in 0..WRITERS {
        let (url, next, acked) = (server.url("/api/v1/entries"), next.clone(), acked.clone());
        writers.push(tokio::spawn(async move {
            let client = Client::new();
            loop {
                let ms = start + next.fetch_add(1, Ordering::SeqCst) * 1000;
                let body = json!([xdrip_reading(ms, 40 + ms / 1000 % 300)]);
                match client.post(&url).header("api-secret", SECRET_SHA1).json(&body).send().await {
                    Ok(res) if res.status() == 200 => {
                        if res.bytes().await.is_ok() {
                            acked.lock().unwrap().push(ms);
                        }
                    }
                    Ok(res) => panic!("upload answered {}", res.status()),
                    // The server is gone: what was not answered was not acknowledged.
                    Err(_) => break,
                }
            }
        }));
    }
    while acked.lock().unwrap().len() < ACKED_BEFORE_KILL {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    server.kill9().await;
    for w in writers {
        w.await.unwrap();
    }
    acked.lock().unwrap().clone()
}
