//! Differential tables for API v2 (`lib/api2/*`, `lib/data/*`, `lib/authorization/endpoints.js`)
//! and API v3 (`lib/api3/*`, `const.json` for the texts): what Nightscout 15 answers, both stores.

use reqwest::Method;
use serde_json::json;

use crate::common::*;
use crate::v3_client::{jwt_for, token_with_roles};
use crate::wire_table::{Row, check};

contract!(
    v2_properties_ddata_and_authorization_answer_as_nightscout_does,
    v3_answers_as_nightscout_does,
    v3_writes_answer_as_nightscout_does,
);

const ID: &str = "5f1e0c8a9b1e8a0012345678";

async fn v2_properties_ddata_and_authorization_answer_as_nightscout_does(app: TestApp) {
    let ms = now_ms() - 60_000;
    app.post_entries(json!([xdrip_reading(ms - 300_000, 120), xdrip_reading(ms, 125)])).await;
    let reader = token_with_roles(&app, "reader", &["readable"]).await;
    let ddata = json!({"sgvs": [{"mills": "int", "mgdl": "int"}], "treatments": "arr", "mbgs": "arr", "cals": "arr",
        "profiles": "arr", "devicestatus": "arr", "food": "arr", "activity": "arr", "dbstats": "obj",
        "lastUpdated": "int"});
    check(&app, vec![
        Row::get("all properties (lib/api2/properties.js)", "/api/v2/properties", 200,
            json!({"bgnow": "obj", "delta": "obj", "direction": "obj",
                "buckets": [{"index": "int", "fromMills": "int", "toMills": "int", "sgvs": "arr"}]})),
        Row::get("the named ones only (_pick)", "/api/v2/properties/bgnow,delta", 200,
            json!({"bgnow": {"mean": 125, "last": 125, "mills": ms, "sgvs": [{"mgdl": "int", "mills": "int"}]},
                "delta": {"absolute": 5, "mgdl": 5, "display": "=+5", "elapsedMins": "num"}, "absent": ["direction", "buckets"]})),
        Row::get("an unknown name: {}", "/api/v2/properties/nosuch", 200, json!({"absent": ["bgnow"]})),
        Row::get("ddata is routed at /at only (lib/data/endpoints.js)", "/api/v2/ddata", 404, json!("any")),
        Row::get("ddata (lib/data/ddata.js init)", "/api/v2/ddata/at", 200, ddata.clone()),
        Row::get("ddata at now", &format!("/api/v2/ddata/at/{}", now_ms()), 200, ddata),
        Row::get("a JWT for an access token (authorization.authorize)", &format!("/api/v2/authorization/request/{reader}"),
            200, json!({"token": "str", "sub": "reader", "permissionGroups": [["str"]], "iat": "int", "exp": "int"})),
        Row::get("an unknown access token", "/api/v2/authorization/request/nosuch-0123456789abcdef", 401,
            json!({"status": 401, "message": "Unauthorized", "description": "Invalid/Missing"})),
        Row::get("subjects need admin (isPermitted)", "/api/v2/authorization/subjects", 401,
            json!({"status": 401, "message": "Unauthorized", "description": "Invalid/Missing"})),
        Row::get("subjects (_pick _id, name, accessToken, roles)", "/api/v2/authorization/subjects", 200,
            json!([{"_id": "hex24", "name": "str", "accessToken": "str", "roles": "arr"}])).authed(),
    ]).await;
}

