//! Contract: `/api/v1/treatments` behaves as Nightscout 15's (spec 1.4), on both backends,
//! with payloads shaped like Loop's, xDrip+'s and AndroidAPS's.

use crate::common::*;
use reqwest::Method;
use serde_json::{Value, json};

contract!(
    loop_carb_entry_is_stored_in_utc_and_read_back_with_null_insulin,
    reposting_without_ids_replaces_on_created_at_and_event_type,
    xdrip_bg_check_is_put_as_upsert_and_found_by_uuid,
    androidaps_temp_basal_keeps_zero_rate_and_dedups_on_identifier,
    identifier_wins_over_id_and_id_over_time,
    prebolus_splits_one_treatment_into_two_and_announcement_is_flagged,
    default_count_is_100_or_1000_with_find,
    regex_values_match_notes_event_type_and_entered_by,
    created_at_queries_and_the_default_window,
    delete_by_id_uuid_star_and_find,
    writes_need_the_secret_and_bad_input_gets_a_400,
    exact_created_at_and_if_modified_since_work,
);

fn ids(v: &Value) -> Vec<String> {
    v.as_array().unwrap().iter().map(|d| d["_id"].as_str().unwrap_or_default().to_owned()).collect()
}

/// A Loop (NightscoutKit) carb entry.
fn loop_carbs(ms: i64, grams: i64) -> Value {
    json!({"eventType": "Carb Correction", "created_at": iso(ms), "timestamp": iso(ms), "carbs": grams,
        "absorptionTime": 180, "enteredBy": "loop://iPhone", "foodType": "🍕",
        "syncIdentifier": "4E7C6B9C-1A4F-4C8A-9F7B-1D0C2E3F4A5B", "userEnteredAt": iso(ms)})
}

async fn loop_carb_entry_is_stored_in_utc_and_read_back_with_null_insulin(app: TestApp) {
    let ms = now_ms() - 600_000;
    let mut entry = loop_carbs(ms, 30);
    entry["created_at"] = json!(ferroscout::domain::time::to_iso_zoned(ferroscout::domain::time::ZonedTime {
        epoch_ms: ms,
        offset_minutes: -300
    }));
    let out = app.write_json(Method::POST, "/api/v1/treatments", entry).await;
    assert_eq!(out.as_array().unwrap().len(), 1);
    assert_eq!(out[0]["_id"].as_str().unwrap().len(), 24, "Loop maps syncIdentifier to this _id");
    let list = app.get_json("/api/v1/treatments.json").await;
    let t = &list[0];
    assert_eq!(t["_id"], out[0]["_id"]);
    assert_eq!(t["created_at"], iso(ms / 1000 * 1000), "UTC, seconds as sent");
    assert_eq!(t["utcOffset"], -300);
    assert_eq!(t["carbs"], 30);
    assert_eq!(t["insulin"], Value::Null, "absent insulin reads back as null");
    assert_eq!(t["syncIdentifier"], "4E7C6B9C-1A4F-4C8A-9F7B-1D0C2E3F4A5B");
    assert_eq!(t["foodType"], "🍕");
    assert_eq!(t["absorptionTime"], 180);
}

