//! Realtime benchmark: starts the server binary (embedded store, loopback), connects N dashboards
//! speaking Engine.IO 4 / socket.io 5 (a mix of websocket and long-polling), authorizes them,
//! POSTs readings at a steady rate and measures, at the clients, the time from the POST to the
//! delta `dataUpdate`. Prints a table. Bounded in time; loopback only.
//!
//!   cargo bench --bench realtime                        # 1,000 dashboards, 20% polling
//!   BENCH_CLIENTS=200 BENCH_POLLING_PCT=50 BENCH_POSTS=30 BENCH_RATE=5 cargo bench --bench realtime

use std::collections::HashMap;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;

const SECRET: &str = "this is my long pass phrase";
const SECRET_SHA1: &str = "b723e97aa97846eb92d5264f084b2823f57c4aa1";
/// The whole run stops after this, whatever happened.
const TIME_LIMIT: Duration = Duration::from_secs(180);

fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// POST time of each reading, by its `date` (the `mills` the dashboards receive).
type Sent = Arc<Mutex<HashMap<i64, Instant>>>;

/// Reads `VmRSS` (KiB) and utime+stime (clock ticks) of a process.
fn proc_stats(pid: u32) -> (u64, u64) {
    let rss = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmRSS:")).and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0);
    let cpu = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| {
            let rest = s.rsplit_once(')')?.1.split_whitespace().collect::<Vec<_>>();
            Some(rest.get(11)?.parse::<u64>().ok()? + rest.get(12)?.parse::<u64>().ok()?)
        })
        .unwrap_or(0);
    (rss, cpu)
}

/// Every socket.io packet in an Engine.IO message (`4` + socket.io packet).
fn on_packet(text: &str, sent: &Sent, lat: &mpsc::UnboundedSender<Duration>) {
    let Some(sio) = text.strip_prefix("42") else { return };
    if !sio.starts_with("[\"dataUpdate\"") || !sio.contains("\"delta\":true") {
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

async fn websocket_client(port: u16, sent: Sent, lat: mpsc::UnboundedSender<Duration>, ready: mpsc::Sender<()>) {
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
            let _ = ws.send(Message::text(AUTHORIZE)).await;
        } else if t == "2" {
            let _ = ws.send(Message::text("3")).await;
        } else if t.starts_with("430") {
            let _ = ready.send(()).await;
        } else {
            on_packet(t, &sent, &lat);
        }
    }
}

