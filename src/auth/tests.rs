//! The resolver against a real (temporary SQLite) store: every carrier and its failure rule.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;

use serde_json::json;

use super::*;
use crate::store::{AuthKind, SqliteStore};

const SHA1: &str = "b723e97aa97846eb92d5264f084b2823f57c4aa1";
const SHA512: &str = "8c8743d38cbe00debe4b3ba8d0ffbb85e4716c982a61bb9e57bab203178e3718b2965831c1a5e42b9da16f082fdf8a6cecf993b49ed67e3a8b1cd475885d8070";

fn ip() -> IpAddr {
    "127.0.0.1".parse().unwrap()
}

async fn authority(vars: &[(&str, &str)]) -> Authority {
    let mut map: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    map.entry("AUTH_FAIL_DELAY".into()).or_insert_with(|| "0".into());
    let config = Config::from_lookup(&move |k| map.get(k).cloned()).unwrap();
    let dir = std::env::temp_dir().join(format!("ferroscout_auth_{}_{}", std::process::id(), rand_suffix()));
    let store: Arc<dyn crate::store::Store> = Arc::new(SqliteStore::open(&dir.join("db.sqlite3")).unwrap());
    Authority::new(&config, store)
}

fn rand_suffix() -> u128 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos()
}

async fn subject(a: &Authority, name: &str, roles: &[&str]) -> String {
    let doc = json!({"name": name, "roles": roles}).as_object().cloned().unwrap();
    let stored = a.registry().store().auth().auth_insert(AuthKind::Subjects, doc).await.unwrap();
    let id = stored["_id"].as_str().unwrap().to_owned();
    a.registry().reload().await.unwrap();
    token::derive(SHA1, &id, name).access_token
}

fn creds(secret: Option<&str>, token: Option<&str>, bearer: Option<&str>) -> Credentials {
    Credentials { secret: secret.map(Into::into), token: token.map(Into::into), bearer: bearer.map(Into::into) }
}

const WITH_SECRET: &[(&str, &str)] = &[("API_SECRET", "this is my long pass phrase")];

#[tokio::test]
async fn the_secret_is_taken_as_its_sha1_or_sha512_hex_never_as_plain_text() {
    let a = authority(WITH_SECRET).await;
    for s in [SHA1, &SHA1.to_uppercase(), SHA512] {
        let c = a.resolve(&creds(Some(s), None, None), ip()).await.unwrap();
        assert!(c.can("api:entries:create") && !c.from_defaults && c.subject.is_none(), "{s}");
    }
    assert!(a.resolve(&creds(Some("this is my long pass phrase"), None, None), ip()).await.is_err());
    assert!(a.resolve(&creds(Some(&SHA1.replace('1', "2")), None, None), ip()).await.is_err());
    let anon = a.resolve(&Credentials::default(), ip()).await.unwrap();
    assert!(anon.from_defaults && anon.can("api:entries:read") && !anon.can("api:entries:create"));
}

#[tokio::test]
async fn a_token_works_in_token_and_secret_carriers_and_as_its_sha1() {
    let a = authority(WITH_SECRET).await;
    let t = subject(&a, "Care Giver", &["careportal"]).await;
    let sha1_of_token = hex::encode(sha1::Sha1::digest(t.as_bytes()));
    for c in [creds(None, Some(&t), None), creds(Some(&t), None, None), creds(Some(&sha1_of_token), None, None)] {
        let caller = a.resolve(&c, ip()).await.unwrap();
        assert_eq!(caller.subject.as_deref(), Some("Care Giver"));
        assert!(caller.can("api:treatments:create"), "its role");
        assert!(caller.can("api:entries:read"), "and the default roles");
        assert!(!caller.can("api:entries:create"));
    }
    let socket = a.resolve_access_token(&sha1_of_token).await.unwrap();
    assert!(socket.can("api:treatments:create"));
}

