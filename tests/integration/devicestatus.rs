//! Contract: `/api/v1/devicestatus` behaves as Nightscout 15's (spec 1.5), on both backends,
//! with OpenAPS, Loop and xDrip+ payloads.

use crate::common::*;
use reqwest::Method;
use serde_json::{Value, json};

contract!(
    openaps_status_is_stored_with_predictions_cut_to_288,
    loop_status_posted_twice_is_stored_twice_and_count_1_gives_the_newest,
    an_invalid_id_is_a_400_and_nothing_is_stored,
    created_at_queries_and_the_default_window,
    delete_by_id_star_and_find,
    default_roles_can_let_anonymous_uploaders_write,
);

/// An OpenAPS (oref0) devicestatus with prediction curves.
fn openaps_status(ms: i64, len: usize) -> Value {
    let curve: Vec<i64> = (0..len as i64).map(|i| 120 + i % 40).collect();
    json!({"device": "openaps://edison", "created_at": iso(ms),
        "openaps": {
            "iob": {"iob": 1.2, "basaliob": 0.4, "activity": 0.01, "time": iso(ms)},
            "suggested": {"temp": "absolute", "bg": 121, "tick": "+3", "eventualBG": 110, "COB": 12, "IOB": 1.2,
                "reason": "COB: 12, Dev: 5", "timestamp": iso(ms),
                "predBGs": {"IOB": curve, "COB": curve, "UAM": curve, "ZT": curve}},
            "enacted": {"rate": 0.5, "duration": 30, "received": true, "timestamp": iso(ms),
                "predBGs": {"IOB": curve}}
        },
        "pump": {"clock": iso(ms), "reservoir": 123.4, "battery": {"status": "normal", "voltage": 1.45},
            "status": {"status": "normal", "bolusing": false, "suspended": false}},
        "uploader": {"battery": 77, "batteryVoltage": 3.9}})
}

/// A Loop (NightscoutKit) devicestatus.
fn loop_status(ms: i64) -> Value {
    json!({"device": "loop://iPhone", "created_at": iso(ms),
        "pump": {"clock": iso(ms), "pumpID": "123456", "manufacturer": "Insulet", "model": "Dash",
            "reservoir": 50, "suspended": false, "bolusing": false},
        "uploader": {"name": "iPhone", "timestamp": iso(ms), "battery": 64},
        "loop": {"name": "Loop", "version": "3.4.1", "timestamp": iso(ms),
            "iob": {"timestamp": iso(ms), "iob": 0.85}, "cob": {"timestamp": iso(ms), "cob": 14},
            "predicted": {"startDate": iso(ms), "values": [110, 112, 115, 117]},
            "enacted": {"timestamp": iso(ms), "rate": 1.1, "duration": 30, "received": true},
            "recommendedBolus": 0},
        "override": {"timestamp": iso(ms), "active": false}})
}

async fn openaps_status_is_stored_with_predictions_cut_to_288(app: TestApp) {
    let ms = now_ms() - 120_000;
    let out = app.write_json(Method::POST, "/api/v1/devicestatus", openaps_status(ms, 300)).await;
    assert_eq!(out[0]["_id"].as_str().unwrap().len(), 24);
    let got = app.get_json("/api/v1/devicestatus.json?count=1").await;
    let s = &got[0];
    for curve in ["IOB", "COB", "UAM", "ZT"] {
        assert_eq!(s["openaps"]["suggested"]["predBGs"][curve].as_array().unwrap().len(), 288, "{curve}");
    }
    assert_eq!(s["openaps"]["enacted"]["predBGs"]["IOB"].as_array().unwrap().len(), 288);
    assert_eq!(s["openaps"]["suggested"]["predBGs"]["IOB"][0], 120);
    assert_eq!(s["openaps"]["iob"]["iob"], 1.2);
    assert_eq!(s["pump"]["battery"]["voltage"], 1.45);
    assert_eq!(s["created_at"], iso(ms));
    assert_eq!(s["utcOffset"], 0);
}

async fn loop_status_posted_twice_is_stored_twice_and_count_1_gives_the_newest(app: TestApp) {
    let ms = now_ms() - 600_000;
    app.write_json(Method::POST, "/api/v1/devicestatus", loop_status(ms)).await;
    app.write_json(Method::POST, "/api/v1/devicestatus", loop_status(ms)).await;
    // xDrip+ sends a bare uploaderBattery, kept as posted.
    let xdrip = json!({"device": "xDrip-DexcomG6", "uploaderBattery": 55, "created_at": iso(ms + 60_000)});
    app.write_json(Method::POST, "/api/v1/devicestatus.json", json!([xdrip])).await;
    let all = app.get_json("/api/v1/devicestatus.json").await;
    assert_eq!(all.as_array().unwrap().len(), 3, "no dedup on devicestatus");
    let newest = app.get_json("/api/v1/devicestatus.json?count=1").await;
    assert_eq!(newest.as_array().unwrap().len(), 1);
    assert_eq!(newest[0]["uploaderBattery"], 55);
    assert!(newest[0].get("uploader").is_none());
    let l = &all[1];
    assert_eq!(l["loop"]["predicted"]["values"], json!([110, 112, 115, 117]));
    assert_eq!(l["loop"]["cob"]["cob"], 14);
    assert_eq!(l["uploader"]["battery"], 64);
}

