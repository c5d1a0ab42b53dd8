//! Recent reads memory answers with exactly the documents the store would give: the common
//! `entries.json` / `devicestatus.json` listings, `entries/current`, and the recent data of
//! `/pebble` and `/api/v2/properties`. Each mirrors its store query (same fields, same
//! comparisons, same order) and gives `None` where memory cannot be sure it holds the same answer
//! (too few documents in the window, or equal sort keys the store may order either way); the read
//! then goes to the store.

use serde_json::Value;

use super::snapshot::{DEVICESTATUS_WINDOW, ENTRIES_WINDOW, Shared, Snapshot};
use crate::domain::Doc;
use crate::domain::time::to_iso_utc;

fn date(d: &Doc) -> Option<f64> {
    d.get("date").and_then(Value::as_f64)
}

fn created_at(d: &Doc) -> Option<&str> {
    d.get("created_at").and_then(Value::as_str)
}

/// The first `n` of `sorted` (newest first by `key`), if they are certain: at least `n`, the
/// `n`-th still inside the window (`at_least`), and no two of the first `n + 1` with equal keys.
fn certain<'a, K: PartialOrd>(
    sorted: &'a [Shared],
    key: impl Fn(&'a Doc) -> K,
    n: usize,
    at_least: K,
) -> Option<Vec<Shared>> {
    if n == 0 || sorted.len() < n || key(&sorted[n - 1]) < at_least {
        return None;
    }
    let head = &sorted[..sorted.len().min(n + 1)];
    if head.windows(2).any(|w| key(&w[0]) <= key(&w[1])) {
        return None;
    }
    Some(sorted[..n].to_vec())
}

impl Snapshot {
    /// Entries with a numeric `date`, newest first (a stable sort of the window, once per
    /// snapshot).
    fn entries_desc(&self) -> &[Shared] {
        self.derived.entries_desc.get_or_init(|| {
            let mut v: Vec<Shared> = self.entries.iter().filter(|d| date(d).is_some()).cloned().collect();
            v.sort_by(|a, b| date(b).unwrap_or(f64::MIN).total_cmp(&date(a).unwrap_or(f64::MIN)));
            v
        })
    }

    /// Devicestatus with a string `created_at`, newest first (stable, once per snapshot).
    fn devicestatus_desc(&self) -> &[Shared] {
        self.derived.devicestatus_desc.get_or_init(|| {
            let mut v: Vec<Shared> = self.devicestatus.iter().filter(|d| created_at(d).is_some()).cloned().collect();
            v.sort_by(|a, b| created_at(b).cmp(&created_at(a)));
            v
        })
    }

    /// The newest `n` entries, newest first: `GET /api/v1/entries?count=n` without `find` (its
    /// query: `date >= now - 4 days`, sorted by `date` descending, limit `n`).
    pub fn newest_entries(&self, n: usize, now: i64) -> Option<Vec<Shared>> {
        certain(self.entries_desc(), |d| date(d).unwrap_or(f64::MIN), n, (now - ENTRIES_WINDOW) as f64)
    }

    /// The newest `n` devicestatus, newest first: `GET /api/v1/devicestatus?count=n` without
    /// `find` (`created_at >= now - 4 days` as strings, sorted by `created_at` descending).
    pub fn newest_devicestatus(&self, n: usize, now: i64) -> Option<Vec<Shared>> {
        let since = to_iso_utc(now - DEVICESTATUS_WINDOW)?;
        certain(self.devicestatus_desc(), |d| created_at(d).unwrap_or_default(), n, since.as_str())
    }

    /// sgv readings (`sgv` present, `mbg` absent) dated at or after `since`, newest first, at
    /// most `limit`: what `/pebble` and `/api/v2/properties` read. `None` when `since` is
    /// before the window.
    pub fn sgvs_since(&self, since: i64, limit: usize, now: i64) -> Option<Vec<Shared>> {
        if since < now - ENTRIES_WINDOW {
            return None;
        }
        let v = self.entries_desc().iter().filter(|d| d.contains_key("sgv") && !d.contains_key("mbg"));
        Some(v.take_while(|d| date(d).is_some_and(|t| t >= since as f64)).take(limit).cloned().collect())
    }

    /// Devicestatus with `created_at` at or after `since` (ISO, compared as strings), newest
    /// first, at most `limit`. `None` when `since` is before the window.
    pub fn devicestatus_since(&self, since: &str, limit: usize, now: i64) -> Option<Vec<Shared>> {
        if since < to_iso_utc(now - DEVICESTATUS_WINDOW)?.as_str() {
            return None;
        }
        let v = self.devicestatus_desc().iter().take_while(|d| created_at(d).is_some_and(|c| c >= since));
        Some(v.take(limit).cloned().collect())
    }

    /// The newest devicestatus from an uploader (`uploader` or `uploaderBattery`), when the
    /// window holds one (the store's newest then is in the window too).
    pub fn latest_uploader(&self) -> Option<Shared> {
        self.devicestatus
            .iter()
            .filter(|d| d.contains_key("uploader") || d.contains_key("uploaderBattery"))
            .filter_map(|d| Some((created_at(d)?, d)))
            .max_by_key(|e| e.0)
            .map(|(_, d)| Shared::clone(d))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::sync::Arc;

    fn doc(v: Value) -> Shared {
        Arc::new(v.as_object().cloned().unwrap())
    }

    #[test]
    fn newest_entries_come_from_memory_only_when_certain() {
        let now = 10 * ENTRIES_WINDOW;
        let mut snap = Snapshot::default();
        snap.entries = (0..5).map(|i| doc(json!({"_id": i, "date": now - i * 300_000}))).collect();
        let got = snap.newest_entries(3, now).unwrap();
        assert_eq!(got.iter().map(|d| d["_id"].clone()).collect::<Vec<_>>(), vec![json!(0), json!(1), json!(2)]);
        assert!(snap.newest_entries(6, now).is_none(), "more than the window holds");
        assert!(snap.newest_entries(0, now).is_none(), "count=0 is every entry of 4 days");
        // A write makes a new snapshot (a copy starts without the sorted views).
        let mut next = snap.clone();
        next.entries.push(doc(json!({"_id": 9, "date": now - 2 * 300_000})));
        assert!(next.newest_entries(3, now).is_none(), "a tie the store may order either way");
        assert!(next.newest_entries(2, now).is_some());
    }

    #[test]
    fn devicestatus_compares_created_at_as_the_store_does() {
        let now = 10 * ENTRIES_WINDOW;
        let mut snap = Snapshot::default();
        snap.devicestatus = (0..3)
            .map(|i| doc(json!({"_id": i, "created_at": to_iso_utc(now - i * 60_000).unwrap(), "uploaderBattery": i})))
            .collect();
        let got = snap.newest_devicestatus(2, now).unwrap();
        assert_eq!(got[0]["_id"], 0);
        assert_eq!(snap.latest_uploader().unwrap()["_id"], 0);
        let since = to_iso_utc(now - 90_000).unwrap();
        assert_eq!(snap.devicestatus_since(&since, 10, now).unwrap().len(), 2);
    }
}
