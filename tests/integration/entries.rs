//! Contract: `/api/v1/entries` behaves as Nightscout 15's, on both backends.

use crate::common::*;
use reqwest::Method;
use serde_json::{Value, json};

contract!(
    post_xdrip_reading_with_sha1_secret_then_get_json_returns_it_in_nightscout_shape,
    post_without_or_with_wrong_secret_returns_401_and_stores_nothing,
    sha512_query_and_body_secrets_are_accepted,
    reposting_the_same_reading_merges_instead_of_duplicating,
    single_object_without_date_is_ignored_and_arrays_are_stored_in_order,
    uuid_ids_move_to_identifier_and_object_ids_are_kept,
    default_accept_gives_tab_separated_text_and_extensions_choose_the_format,
    find_operators_follow_nightscout_coercion,
    default_window_hides_old_readings_unless_a_date_is_queried,
    count_limits_and_results_are_newest_first,
    current_and_type_and_id_paths,
    delete_by_id_type_and_find,
    count_where_groups_matching_documents,
    if_modified_since_answers_304,
    bad_queries_and_bodies_get_nightscout_errors_never_500,
    loop_and_bridge_payloads_round_trip_with_extra_fields,
);

async fn post_xdrip_reading_with_sha1_secret_then_get_json_returns_it_in_nightscout_shape(app: TestApp) {
    let ms = now_ms() - 60_000;
    let posted = app.post_entries(xdrip_reading(ms, 123)).await;
    let posted = posted.as_array().unwrap();
    assert_eq!(posted.len(), 1);
    assert_eq!(posted[0]["_id"].as_str().unwrap().len(), 24);
    assert_eq!(posted[0]["sysTime"], iso(ms));

    let list = app.get_json("/api/v1/entries.json").await;
    let e = &list.as_array().unwrap()[0];
    assert_eq!(e["_id"], posted[0]["_id"]);
    assert_eq!(e["sgv"], 123);
    assert_eq!(e["date"], ms);
    assert_eq!(e["dateString"], iso(ms), "dateString is rewritten in UTC");
    assert_eq!(e["sysTime"], iso(ms));
    assert_eq!(e["utcOffset"], 0);
    assert_eq!(e["direction"], "Flat");
    assert_eq!(e["device"], "xDrip-DexcomG6");
    assert_eq!(e["type"], "sgv");
    assert_eq!(e["noise"], 1);
    assert_eq!(e["delta"], -1.5);
}

async fn post_without_or_with_wrong_secret_returns_401_and_stores_nothing(app: TestApp) {
    let body = xdrip_reading(now_ms(), 100);
    let res = app.req(Method::POST, "/api/v1/entries").json(&body).send().await.unwrap();
    let (status, err) = status_json(res).await;
    assert_eq!(status, 401);
    assert_eq!(err, json!({"status": 401, "message": "Unauthorized", "description": "Invalid/Missing"}));
    let wrong = app
        .req(Method::POST, "/api/v1/entries")
        .header("api-secret", "b723e97aa97846eb92d5264f084b2823f57c4aa2")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    // An unknown `?token=` is ignored, as in Nightscout (`tokens-and-v3.md` §1): the default
    // roles read, but do not write.
    let res = app.req(Method::GET, "/api/v1/entries.json?token=nobody-0123456789abcdef").send().await.unwrap();
    assert_eq!(res.status(), 200);
    let res = app.req(Method::POST, "/api/v1/entries?token=nobody-0123456789abcdef").json(&body).send().await.unwrap();
    assert_eq!(res.status(), 401);
    assert_eq!(app.get_json("/api/v1/entries.json").await, json!([]));
}

