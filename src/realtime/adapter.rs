//! The socket.io server with the adapter the configuration names (`SOCKETIO_ADAPTER`): none for
//! one instance, socketioxide's Redis adapter or its MongoDB adapter for several. The adapter
//! carries what socket.io needs across instances (broadcasts such as `clear_alarm` and `clients`,
//! the socket count); recent data reaches each instance's engine through its change feed (its own
//! writes) and the store's change stream (the others'), and each instance pushes it to its own
//! sockets.

use std::sync::Arc;

use axum::Router;
use socketioxide::SocketIo;
use socketioxide::adapter::{Emitter, LocalAdapter};
use socketioxide::layer::SocketIoLayer;
use socketioxide_mongodb::{MongoDbAdapter, MongoDbAdapterConfig, MongoDbAdapterCtr};
use socketioxide_redis::{CustomRedisAdapter, RedisAdapterConfig, RedisAdapterCtr};

use super::redis_driver::ManagedDriver;
use super::{Ctx, builder, namespaces, spawn_tasks};
use crate::app::AppState;
use crate::auth::Authority;
use crate::config::Config;
use crate::config::scale::Adapter as Choice;
use crate::engine::Engine;
use crate::shared::Shared;
use crate::store::{ChangeFeed, Store};
use crate::write::Writer;

type RedisA = CustomRedisAdapter<Emitter, ManagedDriver>;
type MongoA = MongoDbAdapter<Emitter>;

/// The socket.io server of each kind of adapter.
#[derive(Clone)]
enum Io {
    Local(SocketIo<LocalAdapter>, SocketIoLayer<LocalAdapter>),
    Redis(SocketIo<RedisA>, SocketIoLayer<RedisA>),
    Mongo(SocketIo<MongoA>, SocketIoLayer<MongoA>),
}

/// The socket.io handle kept in `AppState`: its layer serves the clients, closing it disconnects
/// every client of this instance.
#[derive(Clone)]
pub struct Realtime {
    io: Io,
}

/// The namespaces' channels on Redis and the adapter's collection on MongoDB.
const CHANNEL_PREFIX: &str = "ferroscout-socket.io";
const MONGO_COLLECTION: &str = "ferroscout_socketio_adapter";

impl Realtime {
    /// One instance, no adapter: builds the namespaces and starts the broadcaster, which applies
    /// the confirmed writes of `feed` (sent by `NotifyingStore`) to `engine`.
    pub fn start(
        config: Arc<Config>,
        store: Arc<dyn Store>,
        writer: Writer,
        auth: Arc<Authority>,
        engine: Arc<Engine>,
        feed: ChangeFeed,
    ) -> Realtime {
        let ctx = Ctx::new(config, store, writer, auth, engine, Shared::default());
        let (layer, io) = builder(&ctx).build_layer();
        let _: [(); 3] = namespaces(&io);
        spawn_tasks(&io, &ctx, feed);
        Realtime { io: Io::Local(io, layer) }
    }

    /// With the adapter the configuration names; fails when Redis or MongoDB cannot be reached
    /// for the adapter's first subscription.
    pub async fn connect(
        config: Arc<Config>,
        store: Arc<dyn Store>,
        writer: Writer,
        auth: Arc<Authority>,
        engine: Arc<Engine>,
        feed: ChangeFeed,
        shared: Shared,
    ) -> Result<Realtime, String> {
        let choice = config.scale.adapter;
        let ctx = Ctx::new(config.clone(), store, writer, auth, engine, shared);
        let io = match choice {
            Choice::Local => {
                let (layer, io) = builder(&ctx).build_layer();
                let _: [(); 3] = namespaces(&io);
                spawn_tasks(&io, &ctx, feed);
                Io::Local(io, layer)
            }
            Choice::Redis => {
                let url = config.scale.redis_url.as_ref().ok_or("REDIS_URL is not set")?;
                let driver = ManagedDriver::connect(url.expose()).await?;
                let ctr =
                    RedisAdapterCtr::new_with_driver(driver, RedisAdapterConfig::new().with_prefix(CHANNEL_PREFIX));
                let (layer, io) = builder(&ctx).with_adapter::<RedisA>(ctr).build_layer();
                for init in namespaces(&io) {
                    init.await.map_err(|e| format!("socket.io Redis adapter: {e}"))?;
                }
                spawn_tasks(&io, &ctx, feed);
                Io::Redis(io, layer)
            }
            Choice::MongoDb => {
                let uri = config.mongo_uri.as_ref().ok_or("MONGODB_URI is not set")?;
                let db = crate::store::shared_database(uri.expose()).await.map_err(|e| e.to_string())?;
                let ctr = MongoDbAdapterCtr::new_with_mongodb_config(
                    db,
                    MongoDbAdapterConfig::new().with_collection(MONGO_COLLECTION),
                )
                .await
                .map_err(|e| format!("socket.io MongoDB adapter: {e}"))?;
                let (layer, io) = builder(&ctx).with_adapter::<MongoA>(ctr).build_layer();
                for init in namespaces(&io) {
                    init.await.map_err(|e| format!("socket.io MongoDB adapter: {e}"))?;
                }
                spawn_tasks(&io, &ctx, feed);
                Io::Mongo(io, layer)
            }
        };
        Ok(Realtime { io })
    }

    /// Puts the socket.io layer around `router`.
    pub(crate) fn layer(&self, router: Router<AppState>) -> Router<AppState> {
        match &self.io {
            Io::Local(_, l) => router.layer(l.clone()),
            Io::Redis(_, l) => router.layer(l.clone()),
            Io::Mongo(_, l) => router.layer(l.clone()),
        }
    }

    /// Disconnects every client of this instance (they reconnect, here or elsewhere).
    pub async fn close(&self) {
        match &self.io {
            Io::Local(io, _) => io.close().await,
            Io::Redis(io, _) => io.close().await,
            Io::Mongo(io, _) => io.close().await,
        }
    }
}
