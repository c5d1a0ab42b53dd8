//! Namespace `/storage` (`lib/api3/storageSocket.js`, spec 5.5): `subscribe`, then `create`,
//! `update` and `delete` for writes from every path (Nightscout sends only API v3 writes).

use serde::Deserialize;
use serde_json::{Value, json};
use socketioxide::SocketIo;
use socketioxide::extract::{AckSender, SocketRef, State, TryData};

use super::Ctx;
use super::root::resolve;
use crate::engine::StorageEvent;
use crate::store::Collection;

/// The collections a subscriber can ask for, as API v3 names them.
const COLLECTIONS: [Collection; 5] =
    [Collection::DeviceStatus, Collection::Entries, Collection::Food, Collection::Profile, Collection::Treatments];

/// API v3's collections (`enabledCollections`); `settings` has no events from us yet.
const ENABLED: [&str; 6] = ["devicestatus", "entries", "food", "profile", "settings", "treatments"];

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
pub async fn register(s: SocketRef) -> Result<(), std::convert::Infallible> {
    s.on("subscribe", subscribe);
    Ok(())
}

async fn subscribe(s: SocketRef, State(ctx): State<Ctx>, TryData(msg): TryData<Value>, ack: AckSender) {
    let msg: Subscribe = msg.ok().and_then(|v| serde_json::from_value(v).ok()).unwrap_or_default();
    let caller = match msg.access_token.filter(|t| !t.is_empty()) {
        Some(t) => resolve(&ctx, &s, None, Some(t)).await,
        None => None,
    };
    let Some(caller) = caller else {
        let _ = ack.send(&json!({"success": false, "message": "Missing or bad accessToken"}));
        return;
    };
    // In the order asked (else all); unknown names (AndroidAPS's `foods`) are dropped silently.
    let asked: Vec<String> = msg.collections.unwrap_or_else(|| ENABLED.iter().map(|s| s.to_string()).collect());
    let mut names: Vec<&str> = Vec::new();
    for name in ENABLED.into_iter().filter(|n| asked.iter().any(|a| a == n)) {
        let permission = if name == "settings" { "api:settings:admin".into() } else { format!("api:{name}:read") };
        if caller.can(&permission) && !names.contains(&name) {
            names.push(name);
        }
    }
    names.sort_by_key(|n| asked.iter().position(|a| a == n));
    if names.is_empty() {
        let _ = ack.send(&json!({"success": false, "message": "Unauthorized to receive any collection"}));
        return;
    }
    for c in COLLECTIONS.into_iter().filter(|c| names.contains(&c.default_name())) {
        s.join(room(c));
    }
    let _ = ack.send(&json!({"success": true, "collections": names}));
}

/// Sends each event to the subscribers of its collection.
pub async fn emit(io: &SocketIo, events: &[StorageEvent]) {
    let Some(ns) = io.of("/storage") else { return };
    for e in events {
        let _ = ns.clone().to(room(e.collection)).emit(e.event, &e.payload).await;
    }
}
