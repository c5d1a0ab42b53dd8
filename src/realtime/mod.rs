//! socket.io with Nightscout's protocol (`lib/server/websocket.js`, spec section 5): namespaces
//! `/`, `/alarm` and `/storage` on the API's port, Engine.IO 3 and 4, polling and websocket.
//! One broadcaster pushes what every confirmed write changed, the moment the store confirms it.

use std::sync::Arc;
use std::time::Duration;

use socketioxide::handler::ConnectHandler;
use socketioxide::layer::SocketIoLayer;
use socketioxide::{SocketIo, TransportType};
use tokio::sync::{Notify, watch};

use crate::auth::Authority;
use crate::config::Config;
use crate::engine::Engine;
use crate::store::{ChangeFeed, Collection, Store};
use crate::write::Writer;
use std::sync::atomic::{AtomicU64, Ordering};

mod alarm;
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
    /// True once the first snapshot is loaded.
    pub loaded: watch::Receiver<bool>,
    /// Writes confirmed by the store so far, and writes the snapshot reflects.
    pub written: Arc<AtomicU64>,
    pub applied: watch::Receiver<u64>,
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
    /// Builds the namespaces and starts the broadcaster, which reads confirmed writes from
    /// `changes` (sent by `NotifyingStore`).
    pub fn start(
        config: Arc<Config>,
        store: Arc<dyn Store>,
        writer: Writer,
        auth: Arc<Authority>,
        feed: ChangeFeed,
    ) -> Realtime {
        let engine = Arc::new(Engine::new(store.clone()));
        let (loaded_tx, loaded) = watch::channel(false);
        let (applied_tx, applied) = watch::channel(0u64);
        let ctx = Ctx {
            config,
            store,
            writer,
            auth,
            engine,
            loaded,
            written: feed.written.clone(),
            applied,
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
        tokio::spawn(broadcast(io.clone(), ctx.clone(), feed, loaded_tx, applied_tx));
        tokio::spawn(alarm::watch_stale(io.clone(), ctx.clone()));
        tokio::spawn(count_watchers(io.clone(), ctx.clients_changed.clone()));
        Realtime { io, layer }
    }
}

/// Loads the first snapshot, then for each batch of confirmed writes refreshes the changed
/// collections and emits the delta `dataUpdate` and the `/storage` events.
async fn broadcast(
    io: SocketIo,
    ctx: Ctx,
    mut feed: ChangeFeed,
    loaded: watch::Sender<bool>,
    applied: watch::Sender<u64>,
) {
    let engine = &ctx.engine;
    let mut wait = Duration::from_millis(500);
    while let Err(e) = engine.load_all().await {
        tracing::warn!("realtime: cannot load recent data yet: {e}");
        tokio::time::sleep(wait).await;
        wait = (wait * 2).min(Duration::from_secs(30));
    }
    let _ = loaded.send(true);
    // Collections changed but not yet refreshed, and the newest write among them.
    let (mut colls, mut last) = (Vec::<Collection>::new(), 0u64);
    loop {
        if colls.is_empty() {
            let Some(first) = feed.rx.recv().await else { return };
            colls.push(first.coll);
            last = first.seq;
        }
        while let Ok(c) = feed.rx.try_recv() {
            last = c.seq;
            if !colls.contains(&c.coll) {
                colls.push(c.coll);
            }
        }
        let (next, update) = match engine.refresh(&colls).await {
            Ok(r) => r,
            Err(e) => {
                // Keep the collections pending and try again: the push comes late, not never.
                tracing::warn!("realtime: refresh after a write failed, retrying: {e}");
                let _ = applied.send(last);
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        {
            let _guard = ctx.publish.lock().await;
            engine.publish(next);
            if let Some(delta) = &update.delta
                && let Err(e) = io.to(DATA_RECEIVERS).emit("dataUpdate", delta).await
            {
                tracing::debug!("realtime: dataUpdate broadcast: {e}");
            }
        }
        let _ = applied.send(last);
        storage::emit(&io, &update.storage).await;
        // A new reading sounds standing alarms again; treatments (announcements, site changes)
        // and devicestatus (loop, pump, uploader) can raise or end the plugins' alarms.
        let plugin_data = [Collection::Treatments, Collection::DeviceStatus, Collection::Profile];
        if colls.contains(&Collection::Entries) {
            alarm::evaluate(&io, &ctx, true).await;
        } else if colls.iter().any(|c| plugin_data.contains(c)) {
            alarm::evaluate(&io, &ctx, false).await;
        }
        colls.clear();
    }
}

/// Everything happens in the `register` middlewares (socketioxide spawns async connect handlers
/// only after the connect packet is sent, which would race the client's first event).
async fn connected() {}

impl Ctx {
    /// Waits (a few seconds at most) until the snapshot reflects every write confirmed so far,
    /// so a client that authorizes right after a write sees it.
    pub async fn caught_up(&self) {
        let target = self.written.load(Ordering::SeqCst);
        let mut loaded = self.loaded.clone();
        let mut applied = self.applied.clone();
        let _ = tokio::time::timeout(Duration::from_secs(10), async {
            let _ = loaded.wait_for(|v| *v).await;
            let _ = applied.wait_for(|a| *a >= target).await;
        })
        .await;
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
