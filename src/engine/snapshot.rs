//! The recent data every dashboard gets (Nightscout's `ddata`): loaded from the store, kept in
//! memory with each document shared (`Arc`) between snapshots, and compared with a fresh load on
//! reconcile to find what changed.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use serde_json::{Map, Value, json};

use super::memo::Memo;
use super::runtime::{self, DEVICESTATUS_KINDS, EntryKind};
use crate::domain::Doc;
use crate::domain::filter::{Cond, Dir, Filter, Query, Val};
use crate::domain::time::to_iso_utc;
use crate::store::{Collection, DbStats, Store, StoreResult};

const HOUR: i64 = 3_600_000;
/// sgvs, mbgs and cals: 48 hours (`lib/data/dataloader.js`).
pub const ENTRIES_WINDOW: i64 = 48 * HOUR;
/// Treatments: 60 hours.
pub const TREATMENTS_WINDOW: i64 = 60 * HOUR;
/// Devicestatus: one day (`DEVICESTATUS_DAYS`).
pub const DEVICESTATUS_WINDOW: i64 = 24 * HOUR;
/// The latest of these treatments is kept however old, up to 62 days.
pub const SPECIAL_EVENTS: [&str; 7] = [
    "Profile Switch",
    "Sensor Start",
    "Sensor Change",
    "Sensor Stop",
    "Site Change",
    "Insulin Change",
    "Pump Battery Change",
];
pub const SPECIAL_WINDOW: i64 = 62 * 24 * HOUR;

/// A stored document, shared by every snapshot that holds it.
pub type Shared = Arc<Doc>;

/// Raw stored documents of the recent windows, ascending by time.
#[derive(Default)]
pub struct Snapshot {
    pub entries: Vec<Shared>,
    pub treatments: Vec<Shared>,
    pub devicestatus: Vec<Shared>,
    pub profile: Option<Shared>,
    pub food: Vec<Shared>,
    pub dbstats: DbStats,
    /// Epoch ms the snapshot was taken.
    pub taken: i64,
    /// The full `dataUpdate`, built on first use.
    full: OnceLock<Value>,
    /// Sorted views and answers computed from this snapshot (`reads`, `memo`).
    pub(super) derived: Derived,
}

/// What is computed from a snapshot on first use and kept with it (a copy starts without). A
/// published snapshot is never changed: a write changes a copy.
#[derive(Default)]
pub(super) struct Derived {
    /// Entries with a numeric `date`, newest first.
    pub(super) entries_desc: OnceLock<Vec<Shared>>,
    /// Devicestatus with a string `created_at`, newest first.
    pub(super) devicestatus_desc: OnceLock<Vec<Shared>>,
    pub(super) memo: Memo,
}

impl Clone for Snapshot {
    fn clone(&self) -> Snapshot {
        Snapshot {
            entries: self.entries.clone(),
            treatments: self.treatments.clone(),
            devicestatus: self.devicestatus.clone(),
            profile: self.profile.clone(),
            food: self.food.clone(),
            dbstats: self.dbstats,
            taken: self.taken,
            full: OnceLock::new(),
            derived: Derived::default(),
        }
    }
}

fn since(field: &str, cutoff: Val) -> Filter {
    Filter::field(field, Cond::Gte(cutoff))
}

fn iso(ms: i64) -> Val {
    Val::Str(to_iso_utc(ms).unwrap_or_default())
}

fn shared(docs: Vec<Doc>) -> Vec<Shared> {
    docs.into_iter().map(Arc::new).collect()
}

