//! AndroidAPS's NSClientV3 round, scripted in its order (`tokens-and-v3.md` section 3):
//! status, lastModified, first loads by search then history paging by the ETag cursor,
//! devicestatus history, the uploads it makes (create, dedup, the two 400s it matches word for
//! word, patch, delete), and the `/storage` and `/alarm` sockets.

use reqwest::Method;
use serde_json::{Value, json};

use crate::common::{TestApp, iso, now_ms, xdrip_reading};
use crate::v3_client::{Socket, V3, etag_ms};

const MIN: i64 = 60_000;

/// A treatment as AndroidAPS's `RemoteTreatment` sends it.
fn aaps_treatment(event: &str, date: i64, extra: Value) -> Value {
    let mut t = json!({
        "date": date, "utcOffset": 60, "device": "Omnipod Dash", "app": "AAPS", "eventType": event,
        "isValid": true, "pumpId": date / 1000, "pumpType": "OMNIPOD_DASH", "pumpSerial": "4241",
    });
    t.as_object_mut().unwrap().extend(extra.as_object().cloned().unwrap_or_default());
    t
}

/// History pages from `cursor` until empty, taking each next cursor from the ETag.
async fn drain_history(v3: &V3<'_>, col: &str, mut cursor: i64, limit: u32) -> (Vec<Value>, i64) {
    let mut all = Vec::new();
    loop {
        let (s, etag, body) = v3.get_page(&format!("/{col}/history/{cursor}?limit={limit}")).await;
        assert_eq!(s, 200, "{col} history: {body}");
        let page = body["result"].as_array().cloned().unwrap();
        let Some(etag) = etag else {
            assert!(page.is_empty(), "a non-empty history page carries an ETag");
            return (all, cursor);
        };
        assert!(!page.is_empty(), "an empty history page carries no ETag");
        let next = etag_ms(&etag);
        assert!(next > cursor, "the cursor moves forward");
        assert_eq!(next, page.iter().filter_map(|d| d["srvModified"].as_i64()).max().unwrap());
        cursor = next;
        all.extend(page);
    }
}

