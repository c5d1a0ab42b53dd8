//! The embedded store: one SQLite file in WAL mode, one table per collection holding each
//! document as JSONB, with expression indexes on the fields queries filter and sort on.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use mongodb::bson::oid::ObjectId;
use rusqlite::functions::FunctionFlags;
use rusqlite::{Connection, OpenFlags, OptionalExtension, params_from_iter};

use super::sqlite_sql::{SqlBuilder, path_expr};
use super::{Collection, DbStats, Store, StoreError, StoreResult, Upsert, WriteMode, Written, outage};
use crate::domain::Doc;
use crate::domain::filter::{Filter, Query, is_object_id};

/// Fields each collection is indexed on (Nightscout's query and sort fields).
fn indexes(coll: Collection) -> &'static [&'static [&'static str]] {
    match coll {
        Collection::Entries => {
            &[&["date"], &["sysTime", "type"], &["dateString"], &["type", "date"], &["identifier"], &["srvModified"]]
        }
        Collection::Treatments => &[&["created_at"], &["identifier"], &["eventType", "created_at"], &["srvModified"]],
        Collection::DeviceStatus => &[&["created_at"], &["NSCLIENT_ID"], &["identifier"], &["srvModified"]],
        Collection::Profile => &[&["startDate"], &["identifier"], &["srvModified"]],
        Collection::Food => &[&["type"], &["identifier"], &["srvModified"]],
        Collection::Activity => &[&["created_at"], &["srvModified"]],
    }
}

const READERS: usize = 4;

pub struct SqliteStore {
    writer: Arc<Mutex<Connection>>,
    readers: Arc<Mutex<Vec<Connection>>>,
    path: PathBuf,
}

impl SqliteStore {
    /// Opens (creating if needed) the database file, its tables and indexes.
    pub fn open(path: &Path) -> StoreResult<SqliteStore> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| StoreError::Unavailable(format!("cannot create {}: {e}", dir.display())))?;
        }
        let writer = connect(path)?;
        for coll in Collection::ALL {
            let table = coll.default_name();
            // Deleted documents for API v3 history (`Store::bury`), keyed by identifier.
            writer
                .execute_batch(&format!(
                    "CREATE TABLE IF NOT EXISTS {table}_deleted (
                        rowid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, doc BLOB NOT NULL);
                    CREATE INDEX IF NOT EXISTS \"{table}_deleted_srvModified\" ON {table}_deleted ({});",
                    path_expr("srvModified")
                ))
                .map_err(map_err)?;
            writer
                .execute_batch(&format!(
                    "CREATE TABLE IF NOT EXISTS {table} (
                        rowid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, doc BLOB NOT NULL);"
                ))
                .map_err(map_err)?;
            for fields in indexes(coll) {
                let name = format!("{table}_{}", fields.join("_"));
                let exprs: Vec<String> = fields.iter().map(|f| path_expr(f)).collect();
                writer
                    .execute_batch(&format!("CREATE INDEX IF NOT EXISTS \"{name}\" ON {table} ({})", exprs.join(", ")))
                    .map_err(map_err)?;
            }
        }
        super::sqlite_auth::create_tables(&writer)?;
        super::sqlite_space::create_probe_table(&writer)?;
        Ok(SqliteStore {
            writer: Arc::new(Mutex::new(writer)),
            readers: Arc::new(Mutex::new(Vec::new())),
            path: path.to_owned(),
        })
    }

    /// Caps the database file at `max_bytes` (`sqlite_space::limit`); `None` leaves it unbounded.
    pub fn with_max_bytes(self, max_bytes: Option<u64>) -> StoreResult<SqliteStore> {
        if let Some(max) = max_bytes {
            super::sqlite_space::limit(&*self.writer.lock().map_err(poisoned)?, max)?;
        }
        Ok(self)
    }

    /// Runs `f` on a reader connection on the blocking pool.
    pub(super) fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
    ) -> impl std::future::Future<Output = StoreResult<T>> + Send + 'static {
        let (readers, path) = (self.readers.clone(), self.path.clone());
        blocking(move || {
            let conn = match readers.lock().map_err(poisoned)?.pop() {
                Some(c) => c,
                None => connect(&path)?,
            };
            let out = f(&conn);
            let mut pool = readers.lock().map_err(poisoned)?;
            if pool.len() < READERS {
                pool.push(conn);
            }
            out
        })
    }

    /// Runs `f` in one IMMEDIATE transaction on the writer: all of it is committed, or none.
    pub(super) async fn write<T: Send + 'static>(
        &self,
        f: impl FnOnce(&rusqlite::Transaction) -> StoreResult<T> + Send + 'static,
    ) -> StoreResult<T> {
        let writer = self.writer.clone();
        blocking(move || {
            let mut conn = writer.lock().map_err(poisoned)?;
            let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate).map_err(map_err)?;
            let out = f(&tx)?;
            tx.commit().map_err(map_err)?;
            Ok(out)
        })
        .await
    }
}

