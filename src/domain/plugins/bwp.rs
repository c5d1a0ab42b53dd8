//! `bwp` (`lib/plugins/boluswizardpreview.js`): the bolus (or the carbs, when negative) that
//! would bring the current glucose, less what the insulin on board will do, into the target.

use serde_json::{Map, Value, json};

use super::iob::Iob;
use super::{Context, Inputs, mills_of, num, number};
use crate::domain::glucose;

/// `roundInsulinForDisplayFormat` (not Medtronic style): floored to 0.01, two decimals.
pub fn round_insulin(x: f64) -> String {
    if x == 0.0 { "0".into() } else { format!("{:.2}", (x * 100.0 + 1e-9).floor() / 100.0) }
}

/// `bwp.calc`: `{effect, outcome, bolusEstimate, scaledSGV, ...}`, or with `errors` when the
/// profile, IOB or a current reading is missing.
pub fn calc(inp: &Inputs, cx: &Context, iob: &Iob) -> Value {
    let now = inp.now;
    let last = inp.readings.first();
    let scaled = last.map(|r| glucose::scale(r.mgdl, cx.units));
    let mut r = Map::new();
    r.insert("effect".into(), 0.into());
    r.insert("outcome".into(), 0.into());
    r.insert("bolusEstimate".into(), 0.into());
    r.insert("scaledSGV".into(), scaled.map_or(Value::Null, num));
    let mut errors = Vec::new();
    let p = inp.profile.as_ref();
    let (sens, high, low) = match p {
        None => {
            errors.push("Missing need a treatment profile");
            (None, None, None)
        }
        Some(p) => {
            let v = (p.sens(now), p.target_high(now), p.target_low(now));
            if v.0.is_none() || v.1.is_none() || v.2.is_none() {
                errors.push("Missing sens, target_high, or target_low treatment profile fields");
            }
            v
        }
    };
    if !last.is_some_and(|r| r.mgdl >= 39.0 && now - r.mills <= 15 * 60_000) {
        errors.push("Data isn't current");
    }
    let (Some(sens), Some(high), Some(low), Some(scaled), true) = (sens, high, low, scaled, errors.is_empty()) else {
        r.insert("errors".into(), json!(errors));
        return Value::Object(r);
    };
    let iob_u = iob.iob.unwrap_or(0.0);
    r.insert("iob".into(), num(iob_u));
    let effect = iob_u * sens;
    let outcome = scaled - effect;
    r.insert("effect".into(), num(effect));
    r.insert("outcome".into(), num(outcome));
    let recent =
        inp.treatments.iter().rev().find(|t| {
            mills_of(t) <= now && now - mills_of(t) < 60 * 60_000 && number(t, "carbs").is_some_and(|c| c > 0.0)
        });
    r.insert("recentCarbs".into(), recent.map_or(Value::Null, |t| Value::Object(t.clone())));
    let mut estimate = 0.0;
    if outcome > high {
        estimate = (outcome - high) / sens;
        r.insert("aimTarget".into(), num(high));
        r.insert("aimTargetString".into(), "above high".into());
    }
    r.insert("belowLowTarget".into(), (scaled < low).into());
    if outcome < low {
        estimate = -(outcome - low).abs() / sens;
        r.insert("aimTarget".into(), num(low));
        r.insert("aimTargetString".into(), "below low".into());
    }
    r.insert("bolusEstimate".into(), num(estimate));
    if let Some(basal) = p.and_then(|p| p.basal(now)).filter(|_| estimate != 0.0) {
        let js = crate::domain::js::js_round;
        r.insert(
            "tempBasalAdjustment".into(),
            json!({"thirtymin": num(js((basal / 2.0 + estimate) / (basal / 2.0) * 100.0)),
                "onehour": num(js((basal + estimate) / basal * 100.0))}),
        );
    }
    let display = round_insulin(estimate);
    r.insert("bolusEstimateDisplay".into(), display.clone().into());
    r.insert("outcomeDisplay".into(), num(glucose::round_display(outcome, cx.units)));
    r.insert("displayIOB".into(), round_insulin(iob_u).into());
    r.insert("effectDisplay".into(), num(glucose::round_display(effect, cx.units)));
    r.insert("displayLine".into(), format!("BWP: {display}U").into());
    Value::Object(r)
}
