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
use crate::store::Store;

/// Everything a handler needs, passed explicitly.
#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub store: Arc<dyn Store>,
    pub auth: Arc<Authority>,
}

impl AppState {
    pub fn new(config: Config, store: Arc<dyn Store>) -> AppState {
        let auth = Arc::new(Authority::new(&config));
        AppState { config: Arc::new(config), store, auth }
    }
}

/// The whole HTTP application.
pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(crate::api::router())
        .merge(crate::dashboard::router())
        .layer(axum::middleware::from_fn(crate::request_log::log_request))
        .layer(tower_http::compression::CompressionLayer::new())
        .with_state(state)
}

/// Serves until `shutdown` resolves, then lets in-flight requests finish (up to 10 s).
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = router(state);
    // Extensions are stripped before routing, so `/entries.json` routes as `/entries`.
    let app = tower::util::MapRequestLayer::new(crate::api::format::strip_extension).layer(app);
    let make = axum::ServiceExt::<Request>::into_make_service_with_connect_info::<SocketAddr>(app);
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let server = axum::serve(listener, make).with_graceful_shutdown(async move {
        shutdown.await;
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
