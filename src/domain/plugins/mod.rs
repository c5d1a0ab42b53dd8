//! Nightscout's server plugins (`lib/plugins/*.js`) as pure functions: recent entries,
//! treatments, devicestatus and the profile in, the `sbx.properties` values out, with
//! Nightscout's names and shapes (what `/api/v2/properties` answers). No I/O here.

use serde_json::{Map, Value};
use std::borrow::Borrow;

use super::Doc;
use super::glucose::{Reading, Units};
use super::js::{js_number, json_number};
use super::time::{parse_epoch_ms_or_zoned, to_iso_utc};
pub use settings::PluginSettings;

pub mod ages;
pub mod ar2;
pub mod basal;
pub mod bwp;
pub mod cob;
#[cfg(test)]
pub mod fixtures;
pub mod iob;
pub mod loop_status;
pub mod notify;
pub mod openaps;
pub mod profile;
pub mod pump;
pub mod rawbg;
pub mod settings;

pub use profile::Profile;

/// The recent data the plugins read, in Nightscout's runtime form (`mills` on every document;
/// devicestatus borrowed from the caller with their `mills` beside them).
pub struct Inputs<'a> {
    pub now: i64,
    /// Sgv readings dated up to now (5 minutes of clock skew allowed), newest first.
    pub readings: Vec<Reading>,
    /// The stored document of the newest reading (`filtered`, `unfiltered`, `noise`).
    pub last_sgv: Option<Doc>,
    /// Calibrations (`type: cal`), oldest first.
    pub cals: Vec<Doc>,
    /// Oldest first, each with `mills` (and `endmills` when it has a duration).
    pub treatments: Vec<Doc>,
    /// Oldest first.
    pub devicestatus: Vec<Status<'a>>,
    pub profile: Option<Profile>,
}

/// A devicestatus as the plugins read it: the stored document (borrowed, not copied: a
/// looper's carry four prediction curves each) and its `mills`.
#[derive(Clone, Copy)]
pub struct Status<'a> {
    pub mills: i64,
    pub doc: &'a Doc,
}

impl Status<'_> {
    /// The runtime form (`mills` added), for an answer that shows the whole document.
    pub fn runtime(&self) -> Doc {
        let mut d = self.doc.clone();
        d.insert("mills".into(), self.mills.into());
        d
    }
}

/// What the plugins need besides the data: display units, thresholds, settings, which
/// plugins are enabled (`ENABLE` plus the defaults).
pub struct Context<'a> {
    pub units: Units,
    pub thresholds: crate::domain::units::Thresholds,
    pub settings: &'a PluginSettings,
    pub enabled: &'a [String],
    /// `ALARM_HIGH` / `ALARM_LOW` (for the AR2 event name).
    pub alarm_high: bool,
    pub alarm_low: bool,
    /// `SHOW_RAWBG`: `never`, `always` or `noise`.
    pub show_rawbg: String,
    /// Notification text in the server's `LANGUAGE`.
    pub tr: crate::domain::i18n::Tr,
}

impl<'a> Context<'a> {
    pub fn enabled(&self, plugin: &str) -> bool {
        self.enabled.iter().any(|e| e == plugin)
    }
}

/// Epoch ms of a time field that may be a number or a date string.
pub fn millis(doc: &Doc, field: &str) -> Option<i64> {
    match doc.get(field)? {
        Value::Number(n) => n.as_f64().map(|x| x as i64),
        Value::String(s) => parse_epoch_ms_or_zoned(s).map(|t| t.epoch_ms),
        _ => None,
    }
}

/// A moment as JSON serialises it: `2024-01-01T10:00:00.000Z`.
pub fn iso(ms: i64) -> Value {
    to_iso_utc(ms).map_or(Value::Null, Value::String)
}

/// JavaScript `Number(x)` of a field; `None` for missing or NaN.
pub fn number(doc: &Doc, field: &str) -> Option<f64> {
    doc.get(field).filter(|v| !v.is_null()).and_then(js_number)
}

/// JavaScript `x.toFixed(digits)`.
pub fn fixed(x: f64, digits: i32) -> String {
    let m = 10f64.powi(digits);
    let s = format!("{:.*}", digits as usize, crate::domain::js::js_round(x * m) / m);
    if s.starts_with('-') && s[1..].bytes().all(|b| b == b'0' || b == b'.') { s[1..].to_owned() } else { s }
}

pub fn num(x: f64) -> Value {
    json_number(x)
}

/// A reading from a phone whose clock runs a few minutes fast still counts as current (as
/// `/pebble` and `/api/v2/properties` take it), so its alarm is not missed.
const CLOCK_SKEW_MS: i64 = 5 * 60_000;

/// The plugins look back 6 hours at most (`loop`, `openaps`; `pump` 2 × `PUMP_URGENT_CLOCK`,
/// so a clock limit over 3 hours is capped here); older devicestatus is not copied.
const DEVICESTATUS_WINDOW_MS: i64 = 6 * 3_600_000;

/// `inputs_of` for plain documents (the tests' fixtures).
#[cfg(test)]
pub fn inputs<'a>(
    entries: &[Doc],
    treatments: &[Doc],
    devicestatus: &'a [Doc],
    profile: Option<&Doc>,
    now: i64,
) -> Inputs<'a> {
    inputs_of(entries, treatments, devicestatus, profile, now)
}

