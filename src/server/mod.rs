//! The network edge: listeners and the connection loop, TLS, forced https and security headers,
//! `BASE_PATH`, shutdown, `/health` and the healthcheck probe, request logging, and the embedded
//! dashboard. `serve_listeners` is what `main` and the tests start.

use std::future::Future;

use axum::extract::Request;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tower::Layer;

use crate::app::AppState;

/// Connection limits in total and per address; the 503 over them.
pub mod admission;
/// Sub-path hosting: `BASE_PATH` stripped before routing.
mod base_path;
/// The connection loop: plain and TLS listeners, HTTP/1.1 with upgrades, draining on shutdown.
pub mod connection;
/// The dashboard (`frontend/`), built by `build.rs` and embedded in the binary.
pub(crate) mod dashboard;
/// `GET /health`, the probe answered even over plain http.
pub(crate) mod health;
/// `ferroscout healthcheck`: the Docker HEALTHCHECK probe of the local server.
pub mod healthcheck;
/// Forced https (307) and security headers (HSTS, helmet's defaults) around the whole service.
pub(crate) mod https;
/// One log line per request, keyed by route template, never by secret.
pub(crate) mod request_log;
/// Ctrl-C/SIGTERM and the grace period.
pub mod shutdown;
/// Native TLS with rustls from `SSL_CERT`/`SSL_KEY`/`SSL_CA`, reloaded without restart.
pub mod tls;

pub use connection::Endpoint;

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
    let https = https::HttpsLayer::new(&state.config);
    let base_path = state.config.base_path.clone();
    let app = crate::app::router(state);
    // Extensions are stripped before routing, so `/entries.json` routes as `/entries`.
    let app = tower::util::MapRequestLayer::new(crate::api::format::strip_extension).layer(app);
    let app = tower::util::BoxCloneService::new(app);
    let app = tower::service_fn(move |req: Request| {
        let mut app = app.clone();
        let stripped = match &base_path {
            Some(prefix) => base_path::strip(prefix, req),
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
/// finish for up to [`shutdown::GRACE`] and returns. Fails at once if the TLS files cannot
/// be loaded.
pub async fn serve_listeners(
    listeners: Listeners,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let tls = match &state.config.tls {
        Some(files) => Some(tls::Tls::load(files).map_err(std::io::Error::other)?),
        None => None,
    };
    let stop = CancellationToken::new();
    let realtime = state.realtime.clone();
    // The vendor-cloud bridges poll until shutdown; one instance polls each vendor (a lease).
    let bridges =
        state.bridges.clone().run(state.store.clone(), state.writer.clone(), state.leadership(), stop.clone());
    let admission =
        std::sync::Arc::new(admission::Admission::new(&state.config.limits, state.config.trusted_proxy_hops));
    let app = service(state);
    let mut tasks = tokio::task::JoinSet::new();
    tasks.spawn(bridges);
    if let Some(tls) = &tls {
        tasks.spawn(tls.clone().watch(stop.clone().cancelled_owned()));
    }
    let main = Endpoint { listener: listeners.main, tls: tls.as_ref().map(tls::Tls::acceptor) };
    tasks.spawn(connection::run_admitted(main, admission.clone(), app.clone(), stop.clone()));
    if let Some(listener) = listeners.redirect {
        tasks.spawn(connection::run_admitted(Endpoint { listener, tls: None }, admission, app, stop.clone()));
    }
    tasks.spawn(async move {
        shutdown.await;
        // socket.io first, while its connections are still open, so every client (polling ones
        // too) gets a server disconnect and reconnects; then the listeners stop and drain.
        if tokio::time::timeout(shutdown::GRACE, realtime.close()).await.is_err() {
            tracing::warn!("socket.io sessions did not all close within the grace period");
        }
        stop.cancel();
    });
    while tasks.join_next().await.is_some() {}
    Ok(())
}
