//! `iob` (`lib/plugins/iob.js`): insulin on board from the newest devicestatus of the last 30
//! minutes (Loop's own first, then OpenAPS/AAPS `openaps.iob`, Loop `loop.iob`, pump
//! `pump.iob`), else from the treatments with Nightscout's bilinear insulin curve.

use serde_json::{Map, Value, json};

use super::{Doc, Inputs, Status, fixed, mills_of, num, number};

const RECENCY_MS: i64 = 30 * 60_000;
const FUTURE_MS: i64 = 5 * 60_000;
const PEAK: f64 = 75.0;

/// The `iob` property before display fields are added.
#[derive(Debug, Clone, Default)]
pub struct Iob {
    pub iob: Option<f64>,
    /// The rest, in Nightscout's field order (`basaliob`, `activity`, `source`, `device`, ...).
    pub fields: Map<String, Value>,
    /// Units-of-BG-per-minute activity (treatments), or the device's own.
    pub activity: Option<f64>,
}

/// JavaScript `+(Math.round(x + "e+3") + "e-3")`.
pub fn round3(x: f64) -> f64 {
    (x * 1000.0 + 0.5).floor() / 1000.0
}

/// `iob.fromDeviceStatus`.
fn from_status(s: &Status) -> Option<(Iob, i64)> {
    let d = s.doc;
    let get = |a: &str| d.get(a).and_then(|v| v.get("iob")).filter(|v| v.is_object() || v.is_array());
    let device = d.get("device").cloned().unwrap_or(Value::Null);
    let mut fields = Map::new();
    if let Some(o) = get("openaps") {
        let o = match o {
            Value::Array(a) => a.first()?.as_object()?,
            _ => o.as_object()?,
        };
        if o.is_empty() {
            return None;
        }
        let ts = o.get("time").or_else(|| o.get("timestamp"));
        let mills = ts.and_then(time_of).unwrap_or(0);
        let iob = o.get("iob").and_then(super::js_number);
        let activity = o.get("activity").and_then(super::js_number);
        for k in ["basaliob", "activity"] {
            if let Some(v) = o.get(k) {
                fields.insert(k.into(), v.clone());
            }
        }
        fields.insert("source".into(), "OpenAPS".into());
        fields.insert("device".into(), device);
        fields.insert("mills".into(), mills.into());
        return Some((Iob { iob, fields, activity }, mills));
    }
    if let Some(l) = get("loop").and_then(Value::as_object) {
        let mills = l.get("timestamp").and_then(time_of).unwrap_or(0);
        fields.insert("source".into(), "Loop".into());
        fields.insert("device".into(), device);
        fields.insert("mills".into(), mills.into());
        return Some((Iob { iob: l.get("iob").and_then(super::js_number), fields, activity: None }, mills));
    }
    if let Some(p) = get("pump").and_then(Value::as_object) {
        let iob = p.get("iob").and_then(super::js_number).filter(|x| *x != 0.0);
        let iob = iob.or_else(|| p.get("bolusiob").and_then(super::js_number));
        let mills = s.mills;
        if d.contains_key("connect") {
            fields.insert("source".into(), "MM Connect".into());
        }
        fields.insert("device".into(), device);
        fields.insert("mills".into(), mills.into());
        return Some((Iob { iob, fields, activity: None }, mills));
    }
    None
}

fn time_of(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_f64().map(|x| x as i64),
        Value::String(s) => crate::domain::time::parse_epoch_ms_or_zoned(s).map(|t| t.epoch_ms),
        _ => None,
    }
}

/// `lastIOBDeviceStatus`: the newest of the last 30 minutes, Loop's preferred.
pub fn last_from_devicestatus(statuses: &[Status], time: i64) -> Option<Iob> {
    let mut all: Vec<(Iob, i64)> = statuses
        .iter()
        .filter(|d| d.mills <= time + FUTURE_MS && d.mills >= time - RECENCY_MS)
        .filter_map(from_status)
        .collect();
    all.sort_by_key(|(_, m)| *m);
    let is_loop = |i: &Iob| i.fields.get("source").and_then(Value::as_str) == Some("Loop");
    let pick = all.iter().rposition(|(i, _)| is_loop(i)).or(all.len().checked_sub(1))?;
    Some(all.swap_remove(pick).0)
}

