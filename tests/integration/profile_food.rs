//! Contract: `/api/v1/profile(s)`, `/profile/current`, `/food` and `/activity` behave as
//! Nightscout 15's (spec 1.6-1.7), on both backends.

use crate::common::*;
use reqwest::Method;
use serde_json::{Value, json};

contract!(
    profile_with_several_stores_round_trips_and_current_is_the_newest,
    profile_posts_never_dedup_and_put_replaces_by_id,
    profile_ids_are_checked_and_delete_answers_an_empty_object,
    food_quickpicks_and_regular_lists,
    food_put_replaces_and_delete_removes,
    xdrip_activity_is_stored_and_listed_newest_first,
);

/// A Loop-style profile document with several stores (Loop uploads `Default` plus overrides).
fn profile(start_ms: i64, default: &str) -> Value {
    let store = |dia: f64, basal: f64| {
        json!({"dia": dia, "carbratio": [{"time": "00:00", "value": 10, "timeAsSeconds": 0}],
            "carbs_hr": 20, "delay": 20,
            "sens": [{"time": "00:00", "value": 45, "timeAsSeconds": 0}, {"time": "06:00", "value": 40, "timeAsSeconds": 21600}],
            "timezone": "Europe/Berlin", "basal": [{"time": "00:00", "value": basal, "timeAsSeconds": 0}],
            "target_low": [{"time": "00:00", "value": 100, "timeAsSeconds": 0}],
            "target_high": [{"time": "00:00", "value": 110, "timeAsSeconds": 0}], "units": "mg/dl"})
    };
    json!({"defaultProfile": default, "startDate": iso(start_ms), "mills": start_ms, "units": "mg/dl",
        "enteredBy": "Loop", "loopSettings": {"dosingStrategy": "automaticBolus", "maximumBolus": 8},
        "store": {"Default": store(6.0, 0.8), "Exercise": store(6.0, 0.4), "Sick Day": store(6.0, 1.2)}})
}

async fn profile_with_several_stores_round_trips_and_current_is_the_newest(app: TestApp) {
    assert_eq!(app.get_json("/api/v1/profile/current").await, Value::Null, "null when there is none");
    let now = now_ms();
    let older = app.write_json(Method::POST, "/api/v1/profile", profile(now - 7 * 24 * 3_600_000, "Default")).await;
    let newer =
        app.write_json(Method::POST, "/api/v1/profile.json", json!([profile(now - 3_600_000, "Exercise")])).await;
    assert_eq!(older[0]["_id"].as_str().unwrap().len(), 24);
    assert!(newer[0]["created_at"].is_string(), "created_at added");
    let current = app.get_json("/api/v1/profile/current").await;
    assert_eq!(current["defaultProfile"], "Exercise");
    assert_eq!(current["store"]["Sick Day"]["basal"][0]["value"], 1.2);
    assert_eq!(current["store"]["Default"]["sens"][1]["timeAsSeconds"], 21600);
    assert_eq!(current["loopSettings"]["maximumBolus"], 8);
    let all = app.get_json("/api/v1/profile.json").await;
    let defaults: Vec<&str> = all.as_array().unwrap().iter().map(|p| p["defaultProfile"].as_str().unwrap()).collect();
    assert_eq!(defaults, vec!["Exercise", "Default"], "newest startDate first, no window");
    let recent = app.get_json("/api/v1/profiles.json").await;
    assert_eq!(recent.as_array().unwrap().len(), 1, "/profiles has the 4-day window");
    let since = iso(now - 30 * 24 * 3_600_000);
    let q = format!("/api/v1/profiles.json?find[startDate][$gte]={since}");
    assert_eq!(app.get_json(&q).await.as_array().unwrap().len(), 2);
    let oldest_first = app.get_json(&format!("{q}&sort[startDate]=1")).await;
    assert_eq!(oldest_first[0]["defaultProfile"], "Default");
    assert_eq!(app.get_json("/api/v1/profile.json?count=1").await.as_array().unwrap().len(), 1);
}

async fn profile_posts_never_dedup_and_put_replaces_by_id(app: TestApp) {
    let start = now_ms() - 3_600_000;
    let a = app.write_json(Method::POST, "/api/v1/profile", profile(start, "Default")).await;
    app.write_json(Method::POST, "/api/v1/profile", profile(start, "Default")).await;
    assert_eq!(app.get_json("/api/v1/profile.json").await.as_array().unwrap().len(), 2);
    let mut edited = profile(start, "Sick Day");
    edited["_id"] = a[0]["_id"].clone();
    edited.as_object_mut().unwrap().remove("loopSettings");
    let saved = app.write_json(Method::PUT, "/api/v1/profile", edited).await;
    assert!(saved.is_object());
    assert_eq!(saved["_id"], a[0]["_id"]);
    let all = app.get_json("/api/v1/profile.json").await;
    assert_eq!(all.as_array().unwrap().len(), 2);
    let got = all.as_array().unwrap().iter().find(|p| p["_id"] == a[0]["_id"]).unwrap();
    assert_eq!(got["defaultProfile"], "Sick Day");
    assert!(got.get("loopSettings").is_none(), "PUT replaces the whole document");
    let fresh = app.write_json(Method::PUT, "/api/v1/profile", profile(start + 1000, "Default")).await;
    assert_eq!(fresh["_id"].as_str().unwrap().len(), 24, "PUT without _id inserts");
    assert_eq!(app.get_json("/api/v1/profile.json").await.as_array().unwrap().len(), 3);
}

