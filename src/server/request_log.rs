//! One log line per request through tower-http's trace layer: method, route template (never the
//! raw path or query, which can carry `secret=`/`token=`), status and time, under the target
//! `ferroscout::http` (`RUST_LOG=ferroscout::http=warn` silences it).

use std::time::Duration;

use axum::extract::{MatchedPath, Request};
use axum::response::Response;
use tower_http::classify::{ServerErrorsAsFailures, SharedClassifier};
use tower_http::trace::{DefaultOnBodyChunk, DefaultOnEos, TraceLayer};
use tracing::Span;

type MakeSpan = fn(&Request) -> Span;
type OnResponse = fn(&Response, Duration, &Span);

/// The layer; applied inside the router, so the route template is known.
pub fn layer()
-> TraceLayer<SharedClassifier<ServerErrorsAsFailures>, MakeSpan, (), OnResponse, DefaultOnBodyChunk, DefaultOnEos, ()>
{
    // The status line already says a request failed; no second line per failure.
    TraceLayer::new_for_http()
        .make_span_with(span as MakeSpan)
        .on_request(())
        .on_response(logged as OnResponse)
        .on_failure(())
}

fn span(req: &Request) -> Span {
    let route = req.extensions().get::<MatchedPath>().map_or("<unmatched>", MatchedPath::as_str);
    tracing::info_span!(target: "ferroscout::http", "request", method = %req.method(), route = %route)
}

fn logged(res: &Response, latency: Duration, _: &Span) {
    let ms = latency.as_secs_f64() * 1000.0;
    tracing::info!(target: "ferroscout::http", status = res.status().as_u16(), ms = format_args!("{ms:.1}"));
}
