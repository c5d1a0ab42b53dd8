//! `/api/v3/version`, `/status`, `/lastModified` (`lib/api3/specific/*.js`).

use axum::extract::State;
use axum::response::Response;
use serde_json::{Map, Value, json};

use super::auth::V3Caller;
use super::{COLLECTIONS, V3Result, ok};
use crate::app::AppState;
use crate::config::public::NIGHTSCOUT_VERSION;
use crate::domain::filter::{Dir, Filter, Query};
use crate::domain::time::now_ms;
use crate::domain::v3::fallback_date_field;
use crate::domain::{Collection, Doc};
use crate::write::v3::modified_ms;

const API_VERSION: &str = "3.0.3-alpha";

fn version_info(state: &AppState) -> Map<String, Value> {
    let info = json!({
        "version": NIGHTSCOUT_VERSION,
        "apiVersion": API_VERSION,
        "srvDate": now_ms(),
        "storage": {"storage": state.store.backend(), "version": env!("CARGO_PKG_VERSION")},
    });
    info.as_object().cloned().unwrap_or_default()
}

/// `GET /version`, without authentication.
pub async fn version(State(state): State<AppState>) -> Response {
    ok(Value::Object(version_info(&state)))
}

/// `GET /status`: the version and, per collection, the caller's `c r u d` letters.
pub async fn status(State(state): State<AppState>, who: V3Caller) -> Response {
    let mut info = version_info(&state);
    let mut perms = Map::new();
    for coll in COLLECTIONS {
        let letters: String = [("c", "create"), ("r", "read"), ("u", "update"), ("d", "delete")]
            .iter()
            .filter(|(_, op)| who.can(coll, op))
            .map(|(l, _)| *l)
            .collect();
        if !letters.is_empty() {
            perms.insert(coll.default_name().into(), Value::String(letters));
        }
    }
    if who.caller.can("api:settings:admin") {
        perms.insert("settings".into(), Value::String("crud".into()));
    }
    info.insert("apiPermissions".into(), Value::Object(perms));
    ok(Value::Object(info))
}

/// The newest modification of a collection, deletions included: the newest `srvModified`, or
/// the newest date of documents written before stamps existed.
async fn last_modified_of(state: &AppState, coll: Collection) -> V3Result<Option<i64>> {
    let newest = |field: &str| Query::new(Filter::All).sort(field, Dir::Desc).limit(Some(1));
    let mut found: Vec<Doc> = state.store.find(coll, &newest("srvModified")).await?;
    found.extend(state.store.find(coll, &newest(fallback_date_field(coll))).await?);
    found.extend(state.store.buried(coll, &newest("srvModified")).await?);
    let date = |d: &Doc| crate::domain::time::field_ms(d, fallback_date_field(coll));
    Ok(found.iter().filter_map(|d| modified_ms(coll, d).max(date(d))).max())
}

/// `GET /lastModified`: per readable collection, the newest modification (ms).
pub async fn last_modified(State(state): State<AppState>, who: V3Caller) -> V3Result<Response> {
    let mut cols = Map::new();
    for coll in COLLECTIONS {
        if who.can(coll, "read")
            && let Some(ms) = last_modified_of(&state, coll).await?
        {
            cols.insert(coll.default_name().into(), ms.into());
        }
    }
    Ok(ok(json!({"srvDate": now_ms(), "collections": cols})))
}
