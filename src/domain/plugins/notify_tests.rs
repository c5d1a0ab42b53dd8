use serde_json::json;

use super::*;
use crate::domain::plugins::fixtures::*;
use crate::domain::plugins::inputs;

fn enabled(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| s.to_string()).collect()
}

fn groups(n: &[Notify]) -> Vec<(String, i64)> {
    n.iter().map(|n| (n.group.clone(), n.level)).collect()
}

#[test]
fn loop_not_looping_warns_after_loop_warn_and_only_with_loop_enable_alerts() {
    let en = enabled(&["loop"]);
    let off = settings(&[]);
    assert!(requests(&with(&[], &[loop_status(45.0)]), &context(&off, &en)).is_empty());
    let s = settings(&[("LOOP_ENABLE_ALERTS", "true")]);
    let cx = context(&s, &en);
    assert!(requests(&with(&[], &[loop_status(25.0)]), &cx).is_empty());
    let n = requests(&with(&[], &[loop_status(45.0)]), &cx);
    assert_eq!(groups(&n), vec![("Loop".into(), 1)]);
    assert_eq!(n[0].title, "Loop isn't looping");
    assert_eq!(n[0].message, "Last Loop: 45m ago");
    assert_eq!(groups(&requests(&with(&[], &[loop_status(65.0)]), &cx)), vec![("Loop".into(), 2)]);
    assert!(requests(&with(&[], &[]), &cx).is_empty(), "no loop reported yet");
}

#[test]
fn openaps_not_looping_is_silenced_by_an_offline_marker() {
    let en = enabled(&["openaps"]);
    let s = settings(&[("OPENAPS_ENABLE_ALERTS", "true")]);
    let cx = context(&s, &en);
    let n = requests(&with(&[], &[aaps_status(70.0)]), &cx);
    assert_eq!(groups(&n), vec![("OpenAPS".into(), 2)]);
    assert_eq!(n[0].title, "OpenAPS isn't looping");
    let off = doc(json!({"eventType": "OpenAPS Offline", "created_at": ago(5.0), "duration": 60}));
    assert!(requests(&with(&[off], &[aaps_status(70.0)]), &cx).is_empty());
}

#[test]
fn pump_battery_and_reservoir_notify_with_pump_enable_alerts() {
    let en = enabled(&["pump"]);
    let s = settings(&[("PUMP_ENABLE_ALERTS", "true")]);
    let n = requests(&with(&[], &[loop_status(2.0)]), &context(&s, &en));
    assert_eq!(groups(&n), vec![("Pump".into(), 2)]);
    assert_eq!(n[0].title, "URGENT: Pump Reservoir Low");
    assert_eq!(n[0].message, "Pump Battery: 1.25v\nPump Reservoir: 3.00U");
    assert_eq!(n[0].sound, Some("echo"));
    let fine =
        doc(json!({"created_at": ago(1.0), "pump": {"clock": ago(1.0), "reservoir": 100, "battery": {"percent": 80}}}));
    assert!(requests(&with(&[], &[fine]), &context(&s, &en)).is_empty());
}

#[test]
fn uploader_battery_warns_at_upbat_warn_and_is_urgent_at_upbat_urgent() {
    let en = enabled(&["upbat"]);
    let s = settings(&[("UPBAT_ENABLE_ALERTS", "true")]);
    let phone = |b: i64| doc(json!({"device": "xDrip-DexcomG6", "created_at": ago(2.0), "uploader": {"battery": b}}));
    let cx = context(&s, &en);
    assert!(requests(&with(&[], &[phone(31)]), &cx).is_empty());
    let n = requests(&with(&[], &[phone(30)]), &cx);
    assert_eq!(groups(&n), vec![("Uploader Battery".into(), 1)]);
    assert_eq!(n[0].title, "Warning Uploader Battery is Low");
    assert_eq!(n[0].message, "xDrip-DexcomG6 30%");
    assert_eq!(groups(&requests(&with(&[], &[phone(20)]), &cx)), vec![("Uploader Battery".into(), 2)]);
}

#[test]
fn device_ages_notify_on_the_hour_with_their_enable_alerts() {
    let en = enabled(&["cage", "sage", "iage", "bage"]);
    let s = settings(&[("CAGE_ENABLE_ALERTS", "true"), ("BAGE_ENABLE_ALERTS", "true")]);
    let t = [
        doc(json!({"eventType": "Site Change", "created_at": ago(72.0 * 60.0 + 3.0)})),
        doc(json!({"eventType": "Pump Battery Change", "created_at": ago(312.0 * 60.0)})),
        doc(json!({"eventType": "Insulin Change", "created_at": ago(48.0 * 60.0)})),
    ];
    let n = requests(&with(&t, &[]), &context(&s, &en));
    assert_eq!(groups(&n), vec![("CAGE".into(), 2), ("BAGE".into(), 0)], "IAGE alerts are off");
    assert_eq!(n[0].title, "Cannula age 72 hours");
    assert_eq!(n[0].sound, Some("persistent"));
}

