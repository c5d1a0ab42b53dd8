//! `cob` (`lib/plugins/cob.js`): carbs on board from the newest devicestatus of the last 30
//! minutes (OpenAPS/AAPS `enacted`/`suggested.COB`, Loop `loop.cob`) when at most 10 minutes
//! old, else from the carb treatments with Nightscout's linear absorption model.

use serde_json::{Map, Value, json};

use super::{Doc, Inputs, Status, iob, iso, mills_of, num, number};

const RECENCY_MS: i64 = 30 * 60_000;
const FUTURE_MS: i64 = 5 * 60_000;
const FRESH_MS: i64 = 10 * 60_000;
/// Minutes before carbs start to be absorbed.
const DELAY: f64 = 20.0;
const LIVER_SENS_RATIO: f64 = 8.0;

fn time_of(v: Option<&Value>) -> Option<i64> {
    match v? {
        Value::Number(n) => n.as_f64().map(|x| x as i64),
        Value::String(s) => crate::domain::time::parse_epoch_ms_or_zoned(s).map(|t| t.epoch_ms),
        _ => None,
    }
}

/// `cob.fromDeviceStatus`: `(cob, source, device, mills)`.
fn from_status(d: &Doc) -> Option<(Value, &'static str, i64)> {
    if let Some(o) = d.get("openaps") {
        let (s, e) = (o.get("suggested").filter(|v| v.is_object()), o.get("enacted").filter(|v| v.is_object()));
        let pick = match (s, e) {
            (Some(s), Some(e)) => {
                if time_of(e.get("timestamp")) > time_of(s.get("timestamp")) {
                    e
                } else {
                    s
                }
            }
            (None, Some(e)) => e,
            (Some(s), None) => s,
            (None, None) => return None,
        };
        let cob = pick.get("COB").filter(|v| !v.is_null())?;
        return Some((cob.clone(), "OpenAPS", time_of(pick.get("timestamp"))?));
    }
    let c = d.get("loop")?.get("cob")?;
    Some((c.get("cob").cloned().unwrap_or(Value::Null), "Loop", time_of(c.get("timestamp")).unwrap_or(0)))
}

/// `lastCOBDeviceStatus`.
fn last_from_devicestatus(statuses: &[Status], time: i64) -> Option<Map<String, Value>> {
    let mut all: Vec<(Value, &str, i64, Value)> = statuses
        .iter()
        .filter(|d| d.mills <= time + FUTURE_MS && d.mills >= time - RECENCY_MS)
        .map(|d| d.doc)
        .filter_map(|d| from_status(d).map(|(c, s, m)| (c, s, m, d.get("device").cloned().unwrap_or(Value::Null))))
        .collect();
    all.sort_by_key(|a| a.2);
    let (cob, source, mills, device) = all.pop()?;
    let mut m = Map::new();
    m.insert("cob".into(), cob);
    m.insert("source".into(), source.into());
    m.insert("device".into(), device);
    m.insert("mills".into(), mills.into());
    Some(m)
}

/// `cob.cobCalc`: when this treatment's carbs are gone (epoch ms) and whether it is decaying.
fn cob_calc(t: &Doc, carbs_hr: f64, last_decayed_by: i64, time: i64) -> (i64, bool) {
    let carbs = number(t, "carbs").unwrap_or(0.0);
    let carb_time = mills_of(t);
    let carbs_min = carbs_hr / 60.0;
    let minutes_left = (last_decayed_by - carb_time) as f64 / 60_000.0;
    // `Date.setMinutes` drops the fraction of the minutes it is given.
    let decayed_by = carb_time + (DELAY.max(minutes_left) + carbs / carbs_min).floor() as i64 * 60_000;
    let start_decay = carb_time + DELAY as i64 * 60_000;
    (decayed_by, time < last_decayed_by || time > start_decay)
}

/// The activity `iob.calcTotal` reports at `time` (the device's, else the treatments').
fn activity_at(inp: &Inputs, time: i64) -> Option<f64> {
    match iob::last_from_devicestatus(&inp.devicestatus, time) {
        Some(d) => d.activity,
        None if inp.treatments.is_empty() => None,
        None => iob::from_treatments(inp, time).activity,
    }
}

