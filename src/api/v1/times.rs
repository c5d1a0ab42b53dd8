//! `/api/v1/times/{prefix}/{regex}`, `/times/echo/...` and `/slice/{storage}/{field}/...`
//! (`lib/api/entries/index.js` `prep_patterns`; spec 1.3): regex slices answered like entries.

use std::collections::HashMap;

use crate::api::json::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Router};
use serde_json::{Value, json};

use super::entries::Answer;
use super::list;
use crate::api::format::PathFormat;
use crate::api::permit::{Allowed, EntriesRead};
use crate::app::AppState;
use crate::domain::Collection;
use crate::domain::query::{Spec, parse_find, with_default_window};
use crate::domain::time::now_ms;
use crate::domain::times;
use crate::error::{ApiError, ApiResult};

const DEFAULT_COUNT: u64 = 10;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/times", get(times_list))
        .route("/times/{prefix}", get(times_list))
        .route("/times/{prefix}/{regex}", get(times_list))
        .route("/times/echo", get(times_echo))
        .route("/times/echo/{prefix}", get(times_echo))
        .route("/times/echo/{prefix}/{regex}", get(times_echo))
        .route("/echo/{storage}", get(echo))
        .route("/echo/{storage}/{model}", get(echo))
        .route("/echo/{storage}/{model}/{spec}", get(echo))
        .route("/slice/{storage}/{field}", get(slice))
        .route("/slice/{storage}/{field}/{type}", get(slice))
        .route("/slice/{storage}/{field}/{type}/{prefix}", get(slice))
        .route("/slice/{storage}/{field}/{type}/{prefix}/{regex}", get(slice))
}

type Params = Path<HashMap<String, String>>;

fn bad(e: crate::domain::query::QueryError) -> ApiError {
    ApiError::bad_request("Bad query", e.0)
}

fn patterns(p: &HashMap<String, String>) -> ApiResult<Vec<String>> {
    times::patterns(p.get("prefix").map(String::as_str), p.get("regex").map(String::as_str)).map_err(bad)
}

/// Spec 1.3 `/times`: entries whose `dateString` matches the expanded patterns, plus `find`.
async fn times_list(
    State(state): State<AppState>,
    _: Allowed<EntriesRead>,
    Path(p): Params,
    RawQuery(raw): RawQuery,
    ext: Option<Extension<PathFormat>>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let pats = patterns(&p)?;
    run(&state, Collection::Entries, "dateString", None, &pats, raw.as_deref(), ext, &headers).await
}

/// Spec 1.3 `/times/echo`: the parameters and the patterns they expand to.
async fn times_echo(_: Allowed<EntriesRead>, Path(p): Params, RawQuery(raw): RawQuery) -> ApiResult<Response> {
    let pats = patterns(&p)?;
    let query = Value::Object(list::params(raw.as_deref()));
    Ok(Json(json!({"req": {"params": p, "query": query}, "pattern": pats})).into_response())
}

/// Spec 1.3 `/echo/{storage}/{model?}/{spec?}`: the query a listing would run, unrun.
async fn echo(
    State(state): State<AppState>,
    _: Allowed<EntriesRead>,
    Path(p): Params,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    let name = p.get("storage").map_or("entries", String::as_str);
    let coll = Collection::parse(name)
        .ok_or_else(|| ApiError::bad_request("Unknown storage", format!("no collection named {name:?}")))?;
    let input = list::params(raw.as_deref());
    let mut params = input.clone();
    if let Some(m) = p.get("model").filter(|m| *m != "*") {
        list::set_find(&mut params, "type", m);
    }
    if let Some(id) = p.get("spec").filter(|s| s.len() == 24 && s.bytes().all(|b| b.is_ascii_hexdigit())) {
        list::set_find(&mut params, "_id", id);
    }
    let filter = list::find_filter(&state, coll, &params)?;
    let query = crate::domain::echo::to_mongo_json(&filter);
    Ok(Json(json!({"query": query, "input": input, "params": p, "storage": name})).into_response())
}

/// Spec 1.3 `/slice/{storage}/{field}/{type?}/{prefix?}/{regex?}`: `storage` is `entries`,
/// `treatments` or `devicestatus` (anything else means entries).
async fn slice(
    State(state): State<AppState>,
    _: Allowed<EntriesRead>,
    Path(p): Params,
    RawQuery(raw): RawQuery,
    ext: Option<Extension<PathFormat>>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let coll = match p.get("storage").map(String::as_str) {
        Some("treatments") => Collection::Treatments,
        Some("devicestatus") => Collection::DeviceStatus,
        _ => Collection::Entries,
    };
    let field = p.get("field").map_or("dateString", String::as_str);
    if !crate::domain::filter::valid_path(field) {
        return Err(ApiError::bad_request("Bad query", format!("Invalid field name {field:?}")));
    }
    let pats = patterns(&p)?;
    let model = p.get("type").map(String::as_str).filter(|t| !t.is_empty());
    run(&state, coll, field, model, &pats, raw.as_deref(), ext, &headers).await
}

#[allow(clippy::too_many_arguments)]
async fn run(
    state: &AppState,
    coll: Collection,
    field: &str,
    model: Option<&str>,
    pats: &[String],
    raw: Option<&str>,
    ext: Option<Extension<PathFormat>>,
    headers: &HeaderMap,
) -> ApiResult<Response> {
    let mut params = list::params(raw);
    if let Some(t) = model {
        list::set_find(&mut params, "type", t);
    }
    let spec = Spec::of(coll);
    let find = parse_find(params.get("find"), &spec, state.config.uuid_handling).map_err(bad)?;
    let filter = with_default_window(find.and(times::filter(field, pats).map_err(bad)?), &spec, now_ms());
    let q = list::newest_first(coll, filter, list::count(&params, DEFAULT_COUNT));
    let docs = state.store.find(coll, &q).await?;
    Ok(Answer::new(ext, headers, model.map(str::to_owned)).send(state, docs))
}
