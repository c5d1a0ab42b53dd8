//! The recent data `/pebble` and `/api/v2/properties` compute from (Nightscout reads it from its
//! in-memory `ddata`): the newest sgv readings, the recent devicestatus documents and what the
//! plugins read. Answered from the engine's snapshot when the caller has a current one
//! (`Engine::fresh`), else from the store, with the same documents.

use std::sync::Arc;

use crate::app::AppState;
use crate::domain::filter::{Cond, Dir, Filter, Query, Val};
use crate::domain::glucose::Reading;
use crate::domain::time::{now_ms, to_iso_utc};
use crate::domain::{Collection, Doc};
use crate::engine::Shared;
use crate::engine::snapshot::Snapshot;
use crate::error::ApiResult;

/// Nightscout keeps two days of entries in memory.
const READINGS_WINDOW_MS: i64 = 2 * 24 * 3600 * 1000;
/// Enough readings for the four 5-minute delta buckets even at one reading a minute.
const MIN_READINGS: u64 = 60;
/// How far in the future a reading may be dated and still count as current.
const CLOCK_SKEW_MS: i64 = 5 * 60_000;
/// More devicestatus documents than `upbat` needs (30 minutes of a rig and a phone).
const MAX_STATUSES: u64 = 200;
/// `upbat` looks at the last 30 minutes of devicestatus.
pub const DEVICESTATUS_WINDOW_MS: i64 = 30 * 60_000;

pub struct Recent {
    pub now: i64,
    /// Newest first.
    pub readings: Vec<Reading>,
    /// Newest first, within `DEVICESTATUS_WINDOW_MS`.
    pub devicestatus: Vec<Shared>,
}

/// Loads at least `count` readings (and enough for a delta) and the recent devicestatus, from
/// `memory` (a current snapshot) when given.
pub async fn load(state: &AppState, memory: Option<&Snapshot>, count: u64) -> ApiResult<Recent> {
    let now = now_ms();
    let limit = count.max(MIN_READINGS);
    let since = to_iso_utc(now - DEVICESTATUS_WINDOW_MS).unwrap_or_default();
    let memory = memory.and_then(|snap| {
        let sgvs = snap.sgvs_since(now - READINGS_WINDOW_MS, limit as usize, now)?;
        Some((sgvs, snap.devicestatus_since(&since, MAX_STATUSES as usize, now)?))
    });
    let (sgvs, devicestatus) = match memory {
        Some(m) => {
            state.engine.served_from_memory();
            m
        }
        None => {
            let sgvs = Filter::field("sgv", Cond::Exists(true))
                .and(Filter::field("mbg", Cond::Exists(false)))
                .and(Filter::field("date", Cond::Gte(Val::Int(now - READINGS_WINDOW_MS))));
            let q = Query::new(sgvs).sort("date", Dir::Desc).limit(Some(limit));
            let sgvs = shared(state.store.find(Collection::Entries, &q).await?);
            let q = Query::new(Filter::field("created_at", Cond::Gte(Val::Str(since))))
                .sort("created_at", Dir::Desc)
                .limit(Some(MAX_STATUSES));
            (sgvs, shared(state.store.find(Collection::DeviceStatus, &q).await?))
        }
    };
    let mut readings: Vec<Reading> = sgvs.iter().filter_map(|d| Reading::from_entry(d)).collect();
    // Nightscout drops readings dated after now; a few minutes of uploader clock skew are
    // tolerated here, so a fast phone clock does not hide the current reading from watches.
    readings.retain(|r| r.mills <= now + CLOCK_SKEW_MS);
    readings.sort_by_key(|r| std::cmp::Reverse(r.mills));
    Ok(Recent { now, readings, devicestatus })
}

fn shared(docs: Vec<Doc>) -> Vec<Shared> {
    docs.into_iter().map(Arc::new).collect()
}