async fn polling_client(port: u16, sent: Sent, lat: mpsc::UnboundedSender<Duration>, ready: mpsc::Sender<()>) {
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

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

#[tokio::main]
async fn main() {
    let clients = env_num("BENCH_CLIENTS", 1000) as usize;
    let polling = (clients as u64 * env_num("BENCH_POLLING_PCT", 20).min(100) / 100) as usize;
    let posts = env_num("BENCH_POSTS", 60) as usize;
    let rate = env_num("BENCH_RATE", 10).max(1);
    let started = Instant::now();
    let _ = tokio::time::timeout(TIME_LIMIT, run(clients, polling, posts, rate)).await.map_err(|_| {
        eprintln!("bench: stopped at the time limit of {} s", TIME_LIMIT.as_secs());
    });
    eprintln!("bench: done in {:.1} s", started.elapsed().as_secs_f64());
}

async fn run(clients: usize, polling: usize, posts: usize, rate: u64) {
    let data = std::env::temp_dir().join(format!("ferroscout-bench-{}", std::process::id()));
    let mut server = tokio::process::Command::new(env!("CARGO_BIN_EXE_ferroscout"))
        .env("PORT", "0")
        .env("HOSTNAME", "127.0.0.1")
        .env("API_SECRET", SECRET)
        .env("FERROSCOUT_DATA_DIR", &data)
        .env("RUST_LOG", "warn,ferroscout=info,ferroscout::http=warn")
        .env("NO_COLOR", "1")
        .env_remove("MONGODB_URI")
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("start the server binary");
    let pid = server.id().expect("server pid");
    let mut lines = BufReader::new(server.stdout.take().expect("stdout")).lines();
    let port: u16 = loop {
        let line = lines.next_line().await.ok().flatten().expect("server exited before listening");
        if let Some(p) = line.split("listening on http://").nth(1).and_then(|a| a.rsplit(':').next()) {
            break p.trim().parse().expect("port");
        }
    };
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    let http = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{port}");
    // A day of history, so the full payload each dashboard gets is realistic (288 readings).
    let now = chrono_now_ms();
    let history: Vec<serde_json::Value> = (1..=288)
        .map(|i| serde_json::json!({"type": "sgv", "sgv": 100 + (i % 80), "date": now - i * 300_000, "direction": "Flat", "device": "bench"}))
        .collect();
    http.post(format!("{base}/api/v1/entries"))
        .header("api-secret", SECRET_SHA1)
        .json(&history)
        .send()
        .await
        .expect("seed");
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (rss_idle, _) = proc_stats(pid);

    let sent: Sent = Arc::default();
    let (lat_tx, mut lat_rx) = mpsc::unbounded_channel();
    let (ready_tx, mut ready_rx) = mpsc::channel(clients.max(1));
    let websocket = clients - polling;
    let (mut ready, mut rss_ws) = (0, None);
    let connect_start = Instant::now();
    for i in 0..clients {
        let (s, l, r) = (sent.clone(), lat_tx.clone(), ready_tx.clone());
        if i < websocket {
            tokio::spawn(websocket_client(port, s, l, r));
        } else {
            tokio::spawn(polling_client(port, s, l, r));
        }
        if i + 1 == websocket {
            // Measure websocket-only memory before the polling clients come.
            while ready < websocket {
                match tokio::time::timeout(Duration::from_secs(60), ready_rx.recv()).await {
                    Ok(Some(())) => ready += 1,
                    _ => break,
                }
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
            rss_ws = Some(proc_stats(pid).0);
        }
        if i % 50 == 49 {
            tokio::task::yield_now().await;
        }
    }
    while ready < clients {
        match tokio::time::timeout(Duration::from_secs(60), ready_rx.recv()).await {
            Ok(Some(())) => ready += 1,
            _ => break,
        }
    }
    let connect_time = connect_start.elapsed();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (rss_connected, cpu_before) = proc_stats(pid);

    let interval = Duration::from_millis(1000 / rate);
    let post_start = Instant::now();
    let t0 = chrono_now_ms();
    for i in 0..posts {
        let date = t0 + i as i64;
        let body = serde_json::json!({"type": "sgv", "sgv": 80 + (i % 200), "date": date, "direction": "Flat", "device": "bench"});
        sent.lock().unwrap().insert(date, Instant::now());
        let res =
            http.post(format!("{base}/api/v1/entries")).header("api-secret", SECRET_SHA1).json(&body).send().await;
        if !res.is_ok_and(|r| r.status().is_success()) {
            eprintln!("bench: POST {i} failed");
        }
        tokio::time::sleep(interval).await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let post_wall = post_start.elapsed();
    let (rss_after, cpu_after) = proc_stats(pid);
    let tick = 100.0; // USER_HZ on Linux
    let cpu_pct = (cpu_after - cpu_before) as f64 / tick / post_wall.as_secs_f64() * 100.0;

    drop(lat_tx);
    let mut lat = Vec::new();
    while let Ok(d) = lat_rx.try_recv() {
        lat.push(d);
    }
    lat.sort();
    let expected = ready * posts;
    let _ = server.kill().await;
    let _ = std::fs::remove_dir_all(&data);

    let kib = |k: u64| format!("{:.1} MiB", k as f64 / 1024.0);
    let per = |from: u64, to: u64, n: usize| {
        if n == 0 { "-".to_owned() } else { format!("{:.1} KiB", to.saturating_sub(from) as f64 / n as f64) }
    };
    println!();
    println!("| measure | value |");
    println!("|---|---|");
    println!(
        "| dashboards connected and authorized | {ready} of {clients} ({websocket} websocket, {polling} polling) |"
    );
    println!("| connect + authorize + full dataUpdate, all | {:.2} s |", connect_time.as_secs_f64());
    println!("| readings POSTed | {posts} at {rate}/s |");
    println!("| pushes received | {} of {expected} |", lat.len());
    println!("| POST -> dataUpdate p50 | {} |", ms(percentile(&lat, 0.50)));
    println!("| POST -> dataUpdate p99 | {} |", ms(percentile(&lat, 0.99)));
    println!("| POST -> dataUpdate max | {} |", ms(lat.last().copied().unwrap_or_default()));
    println!("| server RSS idle (no dashboards) | {} |", kib(rss_idle));
    if let Some(ws) = rss_ws {
        println!("| server RSS with {websocket} websocket dashboards | {} |", kib(ws));
        println!("| memory per idle websocket dashboard | {} |", per(rss_idle, ws, websocket));
    }
    println!("| server RSS with all dashboards | {} |", kib(rss_connected));
    println!("| memory per dashboard (mix) | {} |", per(rss_idle, rss_connected, ready));
    println!("| server RSS after the POSTs | {} |", kib(rss_after));
    println!("| server CPU while posting | {cpu_pct:.1} % of one core |");
}

fn chrono_now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}
