//! What a bridge reads from the store: where a (re)started bridge resumes from. Writes go through `crate::write` (`Writer::create_entries`, the
//! rules of an uploader's `POST /api/v1/entries`), so sockets, alarms and `/storage` see them.

use serde_json::Value;

use crate::domain::filter::{Cond, Dir, Filter, Query, Val};
use crate::domain::{Collection, Doc};
use crate::store::{Store, StoreResult};

/// How far back a bridge reaches (nightscout-connect: two days).
pub const MAX_BACKFILL_MS: i64 = 2 * 24 * 3600 * 1000;
/// Readings dated further ahead of our clock than this are not believed.
pub const MAX_AHEAD_MS: i64 = 3600 * 1000;

fn sgv_between(from: i64, to: i64) -> Filter {
    Filter::eq("type", Val::Str("sgv".into()))
        .and(Filter::field("date", Cond::Gte(Val::Int(from))))
        .and(Filter::field("date", Cond::Lte(Val::Int(to))))
}

/// The newest stored reading within the backfill window (none: start two days back).
pub async fn newest_reading(store: &dyn Store, now: i64) -> StoreResult<Option<i64>> {
    let q = Query::new(sgv_between(now - MAX_BACKFILL_MS, now + MAX_AHEAD_MS)).sort("date", Dir::Desc).limit(Some(1));
    Ok(store.find(Collection::Entries, &q).await?.first().and_then(date_of))
}

pub fn date_of(d: &Doc) -> Option<i64> {
    match d.get("date")? {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|x| x as i64)),
        _ => None,
    }
}
