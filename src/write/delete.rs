//! Deleting, from every path: the documents are removed (so v1 reads and the dashboard never
//! see them again) and kept as tombstones (`isValid: false`, a new `srvModified`), so API v3
//! history tells AndroidAPS about v1, socket and v3 deletions alike.

use serde_json::Value;

use super::Writer;
use super::stamp::identifier_of;
use crate::domain::filter::{Cond, Filter, Query, Val, is_object_id};
use crate::domain::{Collection, Doc};
use crate::store::StoreResult;

/// How many `_id`s one delete names.
const CHUNK: usize = 500;

/// The tombstone of a deleted document: stored under its identifier.
pub(crate) fn tombstone(mut doc: Doc, now: i64) -> Option<Doc> {
    let id = identifier_of(&doc)?;
    doc.remove("_id");
    doc.insert("identifier".into(), Value::String(id.clone()));
    doc.insert("isValid".into(), Value::Bool(false));
    doc.insert("srvModified".into(), now.into());
    let mut out = Doc::with_capacity(doc.len() + 1);
    out.insert("_id".into(), Value::String(id));
    out.append(&mut doc);
    Some(out)
}

fn id_val(id: &str) -> Val {
    if is_object_id(id) { Val::ObjectId(id.to_ascii_lowercase()) } else { Val::Str(id.to_owned()) }
}

impl Writer {
    /// Deletes what `filter` matches in `coll` and keeps tombstones of it; how many.
    pub async fn delete_where(&self, coll: Collection, filter: &Filter) -> StoreResult<u64> {
        let found = self.store.find(coll, &Query::new(filter.clone())).await?;
        self.delete_docs(coll, found, true).await
    }

    /// Deletes these stored documents (by `_id`); with `keep`, tombstones follow.
    pub(crate) async fn delete_docs(&self, coll: Collection, found: Vec<Doc>, keep: bool) -> StoreResult<u64> {
        let mut n = 0;
        for chunk in found.chunks(CHUNK) {
            let ids: Vec<Val> = chunk.iter().filter_map(|d| d.get("_id").and_then(Value::as_str)).map(id_val).collect();
            n += self.store.delete_many(coll, &Filter::field("_id", Cond::In(ids))).await?;
        }
        if keep && n > 0 {
            let tombs: Vec<Doc> = found.into_iter().filter_map(|d| tombstone(d, self.tick())).collect();
            // The documents are gone already; a lost tombstone only hides the deletion from v3.
            if let Err(e) = self.store.bury(coll, tombs).await {
                tracing::warn!(collection = coll.default_name(), "deleted, but the tombstones were not kept: {e}");
            }
        }
        Ok(n)
    }
}