async fn reposting_without_ids_replaces_on_created_at_and_event_type(app: TestApp) {
    let ms = now_ms() - 900_000;
    let first = app.write_json(Method::POST, "/api/v1/treatments", loop_carbs(ms, 20)).await;
    let mut again = loop_carbs(ms, 25);
    again.as_object_mut().unwrap().remove("foodType");
    let second = app.write_json(Method::POST, "/api/v1/treatments", again).await;
    assert!(second[0].get("_id").is_none(), "a time-matched duplicate comes back without _id");
    let list = app.get_json("/api/v1/treatments.json").await;
    assert_eq!(ids(&list), ids(&first), "one document, same _id");
    assert_eq!(list[0]["carbs"], 25);
    assert!(list[0].get("foodType").is_none(), "replace semantics: unsent fields vanish");
    // Same time, another event type: a second document.
    let mut bolus = json!({"eventType": "Correction Bolus", "created_at": iso(ms), "insulin": 1.5,
        "type": "normal", "programmed": 1.5, "automatic": true, "duration": 0});
    bolus["syncIdentifier"] = json!("bolus-1");
    app.write_json(Method::POST, "/api/v1/treatments", bolus).await;
    let list = app.get_json("/api/v1/treatments.json").await;
    assert_eq!(list.as_array().unwrap().len(), 2);
    let b = list.as_array().unwrap().iter().find(|t| t["eventType"] == "Correction Bolus").unwrap();
    assert_eq!(b["insulin"], 1.5);
    assert_eq!(b["carbs"], Value::Null);
    assert_eq!(b["duration"], 0, "duration 0 survives");
}

async fn xdrip_bg_check_is_put_as_upsert_and_found_by_uuid(app: TestApp) {
    let ms = now_ms() - 1_200_000;
    let uuid = "7a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";
    let check = json!({"uuid": uuid, "eventType": "BG Check", "created_at": iso(ms).replace('Z', "+0000"),
        "enteredBy": "xdrip", "glucose": "112", "glucoseType": "Finger", "units": "mg/dl", "notes": ""});
    let saved = app.write_json(Method::PUT, "/api/v1/treatments", check.clone()).await;
    assert!(saved.is_object(), "PUT answers the saved object");
    assert_eq!(saved["glucose"], 112);
    assert!(saved.get("notes").is_none(), "empty notes are removed");
    let mut changed = check.clone();
    changed["glucose"] = json!(118);
    app.write_json(Method::PUT, "/api/v1/treatments", json!([changed])).await;
    let found = app.get_json(&format!("/api/v1/treatments.json?find[uuid]={uuid}")).await;
    assert_eq!(found.as_array().unwrap().len(), 1, "PUT upserts on created_at + eventType");
    assert_eq!(found[0]["glucose"], 118);
    assert_eq!(found[0]["units"], "mg/dl");
    assert_eq!(found[0]["created_at"], iso(ms));
    // xDrip+ deletes by the _id it got back.
    let id = found[0]["_id"].as_str().unwrap().to_owned();
    let (status, res) = app.delete(&format!("/api/v1/treatments/{id}")).await;
    assert_eq!((status, res), (200, json!({"acknowledged": true, "deletedCount": 1})));
    assert_eq!(app.get_json("/api/v1/treatments.json").await, json!([]));
}

/// An AndroidAPS temp basal (zero rate), as its uploaders send it.
fn aaps_temp_basal(ms: i64, duration: i64) -> Value {
    json!({"eventType": "Temp Basal", "created_at": iso(ms), "enteredBy": "openaps://AndroidAPS",
        "isValid": true, "duration": duration, "durationInMilliseconds": duration * 60_000, "type": "NORMAL",
        "rate": 0, "absolute": 0, "percent": -100, "pumpId": 4148, "pumpType": "ACCU_CHEK_COMBO",
        "pumpSerial": "1234", "identifier": "aaps-tb-4148"})
}

async fn androidaps_temp_basal_keeps_zero_rate_and_dedups_on_identifier(app: TestApp) {
    let ms = now_ms() - 1_800_000;
    let first = app.write_json(Method::POST, "/api/v1/treatments", aaps_temp_basal(ms, 30)).await;
    let t = &first[0];
    assert_eq!(t["absolute"], 0, "absolute 0 survives");
    assert_eq!(t["percent"], -100);
    assert_eq!(t["rate"], 0);
    // The pump reports the temp basal was cut short: same identifier, later edit time.
    let mut shorter = aaps_temp_basal(ms + 1000, 12);
    shorter.as_object_mut().unwrap().remove("pumpSerial");
    let second = app.write_json(Method::POST, "/api/v1/treatments", shorter).await;
    assert_eq!(second[0]["_id"], first[0]["_id"], "identifier-matched updates come back with their _id");
    let list = app.get_json("/api/v1/treatments.json").await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["duration"], 12);
    assert_eq!(list[0]["created_at"], iso(ms + 1000));
    assert!(list[0].get("pumpSerial").is_none());
}

