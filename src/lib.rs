#![recursion_limit = "256"]
//! Ferroscout: a self-hosted realtime glucose server, wire-compatible with Nightscout 15.

/// REST API areas, each with its own router.
pub mod api;
/// AppState, router assembly, layers and `serve` with graceful shutdown.
pub mod app;
/// Credentials, roles and Shiro-style permissions.
pub mod auth;
/// Sub-path hosting: `BASE_PATH` stripped before routing.
pub mod base_path;
/// Configuration read once from Nightscout's environment variable names.
pub mod config;
/// The dashboard (`frontend/`), built by `build.rs` and embedded in the binary.
pub mod dashboard;
/// Pure domain logic (no I/O): documents, normalisation, the query filter tree, time.
pub mod domain;
/// In-memory recent data and what each write changed in it.
pub mod engine;
/// The error type that answers in Nightscout's `{status, message, description}` shape.
pub mod error;
/// `GET /health`, the probe answered even over plain http.
pub mod health;
/// `ferroscout healthcheck`: the Docker HEALTHCHECK probe of the local server.
pub mod healthcheck;
/// Forced https (307) and security headers (HSTS, helmet's defaults) around the whole service.
pub mod https;
/// The plugins' `<PLUGIN>_<KEY>` settings with Nightscout's defaults.
pub mod plugin_config;
/// socket.io: Nightscout's namespaces and the broadcaster every confirmed write reaches.
pub mod realtime;
/// One log line per request, keyed by route template, never by secret.
pub mod request_log;
/// The connection loop: plain and TLS listeners, HTTP/1.1 with upgrades, draining on shutdown.
pub mod server;
/// Ctrl-C/SIGTERM, the "shutting down" flag and the grace period.
pub mod shutdown;
/// The storage trait and its SQLite and MongoDB backends.
pub mod store;
/// Native TLS with rustls from `SSL_CERT`/`SSL_KEY`/`SSL_CA`, reloaded without restart.
pub mod tls;
