//! API v3 beyond the AndroidAPS round: writes from v1 and the socket seen by v3 history and
//! `/storage`, soft and permanent deletes, permissions per token role, paging past 1,000
//! documents, and v3's error texts.

use reqwest::Method;
use serde_json::{Value, json};

use crate::common::{SECRET_SHA1, TestApp, iso, now_ms, xdrip_reading};
use crate::v3_client::{Auth, Socket, V3, auth_for, etag_ms, token_with_roles};

async fn subscribed_storage(app: &TestApp) -> Socket {
    let mut s = Socket::connect(app, "/storage").await;
    let ack = s.call("subscribe", json!({"accessToken": SECRET_SHA1})).await;
    assert_eq!(ack["success"], true, "{ack}");
    s
}

async fn v1_and_socket_writes_show_up_in_v3_history_and_as_storage_events(app: TestApp) {
    let v3 = V3::new(&app, Auth::Secret);
    let mut storage = subscribed_storage(&app).await;
    let start = now_ms();
    let posted = app.post_entries(json!([xdrip_reading(start - 60_000, 111)])).await;
    let id = posted[0]["identifier"].as_str().expect("v1 answers with the identifier").to_owned();
    let ev = storage.wait_for("create", |d| d["colName"] == "entries").await;
    assert_eq!(ev["doc"]["identifier"], id.as_str());
    assert!(ev["doc"]["srvModified"].as_i64().unwrap() >= start);

    // A socket dbAdd, as AndroidAPS's v1 client sends it.
    let mut root = Socket::connect(&app, "/").await;
    let ack = root.call("authorize", json!({"client": "pump", "secret": SECRET_SHA1, "history": 1})).await;
    assert_eq!(ack["write_treatment"], true, "{ack}");
    let added = root
        .call(
            "dbAdd",
            json!({"collection": "treatments", "data": {"eventType": "Carb Correction", "carbs": 12,
            "created_at": iso(start - 30_000), "enteredBy": "openaps://AndroidAPS"}}),
        )
        .await;
    let t_id = added[0]["identifier"].as_str().expect("dbAdd answers with the identifier").to_owned();
    let ev = storage.wait_for("create", |d| d["colName"] == "treatments").await;
    assert_eq!(ev["doc"]["identifier"], t_id.as_str());
    assert!(ev["doc"]["srvModified"].is_i64());
    let ack =
        root.call("dbUpdate", json!({"collection": "treatments", "_id": added[0]["_id"], "data": {"carbs": 15}})).await;
    assert_eq!(ack["result"], "success");
    let ev = storage.wait_for("update", |d| d["colName"] == "treatments").await;
    assert_eq!(ev["doc"]["carbs"], 15);

    let history = v3.list(&format!("/entries/history/{}", start - 1)).await;
    assert!(history.iter().any(|d| d["identifier"] == id.as_str() && d["sgv"] == 111));
    let t_hist = v3.list(&format!("/treatments/history/{}", start - 1)).await;
    let t = t_hist.iter().find(|d| d["identifier"] == t_id.as_str()).expect("the dbAdd in history");
    assert_eq!(t["carbs"], 15);

    // v1 deletes reach v3 history as isValid: false and /storage as delete; v1 reads drop them.
    let (s, _) = app.delete(&format!("/api/v1/entries/{}", posted[0]["_id"].as_str().unwrap())).await;
    assert_eq!(s, 200);
    let ev = storage.wait_for("delete", |d| d["colName"] == "entries").await;
    assert_eq!(ev["identifier"], id.as_str());
    let ack = root.call("dbRemove", json!({"collection": "treatments", "_id": added[0]["_id"]})).await;
    assert_eq!(ack["result"], "success");
    let (page, cursor) = (v3.list(&format!("/entries/history/{}", start - 1)).await, start - 1);
    let gone = page.iter().find(|d| d["identifier"] == id.as_str()).expect("the deletion in history");
    assert_eq!(gone["isValid"], false);
    assert!(gone["srvModified"].as_i64().unwrap() > cursor);
    let t_gone = v3.list(&format!("/treatments/history/{}", start - 1)).await;
    assert!(t_gone.iter().any(|d| d["identifier"] == t_id.as_str() && d["isValid"] == false));
    assert_eq!(v3.get(&format!("/entries/{id}")).await.0, 410, "a v1 deletion reads as gone");
    assert_eq!(app.get_json("/api/v1/entries.json").await, json!([]));
    assert!(v3.list("/entries").await.is_empty(), "search leaves deleted documents out");
}

