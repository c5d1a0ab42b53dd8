//! `GET /api/v2/ddata/at[/{at}]` (`lib/data/endpoints.js`): the server's recent data as its
//! data loader holds it (`lib/data/ddata.js`): `sgvs`, `mbgs`, `cals`, `treatments`, `profiles`,
//! `devicestatus`, `food`, `activity`, `dbstats`, `lastUpdated`. Nightscout answers a time more
//! than 5 minutes from its last update with a frame loaded for that time; here such a time is a
//! 400 (the recent data is what this server keeps in memory).

use axum::Router;
use axum::extract::{Path, State};
use axum::routing::get;
use serde_json::Value;

use crate::api::json::Json;
use crate::api::permit::{Allowed, PropertiesRead};
use crate::app::AppState;
use crate::domain::time::{now_ms, parse_epoch_ms_or_zoned};
use crate::error::{ApiError, ApiResult};

/// How far `at` may be from now (Nightscout: from `lastUpdated`) to be answered.
const WITHIN_MS: i64 = 5 * 60_000;

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v2/ddata/at", get(now)).route("/api/v2/ddata/at/{at}", get(at))
}

async fn now(State(state): State<AppState>, _: Allowed<PropertiesRead>) -> ApiResult<Json<Value>> {
    Ok(Json(ddata(&state).await))
}

async fn at(
    State(state): State<AppState>,
    _: Allowed<PropertiesRead>,
    Path(at): Path<String>,
) -> ApiResult<Json<Value>> {
    let when = parse_epoch_ms_or_zoned(&at).map(|t| t.epoch_ms);
    match when {
        Some(ms) if (ms - now_ms()).abs() < WITHIN_MS => Ok(Json(ddata(&state).await)),
        Some(_) => Err(ApiError::bad_request(
            "Bad time",
            "ddata is served for the present only (within 5 minutes); read older data from /api/v1",
        )),
        None => Err(ApiError::bad_request("Bad time", format!("not a time: {at}"))),
    }
}

async fn ddata(state: &AppState) -> Value {
    state.engine.caught_up(std::time::Duration::from_secs(5)).await;
    let snap = state.engine.snapshot();
    let mut out = snap.full().clone();
    if let Some(o) = out.as_object_mut() {
        o.entry("activity").or_insert_with(|| Value::Array(Vec::new()));
        o.insert("lastUpdated".into(), now_ms().into());
    }
    out
}
