//! In-memory recent data (Nightscout's `ddata`), and what each write changed in it: the delta
//! `dataUpdate` for the root namespace and the `/storage` events.

use std::sync::{Arc, RwLock};

use serde_json::{Map, Value, json};

use crate::domain::time::now_ms;
use crate::store::{Collection, Store, StoreResult};

pub mod runtime;
pub mod snapshot;

use snapshot::{Changes, Snapshot};

/// One `/storage` event: `create`/`update`/`delete` for a collection.
#[derive(Debug, Clone, PartialEq)]
pub struct StorageEvent {
    pub collection: Collection,
    pub event: &'static str,
    pub payload: Value,
}

/// What a refresh found.
#[derive(Debug, Default)]
pub struct Update {
    /// The delta `dataUpdate`, when anything a dashboard shows changed.
    pub delta: Option<Value>,
    pub storage: Vec<StorageEvent>,
}

/// The recent data, replaced whole (copy on write) after each refresh.
pub struct Engine {
    store: Arc<dyn Store>,
    snap: RwLock<Arc<Snapshot>>,
}

impl Engine {
    pub fn new(store: Arc<dyn Store>) -> Engine {
        Engine { store, snap: RwLock::new(Arc::new(Snapshot::default())) }
    }

    /// The current snapshot.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.snap.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Loads every collection's window.
    pub async fn load_all(&self) -> StoreResult<()> {
        let now = now_ms();
        let mut next = Snapshot::default();
        for coll in Collection::ALL {
            snapshot::load(&*self.store, coll, now, &mut next).await?;
        }
        next.stats_taken = i64::MIN / 2;
        snapshot::load_stats(&*self.store, now, &mut next).await;
        *self.snap.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(next);
        Ok(())
    }

    /// Makes `next` the current snapshot.
    pub fn publish(&self, next: Arc<Snapshot>) {
        *self.snap.write().unwrap_or_else(|e| e.into_inner()) = next;
    }

    /// Reloads the windows of `colls` into a new snapshot (not yet published) and reports what
    /// changed. Refreshes run one at a time (from the broadcaster).
    pub async fn refresh(&self, colls: &[Collection]) -> StoreResult<(Arc<Snapshot>, Update)> {
        let now = now_ms();
        let prev = self.snapshot();
        let mut next = (*prev).clone();
        for &c in colls {
            snapshot::load(&*self.store, c, now, &mut next).await?;
        }
        snapshot::load_stats(&*self.store, now, &mut next).await;
        let mut update = Update::default();
        let mut delta = Map::new();
        for &c in colls {
            let changes = snapshot::diff(prev.docs(c), next.docs(c), snapshot::cutoff(c, now), snapshot::time_of(c));
            if changes.is_empty() {
                continue;
            }
            add_delta(&mut delta, c, &changes, &next);
            update.storage.extend(storage_events(c, &changes, prev.docs(c)));
        }
        if !delta.is_empty() {
            let mut out = Map::new();
            out.insert("delta".into(), Value::Bool(true));
            out.insert("lastUpdated".into(), Value::from(now));
            out.append(&mut delta);
            update.delta = Some(Value::Object(out));
        }
        Ok((Arc::new(next), update))
    }
}

/// The delta arrays for one collection (`lib/data/calcdelta.js`): new and changed items;
/// treatment changes and removals marked with `action`.
fn add_delta(delta: &mut Map<String, Value>, coll: Collection, ch: &Changes, next: &Snapshot) {
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
            delta.insert("profiles".into(), next.profile.iter().map(runtime::profile).collect::<Vec<_>>().into());
        }
        Collection::Food | Collection::Activity => {}
    }
}

/// `/storage` events in API v3's shape: the document with its `identifier`; a delete names the
/// removed document's `identifier` (its `_id` when it has none), as AndroidAPS matches it.
fn storage_events(coll: Collection, ch: &Changes, prev: &[crate::domain::Doc]) -> Vec<StorageEvent> {
    let name = coll.default_name();
    let doc = |d: &crate::domain::Doc| {
        let mut d = d.clone();
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
