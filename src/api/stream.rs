//! Large answers (`count=0` is every document, as in Nightscout, which backup scripts use; or a
//! huge `count`): streamed from the store a page at a time (`Store::find_pages`) instead of built
//! whole, so one costs a few pages of memory however many documents it has. How many stream at
//! once is bounded (`FERROSCOUT_MAX_LARGE_READS`); a large read waits up to
//! `Limits::large_read_wait` for a slot, then gets a 503 with `Retry-After`. The bytes are the
//! ones `Json` writes for the whole list. A store error after the first page cuts the answer
//! off (the connection is closed mid-body), so a client never takes a short list for the whole.

use std::sync::Arc;

use axum::body::Bytes;
use axum::http::{HeaderValue, header};
use axum::response::Response;
use futures_util::StreamExt;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::app::AppState;
use crate::domain::filter::Query;
use crate::domain::{Collection, Doc};
use crate::error::{ApiError, ApiResult};
use crate::store::Pages;

/// Answers of more documents than this are streamed.
pub(crate) const STREAM_ABOVE: u64 = 1_000;
/// Documents read from the store, and written to the client, per page.
pub(crate) const PAGE: usize = 200;

/// True when an answer of up to `limit` documents (`None`: all) is streamed.
pub(crate) fn is_large(limit: Option<u64>) -> bool {
    limit.is_none_or(|n| n > STREAM_ABOVE)
}

/// The slots for large reads (`FERROSCOUT_MAX_LARGE_READS`).
#[derive(Clone)]
pub(crate) struct LargeReads(Arc<Semaphore>);

impl LargeReads {
    pub(crate) fn new(slots: usize) -> LargeReads {
        LargeReads(Arc::new(Semaphore::new(slots)))
    }
}

/// A slot for one large read, held until its answer is written or the client goes away.
pub(crate) async fn slot(state: &AppState) -> ApiResult<OwnedSemaphorePermit> {
    let wait = state.config.limits.large_read_wait;
    match tokio::time::timeout(wait, state.large_reads.0.clone().acquire_owned()).await {
        Ok(Ok(permit)) => Ok(permit),
        _ => {
            tracing::warn!("a large read waited too long for a slot (FERROSCOUT_MAX_LARGE_READS)");
            Err(ApiError::Busy("The server is answering other large reads: try again in a few seconds."))
        }
    }
}

/// How the documents of a streamed answer are written: JSON array or text rows.
pub(crate) enum Shape {
    Json,
    /// Rows joined by CRLF (`entries.txt`, `.csv`, `.tsv`), each written by the function.
    Rows(fn(&Doc, char) -> String, char),
}

/// The streamed answer: `first` (already read, for headers such as `Last-Modified`), then the
/// rest of the pages, each document passed through `each` (Nightscout's per-document touches)
/// and written in `shape`. `permit` is released when the body ends or is dropped.
pub(crate) fn answer(
    first: Vec<Doc>,
    rest: Pages,
    permit: OwnedSemaphorePermit,
    shape: Shape,
    content_type: HeaderValue,
    mut each: impl FnMut(&mut Doc) + Send + 'static,
) -> Response {
    let (open, sep, close): (&[u8], &[u8], &[u8]) = match shape {
        Shape::Json => (b"[", b",", b"]"),
        Shape::Rows(..) => (b"", b"\r\n", b""),
    };
    let mut started = false;
    let pages = futures_util::stream::once(async move { Ok(first) }).chain(rest).map(move |page| {
        let docs = page.map_err(|e| {
            tracing::error!(cause = %e, "a streamed answer was cut off by a store error");
            std::io::Error::other("store error")
        })?;
        let mut buf = Vec::with_capacity(docs.len() * 256);
        for mut d in docs {
            each(&mut d);
            if started {
                buf.extend_from_slice(sep);
            }
            started = true;
            match &shape {
                Shape::Json => buf.extend(crate::api::json::to_vec(&d).map_err(std::io::Error::other)?),
                Shape::Rows(row, c) => buf.extend_from_slice(row(&d, *c).as_bytes()),
            }
        }
        Ok::<Bytes, std::io::Error>(Bytes::from(buf))
    });
    let body = futures_util::stream::once(async move { Ok(Bytes::from_static(open)) })
        .chain(pages)
        .chain(futures_util::stream::once(async move {
            drop(permit);
            Ok(Bytes::from_static(close))
        }))
        .filter(|chunk| std::future::ready(!matches!(chunk, Ok(b) if b.is_empty())));
    let mut res = Response::new(axum::body::Body::from_stream(body));
    res.headers_mut().insert(header::CONTENT_TYPE, content_type);
    res
}

/// A large read begun: its slot, its first page (empty when there is none; headers such as
/// `Last-Modified` come from it) and the rest. A store error before the first page is the
/// request's error, answered as usual.
pub(crate) struct Opened {
    pub permit: OwnedSemaphorePermit,
    pub first: Vec<Doc>,
    pub rest: Pages,
}

/// Waits for a slot, then reads the first page of `query`.
pub(crate) async fn open(state: &AppState, coll: Collection, query: Query) -> ApiResult<Opened> {
    let permit = slot(state).await?;
    // Fused: the first page may have been the end, and the body polls on after it.
    let mut rest: Pages = state.store.find_pages(coll, query, PAGE).fuse().boxed();
    let first = rest.next().await.transpose()?.unwrap_or_default();
    Ok(Opened { permit, first, rest })
}

/// A streamed JSON array of what `open` began.
pub(crate) fn json(opened: Opened, each: impl FnMut(&mut Doc) + Send + 'static) -> Response {
    let mime = HeaderValue::from_static(crate::api::json::JSON_UTF8);
    answer(opened.first, opened.rest, opened.permit, Shape::Json, mime, each)
}
