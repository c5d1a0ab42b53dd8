//! In-memory recent data (Nightscout's `ddata`), its one owner: loaded once, then every confirmed
//! write is applied in place (`apply`), windows are trimmed by time and reconciled against the
//! store on a timer. Answers the delta `dataUpdate`, the `/storage` events, and the recent reads
//! REST serves from memory (`reads`).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use serde_json::{Map, Value, json};
use tokio::sync::watch;

use crate::domain::time::now_ms;
use crate::store::{Collection, Store, StoreResult};

mod apply;
pub mod memo;
pub mod reads;
pub mod runtime;
pub mod snapshot;
mod stats;

pub use snapshot::Shared;
use snapshot::{Changes, Snapshot};

/// One `/storage` event: `create`/`update`/`delete` for a collection.
#[derive(Debug, Clone, PartialEq)]
pub struct StorageEvent {
    pub collection: Collection,
    pub event: &'static str,
    pub payload: Value,
}

/// What applying writes (or a reconcile) found.
#[derive(Debug, Default)]
pub struct Update {
    /// The delta `dataUpdate`, when anything a dashboard shows changed.
    pub delta: Option<Value>,
    pub storage: Vec<StorageEvent>,
}

/// The recent data, published as immutable snapshots that share their documents.
pub struct Engine {
    store: Arc<dyn Store>,
    snap: RwLock<Arc<Snapshot>>,
    /// Writes confirmed by the store so far (counted by `NotifyingStore`), and writes the
    /// published snapshot reflects.
    written: Arc<AtomicU64>,
    applied: watch::Sender<u64>,
    loaded: watch::Sender<bool>,
    /// Whether REST reads may be answered from memory (on unless switched off), and how many were.
    serve_reads: AtomicBool,
    memory_reads: AtomicU64,
    /// The latest database sizes read (`stats`).
    stats: Arc<stats::StatsCache>,
}

impl Engine {
    /// An engine over `store`; `written` counts the writes the store confirmed.
    pub fn new(store: Arc<dyn Store>, written: Arc<AtomicU64>) -> Engine {
        Engine {
            store,
            snap: RwLock::new(Arc::new(Snapshot::default())),
            written,
            applied: watch::channel(0).0,
            loaded: watch::channel(false).0,
            serve_reads: AtomicBool::new(true),
            memory_reads: AtomicU64::new(0),
            stats: Arc::default(),
        }
    }

    /// The current snapshot (empty until loaded).
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.snap.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// The recent documents of one collection, ascending by time, shared with the engine (for
    /// computations over recent data, like IOB and COB).
    pub fn recent(&self, coll: Collection) -> Vec<Shared> {
        self.snapshot().docs(coll).to_vec()
    }

    /// Switches answering REST reads from memory on or off (they then go to the store).
    pub fn set_serve_reads(&self, on: bool) {
        self.serve_reads.store(on, Ordering::SeqCst);
    }

    /// Counts a REST read answered from memory.
    pub fn served_from_memory(&self) {
        self.memory_reads.fetch_add(1, Ordering::Relaxed);
    }

    /// REST reads answered from memory so far.
    pub fn memory_reads(&self) -> u64 {
        self.memory_reads.load(Ordering::Relaxed)
    }

    /// Waits up to `limit` until the snapshot is loaded and reflects every write confirmed
    /// before the call; true if it does.
    pub async fn caught_up(&self, limit: Duration) -> bool {
        let target = self.written.load(Ordering::SeqCst);
        let (mut loaded, mut applied) = (self.loaded.subscribe(), self.applied.subscribe());
        if *loaded.borrow() && *applied.borrow() >= target {
            return true;
        }
        tokio::time::timeout(limit, async {
            let _ = loaded.wait_for(|v| *v).await;
            let _ = applied.wait_for(|a| *a >= target).await;
        })
        .await
        .is_ok()
    }

    /// The snapshot, for a REST read that memory may answer: only when serving reads from
    /// memory is on and the snapshot reflects every write confirmed before the request (waiting
    /// a second at most); `None` sends the read to the store.
    pub async fn fresh(&self) -> Option<Arc<Snapshot>> {
        if !self.serve_reads.load(Ordering::SeqCst) {
            return None;
        }
        self.caught_up(Duration::from_secs(1)).await.then(|| self.snapshot())
    }

    /// Loads every collection's window and publishes it.
    pub async fn load_all(&self) -> StoreResult<()> {
        let next = self.load_fresh().await?;
        self.publish(Arc::new(next));
        self.loaded.send_replace(true);
        Ok(())
    }

    async fn load_fresh(&self) -> StoreResult<Snapshot> {
        let now = now_ms();
        let mut next = Snapshot::default();
        for coll in Collection::ALL {
            snapshot::load(&*self.store, coll, now, &mut next).await?;
        }
        // Shown only: a database that cannot say its size still serves its data.
        next.dbstats = self.dbstats().await.unwrap_or_default();
        Ok(next)
    }