async fn an_invalid_id_is_a_400_and_nothing_is_stored(app: TestApp) {
    let ms = now_ms() - 60_000;
    let mut bad = loop_status(ms);
    bad["_id"] = json!("not-a-valid-id");
    let res = app.authed(Method::POST, "/api/v1/devicestatus").json(&json!([loop_status(ms), bad])).send().await;
    let (status, err) = status_json(res.unwrap()).await;
    assert_eq!(status, 400);
    assert_eq!(
        err,
        json!({"status": 400, "message": "Invalid _id format",
            "description": "Must be 24-character hex string or omit for auto-generation. Got: not-a-valid-id"})
    );
    assert_eq!(app.get_json("/api/v1/devicestatus.json").await, json!([]));
    let mut good = loop_status(ms);
    good["_id"] = json!("5c9c1c3e2f8b4a0012345678");
    let out = app.write_json(Method::POST, "/api/v1/devicestatus", good).await;
    assert_eq!(out[0]["_id"], "5c9c1c3e2f8b4a0012345678");
    assert_eq!(app.get_json("/api/v1/devicestatus.json").await[0]["_id"], "5c9c1c3e2f8b4a0012345678");
    let res = app.req(Method::POST, "/api/v1/devicestatus").json(&loop_status(ms)).send().await.unwrap();
    assert_eq!(res.status(), 401);
}

async fn created_at_queries_and_the_default_window(app: TestApp) {
    let now = now_ms();
    let docs = json!([
        {"device": "a", "created_at": iso(now - 6 * 24 * 3_600_000)},
        {"device": "b", "created_at": iso(now - 3_600_000)},
        {"device": "c", "created_at": iso(now - 60_000)}
    ]);
    app.write_json(Method::POST, "/api/v1/devicestatus", docs).await;
    let devices = |v: Value| -> Vec<String> {
        v.as_array().unwrap().iter().map(|d| d["device"].as_str().unwrap().to_owned()).collect()
    };
    assert_eq!(devices(app.get_json("/api/v1/devicestatus.json").await), vec!["c", "b"]);
    let since = iso(now - 7 * 24 * 3_600_000);
    let q = format!("/api/v1/devicestatus.json?find[created_at][$gte]={since}&count=10");
    assert_eq!(devices(app.get_json(&q).await), vec!["c", "b", "a"]);
    let q = format!("/api/v1/devicestatus.json?find[created_at][$lt]={}", iso(now - 600_000));
    assert_eq!(devices(app.get_json(&q).await), vec!["b", "a"]);
}

async fn delete_by_id_star_and_find(app: TestApp) {
    let now = now_ms();
    let docs: Vec<Value> =
        (0..4).map(|i| json!({"device": format!("d{i}"), "created_at": iso(now - i * 60_000)})).collect();
    let out = app.write_json(Method::POST, "/api/v1/devicestatus", Value::Array(docs)).await;
    let (status, r) = app.delete(&format!("/api/v1/devicestatus/{}", out[0]["_id"].as_str().unwrap())).await;
    assert_eq!((status, r), (200, json!({"acknowledged": true, "deletedCount": 1})));
    let (status, r) = app.delete("/api/v1/devicestatus/bogus").await;
    assert_eq!(status, 400);
    assert_eq!(r["message"], "Invalid _id format");
    let (_, r) = app.delete("/api/v1/devicestatus/*?find[device]=d1").await;
    assert_eq!(r["deletedCount"], 1);
    let (_, r) = app.delete("/api/v1/devicestatus?find[device]=d2").await;
    assert_eq!(r["deletedCount"], 1);
    let (_, r) = app.delete("/api/v1/devicestatus/*").await;
    assert_eq!(r["deletedCount"], 1);
    assert_eq!(app.get_json("/api/v1/devicestatus.json").await, json!([]));
}

async fn default_roles_can_let_anonymous_uploaders_write(app: TestApp) {
    // Azure's template grants `readable devicestatus-upload` to everyone.
    let azure = TestApp::spawn_with(app.backend, &[("AUTH_DEFAULT_ROLES", "readable devicestatus-upload")]).await;
    let azure = azure.unwrap();
    let ms = now_ms() - 60_000;
    let res = azure.req(Method::POST, "/api/v1/devicestatus").json(&loop_status(ms)).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let carbs = json!({"eventType": "Carb Correction", "carbs": 10, "created_at": iso(ms)});
    let res = azure.req(Method::POST, "/api/v1/treatments").json(&carbs).send().await.unwrap();
    assert_eq!(res.status(), 401, "treatments need careportal");
    let open = TestApp::spawn_with(app.backend, &[("TREATMENTS_AUTH", "off")]).await.unwrap();
    let res = open.req(Method::POST, "/api/v1/treatments").json(&carbs).send().await.unwrap();
    assert_eq!(res.status(), 200, "TREATMENTS_AUTH=off adds careportal");
    let res = open.req(Method::PUT, "/api/v1/treatments").json(&carbs).send().await.unwrap();
    assert_eq!(res.status(), 401, "careportal may create, not update");
}
