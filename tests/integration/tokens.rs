//! Access tokens, roles and JWTs end to end, on both backends (`tokens-and-v3.md` §1-2).
use crate::common::{self, SECRET_SHA1, TestApp, status_json};
use reqwest::Method;
use serde_json::{Value, json};
use sha1::Digest as _;

fn sha1_hex(s: &str) -> String {
    hex::encode(sha1::Sha1::digest(s.as_bytes()))
}

/// The token as LoopFollow derives it on the phone (`NightscoutUtils.swift`), from the rule.
fn derive(id: &str, name: &str) -> String {
    let digest = sha1_hex(&format!("{SECRET_SHA1}{id}"));
    let abbrev: String =
        name.to_lowercase().chars().filter(|c| c.is_ascii_alphanumeric() || *c == '_').take(10).collect();
    format!("{abbrev}-{}", &digest[..16])
}

/// POSTs a subject with the secret; returns its `_id` and derived token.
async fn subject(app: &TestApp, name: &str, roles: &[&str]) -> (String, String) {
    let created =
        app.write_json(Method::POST, "/api/v2/authorization/subjects", json!({"name": name, "roles": roles})).await;
    let id = created["_id"].as_str().expect("POST subjects answers the object with _id").to_owned();
    let token = derive(&id, name);
    (id, token)
}

async fn get(app: &TestApp, path: &str, headers: &[(&str, &str)]) -> (u16, Value) {
    let mut req = app.req(Method::GET, path).header("accept", "application/json");
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    status_json(req.send().await.unwrap()).await
}

async fn loopfollow_provisioning_works_as_loopfollow_does_it(app: TestApp) {
    // 1. GET subjects with sha1(secret): 200 says the secret is right; no LoopFollow subject yet.
    let (status, list) = get(&app, "/api/v2/authorization/subjects", &[("api-secret", SECRET_SHA1)]).await;
    assert_eq!(status, 200);
    assert!(list.as_array().unwrap().iter().all(|s| s["name"] != "LoopFollow"));
    // 2. POST {name, roles:[readable]} answers a bare object with _id.
    let res = app
        .authed(Method::POST, "/api/v2/authorization/subjects")
        .json(&json!({"name": "LoopFollow", "roles": ["readable"]}))
        .send()
        .await
        .unwrap();
    let (status, created) = status_json(res).await;
    assert_eq!(status, 200);
    assert_eq!(created["name"], "LoopFollow");
    assert_eq!(created["roles"], json!(["readable"]));
    assert!(created["created_at"].is_string());
    let id = created["_id"].as_str().unwrap();
    assert_eq!(id.len(), 24);
    // 3. Derive the token on the client; 4. the very first poll of status.json?token= is accepted.
    let token = derive(id, "LoopFollow");
    let (status, st) = get(&app, &format!("/api/v1/status.json?token={token}"), &[]).await;
    assert_eq!(status, 200);
    let auth = &st["authorized"];
    assert_eq!(auth["sub"], "LoopFollow");
    assert_eq!(auth["permissionGroups"], json!([["*:*:read"]]));
    assert_eq!(auth["exp"].as_i64().unwrap() - auth["iat"].as_i64().unwrap(), 8 * 3600);
    assert!(auth["token"].as_str().unwrap().split('.').count() == 3);
    // The listing shows the same token.
    let (_, list) = get(&app, "/api/v2/authorization/subjects", &[("api-secret", SECRET_SHA1)]).await;
    let lf = list.as_array().unwrap().iter().find(|s| s["name"] == "LoopFollow").unwrap();
    assert_eq!(lf["accessToken"], token);
    assert_eq!(lf["_id"], id);
    // Without a token, status.json says null.
    let (_, st) = get(&app, "/api/v1/status.json", &[]).await;
    assert_eq!(st["authorized"], Value::Null);
}

