//! The storage trait every backend implements, and the choice of backend from configuration.
//! Backend-specific code lives only in this folder.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

pub use crate::domain::Collection;
use crate::domain::Doc;
use crate::domain::filter::{Filter, Query};

mod mongo;
mod mongo_bson;
mod mongo_filter;
mod mongo_shared;
mod notify;
mod sqlite;
mod sqlite_sql;

pub use mongo::MongoStore;
pub(crate) use mongo_shared::shared_database;
pub use notify::{Change, ChangeFeed, NotifyingStore};
pub use sqlite::SqliteStore;

/// What can go wrong in a store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database cannot be reached; nothing was written.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// The request cannot be carried out as asked (duplicate key, bad regex...).
    #[error("invalid: {0}")]
    Invalid(String),
    #[error("{0}")]
    Other(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// How an upsert writes into a document that already exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteMode {
    /// Mongo `$set`: the new top-level fields win, the others stay.
    Merge,
    /// Mongo `replaceOne`: the stored document becomes the new one (same `_id`).
    Replace,
}

/// One upsert: the first document matching `filter` is written with `doc`, or `doc` is inserted.
#[derive(Debug, Clone)]
pub struct Upsert {
    pub filter: Filter,
    pub doc: Doc,
    pub mode: WriteMode,
}

/// What an upsert did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Written {
    /// A new document with this `_id`.
    Inserted(String),
    /// An existing document was written; its `_id` where the backend knows it without another read.
    Updated(Option<String>),
}

/// Size figures for `dbstats` and `/api/v2/properties/dbsize`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DbStats {
    pub data_size: u64,
    pub index_size: u64,
}

/// Storage for Nightscout's collections. Documents are JSON objects with `_id` as a string;
/// every field a client sent is kept. Writes return only once the backend has made them durable.
#[async_trait::async_trait]
pub trait Store: Send + Sync + 'static {
    /// `sqlite` or `mongodb`, for status output.
    fn backend(&self) -> &'static str;
    /// Reads documents.
    async fn find(&self, coll: Collection, query: &Query) -> StoreResult<Vec<Doc>>;
    /// Counts documents.
    async fn count(&self, coll: Collection, filter: &Filter) -> StoreResult<u64>;
    /// Inserts documents (no dedup); returns them with their `_id`.
    async fn insert_many(&self, coll: Collection, docs: Vec<Doc>) -> StoreResult<Vec<Doc>>;
    /// Applies upserts in order; returns one outcome per upsert.
    async fn upsert_many(&self, coll: Collection, ops: Vec<Upsert>) -> StoreResult<Vec<Written>>;
    /// Deletes every matching document; returns how many.
    async fn delete_many(&self, coll: Collection, filter: &Filter) -> StoreResult<u64>;
    /// `$set` then `$unset` (dotted paths) on the document with this `_id`; false if there is none.
    async fn update_by_id(&self, coll: Collection, id: &str, set: Doc, unset: Vec<String>) -> StoreResult<bool>;
    /// Data and index sizes.
    async fn stats(&self) -> StoreResult<DbStats>;
    /// Takes or renews the lease `name` for `holder` for `ttl_ms`; true when `holder` has it.
    /// Several instances share one MongoDB; an SQLite file has one server, which always holds it.
    async fn lease(&self, _name: &str, _holder: &str, _ttl_ms: i64) -> StoreResult<bool> {
        Ok(true)
    }
}

/// Where the data lives: a MongoDB database (with Nightscout's collection names), or the
/// embedded SQLite file.
pub enum Location<'a> {
    Mongo { uri: &'a str, collections: &'a HashMap<Collection, String> },
    Sqlite(&'a Path),
}

/// Opens the backend at `location`.
pub async fn open(location: Location<'_>) -> StoreResult<Arc<dyn Store>> {
    match location {
        Location::Mongo { uri, collections } => Ok(Arc::new(MongoStore::connect(uri, collections).await?)),
        Location::Sqlite(path) => Ok(Arc::new(SqliteStore::open(path)?)),
    }
}

/// Sets `value` at a dotted path, creating objects on the way (Mongo `$set` with a dotted key).
pub(crate) fn set_path(doc: &mut Doc, path: &str, value: serde_json::Value) {
    match path.split_once('.') {
        None => {
            doc.insert(path.to_owned(), value);
        }
        Some((head, rest)) => {
            let slot = doc.entry(head.to_owned()).or_insert_with(|| serde_json::json!({}));
            if !slot.is_object() {
                *slot = serde_json::json!({});
            }
            if let Some(inner) = slot.as_object_mut() {
                set_path(inner, rest, value);
            }
        }
    }
}

/// Removes the value at a dotted path (Mongo `$unset`).
pub(crate) fn unset_path(doc: &mut Doc, path: &str) {
    match path.split_once('.') {
        None => {
            doc.remove(path);
        }
        Some((head, rest)) => {
            if let Some(inner) = doc.get_mut(head).and_then(|v| v.as_object_mut()) {
                unset_path(inner, rest);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn dotted_set_and_unset_reach_nested_fields() {
        let mut d = json!({"a": 1, "pump": {"battery": {"percent": 50}}}).as_object().cloned().unwrap();
        set_path(&mut d, "pump.battery.percent", json!(40));
        set_path(&mut d, "x.y", json!("z"));
        unset_path(&mut d, "a");
        assert_eq!(json!(d), json!({"pump": {"battery": {"percent": 40}}, "x": {"y": "z"}}));
        unset_path(&mut d, "pump.battery");
        unset_path(&mut d, "nothing.here");
        assert_eq!(json!(d), json!({"pump": {}, "x": {"y": "z"}}));
    }
}
