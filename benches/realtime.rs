//! Realtime benchmark: for each data set (a day of sgvs only, and a looper's two days: see
//! `realtime/looper.rs`) starts the server binary (embedded store, or MongoDB with
//! `BENCH_MONGODB_URI`), stores the data set, makes 1,000 mixed writes, measures GET throughput
//! with 8 connections, connects N dashboards speaking Engine.IO 4 / socket.io 5 (websocket and
//! long-polling), POSTs readings and measures at the clients the time from the POST to the delta
//! `dataUpdate`. Prints one table with a column per data set. Bounded in time; loopback only.
//!
//!   cargo bench --bench realtime                        # 1,000 dashboards, 20% polling
//!   BENCH_CLIENTS=200 BENCH_POSTS=30 BENCH_RATE=5 cargo bench --bench realtime
//!   BENCH_DATASETS=looper BENCH_WRITES=1000 BENCH_GET_SECS=3 cargo bench --bench realtime
//!   BENCH_MONGODB_URI=mongodb://127.0.0.1:27017/?directConnection=true cargo bench --bench realtime
//!   BENCH_SERVER_BIN=/tmp/ferroscout-before cargo bench --bench realtime   # another server build
//!   BENCH_DASHBOARD=ferroscout cargo bench --bench realtime  # websockets as our dashboard (REST history)

#![recursion_limit = "256"]

use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::sync::mpsc;

#[path = "realtime/clients.rs"]
mod clients;
#[path = "realtime/looper.rs"]
mod looper;

use clients::{FULL_PAYLOAD_BYTES, Sent, polling_client, websocket_client};
use looper::DataSet;

const SECRET: &str = "this is my long pass phrase";
const SECRET_SHA1: &str = "b723e97aa97846eb92d5264f084b2823f57c4aa1";
/// Each data set's run stops after this, whatever happened.
const TIME_LIMIT: Duration = Duration::from_secs(240);
const GET_PATHS: [&str; 4] =
    ["/api/v1/entries.json?count=288", "/api/v1/devicestatus.json?count=10", "/pebble", "/api/v2/properties"];

fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

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

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

struct Settings {
    clients: usize,
    polling: usize,
    posts: usize,
    rate: u64,
    writes: i64,
    get_secs: u64,
    mongo: Option<String>,
}

#[tokio::main]
async fn main() {
    let clients = env_num("BENCH_CLIENTS", 1000) as usize;
    let set = Settings {
        clients,
        polling: (clients as u64 * env_num("BENCH_POLLING_PCT", 20).min(100) / 100) as usize,
        posts: env_num("BENCH_POSTS", 60) as usize,
        rate: env_num("BENCH_RATE", 10).max(1),
        writes: env_num("BENCH_WRITES", 1000) as i64,
        get_secs: env_num("BENCH_GET_SECS", 3),
        mongo: std::env::var("BENCH_MONGODB_URI").ok().filter(|s| !s.is_empty()),
    };
    let names = std::env::var("BENCH_DATASETS").unwrap_or_else(|_| "sgv,looper".into());
    let started = Instant::now();
    let mut columns = Vec::new();
    for name in names.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        FULL_PAYLOAD_BYTES.store(0, Ordering::Relaxed);
        match tokio::time::timeout(TIME_LIMIT, run(name, &set)).await {
            Ok(rows) => columns.push((name.to_owned(), rows)),
            Err(_) => eprintln!("bench: {name} stopped at the time limit of {} s", TIME_LIMIT.as_secs()),
        }
    }
    print_table(&set, &columns);
    eprintln!("bench: done in {:.1} s", started.elapsed().as_secs_f64());
}

fn print_table(set: &Settings, columns: &[(String, Vec<(String, String)>)]) {
    let backend = if set.mongo.is_some() { "mongodb" } else { "embedded" };
    println!();
    println!("| measure ({backend}) | {} |", columns.iter().map(|c| c.0.as_str()).collect::<Vec<_>>().join(" | "));
    println!("|---|{}", "---|".repeat(columns.len()));
    let Some((_, first)) = columns.first() else { return };
    for (i, (label, _)) in first.iter().enumerate() {
        let cells: Vec<&str> = columns.iter().map(|c| c.1.get(i).map_or("-", |r| r.1.as_str())).collect();
        println!("| {label} | {} |", cells.join(" | "));
    }
}

struct Server {
    child: tokio::process::Child,
    pid: u32,
    base: String,
    port: u16,
    data: std::path::PathBuf,
}

