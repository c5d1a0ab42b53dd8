//! JWT expiry and the signing key kept across restarts, and subjects written into MongoDB in
//! Nightscout's own raw shapes working unchanged.
use crate::common::{self, Backend, SECRET_SHA1, TestApp, status_json};
use jsonwebtoken::{EncodingKey, Header};
use reqwest::Method;
use serde_json::{Value, json};
use sha1::Digest as _;

fn token_for(id: &str, name: &str) -> String {
    let digest = hex::encode(sha1::Sha1::digest(format!("{SECRET_SHA1}{id}").as_bytes()));
    let abbrev: String =
        name.to_lowercase().chars().filter(|c| c.is_ascii_alphanumeric() || *c == '_').take(10).collect();
    format!("{abbrev}-{}", &digest[..16])
}

async fn status_of(app: &TestApp, path: &str, bearer: &str) -> u16 {
    let res = app.req(Method::GET, path).header("authorization", format!("Bearer {bearer}")).send().await.unwrap();
    res.status().as_u16()
}

/// The stored key, read straight from the backend.
async fn stored_key(backend: Backend, data_dir: &std::path::Path, mongo_uri: Option<&str>) -> String {
    match backend {
        Backend::Sqlite => {
            let conn = rusqlite::Connection::open(data_dir.join("ferroscout.sqlite3")).unwrap();
            conn.query_row("SELECT key FROM auth_keys WHERE id = 'jwt'", [], |r| r.get(0)).unwrap()
        }
        Backend::Mongo => {
            let client = mongodb::Client::with_uri_str(mongo_uri.unwrap()).await.unwrap();
            let db = client.default_database().unwrap();
            let doc = db
                .collection::<mongodb::bson::Document>("auth_keys")
                .find_one(mongodb::bson::doc! {"_id": "jwt"})
                .await
                .unwrap()
                .unwrap();
            doc.get_str("key").unwrap().to_owned()
        }
    }
}

