//! Contract: `/pebble` (spec 1.10) and `/api/v2/properties` (spec 1.11) compute what watches
//! and followers read, with Nightscout's delta rule, on both backends.

use crate::common::*;
use reqwest::Method;
use serde_json::{Value, json};

contract!(
    pebble_gives_readings_newest_first_with_trend_delta_and_battery,
    pebble_in_mmol_uses_one_decimal_strings,
    pebble_without_readings_has_no_bgs,
    properties_give_bgnow_delta_direction_upbat_dbsize_and_runtimestate,
    properties_can_be_picked_by_name_and_pretty_printed,
    a_gap_past_nine_minutes_gives_an_interpolated_delta,
    a_stale_reading_keeps_its_direction_and_no_reading_gives_empty_values,
    properties_need_read_permission,
    an_mmol_server_scales_delta_and_pebble,
    a_reading_from_a_fast_phone_clock_still_counts,
);

const MIN: i64 = 60_000;

/// Three xDrip+ readings, 5 minutes apart, ending one minute ago: 100, 110, 120.
async fn seed(app: &TestApp) -> i64 {
    let t = now_ms() - MIN;
    let mut docs: Vec<Value> = (0..3).map(|i| xdrip_reading(t - (2 - i) * 5 * MIN, 100 + i * 10)).collect();
    docs[0]["direction"] = json!("FortyFiveUp");
    app.post_entries(Value::Array(docs)).await;
    let status = json!({"device": "xDrip-DexcomG6", "uploaderBattery": 77, "created_at": iso(now_ms() - 2 * MIN)});
    app.write_json(Method::POST, "/api/v1/devicestatus", status).await;
    t
}

async fn pebble_gives_readings_newest_first_with_trend_delta_and_battery(app: TestApp) {
    let t = seed(&app).await;
    let p = app.get_json("/pebble?count=3").await;
    assert!(p["status"][0]["now"].as_i64().unwrap() >= t);
    let bgs = p["bgs"].as_array().unwrap();
    assert_eq!(bgs.len(), 3);
    assert_eq!(
        bgs[0],
        json!({"sgv": "120", "trend": 4, "direction": "Flat", "datetime": t, "bgdelta": 10, "battery": "77"})
    );
    assert_eq!(bgs[2], json!({"sgv": "100", "trend": 3, "direction": "FortyFiveUp", "datetime": t - 10 * MIN}));
    assert_eq!(p["cals"], json!([]));
    assert_eq!(app.get_json("/pebble").await["bgs"].as_array().unwrap().len(), 1, "count defaults to 1");
    let nightwatch = app.get_json("/pebble/?units=mg/dl&count=2").await;
    assert_eq!(nightwatch["bgs"].as_array().unwrap().len(), 2);
}

async fn pebble_in_mmol_uses_one_decimal_strings(app: TestApp) {
    seed(&app).await;
    let p = app.get_json("/pebble?units=mmol&count=2").await;
    assert_eq!(p["bgs"][0]["sgv"], "6.7");
    assert_eq!(p["bgs"][0]["bgdelta"], "0.6");
    assert_eq!(p["bgs"][1]["sgv"], "6.1");
}

async fn pebble_without_readings_has_no_bgs(app: TestApp) {
    let p = app.get_json("/pebble?count=5").await;
    assert_eq!(p["bgs"], json!([]));
    app.post_entries(xdrip_reading(now_ms() - MIN, 95)).await;
    let p = app.get_json("/pebble").await;
    assert_eq!(p["bgs"][0]["bgdelta"], 0, "0 when there is no delta");
    assert!(p["bgs"][0].get("battery").is_none());
    // The newest uploader status counts, however old; the upbat property only looks 30 minutes back.
    let old = json!({"device": "loop://iPhone", "uploader": {"battery": 40}, "created_at": iso(now_ms() - 3_600_000)});
    app.write_json(Method::POST, "/api/v1/devicestatus", old).await;
    let pump_only = json!({"device": "openaps://rig", "pump": {"reservoir": 20}, "created_at": iso(now_ms())});
    app.write_json(Method::POST, "/api/v1/devicestatus", pump_only).await;
    assert_eq!(app.get_json("/pebble").await["bgs"][0]["battery"], "40");
    assert_eq!(app.get_json("/api/v2/properties/upbat").await["upbat"]["display"], "?%");
}