async fn identifier_wins_over_id_and_id_over_time(app: TestApp) {
    let ms = now_ms() - 2_400_000;
    let note = |text: &str| json!({"eventType": "Note", "created_at": iso(ms), "notes": text});
    let a = app.write_json(Method::POST, "/api/v1/treatments", note("a")).await;
    let id = a[0]["_id"].as_str().unwrap().to_owned();
    // By _id, at another time: replaces document a.
    let mut by_id = note("b");
    by_id["_id"] = json!(id);
    by_id["created_at"] = json!(iso(ms - 60_000));
    app.write_json(Method::POST, "/api/v1/treatments", by_id).await;
    let list = app.get_json("/api/v1/treatments.json").await;
    assert_eq!(ids(&list), vec![id.clone()]);
    assert_eq!(list[0]["notes"], "b");
    // A UUID _id becomes the identifier; with an identifier the _id is ignored.
    let uuid = "0b3a2a4e-1c1f-4c3e-9a6e-2f2d3b4c5d6e";
    let mut c = note("c");
    c["_id"] = json!(uuid);
    let c_out = app.write_json(Method::POST, "/api/v1/treatments", c).await;
    assert_eq!(c_out[0]["identifier"], uuid);
    let mut d = note("d");
    d["identifier"] = json!(uuid);
    d["_id"] = json!(id);
    d["created_at"] = json!(iso(ms - 120_000));
    app.write_json(Method::POST, "/api/v1/treatments", d).await;
    let list = app.get_json("/api/v1/treatments.json").await;
    assert_eq!(list.as_array().unwrap().len(), 2);
    let notes: Vec<&str> = list.as_array().unwrap().iter().map(|t| t["notes"].as_str().unwrap()).collect();
    assert_eq!(notes, vec!["b", "d"], "c was replaced by d (same identifier), b kept");
    assert_eq!(list[1]["_id"], c_out[0]["_id"]);
}

async fn prebolus_splits_one_treatment_into_two_and_announcement_is_flagged(app: TestApp) {
    let ms = (now_ms() - 3_600_000) / 1000 * 1000;
    let meal = json!({"eventType": "Meal Bolus", "created_at": iso(ms), "insulin": "4.5", "carbs": "45",
        "preBolus": 20, "notes": "pasta", "enteredBy": "careportal"});
    let out = app.write_json(Method::POST, "/api/v1/treatments", meal).await;
    let out = out.as_array().unwrap();
    assert_eq!(out.len(), 2);
    assert_eq!(out[0]["insulin"], 4.5);
    assert!(out[0].get("carbs").is_none());
    assert_eq!(out[1]["carbs"], 45);
    assert_eq!(out[1]["created_at"], iso(ms + 20 * 60_000));
    assert_eq!(out[1]["notes"], "pasta");
    let list = app.get_json("/api/v1/treatments.json").await;
    assert_eq!(list.as_array().unwrap().len(), 2);
    assert_eq!(list[0]["carbs"], 45);
    assert_eq!(list[1]["carbs"], Value::Null);
    let ann = app
        .write_json(Method::POST, "/api/v1/treatments", json!({"eventType": "Announcement", "notes": "Site change"}))
        .await;
    assert_eq!(ann[0]["isAnnouncement"], true);
    assert!(ann[0]["created_at"].as_str().unwrap().ends_with('Z'), "missing created_at is now");
}

