//! Search and history (`lib/api3/generic/search`, `generic/history`): history is every
//! change with `srvModified` strictly after the cursor, oldest first, deletions included (as
//! `isValid: false`), with `ETag: W/"<newest srvModified>"` and `Last-Modified`; an empty page
//! has neither, so AndroidAPS keeps its cursor.

use axum::extract::{Path, Query as Params, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};

use super::auth::V3Caller;
use super::docs::shape;
use super::{V3Error, V3Result, collection, ok, query};
use crate::api::format::{http_date, parse_http_date};
use crate::app::AppState;
use crate::domain::filter::{Cond, Dir, Filter, Query, Val};
use crate::domain::v3::parse_moment;
use crate::domain::{Collection, Doc};
use crate::write::v3::modified_ms;

type Pairs = Params<Vec<(String, String)>>;

/// `GET /{col}`.
pub async fn search(
    State(state): State<AppState>,
    _: super::KnownCollection,
    who: V3Caller,
    Path(col): Path<String>,
    Params(params): Pairs,
) -> V3Result<Response> {
    let coll = collection(&col)?;
    who.need(coll, "read")?;
    let q = query::search(&params)?;
    let fields = query::fields(&params);
    let docs = state.store.find(coll, &q).await?;
    Ok(ok(docs.into_iter().map(|d| shape(coll, d, fields.as_deref())).collect()))
}

/// `GET /{col}/history/{ms or date}`: strictly newer than the cursor.
pub async fn history(
    State(state): State<AppState>,
    _: super::KnownCollection,
    who: V3Caller,
    Path((col, since)): Path<(String, String)>,
    Params(params): Pairs,
) -> V3Result<Response> {
    let coll = collection(&col)?;
    who.need(coll, "read")?;
    let since = parse_moment(&since.parse::<f64>().map(serde_json::Value::from).unwrap_or(since.into()))
        .ok_or_else(|| V3Error::bad("Bad or missing Last-Modified header/parameter"))?;
    page(&state, coll, Cond::Gt(Val::Int(since.0)), &params).await
}

/// `GET /{col}/history` with a `Last-Modified` request header: that second or newer.
pub async fn history_by_header(
    State(state): State<AppState>,
    _: super::KnownCollection,
    who: V3Caller,
    Path(col): Path<String>,
    headers: HeaderMap,
    Params(params): Pairs,
) -> V3Result<Response> {
    let coll = collection(&col)?;
    who.need(coll, "read")?;
    let since = headers
        .get(header::LAST_MODIFIED)
        .and_then(|v| v.to_str().ok())
        .and_then(parse_http_date)
        .ok_or_else(|| V3Error::bad("Bad or missing Last-Modified header/parameter"))?;
    page(&state, coll, Cond::Gte(Val::Int(since / 1000 * 1000)), &params).await
}

/// One history page: live documents and tombstones merged by `srvModified`.
async fn page(state: &AppState, coll: Collection, cond: Cond, params: &[(String, String)]) -> V3Result<Response> {
    let limit = query::limit(params)?;
    let fields = query::fields(params);
    let q = Query::new(Filter::field("srvModified", cond)).sort("srvModified", Dir::Asc).limit(Some(limit));
    let mut docs: Vec<Doc> = state.store.find(coll, &q).await?;
    docs.extend(state.store.buried(coll, &q).await?);
    docs.sort_by_key(|d| modified_ms(coll, d).unwrap_or(i64::MIN));
    docs.truncate(limit as usize);
    let newest = docs.iter().filter_map(|d| modified_ms(coll, d)).max();
    let body: Vec<_> = docs.into_iter().map(|d| shape(coll, d, fields.as_deref())).collect();
    let mut res = ok(body.into()).into_response();
    if let Some(ms) = newest {
        let h = res.headers_mut();
        if let Some(v) = http_date(ms).and_then(|s| HeaderValue::from_str(&s).ok()) {
            h.insert(header::LAST_MODIFIED, v);
        }
        if let Ok(v) = HeaderValue::from_str(&format!("W/\"{ms}\"")) {
            h.insert(header::ETAG, v);
        }
    }
    Ok(res)
}