#[test]
fn announcements_are_info_notifications_for_ten_minutes() {
    let en = enabled(&["treatmentnotify"]);
    let s = settings(&[]);
    let a = doc(json!({"_id": "a1", "eventType": "Announcement", "notes": "Pump site changed, all good",
        "created_at": ago(2.0), "enteredBy": "mum"}));
    let inp = inputs(&[], std::slice::from_ref(&a), &[], None, NOW);
    let n = requests(&inp, &context(&s, &en));
    assert_eq!(n.len(), 1);
    let v = n[0].to_json();
    assert_eq!(v["level"], 0);
    assert_eq!(v["title"], "Announcement");
    assert_eq!(v["message"], "Pump site changed, all good");
    assert_eq!(v["group"], "Announcement");
    assert_eq!(v["isAnnouncement"], true);
    assert_eq!(v["plugin"], json!({"name": "treatmentnotify"}));
    assert_eq!(v["key"].as_str().unwrap().len(), 40);
    let mut old = a;
    old["created_at"] = json!(ago(11.0));
    assert!(requests(&inputs(&[], &[old], &[], None, NOW), &context(&s, &en)).is_empty());
}

#[test]
fn the_predict_alarm_needs_a_reading_of_the_last_10_minutes() {
    let s = settings(&[]);
    let en = enabled(&[]);
    let cx = context(&s, &en);
    let e = |mgdl: i64, mins: i64| doc(json!({"type": "sgv", "sgv": mgdl, "date": NOW - mins * MIN}));
    let inp = inputs(&[e(120, 5), e(85, 0)], &[], &[], None, NOW);
    let n = predict(&inp, &cx, Some((85.0, NOW)), Some(120.0)).unwrap();
    assert_eq!((n.level, n.title.as_str(), n.group.as_str()), (2, "Urgent, LOW predicted", "default"));
    assert_eq!(n.event_name, Some("low"));
    assert_eq!(n.sound, Some("persistent"));
    assert!(n.message.starts_with("BG Now: 85 mg/dl\nBG 15m: "));
    let stale = inputs(&[e(120, 16), e(85, 11)], &[], &[], None, NOW);
    assert!(predict(&stale, &cx, Some((85.0, NOW - 11 * MIN)), Some(120.0)).is_none());
}

#[test]
fn format_ago_matches_timeago() {
    assert_eq!(format_ago(NOW - 30_000, NOW), "1m ago");
    assert_eq!(format_ago(NOW - 45 * MIN, NOW), "45m ago");
    assert_eq!(format_ago(NOW - 90 * MIN, NOW), "2h ago");
    assert_eq!(format_ago(NOW - 30 * 60 * MIN, NOW), "1d ago");
    assert_eq!(format_ago(NOW + 10 * MIN, NOW), "future");
}

#[test]
fn notifications_speak_the_server_language_german_and_spanish() {
    let en = enabled(&["cage", "sage", "loop", "pump"]);
    let s = settings(&[("CAGE_ENABLE_ALERTS", "true"), ("LOOP_ENABLE_ALERTS", "true"), ("PUMP_ENABLE_ALERTS", "true")]);
    let t = [doc(json!({"eventType": "Site Change", "created_at": ago(72.0 * 60.0 + 3.0)}))];
    let statuses = [loop_status(45.0)];
    let inp = with(&t, &statuses);
    let mut de = context(&s, &en);
    de.tr = crate::domain::i18n::Tr::new("de");
    let n = requests(&inp, &de);
    let by = |g: &str| n.iter().find(|n| n.group == g).unwrap().clone();
    assert_eq!((by("Loop").title, by("Loop").message), ("Loop läuft nicht".into(), "Letzter Loop: vor 45 Min.".into()));
    assert_eq!(by("CAGE").title, "Kanülenalter 72 Stunden");
    assert_eq!(by("CAGE").message, "Kanülenwechsel überfällig!");
    assert_eq!(by("Pump").title, "DRINGEND: Pumpenreservoir fast leer");
    assert_eq!(by("Pump").message, "Pumpenbatterie: 1.25v\nPumpenreservoir: 3.00U");
    let mut es = context(&s, &en);
    es.tr = crate::domain::i18n::Tr::new("es");
    let n = requests(&inp, &es);
    let by = |g: &str| n.iter().find(|n| n.group == g).unwrap().clone();
    assert_eq!(by("Loop").message, "Último loop: hace 45 min");
    assert_eq!(by("CAGE").title, "Edad de la cánula: 72 horas");
    let e = |mgdl: i64, mins: i64| doc(json!({"type": "sgv", "sgv": mgdl, "date": NOW - mins * MIN}));
    let inp = inputs(&[e(120, 5), e(85, 0)], &[], &[], None, NOW);
    let p = predict(&inp, &es, Some((85.0, NOW)), Some(120.0)).unwrap();
    assert_eq!(p.title, "Urgente, BAJA previsto");
    assert!(p.message.starts_with("Glucemia actual: 85 mg/dl\nGlucemia en 15 min: "), "{}", p.message);
}
