//! Application state and router assembly; the network edge around it is `crate::server`.

use std::sync::Arc;

use axum::Router;

use crate::auth::Authority;
use crate::config::Config;
use crate::engine::Engine;
use crate::realtime::Realtime;
use crate::shared::Shared;
use crate::store::{ChangeFeed, Location, NotifyingStore, Store, StoreHealth, StoreResult};
use crate::write::Writer;

/// Everything a handler needs, passed explicitly.
#[derive(Clone)]
pub struct AppState {
    pub(crate) config: Arc<Config>,
    pub(crate) store: Arc<dyn Store>,
    pub(crate) auth: Arc<Authority>,
    /// Every write goes through the collection's rules here.
    pub(crate) writer: Writer,
    pub(crate) realtime: Realtime,
    /// What the instances share: leases (`Leadership`), delays, snoozes.
    pub(crate) shared: Shared,
    /// The vendor-cloud bridges and their health; they run while `server::serve_listeners` does.
    pub(crate) bridges: crate::bridges::Bridges,
    /// The one owner of recent data: realtime pushes and recent REST reads come from it.
    pub engine: Arc<Engine>,
    /// Whether the store can store (`/ready`).
    pub(crate) health: Arc<StoreHealth>,
    /// Slots for answers streamed whole (`count=0`), `FERROSCOUT_MAX_LARGE_READS`.
    pub(crate) large_reads: crate::api::stream::LargeReads,
}

impl AppState {
    /// Wraps `store` so every confirmed write reaches the realtime broadcaster, and starts it.
    /// Needs a Tokio runtime.
    pub fn new(config: Config, store: Arc<dyn Store>) -> AppState {
        let auth = Authority::new(&config, store.clone());
        let c = Core::build(config, store, auth);
        let realtime = Realtime::start(
            c.config.clone(),
            c.store.clone(),
            c.writer.clone(),
            c.auth.clone(),
            c.engine.clone(),
            c.feed,
        );
        let bridges = crate::bridges::Bridges::new(&c.config);
        let Core { config, store, auth, writer, engine, health, large_reads, .. } = c;
        AppState {
            config,
            store,
            auth,
            writer,
            realtime,
            shared: Shared::default(),
            bridges,
            engine,
            health,
            large_reads,
        }
    }

    /// As [`AppState::new`], with what several instances share when the configuration names it
    /// (`SOCKETIO_ADAPTER`, `REDIS_URL`): the socket.io adapter, and Redis for auth-failure
    /// delays, alarm snoozes and leases. Fails when they cannot be reached at startup.
    pub async fn connect(config: Config, store: Arc<dyn Store>) -> Result<AppState, String> {
        let shared = Shared::connect(&config.scale, store.clone()).await?;
        let mut auth = Authority::new(&config, store.clone());
        auth.share_delays(shared.clone());
        let c = Core::build(config, store, auth);
        let realtime = Realtime::connect(
            c.config.clone(),
            c.store.clone(),
            c.writer.clone(),
            c.auth.clone(),
            c.engine.clone(),
            c.feed,
            shared.clone(),
        )
        .await?;
        let bridges = crate::bridges::Bridges::new(&c.config);
        let Core { config, store, auth, writer, engine, health, large_reads, .. } = c;
        Ok(AppState { config, store, auth, writer, realtime, shared, bridges, engine, health, large_reads })
    }
}

impl AppState {
    /// Who does once-only jobs (bridges: one instance polls each vendor).
    pub fn leadership(&self) -> crate::shared::Leadership {
        crate::shared::Leadership::new(self.shared.clone())
    }
}

/// The whole HTTP application.
pub fn router(state: AppState) -> Router {
    let realtime = state.realtime.clone();
    let body_timeout = crate::api::body::BodyTimeout(state.config.limits.body_timeout);
    let app = Router::new()
        .route(crate::server::https::HEALTH_PATH, axum::routing::get(crate::server::health::health))
        .route(crate::server::https::READY_PATH, axum::routing::get(crate::server::health::ready))
        .merge(crate::api::router())
        .merge(crate::server::dashboard::router())
        .layer(axum::Extension(body_timeout))
        .layer(crate::server::request_log::layer())
        .layer(tower_http::compression::CompressionLayer::new());
    realtime.layer(app).with_state(state)
}

/// Opens the store the configuration names: MongoDB when a URI is set, else embedded SQLite.
pub async fn open_store(config: &Config) -> StoreResult<Arc<dyn Store>> {
    let sqlite = config.sqlite_path();
    let location = match &config.mongo_uri {
        Some(uri) => Location::Mongo {
            uri: uri.expose(),
            collections: &config.collections,
            auth_prefix: &config.auth_collections_prefix,
        },
        None => Location::Sqlite { path: &sqlite, max_bytes: config.sqlite_max_bytes },
    };
    crate::store::open(location).await
}

/// What `new` and `connect` build alike: the notifying store, the engine fed by it, the writer,
/// and the authority with its subjects and roles loading.
struct Core {
    config: Arc<Config>,
    store: Arc<dyn Store>,
    auth: Arc<Authority>,
    engine: Arc<Engine>,
    writer: Writer,
    feed: ChangeFeed,
    health: Arc<StoreHealth>,
    large_reads: crate::api::stream::LargeReads,
}

impl Core {
    fn build(config: Config, store: Arc<dyn Store>, auth: Authority) -> Core {
        let auth = Arc::new(auth);
        // Subjects and roles are read once now; token lookups re-read them as needed.
        let preload = auth.clone();
        tokio::spawn(async move { preload.registry().reload().await });
        let config = Arc::new(config);
        let (store, feed) = NotifyingStore::new(store);
        let health = store.health();
        let store: Arc<dyn Store> = Arc::new(store);
        let engine = Arc::new(Engine::new(store.clone(), feed.written.clone()));
        let writer = Writer::new(store.clone(), &config);
        let large_reads = crate::api::stream::LargeReads::new(config.limits.max_large_reads);
        Core { config, store, auth, engine, writer, feed, health, large_reads }
    }
}
