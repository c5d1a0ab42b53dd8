//! Differential tables for API v1, per area: what Nightscout 15 answers (`lib/api/*`,
//! `lib/server/*`, `lib/middleware/send-json-status.js`), on both stores.

use reqwest::Method;
use serde_json::json;

use crate::common::*;
use crate::wire_table::{Row, check};

contract!(
    v1_entries_answer_as_nightscout_does,
    v1_treatments_answer_as_nightscout_does,
    v1_devicestatus_answers_as_nightscout_does,
    v1_profile_answers_as_nightscout_does,
    v1_food_answers_as_nightscout_does,
    v1_status_and_verifyauth_answer_as_nightscout_does,
    v1_times_echo_and_slice_answer_as_nightscout_does,
);

const ID: &str = "5f1e0c8a9b1e8a0012345678";

/// `lib/authorization` `isPermitted`: 401 in the JSON status shape.
fn unauthorized() -> serde_json::Value {
    json!({"status": 401, "message": "Unauthorized", "description": "Invalid/Missing"})
}

/// `objectid-validation`: 400 `Invalid _id format`.
fn bad_id(got: &str, or_omit: bool) -> serde_json::Value {
    let tail = if or_omit { " or omit for auto-generation" } else { "" };
    json!({"status": 400, "message": "Invalid _id format",
        "description": format!("=Must be 24-character hex string{tail}. Got: {got}")})
}

async fn v1_entries_answer_as_nightscout_does(app: TestApp) {
    let ms = now_ms() - 60_000;
    let reading = json!({"_id": "hex24", "sgv": 123, "date": ms, "dateString": "iso", "type": "sgv",
        "direction": "Flat", "sysTime": "iso", "utcOffset": "int", "delta": -1.5, "filtered": "int", "noise": 1});
    check(
        &app,
        vec![
            Row::get("empty entries (lib/api/entries)", "/api/v1/entries.json", 200, json!([])),
            Row::get("empty current", "/api/v1/entries/current.json", 200, json!([])),
            Row::anonymous(
                "anonymous POST (isPermitted)",
                Method::POST,
                "/api/v1/entries",
                json!([]),
                401,
                unauthorized(),
            ),
            Row::send(
                "POST echoes the stored readings",
                Method::POST,
                "/api/v1/entries",
                json!([xdrip_reading(ms, 123)]),
                200,
                json!([reading]),
            ),
            Row::get("a read", "/api/v1/entries.json?count=5", 200, json!([reading])),
            Row::get(
                "by type, from the cache (query_models: count within it)",
                "/api/v1/entries/sgv.json?count=1",
                200,
                json!([{"sgv": 123, "type": "sgv", "mills": ms}]),
            ),
            Row::get("current", "/api/v1/entries/current.json", 200, json!([{"sgv": 123, "date": ms}])),
            Row::get(
                "find on date",
                &format!("/api/v1/entries.json?find[date][$gte]={}", ms - 1),
                200,
                json!([{"sgv": 123}]),
            ),
            Row::get("csv (format `text/csv`)", "/api/v1/entries.csv?count=1", 200, json!("any")).ctype("text/csv"),
            Row::get("tsv", "/api/v1/entries.tsv?count=1", 200, json!("any")).ctype("text/tab-separated-values"),
            Row::send(
                "DELETE: deleteMany's result (mongodb 5)",
                Method::DELETE,
                &format!("/api/v1/entries?find[date][$lt]={}", ms - 3_600_000),
                json!({}),
                200,
                json!({"acknowledged": true, "deletedCount": 0}),
            ),
        ],
    )
    .await;
}

async fn v1_treatments_answer_as_nightscout_does(app: TestApp) {
    let at = iso(now_ms() - 120_000);
    let meal = json!({"_id": "hex24", "eventType": "Meal Bolus", "carbs": 20, "insulin": 2, "created_at": "iso",
        "utcOffset": "int", "enteredBy": "test"});
    check(&app, vec![
        Row::get("empty (lib/api/treatments)", "/api/v1/treatments.json", 200, json!([])),
        Row::anonymous("a wrong secret", Method::POST, "/api/v1/treatments", json!({}), 401, unauthorized())
            .header("api-secret", "0000000000000000000000000000000000000000"),
        Row::send("POST echoes the stored treatments", Method::POST, "/api/v1/treatments",
            json!([{"eventType": "Meal Bolus", "carbs": 20, "insulin": 2.0, "created_at": at, "enteredBy": "test"}]),
            200, json!([meal])),
        Row::get("a read", "/api/v1/treatments.json?count=10", 200, json!([meal])),
        Row::get("find on eventType", "/api/v1/treatments.json?find[eventType]=Meal%20Bolus", 200, json!([{"carbs": 20}])),
    ]).await;
}

