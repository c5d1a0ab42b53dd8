//! socket.io with Nightscout's protocol (`lib/server/websocket.js`, spec section 5): namespaces
//! `/`, `/alarm` and `/storage` on the API's port, Engine.IO 3 and 4, polling and websocket.
//! One broadcaster pushes what every confirmed write changed, the moment the store confirms it.

use std::sync::Arc;
use std::time::Duration;

use socketioxide::adapter::Adapter;
use socketioxide::handler::ConnectHandler;
use socketioxide::{SocketIo, SocketIoBuilder, TransportType};
use socketioxide_core::adapter::DefinedAdapter;
use tokio::sync::Notify;

use crate::auth::Authority;
use crate::config::Config;
use crate::engine::Engine;
use crate::store::{ChangeFeed, Store};
use crate::write::Writer;

mod adapter;
mod alarm;
mod broadcast;
mod db_events;
mod rate;
mod redis_driver;
mod root;
mod storage;

pub use adapter::Realtime;

/// Largest socket.io message accepted (10 MB), over polling and websocket alike.
pub(crate) const MAX_PAYLOAD: usize = 10_000_000;

/// The room of sockets allowed to read (`DataReceivers` in Nightscout).
pub const DATA_RECEIVERS: &str = "DataReceivers";

/// What socket handlers need; socketioxide's state.
#[derive(Clone)]
pub struct Ctx {
    pub config: Arc<Config>,
    pub store: Arc<dyn Store>,
    /// The socket write events go through the same write rules as REST.
    pub writer: Writer,
    pub auth: Arc<Authority>,
    pub engine: Arc<Engine>,
    /// Poked on every connect and disconnect; the watcher count follows shortly.
    pub clients_changed: Arc<Notify>,
    pub alarms: Arc<alarm::Alarms>,
    /// Held while a new snapshot is published and its delta emitted, and while a socket gets
    /// the full payload and joins the room: a socket sees every change exactly once, in order.
    pub publish: Arc<tokio::sync::Mutex<()>>,
    /// What the instances share (alarm snoozes).
    pub shared: crate::shared::Shared,
    /// Wakes the alarm task after a write (`alarm::wake`), so judging alarms never holds up the
    /// next push; wakes that come while it works are folded into one.
    pub alarm_wake: Arc<Notify>,
    /// Set by a wake for a new reading (standing alarms sound again), cleared by the alarm task.
    pub alarm_fresh: Arc<std::sync::atomic::AtomicBool>,
}

impl Ctx {
    pub fn new(
        config: Arc<Config>,
        store: Arc<dyn Store>,
        writer: Writer,
        auth: Arc<Authority>,
        engine: Arc<Engine>,
        shared: crate::shared::Shared,
    ) -> Ctx {
        Ctx {
            config,
            store,
            writer,
            auth,
            engine,
            clients_changed: Arc::new(Notify::new()),
            alarms: Arc::default(),
            publish: Arc::default(),
            shared,
            alarm_wake: Arc::new(Notify::new()),
            alarm_fresh: Arc::default(),
        }
    }
}

/// The socket.io settings every adapter shares.
fn builder(ctx: &Ctx) -> SocketIoBuilder {
    SocketIo::builder()
        .with_state(ctx.clone())
        .transports([TransportType::Polling, TransportType::Websocket])
        .ping_interval(Duration::from_secs(25))
        .ping_timeout(Duration::from_secs(20))
        .max_payload(MAX_PAYLOAD as u64)
        // The same bound over websocket (engine.io's default there is 64 MiB): a bigger
        // message closes that socket.
        .ws_max_message_size(MAX_PAYLOAD)
        .ws_max_frame_size(MAX_PAYLOAD)
}

/// Nightscout's namespaces; each adapter's initialisation result, to await or drop.
fn namespaces<A: Adapter + DefinedAdapter>(io: &SocketIo<A>) -> [A::InitRes; 3] {
    [
        io.ns("/", connected.with(root::register::<A>)),
        io.ns("/alarm", connected.with(alarm::register::<A>)),
        io.ns("/storage", connected.with(storage::register::<A>)),
    ]
}

/// Starts the broadcaster (`broadcast::run`: confirmed writes of `feed`, and writes by other
/// instances from the store's change stream, applied to the engine and pushed to this
/// instance's sockets), the stale-data alarm check and the watcher count.
fn spawn_tasks<A: Adapter>(io: &SocketIo<A>, ctx: &Ctx, feed: ChangeFeed) {
    tokio::spawn(broadcast::run(io.clone(), ctx.clone(), feed));
    tokio::spawn(alarm::run(io.clone(), ctx.clone()));
    tokio::spawn(count_watchers(io.clone(), ctx.clients_changed.clone()));
}

/// Everything happens in the `register` middlewares (socketioxide spawns async connect handlers
/// only after the connect packet is sent, which would race the client's first event).
async fn connected() {}

impl Ctx {
    /// Waits (a few seconds at most) until the snapshot reflects every write confirmed so far,
    /// so a client that authorizes right after a write sees it.
    pub async fn caught_up(&self) {
        self.engine.caught_up(Duration::from_secs(10)).await;
    }
}

/// Emits the watcher count (`clients`) after connects and disconnects, at most 4 times a second:
/// the sockets of every instance (through the adapter), sent to every instance's sockets. When the
/// adapter cannot answer (Redis down), this instance's count to its own sockets.
async fn count_watchers<A: Adapter>(io: SocketIo<A>, changed: Arc<Notify>) {
    loop {
        changed.notified().await;
        tokio::time::sleep(Duration::from_millis(250)).await;
        let Some(root) = io.of("/") else { continue };
        // Through the namespace's own handle: `io.emit` panics once shutdown removed "/".
        match root.clone().fetch_sockets().await {
            Ok(all) => {
                let _ = root.clone().emit("clients", &all.len()).await;
            }
            Err(e) => {
                tracing::debug!("realtime: watcher count across instances failed: {e}");
                let n = root.clone().sockets().len();
                let _ = root.local().emit("clients", &n).await;
            }
        }
    }
}