/// Reads one collection's window as the snapshot holds it.
pub async fn load(store: &dyn Store, coll: Collection, now: i64, snap: &mut Snapshot) -> StoreResult<()> {
    match coll {
        Collection::Entries => {
            let q = Query::new(since("date", Val::Int(now - ENTRIES_WINDOW))).sort("date", Dir::Asc);
            snap.entries = shared(store.find(coll, &q).await?);
        }
        Collection::Treatments => {
            let q = Query::new(since("created_at", iso(now - TREATMENTS_WINDOW))).sort("created_at", Dir::Asc);
            let mut docs = store.find(coll, &q).await?;
            for event in SPECIAL_EVENTS {
                let f =
                    Filter::eq("eventType", Val::Str(event.into())).and(since("created_at", iso(now - SPECIAL_WINDOW)));
                let q = Query::new(f).sort("created_at", Dir::Desc).limit(Some(1));
                for d in store.find(coll, &q).await? {
                    if !docs.iter().any(|x| x.get("_id") == d.get("_id")) {
                        docs.push(d);
                    }
                }
            }
            docs.sort_by_key(|d| Collection::DeviceStatus.time_ms(d).unwrap_or(i64::MIN));
            snap.treatments = shared(docs);
        }
        Collection::DeviceStatus => {
            let q = Query::new(since("created_at", iso(now - DEVICESTATUS_WINDOW))).sort("created_at", Dir::Asc);
            snap.devicestatus = shared(store.find(coll, &q).await?);
        }
        Collection::Profile => {
            let q = Query::new(Filter::All).sort("startDate", Dir::Desc).sort("_id", Dir::Desc).limit(Some(1));
            snap.profile = store.find(coll, &q).await?.into_iter().next().map(Arc::new);
        }
        Collection::Food => snap.food = shared(store.find(coll, &Query::new(Filter::All)).await?),
        Collection::Activity => {}
    }
    snap.taken = now;
    Ok(())
}

/// What a write changed in one collection's window.
#[derive(Debug, Default, PartialEq)]
pub struct Changes {
    pub created: Vec<Shared>,
    pub updated: Vec<Shared>,
    /// `_id` and time of documents gone from a part of the window that is still covered.
    pub removed: Vec<(Value, Option<i64>)>,
}

impl Changes {
    pub fn is_empty(&self) -> bool {
        self.created.is_empty() && self.updated.is_empty() && self.removed.is_empty()
    }
}

/// Compares two windows by `_id`. A document missing from `next` counts as removed only if its
/// time is at or after `cutoff` (older ones merely aged out of the window).
pub fn diff(prev: &[Shared], next: &[Shared], cutoff: i64, time: impl Fn(&Doc) -> Option<i64>) -> Changes {
    let before: HashMap<&Value, &Shared> = prev.iter().filter_map(|d| Some((d.get("_id")?, d))).collect();
    let mut out = Changes::default();
    let mut seen = std::collections::HashSet::new();
    for d in next {
        let Some(id) = d.get("_id") else { continue };
        seen.insert(id);
        match before.get(id) {
            None => out.created.push(d.clone()),
            Some(old) if **old != *d => out.updated.push(d.clone()),
            Some(_) => {}
        }
    }
    for d in prev {
        if let Some(id) = d.get("_id")
            && !seen.contains(id)
        {
            let t = time(d);
            if t.is_none_or(|t| t >= cutoff) {
                out.removed.push((id.clone(), t));
            }
        }
    }
    out
}

/// The time a collection's window is measured by.
pub fn time_of(coll: Collection) -> impl Fn(&Doc) -> Option<i64> {
    move |d| coll.time_ms(d)
}

/// The start of a collection's window at `now` (the whole collection where there is none).
pub fn cutoff(coll: Collection, now: i64) -> i64 {
    match coll {
        Collection::Entries => now - ENTRIES_WINDOW,
        Collection::Treatments => now - TREATMENTS_WINDOW,
        Collection::DeviceStatus => now - DEVICESTATUS_WINDOW,
        _ => i64::MIN,
    }
}

impl Snapshot {
    /// The window of one collection.
    pub fn docs(&self, coll: Collection) -> &[Shared] {
        match coll {
            Collection::Entries => &self.entries,
            Collection::Treatments => &self.treatments,
            Collection::DeviceStatus => &self.devicestatus,
            Collection::Profile => self.profile.as_slice(),
            Collection::Food => &self.food,
            Collection::Activity => &[],
        }
    }

    /// Answers computed from this snapshot (REST reads repeated until the next write).
    pub fn memo(&self) -> &Memo {
        &self.derived.memo
    }