async fn sha512_query_and_body_secrets_are_accepted(app: TestApp) {
    let t = now_ms() - 300_000;
    let res = app
        .req(Method::POST, "/api/v1/entries")
        .header("api-secret", SECRET_SHA512)
        .json(&xdrip_reading(t, 101))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let res = app
        .req(Method::POST, &format!("/api/v1/entries?secret={}", SECRET_SHA1.to_uppercase()))
        .json(&xdrip_reading(t - 300_000, 102))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let mut body = xdrip_reading(t - 600_000, 103);
    body["secret"] = json!(SECRET_SHA1);
    let res = app.req(Method::POST, "/api/v1/entries").json(&body).send().await.unwrap();
    let (status, out) = status_json(res).await;
    assert_eq!(status, 200);
    assert!(out[0].get("secret").is_none(), "the body secret is not stored");
    let list = app.get_json("/api/v1/entries.json").await;
    let sgvs: Vec<i64> = list.as_array().unwrap().iter().map(|e| e["sgv"].as_i64().unwrap()).collect();
    assert_eq!(sgvs, vec![101, 102, 103]);
    assert!(list.as_array().unwrap().iter().all(|e| e.get("secret").is_none()));
}

async fn reposting_the_same_reading_merges_instead_of_duplicating(app: TestApp) {
    let ms = now_ms() - 120_000;
    let first = app.post_entries(xdrip_reading(ms, 140)).await;
    let mut again = xdrip_reading(ms, 141);
    again["extra"] = json!("kept");
    again.as_object_mut().unwrap().remove("noise");
    let second = app.post_entries(again).await;
    assert!(second[0].get("_id").is_none(), "a merged document comes back without _id");
    let list = app.get_json("/api/v1/entries.json").await;
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["_id"], first[0]["_id"]);
    assert_eq!(list[0]["sgv"], 141, "later values win");
    assert_eq!(list[0]["extra"], "kept");
    assert_eq!(list[0]["noise"], 1, "fields not resent are kept ($set merge)");
    // Same time, another type: a separate document.
    app.post_entries(json!({"type": "mbg", "mbg": 150, "date": ms, "dateString": iso(ms)})).await;
    assert_eq!(app.get_json("/api/v1/entries.json").await.as_array().unwrap().len(), 2);
}

async fn single_object_without_date_is_ignored_and_arrays_are_stored_in_order(app: TestApp) {
    assert_eq!(app.post_entries(json!({"sgv": 100, "type": "sgv"})).await, json!([]));
    assert_eq!(app.post_entries(json!([])).await, json!([]));
    let t = now_ms() - 30 * 60_000;
    let batch: Vec<Value> = (0..6).map(|i| xdrip_reading(t + i * 300_000, 100 + i)).collect();
    let out = app.post_entries(Value::Array(batch)).await;
    let sgvs: Vec<i64> = out.as_array().unwrap().iter().map(|e| e["sgv"].as_i64().unwrap()).collect();
    assert_eq!(sgvs, vec![100, 101, 102, 103, 104, 105], "response in request order");
    let list = app.get_json("/api/v1/entries.json").await;
    let sgvs: Vec<i64> = list.as_array().unwrap().iter().map(|e| e["sgv"].as_i64().unwrap()).collect();
    assert_eq!(sgvs, vec![105, 104, 103, 102, 101, 100], "listing newest first");
}

async fn uuid_ids_move_to_identifier_and_object_ids_are_kept(app: TestApp) {
    let ms = now_ms() - 60_000;
    let mut a = xdrip_reading(ms, 110);
    a["_id"] = json!("0b3a2a4e-1c1f-4c3e-9a6e-2f2d3b4c5d6e");
    let mut b = xdrip_reading(ms - 300_000, 111);
    b["_id"] = json!("5c9c1c3e2f8b4a0012345678");
    app.post_entries(json!([a, b])).await;
    let list = app.get_json("/api/v1/entries.json").await;
    assert_eq!(list[0]["identifier"], "0b3a2a4e-1c1f-4c3e-9a6e-2f2d3b4c5d6e");
    assert_eq!(list[0]["_id"].as_str().unwrap().len(), 24);
    assert_eq!(list[1]["_id"], "5c9c1c3e2f8b4a0012345678");
    let one = app.get_json("/api/v1/entries/5c9c1c3e2f8b4a0012345678.json").await;
    assert_eq!(one[0]["sgv"], 111);
}

