//! What several instances on one MongoDB share besides the data: leases (one instance does a job
//! such as polling a vendor) in `ferroscout_leases`, and the database socketioxide's MongoDB
//! adapter uses for its messages.

use mongodb::bson::{DateTime, doc};
use mongodb::options::ClientOptions;
use mongodb::{Client, Database};

use super::{StoreError, StoreResult};
use crate::domain::time::now_ms;

const LEASES: &str = "ferroscout_leases";

/// Takes the lease `name` for `holder` when it is free or expired, or renews it when `holder`
/// already has it; true when `holder` holds it now. Two instances racing for a free lease both
/// upsert the same `_id`: one inserts, the other gets a duplicate key error and loses.
pub(super) async fn lease(db: &Database, name: &str, holder: &str, ttl_ms: i64) -> mongodb::error::Result<bool> {
    let now = now_ms();
    let filter = doc! {"_id": name, "$or": [{"holder": holder}, {"until": {"$lt": DateTime::from_millis(now)}}]};
    let update = doc! {"$set": {"holder": holder, "until": DateTime::from_millis(now + ttl_ms)}};
    match db.collection::<mongodb::bson::Document>(LEASES).update_one(filter, update).upsert(true).await {
        Ok(_) => Ok(true),
        Err(e) if is_duplicate_key(&e) => Ok(false),
        Err(e) => Err(e),
    }
}

/// A write that tells whether the database takes writes: one small document in the leases'
/// collection, rewritten each time (`Store::probe_write`).
pub(super) async fn probe(db: &Database) -> mongodb::error::Result<()> {
    let update = doc! {"$set": {"at": DateTime::from_millis(now_ms())}};
    db.collection::<mongodb::bson::Document>(LEASES)
        .update_one(doc! {"_id": "write-probe"}, update)
        .upsert(true)
        .await?;
    Ok(())
}

/// Keeps `value` under `note:<name>` in the leases collection until `ttl_ms` from now.
pub(super) async fn put_note(db: &Database, name: &str, value: &str, ttl_ms: i64) -> mongodb::error::Result<()> {
    let until = DateTime::from_millis(now_ms() + ttl_ms);
    let update = doc! {"$set": {"value": value, "until": until}};
    db.collection::<mongodb::bson::Document>(LEASES)
        .update_one(doc! {"_id": format!("note:{name}")}, update)
        .upsert(true)
        .await
        .map(|_| ())
}

/// The value [`put_note`] left under `name`, unless it expired.
pub(super) async fn note(db: &Database, name: &str) -> mongodb::error::Result<Option<String>> {
    let filter = doc! {"_id": format!("note:{name}"), "until": {"$gte": DateTime::from_millis(now_ms())}};
    let found = db.collection::<mongodb::bson::Document>(LEASES).find_one(filter).await?;
    Ok(found.and_then(|d| d.get_str("value").ok().map(str::to_owned)))
}

fn is_duplicate_key(e: &mongodb::error::Error) -> bool {
    use mongodb::error::{ErrorKind, WriteFailure};
    matches!(&*e.kind, ErrorKind::Write(WriteFailure::WriteError(w)) if w.code == 11000)
}

/// A connection to the database `uri` names, for socketioxide's MongoDB adapter.
pub(crate) async fn shared_database(uri: &str) -> StoreResult<Database> {
    let mut opts =
        ClientOptions::parse(uri).await.map_err(|e| StoreError::Invalid(format!("bad MongoDB URI: {}", e.kind)))?;
    opts.app_name.get_or_insert_with(|| "ferroscout-adapter".to_owned());
    let db_name = opts.default_database.clone().unwrap_or_else(|| "test".to_owned());
    let client = Client::with_options(opts).map_err(super::mongo::map_err)?;
    Ok(client.database(&db_name))
}
