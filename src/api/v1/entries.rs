//! `/api/v1/entries` (`lib/api/entries/index.js`, `lib/server/entries.js`; spec section 1.3).

use crate::api::json::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
use serde_json::{Value, json};

use super::list;
use crate::api::format::{Format, PathFormat, http_date, negotiate, parse_http_date};
use crate::api::kept::{self, Rendered};
use crate::api::permit::{Allowed, AllowedBody, EntriesCreate, EntriesDelete, EntriesRead};
use crate::api::{snapshot, stream};
use crate::app::AppState;
use crate::domain::filter::{Filter, Query, Val};
use crate::domain::{Collection, Doc, entries};
use crate::engine::Shared;
use crate::engine::snapshot::Snapshot;
use crate::error::{ApiError, ApiResult};
use crate::write::incoming_entries as incoming;
use std::sync::Arc;

/// Nightscout's JSON limit for entries.
const BODY_LIMIT: usize = 50 * 1024 * 1024;
/// `ENTRIES_DEFAULT_COUNT`.
const DEFAULT_COUNT: u64 = 10;
/// Offered in this order, so `*/*` gets tab-separated text (Nightscout's `res.format`).
const OFFERED: &[Format] = &[Format::Txt, Format::Tsv, Format::Csv, Format::Json];

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/entries", get(list_entries).post(create).delete(delete_matching))
        .route("/entries/preview", post(preview))
        .route("/entries/current", get(current))
        .route("/entries/{spec}", get(by_spec).delete(delete_spec))
        .layer(axum::extract::DefaultBodyLimit::max(BODY_LIMIT))
}

/// How a listing is answered: the format, the request's `If-Modified-Since`, the type blessed
/// onto untyped documents.
pub(super) struct Answer {
    format: Format,
    if_modified_since: Option<i64>,
    model: Option<String>,
    /// The count asked for, when Nightscout could answer the query from its in-memory cache.
    cached_count: Option<u64>,
}

/// Nightscout's in-memory cache keeps two days of entries (`lib/server/cache.js`).
const CACHE_RETENTION_MS: i64 = 2 * 24 * 3600 * 1000;

/// `query_models`: a query with no `find` but `type` can be served from the cache.
fn cacheable(params: &serde_json::Map<String, Value>) -> bool {
    match params.get("find") {
        None => true,
        Some(Value::Object(f)) => f.keys().all(|k| k == "type"),
        Some(_) => false,
    }
}

impl Answer {
    pub(super) fn new(path: Option<Extension<PathFormat>>, headers: &HeaderMap, model: Option<String>) -> Answer {
        let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok());
        Answer {
            format: negotiate(path.map(|e| e.0), accept, OFFERED).unwrap_or(Format::Json),
            if_modified_since: headers
                .get(header::IF_MODIFIED_SINCE)
                .and_then(|v| v.to_str().ok())
                .and_then(parse_http_date),
            model,
            cached_count: None,
        }
    }

    /// Marks a listing Nightscout may serve from its cache (see `send`).
    fn cached_if(mut self, cacheable: bool, count: Option<u64>) -> Answer {
        self.cached_count = count.filter(|_| cacheable);
        self
    }

    /// Newest first, with the newest time and whether Nightscout would answer from its cache.
    fn prepare(&self, docs: Vec<impl Into<Shared>>) -> Prepared {
        let mut docs: Vec<Shared> = docs.into_iter().map(Into::into).collect();
        docs.sort_by_key(|d| std::cmp::Reverse(Collection::Entries.time_ms(d).unwrap_or(i64::MIN)));
        let newest = docs.first().and_then(|d| Collection::Entries.time_ms(d));
        // `query_models`: when the cache holds `count` such entries, Nightscout answers from it,
        // and cached entries carry `mills` (`e.mills || e.date`). That is when every entry
        // returned is within the cache's two days and there are `count` of them.
        let cutoff = crate::domain::time::now_ms() - CACHE_RETENTION_MS;
        let from_cache = self.cached_count.is_some_and(|n| {
            docs.len() as u64 >= n && docs.iter().all(|d| Collection::Entries.time_ms(d).is_some_and(|t| t >= cutoff))
        });
        Prepared { docs, newest, from_cache }
    }

    /// `If-Modified-Since` at or after the newest entry (to the second).
    fn not_modified(&self, newest: Option<i64>) -> bool {
        matches!((newest, self.if_modified_since), (Some(newest), Some(since)) if newest / 1000 <= since / 1000)
    }

    fn render(&self, state: &AppState, p: Prepared) -> ApiResult<Rendered> {
        let Prepared { mut docs, newest, from_cache } = p;
        for d in &mut docs {
            let touches =
                touches(d, from_cache, self.model.as_deref(), state.config.obscure_device_provenance.as_deref());
            if !touches.is_empty() {
                Arc::make_mut(d).extend(touches);
            }
        }
        let mut out = match self.format {
            Format::Json => Rendered::json(&docs.iter().map(|d| &**d).collect::<Vec<&Doc>>())?,
            f => {
                let sep = if f == Format::Csv { ',' } else { '\t' };
                let rows: Vec<String> = docs.iter().map(|d| entries::text_row(d, sep)).collect();
                let mime = HeaderValue::from_str(&format!("{}; charset=utf-8", f.mime()))
                    .unwrap_or(HeaderValue::from_static("text/plain; charset=utf-8"));
                Rendered::new(rows.join("\r\n").into(), mime)
            }
        };
        out.last_modified = newest.and_then(http_date).and_then(|s| HeaderValue::from_str(&s).ok());
        Ok(out)
    }

    pub(super) fn send(self, state: &AppState, docs: Vec<impl Into<Shared>>) -> Response {
        let p = self.prepare(docs);
        if self.not_modified(p.newest) {
            return StatusCode::NOT_MODIFIED.into_response();
        }
        match self.render(state, p) {
            Ok(r) => r.response(),
            Err(e) => e.into_response(),
        }
    }

    /// `send` for documents memory gave: the rendered answer is kept with the snapshot, under
    /// `key` and everything else it depends on.
    async fn send_kept(self, state: &AppState, snap: &Snapshot, key: &str, docs: Vec<Shared>) -> ApiResult<Response> {
        let p = self.prepare(docs);
        if self.not_modified(p.newest) {
            return Ok(StatusCode::NOT_MODIFIED.into_response());
        }
        let key = format!("{key}:{:?}:{}:{:?}", self.format, p.from_cache, self.model);
        kept::answer(snap, &key, None, || async { self.render(state, p) }).await
    }
}