    /// Makes `next` the current snapshot.
    pub fn publish(&self, next: Arc<Snapshot>) {
        *self.snap.write().unwrap_or_else(|e| e.into_inner()) = next;
    }

    /// Records that the published snapshot reflects writes up to `seq`.
    pub fn mark_applied(&self, seq: u64) {
        self.applied.send_if_modified(|a| {
            let newer = seq > *a;
            if newer {
                *a = seq;
            }
            newer
        });
    }

    /// Reloads every window and reports what differs from memory (writes made by someone else,
    /// or missed): the new snapshot (not yet published) and its update. Documents that did not
    /// change keep being shared with the current snapshot.
    pub async fn reconcile(&self) -> StoreResult<(Arc<Snapshot>, Update)> {
        let now = now_ms();
        let prev = self.snapshot();
        let mut next = self.load_fresh().await?;
        let mut changes = Vec::new();
        for c in Collection::ALL {
            let ch = snapshot::diff(prev.docs(c), next.docs(c), snapshot::cutoff(c, now), snapshot::time_of(c));
            apply::keep_shared(&prev, &mut next, c);
            if !ch.is_empty() {
                changes.push((c, ch));
            }
        }
        Ok((Arc::new(next), update_of(&prev, &changes, now)))
    }
}

/// The delta `dataUpdate` and `/storage` events for what changed, per collection.
fn update_of(prev: &Snapshot, changes: &[(Collection, Changes)], now: i64) -> Update {
    let mut update = Update::default();
    let mut delta = Map::new();
    for (c, ch) in changes {
        add_delta(&mut delta, *c, ch);
        update.storage.extend(storage_events(*c, ch, prev.docs(*c)));
    }
    if !delta.is_empty() {
        let mut out = Map::new();
        out.insert("delta".into(), Value::Bool(true));
        out.insert("lastUpdated".into(), Value::from(now));
        out.append(&mut delta);
        update.delta = Some(Value::Object(out));
    }
    update
}

/// The delta arrays for one collection (`lib/data/calcdelta.js`): new and changed items;
/// treatment changes and removals marked with `action`; the profile whole.
fn add_delta(delta: &mut Map<String, Value>, coll: Collection, ch: &Changes) {
    match coll {
        Collection::Entries => {
            for (k, v) in snapshot::entries_by_kind(ch.created.iter().chain(&ch.updated)) {
                delta.insert(k.into(), v.into());
            }
        }
        Collection::Treatments => {
            let mut out: Vec<Value> = ch.created.iter().map(|d| Value::Object(runtime::treatment(d))).collect();
            for d in &ch.updated {
                let mut t = runtime::treatment(d);
                t.insert("action".into(), "update".into());
                out.push(Value::Object(t));
            }
            for (id, mills) in &ch.removed {
                out.push(json!({"_id": id, "mills": mills, "action": "remove"}));
            }
            delta.insert("treatments".into(), out.into());
        }
        Collection::DeviceStatus => {
            let out: Vec<Value> =
                ch.created.iter().chain(&ch.updated).map(|d| Value::Object(runtime::devicestatus(d))).collect();
            if !out.is_empty() {
                delta.insert("devicestatus".into(), out.into());
            }
        }
        Collection::Profile => {
            let p: Vec<Value> =
                ch.created.iter().chain(&ch.updated).map(|d| Value::Object(runtime::profile(d))).collect();
            delta.insert("profiles".into(), p.into());
        }
        Collection::Food | Collection::Activity => {}
    }
}

/// `/storage` events in API v3's shape: the document with its `identifier`; a delete names the
/// removed document's `identifier` (its `_id` when it has none), as AndroidAPS matches it.
fn storage_events(coll: Collection, ch: &Changes, prev: &[Shared]) -> Vec<StorageEvent> {
    let name = coll.default_name();
    let doc = |d: &Shared| {
        let mut d = (**d).clone();
        if !d.contains_key("identifier")
            && let Some(id) = d.get("_id").cloned()
        {
            d.insert("identifier".into(), id);
        }
        Value::Object(d)
    };
    let mut out = Vec::new();
    for d in &ch.created {
        out.push(StorageEvent { collection: coll, event: "create", payload: json!({"colName": name, "doc": doc(d)}) });
    }
    for d in &ch.updated {
        out.push(StorageEvent { collection: coll, event: "update", payload: json!({"colName": name, "doc": doc(d)}) });
    }
    for (id, _) in &ch.removed {
        let gone = prev.iter().find(|d| d.get("_id") == Some(id));
        let id = gone.and_then(|d| d.get("identifier")).filter(|v| v.is_string()).unwrap_or(id);
        out.push(StorageEvent {
            collection: coll,
            event: "delete",
            payload: json!({"colName": name, "identifier": id}),
        });
    }
    out
}
