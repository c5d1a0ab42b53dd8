//! The fields API v3 syncs by, stamped on every write from every path (v1 REST, socket events,
//! API v3; `tokens-and-v3.md` section 3): `identifier`, `srvCreated` and `srvModified` (epoch
//! ms). A new document gets its `_id` here and `identifier` = that `_id` unless the client gave
//! one (what Nightscout's v3 shows for a v1 document anyway); a document written over keeps its
//! `identifier` and `srvCreated`.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use serde_json::Value;

use super::Writer;
use crate::domain::filter::{Filter, Query, is_object_id};
use crate::domain::time::now_ms;
use crate::domain::{Collection, Doc};
use crate::store::{STAMP_FIELDS, StoreResult, new_object_id};

/// Hands out `srvModified` values: the time in ms, but strictly increasing, so documents of one
/// batch (a v1 POST of 1,000 readings) get distinct values and a history page that ends inside
/// the batch loses nothing (the next page starts strictly after the last `srvModified` seen).
#[derive(Clone, Default)]
pub(crate) struct Clock(Arc<AtomicI64>);

impl Clock {
    pub(crate) fn tick(&self) -> i64 {
        let now = now_ms();
        let mut last = self.0.load(Ordering::SeqCst);
        loop {
            let next = now.max(last + 1);
            match self.0.compare_exchange_weak(last, next, Ordering::SeqCst, Ordering::SeqCst) {
                Ok(_) => return next,
                Err(actual) => last = actual,
            }
        }
    }
}

/// A non-empty string field.
pub(crate) fn str_field<'a>(doc: &'a Doc, key: &str) -> Option<&'a str> {
    doc.get(key).and_then(Value::as_str).filter(|s| !s.is_empty())
}

/// The identifier API v3 knows a stored document by: `identifier`, else its `_id`.
pub(crate) fn identifier_of(doc: &Doc) -> Option<String> {
    str_field(doc, "identifier").or_else(|| str_field(doc, "_id")).map(str::to_owned)
}

/// True for the fields only the server sets (a socket `dbUpdate` cannot change them).
pub(crate) fn is_stamp(key: &str) -> bool {
    matches!(key, "identifier" | "srvCreated" | "srvModified")
}

/// Stamps a document about to be inserted.
pub(crate) fn new_doc(doc: &mut Doc, now: i64) {
    let id = match str_field(doc, "_id") {
        Some(id) if is_object_id(id) => id.to_ascii_lowercase(),
        Some(id) => id.to_owned(),
        None => new_object_id(),
    };
    doc.insert("_id".into(), Value::String(id.clone()));
    if str_field(doc, "identifier").is_none() {
        doc.insert("identifier".into(), Value::String(id));
    }
    doc.insert("srvCreated".into(), now.into());
    doc.insert("srvModified".into(), now.into());
}

/// Stamps a document about to be written over `existing`.
pub(crate) fn over(doc: &mut Doc, existing: &Doc, now: i64) {
    if str_field(doc, "identifier").is_none()
        && let Some(id) = identifier_of(existing)
    {
        doc.insert("identifier".into(), Value::String(id));
    }
    let created = existing.get("srvCreated").filter(|v| v.is_number()).cloned().unwrap_or_else(|| now.into());
    doc.insert("srvCreated".into(), created);
    doc.insert("srvModified".into(), now.into());
}

impl Writer {
    /// The next `srvModified`.
    pub(super) fn tick(&self) -> i64 {
        self.clock.tick()
    }

    pub(super) async fn first(&self, coll: Collection, f: Filter) -> StoreResult<Option<Doc>> {
        Ok(self.store.find(coll, &Query::new(f).limit(Some(1))).await?.into_iter().next())
    }

    /// Stamps the documents upserts on their filters will write, in order, with what the store
    /// holds read for the whole batch at once (a few round trips, not one per document); the
    /// `_id` of each one's match, if any. Within a batch, documents are stamped against the
    /// store as it was before the batch, as one at a time before any was written would be.
    pub(super) async fn stamp_upserts(
        &self,
        coll: Collection,
        items: Vec<(&Filter, &mut Doc)>,
    ) -> StoreResult<Vec<Option<String>>> {
        let filters = items.iter().map(|(f, _)| (*f).clone()).collect();
        let matched = self.store.stamps_matched(coll, filters).await?;
        // What the batch itself writes under each key so far: a second document with the key of
        // an earlier one in the same upload is written over that one, so it is stamped so.
        let mut written: HashMap<String, Doc> = HashMap::new();
        let mut ids = Vec::with_capacity(items.len());
        for ((filter, doc), existing) in items.into_iter().zip(matched) {
            let now = self.clock.tick();
            let key = format!("{filter:?}");
            let existing = existing.or_else(|| written.get(&key).cloned());
            match &existing {
                Some(e) => over(doc, e, now),
                None => new_doc(doc, now),
            }
            let id = existing.as_ref().and_then(|e| str_field(e, "_id")).map(str::to_owned);
            let mut left: Doc = doc
                .iter()
                .filter(|(k, _)| STAMP_FIELDS.contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            if let Some(id) = &id {
                left.insert("_id".into(), Value::String(id.clone()));
            }
            written.insert(key, left);
            ids.push(id);
        }
        Ok(ids)
    }

    /// Stamps a document an upsert on `filter` will write: over the document it will match, or
    /// as new. (Between this read and the write another writer may insert the same key; the
    /// upsert then writes over that one with this stamp, which only moves its `srvModified`.)
    pub(super) async fn stamp_upsert(&self, coll: Collection, filter: &Filter, doc: &mut Doc) -> StoreResult<()> {
        let now = self.clock.tick();
        match self.first(coll, filter.clone()).await? {
            Some(existing) => over(doc, &existing, now),
            None => new_doc(doc, now),
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_clock_never_repeats_a_value() {
        let c = Clock::default();
        let ticks: Vec<i64> = (0..1000).map(|_| c.tick()).collect();
        assert!(ticks.windows(2).all(|w| w[1] > w[0]));
        assert!(ticks[0] >= now_ms() - 1000);
    }
}
