//! Confirmed writes applied in place: each written document is put into (or taken out of) its
//! window in a shallow copy of the snapshot, which shares every other document. The store is read
//! only for what a write did not carry: documents upserted or updated in place are read back by
//! `_id` (their stored form), and deletes, profile and food writes and the rare special treatments
//! reload that one collection's window.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::Value;

use super::snapshot::{self, Changes, SPECIAL_EVENTS, Shared, Snapshot};
use super::{Engine, Update, update_of};
use crate::domain::Doc;
use crate::domain::filter::{Cond, Filter, Query, Val};
use crate::domain::time::{now_ms, to_iso_utc};
use crate::store::{Change, Collection, StoreResult, Wrote};

/// Whether a document belongs in its collection's window at `now`, by the same comparison the
/// window's store query makes (`date` a number at or after the cutoff; `created_at` a string
/// at or after the cutoff's ISO form).
pub(crate) fn in_window(coll: Collection, doc: &Doc, now: i64) -> bool {
    let cutoff = snapshot::cutoff(coll, now);
    match coll {
        Collection::Entries => doc.get("date").and_then(Value::as_f64).is_some_and(|d| d >= cutoff as f64),
        Collection::Treatments | Collection::DeviceStatus => {
            let since = to_iso_utc(cutoff).unwrap_or_default();
            doc.get("created_at").and_then(Value::as_str).is_some_and(|s| s >= since.as_str())
        }
        _ => true,
    }
}

fn is_special(doc: &Doc) -> bool {
    doc.get("eventType").and_then(Value::as_str).is_some_and(|e| SPECIAL_EVENTS.contains(&e))
}

fn docs_mut(snap: &mut Snapshot, coll: Collection) -> Option<&mut Vec<Shared>> {
    match coll {
        Collection::Entries => Some(&mut snap.entries),
        Collection::Treatments => Some(&mut snap.treatments),
        Collection::DeviceStatus => Some(&mut snap.devicestatus),
        Collection::Food => Some(&mut snap.food),
        Collection::Profile | Collection::Activity => None,
    }
}

/// True when `doc` is an older version of `held` by their `srvModified` stamps (a change stream's
/// insert event can arrive after the write path applied a later update of the same document).
fn older(doc: &Doc, held: &Doc) -> bool {
    let m = |d: &Doc| d.get("srvModified").and_then(Value::as_f64);
    matches!((m(doc), m(held)), (Some(a), Some(b)) if a < b)
}

/// Puts one stored document into its window; false when this collection needs a reload instead.
fn put(snap: &mut Snapshot, coll: Collection, doc: Shared, now: i64, ch: &mut Changes) -> bool {
    if coll == Collection::Treatments && is_special(&doc) {
        return false;
    }
    let Some(docs) = docs_mut(snap, coll) else { return false };
    let time = snapshot::time_of(coll);
    let id = doc.get("_id").cloned();
    let at = docs.iter().position(|d| d.get("_id") == id.as_ref());
    if let Some(i) = at {
        if coll == Collection::Treatments && is_special(&docs[i]) {
            return false;
        }
        if *docs[i] == *doc || older(&doc, &docs[i]) {
            return true;
        }
        let old = docs.remove(i);
        if !in_window(coll, &doc, now) {
            ch.removed.push((id.unwrap_or(Value::Null), time(&old)));
            return true;
        }
        ch.updated.push(doc.clone());
    } else if in_window(coll, &doc, now) {
        ch.created.push(doc.clone());
    } else {
        return true;
    }
    let key = time(&doc).unwrap_or(i64::MIN);
    let pos = docs.partition_point(|d| time(d).unwrap_or(i64::MIN) <= key);
    docs.insert(pos, doc);
    true
}