async fn profile_ids_are_checked_and_delete_answers_an_empty_object(app: TestApp) {
    let mut bad = profile(now_ms(), "Default");
    bad["_id"] = json!("profile-1");
    let res = app.authed(Method::POST, "/api/v1/profile").json(&bad).send().await.unwrap();
    let (status, err) = status_json(res).await;
    assert_eq!(status, 400);
    assert_eq!(err["message"], "Invalid _id format");
    let res = app.authed(Method::PUT, "/api/v1/profile").json(&bad).send().await.unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(app.get_json("/api/v1/profile.json").await, json!([]));
    let out = app.write_json(Method::POST, "/api/v1/profile", profile(now_ms(), "Default")).await;
    let (status, r) = app.delete(&format!("/api/v1/profile/{}", out[0]["_id"].as_str().unwrap())).await;
    assert_eq!((status, r), (200, json!({})));
    assert_eq!(app.get_json("/api/v1/profile.json").await, json!([]));
    let (status, _) = app.delete("/api/v1/profile/nope").await;
    assert_eq!(status, 400);
    let res = app.req(Method::POST, "/api/v1/profile").json(&profile(now_ms(), "x")).send().await.unwrap();
    assert_eq!(res.status(), 401);
}

async fn food_quickpicks_and_regular_lists(app: TestApp) {
    let foods = json!([
        {"type": "food", "category": "Fruit", "subcategory": "", "name": "Apple", "portion": 150, "carbs": 18,
            "gi": 1, "unit": "g"},
        {"type": "quickpick", "name": "Breakfast", "foods": [], "carbs": 40, "hideafteruse": true,
            "hidden": "false", "position": 2},
        {"type": "quickpick", "name": "Snack", "foods": [], "carbs": 15, "hidden": "false", "position": 1},
        {"type": "quickpick", "name": "Old", "foods": [], "carbs": 5, "hidden": "true", "position": 0}
    ]);
    let out = app.write_json(Method::POST, "/api/v1/food", foods).await;
    assert_eq!(out.as_array().unwrap().len(), 4);
    assert!(out[0]["created_at"].is_string());
    assert_eq!(app.get_json("/api/v1/food.json").await.as_array().unwrap().len(), 4);
    let picks = app.get_json("/api/v1/food/quickpicks.json").await;
    let names: Vec<&str> = picks.as_array().unwrap().iter().map(|f| f["name"].as_str().unwrap()).collect();
    assert_eq!(names, vec!["Snack", "Breakfast"]);
    let regular = app.get_json("/api/v1/food/regular.json").await;
    assert_eq!(regular.as_array().unwrap().len(), 1);
    assert_eq!(regular[0]["name"], "Apple");
}

async fn food_put_replaces_and_delete_removes(app: TestApp) {
    let out = app.write_json(Method::POST, "/api/v1/food", json!({"type": "food", "name": "Bread", "carbs": 45})).await;
    let id = out[0]["_id"].as_str().unwrap().to_owned();
    let put = app
        .write_json(Method::PUT, "/api/v1/food", json!({"_id": id, "type": "food", "name": "Rye bread", "carbs": 40}))
        .await;
    assert_eq!(put[0]["_id"], id);
    let all = app.get_json("/api/v1/food.json").await;
    assert_eq!(all.as_array().unwrap().len(), 1);
    assert_eq!(all[0]["name"], "Rye bread");
    let res = app.authed(Method::POST, "/api/v1/food").json(&json!({"_id": "xyz", "name": "bad"})).send().await;
    assert_eq!(res.unwrap().status(), 400);
    let (status, r) = app.delete(&format!("/api/v1/food/{id}")).await;
    assert_eq!((status, r), (200, json!({})));
    assert_eq!(app.get_json("/api/v1/food.json").await, json!([]));
}

async fn xdrip_activity_is_stored_and_listed_newest_first(app: TestApp) {
    let now = now_ms();
    let steps = json!([
        {"type": "Steps", "steps": 1200, "created_at": iso(now - 600_000), "enteredBy": "xdrip"},
        {"type": "HeartRate", "heartrate": 72, "created_at": iso(now - 60_000), "enteredBy": "xdrip"}
    ]);
    let out = app.write_json(Method::POST, "/api/v1/activity", steps).await;
    assert_eq!(out[1]["_id"].as_str().unwrap().len(), 24);
    let list = app.get_json("/api/v1/activity.json").await;
    assert_eq!(list[0]["type"], "HeartRate");
    assert_eq!(list[1]["steps"], 1200);
    let id = list[0]["_id"].as_str().unwrap().to_owned();
    let (status, r) = app.delete(&format!("/api/v1/activity/{id}")).await;
    assert_eq!((status, r), (200, json!({})));
    assert_eq!(app.get_json("/api/v1/activity.json").await.as_array().unwrap().len(), 1);
    let res = app.req(Method::POST, "/api/v1/activity").json(&json!({"steps": 1})).send().await.unwrap();
    assert_eq!(res.status(), 401);
}