fn connect(path: &Path) -> StoreResult<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX
        | OpenFlags::SQLITE_OPEN_URI;
    let conn = Connection::open_with_flags(path, flags)
        .map_err(|e| StoreError::Unavailable(format!("cannot open {}: {e}", path.display())))?;
    // WAL for concurrent readers; synchronous=FULL so an acknowledged reading survives power loss.
    conn.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA busy_timeout = 5000;")
        .map_err(map_err)?;
    conn.create_scalar_function("regexp", 2, FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC, |ctx| {
        let re = ctx.get_or_create_aux(0, |vr| -> Result<_, Box<dyn std::error::Error + Send + Sync>> {
            Ok(regex::Regex::new(vr.as_str()?)?)
        })?;
        Ok(match ctx.get_raw(1) {
            rusqlite::types::ValueRef::Text(t) => re.is_match(&String::from_utf8_lossy(t)),
            _ => false,
        })
    })
    .map_err(map_err)?;
    Ok(conn)
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> StoreResult<T> + Send + 'static) -> StoreResult<T> {
    tokio::task::spawn_blocking(f).await.map_err(|e| StoreError::Other(format!("store task failed: {e}")))?
}

fn poisoned<E>(_: E) -> StoreError {
    StoreError::Other("store lock poisoned".into())
}

pub(super) fn map_err(e: rusqlite::Error) -> StoreError {
    use rusqlite::ErrorCode as C;
    match e.sqlite_error_code() {
        Some(C::DatabaseBusy | C::DatabaseLocked) => StoreError::Unavailable(format!("{}: {e}", outage::LOCKED)),
        Some(C::CannotOpen) => StoreError::Unavailable(e.to_string()),
        Some(C::DiskFull) => StoreError::Unavailable(format!("{}: {e}", outage::DISK_FULL)),
        Some(C::ReadOnly) => StoreError::Unavailable(format!("{}: {e}", outage::READ_ONLY)),
        Some(C::ConstraintViolation) => StoreError::Invalid("duplicate _id".into()),
        _ => StoreError::Other(e.to_string()),
    }
}