/// The newest devicestatus from an uploader (`uploader`, or `uploaderBattery`, which Nightscout's
/// data loader turns into `uploader`), of any age: `/pebble`'s `findLast`.
pub async fn latest_uploader(state: &AppState, memory: Option<&Snapshot>) -> ApiResult<Option<Shared>> {
    if let Some(d) = memory.and_then(|s| s.latest_uploader()) {
        state.engine.served_from_memory();
        return Ok(Some(d));
    }
    let f = Filter::Or(vec![
        Filter::field("uploader", Cond::Exists(true)),
        Filter::field("uploaderBattery", Cond::Exists(true)),
    ]);
    let q = Query::new(f).sort("created_at", Dir::Desc).limit(Some(1));
    Ok(state.store.find(Collection::DeviceStatus, &q).await?.pop().map(Arc::new))
}

/// The newest `n` documents of `coll` as a v1 listing without `find` gives them (entries and
/// devicestatus), from memory; `None` sends the read to the store.
pub async fn newest(state: &AppState, coll: Collection, n: Option<u64>) -> Option<(Arc<Snapshot>, Vec<Shared>)> {
    let n = usize::try_from(n?).ok()?;
    let snap = state.engine.fresh().await?;
    let docs = match coll {
        Collection::Entries => snap.newest_entries(n, now_ms()),
        Collection::DeviceStatus => snap.newest_devicestatus(n, now_ms()),
        _ => None,
    }?;
    state.engine.served_from_memory();
    Some((snap, docs))
}

/// The recent documents the plugins compute from (`domain::plugins::inputs_of` borrows them):
/// the newest sgvs and calibration, the treatments and profile windows the engine keeps, and 6
/// hours of devicestatus (the loop plugins' window).
pub struct PluginData {
    pub entries: Vec<Shared>,
    pub treatments: Vec<Shared>,
    pub devicestatus: Vec<Shared>,
    pub profile: Option<Shared>,
}

/// `loop` and `openaps` look back 6 hours.
const PLUGIN_DEVICESTATUS_MS: i64 = 6 * 3600 * 1000;
/// A rig and a phone uploading every 5 minutes for 6 hours, with room to spare.
const PLUGIN_MAX_STATUSES: u64 = 500;

/// Reads `PluginData`: from `memory` (a current snapshot) when given, but for the newest
/// calibration, which may be older than any window; else from the store.
pub async fn plugin_data(state: &AppState, memory: Option<&Snapshot>, now: i64) -> ApiResult<PluginData> {
    let store = &*state.store;
    let since = to_iso_utc(now - PLUGIN_DEVICESTATUS_MS).unwrap_or_default();
    let q = Query::new(Filter::eq("type", Val::Str("cal".into()))).sort("date", Dir::Desc).limit(Some(1));
    let cal = shared(store.find(Collection::Entries, &q).await?);
    if let Some(snap) = memory
        && let Some(mut entries) = snap.sgvs_since(now - READINGS_WINDOW_MS, MIN_READINGS as usize, now)
        && let Some(devicestatus) = snap.devicestatus_since(&since, PLUGIN_MAX_STATUSES as usize, now)
    {
        entries.extend(cal);
        let (treatments, profile) = (snap.treatments.clone(), snap.profile.clone());
        return Ok(PluginData { entries, treatments, devicestatus, profile });
    }
    let sgvs = Filter::field("sgv", Cond::Exists(true))
        .and(Filter::field("mbg", Cond::Exists(false)))
        .and(Filter::field("date", Cond::Gte(Val::Int(now - READINGS_WINDOW_MS))));
    let q = Query::new(sgvs).sort("date", Dir::Desc).limit(Some(MIN_READINGS));
    let mut entries = shared(store.find(Collection::Entries, &q).await?);
    entries.extend(cal);
    let mut snap = Snapshot::default();
    crate::engine::snapshot::load(store, Collection::Treatments, now, &mut snap).await?;
    crate::engine::snapshot::load(store, Collection::Profile, now, &mut snap).await?;
    let q = Query::new(Filter::field("created_at", Cond::Gte(Val::Str(since))))
        .sort("created_at", Dir::Desc)
        .limit(Some(PLUGIN_MAX_STATUSES));
    let devicestatus = shared(store.find(Collection::DeviceStatus, &q).await?);
    Ok(PluginData { entries, treatments: snap.treatments, devicestatus, profile: snap.profile })
}