/// Makes `next` share the documents of `prev` that did not change (after a reload).
pub(super) fn keep_shared(prev: &Snapshot, next: &mut Snapshot, coll: Collection) {
    let before: HashMap<&Value, &Shared> = prev.docs(coll).iter().filter_map(|d| Some((d.get("_id")?, d))).collect();
    let keep = |d: &mut Shared| {
        if let Some(old) = d.get("_id").and_then(|id| before.get(id))
            && ***old == **d
        {
            *d = Arc::clone(old);
        }
    };
    match docs_mut(next, coll) {
        Some(docs) => docs.iter_mut().for_each(keep),
        None if coll == Collection::Profile => next.profile.iter_mut().for_each(keep),
        None => {}
    }
}

/// One filter matching any of `filters`: `_id $in [...]` when they are all `_id` equalities.
fn one_filter(mut filters: Vec<Filter>) -> Filter {
    if filters.len() == 1 {
        return filters.remove(0);
    }
    let ids: Option<Vec<Val>> = filters
        .iter()
        .map(|f| match f {
            Filter::Field { path, cond: Cond::Eq(v) } if path == "_id" => Some(v.clone()),
            _ => None,
        })
        .collect();
    match ids {
        Some(ids) => Filter::field("_id", Cond::In(ids)),
        None => Filter::Or(filters),
    }
}

impl Engine {
    /// Applies a batch of confirmed writes (in order) to a copy of the current snapshot: the new
    /// snapshot (not yet published) and what changed. Runs one at a time (from the broadcaster).
    pub async fn apply(&self, changes: &[Change]) -> StoreResult<(Arc<Snapshot>, Update)> {
        let now = now_ms();
        let prev = self.snapshot();
        let mut next = (*prev).clone();
        let mut colls: Vec<Collection> = Vec::new();
        for c in changes {
            if !colls.contains(&c.coll) {
                colls.push(c.coll);
            }
        }
        let mut found = Vec::new();
        for coll in colls {
            if coll == Collection::Activity {
                continue;
            }
            let mut ch = Changes::default();
            let mut ok = !matches!(coll, Collection::Profile | Collection::Food);
            let mut touched: Vec<Filter> = Vec::new();
            for c in changes.iter().filter(|c| c.coll == coll) {
                match &c.wrote {
                    Wrote::Stored(docs) if ok => {
                        for d in self.store.as_stored(docs.clone()) {
                            ok &= put(&mut next, coll, Arc::new(d), now, &mut ch);
                        }
                    }
                    Wrote::Touched(filters) => touched.extend(filters.iter().cloned()),
                    _ => ok = false,
                }
            }
            // Read back what was written in place, in one query: its stored form now.
            if ok && !touched.is_empty() {
                for d in self.store.find(coll, &Query::new(one_filter(touched))).await? {
                    ok &= put(&mut next, coll, Arc::new(d), now, &mut ch);
                }
            }
            if !ok {
                ch = self.reload(&prev, &mut next, coll, now).await?;
            }
            if !ch.is_empty() {
                found.push((coll, ch));
            }
        }
        next.dbstats = self.dbstats_now(next.dbstats);
        next.taken = now;
        Ok((Arc::new(next), update_of(&prev, &found, now)))
    }

    /// Re-reads one collection's window into `next`; what differs from `prev`.
    async fn reload(&self, prev: &Snapshot, next: &mut Snapshot, coll: Collection, now: i64) -> StoreResult<Changes> {
        let mut fresh = Snapshot::default();
        snapshot::load(&*self.store, coll, now, &mut fresh).await?;
        let ch =
            snapshot::diff(prev.docs(coll), fresh.docs(coll), snapshot::cutoff(coll, now), snapshot::time_of(coll));
        match coll {
            Collection::Profile => next.profile = fresh.profile.take(),
            c => {
                if let (Some(to), Some(from)) = (docs_mut(next, c), docs_mut(&mut fresh, c)) {
                    *to = std::mem::take(from);
                }
            }
        }
        keep_shared(prev, next, coll);
        Ok(ch)
    }

