//! Sub-path hosting (`BASE_PATH`, like an IIS virtual directory): the prefix is stripped before
//! routing, so the API, socket.io (`/dante/socket.io/`) and the dashboard routers stay prefix-free.
//! `/dante` alone is redirected to `/dante/` so the dashboard's relative URLs resolve under it;
//! other paths outside the prefix are a 404, except `/health` (platform probes).

use axum::body::Body;
use axum::extract::{OriginalUri, Request};
use axum::http::uri::PathAndQuery;
use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};

use super::https::HEALTH_PATH;

/// What to do with a request, given the prefix.
#[derive(Debug, PartialEq, Eq)]
pub enum Route {
    /// Serve with this path-and-query instead.
    Inner(String),
    /// Redirect to this path-and-query.
    AddSlash(String),
    NotFound,
}

/// Pure decision: `prefix` is normalised (`/dante`, no trailing slash).
pub fn route(prefix: &str, path_and_query: &str) -> Route {
    let (path, query) = match path_and_query.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (path_and_query, None),
    };
    let with_query = |p: &str| match query {
        Some(q) => format!("{p}?{q}"),
        None => p.to_owned(),
    };
    match path.strip_prefix(prefix) {
        Some("") => Route::AddSlash(with_query(&format!("{prefix}/"))),
        Some(rest) if rest.starts_with('/') => Route::Inner(with_query(rest)),
        _ if path == HEALTH_PATH => Route::Inner(with_query(path)),
        _ => Route::NotFound,
    }
}

/// Rewrites the request to its prefix-free path (keeping the full one as `OriginalUri`), or
/// answers it directly.
#[allow(clippy::result_large_err)] // consumed at once by the caller; a Box would only add an allocation
pub fn strip(prefix: &str, mut req: Request) -> Result<Request, Response> {
    let full = req.uri().clone();
    let pq = full.path_and_query().map(PathAndQuery::as_str).unwrap_or("/");
    match route(prefix, pq) {
        Route::Inner(inner) => {
            let Ok(pq) = inner.parse::<PathAndQuery>() else {
                return Err(StatusCode::BAD_REQUEST.into_response());
            };
            let mut parts = full.clone().into_parts();
            parts.path_and_query = Some(pq);
            let Ok(uri) = Uri::from_parts(parts) else {
                return Err(StatusCode::BAD_REQUEST.into_response());
            };
            req.extensions_mut().insert(OriginalUri(full));
            *req.uri_mut() = uri;
            Ok(req)
        }
        Route::AddSlash(to) => {
            let mut res = Response::new(Body::empty());
            *res.status_mut() = StatusCode::PERMANENT_REDIRECT;
            if let Ok(v) = HeaderValue::from_str(&to) {
                res.headers_mut().insert(header::LOCATION, v);
            }
            Err(res)
        }
        Route::NotFound => {
            Err((StatusCode::NOT_FOUND, format!("Not found: this server lives under {prefix}/\n")).into_response())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixed_paths_lose_the_prefix_and_keep_the_query() {
        assert_eq!(
            route("/dante", "/dante/api/v1/entries.json?count=1"),
            Route::Inner("/api/v1/entries.json?count=1".into())
        );
        assert_eq!(route("/dante", "/dante/"), Route::Inner("/".into()));
        assert_eq!(
            route("/dante", "/dante/socket.io/?EIO=4&transport=polling"),
            Route::Inner("/socket.io/?EIO=4&transport=polling".into())
        );
        assert_eq!(route("/a/b", "/a/b/x"), Route::Inner("/x".into()));
    }

    #[test]
    fn the_bare_prefix_gets_a_slash_and_strangers_get_404() {
        assert_eq!(route("/dante", "/dante?x=1"), Route::AddSlash("/dante/?x=1".into()));
        assert_eq!(route("/dante", "/danteX/api"), Route::NotFound);
        assert_eq!(route("/dante", "/api/v1/entries"), Route::NotFound);
        assert_eq!(route("/dante", "/"), Route::NotFound);
        assert_eq!(route("/dante", "/health"), Route::Inner("/health".into()));
    }
}
