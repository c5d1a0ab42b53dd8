//! Bounded HTTP fuzzing of the real binary on both stores: random methods, paths built on every
//! route (with brace patterns, ids, extensions), `find[...]` operators, counts, credentials,
//! headers and bodies. Never a 5xx (but the documented 503 of a store outage), never a request
//! held for long, never a panic; the server is up at the end.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::common::binary::{Binary, fresh_location, remove_location};
use crate::common::fuzz::{draw, json, runner};
use crate::common::*;
use proptest::prelude::*;
use reqwest::{Client, Method, Url};

/// Requests per store (`FERROSCOUT_FUZZ_CASES` for a longer run).
fn cases() -> usize {
    std::env::var("FERROSCOUT_FUZZ_CASES").ok().and_then(|s| s.parse().ok()).unwrap_or(2_000)
}

const ROUTES: &[&str] = &[
    "/api/v1/entries",
    "/api/v1/entries/{s}",
    "/api/v1/entries/{s}/{s}",
    "/api/v1/entries/current",
    "/api/v1/entries/preview",
    "/api/v1/treatments",
    "/api/v1/treatments/{s}",
    "/api/v1/devicestatus",
    "/api/v1/devicestatus/{s}",
    "/api/v1/profile",
    "/api/v1/profile/current",
    "/api/v1/profile/{s}",
    "/api/v1/profiles",
    "/api/v1/food",
    "/api/v1/food/{s}",
    "/api/v1/food/quickpicks",
    "/api/v1/food/regular",
    "/api/v1/activity",
    "/api/v1/activity/{s}",
    "/api/v1/status",
    "/api/v1/verifyauth",
    "/api/v1/times/{s}",
    "/api/v1/times/{s}/{s}",
    "/api/v1/times/echo/{s}/{s}",
    "/api/v1/echo/{s}/{s}/{s}",
    "/api/v1/slice/{s}/{s}/{s}/{s}/{s}",
    "/api/v1/count/{s}/where",
    "/api/v1/experiments/test",
    "/api/v1/{s}",
    "/api/v2/properties",
    "/api/v2/properties/{s}",
    "/api/v2/ddata",
    "/api/v2/ddata/at/{s}",
    "/api/v2/authorization/request/{s}",
    "/api/v2/authorization/subjects",
    "/api/v2/authorization/roles",
    "/api/v2/authorization/subjects/{s}",
    "/api/v2/authorization/debug/check/{s}",
    "/api/v2/{s}",
    "/api/v3/version",
    "/api/v3/status",
    "/api/v3/lastModified",
    "/api/v3/{s}",
    "/api/v3/{s}/{s}",
    "/api/v3/{s}/history",
    "/api/v3/{s}/history/{s}",
    "/api/versions",
    "/pebble",
    "/ready",
    "/health",
    "/",
    "/{s}",
];

/// A path segment: what routes take, brace patterns, odd bytes.
fn segment() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(vec![
            "sgv", "mbg", "cal", "entries", "treatments", "devicestatus", "profile", "food", "settings", "current",
            "5f1e0c8a9b1e8a0012345678", "2026", "2026-12", "2026-{11,12}-{01..03}", "T{10..12}:{00..59}",
            "{a,b}{c,d}{e,f}", "{1..9999}", "{", "}", "dateString", "sgv.json", ".json", "..", "*", "1700000000000",
            "api:*:read", "bgnow,delta,iob", "%00", "%zz", "%7B",
        ])
        .prop_map(str::to_owned),
        1 => "[A-Za-z0-9._~{},*:$-]{0,14}",
        1 => "\\PC{0,6}".prop_map(|s| s.bytes().map(|b| format!("%{b:02X}")).collect()),
    ]
}

fn extension() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec!["", "", "", ".json", ".json", ".csv", ".tsv", ".txt", ".svg", ".png", ".xml", "/.json"])
}

/// One query parameter: `find[...]` with operators, counts, credentials, and junk.
fn param() -> impl Strategy<Value = (String, String)> {
    let field = prop::sample::select(vec![
        "sgv",
        "date",
        "dateString",
        "type",
        "created_at",
        "eventType",
        "_id",
        "notes",
        "a.b",
        "$where",
        "",
    ]);
    let op = prop::sample::select(vec![
        "",
        "[$gt]",
        "[$gte]",
        "[$lt]",
        "[$lte]",
        "[$ne]",
        "[$eq]",
        "[$in]",
        "[$nin]",
        "[$regex]",
        "[$options]",
        "[$exists]",
        "[$in][]",
        "[$or][0][sgv]",
        "[$foo]",
        "[]",
    ]);
    let value = prop_oneof![
        prop::sample::select(vec![
            "100",
            "-1",
            "0",
            "1e308",
            "NaN",
            "true",
            "2026-12-01",
            "1700000000000",
            "/a(/",
            "(a+)+$",
            "[ ]",
            "x",
            "ix",
            "5f1e0c8a9b1e8a0012345678",
            "{\"$gt\":1}",
            ""
        ])
        .prop_map(str::to_owned),
        "\\PC{0,12}",
    ];
    prop_oneof![
        4 => (field, op, value.clone()).prop_map(|(f, o, v)| (format!("find[{f}]{o}"), v)),
        1 => prop::sample::select(vec!["-5", "0", "1", "10", "100000", "99999999999999999999", "x"]).prop_map(|v| ("count".to_owned(), v.to_owned())),
        1 => (prop::sample::select(vec!["token", "secret", "fields", "sort", "sort$desc", "limit", "skip", "date$gt", "srvModified$gte", "now", "brief_mode"]), value.clone()).prop_map(|(k, v)| (k.to_owned(), v)),
        1 => ("\\PC{0,8}", value).prop_map(|(k, v)| (k, v)),
    ]
}