    /// The full `dataUpdate` (`ddata.dataWithRecentStatuses`), built once per snapshot.
    pub fn full(&self) -> &Value {
        self.full.get_or_init(|| {
            let mut out = Map::new();
            out.insert("devicestatus".into(), reduced_devicestatus(&self.devicestatus).into());
            let mut entries = entries_by_kind(&self.entries);
            for k in ["sgvs", "cals"] {
                out.insert(k.into(), entries.remove(k).unwrap_or_default().into());
            }
            out.insert("profiles".into(), self.profile.iter().map(|d| runtime::profile(d)).collect::<Vec<_>>().into());
            out.insert("mbgs".into(), entries.remove("mbgs").unwrap_or_default().into());
            out.insert(
                "food".into(),
                self.food.iter().map(|d| Value::Object((**d).clone())).collect::<Vec<_>>().into(),
            );
            out.insert(
                "treatments".into(),
                self.treatments.iter().map(|d| runtime::treatment(d)).collect::<Vec<_>>().into(),
            );
            out.insert(
                "dbstats".into(),
                json!({"dataSize": self.dbstats.data_size, "indexSize": self.dbstats.index_size}),
            );
            Value::Object(out)
        })
    }
}

/// Runtime forms grouped into `sgvs`, `mbgs` and `cals`, keeping the order.
pub fn entries_by_kind<'a>(docs: impl IntoIterator<Item = &'a Shared>) -> HashMap<&'static str, Vec<Value>> {
    let mut out: HashMap<&'static str, Vec<Value>> = HashMap::new();
    for d in docs {
        if let Some(k) = EntryKind::of(d) {
            out.entry(k.key()).or_default().push(Value::Object(runtime::entry(d, k)));
        }
    }
    out
}

/// The 10 newest devicestatus per device and kind (`uploader`, `pump`, ...), ascending.
fn reduced_devicestatus(docs: &[Shared]) -> Vec<Value> {
    let mut keep = vec![false; docs.len()];
    let mut counts: HashMap<(String, &str), usize> = HashMap::new();
    for (i, d) in docs.iter().enumerate().rev() {
        let device = d.get("device").and_then(Value::as_str).unwrap_or_default().to_owned();
        for kind in DEVICESTATUS_KINDS {
            let has = d.contains_key(kind) || (kind == "uploader" && d.contains_key("uploaderBattery"));
            if has {
                let n = counts.entry((device.clone(), kind)).or_default();
                if *n < 10 {
                    *n += 1;
                    keep[i] = true;
                }
            }
        }
    }
    docs.iter().zip(keep).filter(|(_, k)| *k).map(|(d, _)| Value::Object(runtime::devicestatus(d))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(v: Value) -> Shared {
        Arc::new(v.as_object().cloned().unwrap())
    }

    #[test]
    fn diff_finds_new_changed_and_removed_but_not_aged_out() {
        let a = doc(json!({"_id": "a", "date": 100, "sgv": 1}));
        let b = doc(json!({"_id": "b", "date": 200, "sgv": 2}));
        let old = doc(json!({"_id": "o", "date": 10, "sgv": 3}));
        let b2 = doc(json!({"_id": "b", "date": 200, "sgv": 5}));
        let c = doc(json!({"_id": "c", "date": 300, "sgv": 6}));
        let ch = diff(&[old, a.clone(), b], &[b2.clone(), c.clone()], 50, |d| Collection::Entries.time_ms(d));
        assert_eq!(ch.created, vec![c]);
        assert_eq!(ch.updated, vec![b2]);
        assert_eq!(ch.removed, vec![(json!("a"), Some(100))]);
    }

    #[test]
    fn devicestatus_keeps_ten_newest_per_device_and_kind() {
        let docs: Vec<Shared> = (0..15)
            .map(|i| doc(json!({"_id": i, "device": "loop://x", "loop": {}, "created_at": format!("2024-01-01T00:{i:02}:00Z")})))
            .chain([doc(json!({"_id": 99, "device": "xdrip", "uploaderBattery": 40}))])
            .collect();
        let kept = reduced_devicestatus(&docs);
        assert_eq!(kept.len(), 11);
        assert_eq!(kept[0]["_id"], 5);
        assert_eq!(kept[10]["uploader"], json!({"battery": 40}));
    }
}
