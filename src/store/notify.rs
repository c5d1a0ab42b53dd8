//! A `Store` decorator that reports every confirmed write with what it wrote, so the engine can
//! apply it in place and realtime pushes follow every write path (REST, socket, later API v3)
//! without any handler having to remember to call them.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};

use super::{Collection, DbStats, Store, StoreHealth, StoreResult, Upsert, Written};
use crate::domain::Doc;
use crate::domain::filter::{Filter, Query, Val, is_object_id};

/// What a confirmed write wrote.
#[derive(Debug, Clone, PartialEq)]
pub enum Wrote {
    /// Inserted documents, as the store returned them (`_id` first).
    Stored(Vec<Doc>),
    /// Documents written in place or upserted: each by `_id`, or by the upsert's filter where the
    /// backend did not say which document it wrote. Read back to get their stored form.
    Touched(Vec<Filter>),
    /// Documents deleted by this filter.
    Deleted(Filter),
}

/// One confirmed write: the collection, its sequence number (1, 2, ...), and what it wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub coll: Collection,
    pub seq: u64,
    pub wrote: Wrote,
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
    /// Every outcome is reported here too (`/ready`, the one log line of an outage).
    health: Arc<StoreHealth>,
}

/// `_id` as stores match it: a 24-hex id also matches an ObjectId.
pub fn id_filter(id: &str) -> Filter {
    let v = if is_object_id(id) { Val::ObjectId(id.to_ascii_lowercase()) } else { Val::Str(id.to_owned()) };
    Filter::eq("_id", v)
}

impl NotifyingStore {
    pub fn new(inner: Arc<dyn Store>) -> (NotifyingStore, ChangeFeed) {
        let (tx, rx) = unbounded_channel();
        let written = Arc::new(AtomicU64::new(0));
        let health = StoreHealth::new(inner.clone());
        (NotifyingStore { inner, tx, written: written.clone(), health }, ChangeFeed { rx, written })
    }

    /// Whether the store can store.
    pub fn health(&self) -> Arc<StoreHealth> {
        self.health.clone()
    }

    fn wrote<T>(&self, r: StoreResult<T>) -> StoreResult<T> {
        self.health.wrote(&r);
        r
    }

    fn read<T>(&self, r: StoreResult<T>) -> StoreResult<T> {
        self.health.read(&r);
        r
    }

    fn changed(&self, coll: Collection, wrote: Wrote) {
        let seq = self.written.fetch_add(1, Ordering::SeqCst) + 1;
        // The receiver is gone only while shutting down; nothing is left to notify then.
        let _ = self.tx.send(Change { coll, seq, wrote });
    }
}

#[async_trait::async_trait]
impl Store for NotifyingStore {
    fn backend(&self) -> &'static str {
        self.inner.backend()
    }

    fn as_stored(&self, docs: Vec<Doc>) -> Vec<Doc> {
        self.inner.as_stored(docs)
    }

    async fn find(&self, coll: Collection, query: &Query) -> StoreResult<Vec<Doc>> {
        self.read(self.inner.find(coll, query).await)
    }

    fn find_pages(&self, coll: Collection, query: Query, page: usize) -> super::Pages {
        self.inner.find_pages(coll, query, page)
    }

    async fn stamps_matched(&self, coll: Collection, filters: Vec<Filter>) -> StoreResult<Vec<Option<Doc>>> {
        self.inner.stamps_matched(coll, filters).await
    }

    async fn count(&self, coll: Collection, filter: &Filter) -> StoreResult<u64> {
        self.read(self.inner.count(coll, filter).await)
    }

    async fn insert_many(&self, coll: Collection, docs: Vec<Doc>) -> StoreResult<Vec<Doc>> {
        let out = self.wrote(self.inner.insert_many(coll, docs).await)?;
        if !out.is_empty() {
            self.changed(coll, Wrote::Stored(out.clone()));
        }
        Ok(out)
    }

    async fn upsert_many(&self, coll: Collection, ops: Vec<Upsert>) -> StoreResult<Vec<Written>> {
        let filters: Vec<Filter> = ops.iter().map(|op| op.filter.clone()).collect();
        let out = self.wrote(self.inner.upsert_many(coll, ops).await)?;
        if !out.is_empty() {
            let touched = out
                .iter()
                .zip(filters)
                .map(|(w, f)| match w {
                    Written::Inserted(id) | Written::Updated(Some(id)) => id_filter(id),
                    Written::Updated(None) => f,
                })
                .collect();
            self.changed(coll, Wrote::Touched(touched));
        }
        Ok(out)
    }

    async fn delete_many(&self, coll: Collection, filter: &Filter) -> StoreResult<u64> {
        let n = self.wrote(self.inner.delete_many(coll, filter).await)?;
        if n > 0 {
            self.changed(coll, Wrote::Deleted(filter.clone()));
        }
        Ok(n)
    }

    async fn update_by_id(&self, coll: Collection, id: &str, set: Doc, unset: Vec<String>) -> StoreResult<bool> {
        let found = self.wrote(self.inner.update_by_id(coll, id, set, unset).await)?;
        if found {
            self.changed(coll, Wrote::Touched(vec![id_filter(id)]));
        }
        Ok(found)
    }

    // Tombstones follow a delete that was already reported; they change nothing a dashboard shows.
    async fn bury(&self, coll: Collection, docs: Vec<Doc>) -> StoreResult<()> {
        self.wrote(self.inner.bury(coll, docs).await)
    }

    async fn buried(&self, coll: Collection, query: &Query) -> StoreResult<Vec<Doc>> {
        self.read(self.inner.buried(coll, query).await)
    }

    async fn unbury(&self, coll: Collection, filter: &Filter) -> StoreResult<u64> {
        self.wrote(self.inner.unbury(coll, filter).await)
    }

    async fn stats(&self) -> StoreResult<DbStats> {
        self.read(self.inner.stats().await)
    }

    async fn lease(&self, name: &str, holder: &str, ttl_ms: i64) -> StoreResult<bool> {
        self.wrote(self.inner.lease(name, holder, ttl_ms).await)
    }

    async fn probe_write(&self) -> StoreResult<()> {
        self.wrote(self.inner.probe_write().await)
    }

    async fn put_note(&self, name: &str, value: &str, ttl_ms: i64) -> StoreResult<()> {
        self.inner.put_note(name, value, ttl_ms).await
    }

    async fn note(&self, name: &str) -> StoreResult<Option<String>> {
        self.inner.note(name).await
    }

    async fn watch(&self) -> StoreResult<Option<super::Watch>> {
        self.inner.watch().await
    }

    fn auth(&self) -> &dyn super::AuthStore {
        self.inner.auth()
    }
}
