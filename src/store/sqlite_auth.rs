//! Subjects, roles and the JWT key in the embedded store: tables `auth_subjects` and `auth_roles`
//! holding each document as JSONB (the shapes Nightscout keeps in MongoDB), and `auth_keys`.

use mongodb::bson::oid::ObjectId;
use rusqlite::{Connection, OptionalExtension};

use super::auth::{AuthKind, AuthStore, JWT_KEY_ID};
use super::sqlite::{SqliteStore, map_err};
use super::{StoreError, StoreResult};
use crate::domain::Doc;
use crate::domain::filter::is_object_id;

fn table(kind: AuthKind) -> &'static str {
    match kind {
        AuthKind::Subjects => "auth_subjects",
        AuthKind::Roles => "auth_roles",
    }
}

/// Creates the tables when missing; called when the store opens.
pub(super) fn create_tables(conn: &Connection) -> StoreResult<()> {
    for kind in [AuthKind::Subjects, AuthKind::Roles] {
        conn.execute_batch(&format!(
            "CREATE TABLE IF NOT EXISTS {} (rowid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, doc BLOB NOT NULL);",
            table(kind)
        ))
        .map_err(map_err)?;
    }
    conn.execute_batch("CREATE TABLE IF NOT EXISTS auth_keys (id TEXT PRIMARY KEY, key TEXT NOT NULL);")
        .map_err(map_err)
}

/// The `_id` a document is stored under (24-hex ids lowercased, as ObjectIds print), and the rest.
fn split(mut doc: Doc) -> (String, Doc) {
    let id = match doc.remove("_id") {
        Some(serde_json::Value::String(s)) if is_object_id(&s) => s.to_ascii_lowercase(),
        Some(serde_json::Value::String(s)) if !s.is_empty() => s,
        _ => ObjectId::new().to_hex(),
    };
    (id, doc)
}

fn text(doc: &Doc) -> String {
    serde_json::Value::Object(doc.clone()).to_string()
}

#[async_trait::async_trait]
impl AuthStore for SqliteStore {
    async fn auth_list(&self, kind: AuthKind) -> StoreResult<Vec<Doc>> {
        self.read(move |conn| {
            let sql = format!("SELECT id, json(doc) FROM {} ORDER BY rowid", table(kind));
            let mut stmt = conn.prepare_cached(&sql).map_err(map_err)?;
            let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))).map_err(map_err)?;
            let mut out = Vec::new();
            for row in rows {
                let (id, body) = row.map_err(map_err)?;
                let body: Doc = serde_json::from_str(&body).map_err(|e| StoreError::Other(e.to_string()))?;
                let mut doc = Doc::with_capacity(body.len() + 1);
                doc.insert("_id".into(), id.into());
                doc.extend(body);
                out.push(doc);
            }
            Ok(out)
        })
        .await
    }

    async fn auth_insert(&self, kind: AuthKind, doc: Doc) -> StoreResult<Doc> {
        self.write(move |tx| {
            let (id, body) = split(doc);
            tx.prepare_cached(&format!("INSERT INTO {} (id, doc) VALUES (?1, jsonb(?2))", table(kind)))
                .and_then(|mut s| s.execute((&id, &text(&body))))
                .map_err(map_err)?;
            let mut out = body;
            out.insert("_id".into(), id.into());
            Ok(out)
        })
        .await
    }

    async fn auth_replace(&self, kind: AuthKind, doc: Doc) -> StoreResult<()> {
        self.write(move |tx| {
            let (id, body) = split(doc);
            let sql = format!(
                "INSERT INTO {} (id, doc) VALUES (?1, jsonb(?2)) ON CONFLICT(id) DO UPDATE SET doc = excluded.doc",
                table(kind)
            );
            tx.prepare_cached(&sql).and_then(|mut s| s.execute((&id, &text(&body)))).map_err(map_err)?;
            Ok(())
        })
        .await
    }

    async fn auth_delete(&self, kind: AuthKind, id: &str) -> StoreResult<bool> {
        let id = if is_object_id(id) { id.to_ascii_lowercase() } else { id.to_owned() };
        self.write(move |tx| {
            let n = tx
                .prepare_cached(&format!("DELETE FROM {} WHERE id = ?1", table(kind)))
                .and_then(|mut s| s.execute([&id]))
                .map_err(map_err)?;
            Ok(n > 0)
        })
        .await
    }

    async fn jwt_key(&self, candidate: String) -> StoreResult<String> {
        self.write(move |tx| {
            tx.execute("INSERT OR IGNORE INTO auth_keys (id, key) VALUES (?1, ?2)", (JWT_KEY_ID, &candidate))
                .map_err(map_err)?;
            let key: Option<String> = tx
                .query_row("SELECT key FROM auth_keys WHERE id = ?1", [JWT_KEY_ID], |r| r.get(0))
                .optional()
                .map_err(map_err)?;
            key.ok_or_else(|| StoreError::Other("the JWT key was not stored".into()))
        })
        .await
    }
}