async fn default_count_is_100_or_1000_with_find(app: TestApp) {
    let t = now_ms() - 2 * 3_600_000;
    let batch: Vec<Value> = (0..105)
        .map(|i| json!({"eventType": "Note", "created_at": iso(t + i * 1000), "notes": format!("n{i}")}))
        .collect();
    let out = app.write_json(Method::POST, "/api/v1/treatments", Value::Array(batch)).await;
    assert_eq!(out.as_array().unwrap().len(), 105);
    let list = app.get_json("/api/v1/treatments.json").await;
    assert_eq!(list.as_array().unwrap().len(), 100);
    assert_eq!(list[0]["notes"], "n104", "newest first");
    let all = app.get_json("/api/v1/treatments.json?find[eventType]=Note").await;
    assert_eq!(all.as_array().unwrap().len(), 105);
    assert_eq!(app.get_json("/api/v1/treatments.json?count=3").await.as_array().unwrap().len(), 3);
}

async fn regex_values_match_notes_event_type_and_entered_by(app: TestApp) {
    let t = now_ms() - 3_600_000;
    let docs = json!([
        {"eventType": "Meal Bolus", "created_at": iso(t), "insulin": 3, "enteredBy": "loop://iPhone", "notes": "Lunch"},
        {"eventType": "Correction Bolus", "created_at": iso(t + 1000), "insulin": 1, "enteredBy": "xdrip"},
        {"eventType": "Note", "created_at": iso(t + 2000), "notes": "lunch walk", "enteredBy": "Trio"}
    ]);
    app.write_json(Method::POST, "/api/v1/treatments", docs).await;
    let count = |v: Value| v.as_array().unwrap().len();
    assert_eq!(count(app.get_json("/api/v1/treatments.json?find[eventType]=/bolus/i").await), 2);
    assert_eq!(count(app.get_json("/api/v1/treatments.json?find[eventType]=/Bolus/").await), 2);
    assert_eq!(count(app.get_json("/api/v1/treatments.json?find[notes]=/^lunch/i").await), 2);
    assert_eq!(count(app.get_json("/api/v1/treatments.json?find[enteredBy]=/loop/").await), 1);
    assert_eq!(count(app.get_json("/api/v1/treatments.json?find[eventType]=Note").await), 1);
    assert_eq!(count(app.get_json("/api/v1/treatments.json?find[insulin][$gte]=2").await), 1);
}

async fn created_at_queries_and_the_default_window(app: TestApp) {
    let now = now_ms();
    let old = now - 10 * 24 * 3_600_000;
    let docs = json!([
        {"eventType": "Note", "created_at": iso(old), "notes": "old"},
        {"eventType": "Note", "created_at": iso(now - 3_600_000), "notes": "hour"},
        {"eventType": "Note", "created_at": iso(now - 60_000), "notes": "minute"}
    ]);
    app.write_json(Method::POST, "/api/v1/treatments", docs).await;
    let notes = |v: Value| -> Vec<String> {
        v.as_array().unwrap().iter().map(|t| t["notes"].as_str().unwrap().to_owned()).collect()
    };
    assert_eq!(notes(app.get_json("/api/v1/treatments.json").await), vec!["minute", "hour"], "4-day window");
    let since = iso(now - 2 * 3_600_000);
    assert_eq!(
        notes(app.get_json(&format!("/api/v1/treatments.json?find[created_at][$gte]={since}")).await),
        vec!["minute", "hour"]
    );
    let since = iso(old - 1000);
    let until = iso(now - 1_800_000);
    let q = format!("/api/v1/treatments.json?find[created_at][$gte]={since}&find[created_at][$lte]={until}");
    assert_eq!(notes(app.get_json(&q).await), vec!["hour", "old"]);
    // An offset whose + arrived as a space is repaired.
    let zoned = ferroscout::domain::time::to_iso_zoned(ferroscout::domain::time::ZonedTime {
        epoch_ms: now - 2 * 3_600_000,
        offset_minutes: 60,
    })
    .unwrap()
    .replace('+', " ");
    let q = format!("/api/v1/treatments.json?find[created_at][$gte]={zoned}");
    assert_eq!(notes(app.get_json(&q).await), vec!["minute", "hour"]);
}

