//! Namespace `/` (`lib/server/websocket.js`, spec 5.2): `authorize`, the full and delta
//! `dataUpdate`, `loadRetro`, the watcher count, and the write events.

use serde::Deserialize;
use serde_json::{Value, json};
use socketioxide::adapter::Adapter;
use socketioxide::extract::{AckSender, SocketRef, State, TryData};

use super::rate::{self, Budget};
use super::{Ctx, DATA_RECEIVERS, db_events};
use crate::auth::{Caller, Credentials};

/// What an authorized socket may do, kept on the socket.
#[derive(Debug, Clone, Copy, Default)]
pub struct Perms {
    pub read: bool,
    pub write: bool,
    pub write_treatment: bool,
}

impl Perms {
    pub fn of(c: &Caller) -> Perms {
        Perms {
            read: c.can("api:*:read"),
            write: c.can("api:*:create,update,delete"),
            write_treatment: c.can("api:treatments:create,update,delete"),
        }
    }
}

#[derive(Debug, Default, Deserialize)]
struct Authorize {
    #[serde(default)]
    secret: Option<String>,
    #[serde(default)]
    token: Option<String>,
    #[serde(default)]
    status: Option<Value>,
    /// Ferroscout's dashboard sends `false`: it fetches the full payload over REST
    /// (`/api/v2/dataupdate`) and takes only deltas here. Absent (every Nightscout client): sent.
    #[serde(default, rename = "fullData")]
    full_data: Option<Value>,
}

/// Registers the event handlers; runs as connect middleware, before the client is told it is
/// connected, so its first event (sent right after) always finds its handler.
pub async fn register<A: Adapter>(s: SocketRef<A>, State(ctx): State<Ctx>) -> Result<(), std::convert::Infallible> {
    ctx.clients_changed.notify_one();
    s.extensions.insert(Budget::new());
    s.on("authorize", authorize::<A>);
    s.on("loadRetro", load_retro::<A>);
    s.on("dbAdd", db_events::db_add::<A>);
    s.on("dbUpdate", db_events::db_update::<A>);
    s.on("dbUpdateUnset", db_events::db_update_unset::<A>);
    s.on("dbRemove", db_events::db_remove::<A>);
    s.on("nsping", |ack: AckSender<A>, TryData(d): TryData<Value>| async move {
        let mills = d.ok().and_then(|d| d.get("mills").cloned()).unwrap_or(Value::Null);
        let _ = ack.send(&json!({"result": "pong", "mills": crate::domain::time::now_ms(), "sent": mills}));
    });
    s.on_disconnect(|State(ctx): State<Ctx>| async move { ctx.clients_changed.notify_one() });
    Ok(())
}

/// The client's address as the REST API sees it (the peer, or behind trusted proxies the
/// address they forwarded).
pub fn client_ip<A: Adapter>(ctx: &Ctx, s: &SocketRef<A>) -> std::net::IpAddr {
    crate::auth::client_ip(s.req_parts(), ctx.config.trusted_proxy_hops)
}

/// Resolves `authorize`'s credentials: `secret` (the API secret's hash, or an access token or its
/// SHA-1) and `token` (a JWT; a raw access token is accepted too). `None` when some were given
/// and none is valid.
pub async fn resolve<A: Adapter>(
    ctx: &Ctx,
    s: &SocketRef<A>,
    secret: Option<String>,
    token: Option<String>,
) -> Option<Caller> {
    let creds =
        Credentials { secret: secret.filter(|v| !v.is_empty()), token: None, bearer: token.filter(|v| !v.is_empty()) };
    ctx.auth.resolve(&creds, client_ip(ctx, s)).await.ok()
}

async fn authorize<A: Adapter>(
    s: SocketRef<A>,
    State(ctx): State<Ctx>,
    TryData(msg): TryData<Value>,
    ack: AckSender<A>,
) {
    if !within_full_budget(&s) {
        return;
    }
    let msg: Authorize = msg.ok().and_then(|v| serde_json::from_value(v).ok()).unwrap_or_default();
    let Some(caller) = resolve(&ctx, &s, msg.secret, msg.token).await else {
        // Nightscout: a failed authorize disconnects without an ack.
        let _ = s.disconnect();
        return;
    };
    let perms = Perms::of(&caller);
    s.extensions.insert(perms);
    let _ = s.emit("connected", &());
    if perms.read {
        ctx.caught_up().await;
        let _guard = ctx.publish.lock().await;
        s.join(DATA_RECEIVERS);
        let snap = ctx.engine.snapshot();
        if msg.full_data == Some(Value::Bool(false)) {
            // Deltas only: the client fetches the snapshot over REST after this ack.
        } else if msg.status.as_ref().is_some_and(crate::domain::js::truthy) {
            let mut full = snap.full().clone();
            full["status"] =
                crate::config::public::socket_status(&ctx.config, ctx.store.backend(), active_profile(&snap));
            let _ = s.emit("dataUpdate", &full);
        } else {
            let _ = s.emit("dataUpdate", snap.full());
        }
    }
    let _ = ack.send(&json!({"read": perms.read, "write": perms.write, "write_treatment": perms.write_treatment}));
}

/// The profile named by the latest Profile Switch (`ddata.lastProfileFromSwitch`).
fn active_profile(snap: &crate::engine::snapshot::Snapshot) -> Option<String> {
    snap.treatments
        .iter()
        .rev()
        .find(|t| t.get("eventType").and_then(Value::as_str) == Some("Profile Switch"))
        .and_then(|t| t.get("profile").and_then(Value::as_str).map(str::to_owned))
}

/// False (and the socket closed) when it asks for full payloads faster than its budget.
fn within_full_budget<A: Adapter>(s: &SocketRef<A>) -> bool {
    if s.extensions.get::<Budget>().is_none_or(|b| b.full()) {
        return true;
    }
    tracing::warn!("socket asks for the full payload more than {} times in a row: closed", rate::FULL_BURST);
    let _ = s.clone().disconnect();
    false
}

/// `loadRetro`: the devicestatus in memory, as `retroUpdate`.
async fn load_retro<A: Adapter>(s: SocketRef<A>, State(ctx): State<Ctx>, ack: AckSender<A>) {
    if !within_full_budget(&s) {
        return;
    }
    if !s.extensions.get::<Perms>().is_some_and(|p| p.read) {
        let _ = ack.send(&json!({"result": "Not authorized"}));
        return;
    }
    let snap = ctx.engine.snapshot();
    let ds: Vec<Value> =
        snap.devicestatus.iter().map(|d| Value::Object(crate::engine::runtime::devicestatus(d))).collect();
    let _ = s.emit("retroUpdate", &json!({"devicestatus": ds}));
    let _ = ack.send(&json!({"result": "success"}));
}