async fn start_server(name: &str, set: &Settings) -> Server {
    let data = std::env::temp_dir().join(format!("ferroscout-bench-{}-{name}", std::process::id()));
    // BENCH_SERVER_BIN runs another build of the server (an earlier one, for before/after figures).
    let bin = std::env::var("BENCH_SERVER_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_ferroscout").to_owned());
    let mut cmd = tokio::process::Command::new(bin);
    cmd.env("PORT", "0")
        .env("HOSTNAME", "127.0.0.1")
        .env("API_SECRET", SECRET)
        .env("FERROSCOUT_DATA_DIR", &data)
        .env("RUST_LOG", "warn,ferroscout=info,ferroscout::http=warn")
        .env("NO_COLOR", "1")
        .env_remove("MONGODB_URI")
        .stdout(Stdio::piped())
        .kill_on_drop(true);
    if let Some(base) = &set.mongo {
        let (hosts, opts) = base.split_once('?').unwrap_or((base, "directConnection=true"));
        let db = format!("bench{}{name}", std::process::id());
        cmd.env("MONGODB_URI", format!("{}/{db}?{opts}", hosts.trim_end_matches('/')));
    }
    let mut child = cmd.spawn().expect("start the server binary");
    let pid = child.id().expect("server pid");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let port: u16 = loop {
        let line = lines.next_line().await.ok().flatten().expect("server exited before listening");
        if let Some(p) = line.split("listening on http://").nth(1).and_then(|a| a.rsplit(':').next()) {
            break p.trim().parse().expect("port");
        }
    };
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    Server { child, pid, base: format!("http://127.0.0.1:{port}"), port, data }
}

async fn post(http: &reqwest::Client, base: &str, path: &str, body: &serde_json::Value) -> bool {
    let res = http.post(format!("{base}/api/v1/{path}")).header("api-secret", SECRET_SHA1).json(body).send().await;
    res.is_ok_and(|r| r.status().is_success())
}

async fn seed(http: &reqwest::Client, base: &str, data: &DataSet) {
    assert!(post(http, base, "entries", &data.entries.clone().into()).await, "seeding entries failed");
    if !data.treatments.is_empty() {
        assert!(post(http, base, "treatments", &data.treatments.clone().into()).await, "seeding treatments failed");
    }
    if let Some(p) = &data.profile {
        assert!(post(http, base, "profile", p).await, "seeding the profile failed");
    }
    // devicestatus bodies are limited to 1 MB: in chunks.
    for chunk in data.devicestatus.chunks(50) {
        assert!(post(http, base, "devicestatus", &chunk.to_vec().into()).await, "seeding devicestatus failed");
    }
}

