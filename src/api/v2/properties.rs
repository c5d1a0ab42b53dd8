//! `GET /api/v2/properties[/names]` (`lib/api2/properties.js`; spec 1.11): the server's plugin
//! properties followers read: `bgnow`, `delta`, `buckets`, `direction`, `upbat`, `dbsize`, `runtimestate`,
//! and the enabled plugins' (`iob`, `cob`, `basal`, `pump`, `loop`, `openaps`, `cage`, `sage`,
//! `iage`, `bage`, `ar2`, `rawbg`, `bwp`; `domain::plugins`).

use crate::api::json::Json;
use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Map, Value, json};

use crate::api::permit::{Allowed, PropertiesRead};
use crate::api::{query_string, snapshot};
use crate::app::AppState;
use crate::config::public as status;
use crate::domain::{glucose, plugins, properties};
use crate::error::ApiResult;

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v2/properties", get(all)).route("/api/v2/properties/{names}", get(named))
}

async fn all(state: State<AppState>, _: Allowed<PropertiesRead>, raw: RawQuery) -> ApiResult<Response> {
    answer(state, None, raw).await
}

async fn named(
    state: State<AppState>,
    _: Allowed<PropertiesRead>,
    Path(names): Path<String>,
    raw: RawQuery,
) -> ApiResult<Response> {
    answer(state, Some(names), raw).await
}

/// Spec 1.11: every property, or the comma-separated ones asked for; `?pretty` indents.
async fn answer(State(state): State<AppState>, names: Option<String>, RawQuery(raw): RawQuery) -> ApiResult<Response> {
    let props = compute(&state).await?;
    let props: Map<String, Value> = match names {
        Some(n) => {
            let wanted: Vec<&str> = n.split(',').map(str::trim).collect();
            props.into_iter().filter(|(k, _)| wanted.contains(&k.as_str())).collect()
        }
        None => props,
    };
    let pretty = query_string::parse(raw.as_deref().unwrap_or_default()).contains_key("pretty");
    Ok(if pretty {
        let text = serde_json::to_string_pretty(&props).unwrap_or_default();
        ([(header::CONTENT_TYPE, "application/json; charset=utf-8")], text).into_response()
    } else {
        Json(props).into_response()
    })
}

async fn compute(state: &AppState) -> ApiResult<Map<String, Value>> {
    let units = state.config.units;
    let snap = snapshot::load(state, 0).await?;
    let mut out = Map::new();
    let buckets = glucose::buckets(&snap.readings);
    // As Nightscout: `{}`, `null` and `{display: null}` when there is no reading; the direction
    // is the newest reading's however old (its age is in `bgnow.mills`).
    let bgnow = glucose::recent(&buckets).map_or_else(|| json!({}), |b| b.to_json(units));
    out.insert("bgnow".into(), bgnow);
    out.insert("delta".into(), glucose::delta(&buckets, units).map_or(Value::Null, |d| d.to_json(units)));
    out.insert("buckets".into(), buckets.iter().map(|b| b.to_property_json(units)).collect());
    out.insert("direction".into(), glucose::direction_info(snap.readings.first()));
    let up = &state.config.plugins.upbat;
    out.insert("upbat".into(), properties::upbat_with(&snap.devicestatus, up.warn, up.urgent));
    let stats = state.store.stats().await?;
    out.insert("dbsize".into(), properties::dbsize(stats.data_size, stats.index_size, state.config.dbsize_max_mib));
    out.insert("runtimestate".into(), json!({"state": "loaded"}));
    let data = snapshot::plugin_data(state, snap.now).await?;
    let inp =
        plugins::inputs_of(&data.entries, &data.treatments, &data.devicestatus, data.profile.as_deref(), snap.now);
    let enabled = status::enabled_features(&state.config);
    let cx = plugins::Context::from_config(&state.config, &enabled);
    let bgnow = glucose::recent(&buckets).and_then(|b| Some((b.mean?, b.mills?)));
    let mean5 = glucose::delta(&buckets, units).map(|d| d.mean5_mins_ago);
    out.extend(plugins::properties(&inp, &cx, bgnow, mean5));
    Ok(out)
}