/// The adapter from stored documents (any order) to the plugins' inputs: the one place that
/// says where the data comes from, so the caller can hand over the engine's windows.
pub fn inputs_of<'a, E: Borrow<Doc>, T: Borrow<Doc>, S: Borrow<Doc>>(
    entries: &[E],
    treatments: &[T],
    devicestatus: &'a [S],
    profile: Option<&Doc>,
    now: i64,
) -> Inputs<'a> {
    let mut readings: Vec<(Reading, &Doc)> = entries
        .iter()
        .map(Borrow::borrow)
        .filter(|e| !e.contains_key("mbg"))
        .filter_map(|e| Reading::from_entry(e).map(|r| (r, e)))
        .filter(|(r, _)| r.mills <= now + CLOCK_SKEW_MS)
        .collect();
    readings.sort_by_key(|(r, _)| std::cmp::Reverse(r.mills));
    let last_sgv = readings.first().map(|(_, d)| (*d).clone());
    let readings = readings.into_iter().map(|(r, _)| r).collect();
    let mut cals: Vec<Doc> = entries
        .iter()
        .map(Borrow::borrow)
        .filter(|e| e.get("type").and_then(Value::as_str) == Some("cal"))
        .map(|e| {
            let mut c = e.clone();
            let ms = millis(e, "date").or_else(|| millis(e, "dateString"));
            c.insert("mills".into(), ms.map_or(Value::Null, Value::from));
            c
        })
        .collect();
    cals.sort_by_key(|c| c.get("mills").and_then(Value::as_i64).unwrap_or(0));
    let mut treatments: Vec<Doc> = treatments.iter().map(Borrow::borrow).filter_map(runtime_treatment).collect();
    treatments.sort_by_key(mills_of);
    let mut statuses: Vec<Status<'a>> = devicestatus
        .iter()
        .map(Borrow::borrow)
        .filter_map(|doc| {
            let mills = millis(doc, "created_at").filter(|ms| *ms >= now - DEVICESTATUS_WINDOW_MS)?;
            Some(Status { mills, doc })
        })
        .collect();
    statuses.sort_by_key(|s| s.mills);
    let profile = profile.and_then(|p| Profile::new(p, &treatments));
    Inputs { now, readings, last_sgv, cals, treatments, devicestatus: statuses, profile }
}

/// `mills` of a runtime document (0 when missing).
pub fn mills_of(doc: &Doc) -> i64 {
    doc.get("mills").and_then(Value::as_i64).unwrap_or(0)
}

/// A treatment's runtime form: `mills` from `created_at`, `duration` from
/// `durationInMilliseconds`, `absolute` from `amount`, `isAnnouncement`.
fn runtime_treatment(t: &Doc) -> Option<Doc> {
    let mut t = t.clone();
    let ms = millis(&t, "created_at")?;
    t.insert("mills".into(), ms.into());
    if !t.contains_key("duration")
        && let Some(d) = number(&t, "durationInMilliseconds")
    {
        t.insert("duration".into(), num(d / 60_000.0));
    }
    if let Some(d) = number(&t, "duration") {
        t.insert("endmills".into(), (ms + (d * 60_000.0) as i64).into());
    }
    if !t.contains_key("absolute")
        && let Some(a) = t.get("amount").cloned()
    {
        t.insert("absolute".into(), a);
    }
    if t.get("eventType").and_then(Value::as_str) == Some("Announcement") {
        t.insert("isAnnouncement".into(), true.into());
    }
    Some(t)
}

/// Every enabled plugin's property, keyed by plugin name. `bgnow`/`delta` (for AR2 and BWP)
/// are passed in as computed by `domain::glucose`.
pub fn properties(
    inp: &Inputs,
    cx: &Context,
    bgnow_mean: Option<(f64, i64)>,
    mean5: Option<f64>,
) -> Map<String, Value> {
    let mut out = Map::new();
    let s = cx.settings;
    if cx.enabled("iob") || cx.enabled("bwp") {
        let v = iob::total(inp, inp.now);
        if cx.enabled("iob") {
            out.insert("iob".into(), v.to_json());
        }
        if cx.enabled("bwp") {
            out.insert("bwp".into(), bwp::calc(inp, cx, &v));
        }
    }
    if cx.enabled("cob") {
        out.insert("cob".into(), cob::total(inp));
    }
    if cx.enabled("basal")
        && let Some(b) = basal::property(inp)
    {
        out.insert("basal".into(), b);
    }
    if cx.enabled("pump") {
        out.insert("pump".into(), pump::property(inp, &s.pump, s));
    }
    if cx.enabled("loop") {
        out.insert("loop".into(), loop_status::property(inp, &s.loop_));
    }
    if cx.enabled("openaps") {
        out.insert("openaps".into(), openaps::property(inp, &s.openaps));
    }
    for (name, prefs) in [("cage", &s.cage), ("iage", &s.iage), ("bage", &s.bage)] {
        if cx.enabled(name) {
            out.insert(name.into(), ages::single(inp, ages::Kind::of(name), prefs));
        }
    }
    if cx.enabled("sage") {
        out.insert("sage".into(), ages::sage(inp, &s.sage));
    }
    if cx.enabled("ar2") {
        out.insert("ar2".into(), ar2::property(bgnow_mean, mean5, cx));
    }
    if cx.enabled("rawbg") {
        out.insert("rawbg".into(), rawbg::property(inp, cx));
    }
    out
}
