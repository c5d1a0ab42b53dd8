//! Serialised answers of the common recent reads, kept with the engine snapshot they were
//! computed from (`engine::memo`): a repeat of `entries.json?count=288`, `devicestatus.json`,
//! `/pebble` or `/api/v2/properties` is a copy of shared bytes, not a new serialisation. A write
//! publishes a new snapshot, which starts without any, so a kept answer never outlives its data.
//! Answers that depend on the clock as well (the plugins' IOB, ages, `upbat`) are kept for
//! `CLOCK_BOUND_MS` at most (Nightscout itself computes them once per data load).

use std::future::Future;
use std::sync::Arc;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde::Serialize;

use crate::api::json::{self, JSON_UTF8};
use crate::domain::time::now_ms;
use crate::engine::snapshot::Snapshot;
use crate::error::{ApiError, ApiResult};

/// How long an answer computed from the clock as well as the data is reused.
pub const CLOCK_BOUND_MS: i64 = 1000;

/// A 200 answer as bytes: its body, `Content-Type` and `Last-Modified`.
pub struct Rendered {
    pub body: Bytes,
    pub content_type: HeaderValue,
    pub last_modified: Option<HeaderValue>,
}

impl Rendered {
    /// `JSON.stringify(value)` with the JSON content type (as `api::json::Json` answers).
    pub fn json<T: Serialize>(value: &T) -> ApiResult<Rendered> {
        let body = json::to_vec(value).map_err(|e| ApiError::Store(format!("cannot serialise an answer: {e}")))?;
        Ok(Rendered::new(body.into(), HeaderValue::from_static(JSON_UTF8)))
    }

    pub fn new(body: Bytes, content_type: HeaderValue) -> Rendered {
        Rendered { body, content_type, last_modified: None }
    }

    /// The answer, sharing the bytes.
    pub fn response(&self) -> Response {
        let mut res = (StatusCode::OK, self.body.clone()).into_response();
        let h = res.headers_mut();
        h.insert(header::CONTENT_TYPE, self.content_type.clone());
        if let Some(lm) = &self.last_modified {
            h.insert(header::LAST_MODIFIED, lm.clone());
        }
        res
    }
}

struct Kept {
    /// Epoch ms it was rendered.
    at: i64,
    rendered: Rendered,
}

/// The answer kept with `snap` under `key`, else `build`'s (then kept). `max_age_ms` bounds how
/// long an answer that depends on the clock is reused; `None` for answers of the data alone.
pub async fn answer<F, Fut>(snap: &Snapshot, key: &str, max_age_ms: Option<i64>, build: F) -> ApiResult<Response>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = ApiResult<Rendered>>,
{
    Ok(kept(snap, key, max_age_ms, build).await?.rendered.response())
}

/// `answer`'s body alone (a part of a larger answer).
pub async fn body<F, Fut>(snap: &Snapshot, key: &str, max_age_ms: Option<i64>, build: F) -> ApiResult<Bytes>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = ApiResult<Rendered>>,
{
    Ok(kept(snap, key, max_age_ms, build).await?.rendered.body.clone())
}

async fn kept<F, Fut>(snap: &Snapshot, key: &str, max_age_ms: Option<i64>, build: F) -> ApiResult<Arc<Kept>>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = ApiResult<Rendered>>,
{
    let now = now_ms();
    if let Some(k) = snap.memo().get::<Kept>(key)
        && max_age_ms.is_none_or(|max| (0..max).contains(&(now - k.at)))
    {
        return Ok(k);
    }
    let kept = Arc::new(Kept { at: now, rendered: build().await? });
    snap.memo().put(key, kept.clone());
    Ok(kept)
}