async fn every_carrier_takes_a_token_with_nightscouts_failure_rules(app: TestApp) {
    let (_, token) = subject(&app, "Uploader", &["careportal"]).await;
    let digest = sha1_hex(&token);
    let treatment = || json!({"eventType": "Note", "notes": "hi", "created_at": common::iso(common::now_ms())});
    let post = |path: String, hdr: Option<(&'static str, String)>, body: Value| {
        let mut r = app.req(Method::POST, &path).json(&body);
        if let Some((k, v)) = hdr {
            r = r.header(k, v);
        }
        async move { r.send().await.unwrap().status().as_u16() }
    };
    assert_eq!(post(format!("/api/v1/treatments?token={token}"), None, treatment()).await, 200, "?token=");
    assert_eq!(post("/api/v1/treatments".into(), Some(("api-secret", token.clone())), treatment()).await, 200);
    assert_eq!(post("/api/v1/treatments".into(), Some(("api-secret", digest.clone())), treatment()).await, 200);
    assert_eq!(post(format!("/api/v1/treatments?secret={token}"), None, treatment()).await, 200, "?secret=");
    let mut with_body_token = treatment();
    with_body_token["token"] = json!(token);
    assert_eq!(post("/api/v1/treatments".into(), None, with_body_token).await, 200, "body token");
    // careportal cannot upload entries.
    let entry = json!([{"type": "sgv", "sgv": 100, "date": common::now_ms()}]);
    assert_eq!(post(format!("/api/v1/entries?token={token}"), None, entry.clone()).await, 401);
    // An unknown ?token= is dropped: the default roles still read; an unknown api-secret is a 401.
    let unknown = "nobody-0123456789abcdef";
    assert_eq!(get(&app, &format!("/api/v1/entries.json?token={unknown}"), &[]).await.0, 200);
    assert_eq!(get(&app, "/api/v1/entries.json", &[("api-secret", unknown)]).await.0, 401);
    assert_eq!(get(&app, "/api/v1/entries.json", &[("authorization", "Bearer not.a.jwt")]).await.0, 401);
    // The plain-text secret is refused, as Nightscout refuses it.
    assert_eq!(get(&app, "/api/v1/entries.json", &[("api-secret", common::SECRET)]).await.0, 401);
    assert_eq!(
        get(&app, "/api/v1/verifyauth", &[("api-secret", common::SECRET_SHA512)]).await.1["message"]["isAdmin"],
        true
    );
}

async fn verifyauth_reports_roles_as_nightscout_does(app: TestApp) {
    let (_, token) = subject(&app, "Reader", &["readable"]).await;
    let msg = |v: Value| v["message"].clone();
    let t = msg(get(&app, &format!("/api/v1/verifyauth?token={token}"), &[]).await.1);
    assert_eq!(
        t,
        json!({"canRead": true, "canWrite": false, "isAdmin": false, "message": "OK", "rolefound": "FOUND", "permissions": "ROLE"})
    );
    let s = msg(get(&app, "/api/v1/verifyauth", &[("api-secret", SECRET_SHA1)]).await.1);
    assert_eq!(
        s,
        json!({"canRead": true, "canWrite": true, "isAdmin": true, "message": "OK", "rolefound": "NOTFOUND", "permissions": "ROLE"})
    );
    let d = msg(get(&app, "/api/v1/verifyauth", &[]).await.1);
    assert_eq!(
        d,
        json!({"canRead": true, "canWrite": false, "isAdmin": false, "message": "UNAUTHORIZED", "rolefound": "NOTFOUND", "permissions": "DEFAULT"})
    );
}

