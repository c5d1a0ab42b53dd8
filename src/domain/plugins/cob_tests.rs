use serde_json::json;

use super::*;
use crate::domain::plugins::fixtures::*;

#[test]
fn androidaps_cob_is_the_newer_of_suggested_and_enacted() {
    let v = total(&with(&[], &[aaps_status(2.0)]));
    assert_eq!(v["cob"], 25.4, "suggested (2 min ago) is newer than enacted (3 min ago)");
    assert_eq!(v["display"], 25.4);
    assert_eq!(v["displayLine"], "COB: 25.4g");
    assert_eq!(v["source"], "OpenAPS");
    assert_eq!(v["mills"], NOW - 2 * MIN);
}

#[test]
fn loop_cob_is_rounded_to_one_decimal_for_display() {
    let v = total(&with(&[], &[loop_status(3.0)]));
    assert_eq!(v["cob"], 12.345);
    assert_eq!(v["display"], 12.3);
    assert_eq!(v["source"], "Loop");
}

#[test]
fn carbs_absorb_linearly_after_a_20_minute_delay() {
    // 30 g at 30 g/h, 60 minutes ago: gone 20 + 60 minutes after eating, 20 minutes from now;
    // 20/60 h * 30 g/h = 10 g left.
    let carbs = doc(json!({"eventType": "Carb Correction", "carbs": 30, "created_at": ago(60.0)}));
    let v = total(&with(&[carbs], &[]));
    assert_eq!(v["display"], 10);
    assert_eq!(v["displayLine"], "COB: 10g");
    assert_eq!(v["source"], "Care Portal");
    assert_eq!(v["isDecaying"], 1);
    assert_eq!(v["rawCarbImpact"], 2.5, "50 / 10 * 30 / 60");
    assert_eq!(v["decayedBy"], ago(-20.0));
    assert_eq!(v["lastCarbs"]["carbs"], 30);
    assert_eq!(v["treatmentCOB"]["cob"], v["cob"]);
}

#[test]
fn insulin_activity_delays_absorption() {
    // With a 3 U bolus at the same time: the activity at the end (80 min) is
    // 50*3*(2/3/60 - 5*2/3/60/105) = 1.5873, at the start 0; delayed carbs
    // 0.79365 * 8 / 50 * 10 = 1.2698 g -> round(1.2698/30*60) = 3 more minutes: 23/60 h * 30 = 11.5 g.
    let meal = doc(json!({"eventType": "Meal Bolus", "carbs": 30, "insulin": 3, "created_at": ago(60.0)}));
    let v = total(&with(&[meal], &[]));
    assert_eq!(v["display"], 11.5);
}

#[test]
fn a_devicestatus_cob_older_than_10_minutes_gives_way_to_the_treatments() {
    let carbs = doc(json!({"carbs": 30, "created_at": ago(60.0)}));
    let v = total(&with(&[carbs], &[loop_status(12.0)]));
    assert_eq!(v["source"], "Care Portal");
    assert_eq!(v["display"], 10);
}

#[test]
fn cob_needs_a_profile_with_sens_and_carb_ratio() {
    let statuses = [aaps_status(2.0)];
    let inp = crate::domain::plugins::inputs(&[], &[], &statuses, None, NOW);
    assert_eq!(total(&inp), json!({}));
    assert_eq!(total(&with(&[], &[])), json!({}));
}
