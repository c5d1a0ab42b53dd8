//! MongoDB backend: Nightscout's collection names and document shapes, so an existing
//! Nightscout database can be used as it is, and Nightscout can read what we write.

use std::collections::HashMap;
use std::time::Duration;

use mongodb::bson::{Bson, Document, doc};
use mongodb::options::ClientOptions;
use mongodb::{Client, Database, IndexModel};

use super::mongo_bson::{id_to_bson, to_document};
use super::mongo_filter::to_query;
use super::{Collection, DbStats, Store, StoreError, StoreResult, Upsert, WriteMode, Written, outage};
use crate::domain::Doc;
use crate::domain::filter::{Filter, Query, Val, is_object_id};

/// Nightscout's own indexes (`lib/server/*.js` `indexedFields`), created the same way
/// (ascending, default names) so an existing database sees no conflict.
fn indexes(coll: Collection) -> Vec<Document> {
    let single = |fields: &[&str]| fields.iter().map(|f| doc! {*f: 1}).collect::<Vec<_>>();
    match coll {
        Collection::Entries => {
            let mut v = single(&["date", "type", "sgv", "mbg", "sysTime", "dateString", "identifier", "srvModified"]);
            v.push(doc! {"type": 1, "date": -1, "dateString": 1});
            v
        }
        Collection::Treatments => {
            let mut v = single(&["created_at", "eventType", "NSCLIENT_ID", "identifier", "srvModified"]);
            v.push(doc! {"eventType": 1, "duration": 1, "created_at": 1});
            v
        }
        Collection::DeviceStatus => single(&["created_at", "NSCLIENT_ID", "identifier", "srvModified"]),
        Collection::Profile => single(&["startDate", "identifier", "srvModified"]),
        Collection::Food => single(&["type", "position", "hidden", "identifier", "srvModified"]),
        Collection::Activity => single(&["created_at"]),
    }
}

/// `maxTimeMS` of every read.
pub(super) const READ_TIME_LIMIT: Duration = Duration::from_secs(20);

pub struct MongoStore {
    pub(super) db: Database,
    names: HashMap<Collection, String>,
    /// `MONGO_AUTHENTICATION_COLLECTIONS_PREFIX`: subjects and roles live in `<prefix>subjects`/`roles`.
    pub(super) auth_prefix: String,
}

impl MongoStore {
    /// Connects and ensures indexes before serving, so no query races an index build; when the
    /// server is not up yet, starts anyway and keeps trying in the background.
    pub async fn connect(uri: &str, names: &HashMap<Collection, String>) -> StoreResult<MongoStore> {
        let mut opts =
            ClientOptions::parse(uri).await.map_err(|e| StoreError::Invalid(format!("bad MongoDB URI: {}", e.kind)))?;
        opts.app_name.get_or_insert_with(|| "ferroscout".to_owned());
        // An outage answers 503 within 2 s (uploaders time out after about 10 s and retry), unless
        // the URI's serverSelectionTimeoutMS / connectTimeoutMS say otherwise.
        opts.server_selection_timeout.get_or_insert(Duration::from_secs(2));
        opts.connect_timeout.get_or_insert(Duration::from_secs(5));
        // Nightscout's default pool size (MONGO_POOL_SIZE) is 5; ours serves more at once.
        opts.max_pool_size.get_or_insert(20);
        let db_name = opts.default_database.clone().unwrap_or_else(|| "test".to_owned());
        let client = Client::with_options(opts).map_err(map_err)?;
        let store = MongoStore { db: client.database(&db_name), names: names.clone(), auth_prefix: "auth_".into() };
        if !try_ensure_indexes(&store.db, &store.names).await {
            tracing::warn!("mongodb unreachable; will ensure indexes when it answers");
            let (db, names) = (store.db.clone(), store.names.clone());
            tokio::spawn(async move { ensure_indexes(db, names).await });
        }
        Ok(store)
    }

    /// Uses `prefix` for the authorization collections instead of `auth_`.
    pub fn with_auth_prefix(mut self, prefix: &str) -> MongoStore {
        self.auth_prefix = prefix.to_owned();
        self
    }