async fn run_restart(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let created = app
        .write_json(Method::POST, "/api/v2/authorization/subjects", json!({"name": "AAPS", "roles": ["admin"]}))
        .await;
    let token = token_for(created["_id"].as_str().unwrap(), "AAPS");
    let (status, got) =
        status_json(app.req(Method::GET, &format!("/api/v2/authorization/request/{token}")).send().await.unwrap())
            .await;
    assert_eq!(status, 200);
    let jwt = got["token"].as_str().unwrap().to_owned();
    assert_eq!(status_of(&app, "/api/v1/entries.json", &jwt).await, 200);
    let (dir, uri) = app.stop().await;
    // A restart on the same database keeps the key: the JWT still works.
    let app = TestApp::spawn_at(backend, &[], dir.clone(), uri.clone()).await;
    assert_eq!(status_of(&app, "/api/v1/entries.json", &jwt).await, 200, "the JWT survives a restart");
    // An expired JWT (signed with the same key, as if 8 h had passed) is refused: a 401.
    let key = stored_key(backend, &dir, uri.as_deref()).await;
    let now = common::now_ms() / 1000;
    let claims = json!({"accessToken": token, "iat": now - 9 * 3600, "exp": now - 3600});
    let expired = jsonwebtoken::encode(&Header::default(), &claims, &EncodingKey::from_secret(key.as_bytes())).unwrap();
    assert_eq!(status_of(&app, "/api/v1/entries.json", &expired).await, 401);
    let claims = json!({"accessToken": token, "iat": now, "exp": now + 60});
    let fresh = jsonwebtoken::encode(&Header::default(), &claims, &EncodingKey::from_secret(key.as_bytes())).unwrap();
    assert_eq!(status_of(&app, "/api/v1/entries.json", &fresh).await, 200, "same key, still valid");
    let forged = jsonwebtoken::encode(&Header::default(), &claims, &EncodingKey::from_secret(b"other")).unwrap();
    assert_eq!(status_of(&app, "/api/v1/entries.json", &forged).await, 401);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_jwt_key_is_kept_across_a_restart_and_expired_jwts_are_refused() {
    run_restart(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mongo_jwt_key_is_kept_across_a_restart_and_expired_jwts_are_refused() {
    run_restart(Backend::Mongo).await;
}

/// A subject and a custom role as Nightscout's admin tools store them (ObjectId `_id`, ISO
/// `created_at` string), under a custom collection prefix.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mongo_subjects_written_by_nightscout_work_unchanged() {
    use mongodb::bson::{doc, oid::ObjectId};
    let Some(uri) = common::mongo_uri_for(&common::unique("fs_ns_auth")) else { return };
    let client = mongodb::Client::with_uri_str(&uri).await.unwrap();
    let db = client.default_database().unwrap();
    let oid = ObjectId::parse_str("5f0e1d2c3b4a596877869504").unwrap();
    db.collection("ns_auth_subjects")
        .insert_one(doc! {"_id": oid, "name": "LoopFollow", "roles": ["uploader"], "notes": "", "created_at": "2023-04-01T10:00:00.000Z"})
        .await
        .unwrap();
    db.collection("ns_auth_roles")
        .insert_one(doc! {"_id": ObjectId::new(), "name": "uploader", "permissions": ["api:treatments:create", "api:entries:create"], "notes": "", "created_at": "2023-04-01T10:00:00.000Z"})
        .await
        .unwrap();
    let dir = std::env::temp_dir().join(common::unique("ferroscout_test"));
    let app =
        TestApp::spawn_at(Backend::Mongo, &[("MONGO_AUTHENTICATION_COLLECTIONS_PREFIX", "ns_auth_")], dir, Some(uri))
            .await;
    // The token a Nightscout with the same API_SECRET shows for this subject (hand-derived in
    // src/auth/token.rs).
    let token = "loopfollow-4cf0fe8aa44dbc05";
    assert_eq!(token_for("5f0e1d2c3b4a596877869504", "LoopFollow"), token);
    let res = app
        .req(Method::POST, &format!("/api/v1/entries?token={token}"))
        .json(&json!([{"type": "sgv", "sgv": 111, "date": common::now_ms()}]))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "its custom role applies");
    let (_, list) = status_json(app.authed(Method::GET, "/api/v2/authorization/subjects").send().await.unwrap()).await;
    assert_eq!(
        list,
        json!([{"_id": "5f0e1d2c3b4a596877869504", "name": "LoopFollow", "accessToken": token, "roles": ["uploader"]}])
    );
    // A subject created here is stored as Nightscout stores it: ObjectId `_id`, name, roles, created_at.
    let made = app
        .write_json(
            Method::POST,
            "/api/v2/authorization/subjects",
            json!({"name": "Nightguard", "roles": ["readable"]}),
        )
        .await;
    let stored = db
        .collection::<mongodb::bson::Document>("ns_auth_subjects")
        .find_one(doc! {"name": "Nightguard"})
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.get_object_id("_id").unwrap().to_hex(), made["_id"].as_str().unwrap());
    assert!(stored.get_str("created_at").is_ok());
    assert_eq!(stored.get_array("roles").unwrap().len(), 1);
    let _: Value = made;
    app.stop().await;
}

/// Two instances on one MongoDB database (scale-out): a JWT issued by one is accepted by the other,
/// since the signing key lives in the database and an unknown subject is looked up again (at most
/// every 500 ms), so the other instance knows a new subject within a moment.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mongo_a_jwt_from_one_instance_works_on_another() {
    let Some(a) = TestApp::spawn(Backend::Mongo).await else { return };
    let dir_b = std::env::temp_dir().join(common::unique("ferroscout_test_b"));
    let b = TestApp::spawn_at(Backend::Mongo, &[], dir_b, a.mongo_uri.clone()).await;
    let created = a
        .write_json(Method::POST, "/api/v2/authorization/subjects", json!({"name": "Phone", "roles": ["readable"]}))
        .await;
    let token = token_for(created["_id"].as_str().unwrap(), "Phone");
    let issue = |app: &TestApp| app.req(Method::GET, &format!("/api/v2/authorization/request/{token}")).send();
    let (status, from_a) = status_json(issue(&a).await.unwrap()).await;
    assert_eq!(status, 200, "{from_a}");
    let jwt_a = from_a["token"].as_str().unwrap().to_owned();
    let mut on_b = 0;
    for _ in 0..50 {
        on_b = status_of(&b, "/api/v1/entries.json", &jwt_a).await;
        if on_b == 200 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(on_b, 200, "A's JWT on B");
    let (status, from_b) = status_json(issue(&b).await.unwrap()).await;
    assert_eq!(status, 200, "B knows the subject A created: {from_b}");
    assert_eq!(status_of(&a, "/api/v1/entries.json", from_b["token"].as_str().unwrap()).await, 200, "B's JWT on A");
}
