//! Contract: `/api/v1/times`, `/times/echo` and `/slice` (spec 1.3) on both backends.

use crate::common::*;
use serde_json::{Value, json};

contract!(
    times_match_date_strings_by_expanded_patterns,
    times_echo_shows_the_patterns,
    slice_takes_a_storage_field_and_type,
    a_bad_pattern_is_a_400,
    echo_shows_the_query_a_listing_would_run,
);

/// Readings at 13:00, 13:05, 14:00 and 15:00 UTC of 2014-07-20 (outside the default window:
/// the pattern constrains `dateString`, so none applies).
async fn seed(app: &TestApp) {
    let at = |h: i64, m: i64| 1_405_814_400_000 + (h * 60 + m) * 60_000; // 2014-07-20T00:00Z
    let docs: Vec<Value> = [(13, 0, 100), (13, 5, 110), (14, 0, 120), (15, 0, 130)]
        .iter()
        .map(|(h, m, sgv)| json!({"type": "sgv", "sgv": sgv, "date": at(*h, *m), "dateString": iso(at(*h, *m))}))
        .collect();
    app.post_entries(Value::Array(docs)).await;
    app.post_entries(json!({"type": "mbg", "mbg": 140, "date": at(13, 1), "dateString": iso(at(13, 1))})).await;
}

fn sgvs(v: &Value) -> Vec<i64> {
    v.as_array().unwrap().iter().filter_map(|e| e["sgv"].as_i64()).collect()
}

async fn times_match_date_strings_by_expanded_patterns(app: TestApp) {
    seed(&app).await;
    let v = app.get_json("/api/v1/times/2014-07/T{13..14}:{00..04}.json").await;
    assert_eq!(sgvs(&v), vec![120, 100]);
    assert_eq!(v.as_array().unwrap().len(), 3, "the mbg at 13:01 matches too");
    let v = app.get_json("/api/v1/times/2014-07-20/T1{3,5}.json?find[sgv][$gte]=110").await;
    assert_eq!(sgvs(&v), vec![130, 110]);
    let v = app.get_json("/api/v1/times/20{13..14}.json?count=2").await;
    assert_eq!(v.as_array().unwrap().len(), 2);
    assert_eq!(app.get_json("/api/v1/times/2015.json").await, json!([]));
}

async fn times_echo_shows_the_patterns(app: TestApp) {
    let v = app.get_json("/api/v1/times/echo/2014-07/T{13..14}.json?find[sgv]=100").await;
    assert_eq!(v["pattern"], json!(["^2014-07.*T13", "^2014-07.*T14"]));
    assert_eq!(v["req"]["params"]["prefix"], "2014-07");
    assert_eq!(v["req"]["query"]["find"]["sgv"], "100");
}

async fn slice_takes_a_storage_field_and_type(app: TestApp) {
    seed(&app).await;
    let v = app.get_json("/api/v1/slice/entries/dateString/mbg/2014.json").await;
    assert_eq!(v.as_array().unwrap().len(), 1);
    assert_eq!(v[0]["mbg"], 140);
    let v = app.get_json("/api/v1/slice/entries/dateString/sgv/2014-07-20/T13.json").await;
    assert_eq!(sgvs(&v), vec![110, 100]);
    let ms = now_ms() - 60_000;
    let t = json!({"eventType": "Site Change", "created_at": iso(ms), "notes": "left arm"});
    app.write_json(reqwest::Method::POST, "/api/v1/treatments", t).await;
    let v = app.get_json("/api/v1/slice/treatments/notes//left.json").await;
    assert_eq!(v.as_array().unwrap().len(), 1);
    assert_eq!(v[0]["eventType"], "Site Change");
}

async fn a_bad_pattern_is_a_400(app: TestApp) {
    let res = app.req(reqwest::Method::GET, "/api/v1/times/2014/(.json").send().await.unwrap();
    let (status, err) = status_json(res).await;
    assert_eq!(status, 400, "{err}");
    assert_eq!(err["message"], "Bad query");
    let res = app.req(reqwest::Method::GET, "/api/v1/times/{0..99}{0..99}.json").send().await.unwrap();
    assert_eq!(res.status(), 400);
}

async fn echo_shows_the_query_a_listing_would_run(app: TestApp) {
    let v = app.get_json("/api/v1/echo/entries/sgv.json?find[sgv][$gte]=120&find[date][$gte]=1000").await;
    assert_eq!(v["storage"], "entries");
    assert_eq!(v["query"], json!({"sgv": {"$gte": 120}, "date": {"$gte": 1000}, "type": "sgv"}));
    assert_eq!(v["input"]["find"]["sgv"]["$gte"], "120");
    let v = app.get_json("/api/v1/echo/treatments.json?find[eventType]=/bolus/i").await;
    assert_eq!(v["query"]["eventType"], json!({"$regex": "bolus", "$options": "i"}));
    assert!(v["query"]["created_at"]["$gte"].is_string(), "the default window shows");
    let res = app.req(reqwest::Method::GET, "/api/v1/echo/nothing").send().await.unwrap();
    assert_eq!(res.status(), 400);
}
