use serde_json::json;

use super::*;
use crate::domain::plugins::fixtures::*;

#[test]
fn a_recent_enacted_loop_shows_the_enacted_symbol_and_the_prediction() {
    let s = settings(&[]);
    let st = analyze(&with(&[], &[loop_status(12.0), loop_status(2.0)]), &s.loop_);
    let v = &st.property;
    assert_eq!(v["display"], json!({"symbol": "⌁", "code": "enacted", "label": "Enacted"}));
    assert_eq!(v["lastLoop"]["timestamp"], ago(2.0));
    assert_eq!(v["lastLoop"]["moment"], ago(2.0));
    assert_eq!(v["lastEnacted"]["rate"], 0.8);
    assert_eq!(v["lastPredicted"]["values"], json!([120, 118, 115, 113]));
    assert_eq!(v["lastOkMoment"], ago(2.0));
    assert_eq!(st.last_ok, Some(NOW - 2 * MIN));
}

#[test]
fn failures_not_received_and_old_loops_change_the_symbol() {
    let s = settings(&[]);
    let mut failed = loop_status(2.0);
    failed["loop"]["failureReason"] = json!("pump timeout");
    let st = analyze(&with(&[], &[loop_status(40.0), failed]), &s.loop_);
    assert_eq!(st.property["display"]["code"], "error");
    assert_eq!(st.property["lastOkMoment"], ago(40.0), "the failed loop is not ok");
    let mut looping = loop_status(5.0);
    looping["loop"].as_object_mut().unwrap().remove("enacted");
    let st = analyze(&with(&[], &[looping]), &s.loop_);
    assert_eq!(st.property["display"]["code"], "looping");
    let st = analyze(&with(&[], &[loop_status(20.0)]), &s.loop_);
    assert_eq!(st.property["display"]["code"], "warning", "older than LOOP_WARN / 2");
    let st = analyze(&with(&[], &[]), &s.loop_);
    assert_eq!(st.property["lastLoop"], json!(null));
    assert_eq!(st.property["display"]["symbol"], "⚠");
}

#[test]
fn the_loop_level_is_warn_after_30_and_urgent_after_60_minutes() {
    let s = settings(&[]);
    assert_eq!(level(Some(NOW - 29 * MIN), &s.loop_, NOW), -3);
    assert_eq!(level(Some(NOW - 31 * MIN), &s.loop_, NOW), 1);
    assert_eq!(level(Some(NOW - 61 * MIN), &s.loop_, NOW), 2);
    let s = settings(&[("LOOP_WARN", "10"), ("LOOP_URGENT", "20")]);
    assert_eq!(level(Some(NOW - 15 * MIN), &s.loop_, NOW), 1);
}
