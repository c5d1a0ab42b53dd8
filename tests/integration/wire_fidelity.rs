//! Contract: the details of Nightscout's wire format that strict clients (Kotlin and Swift
//! decoders, watch faces) depend on, each as Nightscout 15 answers it, on both backends.

use crate::common::*;
use reqwest::Method;
use serde_json::{Value, json};

contract!(
    a_slash_before_the_extension_reads_as_without_it,
    status_badges_are_302_redirects_to_plain_http_shields,
    status_settings_have_every_nightscout_key_and_its_feature_rules,
    treatmentnotify_is_enabled_only_by_careportal_pushover_or_maker_in_enable,
    whole_numbers_are_written_without_a_fraction_in_echoes_and_reads,
    count_only_entry_reads_carry_mills_as_the_cache_answers_them,
    uploaded_strings_are_sanitised_as_nightscouts_purifier_does,
    put_food_profile_and_activity_with_a_malformed_id_is_400_and_stores_nothing,
    pebble_battery_is_uploader_battery_where_androidaps_sends_both,
    json_answers_are_utf8_labelled,
    a_find_sent_as_one_json_encoded_object_is_the_query_it_spells,
);

async fn text(app: &TestApp, path: &str) -> (u16, String) {
    let res = app.req(Method::GET, path).send().await.unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

async fn a_slash_before_the_extension_reads_as_without_it(app: TestApp) {
    app.post_entries(json!([xdrip_reading(now_ms() - 60_000, 111)])).await;
    let plain = app.get_json("/api/v1/entries/sgv.json").await;
    let slashed = app.get_json("/api/v1/entries/sgv/.json").await;
    assert_eq!(plain.as_array().unwrap().len(), 1);
    assert_eq!(slashed, plain);
}

async fn status_badges_are_302_redirects_to_plain_http_shields(app: TestApp) {
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    for ext in ["svg", "png"] {
        let res = client.get(app.url(&format!("/api/v1/status.{ext}"))).send().await.unwrap();
        assert_eq!(res.status(), 302, "status.{ext}");
        assert_eq!(
            res.headers()["location"],
            format!("http://img.shields.io/badge/Nightscout-OK-green.{ext}").as_str()
        );
    }
}

async fn status_settings_have_every_nightscout_key_and_its_feature_rules(app: TestApp) {
    let (status, body) = text(&app, "/api/v1/status.json").await;
    assert_eq!(status, 200);
    for whole in ["\"dayStart\":7,", "\"dayEnd\":21,", "\"focusHours\":3,", "\"alarmTimeagoWarnMins\":15,"] {
        assert!(body.contains(whole), "{whole} in {body}");
    }
    let v: Value = serde_json::from_str(&body).unwrap();
    let s = v["settings"].as_object().unwrap();
    let mut missing = Vec::new();
    let mut keys: Vec<String> = [
        "authFailDelay",
        "insecureUseHttp",
        "secureHstsHeader",
        "secureHstsHeaderIncludeSubdomains",
        "secureHstsHeaderPreload",
        "secureCsp",
        "deNormalizeDates",
        "adminNotifiesEnabled",
        "showClockDelta",
        "showClockLastTime",
    ]
    .map(String::from)
    .to_vec();
    for i in 1..=8 {
        keys.push(format!("frameUrl{i}"));
        keys.push(format!("frameName{i}"));
    }
    assert_eq!(keys.len(), 26);
    for k in &keys {
        if !s.contains_key(k) {
            missing.push(k.clone());
        }
    }
    assert!(missing.is_empty(), "missing settings: {missing:?}");
    assert_eq!(s["authFailDelay"], 0, "the test server's AUTH_FAIL_DELAY");
    assert_eq!(s["frameUrl1"], "");
    assert_eq!(s["adminNotifiesEnabled"], true);
    let defaults = s["DEFAULT_FEATURES"].as_array().unwrap();
    assert_eq!(defaults.len(), 13);
    assert_eq!(defaults.last().unwrap(), "careportal");
    let enable: Vec<&str> = s["enable"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
    assert!(!enable.contains(&"treatmentnotify"), "{enable:?}");
    assert!(enable.contains(&"careportal"));
    assert_eq!(*enable.last().unwrap(), "ar2");
    assert_eq!(v["careportalEnabled"], true);
}

async fn treatmentnotify_is_enabled_only_by_careportal_pushover_or_maker_in_enable(app: TestApp) {
    let app2 = TestApp::spawn_with(app.backend, &[("ENABLE", "careportal iob"), ("DAY_START", "6")]).await.unwrap();
    let s = app2.get_json("/api/v1/status.json").await["settings"].clone();
    let enable: Vec<&str> = s["enable"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
    assert_eq!(&enable[..3], ["careportal", "iob", "treatmentnotify"]);
    assert_eq!(enable.iter().filter(|e| **e == "careportal").count(), 1);
    assert_eq!(s["dayStart"], "6", "a setting without a mapper is the text it was set to");
}

async fn whole_numbers_are_written_without_a_fraction_in_echoes_and_reads(app: TestApp) {
    let mut reading = xdrip_reading(now_ms() - 60_000, 120);
    reading["delta"] = json!(4.0);
    let res = app.authed(Method::POST, "/api/v1/entries").json(&json!([reading])).send().await.unwrap();
    let echo = res.text().await.unwrap();
    assert!(echo.contains("\"delta\":4,") || echo.contains("\"delta\":4}"), "echo: {echo}");
    let (_, read) = text(&app, "/api/v1/entries.json").await;
    assert!(read.contains("\"delta\":4,") || read.contains("\"delta\":4}"), "read: {read}");
    assert!(!read.contains("\"delta\":4.0"), "read: {read}");

    let profile = json!({"defaultProfile": "D", "startDate": iso(now_ms() - 3_600_000), "store": {"D": {
        "carbratio": [{"time": "00:00", "value": 10.0, "timeAsSeconds": 0.0}],
        "basal": [{"time": "00:00", "value": 1.0}], "dia": 5.0, "units": "mg/dl"}}});
    let res = app.authed(Method::POST, "/api/v1/profile").json(&profile).send().await.unwrap();
    let echo = res.text().await.unwrap();
    assert!(!echo.contains(".0,") && !echo.contains(".0}"), "profile echo: {echo}");
    let (_, read) = text(&app, "/api/v1/profile.json").await;
    assert!(read.contains("\"value\":10,") && read.contains("\"dia\":5,"), "profile read: {read}");
    assert!(!read.contains(".0,") && !read.contains(".0}"), "profile read: {read}");
}

async fn count_only_entry_reads_carry_mills_as_the_cache_answers_them(app: TestApp) {
    let now = now_ms();
    let readings: Vec<Value> = (0..3).map(|i| xdrip_reading(now - 60_000 * (i + 1), 100 + i)).collect();
    app.post_entries(json!(readings)).await;
    for path in ["/api/v1/entries.json?count=2", "/api/v1/entries/sgv.json?count=3"] {
        let list = app.get_json(path).await;
        for e in list.as_array().unwrap() {
            assert_eq!(e["mills"], e["date"], "{path}: {e}");
        }
    }
    // More than the cache holds, or a find: a database read, without mills (as Nightscout).
    let list = app.get_json("/api/v1/entries.json?count=10").await;
    assert!(list.as_array().unwrap().iter().all(|e| e.get("mills").is_none()));
    let list = app.get_json("/api/v1/entries.json?count=2&find[sgv][$gte]=100").await;
    assert!(list.as_array().unwrap().iter().all(|e| e.get("mills").is_none()));
}

async fn uploaded_strings_are_sanitised_as_nightscouts_purifier_does(app: TestApp) {
    let t = json!({"eventType": "Note", "created_at": iso(now_ms()),
        "notes": "<IMG SRC=\"javascript:alert('XSS');\">", "enteredBy": "<script>x()</script>me",
        "glucose": "120", "other": "5 > 3 & fine"});
    let saved = app.write_json(Method::POST, "/api/v1/treatments", t).await;
    assert_eq!(saved[0]["notes"], "<img>");
    let list = app.get_json("/api/v1/treatments.json").await;
    assert_eq!(list[0]["notes"], "<img>");
    assert_eq!(list[0]["enteredBy"], "me");
    assert_eq!(list[0]["other"], "5 > 3 & fine", "text without markup is kept as sent");
    let ds = json!({"device": "<b onmouseover=\"x()\">phone</b>", "created_at": iso(now_ms())});
    let saved = app.write_json(Method::POST, "/api/v1/devicestatus", ds).await;
    assert_eq!(saved[0]["device"], "<b>phone</b>");
    let mut e = xdrip_reading(now_ms(), 100);
    e["device"] = json!("<svg onload=alert(1)>xDrip");
    let saved = app.post_entries(json!([e])).await;
    assert_eq!(saved[0]["device"], "xDrip");
}

async fn put_food_profile_and_activity_with_a_malformed_id_is_400_and_stores_nothing(app: TestApp) {
    for path in ["/api/v1/food", "/api/v1/profile", "/api/v1/activity"] {
        let body = json!({"_id": "not-an-object-id", "name": "x", "created_at": iso(now_ms())});
        let (status, err) = status_json(app.authed(Method::PUT, path).json(&body).send().await.unwrap()).await;
        assert_eq!(status, 400, "{path}: {err}");
        assert_eq!(err["message"], "Invalid _id format", "{path}");
        assert_eq!(err["status"], 400);
    }
    assert_eq!(app.get_json("/api/v1/food.json").await, json!([]));
    assert_eq!(app.get_json("/api/v1/activity.json").await, json!([]));
}

async fn pebble_battery_is_uploader_battery_where_androidaps_sends_both(app: TestApp) {
    app.post_entries(json!([xdrip_reading(now_ms() - 60_000, 100)])).await;
    // AndroidAPS: `uploaderBattery` (the phone) beside `uploader.battery`, different values;
    // Nightscout's data loader replaces `uploader` by `{battery: uploaderBattery}`.
    let aaps = json!({"device": "openaps://phone", "created_at": iso(now_ms() - 30_000),
        "uploaderBattery": 55, "uploader": {"battery": 81.5}, "isCharging": false});
    app.write_json(Method::POST, "/api/v1/devicestatus", aaps).await;
    let older = json!({"device": "loop", "created_at": iso(now_ms() - 90_000), "uploader": {"battery": 12}});
    app.write_json(Method::POST, "/api/v1/devicestatus", older).await;
    let p = app.get_json("/pebble").await;
    assert_eq!(p["bgs"][0]["battery"], "55", "{p}");
    let props = app.get_json("/api/v2/properties/upbat").await;
    assert_eq!(props["upbat"]["devices"]["openaps://phone"]["min"]["display"], "55%", "{props}");
}

async fn json_answers_are_utf8_labelled(app: TestApp) {
    for path in ["/api/v1/entries.json", "/api/v1/status.json", "/api/v1/treatments", "/api/versions", "/pebble"] {
        let res = app.req(Method::GET, path).send().await.unwrap();
        assert_eq!(res.headers()["content-type"], "application/json; charset=utf-8", "{path}");
    }
    let res = app.req(Method::POST, "/api/v1/entries").json(&json!({})).send().await.unwrap();
    assert_eq!(res.status(), 401);
    assert_eq!(res.headers()["content-type"], "application/json; charset=utf-8", "errors too");
}

async fn a_find_sent_as_one_json_encoded_object_is_the_query_it_spells(app: TestApp) {
    let now = now_ms();
    app.post_entries(json!([xdrip_reading(now - 3_600_000, 90), xdrip_reading(now - 60_000, 140)])).await;
    let find = json!({"dateString": {"$gt": iso(now - 600_000)}}).to_string();
    let url = format!("/api/v1/entries.json?find={}", urlencode(&find));
    let list = app.get_json(&url).await;
    let sgvs: Vec<&Value> = list.as_array().unwrap().iter().map(|e| &e["sgv"]).collect();
    assert_eq!(sgvs, [&json!(140)]);
    let find = json!({"sgv": {"$lt": 100}, "date": {"$gte": now - 7_200_000}}).to_string();
    let list = app.get_json(&format!("/api/v1/entries.json?find={}", urlencode(&find))).await;
    assert_eq!(list.as_array().unwrap().len(), 1, "numbers in the object coerce as query text does: {list}");
    assert_eq!(list[0]["sgv"], 90);
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
