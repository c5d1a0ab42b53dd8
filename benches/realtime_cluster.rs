//! Two-instance realtime benchmark (issue #17): two server binaries on one MongoDB database,
//! sharing socket.io through Redis; dashboards (websocket) on both; readings POSTed on instance B.
//! Prints the POST -> delta `dataUpdate` latency at B's own dashboards and, across instances, at
//! A's. Loopback only, bounded in time.
//!
//!   BENCH_MONGODB_URI=mongodb://127.0.0.1:27017 cargo bench --bench realtime_cluster
//!   BENCH_CLIENTS=200 BENCH_POSTS=30 BENCH_RATE=5 BENCH_REDIS_URL=redis://127.0.0.1:6379 ...
//!
//! Without `BENCH_REDIS_URL` it starts `redis-server` (Debian's package) on a free port.

use std::collections::HashMap;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;

const SECRET: &str = "this is my long pass phrase";
const SECRET_SHA1: &str = "b723e97aa97846eb92d5264f084b2823f57c4aa1";
const AUTHORIZE: &str =
    r#"420["authorize",{"client":"bench","secret":"b723e97aa97846eb92d5264f084b2823f57c4aa1","history":48}]"#;
const TIME_LIMIT: Duration = Duration::from_secs(180);

fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// POST time of each reading, by its `date`.
type Sent = Arc<Mutex<HashMap<i64, Instant>>>;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("free port")
}

fn mongo_uri(base: &str, db: &str) -> String {
    let (hosts, opts) = base.split_once('?').unwrap_or((base, "directConnection=true"));
    format!("{}/{db}?{opts}", hosts.trim_end_matches('/'))
}

async fn start_server(uri: &str, redis: &str, name: &str) -> (Child, u16) {
    let data = std::env::temp_dir().join(format!("ferroscout-bench-{name}-{}", std::process::id()));
    let bin = std::env::var("BENCH_SERVER_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_ferroscout").to_owned());
    let mut child = Command::new(bin)
        .env("PORT", "0")
        .env("HOSTNAME", "127.0.0.1")
        .env("API_SECRET", SECRET)
        .env("AUTH_FAIL_DELAY", "0")
        .env("FERROSCOUT_DATA_DIR", &data)
        .env("MONGODB_URI", uri)
        .env("REDIS_URL", redis)
        .env("FERROSCOUT_INSTANCE", name)
        .env("RUST_LOG", "warn,ferroscout=info,ferroscout::http=warn")
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("start the server binary");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let port = loop {
        let line = lines.next_line().await.ok().flatten().expect("server exited before listening");
        if let Some(p) = line.split("listening on http://").nth(1).and_then(|a| a.rsplit(':').next()) {
            break p.trim().parse().expect("port");
        }
    };
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    (child, port)
}

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