async fn properties_give_bgnow_delta_direction_upbat_dbsize_and_runtimestate(app: TestApp) {
    let t = seed(&app).await;
    let p = app.get_json("/api/v2/properties").await;
    assert_eq!(p["bgnow"]["last"], 120);
    assert_eq!(p["bgnow"]["mean"], 120);
    assert_eq!(p["bgnow"]["mills"], t);
    assert_eq!(p["bgnow"]["sgvs"][0]["mgdl"], 120);
    let d = &p["delta"];
    assert_eq!(d["mgdl"], 10);
    assert_eq!(d["scaled"], 10);
    assert_eq!(d["display"], "+10");
    assert_eq!(d["interpolated"], false);
    assert_eq!(d["elapsedMins"], 5);
    assert_eq!(d["times"], json!({"recent": t, "previous": t - 5 * MIN}));
    assert_eq!(p["direction"], json!({"display": null, "value": "Flat", "label": "→", "entity": "&#8594;"}));
    assert_eq!(p["upbat"]["display"], "77%");
    assert_eq!(p["upbat"]["devices"]["xDrip-DexcomG6"]["min"]["battery"], 77);
    assert_eq!(p["upbat"]["status"], "current");
    assert!(p["dbsize"]["details"]["maxSize"].is_number());
    assert!(p["dbsize"]["display"].as_str().unwrap().ends_with('%'));
    assert_eq!(p["dbsize"]["status"], "current");
    assert_eq!(p["runtimestate"], json!({"state": "loaded"}));
}

async fn properties_can_be_picked_by_name_and_pretty_printed(app: TestApp) {
    seed(&app).await;
    let p = app.get_json("/api/v2/properties/delta,direction").await;
    let keys: Vec<&String> = p.as_object().unwrap().keys().collect();
    assert_eq!(keys, vec!["delta", "direction"]);
    assert_eq!(app.get_json("/api/v2/properties/dbsize").await.as_object().unwrap().len(), 1);
    let res = app.req(Method::GET, "/api/v2/properties/bgnow?pretty").send().await.unwrap();
    let text = res.text().await.unwrap();
    assert!(text.contains("\n  \"bgnow\""), "{text}");
}

async fn a_gap_past_nine_minutes_gives_an_interpolated_delta(app: TestApp) {
    let t = now_ms() - MIN;
    app.post_entries(json!([xdrip_reading(t - 10 * MIN, 110), xdrip_reading(t, 130)])).await;
    let d = app.get_json("/api/v2/properties/delta").await["delta"].clone();
    assert_eq!(d["interpolated"], true);
    assert_eq!(d["elapsedMins"], 10);
    assert_eq!(d["mgdl"], 10, "20 mg/dL over 10 minutes is 10 per 5");
    assert_eq!(d["mean5MinsAgo"], 120);
}

async fn a_stale_reading_keeps_its_direction_and_no_reading_gives_empty_values(app: TestApp) {
    let p = app.get_json("/api/v2/properties/bgnow,delta,direction").await;
    assert_eq!(p, json!({"bgnow": {}, "delta": null, "direction": {"display": null}}));
    let t = now_ms() - 20 * MIN;
    app.post_entries(json!([xdrip_reading(t - 5 * MIN, 100), xdrip_reading(t, 104)])).await;
    let p = app.get_json("/api/v2/properties").await;
    assert_eq!(p["direction"]["value"], "Flat");
    assert_eq!(p["bgnow"]["mills"], t, "followers judge the age from bgnow.mills");
    assert_eq!(p["delta"]["mgdl"], 4);
}

async fn properties_need_read_permission(app: TestApp) {
    let app2 = TestApp::spawn_with(app.backend, &[("AUTH_DEFAULT_ROLES", "denied")]).await.unwrap();
    let res = app2.req(Method::GET, "/api/v2/properties").send().await.unwrap();
    assert_eq!(res.status(), 401);
    let res = app2.req(Method::GET, "/pebble").send().await.unwrap();
    assert_eq!(res.status(), 401);
    let res = app2.authed(Method::GET, "/api/v2/properties").send().await.unwrap();
    assert_eq!(res.status(), 200);
}

async fn an_mmol_server_scales_delta_and_pebble(app: TestApp) {
    let app = TestApp::spawn_with(app.backend, &[("DISPLAY_UNITS", "mmol")]).await.unwrap();
    seed(&app).await;
    let d = app.get_json("/api/v2/properties/delta").await["delta"].clone();
    assert_eq!(d["mgdl"], 10, "mgdl stays mg/dL");
    assert_eq!(d["scaled"], 0.6);
    assert_eq!(d["display"], "+0.6");
    let p = app.get_json("/pebble").await;
    assert_eq!(p["bgs"][0]["sgv"], "6.7", "units default to DISPLAY_UNITS");
    assert_eq!(p["bgs"][0]["bgdelta"], "0.6");
    let p = app.get_json("/pebble?units=mg/dl").await;
    assert_eq!(p["bgs"][0]["sgv"], "120");
}

async fn a_reading_from_a_fast_phone_clock_still_counts(app: TestApp) {
    let t = now_ms() + 2 * MIN;
    app.post_entries(json!([xdrip_reading(t - 5 * MIN, 70), xdrip_reading(t, 62)])).await;
    let p = app.get_json("/pebble").await;
    assert_eq!(p["bgs"][0]["sgv"], "62");
    assert_eq!(p["bgs"][0]["bgdelta"], -8);
    let props = app.get_json("/api/v2/properties/bgnow,delta").await;
    assert_eq!(props["bgnow"]["last"], 62);
    assert_eq!(props["delta"]["display"], "-8");
}