#[tokio::test]
async fn an_unknown_query_token_falls_back_to_the_default_roles_an_unknown_secret_or_jwt_fails() {
    let a = authority(WITH_SECRET).await;
    let unknown = "nobody-0123456789abcdef";
    let c = a.resolve(&creds(None, Some(unknown), None), ip()).await.unwrap();
    assert!(c.from_defaults && c.can("api:entries:read"));
    assert!(a.resolve(&creds(Some(unknown), None, None), ip()).await.is_err());
    assert!(a.resolve(&creds(None, None, Some("a.b.c")), ip()).await.is_err());
    assert!(a.resolve(&creds(None, Some(unknown), Some("a.b.c")), ip()).await.is_err());
    assert!(a.resolve_access_token(unknown).await.is_none());
}

#[tokio::test]
async fn a_jwt_from_the_exchange_resolves_its_subject_and_renews() {
    let a = authority(WITH_SECRET).await;
    let t = subject(&a, "LoopFollow", &["readable"]).await;
    let got = a.authorize(&t).await.unwrap();
    assert_eq!(got["sub"], "LoopFollow");
    assert_eq!(got["permissionGroups"], json!([["*:*:read"]]), "readable once, though it is also a default role");
    assert_eq!(got["exp"].as_i64().unwrap() - got["iat"].as_i64().unwrap(), 8 * 3600);
    let jwt = got["token"].as_str().unwrap();
    let c = a.resolve_bearer(jwt, ip()).await.unwrap();
    assert_eq!(c.subject.as_deref(), Some("LoopFollow"));
    let renewed = a.authorize(jwt).await.unwrap();
    assert_eq!(renewed["sub"], "LoopFollow");
    // A JWT in `?token=` is exchanged too; a tampered one is refused.
    assert!(!a.resolve(&creds(None, Some(jwt), None), ip()).await.unwrap().from_defaults);
    let tampered = format!("{}x", &jwt[..jwt.len() - 1]);
    assert!(a.resolve_bearer(&tampered, ip()).await.is_err());
    assert!(a.authorize("nobody-0123456789abcdef").await.is_none());
}

#[tokio::test]
async fn permission_groups_list_each_distinct_role_then_the_default_roles() {
    let a = authority(&[("API_SECRET", "this is my long pass phrase"), ("AUTH_DEFAULT_ROLES", "status-only")]).await;
    let t = subject(&a, "Uploader", &["careportal", "devicestatus-upload", "careportal", "nosuchrole"]).await;
    let got = a.authorize(&t).await.unwrap();
    assert_eq!(
        got["permissionGroups"],
        json!([["api:treatments:create"], ["api:devicestatus:create"], [], ["api:status:read"]])
    );
}

#[tokio::test]
async fn without_a_secret_nothing_matches_and_denied_reads_nothing() {
    let a = authority(&[("AUTH_DEFAULT_ROLES", "denied")]).await;
    assert!(a.resolve(&creds(Some(SHA1), None, None), ip()).await.is_err());
    assert!(!a.anonymous().can("api:entries:read"));
}

#[tokio::test]
async fn failures_delay_the_next_request_from_that_address() {
    let a = authority(&[("API_SECRET", "this is my long pass phrase"), ("AUTH_FAIL_DELAY", "50")]).await;
    assert!(a.resolve(&creds(Some("wrong"), None, None), ip()).await.is_err());
    assert!(!a.delays.wait_for(ip()).await.is_zero());
    a.resolve(&creds(Some(SHA1), None, None), ip()).await.unwrap();
    assert!(a.delays.wait_for(ip()).await.is_zero(), "a success clears it");
}

#[test]
fn bearer_is_case_sensitive_with_one_space() {
    assert_eq!(bearer("Bearer abc"), Some("abc"));
    assert_eq!(bearer("bearer abc"), None);
    assert_eq!(bearer("Bearer  abc"), None);
    assert_eq!(bearer("Bearer "), None);
}
