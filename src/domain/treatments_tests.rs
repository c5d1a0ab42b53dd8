use super::*;
use serde_json::json;

fn doc(v: Value) -> Doc {
    v.as_object().cloned().unwrap()
}

#[test]
fn created_at_goes_to_utc_and_keeps_the_offset() {
    let mut d = doc(json!({"eventType": "Meal Bolus", "created_at": "2014-07-20T00:44:15.000-07:00", "carbs": "30"}));
    assert_eq!(normalize(&mut d, true, 0, true), None);
    assert_eq!(d["created_at"], "2014-07-20T07:44:15.000Z");
    assert_eq!(d["utcOffset"], -420);
    assert_eq!(d["carbs"], 30);
    let mut d = doc(json!({"eventType": "Note"}));
    normalize(&mut d, true, 1405842255000, true);
    assert_eq!(d["created_at"], "2014-07-20T07:44:15.000Z");
    let mut d = doc(json!({"eventType": "Note", "timestamp": 1405842255000i64}));
    normalize(&mut d, true, 0, true);
    assert_eq!(d["created_at"], "2014-07-20T07:44:15.000Z", "timestamp before now");
    assert_eq!(d["utcOffset"], 0);
}

#[test]
fn event_time_wins_over_created_at_and_is_removed() {
    let mut d = doc(json!({"created_at": "2014-07-20T09:44:15+02:00", "eventTime": "2014-07-20T08:00:00Z"}));
    normalize(&mut d, true, 0, true);
    assert_eq!(d["created_at"], "2014-07-20T08:00:00.000Z");
    assert_eq!(d["utcOffset"], 120);
    assert!(!d.contains_key("eventTime"));
}

#[test]
fn numbers_are_coerced_and_zero_fields_removed() {
    let mut d = doc(json!({"created_at": "2014-07-20T07:44:15Z", "eventType": "Temp Basal", "carbs": 0,
        "insulin": "", "absolute": "0", "duration": "30", "percent": "x", "notes": "", "glucose": 0,
        "glucoseType": "Finger", "units": "mg/dl", "rate": 1.5, "targetTop": "120.5"}));
    normalize(&mut d, true, 0, true);
    for k in ["carbs", "insulin", "percent", "notes", "glucose", "glucoseType", "units"] {
        assert!(!d.contains_key(k), "{k} should be removed");
    }
    assert_eq!(d["absolute"], 0, "absolute 0 survives");
    assert_eq!(d["duration"], 30);
    assert_eq!(d["rate"], 1.5, "fields outside the list are untouched");
    assert_eq!(d["targetTop"], 120.5);
    let mut d = doc(json!({"eventType": "BG Check", "glucose": "5.5", "glucoseType": "Finger", "units": "mmol"}));
    normalize(&mut d, true, 0, true);
    assert_eq!(d["glucose"], 5.5);
    assert_eq!(d["units"], "mmol");
}

#[test]
fn announcement_is_flagged() {
    let mut d = doc(json!({"eventType": "Announcement", "notes": "Pump down"}));
    normalize(&mut d, true, 0, true);
    assert_eq!(d["isAnnouncement"], true);
}

#[test]
fn prebolus_splits_carbs_into_a_later_record() {
    let mut d = doc(json!({"eventType": "Meal Bolus", "created_at": "2014-07-20T07:00:00Z", "insulin": 4,
        "carbs": 40, "preBolus": "15", "notes": "lunch"}));
    let carbs = normalize(&mut d, true, 0, true).unwrap();
    assert!(!d.contains_key("carbs"));
    assert_eq!(d["preBolus"], 15);
    let second = prebolus_record(&d, carbs).unwrap();
    assert_eq!(
        json!(second),
        json!({"created_at": "2014-07-20T07:15:00.000Z", "eventType": "Meal Bolus", "carbs": 40, "notes": "lunch"})
    );
    let mut put = doc(json!({"eventType": "Meal Bolus", "carbs": 40, "preBolus": 15}));
    assert_eq!(normalize(&mut put, true, 0, false), None, "PUT keeps the carbs");
    assert_eq!(put["carbs"], 40);
}

#[test]
fn uuid_ids_become_identifiers_and_dedup_prefers_identifier_then_id_then_time() {
    let mut d = doc(json!({"_id": "0b3a2a4e-1c1f-4c3e-9a6e-2f2d3b4c5d6e", "eventType": "Note"}));
    normalize(&mut d, true, 0, true);
    assert_eq!(d["identifier"], "0b3a2a4e-1c1f-4c3e-9a6e-2f2d3b4c5d6e");
    let (key, _) = dedup(&mut d, true);
    assert_eq!(key, Key::Identifier("0b3a2a4e-1c1f-4c3e-9a6e-2f2d3b4c5d6e".into()));

    let mut d = doc(json!({"_id": "5c9c1c3e2f8b4a0012345678", "identifier": "abc", "eventType": "Note"}));
    let (key, f) = dedup(&mut d, false);
    assert_eq!(key, Key::Identifier("abc".into()));
    assert_eq!(f, Filter::eq("identifier", Val::Str("abc".into())));
    assert!(!d.contains_key("_id"));

    let mut d = doc(json!({"_id": "5c9c1c3e2f8b4a0012345678", "eventType": "Note"}));
    assert_eq!(dedup(&mut d, true).0, Key::Id("5c9c1c3e2f8b4a0012345678".into()));

    let mut d = doc(json!({"created_at": "2014-07-20T07:00:00.000Z", "syncIdentifier": "loop-1"}));
    let (key, f) = dedup(&mut d, true);
    assert_eq!(key, Key::TimeAndType);
    assert_eq!(
        f,
        Filter::eq("created_at", Val::Str("2014-07-20T07:00:00.000Z".into()))
            .and(Filter::field("eventType", Cond::Exists(false)))
    );
}

#[test]
fn read_back_gives_null_for_absent_carbs_and_insulin() {
    let mut d = doc(json!({"eventType": "Note", "carbs": "12"}));
    read_back(&mut d);
    assert_eq!(json!(d), json!({"eventType": "Note", "carbs": 12, "insulin": null}));
}

#[test]
fn js_number_follows_javascript() {
    assert_eq!(js_number(&json!("  12.5 ")), Some(12.5));
    assert_eq!(js_number(&json!("")), Some(0.0));
    assert_eq!(js_number(&json!(null)), Some(0.0));
    assert_eq!(js_number(&json!(true)), Some(1.0));
    assert_eq!(js_number(&json!("12abc")), None);
    assert_eq!(js_number(&json!("inf")), None);
    assert_eq!(js_number(&json!({})), None);
    assert_eq!(json_number(3.0), json!(3));
    assert_eq!(json_number(0.25), json!(0.25));
}
