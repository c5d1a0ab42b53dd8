//! The socket write events `dbAdd`, `dbUpdate`, `dbUpdateUnset`, `dbRemove`
//! (`lib/server/websocket.js`, spec 5.2 and 3.5), as AndroidAPS's v1 client sends them.
//! Unlike Nightscout, the ack comes only after the store confirmed the write.

use serde_json::{Value, json};
use socketioxide::extract::{AckSender, SocketRef, State, TryData};

use super::Ctx;
use super::root::Perms;
use crate::domain::Doc;
use crate::domain::filter::{Cond, Filter, Query, Val, is_object_id};
use crate::domain::time::{now_ms, to_iso_utc};
use crate::engine::runtime::field_millis;
use crate::store::{Collection, Upsert, WriteMode};

/// The collection a write event names, if the socket may write it; else the ack to send.
fn permitted(s: &SocketRef, msg: &Value) -> Result<Collection, &'static str> {
    let Some(perms) = s.extensions.get::<Perms>() else { return Err("Not authorized") };
    let coll = msg.get("collection").and_then(Value::as_str).and_then(Collection::parse).ok_or("Wrong collection")?;
    let ok = if coll == Collection::Treatments { perms.write_treatment } else { perms.write };
    if ok { Ok(coll) } else { Err("Not permitted") }
}

fn result(ack: AckSender, r: &str) {
    let _ = ack.send(&json!({"result": r}));
}

/// `_id` as stores match it: a 24-hex id also matches an ObjectId.
fn id_filter(id: &str) -> Filter {
    let v = if is_object_id(id) { Val::ObjectId(id.to_ascii_lowercase()) } else { Val::Str(id.to_owned()) };
    Filter::eq("_id", v)
}

fn id_of(msg: &Value) -> Option<String> {
    match msg.get("_id")? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Object(o) => o.get("$oid").and_then(Value::as_str).map(str::to_owned),
        _ => None,
    }
}

pub async fn db_add(s: SocketRef, State(ctx): State<Ctx>, TryData(msg): TryData<Value>, ack: AckSender) {
    let msg = msg.unwrap_or(Value::Null);
    let coll = match permitted(&s, &msg) {
        Ok(c) => c,
        Err(r) => return result(ack, r),
    };
    let docs: Vec<Doc> = match msg.get("data") {
        Some(Value::Object(o)) => vec![o.clone()],
        Some(Value::Array(a)) => a.iter().filter_map(|v| v.as_object().cloned()).collect(),
        _ => Vec::new(),
    };
    let mut out = Vec::with_capacity(docs.len());
    // Sequentially, as Nightscout does, so a later item can dedup against an earlier one.
    for doc in docs {
        match add_one(&ctx, coll, doc).await {
            Ok(d) => out.push(Value::Object(d)),
            Err(e) => {
                tracing::warn!(collection = coll.default_name(), "dbAdd failed: {e}");
                // Nothing is acknowledged as stored that was not: the client will resend.
                let _ = ack.send(&Vec::<Value>::new());
                return;
            }
        }
    }
    let _ = ack.send(&out);
}