async fn default_accept_gives_tab_separated_text_and_extensions_choose_the_format(app: TestApp) {
    let ms = now_ms() - 60_000;
    app.post_entries(xdrip_reading(ms, 199)).await;
    let res = app.req(Method::GET, "/api/v1/entries").send().await.unwrap();
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/plain"));
    let text = res.text().await.unwrap();
    assert_eq!(text, format!("\"{}\"\t{ms}\t199\t\"Flat\"\t\"xDrip-DexcomG6\"", iso(ms)));
    let csv = app.req(Method::GET, "/api/v1/entries.csv").send().await.unwrap();
    assert!(csv.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    assert_eq!(csv.text().await.unwrap(), format!("\"{}\",{ms},199,\"Flat\",\"xDrip-DexcomG6\"", iso(ms)));
    let tsv = app.req(Method::GET, "/api/v1/entries.tsv").send().await.unwrap();
    assert!(tsv.headers()["content-type"].to_str().unwrap().starts_with("text/tab-separated-values"));
    let json = app
        .req(Method::GET, "/api/v1/entries")
        .header("accept", "application/json, text/plain, */*")
        .send()
        .await
        .unwrap();
    assert!(json.headers()["content-type"].to_str().unwrap().starts_with("application/json"));
    let txt = app.req(Method::GET, "/api/v1/entries.txt").header("accept", "application/json").send().await.unwrap();
    assert!(txt.headers()["content-type"].to_str().unwrap().starts_with("text/plain"));
    // v2 re-mounts v1.
    assert_eq!(app.get_json("/api/v2/entries.json").await[0]["sgv"], 199);
}

async fn find_operators_follow_nightscout_coercion(app: TestApp) {
    let t = now_ms() - 3_600_000;
    let mut docs: Vec<Value> = (0..5).map(|i| xdrip_reading(t + i * 300_000, 80 + i * 20)).collect();
    docs[4]["sgv"] = json!("160"); // a string-stored value (as old uploaders sent)
    docs[0]["direction"] = json!("DoubleDown");
    app.post_entries(Value::Array(docs)).await;
    let sgvs = |v: Value| -> Vec<Value> { v.as_array().unwrap().iter().map(|e| e["sgv"].clone()).collect() };
    assert_eq!(
        sgvs(app.get_json("/api/v1/entries.json?find[sgv][$gte]=100").await),
        vec![json!(140), json!(120), json!(100)],
        "numbers compare with numbers only"
    );
    assert_eq!(sgvs(app.get_json("/api/v1/entries.json?find[sgv]=120").await), vec![json!(120)]);
    assert_eq!(
        sgvs(app.get_json("/api/v1/entries.json?find[sgv]=160").await),
        Vec::<Value>::new(),
        "find[sgv]=160 is numeric and does not match the string \"160\""
    );
    assert_eq!(
        sgvs(app.get_json("/api/v1/entries.json?find[sgv][$in][]=80&find[sgv][$in][]=140").await),
        vec![json!(140), json!(80)]
    );
    assert_eq!(sgvs(app.get_json("/api/v1/entries.json?find[direction][$ne]=Flat").await), vec![json!(80)]);
    assert_eq!(
        sgvs(
            app.get_json("/api/v1/entries.json?find[direction][$nin][]=Flat&find[direction][$nin][]=DoubleDown").await
        ),
        Vec::<Value>::new()
    );
    assert_eq!(
        sgvs(app.get_json(&format!("/api/v1/entries.json?find[date][$gt]={}", t + 600_000)).await),
        vec![json!("160"), json!(140)],
        "xDrip+ follower's query"
    );
    assert_eq!(sgvs(app.get_json("/api/v1/entries.json?find[direction][$regex]=^Double").await), vec![json!(80)]);
    assert_eq!(
        sgvs(app.get_json("/api/v1/entries.json?find[missing][$exists]=false&count=1").await),
        vec![json!("160")]
    );
    let day = &iso(t)[..10];
    let n = app.get_json(&format!("/api/v1/entries/sgv.json?find[dateString][$gte]={day}&count=100")).await;
    assert_eq!(n.as_array().unwrap().len(), 5, "dateString compares as text, so a day prefix works");
}

async fn default_window_hides_old_readings_unless_a_date_is_queried(app: TestApp) {
    let old = now_ms() - 5 * 24 * 3_600_000;
    app.post_entries(json!([xdrip_reading(old, 90), xdrip_reading(now_ms() - 60_000, 95)])).await;
    let list = app.get_json("/api/v1/entries.json?count=100").await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    let list = app.get_json(&format!("/api/v1/entries.json?count=100&find[date][$gte]={}", old - 1)).await;
    assert_eq!(list.as_array().unwrap().len(), 2);
    let list = app.get_json(&format!("/api/v1/entries.json?find[dateString][$lte]={}", iso(old + 1))).await;
    assert_eq!(list.as_array().unwrap()[0]["sgv"], 90);
}

async fn count_limits_and_results_are_newest_first(app: TestApp) {
    let t = now_ms() - 24 * 3_600_000;
    let docs: Vec<Value> = (0..15).map(|i| xdrip_reading(t + i * 300_000, 100 + i)).collect();
    app.post_entries(Value::Array(docs)).await;
    let list = app.get_json("/api/v1/entries.json").await;
    assert_eq!(list.as_array().unwrap().len(), 10, "default count 10");
    assert_eq!(list[0]["sgv"], 114);
    assert_eq!(app.get_json("/api/v1/entries.json?count=3").await.as_array().unwrap().len(), 3);
    assert_eq!(
        app.get_json("/api/v1/entries.json?count=0").await.as_array().unwrap().len(),
        15,
        "count=0 means no limit"
    );
    assert_eq!(app.get_json("/api/v1/entries.json?count=abc").await.as_array().unwrap().len(), 10);
}

async fn current_and_type_and_id_paths(app: TestApp) {
    let t = now_ms() - 600_000;
    app.post_entries(json!([xdrip_reading(t, 100),
        {"type": "mbg", "mbg": 105, "date": t + 60_000, "dateString": iso(t + 60_000), "device": "meter"},
        {"type": "cal", "slope": 900.0, "intercept": 30000, "scale": 1, "date": t - 60_000}]))
        .await;
    let cur = app.get_json("/api/v1/entries/current.json").await;
    assert_eq!(cur.as_array().unwrap().len(), 1);
    assert_eq!(cur[0]["mbg"], 105, "current is the newest entry of any type");
    let sgv = app.get_json("/api/v1/entries/sgv.json").await;
    assert_eq!(sgv.as_array().unwrap().len(), 1);
    assert_eq!(app.get_json("/api/v1/entries/cal.json").await[0]["slope"], 900.0);
    let id = sgv[0]["_id"].as_str().unwrap().to_owned();
    assert_eq!(app.get_json(&format!("/api/v1/entries/{id}")).await[0]["sgv"], 100);
    let res = app.req(Method::GET, "/api/v1/entries/aaaaaaaaaaaaaaaaaaaaaaaa.json").send().await.unwrap();
    assert_eq!(res.status(), 404);
    // Uppercase hex is not an id in Nightscout: it is a type filter, and no entry has that type.
    assert_eq!(app.get_json(&format!("/api/v1/entries/{}.json", id.to_uppercase())).await, json!([]));
    let text = app.req(Method::GET, "/api/v1/entries/current").send().await.unwrap().text().await.unwrap();
    assert!(text.contains("\"meter\""), "{text}");
}

async fn delete_by_id_type_and_find(app: TestApp) {
    let t = now_ms() - 3_600_000;
    let out = app
        .post_entries(json!([xdrip_reading(t, 100), xdrip_reading(t + 300_000, 110), xdrip_reading(t + 600_000, 120),
        {"type": "mbg", "mbg": 105, "date": t, "dateString": iso(t)}]))
        .await;
    let id = out[0]["_id"].as_str().unwrap();
    let res = app.req(Method::DELETE, &format!("/api/v1/entries/{id}")).send().await.unwrap();
    assert_eq!(res.status(), 401, "deleting needs the secret");
    let (s, body) =
        status_json(app.authed(Method::DELETE, &format!("/api/v1/entries/{id}")).send().await.unwrap()).await;
    assert_eq!((s, body), (200, json!({"acknowledged": true, "deletedCount": 1})));
    let (_, body) =
        status_json(app.authed(Method::DELETE, "/api/v1/entries/sgv?find[sgv][$gte]=115").send().await.unwrap()).await;
    assert_eq!(body["deletedCount"], 1);
    let (_, body) =
        status_json(app.authed(Method::DELETE, "/api/v1/entries?find[type]=mbg").send().await.unwrap()).await;
    assert_eq!(body["deletedCount"], 1);
    let left = app.get_json("/api/v1/entries.json").await;
    assert_eq!(left.as_array().unwrap().len(), 1);
    assert_eq!(left[0]["sgv"], 110);
    let (_, body) = status_json(app.authed(Method::DELETE, "/api/v1/entries/*").send().await.unwrap()).await;
    assert_eq!(body["deletedCount"], 1);
}

async fn count_where_groups_matching_documents(app: TestApp) {
    let t = now_ms() - 3_600_000;
    app.post_entries(json!([xdrip_reading(t, 100), xdrip_reading(t + 300_000, 100), xdrip_reading(t + 600_000, 120)]))
        .await;
    let day = &iso(t)[..7];
    let n = app.get_json(&format!("/api/v1/count/entries/where?find[dateString][$gte]={day}&find[sgv]=100")).await;
    assert_eq!(n, json!([{"_id": null, "count": 2}]));
    assert_eq!(app.get_json("/api/v1/count/entries/where?find[sgv]=999").await, json!([]));
    assert_eq!(app.get_json("/api/v1/count/entries/where").await[0]["count"], 3, "default window on the date field");
    let res = app.req(Method::GET, "/api/v1/count/nothing/where").send().await.unwrap();
    assert_eq!(res.status(), 400);
}

async fn if_modified_since_answers_304(app: TestApp) {
    let ms = (now_ms() / 1000) * 1000 - 60_000;
    app.post_entries(xdrip_reading(ms, 130)).await;
    let res = app.req(Method::GET, "/api/v1/entries.json").send().await.unwrap();
    let lm = res.headers()["last-modified"].to_str().unwrap().to_owned();
    let res = app.req(Method::GET, "/api/v1/entries.json").header("if-modified-since", &lm).send().await.unwrap();
    assert_eq!(res.status(), 304);
    let older = "Mon, 01 Jan 2001 00:00:00 GMT";
    let res = app.req(Method::GET, "/api/v1/entries.json").header("if-modified-since", older).send().await.unwrap();
    assert_eq!(res.status(), 200);
}

async fn bad_queries_and_bodies_get_nightscout_errors_never_500(app: TestApp) {
    let (s, body) =
        status_json(app.req(Method::GET, "/api/v1/entries.json?find[$where]=sleep(1000)").send().await.unwrap()).await;
    assert_eq!(s, 400);
    assert_eq!(body["status"], 400);
    assert!(body["description"].as_str().unwrap().contains("$where"));
    let (s, _) =
        status_json(app.req(Method::GET, "/api/v1/entries.json?find[sgv][$function]=x").send().await.unwrap()).await;
    assert_eq!(s, 400);
    let (s, body) = status_json(
        app.authed(Method::POST, "/api/v1/entries")
            .header("content-type", "application/json")
            .body("{\"date\": 1,")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 400);
    assert_eq!(body["message"], "Bad JSON");
    let (s, body) = status_json(app.req(Method::GET, "/api/v1/nothing/here").send().await.unwrap()).await;
    assert_eq!((s, body["status"].clone()), (404, json!(404)));
    let big = format!("[{}]", "1,".repeat(26 * 1024 * 1024) + "1");
    let res =
        app.authed(Method::POST, "/api/v1/entries").header("content-type", "application/json").body(big).send().await;
    if let Ok(res) = res {
        assert_eq!(res.status(), 413);
    }
    // Odd inputs of every kind: none may be a 5xx.
    let odd = [
        "/api/v1/entries.json?find[date][$gte]=not-a-date",
        "/api/v1/entries.json?find[sgv][$in]=1",
        "/api/v1/entries.json?find=5",
        "/api/v1/entries.json?find[a..b]=1",
        "/api/v1/entries.json?find[dateString][$regex]=(",
        "/api/v1/entries.json?count=-5",
        "/api/v1/entries.json?count=99999999999999999999999",
        "/api/v1/entries.json?find[sgv][$exists]=maybe",
        "/api/v1/entries/%00.json",
        "/api/v1/entries.json?find[_id]=zz",
        "/api/v1/entries.json?find[$or][0][sgv]=1&find[$or][1][sgv]=2",
        "/api/v1/count/entries/where?find[date]=x",
        "/api/v1/entries.json?find[date][$gt][$gt]=1",
        "/api/v1/entries.json?%ff=%fe",
        "/api/v1/entries.json?find[dateString][$regex]=a(?=b)",
    ];
    for path in odd {
        let res = app.req(Method::GET, path).send().await.unwrap();
        assert!(res.status().as_u16() < 500, "{path} gave {}", res.status());
    }
    for body in [
        "[1,2,3]",
        "[null]",
        "{\"date\": {\"$gt\": 1}}",
        "{\"date\": \"x\", \"_id\": 5}",
        "\"str\"",
        "[[]]",
        "{\"date\": 1e400}",
        "{\"date\": 1, \"dateString\": \"\\u0000\"}",
        "{\"date\": -99999999999999999}",
    ] {
        let res = app
            .authed(Method::POST, "/api/v1/entries")
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert!(res.status().as_u16() < 500, "{body} gave {}", res.status());
    }
}

async fn loop_and_bridge_payloads_round_trip_with_extra_fields(app: TestApp) {
    let ms = now_ms() - 600_000;
    // Loop (NightscoutKit): dateString in UTC with Z, trend number, extra fields.
    let loop_entry = json!({"date": ms, "dateString": iso(ms), "sgv": 98, "type": "sgv", "device": "loop://iPhone",
        "direction": "FortyFiveDown", "trend": 5, "isCalibration": false, "app": "Loop"});
    // share2nightscout-bridge: JS Date.toString-ish values are not sent; ISO with offset.
    let share = json!({"sgv": 104, "date": ms - 300_000, "dateString": "2020-01-01T00:00:00.000+01:00",
        "trend": 4, "direction": "Flat", "device": "share2", "type": "sgv"});
    app.post_entries(json!([loop_entry, share])).await;
    let list = app.get_json("/api/v1/entries.json?count=5&find[date][$gte]=0").await;
    let l = list.as_array().unwrap().iter().find(|e| e["device"] == "loop://iPhone").unwrap();
    assert_eq!(l["isCalibration"], false);
    assert_eq!(l["app"], "Loop");
    assert_eq!(l["trend"], 5);
    let s = list.as_array().unwrap().iter().find(|e| e["device"] == "share2").unwrap();
    assert_eq!(s["dateString"], "2019-12-31T23:00:00.000Z");
    assert_eq!(s["utcOffset"], 60);
    assert_eq!(s["date"], ms - 300_000, "date is never touched");
}

/// Without API_SECRET the server reads, and says why it refuses writes and credentials.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_api_secret_reads_work_and_writes_say_why_they_are_refused() {
    let app = TestApp::spawn_with(Backend::Sqlite, &[("API_SECRET", "")]).await.unwrap();
    let res = app.authed(Method::POST, "/api/v1/entries").json(&xdrip_reading(now_ms(), 100)).send().await.unwrap();
    let (status, body) = status_json(res).await;
    assert_eq!(status, 401);
    assert!(body["description"].as_str().unwrap().contains("API_SECRET is not set"));
    let res = app.req(Method::POST, "/api/v1/entries").json(&xdrip_reading(now_ms(), 100)).send().await.unwrap();
    let (status, body) = status_json(res).await;
    assert_eq!(status, 401);
    assert!(body["description"].as_str().unwrap().contains("API_SECRET is not set"));
    assert_eq!(app.get_json("/api/v1/entries.json").await, json!([]));
}
