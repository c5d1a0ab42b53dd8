use serde_json::json;

use super::*;
use crate::domain::plugins::fixtures::*;

#[test]
fn androidaps_pump_reservoir_and_battery_percent_get_warning_levels() {
    let s = settings(&[]);
    let v = property(&with(&[], &[aaps_status(2.0)]), &s.pump, &s);
    assert_eq!(v["pump"]["reservoir"], 8.5, "the devicestatus itself is the property");
    assert_eq!(v["clockMills"], NOW - 2 * MIN);
    let d = &v["data"];
    assert_eq!(
        d["reservoir"],
        json!({"value": 8.5, "label": "Reservoir", "display": "8.50U", "level": 1,
        "message": "Warning, Pump Reservoir Low"})
    );
    assert_eq!(d["battery"]["display"], "25%");
    assert_eq!(d["battery"]["unit"], "percent");
    assert_eq!(d["battery"]["level"], 1);
    assert_eq!(d["clock"]["display"], "2m ago");
    assert_eq!(d["clock"]["level"], -3);
    assert_eq!(d["status"], json!({"value": "normal", "display": "normal", "label": "Status"}));
    assert_eq!(d["extended"]["ActiveProfile"], "LocalProfile");
    assert_eq!(d["device"], json!({"label": "Device", "display": "openaps://samsung SM-G970F"}));
    assert_eq!(d["level"], 1);
    assert_eq!(d["title"], "Warning, Pump Reservoir Low");
    assert_eq!(d["message"], "Pump Battery: 25%\nPump Reservoir: 8.50U");
}

#[test]
fn loop_pump_voltage_and_a_stale_clock_are_urgent_and_warning() {
    let s = settings(&[]);
    let v = property(&with(&[], &[loop_status(45.0)]), &s.pump, &s);
    let d = &v["data"];
    assert_eq!(d["reservoir"]["display"], "3.00U");
    assert_eq!(d["reservoir"]["level"], 2);
    assert_eq!(d["battery"]["display"], "1.25v");
    assert_eq!(d["battery"]["level"], 2, "1.25 V is under PUMP_URGENT_BATT_V 1.3");
    assert_eq!(d["clock"]["level"], 1, "45 minutes is past PUMP_WARN_CLOCK 30");
    assert_eq!(d["clock"]["message"], "Warning, Pump data stale");
    assert_eq!(d["level"], 2);
    assert_eq!(d["title"], "URGENT: Pump Reservoir Low");
    assert_eq!(d["model"], "723");
}

#[test]
fn thresholds_follow_the_pump_env_settings() {
    let s = settings(&[
        ("PUMP_WARN_RES", "5"),
        ("PUMP_URGENT_RES", "2"),
        ("PUMP_WARN_BATT_P", "20"),
        ("PUMP_URGENT_BATT_P", "10"),
    ]);
    let v = property(&with(&[], &[aaps_status(2.0)]), &s.pump, &s);
    assert_eq!(v["data"]["level"], -3);
    assert!(v["data"].get("message").is_none());
}

#[test]
fn the_newest_pump_clock_wins_and_old_or_missing_statuses_give_only_data() {
    let s = settings(&[]);
    let a = doc(json!({"created_at": ago(1.0), "pump": {"clock": ago(20.0), "reservoir": 50}}));
    let b = doc(json!({"created_at": ago(5.0), "pump": {"clock": ago(5.0), "reservoir": 40}}));
    let v = property(&with(&[], &[a, b]), &s.pump, &s);
    assert_eq!(v["pump"]["reservoir"], 40);
    let v = property(&with(&[], &[aaps_status(121.0)]), &s.pump, &s);
    assert!(v.get("pump").is_none(), "older than 2 x PUMP_URGENT_CLOCK");
    assert_eq!(v["data"]["level"], -3);
    assert_eq!(v["data"]["device"], json!({"label": "Device", "display": null}));
}

#[test]
fn an_omnipod_without_reservoir_shows_50_plus_and_suspended_pumps_can_warn() {
    let s = settings(&[("PUMP_WARN_ON_SUSPEND", "true")]);
    let pod = doc(json!({"created_at": ago(1.0), "pump": {"clock": ago(1.0), "manufacturer": "Insulet",
        "status": {"suspended": true}}}));
    let d = &property(&with(&[], &[pod]), &s.pump, &s)["data"];
    assert_eq!(d["reservoir"], json!({"label": "Reservoir", "display": "50+ U"}));
    assert_eq!(d["status"]["display"], "suspended");
    assert_eq!(d["level"], 1);
    assert_eq!(d["title"], "Pump Suspended");
}

#[test]
fn quiet_nights_silence_the_battery_in_the_profiles_time_zone() {
    // 10:00 UTC is 02:00 in Los Angeles, before DAY_START 7.
    let s = settings(&[("PUMP_WARN_BATT_QUIET_NIGHT", "true")]);
    let mut p = profile();
    p["store"]["Default"]["timezone"] = json!("America/Los_Angeles");
    let statuses = [aaps_status(2.0)];
    let inp = crate::domain::plugins::inputs(&[], &[], &statuses, Some(&p), NOW);
    let d = &property(&inp, &s.pump, &s)["data"];
    assert_eq!(d["battery"]["level"], -3);
    assert_eq!(d["reservoir"]["level"], 1, "the reservoir still warns");
}

#[test]
fn an_openaps_offline_marker_suppresses_the_pump_level() {
    let s = settings(&[]);
    let off = doc(json!({"eventType": "OpenAPS Offline", "created_at": ago(10.0), "duration": 60}));
    let d = &property(&with(&[off], &[loop_status(2.0)]), &s.pump, &s)["data"];
    assert_eq!(d["level"], -3);
    assert_eq!(d["reservoir"]["level"], 2);
}
