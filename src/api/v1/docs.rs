//! Writes shared by profile, food and activity: replace by `_id` or insert, delete by `_id`,
//! and the 400 Nightscout gives for a bad `_id`.

use serde_json::Value;

use crate::app::AppState;
use crate::domain::documents::{first_invalid_id, invalid_id_description};
use crate::domain::filter::{Filter, Val, is_object_id};
use crate::domain::{Collection, Doc};
use crate::error::{ApiError, ApiResult};
use crate::store::{Upsert, WriteMode};

/// 400 `Invalid _id format` when any document has an `_id` that is not 24 hex characters.
pub fn check_ids(docs: &[Doc]) -> ApiResult<()> {
    match first_invalid_id(docs) {
        Some(id) => Err(invalid_id(id)),
        None => Ok(()),
    }
}

pub fn invalid_id(id: &Value) -> ApiError {
    ApiError::bad_request("Invalid _id format", invalid_id_description(id))
}

/// Each document replaces the one with its `_id` (or is inserted under it); documents without
/// `_id` are inserted. Returns them in order, each with its `_id`.
pub async fn save_all(state: &AppState, coll: Collection, docs: Vec<Doc>) -> ApiResult<Vec<Doc>> {
    let mut out = Vec::with_capacity(docs.len());
    for d in docs {
        match d.get("_id").and_then(Value::as_str).filter(|s| is_object_id(s)).map(str::to_ascii_lowercase) {
            Some(id) => {
                let filter = Filter::eq("_id", Val::ObjectId(id.clone()));
                let mut doc = d;
                doc.insert("_id".into(), Value::String(id));
                state
                    .store
                    .upsert_many(coll, vec![Upsert { filter, doc: doc.clone(), mode: WriteMode::Replace }])
                    .await?;
                out.push(doc);
            }
            None => {
                let mut doc = d;
                doc.remove("_id");
                out.extend(state.store.insert_many(coll, vec![doc]).await?);
            }
        }
    }
    Ok(out)
}

/// Deletes the document with this `_id` (400 unless 24 hex).
pub async fn delete_by_id(state: &AppState, coll: Collection, id: &str) -> ApiResult<u64> {
    if !is_object_id(id) {
        return Err(invalid_id(&Value::String(id.to_owned())));
    }
    Ok(state.store.delete_many(coll, &Filter::eq("_id", Val::ObjectId(id.to_ascii_lowercase()))).await?)
}
