//! `openaps` (`lib/plugins/openaps.js`): OpenAPS/AndroidAPS/Trio loop state from the
//! devicestatus of the last 6 hours: last enacted and suggested, IOB, predicted BGs, status per
//! device and overall, and the `OpenAPS Offline` marker that silences pump and loop alerts.

use serde_json::{Map, Value, json};

use super::settings::LoopPrefs;
use super::{Doc, Inputs, iso, mills_of, number};

const RECENT_HOURS: i64 = 6;

fn time_of(v: Option<&Value>) -> Option<i64> {
    match v? {
        Value::Number(n) => n.as_f64().map(|x| x as i64),
        Value::String(s) => crate::domain::time::parse_epoch_ms_or_zoned(s).map(|t| t.epoch_ms),
        _ => None,
    }
}

fn truthy(v: Option<&Value>) -> bool {
    v.is_some_and(|v| !matches!(v, Value::Null | Value::Bool(false)) && v != &json!(0) && v != &json!(""))
}

/// `findOfflineMarker`: the newest `OpenAPS Offline` treatment still running.
pub fn offline_marker<'a>(inp: &'a Inputs) -> Option<&'a Doc> {
    inp.treatments.iter().rev().find(|t| {
        let start = mills_of(t);
        let end = start + (number(t, "duration").unwrap_or(0.0) * 60_000.0) as i64;
        start <= inp.now && t.get("eventType").and_then(Value::as_str) == Some("OpenAPS Offline") && end >= inp.now
    })
}

/// A record's time: `mills`, else `timestamp`.
fn when(o: &Value) -> Option<i64> {
    if truthy(o.get("mills")) { time_of(o.get("mills")) } else { time_of(o.get("timestamp")) }
}

#[derive(Default, Clone, Copy)]
struct Moments {
    when: Option<i64>,
    enacted: Option<i64>,
    not_enacted: Option<i64>,
    suggested: Option<i64>,
}

/// `momentsToLoopStatus`.
fn loop_status(m: Moments, no_warning: bool, recent: i64) -> Value {
    let after = |t: Option<i64>| t.is_some_and(|t| t > recent);
    let (symbol, code, label) = if m.not_enacted.is_some_and(|n| m.enacted.map_or(n > recent, |e| n > e)) {
        ("x", "notenacted", "Not Enacted")
    } else if after(m.enacted) {
        ("⌁", "enacted", "Enacted")
    } else if after(m.suggested) {
        ("↻", "looping", "Looping")
    } else if m.when.is_some_and(|w| no_warning || w > recent) {
        ("◉", "waiting", "Waiting")
    } else {
        ("⚠", "warning", "Warning")
    };
    json!({"symbol": symbol, "code": code, "label": label})
}

/// `deviceName`: `openaps://rig/x` gives `rig`.
fn device_name(uri: &str) -> String {
    let last = uri.rsplit("://").next().unwrap_or(uri);
    last.split('/').next().unwrap_or(last).to_owned()
}

