//! `loop` (`lib/plugins/loop.js`): Loop's last loop, enacted temp basal, predicted BGs,
//! override and status symbol from the devicestatus of the last 6 hours.

use serde_json::{Map, Value, json};

use super::settings::LoopPrefs;
use super::{Inputs, iso};

const RECENT_HOURS: i64 = 6;

fn time_of(v: Option<&Value>) -> Option<i64> {
    match v? {
        Value::Number(n) => n.as_f64().map(|x| x as i64),
        Value::String(s) => crate::domain::time::parse_epoch_ms_or_zoned(s).map(|t| t.epoch_ms),
        _ => None,
    }
}

/// The last loop's time, when it did not fail (`lastOkMoment`), for the notification.
pub struct LoopState {
    pub property: Value,
    pub last_loop: Option<i64>,
    pub last_ok: Option<i64>,
}

/// `getDisplayForStatus`.
fn display(last: Option<&Map<String, Value>>, recent: i64) -> Value {
    let (symbol, code, label) = match last {
        None => ("⚠", "warning", "Warning"),
        Some(l) => {
            let enacted = l.get("enacted").filter(|e| e.is_object());
            let failed = l.get("failureReason").is_some_and(|f| !f.is_null() && f != &json!(false) && f != &json!(""));
            let received = enacted.and_then(|e| e.get("received")).is_some_and(|r| r != &json!(false) && !r.is_null());
            if failed || (enacted.is_some() && !received) {
                ("x", "error", "Error")
            } else if enacted.is_some() && time_of(l.get("timestamp")).is_some_and(|t| t > recent) {
                ("⌁", "enacted", "Enacted")
            } else if time_of(l.get("recommendedTempBasal").and_then(|r| r.get("timestamp")))
                .is_some_and(|t| t > recent)
            {
                ("⏀", "recommendation", "Recomendation")
            } else if time_of(l.get("timestamp")).is_some_and(|t| t > recent) {
                ("↻", "looping", "Looping")
            } else {
                ("⚠", "warning", "Warning")
            }
        }
    };
    json!({"symbol": symbol, "code": code, "label": label})
}

/// `analyzeData`: `{lastLoop, lastEnacted, lastPredicted, lastOkMoment, lastOverride?, display}`
/// (moments as ISO strings, as JSON writes them).
pub fn analyze(inp: &Inputs, prefs: &LoopPrefs) -> LoopState {
    let now = inp.now;
    let recent = now - (prefs.warn / 2.0 * 60_000.0) as i64;
    let since = now - RECENT_HOURS * 3_600_000;
    let (mut last_loop, mut last_enacted, mut last_predicted, mut last_override) = (None, None, None, None);
    let mut last_ok: Option<i64> = None;
    for d in inp.devicestatus.iter().filter(|d| d.mills <= now && d.mills >= since).map(|d| d.doc) {
        let Some(l) = d.get("loop").and_then(Value::as_object) else { continue };
        let Some(t) = time_of(l.get("timestamp")) else { continue };
        let mut l = l.clone();
        l.insert("moment".into(), iso(t));
        if let Some(Value::Object(e)) = l.get_mut("enacted")
            && let Some(et) = time_of(e.get("timestamp"))
        {
            e.insert("moment".into(), iso(et));
            if last_enacted.as_ref().is_none_or(|(m, _)| et > *m) {
                last_enacted = Some((et, e.clone()));
            }
        }
        if let Some(p) = l.get("predicted").filter(|p| p.get("startDate").is_some_and(|s| !s.is_null())) {
            last_predicted = Some(p.clone());
        }
        if let Some(Value::Object(o)) = d.get("override")
            && let Some(ot) = time_of(o.get("timestamp"))
            && last_override.as_ref().is_none_or(|(m, _)| ot > *m)
        {
            let mut o = o.clone();
            o.insert("moment".into(), iso(ot));
            last_override = Some((ot, o));
        }
        let failed = l.get("failureReason").is_some_and(|f| !f.is_null() && f != &json!(false) && f != &json!(""));
        if !failed && last_ok.is_none_or(|m| t > m) {
            last_ok = Some(t);
        }
        if last_loop.as_ref().is_none_or(|(m, _)| t > *m) {
            last_loop = Some((t, l));
        }
    }
    let mut out = Map::new();
    let obj = |x: &Option<(i64, Map<String, Value>)>| x.as_ref().map_or(Value::Null, |(_, m)| Value::Object(m.clone()));
    out.insert("lastLoop".into(), obj(&last_loop));
    out.insert("lastEnacted".into(), obj(&last_enacted));
    out.insert("lastPredicted".into(), last_predicted.unwrap_or(Value::Null));
    out.insert("lastOkMoment".into(), last_ok.map_or(Value::Null, iso));
    if last_override.is_some() {
        out.insert("lastOverride".into(), obj(&last_override));
    }
    out.insert("display".into(), display(last_loop.as_ref().map(|(_, l)| l), recent));
    LoopState { property: Value::Object(out), last_loop: last_loop.map(|(t, _)| t), last_ok }
}

pub fn property(inp: &Inputs, prefs: &LoopPrefs) -> Value {
    analyze(inp, prefs).property
}

/// `statusLevel`: minutes since the last good loop against `LOOP_WARN`/`LOOP_URGENT`.
pub fn level(last_ok: Option<i64>, prefs: &LoopPrefs, now: i64) -> i64 {
    let Some(ok) = last_ok else { return -3 };
    let since = (now - ok) as f64 / 60_000.0;
    if since > prefs.urgent {
        super::notify::URGENT
    } else if since > prefs.warn {
        super::notify::WARN
    } else {
        -3
    }
}

#[cfg(test)]
#[path = "loop_status_tests.rs"]
mod tests;
