//! Whether the store can store: the outcome of the last write (any write, by any path), and a
//! small write probe when nothing was written for a while, so `GET /ready` answers "able to
//! store" without a write per probe request. A change of state is logged once: the first failing
//! write (disk full, database unreachable...), and the first write that works again. While writes
//! fail a probe runs every few seconds, so writing resumes (and says so) by itself.

use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use super::{Store, StoreError, StoreResult, outage};

/// A success this recent answers readiness without a probe.
const OK_FOR: Duration = Duration::from_secs(10);
/// A failure this recent answers readiness without a probe.
const FAILED_FOR: Duration = Duration::from_secs(2);
/// How often a failing store is probed in the background.
const REPROBE_EVERY: Duration = Duration::from_secs(5);

#[derive(Debug, Clone, Default)]
struct Last {
    /// When the last outcome was seen; `None` before any.
    at: Option<Instant>,
    /// The outage cause (`StoreError::Unavailable`) of the last outcome, `None` if it worked.
    failure: Option<String>,
    /// Unix ms of the last successful write, for the readiness body.
    ok_ms: Option<i64>,
}

/// Shared by the notifying store (which reports every outcome) and `/ready`.
pub struct StoreHealth {
    /// The undecorated store: probes are not data, so no change is reported for them.
    store: Arc<dyn Store>,
    last: Mutex<Last>,
    /// One probe at a time; others wait for its outcome.
    probing: tokio::sync::Mutex<()>,
    me: Weak<StoreHealth>,
}

/// What `/ready` reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Readiness {
    /// Unix ms of the last write that worked (probe or real), if any.
    pub last_write_ms: Option<i64>,
}

impl StoreHealth {
    pub fn new(store: Arc<dyn Store>) -> Arc<StoreHealth> {
        Arc::new_cyclic(|me| StoreHealth {
            store,
            last: Mutex::new(Last::default()),
            probing: tokio::sync::Mutex::new(()),
            me: me.clone(),
        })
    }

    /// Records a write's outcome. Only outages count: a refused duplicate is the request's fault.
    pub(crate) fn wrote<T>(&self, result: &StoreResult<T>) {
        match result {
            Ok(_) => self.set(None),
            Err(StoreError::Unavailable(cause)) => self.set(Some(cause.clone())),
            Err(_) => {}
        }
    }

    /// Records a read's failure: an unreachable database cannot store either. A read that works
    /// says nothing about writes (a full disk still reads).
    pub(crate) fn read<T>(&self, result: &StoreResult<T>) {
        if let Err(StoreError::Unavailable(cause)) = result {
            self.set(Some(cause.clone()));
        }
    }

    /// Ready when the store took the last write, probing it when that is not recent.
    pub async fn check(&self) -> StoreResult<Readiness> {
        if let Some(r) = self.fresh() {
            return r;
        }
        let _one = self.probing.lock().await;
        if let Some(r) = self.fresh() {
            return r;
        }
        let r = self.store.probe_write().await;
        self.wrote(&r);
        r?;
        Ok(self.readiness())
    }

    fn readiness(&self) -> Readiness {
        Readiness { last_write_ms: self.lock().ok_ms }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Last> {
        self.last.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn fresh(&self) -> Option<StoreResult<Readiness>> {
        let last = self.lock().clone();
        let age = last.at?.elapsed();
        match last.failure {
            None if age < OK_FOR => Some(Ok(Readiness { last_write_ms: last.ok_ms })),
            Some(cause) if age < FAILED_FOR => Some(Err(StoreError::Unavailable(cause))),
            _ => None,
        }
    }

    fn set(&self, failure: Option<String>) {
        let before = {
            let mut last = self.lock();
            let before = last.failure.take();
            last.at = Some(Instant::now());
            if failure.is_none() {
                last.ok_ms = Some(crate::domain::time::now_ms());
            }
            last.failure = failure.clone();
            before
        };
        match (before, failure) {
            (Some(_), None) => tracing::info!("storage: writing again"),
            (None, Some(cause)) => {
                log_outage(&cause);
                self.reprobe();
            }
            (Some(old), Some(new)) if kind(&old) != kind(&new) => log_outage(&new),
            _ => {}
        }
    }

    /// Probes in the background until a write works again.
    fn reprobe(&self) {
        let me = self.me.clone();
        let Ok(rt) = tokio::runtime::Handle::try_current() else { return };
        rt.spawn(async move {
            loop {
                tokio::time::sleep(REPROBE_EVERY).await;
                // Gone with the server, or writing again: nothing left to do.
                let Some(me) = me.upgrade() else { return };
                if me.lock().failure.is_none() {
                    return;
                }
                let _one = me.probing.lock().await;
                let r = me.store.probe_write().await;
                me.wrote(&r);
            }
        });
    }
}

/// The kind of an outage: the start of its cause as the stores word it.
fn kind(cause: &str) -> &str {
    [outage::DISK_FULL, outage::LOCKED, outage::READ_ONLY, outage::REFUSED]
        .into_iter()
        .find(|k| cause.starts_with(k))
        .unwrap_or("unavailable")
}

/// The one line an outage is reported with (each failing request has only its status line).
fn log_outage(cause: &str) {
    if cause.starts_with(outage::DISK_FULL) {
        tracing::error!(
            %cause,
            "storage is full: new data is refused with 507 until space is freed (delete old data, or raise \
             FERROSCOUT_SQLITE_MAX_SIZE_MB); reads go on"
        );
    } else {
        tracing::error!(%cause, "storage unavailable: writes are refused with 503 until it answers again");
    }
}
