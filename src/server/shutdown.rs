//! Clean shutdown: the process signals (Ctrl-C, SIGTERM from Docker, App Service, systemd) and the
//! grace period; `server::serve_listeners` cancels one `CancellationToken` for its listeners,
//! connections and TLS watcher.

use std::time::Duration;

/// How long in-flight requests may take after shutdown starts. Below Docker's and App Service's
/// 10 s between SIGTERM and SIGKILL, so we exit on our own terms.
pub const GRACE: Duration = Duration::from_secs(8);

/// Ctrl-C or SIGTERM.
pub async fn signal() {
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