async fn a_resent_v1_reading_keeps_its_identifier_and_srv_created(app: TestApp) {
    let v3 = V3::new(&app, Auth::Secret);
    let reading = xdrip_reading(now_ms() - 60_000, 120);
    let first = app.post_entries(json!([reading.clone()])).await;
    let id = first[0]["identifier"].as_str().unwrap().to_owned();
    let (_, before) = v3.get(&format!("/entries/{id}")).await;
    let mut again = reading;
    again["sgv"] = json!(121);
    let second = app.post_entries(json!([again])).await;
    assert_eq!(second[0]["identifier"], id.as_str(), "the same document");
    let (_, after) = v3.get(&format!("/entries/{id}")).await;
    let (b, a) = (&before["result"], &after["result"]);
    assert_eq!((a["sgv"].as_i64(), &a["srvCreated"]), (Some(121), &b["srvCreated"]));
    assert!(a["srvModified"].as_i64() > b["srvModified"].as_i64());
    assert_eq!(v3.list("/entries").await.len(), 1);
}

async fn soft_and_permanent_deletes_differ_in_what_history_keeps(app: TestApp) {
    let v3 = V3::new(&app, Auth::Secret);
    let now = now_ms();
    let mut ids = Vec::new();
    for i in 0..2 {
        let doc = json!({"date": now - i, "app": "test", "device": "d", "eventType": "Note", "notes": i});
        let (s, b) = v3.send(Method::POST, "/treatments", doc).await;
        assert_eq!(s, 201, "{b}");
        ids.push(b["identifier"].as_str().unwrap().to_owned());
    }
    assert_eq!(v3.send(Method::DELETE, &format!("/treatments/{}", ids[0]), json!({})).await.0, 200);
    assert_eq!(v3.send(Method::DELETE, &format!("/treatments/{}?permanent=true", ids[1]), json!({})).await.0, 200);
    assert_eq!(v3.get(&format!("/treatments/{}", ids[0])).await, (410, json!({"status": 410})));
    assert_eq!(v3.get(&format!("/treatments/{}", ids[1])).await, (404, json!({"status": 404})));
    assert!(v3.list("/treatments").await.is_empty());
    let hist = v3.list("/treatments/history/0").await;
    assert_eq!(hist.len(), 1, "only the soft delete is in history: {hist:?}");
    assert_eq!((hist[0]["identifier"].as_str(), &hist[0]["isValid"]), (Some(ids[0].as_str()), &json!(false)));
    assert_eq!(v3.send(Method::DELETE, "/treatments/no-such-identifier", json!({})).await.0, 404);
    // A deleted identifier cannot be patched; deleting it for good leaves nothing.
    assert_eq!(v3.send(Method::PATCH, &format!("/treatments/{}", ids[0]), json!({"notes": "x"})).await.0, 410);
    assert_eq!(v3.send(Method::DELETE, &format!("/treatments/{}?permanent=true", ids[0]), json!({})).await.0, 200);
    assert_eq!(v3.get(&format!("/treatments/{}", ids[0])).await.0, 404);
    assert!(v3.list("/treatments/history/0").await.is_empty());
}

async fn permissions_follow_the_callers_roles(app: TestApp) {
    let none = V3::new(&app, Auth::None);
    let (s, b) = none.get("/status").await;
    assert_eq!((s, b), (401, json!({"status": 401, "message": "Missing or bad access token or JWT"})));
    let bad = V3::new(&app, Auth::Jwt("not.a.jwt".into()));
    let (s, b) = bad.get("/entries").await;
    assert_eq!((s, b), (401, json!({"status": 401, "message": "Bad access token or JWT"})));
    assert_eq!(V3::new(&app, Auth::None).get("/version").await.0, 200, "version needs no token");
    let readable = token_with_roles(&app, "follower", &["readable"]).await;
    let reader = V3::new(&app, auth_for(&app, &readable).await);
    let (_, status) = reader.get("/status").await;
    assert_eq!(status["result"]["apiPermissions"]["entries"], "r", "{status}");
    assert!(status["result"]["apiPermissions"].get("settings").is_none());
    let (s, b) =
        reader.send(Method::POST, "/entries", json!({"date": now_ms(), "app": "x", "type": "sgv", "sgv": 1})).await;
    assert_eq!((s, b), (403, json!({"status": 403, "message": "Missing permission api:entries:create"})));
    assert_eq!(reader.get("/entries").await.0, 200);
    let mut storage = Socket::connect(&app, "/storage").await;
    let ack = storage.call("subscribe", json!({"accessToken": readable, "collections": ["entries", "settings"]})).await;
    assert_eq!(ack, json!({"success": true, "collections": ["entries"]}));
    let uploader = token_with_roles(&app, "rig", &["devicestatus-upload"]).await;
    let rig = V3::new(&app, auth_for(&app, &uploader).await);
    let (_, status) = rig.get("/status").await;
    assert_eq!(status["result"]["apiPermissions"]["devicestatus"], "cr", "{status}");
    let ds = json!({"date": now_ms(), "app": "rig", "device": "openaps://rig"});
    assert_eq!(rig.send(Method::POST, "/devicestatus", ds.clone()).await.0, 201);
    let (s, b) = rig.send(Method::POST, "/devicestatus", ds).await;
    assert_eq!((s, b), (403, json!({"status": 403, "message": "Missing permission api:devicestatus:update"})));
}

