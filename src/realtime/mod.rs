//! socket.io with Nightscout's protocol (`lib/server/websocket.js`, spec section 5): namespaces
//! `/`, `/alarm` and `/storage` on the API's port, Engine.IO 3 and 4, polling and websocket.
//! One broadcaster pushes what every confirmed write changed, the moment the store confirms it.

use std::sync::Arc;
use std::time::Duration;

use socketioxide::handler::ConnectHandler;
use socketioxide::layer::SocketIoLayer;
use socketioxide::{SocketIo, TransportType};
use tokio::sync::Notify;

use crate::auth::Authority;
use crate::config::Config;
use crate::engine::Engine;
use crate::store::{ChangeFeed, Store};
use crate::write::Writer;

mod alarm;
mod broadcast;
mod db_events;
mod root;
mod storage;

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
}

/// The socket.io handle kept in `AppState`: closing it disconnects every client.
#[derive(Clone)]
pub struct Realtime {
    pub io: SocketIo,
    pub layer: SocketIoLayer,
}

impl Realtime {
    /// Builds the namespaces and starts the broadcaster, which applies the confirmed writes of
    /// `feed` (sent by `NotifyingStore`) to `engine`.
    pub fn start(
        config: Arc<Config>,
        store: Arc<dyn Store>,
        writer: Writer,
        auth: Arc<Authority>,
        engine: Arc<Engine>,
        feed: ChangeFeed,
    ) -> Realtime {
        let ctx = Ctx {
            config,
            store,
            writer,
            auth,
            engine: engine.clone(),
            clients_changed: Arc::new(Notify::new()),
            alarms: Arc::default(),
            publish: Arc::default(),
        };
        let (layer, io) = SocketIo::builder()
            .with_state(ctx.clone())
            .transports([TransportType::Polling, TransportType::Websocket])
            .ping_interval(Duration::from_secs(25))
            .ping_timeout(Duration::from_secs(20))
            .max_payload(MAX_PAYLOAD as u64)
            // The same bound over websocket (engine.io's default there is 64 MiB): a bigger
            // message closes that socket.
            .ws_max_message_size(MAX_PAYLOAD)
            .ws_max_frame_size(MAX_PAYLOAD)
            .build_layer();
        io.ns("/", connected.with(root::register));
        io.ns("/alarm", connected.with(alarm::register));
        io.ns("/storage", connected.with(storage::register));
        tokio::spawn(broadcast::run(io.clone(), ctx.clone(), feed));
        tokio::spawn(alarm::watch_stale(io.clone(), ctx.clone()));
        tokio::spawn(count_watchers(io.clone(), ctx.clients_changed.clone()));
        Realtime { io, layer }
    }
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

/// Emits the watcher count (`clients`) after connects and disconnects, at most 4 times a second.
async fn count_watchers(io: SocketIo, changed: Arc<Notify>) {
    loop {
        changed.notified().await;
        tokio::time::sleep(Duration::from_millis(250)).await;
        let n = io.of("/").map(|ns| ns.sockets().len()).unwrap_or(0);
        let _ = io.emit("clients", &n).await;
    }
}
