//! socket.io with Nightscout's protocol (`lib/server/websocket.js`, spec section 5): namespaces
//! `/`, `/alarm` and `/storage` on the API's port, Engine.IO 3 and 4, polling and websocket.
//! One broadcaster pushes what every confirmed write changed, the moment the store confirms it.

use std::sync::Arc;
use std::time::Duration;

use socketioxide::adapter::Adapter;
use socketioxide::handler::ConnectHandler;
use socketioxide::{SocketIo, SocketIoBuilder, TransportType};
use socketioxide_core::adapter::DefinedAdapter;
use tokio::sync::{Notify, watch};

use crate::auth::Authority;
use crate::config::Config;
use crate::engine::Engine;
use crate::store::{ChangeFeed, Collection, Store};
use crate::write::Writer;
use std::sync::atomic::{AtomicU64, Ordering};

mod adapter;
mod alarm;
mod db_events;
mod redis_driver;
mod root;
mod storage;

pub use adapter::Realtime;

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
    /// What the instances share (alarm snoozes).
    pub shared: crate::shared::Shared,
}

impl Ctx {
    pub fn new(
        config: Arc<Config>,
        store: Arc<dyn Store>,
        writer: Writer,
        auth: Arc<Authority>,
        written: Arc<AtomicU64>,
        shared: crate::shared::Shared,
    ) -> (Ctx, Signals) {
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
            written,
            applied,
            clients_changed: Arc::new(Notify::new()),
            alarms: Arc::default(),
            publish: Arc::default(),
            shared,
        };
        (ctx, Signals { loaded: loaded_tx, applied: applied_tx })
    }
}

/// The broadcaster's ends of `Ctx::loaded` and `Ctx::applied`.
pub struct Signals {
    loaded: watch::Sender<bool>,
    applied: watch::Sender<u64>,
}

/// The socket.io settings every adapter shares.
fn builder(ctx: &Ctx) -> SocketIoBuilder {
    SocketIo::builder()
        .with_state(ctx.clone())
        .transports([TransportType::Polling, TransportType::Websocket])
        .ping_interval(Duration::from_secs(25))
        .ping_timeout(Duration::from_secs(20))
        .max_payload(10_000_000)
}

/// Nightscout's namespaces; each adapter's initialisation result, to await or drop.
fn namespaces<A: Adapter + DefinedAdapter>(io: &SocketIo<A>) -> [A::InitRes; 3] {
    [
        io.ns("/", connected.with(root::register::<A>)),
        io.ns("/alarm", connected.with(alarm::register::<A>)),
        io.ns("/storage", connected.with(storage::register::<A>)),
    ]
}

/// Starts the broadcaster, the stale-data alarm check and the watcher count.
fn spawn_tasks<A: Adapter>(io: &SocketIo<A>, ctx: &Ctx, feed: ChangeFeed, signals: Signals) {
    tokio::spawn(broadcast(io.clone(), ctx.clone(), feed, signals.loaded, signals.applied));
    tokio::spawn(alarm::watch_stale(io.clone(), ctx.clone()));
    tokio::spawn(count_watchers(io.clone(), ctx.clients_changed.clone()));
}

/// Loads the first snapshot, then for each batch of confirmed writes refreshes the changed
/// collections and emits the delta `dataUpdate` and the `/storage` events. Every instance runs
/// its own, fed by the change feed, and emits to its own sockets only (`local()`): a write made
/// anywhere reaches each dashboard once, from the instance whose snapshot that dashboard got.
async fn broadcast<A: Adapter>(
    io: SocketIo<A>,
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
                && let Err(e) = io.local().to(DATA_RECEIVERS).emit("dataUpdate", delta).await
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

/// Emits the watcher count (`clients`) after connects and disconnects, at most 4 times a second:
/// the sockets of every instance (through the adapter), sent to every instance's sockets. When the
/// adapter cannot answer (Redis down), this instance's count to its own sockets.
async fn count_watchers<A: Adapter>(io: SocketIo<A>, changed: Arc<Notify>) {
    loop {
        changed.notified().await;
        tokio::time::sleep(Duration::from_millis(250)).await;
        let Some(root) = io.of("/") else { continue };
        match root.clone().fetch_sockets().await {
            Ok(all) => {
                let _ = io.emit("clients", &all.len()).await;
            }
            Err(e) => {
                tracing::debug!("realtime: watcher count across instances failed: {e}");
                let _ = io.local().emit("clients", &root.sockets().len()).await;
            }
        }
    }
}