#[derive(Clone)]
struct Case {
    method: Method,
    path: String,
    query: Vec<(String, String)>,
    headers: Vec<(&'static str, String)>,
    body: Option<Vec<u8>>,
}

impl std::fmt::Debug for Case {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let body = self.body.as_deref().map(String::from_utf8_lossy);
        write!(f, "{} {} query {:?} headers {:?} body {:?}", self.method, self.path, self.query, self.headers, body)
    }
}

fn case() -> impl Strategy<Value = Case> {
    let method = prop::sample::select(vec![
        "GET", "GET", "GET", "GET", "GET", "GET", "GET", "GET", "POST", "POST", "POST", "PUT", "PUT", "DELETE",
        "DELETE", "PATCH", "HEAD", "OPTIONS", "PROPFIND",
    ])
    .prop_map(|m| Method::from_bytes(m.as_bytes()).unwrap());
    let path = (prop::sample::select(ROUTES.to_vec()), prop::collection::vec(segment(), 5), extension()).prop_map(
        |(route, segs, ext)| {
            let mut segs = segs.into_iter();
            let mut p = route.to_owned();
            while p.contains("{s}") {
                p = p.replacen("{s}", &segs.next().unwrap_or_default(), 1);
            }
            format!("{p}{ext}")
        },
    );
    let header = prop_oneof![
        Just(("api-secret", SECRET_SHA1.to_owned())),
        Just(("api-secret", SECRET_SHA1.to_owned())),
        "[0-9a-f]{0,40}".prop_map(|v| ("api-secret", v)),
        "[A-Za-z0-9._-]{0,40}".prop_map(|v| ("authorization", format!("Bearer {v}"))),
        prop::sample::select(vec!["application/json", "text/csv", "text/plain", "*/*", "text/html", "x/y"])
            .prop_map(|v| ("accept", v.to_owned())),
        prop::sample::select(vec![
            "application/json",
            "application/x-www-form-urlencoded",
            "text/plain",
            "application/json; charset=latin1",
            "multipart/form-data"
        ])
        .prop_map(|v| ("content-type", v.to_owned())),
        prop::sample::select(vec!["Tue, 01 Dec 2026 10:00:00 GMT", "yesterday", "0", "1700000000000"])
            .prop_map(|v| ("if-modified-since", v.to_owned())),
        "[0-9.:, a-f]{0,30}".prop_map(|v| ("x-forwarded-for", v)),
    ];
    let body = prop_oneof![
        2 => Just(None),
        3 => json().prop_map(|v| Some(v.to_string().into_bytes())),
        1 => prop::collection::vec(json(), 0..4).prop_map(|v| Some(serde_json::Value::Array(v).to_string().into_bytes())),
        1 => prop::collection::vec(any::<u8>(), 0..64).prop_map(Some),
    ];
    (method, path, prop::collection::vec(param(), 0..5), prop::collection::vec(header, 0..4), body)
        .prop_map(|(method, path, query, headers, body)| Case { method, path, query, headers, body })
}

fn request(client: &Client, base: &str, c: &Case) -> reqwest::RequestBuilder {
    let mut url = Url::parse(&format!("{base}{}", c.path)).unwrap_or_else(|_| Url::parse(base).unwrap());
    if !c.query.is_empty() {
        let mut q = url.query_pairs_mut();
        for (k, v) in &c.query {
            q.append_pair(k, v);
        }
    }
    let mut req = client.request(c.method.clone(), url);
    for (k, v) in &c.headers {
        req = req.header(*k, v.as_str());
    }
    if let Some(b) = &c.body {
        req = req.body(b.clone());
    }
    req.timeout(Duration::from_secs(30))
}

async fn fuzz(mongo: bool) {
    let Some((dir, uri)) = fresh_location(mongo) else { return };
    let mut server = Binary::start(&dir, uri.as_deref(), &[]).await;
    // Redirects are answers too (`status.svg` points at img.shields.io): never followed.
    let client = Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    // Some data for the reads and deletes to find.
    let docs: Vec<_> = (0..50).map(|i| xdrip_reading(now_ms() - i * 300_000, 60 + i * 5)).collect();
    let res = client.post(server.url("/api/v1/entries")).header("api-secret", SECRET_SHA1).json(&docs).send().await;
    assert_eq!(res.unwrap().status(), 200);

    let mut runner = runner(if mongo { "http fuzz (mongodb)" } else { "http fuzz (sqlite)" });
    let strategy = case();
    let mut statuses = BTreeMap::<u16, usize>::new();
    for _ in 0..cases() {
        let c = draw(&mut runner, &strategy);
        let res = request(&client, &server.base, &c).send().await;
        let res = res.unwrap_or_else(|e| panic!("{c:?}: no answer ({e:?}); log: {:#?}", server.lines_with("ERROR")));
        let status = res.status().as_u16();
        let body = res.text().await.unwrap_or_default();
        *statuses.entry(status).or_default() += 1;
        let outage = status == 503 && body.contains("Database unavailable");
        assert!(status < 500 || outage, "{c:?} answered {status}: {body}; log: {:#?}", server.lines_with("ERROR"));
    }
    eprintln!("http fuzz (mongo: {mongo}): {} requests, statuses {statuses:?}", cases());
    assert!(server.alive(), "the server is up");
    assert!(server.lines_with("panicked").is_empty(), "{:#?}", server.lines_with("panicked"));
    assert_eq!(client.get(server.url("/api/v1/status.json")).send().await.unwrap().status(), 200);
    server.kill9().await;
    remove_location(&dir, uri.as_deref());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_http_requests_never_get_a_5xx_or_a_panic_on_sqlite() {
    fuzz(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_http_requests_never_get_a_5xx_or_a_panic_on_mongodb() {
    fuzz(true).await;
}