/// `cob.fromTreatments`.
pub fn from_treatments(inp: &Inputs, time: i64) -> Option<Map<String, Value>> {
    let p = inp.profile.as_ref()?;
    let (mut total, mut last_carbs, mut decaying, mut last_decayed_by) = (0.0, None, false, 0i64);
    for t in inp.treatments.iter().filter(|t| number(t, "carbs").is_some_and(|c| c != 0.0) && mills_of(t) < time) {
        let m = mills_of(t);
        let (sens, ratio, carbs_hr) = (p.sens(m)?, p.carb_ratio(m)?, p.carbs_hr(m)?);
        last_carbs = Some(t);
        let (mut decayed_by, is_decaying) = cob_calc(t, carbs_hr, last_decayed_by, time);
        let mut decays_in_hr = (decayed_by - time) as f64 / 3_600_000.0;
        if decays_in_hr > -10.0 {
            let start = activity_at(inp, last_decayed_by);
            let end = activity_at(inp, decayed_by);
            if let (Some(a), Some(b)) = (start, end) {
                let delayed_carbs = (a + b) / 2.0 * LIVER_SENS_RATIO / sens * ratio;
                let delay_minutes = crate::domain::js::js_round(delayed_carbs / carbs_hr * 60.0);
                if delay_minutes > 0.0 {
                    decayed_by += delay_minutes as i64 * 60_000;
                    decays_in_hr = (decayed_by - time) as f64 / 3_600_000.0;
                }
            }
        }
        last_decayed_by = decayed_by;
        if decays_in_hr > 0.0 {
            total += number(t, "carbs").unwrap_or(0.0).min(decays_in_hr * carbs_hr);
            decaying = is_decaying;
        } else {
            total = 0.0;
        }
    }
    let (sens, ratio, carbs_hr) = (p.sens(time)?, p.carb_ratio(time)?, p.carbs_hr(time)?);
    let raw_impact = if decaying { sens / ratio * carbs_hr / 60.0 } else { 0.0 };
    let mut m = Map::new();
    m.insert("decayedBy".into(), if last_decayed_by == 0 { 0.into() } else { iso(last_decayed_by) });
    m.insert("isDecaying".into(), u8::from(decaying).into());
    m.insert("carbs_hr".into(), num(carbs_hr));
    m.insert("rawCarbImpact".into(), num(raw_impact));
    m.insert("cob".into(), num(total));
    m.insert("lastCarbs".into(), last_carbs.map_or(Value::Null, |t| Value::Object(t.clone())));
    Some(m)
}

/// `cobTotal` with `display` (one decimal, a number) and `displayLine` ("COB: 12.5g"); `{}`
/// without a profile that has `sens`, `carbratio` and `carbs_hr`.
pub fn total(inp: &Inputs) -> Value {
    let now = inp.now;
    let Some(p) = inp.profile.as_ref() else { return json!({}) };
    if p.sens(now).is_none() || p.carb_ratio(now).is_none() {
        return json!({});
    }
    let device = last_from_devicestatus(&inp.devicestatus, now);
    let fresh = device.as_ref().filter(|d| {
        !d.get("cob").is_none_or(Value::is_null)
            && now - d.get("mills").and_then(Value::as_i64).unwrap_or(0) <= FRESH_MS
    });
    let mut out = match fresh {
        Some(d) => d.clone(),
        None => {
            let t = if inp.treatments.is_empty() { None } else { from_treatments(inp, now) };
            let mut m = t.clone().unwrap_or_default();
            m.insert("source".into(), "Care Portal".into());
            m.insert("treatmentCOB".into(), Value::Object(t.unwrap_or_default()));
            m
        }
    };
    let Some(cob) = out.get("cob").and_then(super::js_number) else { return json!({}) };
    let display = crate::domain::js::js_round(cob * 10.0) / 10.0;
    out.insert("display".into(), num(display));
    out.insert("displayLine".into(), format!("COB: {}g", crate::domain::glucose::js_str(display)).into());
    Value::Object(out)
}

#[cfg(test)]
#[path = "cob_tests.rs"]
mod tests;