async fn androidaps_nsclientv3_round_syncs_both_ways(app: TestApp) {
    let now = now_ms();
    // What the site already holds: xDrip+ readings and a careportal note over v1.
    let readings: Vec<Value> = (1..=12).map(|i| xdrip_reading(now - i * 5 * MIN, 100 + i)).collect();
    app.post_entries(json!(readings)).await;
    app.write_json(
        Method::POST,
        "/api/v1/treatments",
        json!({"eventType": "Note", "notes": "from the web", "created_at": iso(now - 30 * MIN), "enteredBy": "mum"}),
    )
    .await;
    app.write_json(
        Method::POST,
        "/api/v1/devicestatus",
        json!({"device": "openaps://phone", "created_at": iso(now - MIN)}),
    )
    .await;
    let token = crate::v3_client::access_token(&app).await;
    let v3 = V3::new(&app, crate::v3_client::auth_for(&app, &token).await);
    assert!(matches!(v3.auth, crate::v3_client::Auth::Jwt(_)), "AndroidAPS calls with a JWT");

    // The sockets connect first; a successful /storage subscribe starts the REST round.
    let mut storage = Socket::connect(&app, "/storage").await;
    let ack = storage
        .call(
            "subscribe",
            json!({"accessToken": token, "collections": ["devicestatus", "entries", "profile", "treatments", "foods", "settings"]}),
        )
        .await;
    assert_eq!(
        ack,
        json!({"success": true, "collections": ["devicestatus", "entries", "profile", "treatments", "settings"]})
    );
    let mut alarm = Socket::connect(&app, "/alarm").await;
    let ack = alarm.call("subscribe", json!({"accessToken": token})).await;
    assert_eq!(ack, json!({"success": true, "message": "Subscribed for alarms"}));

    // 1-2. status and lastModified.
    let (s, status) = v3.get("/status").await;
    assert_eq!(s, 200, "{status}");
    assert_eq!(status["result"]["apiVersion"], "3.0.3-alpha");
    assert_eq!(status["result"]["version"], "15.0.7");
    for col in ["devicestatus", "entries", "food", "profile", "settings", "treatments"] {
        assert_eq!(status["result"]["apiPermissions"][col], "crud", "{col}");
    }
    let (s, lm) = v3.get("/lastModified").await;
    assert_eq!(s, 200);
    assert!(lm["result"]["srvDate"].as_i64().unwrap() >= now);
    let entries_lm = lm["result"]["collections"]["entries"].as_i64().expect("entries lastModified");
    assert!(entries_lm >= now - 5 * MIN, "{lm}");

    // 3. Entries: first load by search, 5 at a time, until empty; the cursor is the newest date.
    let mut cursor = now - 100 * 24 * 60 * MIN;
    let mut loaded = Vec::new();
    loop {
        let page = v3.list(&format!("/entries?sort=date&date$gt={cursor}&limit=5")).await;
        if page.is_empty() {
            break;
        }
        let dates: Vec<i64> = page.iter().map(|d| d["date"].as_i64().unwrap()).collect();
        assert!(dates.windows(2).all(|w| w[0] < w[1]), "ascending by date");
        cursor = *dates.last().unwrap();
        loaded.extend(page);
    }
    assert_eq!(loaded.len(), 12);
    assert!(loaded.iter().all(|d| d.get("_id").is_none() && d["identifier"].is_string()));
    assert!(loaded.iter().all(|d| d["srvModified"].is_i64() && d["srvCreated"].is_i64()));
    // Then history from that cursor: the readings were stored after their own dates.
    let (history, _) = drain_history(&v3, "entries", cursor, 5).await;
    assert_eq!(history.len(), 12, "every reading, once");

    // 4. Treatments: first load by created_at, then history.
    let first =
        v3.list(&format!("/treatments?sort=created_at&created_at$gt={}&limit=500", iso(now - 2 * 60 * MIN))).await;
    assert_eq!(first.len(), 1);
    assert_eq!(first[0]["notes"], "from the web");
    let t_cursor = first[0]["date"].as_i64().unwrap_or(now - 30 * MIN);
    let (t_hist, t_cursor) = drain_history(&v3, "treatments", t_cursor, 500).await;
    assert_eq!(t_hist.len(), 1);

    // 5-7. Food, profile, devicestatus.
    assert!(v3.list("/food?limit=1000").await.is_empty());
    assert!(v3.list("/profile?sort$desc=date&limit=1").await.is_empty());
    let (s, etag, _) = v3.get_page("/profile/history/0?limit=10").await;
    assert_eq!((s, etag), (200, None), "an empty page keeps AndroidAPS's cursor");
    let ds = v3.list(&format!("/devicestatus/history/{}", now - 7 * MIN)).await;
    assert_eq!(ds.len(), 1);

    // 8. Uploads, in AndroidAPS's order.
    let sgv = json!({"date": now, "utcOffset": 60, "device": "AndroidAPS-DexcomG6", "app": "AAPS",
        "type": "sgv", "sgv": 142, "direction": "FortyFiveUp", "isValid": true, "units": "mg/dl"});
    let (s, created) = v3.send(Method::POST, "/entries", sgv.clone()).await;
    assert_eq!(s, 201, "{created}");
    let sgv_id = created["identifier"].as_str().unwrap().to_owned();
    assert!(created["lastModified"].as_i64().unwrap() >= now);
    let ev =
        storage.wait_for("create", |d| d["colName"] == "entries" && d["doc"]["identifier"] == sgv_id.as_str()).await;
    assert!(ev["doc"]["srvModified"].is_i64(), "srvModified is a number: {ev}");
    // Sent again (a retry): the same document, deduplicated.
    let (s, dedup) = v3.send(Method::POST, "/entries", sgv.clone()).await;
    assert_eq!(s, 200, "{dedup}");
    assert_eq!(dedup["isDeduplication"], true);
    assert_eq!(dedup["identifier"], sgv_id.as_str());
    // A reading xDrip+ already sent over v1: deduplicated onto it by date and type.
    let v1_date = now - 5 * MIN;
    let (s, onto_v1) = v3
        .send(
            Method::POST,
            "/entries",
            json!({"date": v1_date, "utcOffset": 0, "app": "AAPS",
        "device": "xDrip-DexcomG6", "type": "sgv", "sgv": 101}),
        )
        .await;
    assert_eq!(s, 200, "{onto_v1}");
    assert_eq!(onto_v1["isDeduplication"], true);
    assert!(onto_v1["deduplicatedIdentifier"].is_string(), "{onto_v1}");

    let uploads = [
        aaps_treatment(
            "Correction Bolus",
            now - 4 * MIN,
            json!({"insulin": 0.4, "type": "SMB", "isBasalInsulin": false}),
        ),
        aaps_treatment("Meal Bolus", now - 3 * MIN, json!({"insulin": 2.5, "type": "NORMAL", "isBasalInsulin": false})),
        aaps_treatment("Carb Correction", now - 3 * MIN, json!({"carbs": 30, "duration": 0})),
        aaps_treatment(
            "Bolus Wizard",
            now - 3 * MIN,
            json!({"bolusCalculatorResult": "{}", "glucose": 142, "units": "mg/dl"}),
        ),
        aaps_treatment(
            "Temp Basal",
            now - 2 * MIN,
            json!({"duration": 30, "durationInMilliseconds": 1800000, "rate": 0.5, "absolute": 0.5, "type": "NORMAL"}),
        ),
        aaps_treatment(
            "Combo Bolus",
            now - 2 * MIN,
            json!({"duration": 60, "enteredinsulin": 1.0, "relative": 1.0, "splitNow": 0, "splitExt": 100}),
        ),
        aaps_treatment(
            "Profile Switch",
            now - MIN,
            json!({"profile": "Default", "originalProfileName": "Default", "duration": 0, "percentage": 100, "timeshift": 0}),
        ),
        aaps_treatment(
            "Note",
            now - MIN,
            json!({"notes": "Effective profile", "originalProfileName": "Default", "isEffective": true}),
        ),
        aaps_treatment(
            "Temporary Target",
            now - MIN,
            json!({"duration": 60, "targetBottom": 140, "targetTop": 140, "reason": "Activity", "units": "mg/dl"}),
        ),
        aaps_treatment("Site Change", now - MIN, json!({"notes": "cannula"})),
    ];
    let mut ids = Vec::new();
    for t in &uploads {
        let (s, b) = v3.send(Method::POST, "/treatments", t.clone()).await;
        assert_eq!(s, 201, "{} -> {b}", t["eventType"]);
        ids.push(b["identifier"].as_str().unwrap().to_owned());
    }
    // Its 400s, word for word: a bad offset (it retries with 0), a changed immutable field.
    let mut bad = uploads[0].clone();
    bad["utcOffset"] = json!(2000);
    bad["date"] = json!(now - 10 * MIN);
    let (s, b) = v3.send(Method::POST, "/treatments", bad.clone()).await;
    assert_eq!((s, b["message"].as_str()), (400, Some("Bad or missing utcOffset field")), "{b}");
    bad["utcOffset"] = json!(0);
    assert_eq!(v3.send(Method::POST, "/treatments", bad).await.0, 201);
    let mut moved = uploads[1].clone();
    moved["identifier"] = json!(ids[1]);
    moved["date"] = json!(now - 90 * MIN);
    let (s, b) = v3.send(Method::POST, "/treatments", moved).await;
    assert_eq!((s, b["message"].as_str()), (400, Some("Field date cannot be modified by the client")), "{b}");

    let ds = json!({"device": "openaps://samsung SM-G970F", "created_at": iso(now), "date": now, "app": "AAPS",
        "uploaderBattery": 71, "isCharging": false,
        "openaps": {"suggested": {"bg": 142, "eventualBG": 120, "timestamp": iso(now)}, "iob": {"iob": 1.2, "time": iso(now)}},
        "pump": {"battery": {"percent": 60}, "reservoir": 120.5, "clock": iso(now)}});
    assert_eq!(v3.send(Method::POST, "/devicestatus", ds).await.0, 201);
    let store = json!({"date": now, "created_at": iso(now), "startDate": iso(now), "defaultProfile": "Default",
        "app": "AAPS", "utcOffset": 60, "units": "mg/dl",
        "store": {"Default": {"dia": 5, "timezone": "Europe/Prague", "units": "mg/dl",
            "basal": [{"time": "00:00", "value": 0.8, "timeAsSeconds": 0}]}}});
    assert_eq!(v3.send(Method::POST, "/profile", store).await.0, 201);

    // A temp basal cut short: PATCH; an invalidated bolus: DELETE.
    let (s, b) = v3.send(Method::PATCH, &format!("/treatments/{}", ids[4]), json!({"duration": 12})).await;
    assert_eq!(s, 200, "{b}");
    let ev =
        storage.wait_for("update", |d| d["colName"] == "treatments" && d["doc"]["identifier"] == ids[4].as_str()).await;
    assert_eq!(ev["doc"]["duration"], 12);
    assert!(ev["doc"]["srvModified"].as_i64().unwrap() > ev["doc"]["srvCreated"].as_i64().unwrap());
    let (s, b) = v3.send(Method::PATCH, &format!("/entries/{sgv_id}"), json!({"sgv": 143})).await;
    assert_eq!(s, 200, "{b}");
    let (s, _) = v3.send(Method::DELETE, &format!("/treatments/{}", ids[0]), json!({})).await;
    assert_eq!(s, 200);
    let ev = storage.wait_for("delete", |d| d["colName"] == "treatments").await;
    assert_eq!(ev["identifier"], ids[0].as_str());

    // The next round sees its own changes in history, the deletion as isValid: false.
    let (changes, _) = drain_history(&v3, "treatments", t_cursor, 500).await;
    let find = |id: &str| changes.iter().find(|d| d["identifier"] == id).cloned().unwrap_or_default();
    assert_eq!(find(&ids[4])["duration"], 12);
    assert_eq!(find(&ids[0])["isValid"], false);
    assert_eq!(v3.get(&format!("/treatments/{}", ids[0])).await.0, 410);
    assert_eq!(v3.get(&format!("/entries/{sgv_id}")).await.1["result"]["sgv"], 143);
    let profile = v3.list("/profile?sort$desc=date&limit=1").await;
    assert_eq!(profile[0]["defaultProfile"], "Default");

    // And v1 clients see AndroidAPS's data (the deleted bolus gone).
    let v1 = app.get_json("/api/v1/treatments.json?count=100").await;
    let v1 = v1.as_array().unwrap();
    assert!(v1.iter().any(|t| t["eventType"] == "Temp Basal" && t["duration"] == 12));
    assert!(!v1.iter().any(|t| t["identifier"] == ids[0].as_str()));
}

contract!(androidaps_nsclientv3_round_syncs_both_ways);
