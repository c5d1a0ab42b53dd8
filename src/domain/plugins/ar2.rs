//! AR2 (`lib/plugins/ar2.js`): a second-order autoregressive forecast in log space around
//! 140 mg/dL from the current and the 5-minutes-ago glucose, Nightscout's published
//! coefficients `[-0.723, 1.716]`; its 30-minute loss gives the `predict` alarm level.

use serde_json::{Value, json};

use super::Context;
use super::notify::{URGENT, WARN};
use crate::domain::glucose::{self, Units};

const BG_REF: f64 = 140.0;
const BG_MIN: f64 = 36.0;
const BG_MAX: f64 = 400.0;
const WARN_THRESHOLD: f64 = 0.05;
const URGENT_THRESHOLD: f64 = 0.10;
pub const AR: [f64; 2] = [-0.723, 1.716];
const STEP_MS: i64 = 5 * 60_000;
/// How far the cone widens at each of its 13 steps (an hour and 5 minutes).
const CONE_STEPS: [f64; 13] =
    [0.020, 0.041, 0.061, 0.081, 0.099, 0.116, 0.132, 0.146, 0.159, 0.171, 0.182, 0.192, 0.201];

/// One forecast point (`{mills, mgdl, color: "cyan"}`).
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    pub mills: i64,
    pub mgdl: f64,
}

/// The six 5-minute points and their loss.
#[derive(Debug, Clone, PartialEq)]
pub struct Forecast {
    pub predicted: Vec<Point>,
    pub avg_loss: f64,
}

/// The state folded over the steps: time, log-ratio now and 5 minutes before.
#[derive(Clone, Copy)]
struct State {
    time: i64,
    prev: f64,
    curr: f64,
}

impl State {
    /// `okToForecast` and `initAR2`: the current mean (≥ 36) and the one 5 minutes ago.
    fn start(now_mean: f64, now_mills: Option<i64>, mean5: f64, now: i64) -> Option<State> {
        (now_mean >= BG_MIN && mean5 != 0.0 && mean5.is_finite()).then(|| State {
            time: now_mills.unwrap_or(now),
            prev: (mean5 / BG_REF).ln(),
            curr: (now_mean / BG_REF).ln(),
        })
    }

    fn step(self) -> State {
        State { time: self.time + STEP_MS, prev: self.curr, curr: AR[0] * self.prev + AR[1] * self.curr }
    }

    fn point(&self, offset: i64, cone: f64) -> Point {
        let mgdl = crate::domain::js::js_round(BG_REF * (self.curr + cone).exp());
        Point { mills: self.time + offset, mgdl: mgdl.clamp(BG_MIN, BG_MAX) }
    }
}

/// `ar2.forecast`; `None` when there is no current reading or no delta.
pub fn forecast(now_mean: f64, now_mills: Option<i64>, mean5: f64, now: i64) -> Option<Forecast> {
    let mut s = State::start(now_mean, now_mills, mean5, now)?;
    let mut predicted = Vec::with_capacity(6);
    for _ in 0..6 {
        s = s.step();
        predicted.push(s.point(2000, 0.0));
    }
    let size = (predicted.len() - 1).min(6) as f64;
    let avg_loss = predicted.iter().map(|p| (p.mgdl / 120.0).log10().powi(2) / size).sum();
    Some(Forecast { predicted, avg_loss })
}

/// `ar2.forecastCone`: for each of 13 steps a lower (`-coneFactor`) and an upper point.
pub fn cone(now_mean: f64, now_mills: Option<i64>, mean5: f64, now: i64, cone_factor: f64) -> Vec<Point> {
    let Some(mut s) = State::start(now_mean, now_mills, mean5, now) else { return Vec::new() };
    let mut out = Vec::with_capacity(26);
    for step in CONE_STEPS {
        s = s.step();
        if cone_factor > 0.0 {
            out.push(s.point(2000, -cone_factor * step));
        }
        out.push(s.point(4000, cone_factor * step));
    }
    out
}

