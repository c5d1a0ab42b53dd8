//! `ferroscout`: serve the Nightscout-compatible API (and, later, the dashboard).

use std::net::SocketAddr;

use ferroscout::app::{AppState, serve};
use ferroscout::config::Config;
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")))
        .init();
    let config = match Config::from_env() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("ferroscout: configuration error: {e}");
            std::process::exit(2);
        }
    };
    if config.api_secret.is_none() {
        tracing::warn!("API_SECRET is not set: serving reads only; every write will be refused with 401");
    }
    let store = match ferroscout::store::open(&config).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("ferroscout: cannot open the store: {e}");
            std::process::exit(1);
        }
    };
    match &config.mongo_uri {
        Some(_) => tracing::info!("storage: mongodb"),
        None => tracing::info!(path = %config.sqlite_path().display(), "storage: embedded sqlite"),
    }
    let host = config.hostname.clone().unwrap_or_else(|| "0.0.0.0".into());
    let addr = format!("{host}:{}", config.port);
    let listener = match tokio::net::TcpListener::bind(&addr).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("ferroscout: cannot listen on {addr}: {e}");
            std::process::exit(1);
        }
    };
    let local: SocketAddr = listener.local_addr().unwrap_or_else(|_| ([0, 0, 0, 0], config.port).into());
    tracing::info!("listening on http://{local}");
    let state = AppState::new(config, store);
    if let Err(e) = serve(listener, state, shutdown_signal()).await {
        eprintln!("ferroscout: server error: {e}");
        std::process::exit(1);
    }
    tracing::info!("stopped");
}

/// Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down");
}