/// A listing's documents, ready to render.
struct Prepared {
    docs: Vec<Shared>,
    newest: Option<i64>,
    from_cache: bool,
}

impl Answer {
    /// `send` for a listing of more than `stream::STREAM_ABOVE` entries: streamed from the store
    /// in its order (`date` descending), in bounded memory (`api::stream`).
    async fn stream(self, state: &AppState, query: Query) -> ApiResult<Response> {
        let from_cache = match self.cached_count {
            Some(n) => nth_within_cache(state, &query, n).await?,
            None => false,
        };
        let opened = stream::open(state, Collection::Entries, query).await?;
        let newest = opened.first.first().and_then(|d| Collection::Entries.time_ms(d));
        if let (Some(newest), Some(since)) = (newest, self.if_modified_since)
            && newest / 1000 <= since / 1000
        {
            return Ok(StatusCode::NOT_MODIFIED.into_response());
        }
        let (model, device) = (self.model, state.config.obscure_device_provenance.clone());
        let each = move |d: &mut Doc| {
            let t = touches(d, from_cache, model.as_deref(), device.as_deref());
            d.extend(t);
        };
        let (shape, mime) = match self.format {
            Format::Json => (stream::Shape::Json, HeaderValue::from_static(crate::api::json::JSON_UTF8)),
            f => {
                let sep = if f == Format::Csv { ',' } else { '\t' };
                let mime = HeaderValue::from_str(&format!("{}; charset=utf-8", f.mime()))
                    .unwrap_or(HeaderValue::from_static("text/plain; charset=utf-8"));
                (stream::Shape::Rows(entries::text_row, sep), mime)
            }
        };
        let mut res = stream::answer(opened.first, opened.rest, opened.permit, shape, mime, each);
        if let Some(lm) = newest.and_then(http_date).and_then(|s| HeaderValue::from_str(&s).ok()) {
            res.headers_mut().insert(header::LAST_MODIFIED, lm);
        }
        Ok(res)
    }
}

/// `send`'s cache rule for a streamed listing of `n`: there are `n` entries and the `n`th
/// newest (so every one) is within the cache's two days.
async fn nth_within_cache(state: &AppState, query: &Query, n: u64) -> ApiResult<bool> {
    let mut nth = query.clone().limit(Some(1));
    nth.skip = n.saturating_sub(1);
    let cutoff = crate::domain::time::now_ms() - CACHE_RETENTION_MS;
    let found = state.store.find(Collection::Entries, &nth).await?;
    Ok(found.first().and_then(|d| Collection::Entries.time_ms(d)).is_some_and(|t| t >= cutoff))
}

/// What a listing adds to an entry: `mills` when answered from Nightscout's cache, the type
/// of a typed listing on untyped entries, `OBSCURE_DEVICE_PROVENANCE`.
fn touches(d: &Doc, from_cache: bool, model: Option<&str>, device: Option<&str>) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    if from_cache && !d.get("mills").is_some_and(crate::domain::js::truthy) {
        out.push(("mills".into(), d.get("date").cloned().unwrap_or(Value::Null)));
    }
    if let Some(m) = model
        && !d.contains_key("type")
    {
        out.push(("type".into(), Value::String(m.to_owned())));
    }
    if let Some(dev) = device {
        out.push(("device".into(), Value::String(dev.to_owned())));
    }
    out
}