/// `checkForecast`: the level, and `high`/`low` from the 20-minute point against the targets.
pub fn judge(f: &Forecast, cx: &Context) -> Option<(i64, &'static str)> {
    let level = if f.avg_loss > URGENT_THRESHOLD {
        URGENT
    } else if f.avg_loss > WARN_THRESHOLD {
        WARN
    } else {
        return None;
    };
    let scaled = |mgdl: f64| glucose::scale(mgdl, cx.units);
    let event = match f.predicted.get(3).map(|p| scaled(p.mgdl)) {
        Some(x) if cx.alarm_high && x > scaled(cx.thresholds.bg_target_top) => "high",
        Some(x) if cx.alarm_low && x < scaled(cx.thresholds.bg_target_bottom) => "low",
        _ => "",
    };
    Some((level, event))
}

/// `buildTitle`: "Urgent, LOW predicted" (`predicted` while the current reading is in range).
pub fn title(level: i64, event: &str, current_mgdl: f64, cx: &Context) -> String {
    let tr = &cx.tr;
    let range = if event.is_empty() { tr.t("Check BG", &[]) } else { tr.t(&event.to_uppercase(), &[]) };
    let t = format!("{}, {range}", tr.t(if level == URGENT { "Urgent" } else { "Warning" }, &[]));
    let t_ = &cx.thresholds;
    if current_mgdl > t_.bg_target_bottom && current_mgdl < t_.bg_target_top { tr.t("%1 predicted", &[&t]) } else { t }
}

/// `pushoverSound`.
pub fn sound(level: i64, event: &str) -> Option<&'static str> {
    match (level, event) {
        (URGENT, _) => Some("persistent"),
        (_, "low") => Some("falling"),
        (_, "high") => Some("climb"),
        _ => None,
    }
}

fn points_json(points: &[Point], units: Units) -> Value {
    points
        .iter()
        .map(|p| {
            json!({"mills": p.mills, "mgdl": super::num(p.mgdl), "color": "cyan",
            "scaled": super::num(glucose::scale(p.mgdl, units))})
        })
        .collect()
}

/// `BG 15m: 130 mg/dl`.
pub fn display_line(f: &Forecast, units: Units) -> Option<String> {
    let p = f.predicted.get(2)?;
    let label = if units == Units::Mmol { "mmol/L" } else { "mg/dl" };
    Some(format!("BG 15m: {} {label}", glucose::js_str(glucose::scale(p.mgdl, units))))
}

/// The `ar2` property: `{forecast: {predicted, avgLoss}, level?, eventName?, displayLine?}`,
/// plus `cone` (the dashboard's forecast cone; Nightscout's client computes it itself).
pub fn property(bgnow: Option<(f64, i64)>, mean5: Option<f64>, cx: &Context) -> Value {
    let now = cx_now(bgnow);
    let f = match (bgnow, mean5) {
        (Some((m, ms)), Some(m5)) => forecast(m, Some(ms), m5, now),
        _ => None,
    };
    let Some(f) = f else { return json!({"forecast": {"predicted": [], "avgLoss": 0}}) };
    let mut out = json!({"forecast": {"predicted": points_json(&f.predicted, cx.units), "avgLoss": f.avg_loss}});
    if let Some((level, event)) = judge(&f, cx) {
        out["level"] = level.into();
        out["eventName"] = event.into();
    }
    if let Some(line) = display_line(&f, cx.units) {
        out["displayLine"] = line.into();
    }
    if let (Some((m, ms)), Some(m5)) = (bgnow, mean5) {
        out["cone"] = points_json(&cone(m, Some(ms), m5, now, cx.settings.ar2_cone_factor), cx.units);
    }
    out
}

fn cx_now(bgnow: Option<(f64, i64)>) -> i64 {
    bgnow.map_or(0, |b| b.1)
}

#[cfg(test)]
#[path = "ar2_tests.rs"]
mod tests;
