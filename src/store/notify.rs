//! A `Store` decorator that reports every confirmed write, so realtime pushes follow every write
//! path (REST, socket, later API v3) without any handler having to remember to call them.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};

use super::{Collection, DbStats, Store, StoreResult, Upsert, Written};
use crate::domain::Doc;
use crate::domain::filter::{Filter, Query};

/// One confirmed write: the collection, and its sequence number (1, 2, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Change {
    pub coll: Collection,
    pub seq: u64,
}

/// The receiving end: the changes in order, and how many were confirmed so far.
pub struct ChangeFeed {
    pub rx: UnboundedReceiver<Change>,
    pub written: Arc<AtomicU64>,
}

/// Forwards to `inner`; after each write the store confirmed, sends a `Change`.
pub struct NotifyingStore {
    inner: Arc<dyn Store>,
    tx: UnboundedSender<Change>,
    written: Arc<AtomicU64>,
}

impl NotifyingStore {
    pub fn new(inner: Arc<dyn Store>) -> (NotifyingStore, ChangeFeed) {
        let (tx, rx) = unbounded_channel();
        let written = Arc::new(AtomicU64::new(0));
        (NotifyingStore { inner, tx, written: written.clone() }, ChangeFeed { rx, written })
    }

    fn changed(&self, coll: Collection) {
        let seq = self.written.fetch_add(1, Ordering::SeqCst) + 1;
        // The receiver is gone only while shutting down; nothing is left to notify then.
        let _ = self.tx.send(Change { coll, seq });
    }
}

#[async_trait::async_trait]
impl Store for NotifyingStore {
    fn backend(&self) -> &'static str {
        self.inner.backend()
    }

    async fn find(&self, coll: Collection, query: &Query) -> StoreResult<Vec<Doc>> {
        self.inner.find(coll, query).await
    }

    async fn count(&self, coll: Collection, filter: &Filter) -> StoreResult<u64> {
        self.inner.count(coll, filter).await
    }

    async fn insert_many(&self, coll: Collection, docs: Vec<Doc>) -> StoreResult<Vec<Doc>> {
        let out = self.inner.insert_many(coll, docs).await?;
        if !out.is_empty() {
            self.changed(coll);
        }
        Ok(out)
    }

    async fn upsert_many(&self, coll: Collection, ops: Vec<Upsert>) -> StoreResult<Vec<Written>> {
        let out = self.inner.upsert_many(coll, ops).await?;
        if !out.is_empty() {
            self.changed(coll);
        }
        Ok(out)
    }

    async fn delete_many(&self, coll: Collection, filter: &Filter) -> StoreResult<u64> {
        let n = self.inner.delete_many(coll, filter).await?;
        if n > 0 {
            self.changed(coll);
        }
        Ok(n)
    }

    async fn update_by_id(&self, coll: Collection, id: &str, set: Doc, unset: Vec<String>) -> StoreResult<bool> {
        let found = self.inner.update_by_id(coll, id, set, unset).await?;
        if found {
            self.changed(coll);
        }
        Ok(found)
    }

    async fn stats(&self) -> StoreResult<DbStats> {
        self.inner.stats().await
    }

    async fn lease(&self, name: &str, holder: &str, ttl_ms: i64) -> StoreResult<bool> {
        self.inner.lease(name, holder, ttl_ms).await
    }
}