fn select(conn: &Connection, table: &str, q: &Query) -> StoreResult<Vec<Doc>> {
    let mut b = SqlBuilder::new();
    let w = b.filter(&q.filter);
    let tail = b.tail(q);
    let sql = format!("SELECT id, json(doc) FROM {table} WHERE {w}{tail}");
    let mut stmt = conn.prepare_cached(&sql).map_err(map_err)?;
    let rows = stmt
        .query_map(params_from_iter(b.params.iter()), |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
        .map_err(map_err)?;
    let mut out = Vec::new();
    for row in rows {
        let (id, text) = row.map_err(map_err)?;
        out.push(with_id(id, &text)?);
    }
    // The SQL with `?` placeholders: no values, so nothing a client sent lands in the log.
    tracing::debug!(%sql, rows = out.len(), "sqlite find");
    Ok(out)
}

/// `{_id, ...doc}`: `_id` first, as MongoDB returns it.
pub(super) fn with_id(id: String, text: &str) -> StoreResult<Doc> {
    let body = parse_doc(text)?;
    let mut doc = Doc::with_capacity(body.len() + 1);
    doc.insert("_id".into(), id.into());
    doc.extend(body);
    Ok(doc)
}

/// A stored document's JSON text, its whole numbers as integers (SQLite prints a stored double
/// `4` as `4.0`; JavaScript, and so Nightscout's answer, has one number type).
fn parse_doc(text: &str) -> StoreResult<Doc> {
    let mut v: serde_json::Value = serde_json::from_str(text).map_err(|e| StoreError::Other(e.to_string()))?;
    crate::domain::js::whole_numbers_as_integers(&mut v);
    match v {
        serde_json::Value::Object(doc) => Ok(doc),
        _ => Err(StoreError::Other("a stored document is not an object".into())),
    }
}

/// Splits `_id` off a document: the id to store it under and the JSON text of the rest.
fn split_id(mut doc: Doc) -> (String, String, Doc) {
    let id = match doc.remove("_id") {
        Some(serde_json::Value::String(s)) if is_object_id(&s) => s.to_ascii_lowercase(),
        Some(serde_json::Value::String(s)) if !s.is_empty() => s,
        _ => ObjectId::new().to_hex(),
    };
    let text = serde_json::Value::Object(doc.clone()).to_string();
    (id, text, doc)
}

fn insert_one(tx: &Connection, coll: Collection, doc: Doc) -> StoreResult<Doc> {
    let (id, text, body) = split_id(doc);
    tx.prepare_cached(&format!("INSERT INTO {} (id, doc) VALUES (?1, jsonb(?2))", coll.default_name()))
        .and_then(|mut s| s.execute((&id, &text)))
        .map_err(map_err)?;
    let mut out = Doc::with_capacity(body.len() + 1);
    out.insert("_id".into(), id.into());
    out.extend(body);
    Ok(out)
}

pub(super) fn first_match(tx: &Connection, coll: Collection, filter: &Filter) -> StoreResult<Option<(String, Doc)>> {
    let mut b = SqlBuilder::new();
    let w = b.filter(filter);
    let sql = format!("SELECT id, json(doc) FROM {} WHERE {w} LIMIT 1", coll.default_name());
    let row = tx
        .prepare_cached(&sql)
        .and_then(|mut s| {
            s.query_row(params_from_iter(b.params.iter()), |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
                .optional()
        })
        .map_err(map_err)?;
    match row {
        None => Ok(None),
        Some((id, text)) => Ok(Some((id, parse_doc(&text)?))),
    }
}

fn rewrite(tx: &Connection, coll: Collection, id: &str, doc: &Doc) -> StoreResult<()> {
    let text = serde_json::Value::Object(doc.clone()).to_string();
    tx.prepare_cached(&format!("UPDATE {} SET doc = jsonb(?1) WHERE id = ?2", coll.default_name()))
        .and_then(|mut s| s.execute((&text, id)))
        .map_err(map_err)?;
    Ok(())
}

#[async_trait::async_trait]
impl Store for SqliteStore {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    async fn find(&self, coll: Collection, query: &Query) -> StoreResult<Vec<Doc>> {
        let q = query.clone();
        self.read(move |c| select(c, coll.default_name(), &q)).await
    }

    async fn stamps_matched(&self, coll: Collection, filters: Vec<Filter>) -> StoreResult<Vec<Option<Doc>>> {
        self.read(move |c| super::sqlite_reads::stamps(c, coll, &filters)).await
    }

    fn find_pages(&self, coll: Collection, query: Query, page: usize) -> super::Pages {
        super::sqlite_reads::pages(self, coll.default_name(), query, page)
    }

    async fn count(&self, coll: Collection, filter: &Filter) -> StoreResult<u64> {
        let f = filter.clone();
        self.read(move |c| {
            let mut b = SqlBuilder::new();
            let w = b.filter(&f);
            let sql = format!("SELECT COUNT(*) FROM {} WHERE {w}", coll.default_name());
            c.prepare_cached(&sql)
                .and_then(|mut s| s.query_row(params_from_iter(b.params.iter()), |r| r.get::<_, i64>(0)))
                .map(|n| n.max(0) as u64)
                .map_err(map_err)
        })
        .await
    }

    async fn insert_many(&self, coll: Collection, docs: Vec<Doc>) -> StoreResult<Vec<Doc>> {
        self.write(move |tx| docs.into_iter().map(|d| insert_one(tx, coll, d)).collect()).await
    }

    async fn upsert_many(&self, coll: Collection, ops: Vec<Upsert>) -> StoreResult<Vec<Written>> {
        self.write(move |tx| {
            let mut out = Vec::with_capacity(ops.len());
            for op in ops {
                match first_match(tx, coll, &op.filter)? {
                    Some((id, mut existing)) => {
                        let mut doc = op.doc;
                        doc.remove("_id");
                        match op.mode {
                            WriteMode::Merge => existing.extend(doc),
                            WriteMode::Replace => existing = doc,
                        }
                        rewrite(tx, coll, &id, &existing)?;
                        out.push(Written::Updated(Some(id)));
                    }
                    None => {
                        let stored = insert_one(tx, coll, op.doc)?;
                        let id = stored.get("_id").and_then(|v| v.as_str()).unwrap_or_default();
                        out.push(Written::Inserted(id.to_owned()));
                    }
                }
            }
            Ok(out)
        })
        .await
    }

    async fn delete_many(&self, coll: Collection, filter: &Filter) -> StoreResult<u64> {
        let f = filter.clone();
        self.write(move |tx| {
            let mut b = SqlBuilder::new();
            let w = b.filter(&f);
            let sql = format!("DELETE FROM {} WHERE {w}", coll.default_name());
            tx.execute(&sql, params_from_iter(b.params.iter())).map(|n| n as u64).map_err(map_err)
        })
        .await
    }

    async fn update_by_id(&self, coll: Collection, id: &str, set: Doc, unset: Vec<String>) -> StoreResult<bool> {
        let id = if is_object_id(id) { id.to_ascii_lowercase() } else { id.to_owned() };
        self.write(move |tx| {
            let filter = Filter::eq("_id", crate::domain::filter::Val::Str(id.clone()));
            let Some((_, mut doc)) = first_match(tx, coll, &filter)? else {
                return Ok(false);
            };
            for (k, v) in set {
                if k != "_id" {
                    super::set_path(&mut doc, &k, v);
                }
            }
            for k in unset {
                super::unset_path(&mut doc, &k);
            }
            rewrite(tx, coll, &id, &doc)?;
            Ok(true)
        })
        .await
    }

    async fn bury(&self, coll: Collection, docs: Vec<Doc>) -> StoreResult<()> {
        let table = format!("{}_deleted", coll.default_name());
        self.write(move |tx| {
            for doc in docs {
                let (id, text, _) = split_id(doc);
                tx.prepare_cached(&format!("INSERT OR REPLACE INTO {table} (id, doc) VALUES (?1, jsonb(?2))"))
                    .and_then(|mut s| s.execute((&id, &text)))
                    .map_err(map_err)?;
            }
            Ok(())
        })
        .await
    }

    async fn buried(&self, coll: Collection, query: &Query) -> StoreResult<Vec<Doc>> {
        let (q, table) = (query.clone(), format!("{}_deleted", coll.default_name()));
        self.read(move |c| select(c, &table, &q)).await
    }

    async fn unbury(&self, coll: Collection, filter: &Filter) -> StoreResult<u64> {
        let (f, table) = (filter.clone(), format!("{}_deleted", coll.default_name()));
        self.write(move |tx| {
            let mut b = SqlBuilder::new();
            let w = b.filter(&f);
            tx.execute(&format!("DELETE FROM {table} WHERE {w}"), params_from_iter(b.params.iter()))
                .map(|n| n as u64)
                .map_err(map_err)
        })
        .await
    }

    fn auth(&self) -> &dyn super::AuthStore {
        self
    }

    async fn probe_write(&self) -> StoreResult<()> {
        self.write(|tx| super::sqlite_space::probe(tx)).await
    }

    async fn stats(&self) -> StoreResult<DbStats> {
        self.read(|c| {
            let pages: i64 = c.query_row("PRAGMA page_count", [], |r| r.get(0)).map_err(map_err)?;
            let free: i64 = c.query_row("PRAGMA freelist_count", [], |r| r.get(0)).map_err(map_err)?;
            let size: i64 = c.query_row("PRAGMA page_size", [], |r| r.get(0)).map_err(map_err)?;
            let total = ((pages - free).max(0) * size) as u64;
            Ok(DbStats { data_size: total, index_size: 0 })
        })
        .await
    }
}
