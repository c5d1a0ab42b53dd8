//! The one place that converts units and computes delta and direction, for every endpoint
//! (`/pebble`, `/api/v2/properties`) and later the socket payloads and the dashboard.
//! Sources: `lib/units.js`, `lib/plugins/bgnow.js`, `lib/plugins/direction.js`, `lib/server/pebble.js`.

use serde_json::{Value, json};

use super::Doc;
use super::js::{js_number, js_round};
pub use super::units::{MMOL_TO_MGDL, Units};

/// Below this an sgv is a CGM error code, not a reading.
pub const ERROR_BELOW: f64 = 39.0;
const BUCKET_MS: i64 = 5 * 60_000;
const BUCKET_OFFSET_MS: i64 = 150_000;
const BUCKETS: i64 = 4;

/// `mgdlToMMOL` as a number: one decimal.
pub fn mgdl_to_mmol(mgdl: f64) -> f64 {
    js_round(mgdl / MMOL_TO_MGDL * 10.0) / 10.0
}

/// `mmolToMgdl`: a whole mg/dL.
pub fn mmol_to_mgdl(mmol: f64) -> f64 {
    js_round(mmol * MMOL_TO_MGDL)
}

/// A mg/dL value in the display units (mmol with one decimal).
pub fn scale(mgdl: f64, units: Units) -> f64 {
    match units {
        Units::Mmol => mgdl_to_mmol(mgdl),
        Units::MgDl => mgdl,
    }
}

/// `roundBGToDisplayFormat`: one decimal in mmol, whole in mg/dL.
pub fn round_display(x: f64, units: Units) -> f64 {
    match units {
        Units::Mmol => js_round(x * 10.0) / 10.0,
        Units::MgDl => js_round(x),
    }
}

/// JavaScript's `toFixed(1)`.
pub fn fixed1(x: f64) -> String {
    let s = format!("{:.1}", js_round(x * 10.0) / 10.0);
    if s == "-0.0" { "0.0".into() } else { s }
}

/// A number as JavaScript prints it (`5`, `-0.3`).
pub fn js_str(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 { format!("{}", x as i64) } else { format!("{x}") }
}

/// A JSON number, whole values as integers.
pub fn num(x: f64) -> Value {
    super::js::json_number(x)
}

/// The arrow for a direction name; unknown names give `-`.
pub fn arrow(direction: &str) -> &'static str {
    match direction {
        "NONE" => "⇼",
        "TripleUp" => "⤊",
        "DoubleUp" => "⇈",
        "SingleUp" => "↑",
        "FortyFiveUp" => "↗",
        "Flat" => "→",
        "FortyFiveDown" => "↘",
        "SingleDown" => "↓",
        "DoubleDown" => "⇊",
        "TripleDown" => "⤋",
        "RATE OUT OF RANGE" => "⇕",
        _ => "-",
    }
}

/// The pebble trend number for a direction name (unknown gives 8, NOT COMPUTABLE).
pub fn trend(direction: &str) -> u8 {
    match direction {
        "NONE" => 0,
        "DoubleUp" => 1,
        "SingleUp" => 2,
        "FortyFiveUp" => 3,
        "Flat" => 4,
        "FortyFiveDown" => 5,
        "SingleDown" => 6,
        "DoubleDown" => 7,
        "RATE OUT OF RANGE" => 9,
        _ => 8,
    }
}

/// The `direction` property of the newest reading: `{display, value, label, entity}`.
pub fn direction_info(last: Option<&Reading>) -> Value {
    let Some(r) = last else { return json!({"display": null}) };
    let label = arrow(r.direction.as_deref().unwrap_or_default());
    let entity = label.chars().next().map(|c| format!("&#{};", c as u32)).unwrap_or_default();
    let mut v = json!({"display": null, "label": label, "entity": entity});
    if let Some(d) = &r.direction {
        v["value"] = Value::String(d.clone());
    }
    v
}

/// One sgv in its runtime form.
#[derive(Debug, Clone, PartialEq)]
pub struct Reading {
    pub id: Option<String>,
    pub mills: i64,
    pub mgdl: f64,
    pub direction: Option<String>,
    pub device: Option<Value>,
}

impl Reading {
    /// An entry with a numeric `sgv` and a time (`date`, else `dateString`).
    pub fn from_entry(doc: &Doc) -> Option<Reading> {
        let mgdl = doc.get("sgv").and_then(js_number)?;
        let mills = match doc.get("date").and_then(js_number) {
            Some(ms) => ms as i64,
            None => super::Collection::Entries.time_ms(doc)?,
        };
        Some(Reading {
            id: doc.get("_id").and_then(Value::as_str).map(str::to_owned),
            mills,
            mgdl,
            direction: doc.get("direction").and_then(Value::as_str).map(str::to_owned),
            device: doc.get("device").cloned(),
        })
    }

    pub fn is_error(&self) -> bool {
        self.mgdl < ERROR_BELOW
    }

    fn to_json(&self, units: Units) -> Value {
        json!({"_id": self.id, "mgdl": num(self.mgdl), "mills": self.mills, "device": self.device,
            "direction": self.direction, "type": "sgv", "scaled": num(scale(self.mgdl, units))})
    }
}

/// Five minutes of readings, aligned to the newest reading.
#[derive(Debug, Clone, PartialEq)]
pub struct Bucket {
    pub index: i64,
    pub from_mills: i64,
    pub to_mills: i64,
    /// Newest first.
    pub readings: Vec<Reading>,
    /// Mean of the valid (non-error) readings.
    pub mean: Option<f64>,
    /// The newest valid reading's value and time.
    pub last: Option<f64>,
    pub mills: Option<i64>,
}

