//! Namespace `/storage` (`lib/api3/storageSocket.js`, spec 5.5): `subscribe`, then `create`,
//! `update` and `delete` for writes from every path (Nightscout sends only API v3 writes).

use serde::Deserialize;
use serde_json::{Value, json};
use socketioxide::SocketIo;
use socketioxide::adapter::Adapter;
use socketioxide::extract::{AckSender, SocketRef, State, TryData};

use super::Ctx;
use crate::engine::StorageEvent;

/// The collections a subscriber can ask for, as API v3 names them (`enabledCollections`).
const COLLECTIONS: [&str; 6] = ["devicestatus", "entries", "food", "profile", "settings", "treatments"];

fn room(name: &str) -> String {
    format!("storage:{name}")
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
        Some(t) => ctx.auth.resolve_access_token(&t).await,
        None => None,
    };
    let Some(caller) = caller else {
        let _ = ack.send(&json!({"success": false, "message": "Missing or bad accessToken"}));
        return;
    };
    // In the order asked for; names not served (AndroidAPS asks for `foods`) are dropped.
    let asked: Vec<String> = msg.collections.unwrap_or_else(|| COLLECTIONS.iter().map(|c| c.to_string()).collect());
    let mut granted: Vec<String> = Vec::new();
    for name in asked {
        let permission = if name == "settings" { "api:settings:admin".to_owned() } else { format!("api:{name}:read") };
        if COLLECTIONS.contains(&name.as_str()) && !granted.contains(&name) && caller.can(&permission) {
            granted.push(name);
        }
    }
    if granted.is_empty() {
        let _ = ack.send(&json!({"success": false, "message": "Unauthorized to receive any collection"}));
        return;
    }
    for c in &granted {
        s.join(room(c));
    }
    let _ = ack.send(&json!({"success": true, "collections": granted}));
}

/// Sends each event to this instance's subscribers of its collection (every instance emits its own).
pub async fn emit<A: Adapter>(io: &SocketIo<A>, events: &[StorageEvent]) {
    let Some(ns) = io.of("/storage") else { return };
    for e in events {
        let _ = ns.clone().local().to(room(e.collection.default_name())).emit(e.event, &e.payload).await;
    }
}
