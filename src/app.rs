//! Application state and router assembly; the network edge around it is `crate::server`.

use std::sync::Arc;

use axum::Router;

use crate::auth::Authority;
use crate::config::Config;
use crate::engine::Engine;
use crate::realtime::Realtime;
use crate::store::{Location, NotifyingStore, Store, StoreResult};
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
    /// The vendor-cloud bridges and their health; they run while `server::serve_listeners` does.
    pub(crate) bridges: crate::bridges::Bridges,
    /// The one owner of recent data: realtime pushes and recent REST reads come from it.
    pub engine: Arc<Engine>,
}

impl AppState {
    /// Wraps `store` so every confirmed write reaches the realtime broadcaster, and starts it.
    /// Needs a Tokio runtime.
    pub fn new(config: Config, store: Arc<dyn Store>) -> AppState {
        let auth = Arc::new(Authority::new(&config));
        let config = Arc::new(config);
        let (store, feed) = NotifyingStore::new(store);
        let store: Arc<dyn Store> = Arc::new(store);
        let engine = Arc::new(Engine::new(store.clone(), feed.written.clone()));
        let writer = Writer::new(store.clone(), &config);
        let realtime =
            Realtime::start(config.clone(), store.clone(), writer.clone(), auth.clone(), engine.clone(), feed);
        let bridges = crate::bridges::Bridges::new(&config);
        AppState { config, store, auth, writer, realtime, bridges, engine }
    }
}

/// The whole HTTP application.
pub fn router(state: AppState) -> Router {
    let socket_io = state.realtime.layer.clone();
    Router::new()
        .route(crate::server::https::HEALTH_PATH, axum::routing::get(crate::server::health::health))
        .merge(crate::api::router())
        .merge(crate::server::dashboard::router())
        .layer(crate::server::request_log::layer())
        .layer(tower_http::compression::CompressionLayer::new())
        .layer(socket_io)
        .with_state(state)
}

/// Opens the store the configuration names: MongoDB when a URI is set, else embedded SQLite.
pub async fn open_store(config: &Config) -> StoreResult<Arc<dyn Store>> {
    let sqlite = config.sqlite_path();
    let location = match &config.mongo_uri {
        Some(uri) => Location::Mongo { uri: uri.expose(), collections: &config.collections },
        None => Location::Sqlite(&sqlite),
    };
    crate::store::open(location).await
}
