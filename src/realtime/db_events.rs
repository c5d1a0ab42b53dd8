//! The socket write events `dbAdd`, `dbUpdate`, `dbUpdateUnset`, `dbRemove`
//! (`lib/server/websocket.js`, spec 5.2 and 3.5), as AndroidAPS's v1 client sends them: the
//! permission and the message shape here, the write rules in `crate::write`.
//! Unlike Nightscout, the ack comes only after the store confirmed the write.

use serde_json::{Value, json};
use socketioxide::adapter::Adapter;
use socketioxide::extract::{AckSender, SocketRef, State, TryData};

use super::Ctx;
use super::rate::{self, Budget};
use super::root::Perms;
use crate::domain::Doc;
use crate::store::Collection;

/// The collection a write event names, if the socket may write it; else the ack to send.
fn permitted<A: Adapter>(s: &SocketRef<A>, msg: &Value) -> Result<Collection, &'static str> {
    let Some(perms) = s.extensions.get::<Perms>() else { return Err("Not authorized") };
    if !s.extensions.get::<Budget>().is_none_or(|b| b.write()) {
        tracing::warn!("socket write events over {} a second: refused until the budget refills", rate::WRITES_PER_SEC);
        return Err("Too many requests");
    }
    let coll = msg.get("collection").and_then(Value::as_str).and_then(Collection::parse).ok_or("Wrong collection")?;
    let ok = if coll == Collection::Treatments { perms.write_treatment } else { perms.write };
    if ok { Ok(coll) } else { Err("Not permitted") }
}

fn result<A: Adapter>(ack: AckSender<A>, r: &str) {
    let _ = ack.send(&json!({"result": r}));
}

fn id_of(msg: &Value) -> Option<String> {
    match msg.get("_id")? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Object(o) => o.get("$oid").and_then(Value::as_str).map(str::to_owned),
        _ => None,
    }
}

pub async fn db_add<A: Adapter>(
    s: SocketRef<A>,
    State(ctx): State<Ctx>,
    TryData(msg): TryData<Value>,
    ack: AckSender<A>,
) {
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
        match ctx.writer.socket_add(coll, doc).await {
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

async fn update<A: Adapter>(s: SocketRef<A>, ctx: Ctx, msg: Value, ack: AckSender<A>, unset: bool) {
    let coll = match permitted(&s, &msg) {
        Ok(c) => c,
        Err(r) => return result(ack, r),
    };
    let Some(id) = id_of(&msg) else { return result(ack, "Missing _id") };
    let data = msg.get("data").and_then(Value::as_object).cloned().unwrap_or_default();
    match ctx.writer.socket_update(coll, &id, data, unset).await {
        Ok(_) => result(ack, "success"),
        // Bad input says why (a field name no store can hold); the store's own failures stay
        // "Database error", as Nightscout answers them.
        Err(crate::store::StoreError::Invalid(why)) => result(ack, &why),
        Err(e) => {
            tracing::warn!(collection = coll.default_name(), "dbUpdate failed: {e}");
            result(ack, "Database error");
        }
    }
}

pub async fn db_update<A: Adapter>(
    s: SocketRef<A>,
    State(ctx): State<Ctx>,
    TryData(msg): TryData<Value>,
    ack: AckSender<A>,
) {
    update(s, ctx, msg.unwrap_or(Value::Null), ack, false).await
}

pub async fn db_update_unset<A: Adapter>(
    s: SocketRef<A>,
    State(ctx): State<Ctx>,
    TryData(msg): TryData<Value>,
    ack: AckSender<A>,
) {
    update(s, ctx, msg.unwrap_or(Value::Null), ack, true).await
}

pub async fn db_remove<A: Adapter>(
    s: SocketRef<A>,
    State(ctx): State<Ctx>,
    TryData(msg): TryData<Value>,
    ack: AckSender<A>,
) {
    let msg = msg.unwrap_or(Value::Null);
    let coll = match permitted(&s, &msg) {
        Ok(c) => c,
        Err(r) => return result(ack, r),
    };
    let Some(id) = id_of(&msg) else { return result(ack, "Missing _id") };
    match ctx.writer.socket_remove(coll, &id).await {
        Ok(_) => result(ack, "success"),
        Err(e) => {
            tracing::warn!(collection = coll.default_name(), "dbRemove failed: {e}");
            result(ack, "Database error");
        }
    }
}
