//! Application state, router assembly and `serve` with graceful shutdown.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::Request;
use tokio::net::TcpListener;
use tower::Layer;

use crate::auth::Authority;
use crate::config::Config;
use crate::realtime::Realtime;
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
        let auth = Arc::new(Authority::new(&config));
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
        .merge(crate::api::router())
        .merge(crate::dashboard::router())
        .layer(axum::middleware::from_fn(crate::request_log::log_request))
        .layer(tower_http::compression::CompressionLayer::new())
        .layer(socket_io)
        .with_state(state)
}

/// Serves until `shutdown` resolves, then lets in-flight requests finish (up to 10 s).
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let io = state.realtime.io.clone();
    let app = router(state);
    // Extensions are stripped before routing, so `/entries.json` routes as `/entries`.
    let app = tower::util::MapRequestLayer::new(crate::api::format::strip_extension).layer(app);
    let make = axum::ServiceExt::<Request>::into_make_service_with_connect_info::<SocketAddr>(app);
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let server = axum::serve(listener, make).with_graceful_shutdown(async move {
        shutdown.await;
        // Close every socket so clients reconnect (to another instance, or to us after restart).
        io.close().await;
        let _ = tx.send(());
    });
    tokio::select! {
        r = server => r,
        _ = async { let _ = rx.await; tokio::time::sleep(Duration::from_secs(10)).await } => {
            tracing::warn!("shutdown grace period over; closing remaining connections");
            Ok(())
        }
    }
}
