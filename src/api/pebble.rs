//! `GET /pebble` (`lib/server/pebble.js`; spec 1.10): the newest readings for watches.

use crate::api::json::JSON_UTF8;
use crate::api::kept::{self, CLOCK_BOUND_MS, Rendered};
use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};

use super::{query_string, snapshot};
use crate::api::permit::{Allowed, PebbleRead};
use crate::app::AppState;
use crate::config::public as status;
use crate::domain::filter::Val;
use crate::domain::glucose::{self, Reading};
use crate::domain::plugins;
use crate::domain::query::parse_int_js;
use crate::domain::time::now_ms;
use crate::domain::units::Units;
use crate::engine::snapshot::Snapshot;
use crate::error::ApiResult;

/// Nobody needs more than two days of readings on a watch.
const MAX_COUNT: u64 = 576;

pub fn router() -> Router<AppState> {
    // NightWatch asks for `/pebble/?units=..&count=..`.
    Router::new().route("/pebble", get(pebble)).route("/pebble/", get(pebble))
}

/// Spec 1.10: `count` (1) readings newest first, `units=mmol`; the first one carries `bgdelta`
/// and `battery`.
async fn pebble(State(state): State<AppState>, _: Allowed<PebbleRead>, RawQuery(raw): RawQuery) -> ApiResult<Response> {
    let params = query_string::parse(raw.as_deref().unwrap_or_default());
    let units = match query_string::first_str(&params, "units") {
        Some(u) => {
            if u == "mmol" {
                Units::Mmol
            } else {
                Units::MgDl
            }
        }
        None => state.config.units,
    };
    let count = match query_string::first_str(&params, "count").map(parse_int_js) {
        Some(Val::Int(n)) if n > 0 => (n as u64).min(MAX_COUNT),
        _ => 1,
    };
    let memory = state.engine.fresh().await;
    let build = || async { Rendered::json(&bgs(&state, memory.as_deref(), units, count).await?) };
    // The readings, kept with a current snapshot for a moment (`kept`); `now` is the request's.
    let bgs = match &memory {
        Some(snap) => kept::body(snap, &format!("pebble:{units:?}:{count}"), Some(CLOCK_BOUND_MS), build).await?,
        None => build().await?.body,
    };
    // `{"status":[{"now":..}],"bgs":[..],"cals":[]}`, as `JSON.stringify` writes it.
    let mut body = Vec::with_capacity(bgs.len() + 48);
    body.extend_from_slice(format!(r#"{{"status":[{{"now":{}}}],"bgs":"#, now_ms()).as_bytes());
    body.extend_from_slice(&bgs);
    body.extend_from_slice(br#","cals":[]}"#);
    Ok(([(header::CONTENT_TYPE, HeaderValue::from_static(JSON_UTF8))], body).into_response())
}

/// The `count` newest readings as watches get them; the first one carries `bgdelta`,
/// `battery` and the plugins' figures.
async fn bgs(state: &AppState, memory: Option<&Snapshot>, units: Units, count: u64) -> ApiResult<Vec<Value>> {
    let snap = snapshot::load(state, memory, count).await?;
    let mut bgs: Vec<Value> = snap.readings.iter().take(count as usize).map(|r| bg(r, units)).collect();
    if let Some(first) = bgs.first_mut() {
        let delta = glucose::delta(&glucose::buckets(&snap.readings), units).map_or(0.0, |d| d.scaled);
        first["bgdelta"] = match units {
            Units::Mmol => Value::String(glucose::fixed1(delta)),
            Units::MgDl => glucose::num(delta),
        };
        if let Some(b) = snapshot::latest_uploader(state, memory).await?.as_deref().and_then(pebble_battery) {
            first["battery"] = Value::String(b);
        }
        add_plugins(state, memory, &snap, first).await?;
    }
    Ok(bgs)
}

/// `addIOB`/`addCOB` (`lib/server/pebble.js`): with `iob` enabled, `iob` (the display string,
/// else 0) and the bolus wizard's `bwp`/`bwpo`; with `cob` enabled, `cob` (a number, else 0).
async fn add_plugins(
    state: &AppState,
    memory: Option<&Snapshot>,
    snap: &snapshot::Recent,
    first: &mut Value,
) -> ApiResult<()> {
    let enabled = status::enabled_features(&state.config);
    let (iob_on, cob_on) = (enabled.iter().any(|e| e == "iob"), enabled.iter().any(|e| e == "cob"));
    if !iob_on && !cob_on {
        return Ok(());
    }
    let data = snapshot::plugin_data(state, memory, snap.now).await?;
    let inp =
        plugins::inputs_of(&data.entries, &data.treatments, &data.devicestatus, data.profile.as_deref(), snap.now);
    let cx = plugins::Context::from_config(&state.config, &enabled);
    if iob_on {
        let iob = plugins::iob::total(&inp, inp.now);
        first["iob"] = if iob.iob.is_some() { Value::String(iob.display()) } else { json!(0) };
        let bwp = plugins::bwp::calc(&inp, &cx, &iob);
        for (from, to) in [("bolusEstimateDisplay", "bwp"), ("outcomeDisplay", "bwpo")] {
            if let Some(v) = bwp.get(from) {
                first[to] = v.clone();
            }
        }
    }
    if cob_on {
        let cob = plugins::cob::total(&inp);
        first["cob"] = cob.get("display").cloned().unwrap_or(json!(0));
    }
    Ok(())
}

/// `lib/server/pebble.js`: `uploader.battery` of the newest status with an uploader, as text,
/// when truthy and not negative. Nightscout's data loader has replaced `uploader` by
/// `{battery: uploaderBattery}` where that field exists (`lib/data/dataloader.js`), so
/// AndroidAPS' `uploaderBattery` wins over the `uploader.battery` beside it.
fn pebble_battery(doc: &crate::domain::Doc) -> Option<String> {
    let b = match doc.get("uploaderBattery") {
        Some(b) => b,
        None => doc.get("uploader")?.get("battery")?,
    };
    if !crate::domain::js::truthy(b) || !crate::domain::js::js_number(b).is_some_and(|x| x >= 0.0) {
        return None;
    }
    match b {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => n.as_f64().map(glucose::js_str),
        _ => None,
    }
}

fn bg(r: &Reading, units: Units) -> Value {
    let sgv = match units {
        Units::Mmol => glucose::fixed1(glucose::mgdl_to_mmol(r.mgdl)),
        Units::MgDl => glucose::js_str(r.mgdl),
    };
    let direction = r.direction.as_deref();
    json!({"sgv": sgv, "trend": glucose::trend(direction.unwrap_or_default()), "direction": direction,
        "datetime": r.mills})
}