async fn v3_answers_as_nightscout_does(app: TestApp) {
    let admin = token_with_roles(&app, "v3admin", &["admin"]).await;
    let jwt = jwt_for(&app, &admin).await;
    let bearer = format!("Bearer {jwt}");
    let at = now_ms() - 60_000;
    let treatment = json!({"date": at, "app": "AAPS", "device": "test", "eventType": "Note", "notes": "hi",
        "utcOffset": 0});
    let v3 = |what, path: &str, status, shape| Row::get(what, path, status, shape).header("authorization", &bearer);
    let write = |what, method, path: &str, body, status, shape| {
        Row::anonymous(what, method, path, body, status, shape).header("authorization", &bearer)
    };
    let missing = json!({"status": 401, "message": "Missing or bad access token or JWT", "absent": ["description"]});
    check(&app, vec![
        Row::get("version, public (specific/version.js)", "/api/v3/version", 200,
            json!({"status": 200, "result": {"version": "str", "apiVersion": "str", "srvDate": "int",
                "storage": {"storage": "str", "version": "str"}}})),
        Row::get("status without a token (security.js)", "/api/v3/status", 401, missing.clone()),
        Row::get("search without a token", "/api/v3/treatments", 401, missing),
        Row::get("a bad JWT", "/api/v3/treatments", 401,
            json!({"status": 401, "message": "Bad access token or JWT"})).header("authorization", "Bearer nonsense"),
        Row::get("an unknown collection (index.js fallback)", "/api/v3/nosuch", 404,
            json!({"status": 404, "message": "Bad operation or collection"})),
        v3("status (specific/status.js)", "/api/v3/status", 200,
            json!({"status": 200, "result": {"version": "str", "apiVersion": "str", "srvDate": "int",
                "storage": "obj", "apiPermissions": {"entries": "str", "treatments": "str"}}})),
        v3("empty search", "/api/v3/treatments", 200, json!({"status": 200, "result": []})),
        write("create (create/insert.js)", Method::POST, "/api/v3/treatments", treatment, 201,
            json!({"status": 201, "identifier": "str", "lastModified": "int", "absent": ["result"]})),
        v3("search finds it", "/api/v3/treatments?limit=10", 200,
            json!({"status": 200, "result": [{"identifier": "str", "date": at, "eventType": "Note", "srvModified": "int"}]})),
        v3("read an unknown identifier (read/operation.js)", &format!("/api/v3/treatments/{ID}"), 404,
            json!({"status": 404, "absent": ["result", "message"]})),
        v3("a limit out of tolerance (search/input.js)", "/api/v3/treatments?limit=0", 400,
            json!({"status": 400, "message": "Parameter limit out of tolerance"})),
        v3("sort with sort$desc", "/api/v3/treatments?sort=date&sort$desc=date", 400,
            json!({"status": 400, "message": "Parameters sort and sort_desc cannot be combined"})),
        v3("an unsupported filter operator", "/api/v3/treatments?date$foo=1", 400,
            json!({"status": 400, "message": "Unsupported filter operator foo"})),
        v3("lastModified (specific/lastModified.js)", "/api/v3/lastModified", 200,
            json!({"status": 200, "result": {"srvDate": "int", "collections": {"treatments": "int"}}})),
        write("create without date", Method::POST, "/api/v3/treatments", json!({"app": "x", "eventType": "Note"}), 400,
            json!({"status": 400, "message": "Bad or missing date field"})),
    ]).await;
}

/// `lib/api3/generic/{create,update,patch,delete,read}`: what each write answers.
async fn v3_writes_answer_as_nightscout_does(app: TestApp) {
    let admin = token_with_roles(&app, "v3writer", &["admin"]).await;
    let bearer = format!("Bearer {}", jwt_for(&app, &admin).await);
    let at = now_ms() - 60_000;
    let doc = json!({"identifier": "fs-table-1", "date": at, "app": "AAPS", "device": "t", "eventType": "Note",
        "notes": "one", "utcOffset": 0});
    let write = |what, method, path: &str, body, status, shape| {
        Row::anonymous(what, method, path, body, status, shape).header("authorization", &bearer)
    };
    let path = "/api/v3/treatments/fs-table-1";
    check(
        &app,
        vec![
            write(
                "create",
                Method::POST,
                "/api/v3/treatments",
                doc.clone(),
                201,
                json!({"status": 201, "identifier": "fs-table-1", "lastModified": "int"}),
            ),
            write(
                "the same again: a deduplication (update/replace.js)",
                Method::POST,
                "/api/v3/treatments",
                doc.clone(),
                200,
                json!({"status": 200, "identifier": "fs-table-1", "isDeduplication": true, "lastModified": "int",
                "absent": ["deduplicatedIdentifier"]}),
            )
            .has("location"),
            write(
                "update (replace)",
                Method::PUT,
                path,
                doc.clone(),
                200,
                json!({"status": 200, "lastModified": "int", "absent": ["identifier", "isDeduplication"]}),
            )
            .has("last-modified"),
            write(
                "patch",
                Method::PATCH,
                path,
                json!({"notes": "two"}),
                200,
                json!({"status": 200, "absent": ["result"]}),
            ),
            Row::get("read", path, 200, json!({"status": 200, "result": {"identifier": "fs-table-1", "notes": "two"}}))
                .header("authorization", &bearer),
            write(
                "no body",
                Method::POST,
                "/api/v3/treatments",
                json!([]),
                400,
                json!({"status": 400, "message": "Bad or missing request body"}),
            ),
            write("delete (soft)", Method::DELETE, path, json!({}), 200, json!({"status": 200, "absent": ["result"]})),
            Row::get("a deleted document is gone", path, 410, json!({"status": 410})).header("authorization", &bearer),
        ],
    )
    .await;
}
