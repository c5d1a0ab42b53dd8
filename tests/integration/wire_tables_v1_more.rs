//! Differential tables for API v1, continued: entry headers, previews and deletes by id, and
//! how treatments are normalised (`lib/api/entries/index.js`, `lib/server/treatments.js`).

use reqwest::Method;
use serde_json::json;

use crate::common::*;
use crate::wire_table::{Row, check};

contract!(
    v1_headers_previews_and_deletes_by_id_answer_as_nightscout_does,
    v1_treatments_are_normalised_as_nightscout_does,
);

async fn v1_headers_previews_and_deletes_by_id_answer_as_nightscout_does(app: TestApp) {
    let ms = now_ms() - 60_000;
    let entry = app.post_entries(json!([xdrip_reading(ms, 123)])).await[0]["_id"].as_str().unwrap().to_owned();
    let treatment = json!([{"eventType": "Note", "notes": "x", "created_at": iso(ms)}]);
    let treatment = app.write_json(Method::POST, "/api/v1/treatments", treatment).await[0]["_id"].clone();
    let ds = app.write_json(Method::POST, "/api/v1/devicestatus", json!({"device": "d", "created_at": iso(ms)})).await;
    let deleted = json!({"acknowledged": true, "deletedCount": 1});
    check(
        &app,
        vec![
            Row::get(
                "Last-Modified is the newest's date (format_entries)",
                "/api/v1/entries.json",
                200,
                json!([{"sgv": 123}]),
            )
            .has("last-modified"),
            Row::get("If-Modified-Since after it: 304", "/api/v1/entries.json", 304, json!("any"))
                .header("if-modified-since", "Tue, 01 Dec 2099 10:00:00 GMT")
                .ctype(""),
            Row::get(
                "one entry by id (get /entries/:spec)",
                &format!("/api/v1/entries/{entry}.json"),
                200,
                json!([{"_id": entry.as_str(), "sgv": 123}]),
            ),
            Row::send(
                "preview: normalised, not stored (insert_entries)",
                Method::POST,
                "/api/v1/entries/preview",
                json!([xdrip_reading(ms - 600_000, 99)]),
                200,
                json!([{"sgv": 99, "type": "sgv", "sysTime": "iso"}]),
            ),
            Row::get(
                "nothing previewed was stored",
                &format!("/api/v1/entries.json?find[date]={}", ms - 600_000),
                200,
                json!([]),
            ),
            Row::send(
                "one object is stored as an array of one",
                Method::POST,
                "/api/v1/entries",
                xdrip_reading(ms - 300_000, 101),
                200,
                json!([{"sgv": 101}]),
            ),
            Row::get("versions (lib/api/root.js)", "/api/versions", 200, json!([{"version": "str", "url": "str"}])),
            Row::get("status.js: this.serverSettings = {...} ;", "/api/v1/status.js", 200, json!("any"))
                .ctype("application/javascript"),
            Row::send(
                "DELETE an entry by id: deleteMany's result",
                Method::DELETE,
                &format!("/api/v1/entries/{entry}"),
                json!({}),
                200,
                deleted.clone(),
            ),
            Row::send(
                "DELETE a treatment by id",
                Method::DELETE,
                &format!("/api/v1/treatments/{}", treatment.as_str().unwrap()),
                json!({}),
                200,
                deleted.clone(),
            ),
            Row::send(
                "DELETE a devicestatus by id",
                Method::DELETE,
                &format!("/api/v1/devicestatus/{}", ds[0]["_id"].as_str().unwrap()),
                json!({}),
                200,
                deleted,
            ),
        ],
    )
    .await;
}

/// `lib/server/treatments.js` `prepareData`: numbers from strings, dates in UTC with `utcOffset`,
/// `eventTime` into `created_at`, empty and NaN fields dropped, announcements marked.
async fn v1_treatments_are_normalised_as_nightscout_does(app: TestApp) {
    let post = |what, body| Row::send(what, Method::POST, "/api/v1/treatments", body, 200, json!("any"));
    let echo = |what, body, shape| Row { shape, ..post(what, body) };
    check(&app, vec![
        echo("numbers from strings, zone to UTC",
            json!({"eventType": "Meal Bolus", "carbs": "20", "insulin": "1.5", "duration": "30",
                "created_at": "2026-12-01T10:00:00+01:00", "enteredBy": "t"}),
            json!([{"carbs": 20, "insulin": 1.5, "duration": 30, "created_at": "=2026-12-01T09:00:00.000Z", "utcOffset": 60}])),
        echo("empty, zero and NaN fields are dropped",
            json!({"eventType": "Note", "notes": "", "carbs": 0, "insulin": "", "percent": 0, "duration": "x",
                "absolute": "y", "glucose": 0, "glucoseType": "Finger", "units": "mg/dl", "targetTop": 0,
                "created_at": "2026-12-01T11:00:00Z"}),
            json!([{"eventType": "Note", "absent": ["notes", "carbs", "insulin", "percent", "duration", "absolute",
                "glucose", "glucoseType", "units", "targetTop"]}])),
        echo("eventTime becomes created_at",
            json!({"eventType": "Note", "notes": "x", "eventTime": "2026-12-01T08:00:00Z"}),
            json!([{"created_at": "=2026-12-01T08:00:00.000Z", "absent": ["eventTime"]}])),
        echo("announcements are marked",
            json!({"eventType": "Announcement", "notes": "x", "created_at": "2026-12-01T12:00:00Z"}),
            json!([{"isAnnouncement": true}])),
        echo("glucose kept as a number",
            json!({"eventType": "BG Check", "glucose": "105", "glucoseType": "Finger", "units": "mg/dl",
                "created_at": "2026-12-01T13:00:00Z"}),
            json!([{"glucose": 105, "glucoseType": "Finger", "units": "mg/dl"}])),
    ]).await;
}
