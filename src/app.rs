//! Application state, router assembly, the layers around the whole service, and `serve`.

use std::future::Future;
use std::sync::Arc;

use axum::Router;
use axum::extract::Request;
use tokio::net::TcpListener;
use tower::Layer;

use crate::auth::Authority;
use crate::config::Config;
use crate::realtime::Realtime;
use crate::server::Endpoint;
use crate::shutdown::Shutdown;
use crate::store::{NotifyingStore, Store};

/// Everything a handler needs, passed explicitly.
#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub store: Arc<dyn Store>,
    pub auth: Arc<Authority>,
    pub realtime: Realtime,
}

impl AppState {
    /// Wraps `store` so every confirmed write reaches the realtime broadcaster, and starts it.
    /// Needs a Tokio runtime.
    pub fn new(config: Config, store: Arc<dyn Store>) -> AppState {
        let auth = Arc::new(Authority::new(&config, store.clone()));
        // Subjects and roles are read once now; token lookups re-read them as needed.
        let preload = auth.clone();
        tokio::spawn(async move { preload.registry().reload().await });
        let config = Arc::new(config);
        let (store, feed) = NotifyingStore::new(store);
        let store: Arc<dyn Store> = Arc::new(store);
        let realtime = Realtime::start(config.clone(), store.clone(), auth.clone(), feed);
        AppState { config, store, auth, realtime }
    }
}

/// The whole HTTP application.
pub fn router(state: AppState) -> Router {
    let socket_io = state.realtime.layer.clone();
    Router::new()
        .route(crate::https::HEALTH_PATH, axum::routing::get(crate::health::health))
        .merge(crate::api::router())
        .merge(crate::dashboard::router())
        .layer(axum::middleware::from_fn(crate::request_log::log_request))
        .layer(tower_http::compression::CompressionLayer::new())
        .layer(socket_io)
        .with_state(state)
}

/// The whole service as it faces the network: forced https and security headers outermost, then
/// the `BASE_PATH` strip, then the `.json`-style extension strip, then the router. These wrap
/// everything the router serves (API, dashboard, socket.io), so they are applied here, not per route.
pub fn service(
    state: AppState,
) -> impl tower::Service<
    Request,
    Response = axum::response::Response,
    Error = std::convert::Infallible,
    Future = impl Send + 'static,
> + Clone
+ Send
+ 'static {
    let https = crate::https::HttpsLayer::new(&state.config);
    let base_path = state.config.base_path.clone();
    let app = router(state);
    // Extensions are stripped before routing, so `/entries.json` routes as `/entries`.
    let app = tower::util::MapRequestLayer::new(crate::api::format::strip_extension).layer(app);
    let app = tower::util::BoxCloneService::new(app);
    let app = tower::service_fn(move |req: Request| {
        let mut app = app.clone();
        let stripped = match &base_path {
            Some(prefix) => crate::base_path::strip(prefix, req),
            None => Ok(req),
        };
        async move {
            match stripped {
                Ok(req) => tower::Service::call(&mut app, req).await,
                Err(res) => Ok(res),
            }
        }
    });
    https.layer(app)
}

/// The sockets to serve on: `main` (TLS when `SSL_CERT`/`SSL_KEY` are set) and, with TLS, an
/// optional plain listener whose requests are all redirected to https (`FERROSCOUT_HTTP_PORT`).
pub struct Listeners {
    pub main: TcpListener,
    pub redirect: Option<TcpListener>,
}

/// Serves plain http on `listener` (or TLS, if the configuration names certificate files) until
/// `shutdown` resolves, then drains; see [`serve_listeners`].
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_listeners(Listeners { main: listener, redirect: None }, state, shutdown).await
}

/// Serves until `shutdown` resolves; then closes every socket.io session (so clients reconnect,
/// to another instance or to us after a restart), stops accepting, lets in-flight requests
/// finish for up to [`crate::shutdown::GRACE`] and returns. Fails at once if the TLS files cannot
/// be loaded.
pub async fn serve_listeners(
    listeners: Listeners,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let tls = match &state.config.tls {
        Some(files) => Some(crate::tls::Tls::load(files).map_err(std::io::Error::other)?),
        None => None,
    };
    let stop = Shutdown::new();
    let io = state.realtime.io.clone();
    let app = service(state);
    let mut tasks = tokio::task::JoinSet::new();
    if let Some(tls) = &tls {
        tasks.spawn(tls.clone().watch(stop.wait()));
    }
    let main = Endpoint { listener: listeners.main, tls: tls.as_ref().map(crate::tls::Tls::acceptor) };
    tasks.spawn(crate::server::run(main, app.clone(), stop.clone()));
    if let Some(listener) = listeners.redirect {
        tasks.spawn(crate::server::run(Endpoint { listener, tls: None }, app, stop.clone()));
    }
    tasks.spawn(async move {
        shutdown.await;
        // socket.io first, while its connections are still open, so every client (polling ones
        // too) gets a server disconnect and reconnects; then the listeners stop and drain.
        if tokio::time::timeout(crate::shutdown::GRACE, io.close()).await.is_err() {
            tracing::warn!("socket.io sessions did not all close within the grace period");
        }
        stop.trigger();
    });
    while tasks.join_next().await.is_some() {}
    Ok(())
}