    fn coll(&self, c: Collection) -> mongodb::Collection<Document> {
        let name = self.names.get(&c).map(String::as_str).unwrap_or(c.default_name());
        self.db.collection(name)
    }

    /// Deleted documents of `c` kept for API v3 history (`Store::bury`), `_id` = identifier.
    fn graveyard(&self, c: Collection) -> mongodb::Collection<Document> {
        self.db.collection(&format!("{}_deleted", self.name(c)))
    }

    fn name(&self, c: Collection) -> &str {
        self.names.get(&c).map(String::as_str).unwrap_or(c.default_name())
    }
}

/// Retries `try_ensure_indexes` with backoff until the server answers.
async fn ensure_indexes(db: Database, names: HashMap<Collection, String>) {
    let mut wait = Duration::from_secs(1);
    loop {
        tokio::time::sleep(wait).await;
        if try_ensure_indexes(&db, &names).await {
            return;
        }
        wait = (wait * 2).min(Duration::from_secs(60));
    }
}

/// Creates Nightscout's indexes; existing ones are kept. False when the server is unreachable.
async fn try_ensure_indexes(db: &Database, names: &HashMap<Collection, String>) -> bool {
    for coll in Collection::ALL {
        let name = names.get(&coll).map(String::as_str).unwrap_or(coll.default_name());
        let graveyard = format!("{name}_deleted");
        let with_graveyard =
            indexes(coll).into_iter().map(|k| (name, k)).chain([(graveyard.as_str(), doc! {"srvModified": 1})]);
        for (name, keys) in with_graveyard {
            let c = db.collection::<Document>(name);
            let model = IndexModel::builder().keys(keys.clone()).build();
            if let Err(e) = c.create_index(model).await {
                match map_err(e) {
                    StoreError::Unavailable(_) => return false,
                    // An index with these keys but other options exists: keep it.
                    other => tracing::warn!(collection = name, ?keys, "index not created: {other}"),
                }
            }
        }
    }
    tracing::info!("mongodb indexes ensured");
    true
}

pub(super) fn map_err(e: mongodb::error::Error) -> StoreError {
    use mongodb::error::ErrorKind as K;
    if e.contains_label("RetryableWriteError") {
        return StoreError::Unavailable(e.to_string());
    }
    match *e.kind {
        K::ServerSelection { .. } | K::Io(_) | K::ConnectionPoolCleared { .. } => {
            StoreError::Unavailable(e.to_string())
        }
        // Never the message itself: it may name the user.
        K::Authentication { .. } => StoreError::Unavailable(format!("{}: check the MongoDB URI", outage::REFUSED)),
        K::Write(mongodb::error::WriteFailure::WriteError(ref w)) if w.code == 11000 => {
            StoreError::Invalid("duplicate _id".into())
        }
        // An invalid regular expression (`Location51091`), or one over the server's size cap
        // (`BadValue`): `crate::domain::regex_check` refuses what it can foresee.
        K::Command(ref c) if c.code == 51091 || (c.code == 2 && c.message.contains("regex")) => {
            StoreError::Invalid("invalid regular expression".into())
        }
        K::InsertMany(ref f) if f.write_errors.as_ref().is_some_and(|w| w.iter().any(|w| w.code == 11000)) => {
            StoreError::Invalid("duplicate _id".into())
        }
        _ => StoreError::Other(e.to_string()),
    }
}

pub(super) fn id_filter(id: &str) -> Document {
    let f = if is_object_id(id) {
        Filter::eq("_id", Val::ObjectId(id.to_owned()))
    } else {
        Filter::eq("_id", Val::Str(id.to_owned()))
    };
    to_query(&f)
}

