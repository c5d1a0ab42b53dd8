#![recursion_limit = "256"]
//! Ferroscout: a self-hosted realtime glucose server, wire-compatible with Nightscout 15.

/// REST API areas, each with its own router.
pub(crate) mod api;
/// AppState and router assembly.
pub mod app;
/// Credentials, roles and Shiro-style permissions.
pub(crate) mod auth;
/// Readings pulled from the vendors' clouds (Dexcom Share, LibreLinkUp, CareLink).
pub(crate) mod bridges;
/// Configuration read once from Nightscout's environment variable names.
pub mod config;
/// Pure domain logic (no I/O): documents, normalisation, the query filter tree, time.
pub mod domain;
/// In-memory recent data and what each write changed in it.
pub mod engine;
/// The error type that answers in Nightscout's `{status, message, description}` shape.
pub(crate) mod error;
/// socket.io: Nightscout's namespaces and the broadcaster every confirmed write reaches.
pub(crate) mod realtime;
/// The network edge: listeners, TLS, forced https, base path, shutdown, health, request log, dashboard.
pub mod server;
/// State that must agree across instances: auth-failure delays, alarm snoozes, leases.
pub mod shared;
/// The storage trait and its SQLite and MongoDB backends.
pub mod store;
/// One home for each collection's write rules, used by every write path.
pub(crate) mod write;