/// The property and the last loop time (for the notification).
pub fn analyze(inp: &Inputs, prefs: &LoopPrefs) -> (Value, Option<i64>) {
    let now = inp.now;
    let recent = now - (prefs.warn / 2.0 * 60_000.0) as i64;
    let since = now - RECENT_HOURS * 3_600_000;
    let mut devices: Map<String, Value> = Map::new();
    let mut dev_when: Vec<(String, i64)> = Vec::new();
    type Last = Option<(i64, Value)>;
    let (mut enacted_l, mut not_enacted_l, mut suggested_l, mut iob_l, mut pred_l): (Last, Last, Last, Last, Last) =
        (None, None, None, None, None);
    for s in inp.devicestatus.iter().filter(|d| d.doc.contains_key("openaps") && d.mills <= now && d.mills >= since) {
        let (d, d_mills) = (s.doc, s.mills);
        let o = &d["openaps"];
        let mut iob = o.get("iob").cloned().unwrap_or(Value::Null);
        if let Value::Array(a) = &iob {
            iob = a.first().cloned().unwrap_or(Value::Null);
            if let Some(t) = iob.get("time").cloned() {
                iob["timestamp"] = t;
            }
        }
        let enacted = o.get("enacted").filter(|e| e.is_object() && truthy(e.get("timestamp")));
        let received = enacted.is_some_and(|e| truthy(e.get("recieved")) || truthy(e.get("received")));
        let m = Moments {
            when: Some(d_mills),
            enacted: enacted.filter(|_| received).and_then(when),
            not_enacted: enacted.filter(|_| !received).and_then(when),
            suggested: o.get("suggested").filter(|s| s.is_object()).and_then(when),
        };
        let uri = d.get("device").and_then(Value::as_str).unwrap_or("device").to_owned();
        devices.entry(uri.clone()).or_insert_with(|| json!({"name": device_name(&uri), "uri": uri}));
        let prev = dev_when.iter().position(|(u, _)| *u == uri);
        if prev.is_none_or(|i| d_mills > dev_when[i].1) {
            let mut st = loop_status(m, true, recent);
            st["when"] = iso(d_mills);
            devices[&uri]["status"] = st;
            match prev {
                Some(i) => dev_when[i].1 = d_mills,
                None => dev_when.push((uri.clone(), d_mills)),
            }
        }
        let with_moment = |v: &Value, t: i64| {
            let mut v = v.clone();
            v["moment"] = iso(t);
            v
        };
        let newer = |slot: &mut Last, t: i64, v: &Value| {
            if slot.as_ref().is_none_or(|(m, _)| t > *m) {
                *slot = Some((t, with_moment(v, t)));
                true
            } else {
                false
            }
        };
        let pred = |v: &Value, t: i64, pred_l: &mut Last| {
            if let Some(p) = v.get("predBGs").filter(|p| truthy(Some(p)))
                && pred_l.as_ref().is_none_or(|(m, _)| t > *m)
            {
                let mut p = if p.is_array() { json!({"values": p}) } else { p.clone() };
                p["moment"] = iso(t);
                *pred_l = Some((t, p));
            }
        };
        if let (Some(e), Some(t)) = (enacted, m.enacted)
            && newer(&mut enacted_l, t, e)
        {
            pred(e, t, &mut pred_l);
        }
        if let (Some(e), Some(t)) = (enacted, m.not_enacted) {
            newer(&mut not_enacted_l, t, e);
        }
        if let (Some(s), Some(t)) = (o.get("suggested"), m.suggested)
            && newer(&mut suggested_l, t, s)
        {
            pred(s, t, &mut pred_l);
        }
        if iob.is_object()
            && let Some(t) = when(&iob)
        {
            let ts = time_of(iob.get("timestamp")).unwrap_or(t);
            if iob_l.as_ref().is_none_or(|(m, _)| ts > *m) {
                iob_l = Some((t, with_moment(&iob, t)));
            }
        }
        if let Some(mm) = d.get("mmtune").filter(|m| truthy(m.get("timestamp"))) {
            let t = time_of(mm.get("timestamp")).unwrap_or(0);
            let dev = &mut devices[&uri];
            if dev.get("mmtune").is_none()
                || d_mills > dev["mmtune"].get("moment").and_then(|v| time_of(Some(v))).unwrap_or(0)
            {
                dev["mmtune"] = with_moment(mm, t);
            }
        }
    }
    let last_loop = match (&enacted_l, &suggested_l) {
        (Some(e), Some(s)) => Some(if e.0 > s.0 { e } else { s }),
        (Some(e), None) => Some(e),
        (None, Some(s)) => Some(s),
        (None, None) => None,
    };
    let v = |x: &Last| x.as_ref().map_or(Value::Null, |(_, v)| v.clone());
    let mut out = Map::new();
    out.insert("seenDevices".into(), Value::Object(devices));
    out.insert("lastEnacted".into(), v(&enacted_l));
    out.insert("lastNotEnacted".into(), v(&not_enacted_l));
    out.insert("lastSuggested".into(), v(&suggested_l));
    out.insert("lastIOB".into(), v(&iob_l));
    out.insert("lastMMTune".into(), Value::Null);
    out.insert("lastPredBGs".into(), v(&pred_l));
    if let Some((t, l)) = last_loop {
        out.insert("lastLoopMoment".into(), iso(*t));
        out.insert("lastEventualBG".into(), l.get("eventualBG").cloned().unwrap_or(Value::Null));
    }
    let m = Moments {
        when: None,
        enacted: enacted_l.as_ref().map(|x| x.0),
        not_enacted: not_enacted_l.as_ref().map(|x| x.0),
        suggested: suggested_l.as_ref().map(|x| x.0),
    };
    out.insert("status".into(), loop_status(m, false, recent));
    (Value::Object(out), last_loop.map(|x| x.0))
}

pub fn property(inp: &Inputs, prefs: &LoopPrefs) -> Value {
    analyze(inp, prefs).0
}

#[cfg(test)]
#[path = "openaps_tests.rs"]
mod tests;