async fn v1_devicestatus_answers_as_nightscout_does(app: TestApp) {
    let ds = json!({"device": "openaps://phone", "created_at": iso(now_ms() - 60_000),
        "uploaderBattery": 80, "pump": {"reservoir": 100.0, "battery": {"percent": 50}}});
    let stored = json!({"_id": "hex24", "device": "openaps://phone", "created_at": "iso", "uploaderBattery": 80,
        "pump": {"reservoir": 100, "battery": {"percent": 50}}});
    check(
        &app,
        vec![
            Row::get("empty (lib/api/devicestatus)", "/api/v1/devicestatus.json", 200, json!([])),
            Row::anonymous("anonymous POST", Method::POST, "/api/v1/devicestatus", json!({}), 401, unauthorized()),
            Row::send("POST echoes what was stored", Method::POST, "/api/v1/devicestatus", ds, 200, json!([stored])),
            Row::get("a read", "/api/v1/devicestatus.json", 200, json!([stored])),
            Row::get("count", "/api/v1/devicestatus.json?count=1", 200, json!([{"device": "openaps://phone"}])),
            Row::send(
                "a bad _id on POST",
                Method::POST,
                "/api/v1/devicestatus",
                json!({"_id": 12, "device": "x"}),
                400,
                bad_id("12", true),
            ),
            Row::send(
                "DELETE by a malformed id",
                Method::DELETE,
                "/api/v1/devicestatus/nope",
                json!({}),
                400,
                bad_id("nope", false),
            ),
        ],
    )
    .await;
}

async fn v1_profile_answers_as_nightscout_does(app: TestApp) {
    let profile = json!({"defaultProfile": "Default", "startDate": iso(now_ms() - 86_400_000), "units": "mg/dl",
        "store": {"Default": {"dia": 4.0, "carbratio": [{"time": "00:00", "value": 10.0, "timeAsSeconds": 0}],
        "sens": [{"time": "00:00", "value": 40}], "basal": [{"time": "00:00", "value": 1.0}],
        "target_low": [{"time": "00:00", "value": 90}], "target_high": [{"time": "00:00", "value": 120}],
        "timezone": "UTC", "units": "mg/dl"}}});
    let stored = json!({"_id": "hex24", "defaultProfile": "Default", "startDate": "iso",
        "store": {"Default": {"dia": 4, "carbratio": [{"value": 10, "timeAsSeconds": 0}], "basal": [{"value": 1}]}}});
    check(
        &app,
        vec![
            Row::get("empty (lib/api/profile)", "/api/v1/profile.json", 200, json!([])),
            Row::get("no current profile: null", "/api/v1/profile/current", 200, json!(null)),
            Row::send("POST echoes what was stored", Method::POST, "/api/v1/profile", profile, 200, json!([stored])),
            Row::get("a read", "/api/v1/profile.json", 200, json!([stored])),
            Row::get("current is the last", "/api/v1/profile/current", 200, stored.clone()),
            Row::get("profiles", "/api/v1/profiles", 200, json!([{"defaultProfile": "Default"}])),
            Row::send(
                "PUT with a malformed _id",
                Method::PUT,
                "/api/v1/profile",
                json!({"_id": "nope"}),
                400,
                bad_id("nope", false),
            ),
            Row::send(
                "DELETE by a malformed id",
                Method::DELETE,
                "/api/v1/profile/nope",
                json!({}),
                400,
                bad_id("nope", false),
            ),
            Row::send(
                "DELETE by id answers {}",
                Method::DELETE,
                &format!("/api/v1/profile/{ID}"),
                json!({}),
                200,
                json!({"absent": ["status", "n"]}),
            ),
        ],
    )
    .await;
}

