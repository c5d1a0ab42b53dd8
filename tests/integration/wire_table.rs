//! The differential harness: a table of requests, each with the answer Nightscout 15 gives
//! (status, content type, body shape and number types), taken from Nightscout's source
//! (`lib/api/*`, `lib/api2/*`, `lib/api3/*`, `lib/server/*`), run against our server and reported
//! all at once, so one run lists every difference of an area.
//!
//! A shape is JSON: the strings `int` (a whole number written without a fraction), `num`, `str`,
//! `bool`, `null`, `arr`, `obj`, `any`, `hex24` (an ObjectId's hex), `iso` (an ISO 8601 date)
//! name a type; `=text` is that exact string; other strings, numbers, booleans and null are
//! exact; an object names keys that must be there (others may be); `[]` is an empty array and
//! `[shape]` a non-empty array whose items all match; `{"absent": [keys]}` inside an object
//! names keys that must not be there.

use reqwest::Method;
use serde_json::Value;

use crate::common::*;

pub struct Row {
    /// What the row checks, and where in Nightscout it is defined.
    pub what: &'static str,
    pub method: Method,
    pub path: String,
    pub headers: Vec<(&'static str, String)>,
    pub body: Option<Value>,
    pub status: u16,
    /// The start of the content type (`""`: not checked).
    pub ctype: &'static str,
    pub shape: Value,
    /// Headers that must be in the answer.
    pub has: Vec<&'static str>,
}

impl Row {
    pub fn get(what: &'static str, path: &str, status: u16, shape: Value) -> Row {
        Row {
            what,
            method: Method::GET,
            path: path.to_owned(),
            headers: Vec::new(),
            body: None,
            status,
            ctype: "application/json",
            shape,
            has: Vec::new(),
        }
    }

    pub fn send(what: &'static str, method: Method, path: &str, body: Value, status: u16, shape: Value) -> Row {
        Row::anonymous(what, method, path, body, status, shape).authed()
    }

    /// A write without credentials.
    pub fn anonymous(what: &'static str, method: Method, path: &str, body: Value, status: u16, shape: Value) -> Row {
        Row { method, body: Some(body), ..Row::get(what, path, status, shape) }
    }

    /// With the API secret (SHA-1 header, as uploaders send it).
    pub fn authed(self) -> Row {
        self.header("api-secret", SECRET_SHA1)
    }

    pub fn header(mut self, name: &'static str, value: &str) -> Row {
        self.headers.push((name, value.to_owned()));
        self
    }

    /// The answer must carry this header.
    pub fn has(mut self, header: &'static str) -> Row {
        self.has.push(header);
        self
    }

    pub fn ctype(mut self, ctype: &'static str) -> Row {
        self.ctype = ctype;
        self
    }
}

/// Runs every row; panics with the list of differences.
pub async fn check(app: &TestApp, rows: Vec<Row>) {
    let mut differences = Vec::new();
    for row in &rows {
        let mut req = app.req(row.method.clone(), &row.path);
        for (k, v) in &row.headers {
            req = req.header(*k, v.as_str());
        }
        if let Some(b) = &row.body {
            req = req.json(b);
        }
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        let ctype = res.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
        let missing: Vec<&str> = row.has.iter().copied().filter(|h| !res.headers().contains_key(*h)).collect();
        let text = res.text().await.unwrap();
        let mut wrong = Vec::new();
        if status != row.status {
            wrong.push(format!("status {status}, Nightscout {}", row.status));
        }
        if !missing.is_empty() {
            wrong.push(format!("no {missing:?} header, Nightscout sends it"));
        }
        if !ctype.starts_with(row.ctype) {
            wrong.push(format!("content-type {ctype:?}, Nightscout {:?}", row.ctype));
        }
        match serde_json::from_str::<Value>(&text) {
            Ok(body) => matches(&row.shape, &body, "body", &mut wrong),
            Err(_) if row.shape == Value::String(format!("={text}")) || row.shape == "any" => {}
            Err(_) => wrong.push(format!("body {text:?} is not JSON, Nightscout {}", row.shape)),
        }
        if !wrong.is_empty() {
            differences.push(format!("{} {} ({}): {}", row.method, row.path, row.what, wrong.join("; ")));
        }
    }
    eprintln!("{} rows, {} differences ({:?})", rows.len(), differences.len(), app.backend);
    assert!(
        differences.is_empty(),
        "{} of {} rows differ from Nightscout:\n{}",
        differences.len(),
        rows.len(),
        differences.join("\n")
    );
}

/// Adds what is wrong with `v` against `shape` at `at` to `wrong` (`int` tells `4` from `4.0`).
fn matches(shape: &Value, v: &Value, at: &str, wrong: &mut Vec<String>) {
    let ok = match shape {
        Value::String(t) => match t.as_str() {
            "int" => v.as_i64().is_some() || v.as_u64().is_some(),
            "num" => v.is_number(),
            "str" => v.is_string(),
            "bool" => v.is_boolean(),
            "null" => v.is_null(),
            "arr" => v.is_array(),
            "obj" => v.is_object(),
            "any" => true,
            "hex24" => v.as_str().is_some_and(|s| s.len() == 24 && s.bytes().all(|b| b.is_ascii_hexdigit())),
            "iso" => v.as_str().is_some_and(|s| ferroscout::domain::time::parse_zoned(s).is_some()),
            exact => v.as_str() == Some(exact.strip_prefix('=').unwrap_or(exact)),
        },
        Value::Array(items) => match (items.first(), v.as_array()) {
            (None, Some(a)) => a.is_empty(),
            (Some(item), Some(a)) if !a.is_empty() => {
                for (i, x) in a.iter().enumerate() {
                    matches(item, x, &format!("{at}[{i}]"), wrong);
                }
                true
            }
            _ => false,
        },
        Value::Object(keys) => match v.as_object() {
            Some(o) => {
                for (k, s) in keys {
                    if k == "absent" {
                        for gone in s.as_array().into_iter().flatten().filter_map(Value::as_str) {
                            if o.contains_key(gone) {
                                wrong.push(format!("{at}.{gone} is there, Nightscout has none"));
                            }
                        }
                        continue;
                    }
                    match o.get(k) {
                        Some(x) => matches(s, x, &format!("{at}.{k}"), wrong),
                        None => wrong.push(format!("{at}.{k} missing")),
                    }
                }
                true
            }
            None => false,
        },
        exact => v == exact,
    };
    if !ok {
        let shown: String = v.to_string().chars().take(160).collect();
        wrong.push(format!("{at} is {shown}, Nightscout {shape}"));
    }
}
