use serde_json::json;

use super::*;
use crate::domain::plugins::fixtures::*;

fn change(event: &str, mins: f64) -> crate::domain::Doc {
    doc(json!({"eventType": event, "created_at": ago(mins), "notes": "left arm"}))
}

#[test]
fn cannula_age_is_whole_hours_since_the_last_site_change() {
    let s = settings(&[]);
    let t = [change("Site Change", 100.0 * 60.0), change("Site Change", 50.0 * 60.0 + 30.0)];
    let v = single(&with(&t, &[]), Kind::Cannula, &s.cage);
    assert_eq!(v["found"], true);
    assert_eq!(v["age"], 50);
    assert_eq!(v["days"], 2);
    assert_eq!(v["hours"], 2);
    assert_eq!(v["minFractions"], 30);
    assert_eq!(v["treatmentDate"], NOW - (50 * 60 + 30) * MIN);
    assert_eq!(v["notes"], "left arm");
    assert_eq!(v["display"], "50h", "CAGE_DISPLAY defaults to hours");
    assert_eq!(v["level"], 1, "48 h is CAGE_WARN");
    assert!(v.get("notification").is_none(), "CAGE_ENABLE_ALERTS is off by default");
    let v = single(&with(&[], &[]), Kind::Cannula, &s.cage);
    assert_eq!(
        v,
        json!({"found": false, "age": 0, "treatmentDate": null, "checkForAlert": false, "level": -3, "display": "n/a "})
    );
}

#[test]
fn age_notifications_fire_in_the_first_20_minutes_of_the_threshold_hour() {
    let s = settings(&[("CAGE_ENABLE_ALERTS", "true")]);
    let v = single(&with(&[change("Site Change", 48.0 * 60.0 + 10.0)], &[]), Kind::Cannula, &s.cage);
    assert_eq!(
        v["notification"],
        json!({"title": "Cannula age 48 hours", "message": "Time to change cannula",
        "pushoverSound": "incoming", "level": 1, "group": "CAGE"})
    );
    let v = single(&with(&[change("Site Change", 48.0 * 60.0 + 30.0)], &[]), Kind::Cannula, &s.cage);
    assert!(v.get("notification").is_none());
    let v = single(&with(&[change("Site Change", 72.0 * 60.0 + 5.0)], &[]), Kind::Cannula, &s.cage);
    assert_eq!(v["notification"]["message"], "Cannula change overdue!");
    assert_eq!(v["notification"]["pushoverSound"], "persistent");
    let v = single(&with(&[change("Site Change", 44.0 * 60.0)], &[]), Kind::Cannula, &s.cage);
    assert_eq!(v["notification"]["level"], 0, "info at CAGE_INFO");
}

#[test]
fn insulin_age_reaches_urgent_and_battery_age_displays_days() {
    let s = settings(&[("IAGE_ENABLE_ALERTS", "on")]);
    let v = single(&with(&[change("Insulin Change", 72.0 * 60.0 + 1.0)], &[]), Kind::Insulin, &s.iage);
    assert_eq!(v["level"], 2);
    assert_eq!(v["display"], "3d0h");
    assert_eq!(v["notification"]["title"], "Insulin reservoir age 72 hours");
    assert!(v.get("checkForAlert").is_none());
    let v = single(&with(&[change("Pump Battery Change", 338.0 * 60.0)], &[]), Kind::Battery, &s.bage);
    assert_eq!(v["display"], "14d2h");
    assert_eq!(v["level"], 1, "336 h is BAGE_WARN");
}

#[test]
fn sensor_age_takes_the_newer_of_start_and_change() {
    let s = settings(&[("SAGE_ENABLE_ALERTS", "true")]);
    let t = [change("Sensor Start", 240.0 * 60.0), change("Sensor Change", 164.0 * 60.0 + 5.0)];
    let v = sage(&with(&t, &[]), &s.sage);
    assert_eq!(v["min"], "Sensor Change");
    assert_eq!(v["Sensor Start"]["found"], false, "a change after the start supersedes it");
    let c = &v["Sensor Change"];
    assert_eq!(c["age"], 164);
    assert_eq!(c["display"], "6d20h");
    assert_eq!(c["displayLong"], "6 days 20 hours");
    assert_eq!(c["level"], 1);
    assert_eq!(c["notification"]["title"], "Sensor age 6 days 20 hours");
    assert_eq!(c["notification"]["group"], "SAGE");
    let t = [change("Sensor Change", 300.0 * 60.0), change("Sensor Start", 2.0 * 60.0)];
    let v = sage(&with(&t, &[]), &s.sage);
    assert_eq!(v["min"], "Sensor Start", "a restart counts from the start");
    assert_eq!(v["Sensor Start"]["displayLong"], "2 hours");
    assert_eq!(v["Sensor Start"]["level"], -3);
    let v = sage(&with(&[], &[]), &s.sage);
    assert_eq!(
        v,
        json!({"Sensor Start": {"found": false, "level": -3}, "Sensor Change": {"found": false}, "min": "Sensor Start"})
    );
}
