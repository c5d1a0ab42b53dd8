use super::*;
use serde_json::json;

fn parse(c: Collection, find: Value) -> Result<Filter, QueryError> {
    parse_find(Some(&find), &Spec::of(c), true)
}

#[test]
fn entries_numbers_are_parsed_like_parse_int() {
    let f = parse(Collection::Entries, json!({"sgv": {"$gte": "120.7"}, "type": "sgv"})).unwrap();
    assert_eq!(
        f,
        Filter::And(vec![Filter::field("sgv", Cond::Gte(Val::Int(120))), Filter::eq("type", Val::Str("sgv".into())),])
    );
    assert_eq!(parse_int_js("abc"), Val::Nan);
    assert_eq!(parse_int_js(" -5x"), Val::Int(-5));
}

#[test]
fn entries_date_accepts_epoch_ms_and_iso_dates() {
    let f = parse(Collection::Entries, json!({"date": {"$gt": "1405791855000"}})).unwrap();
    assert_eq!(f, Filter::field("date", Cond::Gt(Val::Int(1405791855000))));
    let f = parse(Collection::Entries, json!({"date": {"$gte": "2014-07-20T00:44:15.000-07:00"}})).unwrap();
    assert_eq!(f, Filter::field("date", Cond::Gte(Val::Int(1405842255000))));
}

#[test]
fn treatment_dates_are_rewritten_to_utc_and_numbers_stay_text() {
    let f = parse(Collection::Treatments, json!({"created_at": {"$gte": "2015"}})).unwrap();
    assert_eq!(f, Filter::field("created_at", Cond::Gte(Val::Str("2015".into()))));
    let f = parse(Collection::Treatments, json!({"created_at": {"$gte": "2014-07-20T00:44:15 07:00"}})).unwrap();
    assert_eq!(f, Filter::field("created_at", Cond::Gte(Val::Str("2014-07-19T17:44:15.000Z".into()))));
    let f = parse(Collection::Treatments, json!({"created_at": "2014-07-20T07:44:15Z"})).unwrap();
    assert_eq!(f, Filter::eq("created_at", Val::Str("2014-07-20T07:44:15.000Z".into())));
    let err = parse(Collection::Treatments, json!({"created_at": {"$gte": "yesterday"}})).unwrap_err();
    assert!(err.0.contains("Cannot parse yesterday"));
}

#[test]
fn treatment_text_fields_take_regex_literals() {
    let f = parse(Collection::Treatments, json!({"eventType": "/Bolus/i", "carbs": "15"})).unwrap();
    assert_eq!(
        f,
        Filter::And(vec![
            Filter::field("eventType", Cond::Regex { pattern: "Bolus".into(), options: "i".into() }),
            Filter::eq("carbs", Val::Int(15)),
        ])
    );
}

#[test]
fn unknown_operators_are_refused() {
    for op in ["$where", "$expr", "$function", "$elemMatch"] {
        let err = parse(Collection::Entries, json!({"sgv": {op: "1"}})).unwrap_err();
        assert!(err.0.contains(op), "{op}: {err}");
    }
    assert!(parse(Collection::Entries, json!({"$where": "sleep(1000)"})).is_err());
    assert!(parse(Collection::Entries, json!({"a\"b": "1"})).is_err());
}

#[test]
fn in_lists_ids_and_uuids() {
    let f = parse(Collection::Entries, json!({"type": {"$in": ["sgv", "mbg"]}})).unwrap();
    assert_eq!(f, Filter::field("type", Cond::In(vec![Val::Str("sgv".into()), Val::Str("mbg".into())])));
    let f = parse(Collection::Entries, json!({"_id": "5c9c1c3e2f8b4a0012345678"})).unwrap();
    assert_eq!(f, Filter::eq("_id", Val::ObjectId("5c9c1c3e2f8b4a0012345678".into())));
    let uuid = "0b3a2a4e-1c1f-4c3e-9a6e-2f2d3b4c5d6e";
    let f = parse(Collection::Treatments, json!({"_id": uuid})).unwrap();
    assert!(matches!(f, Filter::Or(ref v) if v.len() == 2));
}

#[test]
fn default_window_is_added_unless_a_date_constraint_exists() {
    let spec = Spec::of(Collection::Entries);
    let now = 1_000_000_000_000;
    let f = with_default_window(Filter::All, &spec, now);
    assert_eq!(f, Filter::field("date", Cond::Gte(Val::Int(now - DEFAULT_WINDOW_MS))));
    let ds = Filter::field("dateString", Cond::Gte(Val::Str("2015".into())));
    assert_eq!(with_default_window(ds.clone(), &spec, now), ds);
    let t = with_default_window(Filter::All, &Spec::of(Collection::Treatments), now);
    assert!(matches!(t, Filter::Field { ref path, cond: Cond::Gte(Val::Str(_)) } if path == "created_at"));
}

#[test]
fn or_and_nested_fields_and_exists() {
    let f = parse(
        Collection::DeviceStatus,
        json!({"$or": [{"device": "a"}, {"device": "b"}], "pump": {"battery": {"$exists": "true"}}}),
    )
    .unwrap();
    let Filter::And(parts) = f else { panic!("expected And") };
    assert!(matches!(parts[0], Filter::Or(ref v) if v.len() == 2));
    assert_eq!(parts[1], Filter::field("pump.battery", Cond::Exists(true)));
}