async fn v1_food_answers_as_nightscout_does(app: TestApp) {
    let food = json!({"type": "food", "name": "apple", "category": "fruit", "carbs": 12.0, "portion": 100,
        "unit": "g", "gi": 2, "hidden": false, "position": 99999999});
    let stored = json!({"_id": "hex24", "name": "apple", "carbs": 12, "portion": 100, "gi": 2});
    check(
        &app,
        vec![
            Row::get("empty (lib/api/food)", "/api/v1/food.json", 200, json!([])),
            Row::get("empty quickpicks", "/api/v1/food/quickpicks", 200, json!([])),
            Row::get("empty regular", "/api/v1/food/regular", 200, json!([])),
            Row::send("POST echoes what was stored", Method::POST, "/api/v1/food", food, 200, json!([stored])),
            Row::get("a read", "/api/v1/food.json", 200, json!([stored])),
            Row::get("regular (type food)", "/api/v1/food/regular", 200, json!([{"name": "apple"}])),
            Row::send(
                "a bad _id on POST",
                Method::POST,
                "/api/v1/food",
                json!({"_id": "nope", "name": "x"}),
                400,
                bad_id("nope", true),
            ),
            Row::send(
                "a bad _id on PUT",
                Method::PUT,
                "/api/v1/food",
                json!({"_id": "nope", "name": "x"}),
                400,
                bad_id("nope", false),
            ),
            Row::send(
                "DELETE by a malformed id",
                Method::DELETE,
                "/api/v1/food/nope",
                json!({}),
                400,
                bad_id("nope", false),
            ),
            Row::send(
                "DELETE by id answers {}",
                Method::DELETE,
                &format!("/api/v1/food/{ID}"),
                json!({}),
                200,
                json!({"absent": ["status"]}),
            ),
        ],
    )
    .await;
}

async fn v1_status_and_verifyauth_answer_as_nightscout_does(app: TestApp) {
    let defaults = json!({"status": 200, "message": {"canRead": true, "canWrite": false, "isAdmin": false,
        "message": "UNAUTHORIZED", "rolefound": "NOTFOUND", "permissions": "DEFAULT"}});
    let admin = json!({"status": 200, "message": {"canRead": true, "canWrite": true, "isAdmin": true,
        "message": "OK", "rolefound": "NOTFOUND", "permissions": "ROLE"}});
    let refused = json!({"status": 200, "message": {"canRead": false, "canWrite": false, "isAdmin": false,
        "message": "UNAUTHORIZED", "rolefound": "NOTFOUND", "permissions": "ROLE"}});
    let status = json!({"status": "ok", "name": "str", "version": "str", "serverTime": "iso", "serverTimeEpoch": "int",
        "apiEnabled": true, "careportalEnabled": "bool", "boluscalcEnabled": "bool", "settings": "obj",
        "extendedSettings": "obj", "authorized": "any"});
    check(
        &app,
        vec![
            Row::get("verifyauth with default roles (lib/api/verifyauth.js)", "/api/v1/verifyauth", 200, defaults),
            Row::get("verifyauth with the secret", "/api/v1/verifyauth", 200, admin).authed(),
            Row::get("verifyauth with a wrong secret", "/api/v1/verifyauth", 200, refused)
                .header("api-secret", "0000000000000000000000000000000000000000"),
            Row::get("status.json (lib/api/status.js)", "/api/v1/status.json", 200, status.clone()),
            Row::get("status as json by Accept", "/api/v1/status", 200, status).header("accept", "application/json"),
            Row::get("status.txt", "/api/v1/status.txt", 200, json!("=STATUS OK")).ctype("text/plain"),
            Row::get("status.html", "/api/v1/status.html", 200, json!("=<h1>STATUS OK</h1>")).ctype("text/html"),
        ],
    )
    .await;
}

async fn v1_times_echo_and_slice_answer_as_nightscout_does(app: TestApp) {
    let ms = now_ms() - 60_000;
    app.post_entries(json!([xdrip_reading(ms, 140)])).await;
    let year = &iso(ms)[..4];
    check(
        &app,
        vec![
            Row::get(
                "times by prefix (lib/api/entries prep_patterns)",
                &format!("/api/v1/times/{year}.json"),
                200,
                json!([{"sgv": 140, "date": ms}]),
            ),
            Row::get(
                "times/echo (the patterns and the query)",
                &format!("/api/v1/times/echo/{year}/T.json"),
                200,
                json!({"req": "obj", "pattern": ["str"]}),
            ),
            Row::get(
                "echo (echo_query)",
                "/api/v1/echo/entries/sgv.json?find[sgv][$gte]=100",
                200,
                json!({"query": "obj", "input": "obj", "params": "obj", "storage": "entries"}),
            ),
            Row::get("slice", &format!("/api/v1/slice/entries/dateString/sgv/{year}.json"), 200, json!([{"sgv": 140}])),
            Row::get(
                "count (lib/api/entries count)",
                "/api/v1/count/entries/where?find[sgv][$gte]=100",
                200,
                "any".into(),
            ),
        ],
    )
    .await;
}
