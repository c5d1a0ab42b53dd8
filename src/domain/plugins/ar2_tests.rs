//! The cases of Nightscout's `tests/ar2.test.js` (thresholds 80-180, alarms on), and the
//! arithmetic of the published coefficients.

use super::*;
use crate::domain::glucose::{Reading, buckets, delta};
use crate::domain::plugins::fixtures::*;

/// Two readings `gap` minutes apart ending now: `(bgnow mean, mills, mean5MinsAgo)`.
fn pair(before: f64, now_mgdl: f64, gap: i64) -> (f64, i64, f64) {
    let r = |mgdl, mills| Reading { id: None, mills, mgdl, direction: None, device: None };
    let b = buckets(&[r(before, NOW - gap * MIN), r(now_mgdl, NOW)]);
    let d = delta(&b, Units::MgDl).unwrap();
    (b[0].mean.unwrap(), NOW, d.mean5_mins_ago)
}

fn alarm(before: f64, now_mgdl: f64, gap: i64) -> Option<(i64, String)> {
    let s = settings(&[]);
    let en = vec![];
    let cx = context(&s, &en);
    let (m, ms, m5) = pair(before, now_mgdl, gap);
    let f = forecast(m, Some(ms), m5, NOW)?;
    judge(&f, &cx).map(|(level, event)| (level, title(level, event, now_mgdl, &cx)))
}

#[test]
fn the_forecast_steps_in_log_space_with_the_published_coefficients() {
    let f = forecast(105.0, Some(NOW), 100.0, NOW).unwrap();
    // First step: ln(x/140) = -0.723*ln(100/140) + 1.716*ln(105/140) -> 140*e^.. = 109.
    let first = 140.0 * (-0.723 * (100.0f64 / 140.0).ln() + 1.716 * (105.0f64 / 140.0).ln()).exp();
    assert_eq!(f.predicted[0].mgdl, first.round());
    assert_eq!(f.predicted[0].mgdl, 109.0);
    assert_eq!(f.predicted[0].mills, NOW + 5 * MIN + 2000);
    assert_eq!(f.predicted.len(), 6);
    let (min, max) = f.predicted.iter().fold((f64::MAX, 0.0f64), |(a, b), p| (a.min(p.mgdl), b.max(p.mgdl)));
    assert_eq!((min, max), (109.0, 120.0), "Nightscout: 'between 109 and 120 over the next in 30 minutes'");
    let loss: f64 = f.predicted.iter().map(|p| (p.mgdl / 120.0).log10().powi(2)).sum::<f64>() / 5.0;
    assert!((f.avg_loss - loss).abs() < 1e-12);
}

#[test]
fn rising_and_falling_glucose_raise_the_predicted_alarms() {
    assert_eq!(alarm(100.0, 105.0, 5), None);
    assert_eq!(alarm(150.0, 170.0, 5), Some((1, "Warning, HIGH predicted".into())));
    assert_eq!(alarm(140.0, 200.0, 5), Some((2, "Urgent, HIGH".into())));
    assert_eq!(alarm(90.0, 80.0, 5), Some((1, "Warning, LOW".into())));
    assert_eq!(alarm(90.0, 83.0, 5), Some((1, "Warning, LOW predicted".into())));
    assert_eq!(alarm(120.0, 85.0, 5), Some((2, "Urgent, LOW predicted".into())));
    assert_eq!(alarm(120.0, 85.0, 11), Some((1, "Warning, LOW predicted".into())), "interpolated over 11 minutes");
}

#[test]
fn the_15_minute_line_and_the_cone() {
    let (m, ms, m5) = pair(150.0, 170.0, 5);
    let f = forecast(m, Some(ms), m5, NOW).unwrap();
    assert_eq!(display_line(&f, Units::MgDl).unwrap(), "BG 15m: 206 mg/dl");
    assert_eq!(cone(105.0, Some(NOW), 100.0, NOW, 2.0).len(), 26);
    assert_eq!(cone(105.0, Some(NOW), 100.0, NOW, 0.0).len(), 13);
    let c = cone(105.0, Some(NOW), 100.0, NOW, 2.0);
    assert!(c[0].mgdl < c[1].mgdl, "lower then upper point");
    assert_eq!((c[0].mills, c[1].mills), (NOW + 5 * MIN + 2000, NOW + 5 * MIN + 4000));
    assert!(c.iter().all(|p| (36.0..=400.0).contains(&p.mgdl)));
    assert!(forecast(30.0, Some(NOW), 40.0, NOW).is_none(), "no forecast under 36 mg/dL");
}

#[test]
fn the_property_has_nightscouts_shape() {
    let s = settings(&[]);
    let en = vec![];
    let cx = context(&s, &en);
    let (m, ms, m5) = pair(150.0, 170.0, 5);
    let v = property(Some((m, ms)), Some(m5), &cx);
    assert_eq!(v["level"], 1);
    assert_eq!(v["eventName"], "high");
    assert_eq!(v["displayLine"], "BG 15m: 206 mg/dl");
    assert_eq!(v["forecast"]["predicted"].as_array().unwrap().len(), 6);
    assert_eq!(v["forecast"]["predicted"][0]["color"], "cyan");
    assert_eq!(v["cone"].as_array().unwrap().len(), 26);
    assert_eq!(property(None, None, &cx), serde_json::json!({"forecast": {"predicted": [], "avgLoss": 0}}));
}