/// `calcTreatment`: one bolus's remaining insulin and activity at `time`.
pub fn treatment_contrib(t: &Doc, dia: f64, sens: f64, time: i64) -> (f64, f64) {
    let Some(insulin) = number(t, "insulin").filter(|i| *i != 0.0) else { return (0.0, 0.0) };
    let scale = 3.0 / dia;
    let min_ago = scale * (time - mills_of(t)) as f64 / 60_000.0;
    if min_ago < PEAK {
        let x1 = min_ago / 5.0 + 1.0;
        let iob = insulin * (1.0 - 0.001852 * x1 * x1 + 0.001852 * x1);
        (iob, sens * insulin * (2.0 / dia / 60.0 / PEAK) * min_ago)
    } else if min_ago < 180.0 {
        let x2 = (min_ago - 75.0) / 5.0;
        let iob = insulin * (0.001323 * x2 * x2 - 0.054233 * x2 + 0.55556);
        (iob, sens * insulin * (2.0 / dia / 60.0 - (min_ago - PEAK) * 2.0 / dia / 60.0 / (60.0 * 3.0 - PEAK)))
    } else {
        (0.0, 0.0)
    }
}

/// `fromTreatments`: the sum over boluses given up to `time`, with the last one that counts.
pub fn from_treatments(inp: &Inputs, time: i64) -> Iob {
    let (mut total, mut activity, mut last) = (0.0, 0.0, None);
    for t in inp.treatments.iter().filter(|t| mills_of(t) <= time) {
        let dia = inp.profile.as_ref().and_then(|p| p.dia(time)).unwrap_or(3.0);
        let sens = inp.profile.as_ref().and_then(|p| p.sens(time)).unwrap_or(0.0);
        let (i, a) = treatment_contrib(t, dia, sens, time);
        if i > 0.0 {
            last = Some(t);
        }
        total += i;
        activity += a;
    }
    let mut fields = Map::new();
    fields.insert("activity".into(), num(activity));
    fields.insert("lastBolus".into(), last.map_or(Value::Null, |t| Value::Object(t.clone())));
    fields.insert("source".into(), "Care Portal".into());
    Iob { iob: Some(round3(total)), fields, activity: Some(activity) }
}

/// `calcTotal`: the devicestatus IOB, else the treatments'; `treatmentIob` beside a device's.
pub fn total(inp: &Inputs, time: i64) -> Iob {
    let treatments = (!inp.treatments.is_empty()).then(|| from_treatments(inp, time));
    let mut out = match last_from_devicestatus(&inp.devicestatus, time) {
        Some(mut d) => {
            if let Some(ti) = treatments.as_ref().and_then(|t| t.iob).filter(|x| *x != 0.0) {
                d.fields.insert("treatmentIob".into(), num(round3(ti)));
            }
            d
        }
        None => treatments.unwrap_or_default(),
    };
    out.iob = out.iob.map(|x| if x != 0.0 { round3(x) } else { x });
    out
}

impl Iob {
    /// The property: `{}` without a value, else `iob`, the fields, `display` ("1.23", "0")
    /// and `displayLine` ("IOB: 1.23U").
    pub fn to_json(&self) -> Value {
        let Some(iob) = self.iob else { return json!({}) };
        let mut out = Map::new();
        out.insert("iob".into(), num(iob));
        out.extend(self.fields.clone());
        let display = if iob == 0.0 { "0".to_owned() } else { fixed(iob, 2) };
        out.insert("display".into(), display.clone().into());
        out.insert("displayLine".into(), format!("IOB: {display}U").into());
        Value::Object(out)
    }

    /// `display` as `/pebble` puts it on the first bg ("0" when none).
    pub fn display(&self) -> String {
        match self.iob {
            Some(x) if x != 0.0 => fixed(x, 2),
            _ => "0".into(),
        }
    }
}

#[cfg(test)]
#[path = "iob_tests.rs"]
mod tests;