impl Bucket {
    /// As `bgnow` and `delta.previous` show it: `mean`, `last`, `mills`, the readings, and the
    /// error readings as `errors` (the bucket bounds are left out, as Nightscout omits them).
    pub fn to_json(&self, units: Units) -> Value {
        let mut v = serde_json::Map::new();
        if let Some(m) = self.mean {
            v.insert("mean".into(), num(m));
        }
        if let (Some(l), Some(ms)) = (self.last, self.mills) {
            v.insert("last".into(), num(l));
            v.insert("mills".into(), ms.into());
        }
        v.insert("sgvs".into(), self.readings.iter().map(|r| r.to_json(units)).collect());
        let errors: Vec<Value> = self.readings.iter().filter(|r| r.is_error()).map(|r| r.to_json(units)).collect();
        if !errors.is_empty() {
            v.insert("errors".into(), Value::Array(errors));
        }
        Value::Object(v)
    }

    /// As the `buckets` property shows it (`bgnow.analyzeBucket`): with its index and bounds,
    /// and `isEmpty: true` (nothing else) when no reading fell in it.
    pub fn to_property_json(&self, units: Units) -> Value {
        let mut v = match self.readings.is_empty() {
            true => serde_json::Map::from_iter([("sgvs".to_owned(), json!([])), ("isEmpty".to_owned(), json!(true))]),
            false => match self.to_json(units) {
                Value::Object(m) => m,
                _ => serde_json::Map::new(),
            },
        };
        v.insert("index".into(), self.index.into());
        v.insert("fromMills".into(), self.from_mills.into());
        v.insert("toMills".into(), self.to_mills.into());
        Value::Object(v)
    }
}

/// The four buckets of `bgnow.fillBuckets`: bucket i spans
/// `[last - 2.5 min - i*5 min, last + 2.5 min - i*5 min)`. `readings` in any order.
pub fn buckets(readings: &[Reading]) -> Vec<Bucket> {
    let Some(last) = readings.iter().map(|r| r.mills).max() else { return Vec::new() };
    let mut sorted: Vec<&Reading> = readings.iter().collect();
    sorted.sort_by_key(|r| std::cmp::Reverse(r.mills));
    (0..BUCKETS)
        .map(|index| {
            let from_mills = last - BUCKET_OFFSET_MS - index * BUCKET_MS;
            let to_mills = from_mills + BUCKET_MS;
            let inside: Vec<Reading> =
                sorted.iter().filter(|r| r.mills >= from_mills && r.mills < to_mills).map(|r| (*r).clone()).collect();
            let valid: Vec<&Reading> = inside.iter().filter(|r| !r.is_error()).collect();
            let mean = (!valid.is_empty()).then(|| valid.iter().map(|r| r.mgdl).sum::<f64>() / valid.len() as f64);
            let newest = valid.first();
            Bucket {
                index,
                from_mills,
                to_mills,
                mean,
                last: newest.map(|r| r.mgdl),
                mills: newest.map(|r| r.mills),
                readings: inside,
            }
        })
        .collect()
}

/// `bgnow.calcDelta`: the change over 5 minutes, interpolated when the previous bucket with
/// data is more than 9 minutes back.
#[derive(Debug, Clone, PartialEq)]
pub struct Delta {
    pub absolute: f64,
    pub elapsed_mins: f64,
    pub interpolated: bool,
    pub mean5_mins_ago: f64,
    pub recent_mills: i64,
    pub previous_mills: i64,
    pub mgdl: f64,
    pub scaled: f64,
    pub display: String,
    pub previous: Bucket,
}

impl Delta {
    pub fn to_json(&self, units: Units) -> Value {
        json!({"absolute": num(self.absolute), "elapsedMins": num(self.elapsed_mins),
            "interpolated": self.interpolated, "mean5MinsAgo": num(self.mean5_mins_ago),
            "times": {"recent": self.recent_mills, "previous": self.previous_mills},
            "mgdl": num(self.mgdl), "scaled": num(self.scaled), "display": self.display,
            "previous": self.previous.to_json(units)})
    }
}

/// The newest bucket with readings (`bgnow`).
pub fn recent(buckets: &[Bucket]) -> Option<&Bucket> {
    buckets.iter().find(|b| !b.readings.is_empty())
}

/// The delta from the newest bucket to the next older one with valid readings.
pub fn delta(buckets: &[Bucket], units: Units) -> Option<Delta> {
    let recent = recent(buckets)?;
    let (mean, mills) = (recent.mean?, recent.mills?);
    let previous = buckets.iter().find(|b| b.mills.is_some_and(|m| m < mills) && b.mean.is_some())?;
    let (pmean, pmills) = (previous.mean?, previous.mills?);
    let absolute = mean - pmean;
    let elapsed_mins = (mills - pmills) as f64 / 60_000.0;
    let interpolated = elapsed_mins > 9.0;
    let mean5_mins_ago = if interpolated { mean - absolute / elapsed_mins * 5.0 } else { mean - absolute };
    let mgdl = js_round(mean - mean5_mins_ago);
    let scaled = match units {
        Units::Mmol => round_display(scale(mean, units) - scale(mean5_mins_ago, units), units),
        Units::MgDl => mgdl,
    };
    let display = format!("{}{}", if scaled >= 0.0 { "+" } else { "" }, js_str(scaled));
    Some(Delta {
        absolute,
        elapsed_mins,
        interpolated,
        mean5_mins_ago,
        recent_mills: mills,
        previous_mills: pmills,
        mgdl,
        scaled,
        display,
        previous: previous.clone(),
    })
}

#[cfg(test)]
#[path = "glucose_tests.rs"]
mod tests;