#[async_trait::async_trait]
impl Store for MongoStore {
    fn backend(&self) -> &'static str {
        "mongodb"
    }

    async fn find(&self, coll: Collection, q: &Query) -> StoreResult<Vec<Doc>> {
        super::mongo_find::find_in(self.coll(coll), q).await
    }

    fn find_pages(&self, coll: Collection, q: Query, page: usize) -> super::Pages {
        super::mongo_find::pages_in(self.coll(coll), q, page)
    }

    async fn stamps_matched(&self, coll: Collection, filters: Vec<Filter>) -> StoreResult<Vec<Option<Doc>>> {
        super::mongo_batch::stamps_matched(self.coll(coll), filters).await
    }

    async fn count(&self, coll: Collection, filter: &Filter) -> StoreResult<u64> {
        self.coll(coll).count_documents(to_query(filter)).await.map_err(map_err)
    }

    async fn insert_many(&self, coll: Collection, docs: Vec<Doc>) -> StoreResult<Vec<Doc>> {
        if docs.is_empty() {
            return Ok(docs);
        }
        let mut out = Vec::with_capacity(docs.len());
        let mut bson_docs = Vec::with_capacity(docs.len());
        for mut d in docs {
            let id = match d.remove("_id") {
                Some(serde_json::Value::String(s)) if !s.is_empty() => s,
                _ => mongodb::bson::oid::ObjectId::new().to_hex(),
            };
            let mut with_id = Doc::with_capacity(d.len() + 1);
            with_id.insert("_id".into(), id.into());
            with_id.extend(d);
            bson_docs.push(to_document(&with_id));
            out.push(with_id);
        }
        self.coll(coll).insert_many(bson_docs).await.map_err(map_err)?;
        Ok(out)
    }

    async fn upsert_many(&self, coll: Collection, ops: Vec<Upsert>) -> StoreResult<Vec<Written>> {
        if ops.is_empty() {
            return Ok(Vec::new());
        }
        // One ordered `update` command: one round trip, applied in order (`bulkWrite` in Nightscout).
        let mut updates = Vec::with_capacity(ops.len());
        for op in &ops {
            let mut body = op.doc.clone();
            let client_id = body.remove("_id");
            let fields = to_document(&body);
            let u = match op.mode {
                WriteMode::Merge => {
                    let mut u = Document::new();
                    if !fields.is_empty() {
                        u.insert("$set", fields);
                    }
                    if let Some(id) = &client_id {
                        u.insert("$setOnInsert", doc! {"_id": id_to_bson(id)});
                    }
                    if u.is_empty() {
                        u.insert("$setOnInsert", doc! {});
                    }
                    u
                }
                WriteMode::Replace => {
                    let mut u = Document::new();
                    if let Some(id) = &client_id {
                        u.insert("_id", id_to_bson(id));
                    }
                    u.extend(fields);
                    u
                }
            };
            updates.push(doc! {"q": to_query(&op.filter), "u": u, "upsert": true, "multi": false});
        }
        // Split so each command stays under MongoDB's 16 MiB message limit (and its 100,000
        // writes per batch); still ordered, a few round trips for a large backfill.
        let mut upserted: HashMap<usize, String> = HashMap::new();
        for (offset, batch) in super::mongo_batch::batches(updates) {
            let batch_len = batch.len();
            let cmd = doc! {
                "update": self.name(coll),
                "updates": batch,
                "ordered": true,
                "writeConcern": {"w": "majority"},
            };
            tracing::debug!(collection = self.name(coll), statements = batch_len, "mongodb upsert batch (one command)");
            let reply = self.db.run_command(cmd).await.map_err(map_err)?;
            if let Ok(errors) = reply.get_array("writeErrors")
                && let Some(Bson::Document(first)) = errors.first()
            {
                let code = first.get_i32("code").unwrap_or_default();
                let msg = first.get_str("errmsg").unwrap_or("write error").to_owned();
                return Err(if code == 11000 {
                    StoreError::Invalid("duplicate _id".into())
                } else {
                    StoreError::Other(msg)
                });
            }
            if let Ok(list) = reply.get_array("upserted") {
                for item in list.iter().filter_map(Bson::as_document) {
                    let index = match item.get("index") {
                        Some(Bson::Int32(i)) => *i as usize,
                        Some(Bson::Int64(i)) => *i as usize,
                        _ => continue,
                    };
                    let id = item.get("_id").cloned().map(super::mongo_bson::from_bson);
                    if let Some(serde_json::Value::String(id)) = id {
                        upserted.insert(offset + index, id);
                    }
                }
            }
        }
        Ok((0..ops.len())
            .map(|i| match upserted.remove(&i) {
                Some(id) => Written::Inserted(id),
                None => Written::Updated(None),
            })
            .collect())
    }

    async fn delete_many(&self, coll: Collection, filter: &Filter) -> StoreResult<u64> {
        let r = self.coll(coll).delete_many(to_query(filter)).await.map_err(map_err)?;
        Ok(r.deleted_count)
    }

    async fn update_by_id(&self, coll: Collection, id: &str, set: Doc, unset: Vec<String>) -> StoreResult<bool> {
        let mut u = Document::new();
        let set: Doc = set.into_iter().filter(|(k, _)| k != "_id").collect();
        if !set.is_empty() {
            u.insert("$set", to_document(&set));
        }
        if !unset.is_empty() {
            let mut d = Document::new();
            for k in unset {
                d.insert(k, "");
            }
            u.insert("$unset", d);
        }
        if u.is_empty() {
            return Ok(self.coll(coll).count_documents(id_filter(id)).await.map_err(map_err)? > 0);
        }
        let r = self.coll(coll).update_one(id_filter(id), u).await.map_err(map_err)?;
        Ok(r.matched_count > 0)
    }

    async fn bury(&self, coll: Collection, docs: Vec<Doc>) -> StoreResult<()> {
        if docs.is_empty() {
            return Ok(());
        }
        let ids: Vec<Bson> = docs.iter().filter_map(|d| d.get("_id")).map(id_to_bson).collect();
        let graveyard = self.graveyard(coll);
        graveyard.delete_many(doc! {"_id": {"$in": ids}}).await.map_err(map_err)?;
        graveyard.insert_many(docs.iter().map(to_document)).await.map_err(map_err)?;
        Ok(())
    }

    async fn buried(&self, coll: Collection, q: &Query) -> StoreResult<Vec<Doc>> {
        super::mongo_find::find_in(self.graveyard(coll), q).await
    }

    async fn unbury(&self, coll: Collection, filter: &Filter) -> StoreResult<u64> {
        let r = self.graveyard(coll).delete_many(to_query(filter)).await.map_err(map_err)?;
        Ok(r.deleted_count)
    }

    fn as_stored(&self, docs: Vec<Doc>) -> Vec<Doc> {
        docs.iter().map(super::mongo_watch::as_stored).collect()
    }

    async fn watch(&self) -> StoreResult<Option<super::Watch>> {
        let names = Collection::ALL.iter().map(|c| (self.name(*c).to_owned(), *c)).collect();
        Ok(Some(super::mongo_watch::watch(&self.db, names).await?))
    }

    fn auth(&self) -> &dyn super::AuthStore {
        self
    }

    async fn stats(&self) -> StoreResult<DbStats> {
        let reply = self.db.run_command(doc! {"dbStats": 1}).await.map_err(map_err)?;
        let num = |k: &str| match reply.get(k) {
            Some(Bson::Int32(i)) => (*i).max(0) as u64,
            Some(Bson::Int64(i)) => (*i).max(0) as u64,
            Some(Bson::Double(x)) => x.max(0.0) as u64,
            _ => 0,
        };
        Ok(DbStats { data_size: num("dataSize"), index_size: num("indexSize") })
    }

    async fn probe_write(&self) -> StoreResult<()> {
        super::mongo_shared::probe(&self.db).await.map_err(map_err)
    }

    async fn lease(&self, name: &str, holder: &str, ttl_ms: i64) -> StoreResult<bool> {
        super::mongo_shared::lease(&self.db, name, holder, ttl_ms).await.map_err(map_err)
    }

    async fn put_note(&self, name: &str, value: &str, ttl_ms: i64) -> StoreResult<()> {
        super::mongo_shared::put_note(&self.db, name, value, ttl_ms).await.map_err(map_err)
    }

    async fn note(&self, name: &str) -> StoreResult<Option<String>> {
        super::mongo_shared::note(&self.db, name).await.map_err(map_err)
    }
}
