//! Devicestatus, profile, food and activity: the `_id` check (400 `Invalid _id format`, nothing
//! stored), `created_at` defaults, insert or replace by `_id`, delete by `_id`.

use serde_json::Value;

use super::{Writer, stamp};
use crate::domain::documents::{
    default_created_at, first_invalid_id, invalid_given_id_description, invalid_id_description,
};
use crate::domain::filter::{Filter, Val, is_object_id};
use crate::domain::purify::purify;
use crate::domain::time::{now_ms, to_iso_utc};
use crate::domain::{Collection, Doc, devicestatus};
use crate::error::{ApiError, ApiResult};
use crate::store::{Upsert, WriteMode};

/// 400 `Invalid _id format` when any document has an `_id` that is not 24 hex characters.
pub(crate) fn check_ids(docs: &[Doc]) -> ApiResult<()> {
    match first_invalid_id(docs) {
        Some(id) => Err(invalid_id(id)),
        None => Ok(()),
    }
}

pub(crate) fn invalid_id(id: &Value) -> ApiError {
    ApiError::bad_request("Invalid _id format", invalid_id_description(id))
}

/// 400 `Invalid _id format` for an `_id` that PUT or DELETE names (no "or omit").
pub(crate) fn invalid_given_id(id: &Value) -> ApiError {
    ApiError::bad_request("Invalid _id format", invalid_given_id_description(id))
}

/// PUT's check (`lib/api/{food,profile,activity}` PUT): a malformed `_id` is a 400; none is fine.
pub(crate) fn check_given_ids(docs: &[Doc]) -> ApiResult<()> {
    match first_invalid_id(docs) {
        Some(id) => Err(invalid_given_id(id)),
        None => Ok(()),
    }
}

impl Writer {
    /// Devicestatus POST (`lib/server/devicestatus.js`): `_id`s checked, strings purified,
    /// `created_at` normalised, predictions cut; inserted without dedup.
    pub async fn create_devicestatus(&self, mut docs: Vec<Doc>) -> ApiResult<Vec<Doc>> {
        check_ids(&docs)?;
        let now = now_ms();
        for d in &mut docs {
            purify(d);
            devicestatus::normalize(d, now, self.predictions_max_size);
            stamp::new_doc(d, self.tick());
        }
        Ok(self.store.insert_many(Collection::DeviceStatus, docs).await?)
    }

    /// Profile POST: `_id`s checked, strings purified, `created_at` added, inserted (no dedup).
    pub async fn create_profiles(&self, mut docs: Vec<Doc>) -> ApiResult<Vec<Doc>> {
        check_ids(&docs)?;
        let now = now_ms();
        docs.iter_mut().for_each(|d| {
            purify(d);
            default_created_at(d, now);
            stamp::new_doc(d, self.tick());
        });
        Ok(self.store.insert_many(Collection::Profile, docs).await?)
    }

    /// Food POST: `_id`s checked, `created_at` set to now. Unlike Nightscout (which keys on
    /// `{_id, created_at}` and so fails on a known `_id`), a known `_id` is replaced.
    pub async fn create_food(&self, mut docs: Vec<Doc>) -> ApiResult<Vec<Doc>> {
        let now = Value::String(to_iso_utc(now_ms()).unwrap_or_default());
        docs.iter_mut().for_each(|d| {
            d.insert("created_at".into(), now.clone());
        });
        self.save_all(Collection::Food, docs).await
    }

    /// Profile and activity PUT, activity POST: `_id`s checked, `created_at` defaulted, then
    /// replaced by `_id` or inserted.
    pub async fn save_dated(&self, coll: Collection, mut docs: Vec<Doc>) -> ApiResult<Vec<Doc>> {
        let now = now_ms();
        docs.iter_mut().for_each(|d| default_created_at(d, now));
        self.save_all(coll, docs).await
    }

    /// Each document replaces the one with its `_id` (or is inserted under it); documents
    /// without `_id` are inserted, and a malformed `_id` anywhere is a 400 with nothing stored
    /// (`lib/api/food/index.js` PUT, profile and activity alike). Returns them in order.
    pub async fn save_all(&self, coll: Collection, docs: Vec<Doc>) -> ApiResult<Vec<Doc>> {
        check_ids(&docs)?;
        let mut out = Vec::with_capacity(docs.len());
        for mut doc in docs {
            match doc.get("_id").and_then(Value::as_str).filter(|s| is_object_id(s)).map(str::to_ascii_lowercase) {
                Some(id) => {
                    let filter = Filter::eq("_id", Val::ObjectId(id.clone()));
                    doc.insert("_id".into(), Value::String(id));
                    self.stamp_upsert(coll, &filter, &mut doc).await?;
                    let op = Upsert { filter, doc: doc.clone(), mode: WriteMode::Replace };
                    self.store.upsert_many(coll, vec![op]).await?;
                    out.push(doc);
                }
                None => {
                    doc.remove("_id");
                    stamp::new_doc(&mut doc, self.tick());
                    out.extend(self.store.insert_many(coll, vec![doc]).await?);
                }
            }
        }
        Ok(out)
    }

    /// Deletes the document with this `_id` (400 unless 24 hex).
    pub async fn delete_by_object_id(&self, coll: Collection, id: &str) -> ApiResult<u64> {
        if !is_object_id(id) {
            return Err(invalid_given_id(&Value::String(id.to_owned())));
        }
        Ok(self.delete_where(coll, &Filter::eq("_id", Val::ObjectId(id.to_ascii_lowercase()))).await?)
    }
}
