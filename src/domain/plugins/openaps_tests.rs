use serde_json::json;

use super::*;
use crate::domain::plugins::fixtures::*;

#[test]
fn androidaps_status_reports_enacted_suggested_and_predictions() {
    let s = settings(&[]);
    let (v, last) = analyze(&with(&[], &[aaps_status(2.0)]), &s.openaps);
    assert_eq!(v["lastEnacted"]["rate"], 0.5);
    assert_eq!(v["lastEnacted"]["moment"], ago(3.0));
    assert_eq!(v["lastSuggested"]["moment"], ago(2.0));
    assert_eq!(v["lastLoopMoment"], ago(2.0), "the suggestion is newer than the enactment");
    assert_eq!(v["lastEventualBG"], 120);
    assert_eq!(v["lastPredBGs"]["IOB"], json!([143, 140, 137]));
    assert_eq!(v["lastPredBGs"]["moment"], ago(2.0));
    assert_eq!(v["lastIOB"], json!(null), "an iob object with only `time` has no moment in Nightscout");
    assert_eq!(v["lastNotEnacted"], json!(null));
    assert_eq!(v["status"], json!({"symbol": "⌁", "code": "enacted", "label": "Enacted"}));
    let dev = &v["seenDevices"]["openaps://samsung SM-G970F"];
    assert_eq!(dev["name"], "samsung SM-G970F");
    assert_eq!(dev["status"]["code"], "enacted");
    assert_eq!(dev["status"]["when"], ago(2.0));
    assert_eq!(last, Some(NOW - 2 * MIN));
}

#[test]
fn an_oref0_rig_with_recieved_and_array_predictions() {
    let s = settings(&[]);
    let (v, _) = analyze(&with(&[], &[openaps_status(4.0)]), &s.openaps);
    assert_eq!(v["lastEnacted"]["rate"], 0, "oref0 spells it recieved");
    assert_eq!(v["lastPredBGs"]["values"], json!([110, 108, 106]));
    assert_eq!(v["lastIOB"]["iob"], 2.5);
    assert_eq!(v["lastEventualBG"], 95);
    assert_eq!(v["seenDevices"]["openaps://edison"]["name"], "edison");
    assert_eq!(v["seenDevices"]["openaps://edison"]["mmtune"]["moment"], ago(4.0));
}

#[test]
fn a_not_received_enactment_and_stale_loops_change_the_status() {
    let s = settings(&[]);
    let mut st = aaps_status(2.0);
    st["openaps"]["enacted"]["received"] = json!(false);
    st["openaps"]["enacted"]["timestamp"] = json!(ago(1.0));
    let (v, _) = analyze(&with(&[], &[st]), &s.openaps);
    assert_eq!(v["status"]["code"], "notenacted");
    assert_eq!(v["lastNotEnacted"]["moment"], ago(1.0));
    let (v, _) = analyze(&with(&[], &[aaps_status(20.0)]), &s.openaps);
    assert_eq!(v["status"]["code"], "warning");
    assert_eq!(v["seenDevices"]["openaps://samsung SM-G970F"]["status"]["code"], "waiting");
    let (v, last) = analyze(&with(&[], &[aaps_status(400.0)]), &s.openaps);
    assert_eq!(v["lastLoopMoment"], json!(null), "older than 6 hours");
    assert!(v.get("lastLoopMoment").is_none() && last.is_none());
}

#[test]
fn the_offline_marker_runs_for_its_duration() {
    let off = doc(json!({"eventType": "OpenAPS Offline", "created_at": ago(10.0), "duration": 60}));
    assert!(offline_marker(&with(std::slice::from_ref(&off), &[])).is_some());
    let ended = doc(json!({"eventType": "OpenAPS Offline", "created_at": ago(70.0), "duration": 60}));
    assert!(offline_marker(&with(&[ended], &[])).is_none());
}
