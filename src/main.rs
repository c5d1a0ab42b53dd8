//! `ferroscout`: serve the Nightscout-compatible API (and, later, the dashboard).

use ferroscout::app::AppState;
use ferroscout::config::Config;
use ferroscout::server::{Listeners, serve_listeners};
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() {
    if std::env::args().nth(1).as_deref() == Some("healthcheck") {
        healthcheck().await;
    }
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
    // Each connection holds a file descriptor: the common soft limit of 1,024 is far below what
    // a server of dashboards and uploaders needs, and the hard limit is usually much higher.
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(n) => tracing::info!(open_files = n, "open-file limit"),
        Err(e) => tracing::warn!("cannot raise the open-file limit: {e}"),
    }
    if config.api_secret.is_none() {
        tracing::warn!("API_SECRET is not set: serving reads only; every write will be refused with 401");
    }
    let store = match ferroscout::app::open_store(&config).await {
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
    let main = bind(&host, config.port).await;
    let redirect = match (config.tls.is_some(), config.http_redirect_port) {
        (true, Some(port)) => Some(bind(&host, port).await),
        (false, Some(_)) => {
            tracing::warn!(
                "FERROSCOUT_HTTP_PORT is ignored: it is the redirect-only listener used with SSL_CERT/SSL_KEY"
            );
            None
        }
        _ => None,
    };
    let scheme = if config.tls.is_some() { "https" } else { "http" };
    if let Ok(local) = main.local_addr() {
        // Kept exactly `listening on <scheme>://<addr>`: tests and the bench read the port from it.
        tracing::info!("listening on {scheme}://{local}");
    }
    if let Some(base) = &config.base_path {
        tracing::info!("serving under {base}/ (BASE_PATH)");
    }
    if let Some(Ok(local)) = redirect.as_ref().map(|l| l.local_addr()) {
        tracing::info!("redirecting plain http on {local} to https");
    }
    match (config.insecure_use_http, config.tls.is_some() || config.on_azure_app_service) {
        (true, _) => tracing::warn!("INSECURE_USE_HTTP is on: plain-http requests are served, no HSTS"),
        (false, false) => tracing::info!(
            "https is forced for requests a proxy marks as plain http (X-Forwarded-Proto, x-arr-ssl); \
             direct requests are served as they come, since no SSL_CERT/SSL_KEY is set"
        ),
        (false, true) => {}
    }
    let state = match AppState::connect(config, store).await {
        Ok(state) => state,
        Err(e) => {
            eprintln!("ferroscout: {e}");
            std::process::exit(1);
        }
    };
    if let Err(e) = serve_listeners(Listeners { main, redirect }, state, ferroscout::server::shutdown::signal()).await {
        eprintln!("ferroscout: server error: {e}");
        std::process::exit(1);
    }
    tracing::info!("stopped");
}

async fn bind(host: &str, port: u16) -> tokio::net::TcpListener {
    // An IPv6 literal such as `::` needs brackets before the port.
    let addr = if host.contains(':') && !host.starts_with('[') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    };
    match tokio::net::TcpListener::bind(&addr).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("ferroscout: cannot listen on {addr}: {e}");
            std::process::exit(1);
        }
    }
}

/// `ferroscout healthcheck` (Docker HEALTHCHECK): exit 0 if the local server answers /health.
async fn healthcheck() -> ! {
    let config = match Config::from_env() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("ferroscout healthcheck: configuration error: {e}");
            std::process::exit(2);
        }
    };
    match ferroscout::server::healthcheck::probe(&config).await {
        Ok(()) => std::process::exit(0),
        Err(e) => {
            eprintln!("ferroscout healthcheck: unhealthy: {e}");
            std::process::exit(1);
        }
    }
}