/// One `dbAdd` document with the socket path's defaults and dedup (spec 3.5).
async fn add_one(ctx: &Ctx, coll: Collection, mut doc: Doc) -> crate::store::StoreResult<Doc> {
    let store = &ctx.store;
    if let Some(Value::String(id)) = doc.get("_id")
        && !is_object_id(id)
    {
        doc.remove("_id");
    }
    if matches!(coll, Collection::Treatments | Collection::DeviceStatus) && !doc.contains_key("created_at") {
        doc.insert("created_at".into(), Value::String(to_iso_utc(now_ms()).unwrap_or_default()));
    }
    let existing = |f: Filter| async move {
        let q = Query::new(f).limit(Some(1));
        store.find(coll, &q).await.map(|v| v.into_iter().next())
    };
    let nsclient = doc.get("NSCLIENT_ID").filter(|v| !v.is_null()).cloned();
    let by_nsclient = nsclient.map(|v| Filter::eq("NSCLIENT_ID", Val::from_json(&v)));
    match coll {
        Collection::Treatments => {
            doc.entry("eventType").or_insert_with(|| Value::String("<none>".into()));
            let created = doc.get("created_at").cloned().unwrap_or(Value::Null);
            let event = doc.get("eventType").cloned().unwrap_or(Value::Null);
            let exact =
                Filter::eq("created_at", Val::from_json(&created)).and(Filter::eq("eventType", Val::from_json(&event)));
            let mut tries = vec![exact];
            if let Some(ms) = field_millis(&doc, "created_at") {
                let around = |d: i64| Val::Str(to_iso_utc(ms + d).unwrap_or_default());
                tries.push(
                    Filter::field("created_at", Cond::Gte(around(-2000)))
                        .and(Filter::field("created_at", Cond::Lte(around(2000))))
                        .and(Filter::eq("eventType", Val::from_json(&event))),
                );
            }
            for f in by_nsclient.into_iter().chain(tries) {
                if let Some(found) = existing(f).await? {
                    return Ok(found);
                }
            }
        }
        Collection::DeviceStatus => {
            let created = doc.get("created_at").cloned().unwrap_or(Value::Null);
            for f in by_nsclient.into_iter().chain([Filter::eq("created_at", Val::from_json(&created))]) {
                if let Some(found) = existing(f).await? {
                    return Ok(found);
                }
            }
        }
        Collection::Profile => {
            let key = by_nsclient.or_else(|| doc.get("startDate").map(|v| Filter::eq("startDate", Val::from_json(v))));
            if let Some(filter) = key {
                doc.remove("_id");
                let op = Upsert { filter: filter.clone(), doc: doc.clone(), mode: WriteMode::Replace };
                store.upsert_many(coll, vec![op]).await?;
                return Ok(existing(filter).await?.unwrap_or(doc));
            }
        }
        _ => {}
    }
    Ok(store.insert_many(coll, vec![doc]).await?.into_iter().next().unwrap_or_default())
}

async fn update(s: SocketRef, ctx: Ctx, msg: Value, ack: AckSender, unset: bool) {
    let coll = match permitted(&s, &msg) {
        Ok(c) => c,
        Err(r) => return result(ack, r),
    };
    let Some(id) = id_of(&msg) else { return result(ack, "Missing _id") };
    let data = msg.get("data").and_then(Value::as_object).cloned().unwrap_or_default();
    let (set, fields) = if unset { (Doc::new(), data.keys().cloned().collect()) } else { (data, Vec::new()) };
    let set = set.into_iter().filter(|(k, _)| k != "_id").collect();
    match ctx.store.update_by_id(coll, &id, set, fields).await {
        Ok(_) => result(ack, "success"),
        Err(e) => {
            tracing::warn!(collection = coll.default_name(), "dbUpdate failed: {e}");
            result(ack, "Database error");
        }
    }
}

pub async fn db_update(s: SocketRef, State(ctx): State<Ctx>, TryData(msg): TryData<Value>, ack: AckSender) {
    update(s, ctx, msg.unwrap_or(Value::Null), ack, false).await
}

pub async fn db_update_unset(s: SocketRef, State(ctx): State<Ctx>, TryData(msg): TryData<Value>, ack: AckSender) {
    update(s, ctx, msg.unwrap_or(Value::Null), ack, true).await
}

pub async fn db_remove(s: SocketRef, State(ctx): State<Ctx>, TryData(msg): TryData<Value>, ack: AckSender) {
    let msg = msg.unwrap_or(Value::Null);
    let coll = match permitted(&s, &msg) {
        Ok(c) => c,
        Err(r) => return result(ack, r),
    };
    let Some(id) = id_of(&msg) else { return result(ack, "Missing _id") };
    match ctx.store.delete_many(coll, &id_filter(&id)).await {
        Ok(_) => result(ack, "success"),
        Err(e) => {
            tracing::warn!(collection = coll.default_name(), "dbRemove failed: {e}");
            result(ack, "Database error");
        }
    }
}
