//! The database sizes (`dbstats` in the full `dataUpdate`, `dbsize` in `/api/v2/properties`),
//! read from the store at most once per confirmed write and once a minute, as Nightscout reads
//! them once per data load; never on the push path (applying a write takes the latest sizes
//! and refreshes them in the background).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use super::Engine;
use crate::domain::time::now_ms;
use crate::store::{DbStats, Store, StoreResult};

/// Sizes older than this are read again even without a write (someone else may have written).
const MAX_AGE_MS: i64 = 60_000;

#[derive(Clone, Copy)]
struct Taken {
    stats: DbStats,
    /// Writes confirmed before the sizes were read, and when.
    written: u64,
    at: i64,
}

/// The latest sizes read; one read at a time.
#[derive(Default)]
pub(super) struct StatsCache {
    latest: Mutex<Option<Taken>>,
    reading: tokio::sync::Mutex<()>,
    refreshing: AtomicBool,
}

impl StatsCache {
    /// The latest sizes, if read after the `written`-th write (any, for `None`) and recently.
    fn current(&self, written: Option<u64>, now: i64) -> Option<DbStats> {
        let t = (*self.latest.lock().unwrap_or_else(|e| e.into_inner()))?;
        (written.is_none_or(|w| t.written == w) && (0..MAX_AGE_MS).contains(&(now - t.at))).then_some(t.stats)
    }

    async fn read(&self, store: &dyn Store, written: u64) -> StoreResult<DbStats> {
        let _one = self.reading.lock().await;
        let now = now_ms();
        if let Some(s) = self.current(Some(written), now) {
            return Ok(s);
        }
        let stats = store.stats().await?;
        *self.latest.lock().unwrap_or_else(|e| e.into_inner()) = Some(Taken { stats, written, at: now });
        Ok(stats)
    }
}

impl Engine {
    /// The database sizes as of the latest confirmed write (read now if they are older).
    pub async fn dbstats(&self) -> StoreResult<DbStats> {
        let written = self.written.load(Ordering::SeqCst);
        if let Some(s) = self.stats.current(Some(written), now_ms()) {
            return Ok(s);
        }
        self.stats.read(&*self.store, written).await
    }

    /// The latest sizes read (`fallback` before any), without waiting; when they are a minute
    /// old, a read is started in the background for the next snapshot.
    pub(super) fn dbstats_now(&self, fallback: DbStats) -> DbStats {
        let written = self.written.load(Ordering::SeqCst);
        let latest = *self.stats.latest.lock().unwrap_or_else(|e| e.into_inner());
        if self.stats.current(None, now_ms()).is_none() && !self.stats.refreshing.swap(true, Ordering::SeqCst) {
            let (cache, store) = (Arc::clone(&self.stats), Arc::clone(&self.store));
            tokio::spawn(async move {
                if let Err(e) = cache.read(&*store, written).await {
                    tracing::debug!("engine: cannot read the database sizes: {e}");
                }
                cache.refreshing.store(false, Ordering::SeqCst);
            });
        }
        latest.map_or(fallback, |t| t.stats)
    }
}
