//! One log line per request: method, route template (never the raw path or query, which can
//! carry `secret=`/`token=`), status and time.

use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;

pub async fn log_request(req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = req.method().clone();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_owned())
        .unwrap_or_else(|| "<unmatched>".to_owned());
    let res = next.run(req).await;
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    tracing::info!(target: "ferroscout::http", %method, %route, status = res.status().as_u16(), ms = format_args!("{ms:.1}"));
    res
}