/// Requests a second on `path` with 8 connections for `secs` seconds.
async fn get_throughput(base: &str, path: &str, secs: u64) -> f64 {
    let done = Arc::new(AtomicU64::new(0));
    let until = Instant::now() + Duration::from_secs(secs);
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let (url, done) = (format!("{base}{path}"), done.clone());
        tasks.push(tokio::spawn(async move {
            let http = reqwest::Client::new();
            while Instant::now() < until {
                let res = http.get(&url).header("api-secret", SECRET_SHA1).send().await;
                if let Ok(r) = res
                    && r.status().is_success()
                    && r.bytes().await.is_ok()
                {
                    done.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    let start = Instant::now();
    for t in tasks {
        let _ = t.await;
    }
    done.load(Ordering::Relaxed) as f64 / start.elapsed().as_secs_f64()
}

async fn run(name: &str, set: &Settings) -> Vec<(String, String)> {
    let mut server = start_server(name, set).await;
    let (pid, base, port) = (server.pid, server.base.clone(), server.port);
    let http = reqwest::Client::new();
    let now = chrono_now_ms();
    let data = if name == "looper" {
        DataSet::looper(now)
    } else {
        DataSet::sgv_only(now, env_num("BENCH_HISTORY", 288) as i64)
    };
    let mut rows: Vec<(String, String)> = Vec::new();
    let mut row = |k: &str, v: String| rows.push((k.to_owned(), v));
    row("data set stored (JSON)", format!("{:.0} KiB", data.json_bytes() as f64 / 1024.0));
    seed(&http, &base, &data).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let (rss_idle, _) = proc_stats(pid);
    let writes_start = Instant::now();
    for i in 0..set.writes {
        let (path, body) = looper::mixed_write(chrono_now_ms(), i);
        if !post(&http, &base, path, &body).await {
            eprintln!("bench: mixed write {i} failed");
        }
    }
    let writes_wall = writes_start.elapsed();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let (rss_writes, _) = proc_stats(pid);
    let mut gets = Vec::new();
    for path in GET_PATHS {
        gets.push((path, get_throughput(&base, path, set.get_secs).await));
    }

    let sent: Sent = Arc::default();
    let (lat_tx, mut lat_rx) = mpsc::unbounded_channel();
    let (ready_tx, mut ready_rx) = mpsc::channel(set.clients.max(1));
    let websocket = set.clients - set.polling;
    let (rss_before_dash, _) = proc_stats(pid);
    let (mut ready, mut rss_ws) = (0, None);
    let connect_start = Instant::now();
    for i in 0..set.clients {
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
    while ready < set.clients {
        match tokio::time::timeout(Duration::from_secs(60), ready_rx.recv()).await {
            Ok(Some(())) => ready += 1,
            _ => break,
        }
    }
    let connect_time = connect_start.elapsed();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (rss_connected, cpu_before) = proc_stats(pid);

    let interval = Duration::from_millis(1000 / set.rate);
    let post_start = Instant::now();
    let t0 = chrono_now_ms() + 1000;
    for i in 0..set.posts {
        let date = t0 + i as i64;
        let body = serde_json::json!({"type": "sgv", "sgv": 80 + (i % 200), "date": date, "direction": "Flat", "device": "bench"});
        sent.lock().unwrap().insert(date, Instant::now());
        if !post(&http, &base, "entries", &body).await {
            eprintln!("bench: POST {i} failed");
        }
        tokio::time::sleep(interval).await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let post_wall = post_start.elapsed();
    let (rss_after, cpu_after) = proc_stats(pid);
    let cpu_pct = (cpu_after - cpu_before) as f64 / 100.0 / post_wall.as_secs_f64() * 100.0;

    drop(lat_tx);
    let mut lat = Vec::new();
    while let Ok(d) = lat_rx.try_recv() {
        lat.push(d);
    }
    lat.sort();
    let expected = ready * set.posts;
    let _ = server.child.kill().await;
    let _ = std::fs::remove_dir_all(&server.data);

    let kib = |k: u64| format!("{:.1} MiB", k as f64 / 1024.0);
    let per = |from: u64, to: u64, n: usize| {
        if n == 0 { "-".to_owned() } else { format!("{:.1} KiB", to.saturating_sub(from) as f64 / n as f64) }
    };
    let grow = |from: u64, to: u64| format!("{} ({:+.0}%)", kib(to), (to as f64 / from.max(1) as f64 - 1.0) * 100.0);
    row("server RSS idle, data stored", kib(rss_idle));
    row(&format!("server RSS after {} mixed writes", set.writes), grow(rss_idle, rss_writes));
    row(
        "mixed writes per second (one client, sequential)",
        format!("{:.0}", set.writes as f64 / writes_wall.as_secs_f64()),
    );
    for (path, rps) in gets {
        row(&format!("GET {path}, req/s (8 connections)"), format!("{rps:.0}"));
    }
    row(
        "full dataUpdate per dashboard",
        format!("{:.0} KiB", FULL_PAYLOAD_BYTES.load(Ordering::Relaxed) as f64 / 1024.0),
    );
    row(
        "dashboards connected and authorized",
        format!(
            "{ready} of {} ({websocket} websocket{}, {} polling)",
            set.clients,
            if clients::ours() { " as Ferroscout's dashboard: full payload over REST" } else { "" },
            set.polling
        ),
    );
    row("connect + authorize + full dataUpdate, all", format!("{:.2} s", connect_time.as_secs_f64()));
    row("readings POSTed", format!("{} at {}/s", set.posts, set.rate));
    row("pushes received", format!("{} of {expected}", lat.len()));
    row("POST -> dataUpdate p50", ms(percentile(&lat, 0.50)));
    row("POST -> dataUpdate p99", ms(percentile(&lat, 0.99)));
    row("POST -> dataUpdate max", ms(lat.last().copied().unwrap_or_default()));
    row("server RSS before dashboards", kib(rss_before_dash));
    if let Some(ws) = rss_ws {
        row("memory per idle websocket dashboard", per(rss_before_dash, ws, websocket));
    }
    row("server RSS with all dashboards", kib(rss_connected));
    row("memory per dashboard (mix)", per(rss_before_dash, rss_connected, ready));
    row("server RSS after the POSTs", kib(rss_after));
    row("server CPU while posting", format!("{cpu_pct:.1} % of one core"));
    rows
}

fn chrono_now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}