async fn history_and_search_page_past_a_thousand_documents(app: TestApp) {
    let v3 = V3::new(&app, Auth::Secret);
    let now = now_ms();
    let batch: Vec<Value> =
        (0..1100).map(|i| json!({"device": "openaps://rig", "created_at": iso(now - 3_600_000 + i * 1000)})).collect();
    app.write_json(Method::POST, "/api/v1/devicestatus", json!(batch)).await;
    let (s, etag, first) = v3.get_page("/devicestatus/history/0").await;
    assert_eq!(s, 200);
    assert_eq!(first["result"].as_array().unwrap().len(), 1000, "the default and maximum page");
    let (s, etag2, second) = v3.get_page(&format!("/devicestatus/history/{}", etag_ms(&etag.unwrap()))).await;
    assert_eq!((s, second["result"].as_array().unwrap().len()), (200, 100), "the rest, none lost in one batch");
    let (_, etag3, third) = v3.get_page(&format!("/devicestatus/history/{}", etag_ms(&etag2.unwrap()))).await;
    assert_eq!((etag3, third["result"].as_array().unwrap().len()), (None, 0));
    let page1 = v3.list("/devicestatus?sort$desc=created_at&limit=1000").await;
    let page2 = v3.list("/devicestatus?sort$desc=created_at&limit=1000&skip=1000").await;
    assert_eq!((page1.len(), page2.len()), (1000, 100));
    assert!(page1[0]["created_at"].as_str() > page2[0]["created_at"].as_str());
    let (s, b) = v3.get("/devicestatus?limit=1001").await;
    assert_eq!((s, b), (400, json!({"status": 400, "message": "Parameter limit out of tolerance"})));
    let recent =
        v3.list(&format!("/devicestatus?created_at$gte={}&limit=1000", iso(now - 3_600_000 + 1_090_000))).await;
    assert_eq!(recent.len(), 10);
}

async fn bad_requests_get_api_v3_errors(app: TestApp) {
    let v3 = V3::new(&app, Auth::Secret);
    let msg = |b: &Value| b["message"].as_str().unwrap_or_default().to_owned();
    let (s, b) = v3.get("/nonsense").await;
    assert_eq!((s, msg(&b)), (404, "Bad operation or collection".into()));
    let (s, b) = v3.get("/entries?date$foo=1").await;
    assert_eq!((s, msg(&b)), (400, "Unsupported filter operator foo".into()));
    let (s, b) = v3.get("/entries?sort=date&sort$desc=date").await;
    assert_eq!((s, msg(&b)), (400, "Parameters sort and sort_desc cannot be combined".into()));
    let (s, b) = v3.send(Method::POST, "/entries", json!({})).await;
    assert_eq!((s, msg(&b)), (400, "Bad or missing request body".into()));
    let (s, b) = v3.send(Method::POST, "/entries", json!({"date": now_ms(), "type": "sgv"})).await;
    assert_eq!((s, msg(&b)), (400, "Bad or missing app field".into()));
    let (s, b) = v3.send(Method::POST, "/entries", json!({"date": "yesterday", "app": "x"})).await;
    assert_eq!((s, msg(&b)), (400, "Bad or missing date field".into()));
    let (s, b) = v3.get("/entries/history/notadate").await;
    assert_eq!((s, msg(&b)), (400, "Bad or missing Last-Modified header/parameter".into()));
    // Read-only documents are kept as they are.
    let (s, b) =
        v3.send(Method::POST, "/food", json!({"date": now_ms(), "app": "x", "name": "apple", "readOnly": true})).await;
    assert_eq!(s, 201, "{b}");
    let id = b["identifier"].as_str().unwrap();
    let (s, b) = v3.send(Method::PATCH, &format!("/food/{id}"), json!({"name": "pear"})).await;
    assert_eq!((s, msg(&b)), (422, "Trying to modify read-only document".into()));
}

contract!(
    v1_and_socket_writes_show_up_in_v3_history_and_as_storage_events,
    a_resent_v1_reading_keeps_its_identifier_and_srv_created,
    soft_and_permanent_deletes_differ_in_what_history_keeps,
    permissions_follow_the_callers_roles,
    history_and_search_page_past_a_thousand_documents,
    bad_requests_get_api_v3_errors,
);
