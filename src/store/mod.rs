//! The storage trait every backend implements, and the choice of backend from configuration.
//! Backend-specific code lives only in this folder.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

pub use crate::domain::Collection;
use crate::domain::Doc;
use crate::domain::filter::{Filter, Query};

mod auth;
#[cfg(test)]
mod fuzz_tests;
mod health;
mod mongo;
mod mongo_auth;
mod mongo_batch;
mod mongo_bson;
mod mongo_filter;
mod mongo_find;
mod mongo_shared;
mod mongo_watch;
mod notify;
mod sqlite;
mod sqlite_auth;
mod sqlite_reads;
mod sqlite_space;
mod sqlite_sql;

pub use auth::{AuthKind, AuthStore};
pub use health::{Readiness, StoreHealth};
pub use mongo::MongoStore;
pub(crate) use mongo_shared::shared_database;
pub use notify::{Change, ChangeFeed, NotifyingStore, Wrote, id_filter};
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

/// What an outage is, as the stores word the start of an `Unavailable` cause, so the answer
/// can say what happened (`crate::error` reads them).
pub mod outage {
    pub const DISK_FULL: &str = "disk full";
    pub const LOCKED: &str = "database locked";
    pub const READ_ONLY: &str = "database is read-only";
    pub const REFUSED: &str = "credentials refused";
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

/// A read in pages, for answers too large to hold whole (`Store::find_pages`).
pub type Pages = futures_util::stream::BoxStream<'static, StoreResult<Vec<Doc>>>;

/// Writes to the database made by anyone, as a backend that can watch for them reports them.
pub type Watch = futures_util::stream::BoxStream<'static, StoreResult<(Collection, Wrote)>>;

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
    /// Reads what `find` would, in its order, as pages of at most `page` documents, holding only
    /// a page or two in memory: SQLite steps one statement (one read snapshot), MongoDB a cursor.
    /// Dropping the stream ends the read.
    fn find_pages(&self, coll: Collection, query: Query, page: usize) -> Pages;
    /// For each filter, what a write over the first document it matches keeps: that document's
    /// `_id`, `identifier` and `srvCreated` (only those), or `None`. A few round trips for a
    /// whole batch (SQLite: one read; MongoDB: one aggregate per `mongo_batch::MATCH_CHUNK`).
    async fn stamps_matched(&self, coll: Collection, filters: Vec<Filter>) -> StoreResult<Vec<Option<Doc>>>;
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
    /// Keeps deleted documents (tombstones, `_id` = their identifier) so API v3 history can
    /// report deletions; each replaces an earlier tombstone with the same `_id`.
    async fn bury(&self, coll: Collection, docs: Vec<Doc>) -> StoreResult<()>;
    /// Reads tombstones.
    async fn buried(&self, coll: Collection, query: &Query) -> StoreResult<Vec<Doc>>;
    /// Forgets the matching tombstones; how many.
    async fn unbury(&self, coll: Collection, filter: &Filter) -> StoreResult<u64>;
    /// Data and index sizes.
    async fn stats(&self) -> StoreResult<DbStats>;
    /// A small write that needs new space and leaves no data behind, to tell whether the store
    /// can store (`/ready` when nothing was written for a while).
    async fn probe_write(&self) -> StoreResult<()>;
    /// Takes or renews the lease `name` for `holder` for `ttl_ms`; true when `holder` has it.
    /// Several instances share one MongoDB; an SQLite file has one server, which always holds it.
    async fn lease(&self, _name: &str, _holder: &str, _ttl_ms: i64) -> StoreResult<bool> {
        Ok(true)
    }
    /// Keeps the text `value` under `name` for `ttl_ms`, for the other instances on this
    /// database ([`Store::note`]). An SQLite file has one server: nothing to share.
    async fn put_note(&self, _name: &str, _value: &str, _ttl_ms: i64) -> StoreResult<()> {
        Ok(())
    }
    /// What [`Store::put_note`] left under `name`, unless it expired.
    async fn note(&self, _name: &str) -> StoreResult<Option<String>> {
        Ok(None)
    }
    /// Documents as `find` would give them back after `insert_many` stored them.
    fn as_stored(&self, docs: Vec<Doc>) -> Vec<Doc> {
        docs
    }
    /// Every write to the database from now on, by anyone, where the backend can watch for them
    /// (MongoDB change streams); `None` where it cannot.
    async fn watch(&self) -> StoreResult<Option<Watch>> {
        Ok(None)
    }
    /// Access-token subjects, roles and the JWT key (`auth.rs`).
    fn auth(&self) -> &dyn AuthStore;
}

/// Where the data lives: a MongoDB database (with Nightscout's collection names), or the
/// embedded SQLite file.
pub enum Location<'a> {
    /// `auth_prefix`: `MONGO_AUTHENTICATION_COLLECTIONS_PREFIX`, where subjects and roles live.
    Mongo { uri: &'a str, collections: &'a HashMap<Collection, String>, auth_prefix: &'a str },
    /// `max_bytes`: `FERROSCOUT_SQLITE_MAX_SIZE_MB`, the size the database file may grow to.
    Sqlite { path: &'a Path, max_bytes: Option<u64> },
}

/// Opens the backend at `location`.
pub async fn open(location: Location<'_>) -> StoreResult<Arc<dyn Store>> {
    match location {
        Location::Mongo { uri, collections, auth_prefix } => {
            Ok(Arc::new(MongoStore::connect(uri, collections).await?.with_auth_prefix(auth_prefix)))
        }
        Location::Sqlite { path, max_bytes } => Ok(Arc::new(SqliteStore::open(path)?.with_max_bytes(max_bytes)?)),
    }
}

/// The fields `Store::stamps_matched` gives back.
pub(crate) const STAMP_FIELDS: [&str; 3] = ["_id", "identifier", "srvCreated"];

/// A new `_id`: 24 lowercase hex characters, as MongoDB's ObjectId (both backends use them).
pub(crate) fn new_object_id() -> String {
    mongodb::bson::oid::ObjectId::new().to_hex()
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