async fn dashboard(port: u16, sent: Sent, lat: mpsc::UnboundedSender<Duration>, ready: mpsc::Sender<()>) {
    let url = format!("ws://127.0.0.1:{port}/socket.io/?EIO=4&transport=websocket");
    let Ok((mut ws, _)) = tokio_tungstenite::connect_async(url).await else { return };
    while let Some(Ok(msg)) = ws.next().await {
        let Message::Text(t) = msg else { continue };
        let t = t.as_str();
        if t.starts_with('0') {
            let _ = ws.send(Message::text("40")).await;
        } else if t.starts_with("40") {
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

fn summary(name: &str, mut lat: Vec<Duration>, expected: usize) {
    lat.sort();
    let pick = |p: f64| lat.get(((lat.len() as f64 * p).ceil() as usize).saturating_sub(1)).copied();
    let ms = |d: Option<Duration>| d.map_or("-".into(), |d| format!("{:.1} ms", d.as_secs_f64() * 1000.0));
    println!(
        "| {name} | {} / {expected} | {} | {} | {} |",
        lat.len(),
        ms(pick(0.5)),
        ms(pick(0.99)),
        ms(lat.last().copied())
    );
}

#[tokio::main]
async fn main() {
    let Ok(base) = std::env::var("BENCH_MONGODB_URI") else {
        println!("realtime_cluster: set BENCH_MONGODB_URI (two instances share one MongoDB); skipped");
        return;
    };
    if tokio::time::timeout(TIME_LIMIT, run(&base)).await.is_err() {
        println!("realtime_cluster: stopped after {TIME_LIMIT:?}");
    }
}

async fn run(base: &str) {
    let (clients, posts, rate) =
        (env_num("BENCH_CLIENTS", 100) as usize, env_num("BENCH_POSTS", 30), env_num("BENCH_RATE", 5));
    let mut redis_child = None;
    let redis = match std::env::var("BENCH_REDIS_URL") {
        Ok(u) => u,
        Err(_) => {
            let port = free_port();
            let child = Command::new("redis-server")
                .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
                .stdout(Stdio::null())
                .kill_on_drop(true)
                .spawn()
                .expect("redis-server (apt-get install redis-server) or BENCH_REDIS_URL");
            redis_child = Some(child);
            let deadline = Instant::now() + Duration::from_secs(10);
            while tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_err() {
                assert!(Instant::now() < deadline, "redis-server did not start");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            format!("redis://127.0.0.1:{port}")
        }
    };
    let uri = mongo_uri(base, &format!("fsc_bench_cluster_{}", std::process::id()));
    let (_a, port_a) = start_server(&uri, &redis, "bench-a").await;
    let (_b, port_b) = start_server(&uri, &redis, "bench-b").await;
    let sent: Sent = Arc::default();
    let (tx_a, mut rx_a) = mpsc::unbounded_channel();
    let (tx_b, mut rx_b) = mpsc::unbounded_channel();
    let (ready_tx, mut ready_rx) = mpsc::channel(clients.max(1));
    let on_a = clients / 2;
    for i in 0..clients {
        let (port, lat) = if i < on_a { (port_a, tx_a.clone()) } else { (port_b, tx_b.clone()) };
        tokio::spawn(dashboard(port, sent.clone(), lat, ready_tx.clone()));
    }
    let mut ready = 0;
    while ready < clients {
        match tokio::time::timeout(Duration::from_secs(60), ready_rx.recv()).await {
            Ok(Some(())) => ready += 1,
            _ => break,
        }
    }
    let http = reqwest::Client::new();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64;
    let mut tick = tokio::time::interval(Duration::from_millis(1000 / rate.max(1)));
    for i in 0..posts as i64 {
        tick.tick().await;
        let date = now - (posts as i64 - i) * 1000;
        sent.lock().unwrap().insert(date, Instant::now());
        let body = serde_json::json!({"type": "sgv", "sgv": 100 + i % 80, "date": date, "direction": "Flat", "device": "bench"});
        let _ = http
            .post(format!("http://127.0.0.1:{port_b}/api/v1/entries"))
            .header("api-secret", SECRET_SHA1)
            .json(&body)
            .send()
            .await;
    }
    // Collect until every dashboard has every push, or 10 s pass without a new one.
    let (want_a, want_b) = (on_a * posts as usize, (clients - on_a) * posts as usize);
    let (mut lat_a, mut lat_b) = (Vec::new(), Vec::new());
    while lat_a.len() < want_a || lat_b.len() < want_b {
        tokio::select! {
            Some(d) = rx_a.recv() => lat_a.push(d),
            Some(d) = rx_b.recv() => lat_b.push(d),
            _ = tokio::time::sleep(Duration::from_secs(10)) => break,
        }
    }
    println!(
        "\n{ready} of {clients} dashboards ready ({on_a} on A, {} on B); {posts} readings POSTed on B at {rate}/s\n",
        clients - on_a
    );
    println!("| dashboards | pushes received | p50 | p99 | max |\n|---|---|---|---|---|");
    summary("on B (same instance as the POST)", lat_b, want_b);
    summary("on A (across instances)", lat_a, want_a);
    drop(redis_child);
}
