//! Namespace `/storage` (`lib/api3/storageSocket.js`, spec 5.5): `subscribe`, then `create`,
//! `update` and `delete` for writes from every path (Nightscout sends only API v3 writes).

use serde::Deserialize;
use serde_json::{Value, json};
use socketioxide::SocketIo;
use socketioxide::adapter::Adapter;
use socketioxide::extract::{AckSender, SocketRef, State, TryData};

use super::Ctx;
use super::root::resolve;
use crate::engine::StorageEvent;
use crate::store::Collection;

/// The collections a subscriber can ask for, as API v3 names them.
const COLLECTIONS: [Collection; 5] =
    [Collection::DeviceStatus, Collection::Entries, Collection::Food, Collection::Profile, Collection::Treatments];

fn room(c: Collection) -> String {
    format!("storage:{}", c.default_name())
}

#[derive(Debug, Default, Deserialize)]
struct Subscribe {
    #[serde(default, rename = "accessToken")]
    access_token: Option<String>,
    #[serde(default)]
    collections: Option<Vec<String>>,
}

/// Registers the event handlers; runs as connect middleware, before the client is told it is
/// connected, so its first event (sent right after) always finds its handler.
pub async fn register<A: Adapter>(s: SocketRef<A>) -> Result<(), std::convert::Infallible> {
    s.on("subscribe", subscribe::<A>);
    Ok(())
}

async fn subscribe<A: Adapter>(
    s: SocketRef<A>,
    State(ctx): State<Ctx>,
    TryData(msg): TryData<Value>,
    ack: AckSender<A>,
) {
    let msg: Subscribe = msg.ok().and_then(|v| serde_json::from_value(v).ok()).unwrap_or_default();
    let caller = match msg.access_token.filter(|t| !t.is_empty()) {
        Some(t) => resolve(&ctx, &s, None, Some(t)).await,
        None => None,
    };
    let Some(caller) = caller else {
        let _ = ack.send(&json!({"success": false, "message": "Missing or bad accessToken"}));
        return;
    };
    let wanted = |c: &Collection| msg.collections.as_ref().is_none_or(|w| w.iter().any(|n| n == c.default_name()));
    let granted: Vec<Collection> = COLLECTIONS
        .into_iter()
        .filter(wanted)
        .filter(|c| caller.can(&format!("api:{}:read", c.default_name())))
        .collect();
    if granted.is_empty() {
        let _ = ack.send(&json!({"success": false, "message": "Unauthorized to receive any collection"}));
        return;
    }
    for c in &granted {
        s.join(room(*c));
    }
    let names: Vec<&str> = granted.iter().map(|c| c.default_name()).collect();
    let _ = ack.send(&json!({"success": true, "collections": names}));
}

/// Sends each event to this instance's subscribers of its collection (every instance emits its own).
pub async fn emit<A: Adapter>(io: &SocketIo<A>, events: &[StorageEvent]) {
    let Some(ns) = io.of("/storage") else { return };
    for e in events {
        let _ = ns.clone().local().to(room(e.collection)).emit(e.event, &e.payload).await;
    }
}