async fn list_entries(
    State(state): State<AppState>,
    _: Allowed<EntriesRead>,
    RawQuery(raw): RawQuery,
    path: Option<Extension<PathFormat>>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let params = list::params(raw.as_deref());
    let model = params.get("find").and_then(|f| f.get("type")).and_then(Value::as_str).map(str::to_owned);
    let filter = list::find_filter(&state, Collection::Entries, &params)?;
    let limit = list::count(&params, DEFAULT_COUNT);
    if !params.contains_key("find")
        && let Some((snap, docs)) = snapshot::newest(&state, Collection::Entries, limit).await
    {
        let answer = Answer::new(path, &headers, model).cached_if(true, limit);
        return answer.send_kept(&state, &snap, &format!("entries:{limit:?}"), docs).await;
    }
    let answer = Answer::new(path, &headers, model).cached_if(cacheable(&params), limit);
    let query = list::newest_first(Collection::Entries, filter, limit);
    if stream::is_large(limit) {
        return answer.stream(&state, query).await;
    }
    Ok(answer.send(&state, state.store.find(Collection::Entries, &query).await?))
}

/// The newest entry of any type within the default window.
async fn current(
    State(state): State<AppState>,
    _: Allowed<EntriesRead>,
    path: Option<Extension<PathFormat>>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    if let Some((snap, docs)) = snapshot::newest(&state, Collection::Entries, Some(1)).await {
        return Answer::new(path, &headers, Some("sgv".into())).send_kept(&state, &snap, "current", docs).await;
    }
    let filter = list::find_filter(&state, Collection::Entries, &Default::default())?;
    let docs = state.store.find(Collection::Entries, &list::newest_first(Collection::Entries, filter, Some(1))).await?;
    Ok(Answer::new(path, &headers, Some("sgv".into())).send(&state, docs))
}

/// Lowercase 24-hex is an id; anything else is a type (`/entries/sgv.json`).
fn is_lower_id(spec: &str) -> bool {
    spec.len() == 24 && spec.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

async fn by_spec(
    State(state): State<AppState>,
    _: Allowed<EntriesRead>,
    Path(spec): Path<String>,
    RawQuery(raw): RawQuery,
    path: Option<Extension<PathFormat>>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    if is_lower_id(&spec) {
        let q = crate::domain::filter::Query::new(Filter::eq("_id", Val::ObjectId(spec.clone()))).limit(Some(1));
        let docs = state.store.find(Collection::Entries, &q).await?;
        if docs.is_empty() {
            return Err(ApiError::NotFound(format!("No such id: '{spec}'")));
        }
        return Ok(Answer::new(path, &headers, None).send(&state, docs));
    }
    let mut params = list::params(raw.as_deref());
    set_type(&mut params, &spec);
    let filter = list::find_filter(&state, Collection::Entries, &params)?;
    let limit = list::count(&params, DEFAULT_COUNT);
    let answer = Answer::new(path, &headers, Some(spec)).cached_if(cacheable(&params), limit);
    let query = list::newest_first(Collection::Entries, filter, limit);
    if stream::is_large(limit) {
        return answer.stream(&state, query).await;
    }
    Ok(answer.send(&state, state.store.find(Collection::Entries, &query).await?))
}

/// `find[type] = spec`, or no type constraint for `*`.
fn set_type(params: &mut serde_json::Map<String, Value>, spec: &str) {
    let find = params.entry("find").or_insert_with(|| json!({}));
    if !find.is_object() {
        *find = json!({});
    }
    if let Some(f) = find.as_object_mut() {
        if spec == "*" {
            f.remove("type");
        } else {
            f.insert("type".into(), Value::String(spec.to_owned()));
        }
    }
}

/// POST: an entry object (with `date`) or an array; answered normalised, new ones with `_id`.
async fn create(State(state): State<AppState>, req: AllowedBody<EntriesCreate>) -> ApiResult<Response> {
    Ok(Json(state.writer.create_entries(incoming(req.body)).await?).into_response())
}

async fn preview(req: AllowedBody<EntriesCreate>) -> ApiResult<Response> {
    Ok(Json(incoming(req.body)).into_response())
}

async fn delete_matching(
    State(state): State<AppState>,
    _: Allowed<EntriesDelete>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    let params = list::params(raw.as_deref());
    delete(&state, list::find_filter(&state, Collection::Entries, &params)?).await
}

async fn delete_spec(
    State(state): State<AppState>,
    _: Allowed<EntriesDelete>,
    Path(spec): Path<String>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    if is_lower_id(&spec) {
        return delete(&state, Filter::eq("_id", Val::ObjectId(spec))).await;
    }
    let mut params = list::params(raw.as_deref());
    set_type(&mut params, &spec);
    delete(&state, list::find_filter(&state, Collection::Entries, &params)?).await
}

/// Answers with the driver's DeleteResult shape.
async fn delete(state: &AppState, filter: Filter) -> ApiResult<Response> {
    let n = state.writer.delete_where(Collection::Entries, &filter).await?;
    Ok(Json(json!({"acknowledged": true, "deletedCount": n})).into_response())
}
