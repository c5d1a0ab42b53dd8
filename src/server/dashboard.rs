//! The embedded dashboard (`frontend/`, built by `build.rs`): `index.html` revalidated on every
//! load (`no-cache` + ETag), Vite's hashed `assets/*` cached for a year as `immutable`.

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use axum::routing::get;

/// One built file.
pub struct Asset {
    pub path: &'static str,
    pub content_type: &'static str,
    /// Content-hashed by Vite (`assets/…`): safe to cache forever.
    pub immutable: bool,
    pub etag: &'static str,
    pub bytes: &'static [u8],
}

include!(concat!(env!("OUT_DIR"), "/dashboard_assets.rs"));

#[cfg(test)]
fn asset(path: &str) -> Option<&'static Asset> {
    ASSETS.iter().find(|a| a.path == path)
}

/// A route per embedded file, plus `/` for `index.html`.
pub fn router<S: Clone + Send + Sync + 'static>() -> Router<S> {
    let mut r = Router::new();
    for a in ASSETS {
        let handler = move |headers: HeaderMap| async move { respond(a, &headers) };
        if a.path == "index.html" {
            r = r.route("/", get(handler));
        }
        // The access-token page, where Nightscout has its admin tools.
        if a.path == "admin.html" {
            r = r.route("/admin", get(handler));
        }
        r = r.route(&format!("/{}", a.path), get(handler));
    }
    r
}

fn respond(a: &'static Asset, headers: &HeaderMap) -> Response {
    let cache = if a.immutable { "public, max-age=31536000, immutable" } else { "no-cache" };
    let fresh = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == a.etag || t.trim() == "*"));
    let builder = Response::builder()
        .header(header::CACHE_CONTROL, cache)
        .header(header::ETAG, HeaderValue::from_static(a.etag))
        .header("x-content-type-options", "nosniff");
    let res = if fresh {
        builder.status(StatusCode::NOT_MODIFIED).body(Body::empty())
    } else {
        builder.header(header::CONTENT_TYPE, a.content_type).body(Body::from(a.bytes))
    };
    res.unwrap_or_else(|_| Response::new(Body::empty()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_build_embeds_index_and_hashed_assets() {
        let index = asset("index.html").expect("index.html embedded");
        assert!(!index.immutable);
        assert!(index.content_type.starts_with("text/html"));
        assert!(ASSETS.iter().any(|a| a.immutable && a.path.ends_with(".js")));
        assert!(asset("manifest.webmanifest").is_some());
    }
}
