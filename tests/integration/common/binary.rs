//! The real `ferroscout` binary as a child process, for tests that kill it (`kill -9`) or watch
//! its log (panics, the one line a fault is reported with).

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, AsyncRead};
use tokio::process::{Child, Command};

use super::SECRET;

pub struct Binary {
    pub base: String,
    child: Child,
    log: Arc<Mutex<Vec<String>>>,
}

impl Binary {
    /// Starts the binary on `data_dir` (embedded store) or `mongo_uri`, with API_SECRET set, no
    /// failure delay and `vars`; returns once it logged where it listens.
    pub async fn start(data_dir: &Path, mongo_uri: Option<&str>, vars: &[(&str, &str)]) -> Binary {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_ferroscout"));
        cmd.env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOSTNAME", "127.0.0.1")
            .env("PORT", "0")
            .env("NO_COLOR", "1")
            .env("RUST_LOG", "info")
            .env("FERROSCOUT_DATA_DIR", data_dir.display().to_string())
            .env("API_SECRET", SECRET)
            .env("AUTH_FAIL_DELAY", "0");
        if let Some(uri) = mongo_uri {
            cmd.env("MONGODB_URI", uri);
        }
        for (k, v) in vars {
            cmd.env(k, v);
        }
        let mut child =
            cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).kill_on_drop(true).spawn().expect("the binary starts");
        let log = Arc::new(Mutex::new(Vec::new()));
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<String>();
        collect(child.stdout.take().unwrap(), log.clone(), tx.clone());
        collect(child.stderr.take().unwrap(), log.clone(), tx);
        let port = loop {
            let line = rx.recv().await.unwrap_or_else(|| panic!("the binary exited: {:?}", log.lock().unwrap()));
            if let Some(rest) = line.split("listening on http://127.0.0.1:").nth(1) {
                break rest.trim().parse::<u16>().expect("a port");
            }
        };
        Binary { base: format!("http://127.0.0.1:{port}"), child, log }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// `kill -9`: no shutdown, no flush; waits until the process is gone.
    pub async fn kill9(mut self) {
        self.child.start_kill().expect("SIGKILL");
        let _ = self.child.wait().await;
    }

    /// True while the process runs.
    pub fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Everything the binary logged so far, one entry per line.
    pub fn log(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }

    /// The log lines containing `needle`.
    pub fn lines_with(&self, needle: &str) -> Vec<String> {
        self.log().into_iter().filter(|l| l.contains(needle)).collect()
    }
}

fn collect(
    pipe: impl AsyncRead + Unpin + Send + 'static,
    log: Arc<Mutex<Vec<String>>>,
    tx: tokio::sync::mpsc::UnboundedSender<String>,
) {
    tokio::spawn(async move {
        let mut lines = tokio::io::BufReader::new(pipe).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            log.lock().unwrap().push(line.clone());
            let _ = tx.send(line);
        }
    });
}

/// A fresh data folder and, for MongoDB, a fresh database URI (`None` when Mongo tests are skipped).
pub fn fresh_location(mongo: bool) -> Option<(PathBuf, Option<String>)> {
    let dir = std::env::temp_dir().join(super::unique("ferroscout_bin"));
    if mongo { super::mongo_uri_for(&super::unique("fsbin")).map(|u| (dir, Some(u))) } else { Some((dir, None)) }
}

/// Removes what `fresh_location` named.
pub fn remove_location(dir: &Path, mongo_uri: Option<&str>) {
    let _ = std::fs::remove_dir_all(dir);
    if let Some(uri) = mongo_uri.map(str::to_owned) {
        // Called from a test's runtime: drop the database from a thread of its own.
        let _ = std::thread::spawn(move || super::drop_database(&uri)).join();
    }
}
