//! Clients for the API v3 tests: REST with AndroidAPS's headers (`Authorization: Bearer`,
//! `Date` in epoch ms), and a minimal socket.io v4 client over a real websocket for the
//! `/storage` and `/alarm` namespaces (Engine.IO 4 framing, written out for the test).

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use reqwest::{Method, RequestBuilder};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use crate::common::{SECRET_SHA1, TestApp, status_json};

/// How a v3 request authenticates.
#[derive(Clone)]
pub enum Auth {
    /// `Authorization: Bearer <jwt>`, as AndroidAPS sends it.
    Jwt(String),
    /// The API secret's SHA-1 in `api-secret` (Ferroscout's leniency for v1 uploaders).
    Secret,
    None,
}

pub struct V3<'a> {
    pub app: &'a TestApp,
    pub auth: Auth,
}

impl<'a> V3<'a> {
    pub fn new(app: &'a TestApp, auth: Auth) -> V3<'a> {
        V3 { app, auth }
    }

    pub fn req(&self, method: Method, path: &str) -> RequestBuilder {
        let r = self.app.req(method, &format!("/api/v3{path}")).header("Date", crate::common::now_ms().to_string());
        match &self.auth {
            Auth::Jwt(t) => r.header("Authorization", format!("Bearer {t}")),
            Auth::Secret => r.header("api-secret", SECRET_SHA1),
            Auth::None => r,
        }
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        status_json(self.req(Method::GET, path).send().await.unwrap()).await
    }

    /// GET returning status, the ETag and the body.
    pub async fn get_page(&self, path: &str) -> (u16, Option<String>, Value) {
        let res = self.req(Method::GET, path).send().await.unwrap();
        let etag = res.headers().get("etag").map(|v| v.to_str().unwrap().to_owned());
        let (s, b) = status_json(res).await;
        (s, etag, b)
    }

    pub async fn send(&self, method: Method, path: &str, body: Value) -> (u16, Value) {
        status_json(self.req(method, path).json(&body).send().await.unwrap()).await
    }

    /// The `result` array of a 200 search or history page.
    pub async fn list(&self, path: &str) -> Vec<Value> {
        let (s, b) = self.get(path).await;
        assert_eq!(s, 200, "GET {path}: {b}");
        b["result"].as_array().cloned().unwrap_or_default()
    }
}

/// `W/"<ms>"` -> ms, as AndroidAPS parses it (`NSAndroidClientImpl.kt`).
pub fn etag_ms(etag: &str) -> i64 {
    let inner = etag.strip_prefix("W/\"").and_then(|s| s.strip_suffix('"')).expect("ETag W/\"<ms>\"");
    inner.parse().expect("ETag holds a number")
}

type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// One socket.io namespace over its own websocket.
pub struct Socket {
    ws: Ws,
    /// The namespace as packets carry it: `/storage,`, or empty for `/`.
    ns: String,
    next_ack: u64,
    /// Events received while waiting for something else.
    pub events: Vec<(String, Value)>,
}

impl Socket {
    /// Connects to namespace `ns` (e.g. `/storage`).
    pub async fn connect(app: &TestApp, ns: &str) -> Socket {
        let url = format!("{}/socket.io/?EIO=4&transport=websocket", app.base.replace("http://", "ws://"));
        let (ws, _) = tokio_tungstenite::connect_async(url).await.expect("websocket");
        // The root namespace is left out of packets; others are written `/name,`.
        let prefix = if ns == "/" { String::new() } else { format!("{ns},") };
        let mut s = Socket { ws, ns: prefix.clone(), next_ack: 1, events: Vec::new() };
        let open = s.frame().await;
        assert!(open.starts_with('0'), "Engine.IO open: {open}");
        s.ws.send(Message::text(format!("40{prefix}"))).await.unwrap();
        loop {
            let f = s.frame().await;
            if f.starts_with(&format!("40{prefix}")) {
                return s;
            }
            assert!(!f.starts_with("44"), "namespace refused: {f}");
        }
    }