async fn delete_by_id_uuid_star_and_find(app: TestApp) {
    let t = now_ms() - 3_600_000;
    let uuid = "1b3a2a4e-1c1f-4c3e-9a6e-2f2d3b4c5d6e";
    let docs = json!([
        {"eventType": "Note", "created_at": iso(t), "notes": "a"},
        {"eventType": "Note", "created_at": iso(t + 1000), "notes": "b", "_id": uuid},
        {"eventType": "Site Change", "created_at": iso(t + 2000)},
        {"eventType": "Sensor Start", "created_at": iso(t + 3000)}
    ]);
    let out = app.write_json(Method::POST, "/api/v1/treatments", docs).await;
    let (_, r) = app.delete(&format!("/api/v1/treatments/{}", out[0]["_id"].as_str().unwrap())).await;
    assert_eq!(r["deletedCount"], 1);
    let (_, r) = app.delete(&format!("/api/v1/treatments/{uuid}")).await;
    assert_eq!(r["deletedCount"], 1, "a UUID deletes via identifier");
    let (_, r) = app.delete("/api/v1/treatments/*?find[eventType]=Site+Change").await;
    assert_eq!(r["deletedCount"], 1);
    let (status, r) = app.delete("/api/v1/treatments?find[eventType]=Sensor+Start").await;
    assert_eq!((status, r), (200, json!({"acknowledged": true, "deletedCount": 1})));
    assert_eq!(app.get_json("/api/v1/treatments.json").await, json!([]));
}

async fn writes_need_the_secret_and_bad_input_gets_a_400(app: TestApp) {
    let body = loop_carbs(now_ms(), 10);
    for method in [Method::POST, Method::PUT] {
        let res = app.req(method, "/api/v1/treatments").json(&body).send().await.unwrap();
        let (status, err) = status_json(res).await;
        assert_eq!(status, 401);
        assert_eq!(err["message"], "Unauthorized");
    }
    let res = app.req(Method::DELETE, "/api/v1/treatments/*").send().await.unwrap();
    assert_eq!(res.status(), 401);
    let res = app
        .authed(Method::POST, "/api/v1/treatments")
        .header("content-type", "application/json")
        .body("{\"eventType\":")
        .send()
        .await
        .unwrap();
    let (status, err) = status_json(res).await;
    assert_eq!(status, 400);
    assert_eq!(err["message"], "Bad JSON");
    let res = app.req(Method::GET, "/api/v1/treatments.json?find[created_at][$gte]=notadate").send().await.unwrap();
    let (status, err) = status_json(res).await;
    assert_eq!(status, 400);
    assert_eq!(err["status"], 400);
    let res = app.req(Method::GET, "/api/v1/treatments.json?find[$where]=1").send().await.unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(app.get_json("/api/v1/treatments.json").await, json!([]), "nothing was stored");
}

async fn exact_created_at_and_if_modified_since_work(app: TestApp) {
    let ms = (now_ms() - 3_600_000) / 1000 * 1000;
    app.write_json(
        Method::POST,
        "/api/v1/treatments",
        json!({"eventType": "Note", "created_at": iso(ms), "notes": "x"}),
    )
    .await;
    let found = app.get_json(&format!("/api/v1/treatments.json?find[created_at]={}", iso(ms))).await;
    assert_eq!(found.as_array().unwrap().len(), 1, "an exact created_at is a query, not a crash");
    let res = app.req(Method::GET, "/api/v1/treatments.json").send().await.unwrap();
    let lm = res.headers()["last-modified"].to_str().unwrap().to_owned();
    let res = app.req(Method::GET, "/api/v1/treatments.json").header("if-modified-since", lm).send().await.unwrap();
    assert_eq!(res.status(), 304);
    let res = app
        .authed(Method::POST, "/api/v1/treatments")
        .header("content-type", "text/plain")
        .body("hello")
        .send()
        .await
        .unwrap();
    let (status, out) = status_json(res).await;
    assert_eq!((status, out), (200, json!([])), "a body that is not JSON stores nothing");
}
