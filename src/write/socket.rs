//! The socket write events' rules (`lib/server/websocket.js` `dbAdd`, `dbUpdate`,
//! `dbUpdateUnset`, `dbRemove`; spec 5.2 and 3.5), which differ from REST: `_id`s that are not
//! ObjectIds are dropped, `created_at` defaults to now, and dedup looks for an existing document
//! (by `NSCLIENT_ID`, then Nightscout's per-collection keys) and answers with it.

use serde_json::Value;

use super::{Writer, id_filter, stamp};
use crate::domain::filter::{Cond, Filter, Val, is_object_id};
use crate::domain::time::{now_ms, to_iso_utc};
use crate::domain::{Collection, Doc};
use crate::store::{StoreResult, Upsert, WriteMode};

impl Writer {
    /// `dbAdd` of one document; the stored (or already existing) document.
    pub async fn socket_add(&self, coll: Collection, mut doc: Doc) -> StoreResult<Doc> {
        if let Some(why) = crate::domain::documents::bad_key(&Value::Object(doc.clone())) {
            return Err(crate::store::StoreError::Invalid(why.into()));
        }
        for v in doc.values_mut() {
            crate::domain::js::whole_numbers_as_integers(v);
        }
        // Beyond Nightscout (whose dbAdd skips the purifier): what a web client shows is
        // sanitised whichever way it was uploaded.
        crate::domain::purify::purify(&mut doc);
        if coll == Collection::Entries {
            // Beyond Nightscout (whose dbAdd stores entries raw): the REST rules, so a reading
            // sent over the socket gets `date`, `sysTime` and `utcOffset` and the same dedup.
            return Ok(self.create_entries(vec![doc]).await?.pop().unwrap_or_default());
        }
        if let Some(Value::String(id)) = doc.get("_id")
            && !is_object_id(id)
        {
            doc.remove("_id");
        }
        if matches!(coll, Collection::Treatments | Collection::DeviceStatus) && !doc.contains_key("created_at") {
            doc.insert("created_at".into(), Value::String(to_iso_utc(now_ms()).unwrap_or_default()));
        }
        let nsclient = doc.get("NSCLIENT_ID").filter(|v| !v.is_null()).cloned();
        let by_nsclient = nsclient.map(|v| Filter::eq("NSCLIENT_ID", Val::from_json(&v)));
        match coll {
            Collection::Treatments => {
                doc.entry("eventType").or_insert_with(|| Value::String("<none>".into()));
                let created = doc.get("created_at").cloned().unwrap_or(Value::Null);
                let event = doc.get("eventType").cloned().unwrap_or(Value::Null);
                let exact = Filter::eq("created_at", Val::from_json(&created))
                    .and(Filter::eq("eventType", Val::from_json(&event)));
                let mut tries = vec![exact];
                if let Some(ms) = coll.time_ms(&doc) {
                    let around = |d: i64| Val::Str(to_iso_utc(ms + d).unwrap_or_default());
                    tries.push(
                        Filter::field("created_at", Cond::Gte(around(-2000)))
                            .and(Filter::field("created_at", Cond::Lte(around(2000))))
                            .and(Filter::eq("eventType", Val::from_json(&event))),
                    );
                }
                for f in by_nsclient.into_iter().chain(tries) {
                    if let Some(found) = self.first(coll, f).await? {
                        return Ok(found);
                    }
                }
            }
            Collection::DeviceStatus => {
                let created = doc.get("created_at").cloned().unwrap_or(Value::Null);
                for f in by_nsclient.into_iter().chain([Filter::eq("created_at", Val::from_json(&created))]) {
                    if let Some(found) = self.first(coll, f).await? {
                        return Ok(found);
                    }
                }
            }
            Collection::Profile => {
                let key =
                    by_nsclient.or_else(|| doc.get("startDate").map(|v| Filter::eq("startDate", Val::from_json(v))));
                if let Some(filter) = key {
                    doc.remove("_id");
                    self.stamp_upsert(coll, &filter, &mut doc).await?;
                    let op = Upsert { filter: filter.clone(), doc: doc.clone(), mode: WriteMode::Replace };
                    self.store.upsert_many(coll, vec![op]).await?;
                    return Ok(self.first(coll, filter).await?.unwrap_or(doc));
                }
            }
            _ => {}
        }
        stamp::new_doc(&mut doc, self.tick());
        Ok(self.store.insert_many(coll, vec![doc]).await?.into_iter().next().unwrap_or_default())
    }

    /// `dbUpdate` (`$set`) or `dbUpdateUnset` (`$unset` of the given fields) by `_id`.
    pub async fn socket_update(&self, coll: Collection, id: &str, data: Doc, unset: bool) -> StoreResult<bool> {
        // The same field-name rule as every body (MongoDB refuses these in `$set`).
        if let Some(why) = crate::domain::documents::bad_key(&Value::Object(data.clone())) {
            return Err(crate::store::StoreError::Invalid(why.into()));
        }
        let (set, fields) = if unset { (Doc::new(), data.keys().cloned().collect()) } else { (data, Vec::new()) };
        let mut set: Doc = set.into_iter().filter(|(k, _)| k != "_id" && !stamp::is_stamp(k)).collect();
        set.insert("srvModified".into(), self.tick().into());
        let fields = fields.into_iter().filter(|k| !stamp::is_stamp(k)).collect();
        self.store.update_by_id(coll, id, set, fields).await
    }

    /// `dbRemove` by `_id`.
    pub async fn socket_remove(&self, coll: Collection, id: &str) -> StoreResult<u64> {
        self.delete_where(coll, &id_filter(id)).await
    }
}