    /// The next text frame, answering pings on the way.
    async fn frame(&mut self) -> String {
        loop {
            let msg = tokio::time::timeout(Duration::from_secs(20), self.ws.next())
                .await
                .expect("a socket.io frame within 20 s")
                .expect("socket open")
                .expect("frame");
            if let Message::Text(t) = msg {
                let t = t.to_string();
                if t == "2" {
                    self.ws.send(Message::text("3")).await.unwrap();
                    continue;
                }
                return t;
            }
        }
    }

    /// Parses `42/ns,[name, data]` or `43/ns,<id>[data]`.
    fn parse(&self, f: &str) -> Option<(char, Option<u64>, Value)> {
        let rest = f.strip_prefix('4')?;
        let kind = rest.chars().next()?;
        let rest = rest[1..].strip_prefix(self.ns.as_str()).unwrap_or(&rest[1..]);
        let digits: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
        let id = digits.parse().ok();
        let v = serde_json::from_str(&rest[digits.len()..]).ok()?;
        Some((kind, id, v))
    }

    /// Emits `event` with `data` and waits for its ack.
    pub async fn call(&mut self, event: &str, data: Value) -> Value {
        let id = self.next_ack;
        self.next_ack += 1;
        let payload = json!([event, data]).to_string();
        self.ws.send(Message::text(format!("42{}{id}{payload}", self.ns))).await.unwrap();
        loop {
            let f = self.frame().await;
            match self.parse(&f) {
                Some(('3', Some(got), v)) if got == id => return v[0].clone(),
                Some(('2', _, v)) => self.push(v),
                _ => {}
            }
        }
    }

    fn push(&mut self, v: Value) {
        if let Some(name) = v[0].as_str() {
            self.events.push((name.to_owned(), v[1].clone()));
        }
    }

    /// Waits for an event named `name` whose data satisfies `pred`; returns its data.
    pub async fn wait_for(&mut self, name: &str, pred: impl Fn(&Value) -> bool) -> Value {
        loop {
            if let Some(i) = self.events.iter().position(|(n, d)| n == name && pred(d)) {
                return self.events.remove(i).1;
            }
            let f = self.frame().await;
            if let Some(('2', _, v)) = self.parse(&f) {
                self.push(v);
            }
        }
    }
}

/// An access token of a subject with `roles`, created over the admin API (with the secret).
pub async fn token_with_roles(app: &TestApp, name: &str, roles: &[&str]) -> String {
    let body = json!({"name": name, "roles": roles});
    let res = app.authed(Method::POST, "/api/v2/authorization/subjects").json(&body).send().await.unwrap();
    assert_eq!(res.status(), 200, "create subject");
    let (_, list) = status_json(app.authed(Method::GET, "/api/v2/authorization/subjects").send().await.unwrap()).await;
    let subject = list.as_array().unwrap().iter().find(|s| s["name"] == name).cloned().expect("the new subject");
    subject["accessToken"].as_str().unwrap().to_owned()
}

/// A JWT for an access token (`/api/v2/authorization/request/{token}`).
pub async fn jwt_for(app: &TestApp, token: &str) -> String {
    let (s, b) =
        status_json(app.req(Method::GET, &format!("/api/v2/authorization/request/{token}")).send().await.unwrap())
            .await;
    assert_eq!(s, 200, "JWT request: {b}");
    b["token"].as_str().unwrap().to_owned()
}

/// AndroidAPS's token: an admin subject's access token.
pub async fn access_token(app: &TestApp) -> String {
    token_with_roles(app, "AndroidAPS", &["admin"]).await
}

/// How AndroidAPS authenticates with `token`: `Bearer <JWT>`.
pub async fn auth_for(app: &TestApp, token: &str) -> Auth {
    Auth::Jwt(jwt_for(app, token).await)
}
