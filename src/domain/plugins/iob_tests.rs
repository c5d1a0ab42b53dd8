use serde_json::json;

use super::*;
use crate::domain::plugins::fixtures::*;

#[test]
fn androidaps_iob_comes_from_openaps_iob_with_basal_iob_and_activity() {
    let v = total(&with(&[], &[aaps_status(2.0)]), NOW).to_json();
    assert_eq!(v["iob"], 1.234);
    assert_eq!(v["basaliob"], -0.25);
    assert_eq!(v["activity"], 0.0123);
    assert_eq!(v["source"], "OpenAPS");
    assert_eq!(v["device"], "openaps://samsung SM-G970F");
    assert_eq!(v["mills"], NOW - 2 * MIN);
    assert_eq!(v["display"], "1.23");
    assert_eq!(v["displayLine"], "IOB: 1.23U");
}

#[test]
fn openaps_ama_iob_arrays_use_their_first_element_and_its_time() {
    let v = total(&with(&[], &[openaps_status(4.0)]), NOW).to_json();
    assert_eq!(v["iob"], 2.5);
    assert_eq!(v["display"], "2.50");
    assert_eq!(v["mills"], NOW - 4 * MIN);
}

#[test]
fn loops_own_iob_wins_over_a_newer_pump_reported_one() {
    let pump = doc(json!({"device": "loop://iPhone", "created_at": ago(1.0), "pump": {"iob": {"bolusiob": 0.7}}}));
    let v = total(&with(&[], &[loop_status(3.0), pump]), NOW).to_json();
    assert_eq!(v["iob"], 0.567);
    assert_eq!(v["source"], "Loop");
    assert_eq!(v["display"], "0.57");
}

#[test]
fn a_pump_iob_falls_back_to_bolusiob_and_names_mm_connect() {
    let pump = doc(json!({"device": "connect://paradigm", "created_at": ago(1.0), "connect": {},
        "pump": {"iob": {"bolusiob": 0.7}}}));
    let v = total(&with(&[], &[pump]), NOW).to_json();
    assert_eq!(v["iob"], 0.7);
    assert_eq!(v["source"], "MM Connect");
}

#[test]
fn treatments_follow_nightscouts_insulin_curve() {
    // DIA 3 (scale 1): 60 minutes after a 2 U bolus, x1 = 13:
    // 2 * (1 - 0.001852*169 + 0.001852*13) = 1.422176.
    let bolus = doc(json!({"eventType": "Correction Bolus", "insulin": 2, "created_at": ago(60.0)}));
    let v = total(&with(std::slice::from_ref(&bolus), &[]), NOW).to_json();
    assert_eq!(v["iob"], 1.422);
    assert_eq!(v["display"], "1.42");
    assert_eq!(v["source"], "Care Portal");
    assert_eq!(v["lastBolus"]["insulin"], 2);
    // activity: sens 50 * 2 U * (2/3/60/75) * 60 min = 0.8889 mg/dL per minute.
    assert!((v["activity"].as_f64().unwrap() - 0.888_888).abs() < 1e-5);
    // 120 minutes: x2 = 9, 2 * (0.001323*81 - 0.054233*9 + 0.55556) = 0.349252.
    let old = doc(json!({"insulin": 2, "created_at": ago(120.0)}));
    assert_eq!(total(&with(&[old], &[]), NOW).to_json()["iob"], 0.349);
    // Past 180 minutes (DIA 3) nothing is left; a future bolus does not count.
    let gone = doc(json!({"insulin": 2, "created_at": ago(181.0)}));
    let future = doc(json!({"insulin": 5, "created_at": ago(-10.0)}));
    let v = total(&with(&[gone, future], &[]), NOW).to_json();
    assert_eq!(v["iob"], 0);
    assert_eq!(v["display"], "0");
    assert_eq!(v["lastBolus"], json!(null));
}

#[test]
fn a_longer_dia_stretches_the_curve() {
    // DIA 4: scale 0.75, 60 minutes count as 45; x1 = 10: 2 * 0.83332 = 1.66664.
    let mut p = profile();
    p["store"]["Default"]["dia"] = json!(4);
    let bolus = doc(json!({"insulin": 2, "created_at": ago(60.0)}));
    let inp = crate::domain::plugins::inputs(&[], &[bolus], &[], Some(&p), NOW);
    assert_eq!(total(&inp, NOW).to_json()["iob"], 1.667);
}

#[test]
fn device_iob_carries_the_careportal_iob_beside_it_and_old_statuses_are_ignored() {
    let bolus = doc(json!({"insulin": 2, "created_at": ago(60.0)}));
    let v = total(&with(std::slice::from_ref(&bolus), &[aaps_status(2.0)]), NOW).to_json();
    assert_eq!(v["source"], "OpenAPS");
    assert_eq!(v["treatmentIob"], 1.422);
    let v = total(&with(&[bolus], &[aaps_status(31.0)]), NOW).to_json();
    assert_eq!(v["source"], "Care Portal", "a devicestatus older than 30 minutes is not used");
}

#[test]
fn nothing_to_go_on_gives_an_empty_object() {
    assert_eq!(total(&with(&[], &[]), NOW).to_json(), json!({}));
}
