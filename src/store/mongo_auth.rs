//! Subjects, roles and the JWT key in MongoDB: Nightscout's own collections `<prefix>subjects` and
//! `<prefix>roles` (`MONGO_AUTHENTICATION_COLLECTIONS_PREFIX`, default `auth_`), read and written
//! in its shapes so an existing site's tokens keep working; the key lives in `<prefix>keys`.

use futures_util::TryStreamExt;
use mongodb::bson::{Document, doc};

use super::auth::{AuthKind, AuthStore, JWT_KEY_ID};
use super::mongo::{MongoStore, id_filter, map_err};
use super::mongo_bson::{from_document, to_document};
use super::{StoreError, StoreResult};
use crate::domain::Doc;

impl MongoStore {
    fn auth_coll(&self, kind: AuthKind) -> mongodb::Collection<Document> {
        self.db.collection(&format!("{}{}", self.auth_prefix, kind.suffix()))
    }
}

#[async_trait::async_trait]
impl AuthStore for MongoStore {
    async fn auth_list(&self, kind: AuthKind) -> StoreResult<Vec<Doc>> {
        let cursor = self.auth_coll(kind).find(doc! {}).await.map_err(map_err)?;
        let docs: Vec<Document> = cursor.try_collect().await.map_err(map_err)?;
        Ok(docs.into_iter().map(from_document).collect())
    }

    async fn auth_insert(&self, kind: AuthKind, mut doc: Doc) -> StoreResult<Doc> {
        let id = match doc.remove("_id") {
            Some(serde_json::Value::String(s)) if !s.is_empty() => s,
            _ => mongodb::bson::oid::ObjectId::new().to_hex(),
        };
        doc.insert("_id".into(), id.into());
        self.auth_coll(kind).insert_one(to_document(&doc)).await.map_err(map_err)?;
        Ok(doc)
    }

    async fn auth_replace(&self, kind: AuthKind, doc: Doc) -> StoreResult<()> {
        let id = doc.get("_id").and_then(|v| v.as_str()).unwrap_or_default().to_owned();
        self.auth_coll(kind).replace_one(id_filter(&id), to_document(&doc)).upsert(true).await.map_err(map_err)?;
        Ok(())
    }

    async fn auth_delete(&self, kind: AuthKind, id: &str) -> StoreResult<bool> {
        let r = self.auth_coll(kind).delete_one(id_filter(id)).await.map_err(map_err)?;
        Ok(r.deleted_count > 0)
    }

    async fn jwt_key(&self, candidate: String) -> StoreResult<String> {
        let keys = self.db.collection::<Document>(&format!("{}keys", self.auth_prefix));
        let created = crate::domain::time::to_iso_utc(crate::domain::time::now_ms()).unwrap_or_default();
        let set = doc! {"$setOnInsert": {"key": &candidate, "created_at": created}};
        // Two instances starting together may both upsert; the loser sees a duplicate key and
        // reads the winner's key below.
        if let Err(e) = keys.update_one(doc! {"_id": JWT_KEY_ID}, set).upsert(true).await {
            match map_err(e) {
                StoreError::Invalid(_) => {}
                other => return Err(other),
            }
        }
        let stored = keys.find_one(doc! {"_id": JWT_KEY_ID}).await.map_err(map_err)?;
        stored
            .and_then(|d| d.get_str("key").ok().map(str::to_owned))
            .ok_or_else(|| StoreError::Other("the JWT key was not stored".into()))
    }
}