    /// Drops documents that aged out of their windows; `None` when none did. Special treatments
    /// stay until the next reconcile decides which of them to keep.
    pub fn trim(&self) -> Option<Arc<Snapshot>> {
        let now = now_ms();
        let mut next = (*self.snapshot()).clone();
        let mut dropped = false;
        for coll in [Collection::Entries, Collection::Treatments, Collection::DeviceStatus] {
            if let Some(docs) = docs_mut(&mut next, coll) {
                let before = docs.len();
                docs.retain(|d| in_window(coll, d, now) || (coll == Collection::Treatments && is_special(d)));
                dropped |= docs.len() != before;
            }
        }
        dropped.then(|| Arc::new(next))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn doc(v: Value) -> Shared {
        Arc::new(v.as_object().cloned().unwrap())
    }

    #[test]
    fn an_older_version_of_a_held_document_changes_nothing() {
        let now = now_ms();
        let mut snap = Snapshot::default();
        snap.devicestatus =
            vec![doc(json!({"_id": "a", "created_at": to_iso_utc(now).unwrap(), "srvModified": 20, "v": 2}))];
        let mut ch = Changes::default();
        let stale = doc(json!({"_id": "a", "created_at": to_iso_utc(now).unwrap(), "srvModified": 10, "v": 1}));
        assert!(put(&mut snap, Collection::DeviceStatus, stale, now, &mut ch));
        assert!(ch.is_empty());
        assert_eq!(snap.devicestatus[0]["v"], 2);
        let newer = doc(json!({"_id": "a", "created_at": to_iso_utc(now).unwrap(), "srvModified": 30, "v": 3}));
        assert!(put(&mut snap, Collection::DeviceStatus, newer, now, &mut ch));
        assert_eq!(ch.updated.len(), 1);
        assert_eq!(snap.devicestatus[0]["v"], 3);
    }

    #[test]
    fn a_written_entry_is_inserted_in_time_order_and_an_equal_one_changes_nothing() {
        let now = now_ms();
        let mut snap = Snapshot::default();
        snap.entries = vec![doc(json!({"_id": "a", "date": now - 600_000})), doc(json!({"_id": "c", "date": now}))];
        let mut ch = Changes::default();
        assert!(put(&mut snap, Collection::Entries, doc(json!({"_id": "b", "date": now - 300_000})), now, &mut ch));
        let ids: Vec<_> = snap.entries.iter().map(|d| d["_id"].clone()).collect();
        assert_eq!(ids, vec![json!("a"), json!("b"), json!("c")]);
        assert_eq!(ch.created.len(), 1);
        let mut ch = Changes::default();
        assert!(put(&mut snap, Collection::Entries, doc(json!({"_id": "b", "date": now - 300_000})), now, &mut ch));
        assert!(ch.is_empty());
    }

    #[test]
    fn an_entry_moved_out_of_the_window_is_removed_and_an_old_one_is_not_added() {
        let now = now_ms();
        let mut snap = Snapshot::default();
        snap.entries = vec![doc(json!({"_id": "a", "date": now}))];
        let mut ch = Changes::default();
        let old = now - snapshot::ENTRIES_WINDOW - 1;
        assert!(put(&mut snap, Collection::Entries, doc(json!({"_id": "a", "date": old})), now, &mut ch));
        assert!(put(&mut snap, Collection::Entries, doc(json!({"_id": "z", "date": old})), now, &mut ch));
        assert!(snap.entries.is_empty());
        assert_eq!(ch.removed, vec![(json!("a"), Some(now))]);
        assert!(ch.created.is_empty());
    }

    #[test]
    fn special_treatments_and_profiles_ask_for_a_reload() {
        let now = now_ms();
        let mut snap = Snapshot::default();
        let mut ch = Changes::default();
        let site = doc(json!({"_id": "s", "eventType": "Site Change", "created_at": to_iso_utc(now).unwrap()}));
        assert!(!put(&mut snap, Collection::Treatments, site, now, &mut ch));
        assert!(!put(&mut snap, Collection::Profile, doc(json!({"_id": "p"})), now, &mut ch));
    }
}