async fn a_jwt_is_issued_used_renewed_and_refused_once_its_subject_is_deleted(app: TestApp) {
    let (id, token) = subject(&app, "Phone", &["readable", "careportal"]).await;
    let (status, got) = get(&app, &format!("/api/v2/authorization/request/{token}"), &[]).await;
    assert_eq!(status, 200);
    assert_eq!(got["sub"], "Phone");
    assert_eq!(got["permissionGroups"], json!([["*:*:read"], ["api:treatments:create"]]));
    let jwt = got["token"].as_str().unwrap().to_owned();
    let bearer = format!("Bearer {jwt}");
    assert_eq!(get(&app, "/api/v1/entries.json", &[("authorization", &bearer)]).await.0, 200);
    let res = app
        .req(Method::POST, "/api/v1/treatments")
        .header("authorization", &bearer)
        .json(&json!({"eventType": "Note", "created_at": common::iso(common::now_ms())}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "Bearer on a write");
    assert_eq!(get(&app, "/api/v2/properties", &[("authorization", &bearer)]).await.0, 200, "v2 too");
    // Renewal: a valid JWT in place of the token.
    let (status, renewed) = get(&app, &format!("/api/v2/authorization/request/{jwt}"), &[]).await;
    assert_eq!(status, 200);
    assert_eq!(renewed["sub"], "Phone");
    // Unknown: 401 in Nightscout's shape.
    let (status, body) = get(&app, "/api/v2/authorization/request/nobody-0123456789abcdef", &[]).await;
    assert_eq!(
        (status, body),
        (401, json!({"status": 401, "message": "Unauthorized", "description": "Invalid/Missing"}))
    );
    // Deleting the subject ends its token and its JWTs at once.
    let (status, body) = app.delete(&format!("/api/v2/authorization/subjects/{id}")).await;
    assert_eq!((status, body), (200, json!({})));
    assert_eq!(get(&app, "/api/v1/entries.json", &[("authorization", &bearer)]).await.0, 401);
    assert_eq!(get(&app, "/api/v1/entries.json", &[("api-secret", &token)]).await.0, 401);
}

/// Each built-in role against each API area (`lib/authorization/storage.js` roles).
async fn each_builtin_role_gets_exactly_its_permissions(app: TestApp) {
    let areas: [(&str, &str, Value); 7] = [
        ("GET", "/api/v1/entries.json", Value::Null),
        ("GET", "/api/v1/status.json", Value::Null),
        ("POST", "/api/v1/entries", json!([{"type": "sgv", "sgv": 120, "date": common::now_ms()}])),
        ("POST", "/api/v1/treatments", json!({"eventType": "Note", "created_at": common::iso(common::now_ms())})),
        ("POST", "/api/v1/devicestatus", json!({"device": "t", "created_at": common::iso(common::now_ms())})),
        ("POST", "/api/v1/activity", json!({"created_at": common::iso(common::now_ms())})),
        ("GET", "/api/v2/authorization/subjects", Value::Null),
    ];
    // Expected status per area, for each role (defaults: readable).
    let table: [(&str, [u16; 7]); 7] = [
        ("admin", [200, 200, 200, 200, 200, 200, 200]),
        ("denied", [200, 200, 401, 401, 401, 401, 401]),
        ("status-only", [200, 200, 401, 401, 401, 401, 401]),
        ("readable", [200, 200, 401, 401, 401, 401, 401]),
        ("careportal", [200, 200, 401, 200, 401, 401, 401]),
        ("devicestatus-upload", [200, 200, 401, 401, 200, 401, 401]),
        ("activity", [200, 200, 401, 401, 401, 200, 401]),
    ];
    for (role, expected) in table {
        let (_, token) = subject(&app, &format!("role {role}"), &[role]).await;
        for ((method, path, body), want) in areas.iter().zip(expected) {
            let sep = if path.contains('?') { '&' } else { '?' };
            let url = format!("{path}{sep}token={token}");
            let mut req = app.req(Method::from_bytes(method.as_bytes()).unwrap(), &url);
            if !body.is_null() {
                req = req.json(body);
            }
            let got = req.send().await.unwrap().status().as_u16();
            assert_eq!(got, want, "{role}: {method} {path}");
        }
    }
}

async fn the_admin_api_has_nightscouts_shapes_and_permissions(app: TestApp) {
    let (status, roles) = get(&app, "/api/v2/authorization/roles", &[("api-secret", SECRET_SHA1)]).await;
    assert_eq!(status, 200);
    let names: Vec<&str> = roles.as_array().unwrap().iter().map(|r| r["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["activity", "admin", "careportal", "denied", "devicestatus-upload", "readable", "status-only"]);
    // A custom role is stored and usable by a subject at once.
    let role = app
        .write_json(
            Method::POST,
            "/api/v2/authorization/roles",
            json!({"name": "uploader", "permissions": ["api:entries:create"]}),
        )
        .await;
    assert!(role["_id"].is_string());
    let (_, token) = subject(&app, "CGM", &["uploader"]).await;
    let res = app
        .req(Method::POST, &format!("/api/v1/entries?token={token}"))
        .json(&json!([{"type": "sgv", "sgv": 101, "date": common::now_ms()}]))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let (_, perms) = get(&app, "/api/v2/authorization/permissions", &[("api-secret", SECRET_SHA1)]).await;
    assert!(perms.as_array().unwrap().contains(&json!("api:entries:create")));
    let (_, trie) = get(&app, "/api/v2/authorization/permissions/trie", &[("api-secret", SECRET_SHA1)]).await;
    assert_eq!(trie["data"]["api"]["entries"]["create"], json!({"*": {}}));
    let check = |who: &'static str, h: String| {
        let app = &app;
        async move { get(app, "/api/v2/authorization/debug/check/api:entries:create", &[(who, &h)]).await }
    };
    assert_eq!(check("api-secret", SECRET_SHA1.into()).await, (200, json!({"check": true})));
    assert_eq!(check("api-secret", token.clone()).await, (200, json!({"check": true})));
    let (_, reader) = subject(&app, "Reader", &["readable"]).await;
    assert_eq!(check("api-secret", reader.clone()).await.0, 401);
    // A token is not an admin; bad input is a 400, not a 500.
    assert_eq!(get(&app, "/api/v2/authorization/subjects", &[("api-secret", &reader)]).await.0, 401);
    let res = app
        .authed(Method::POST, "/api/v2/authorization/subjects")
        .json(&json!({"roles": ["readable"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let res =
        app.authed(Method::PUT, "/api/v2/authorization/subjects").json(&json!({"name": "x"})).send().await.unwrap();
    assert_eq!(status_json(res).await.1["description"], "Missing _id for update");
    assert_eq!(app.delete("/api/v2/authorization/subjects/not-an-id").await.0, 400);
}

contract!(
    loopfollow_provisioning_works_as_loopfollow_does_it,
    every_carrier_takes_a_token_with_nightscouts_failure_rules,
    verifyauth_reports_roles_as_nightscout_does,
    a_jwt_is_issued_used_renewed_and_refused_once_its_subject_is_deleted,
    each_builtin_role_gets_exactly_its_permissions,
    the_admin_api_has_nightscouts_shapes_and_permissions,
);
