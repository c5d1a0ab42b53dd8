//! Entries (`lib/server/entries.js` `create`): normalised, then upserted on `{date, type}`
//! (Nightscout's dedup key) so a resent reading is stored once.

use serde_json::Value;

use super::{Writer, with_id};
use crate::domain::time::now_ms;
use crate::domain::{Collection, Doc, entries};
use crate::store::{StoreResult, Upsert, WriteMode, Written};

/// Entries in a body: an object only if it has `date`, or the objects of an array.
pub(crate) fn incoming(body: Value) -> Vec<Doc> {
    match body {
        Value::Object(m) if m.contains_key("date") => vec![m],
        Value::Array(a) => a
            .into_iter()
            .filter_map(|v| match v {
                Value::Object(m) => Some(m),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

impl Writer {
    /// Stores uploaded entries; answers them normalised, new ones with their `_id`.
    pub async fn create_entries(&self, mut docs: Vec<Doc>) -> StoreResult<Vec<Doc>> {
        let now = now_ms();
        for d in &mut docs {
            crate::domain::purify::purify(d);
            entries::normalize(d, self.uuid_handling, now);
        }
        let mut ops: Vec<Upsert> = docs
            .into_iter()
            .map(|doc| Upsert { filter: entries::dedup_filter(&doc), doc, mode: WriteMode::Merge })
            .collect();
        let items = ops.iter_mut().map(|op| (&op.filter, &mut op.doc)).collect();
        self.stamp_upserts(Collection::Entries, items).await?;
        let docs: Vec<Doc> = ops.iter().map(|o| o.doc.clone()).collect();
        let written = self.store.upsert_many(Collection::Entries, ops).await?;
        // Newly inserted documents come back with their `_id`; merged ones as sent.
        Ok(docs
            .into_iter()
            .zip(written)
            .map(|(d, w)| match w {
                Written::Inserted(id) => with_id(d, Some(id)),
                Written::Updated(_) => d,
            })
            .collect())
    }
}
