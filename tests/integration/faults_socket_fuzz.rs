//! Bounded fuzzing of the socket.io events (`src/realtime`) on the real binary, both stores:
//! random JSON shapes for `authorize`, `dbAdd`, `dbUpdate`, `dbUpdateUnset`, `dbRemove`,
//! `loadRetro`, `nsping`, `subscribe` on `/alarm` and `/storage`, alarm `ack`, unknown events and
//! malformed frames, within the per-connection budgets (`realtime::rate`: a write over budget gets
//! its error ack). Every event that takes an acknowledgement gets one (an error ack when it
//! fails; a refused `authorize` disconnects, as Nightscout does); the socket keeps serving; the
//! server never panics.

use std::time::Duration;

use crate::common::binary::{Binary, fresh_location, remove_location};
use crate::common::fuzz::{draw, json, key, runner, scalar};
use crate::common::*;
use futures_util::{SinkExt, StreamExt};
use proptest::prelude::*;
use serde_json::{Map, Value};
use tokio_tungstenite::tungstenite::Message;

type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Events per store (`FERROSCOUT_FUZZ_CASES` for a longer run).
fn cases() -> usize {
    std::env::var("FERROSCOUT_FUZZ_CASES").ok().and_then(|s| s.parse().ok()).unwrap_or(600)
}

/// A socket.io client on one namespace, over websocket (Engine.IO 4).
struct Sock {
    ws: Ws,
    /// `""` for `/`, else `/alarm,`.
    nsp: String,
    next: u64,
}

#[derive(Debug)]
enum Answer {
    Ack(Value),
    Disconnected,
}

impl Sock {
    async fn open(base: &str, ns: &str) -> Sock {
        let url = format!("{}/socket.io/?EIO=4&transport=websocket", base.replace("http://", "ws://"));
        let (ws, _) = tokio_tungstenite::connect_async(url).await.expect("websocket");
        let nsp = if ns == "/" { String::new() } else { format!("{ns},") };
        let mut s = Sock { ws, nsp, next: 1 };
        assert!(s.send(format!("40{}", s.nsp)).await);
        let connected = format!("40{}", s.nsp);
        s.until(|t| t.starts_with(&connected)).await.expect("namespace connected");
        s
    }

    /// False when the socket is closed already.
    async fn send(&mut self, text: String) -> bool {
        self.ws.send(Message::text(text)).await.is_ok()
    }

    /// Reads (answering pings) until a text frame passes `f`; `None` when the socket closed.
    async fn until(&mut self, f: impl Fn(&str) -> bool) -> Option<String> {
        let read = async {
            while let Some(msg) = self.ws.next().await {
                let Ok(Message::Text(t)) = msg else {
                    if msg.is_err() {
                        return None;
                    }
                    continue;
                };
                if t.as_str() == "2" {
                    let _ = self.ws.send(Message::text("3")).await;
                } else if f(t.as_str()) {
                    return Some(t.to_string());
                }
            }
            None
        };
        // A hang guard, not a timed assertion: an event that never answers fails here.
        tokio::time::timeout(Duration::from_secs(30), read).await.expect("an answer within 30 s")
    }

    /// Emits `event` with `payload` asking for an acknowledgement; the ack, or the disconnect.
    async fn call(&mut self, event: &str, payload: &Value) -> Answer {
        let id = self.next;
        self.next += 1;
        let packet = serde_json::json!([event, payload]).to_string();
        if !self.send(format!("42{}{id}{packet}", self.nsp)).await {
            return Answer::Disconnected;
        }
        let (ack, gone) = (format!("43{}{id}", self.nsp), format!("41{}", self.nsp));
        match self.until(|t| t.starts_with(&ack) || t == gone).await {
            Some(t) if t.starts_with(&ack) => Answer::Ack(serde_json::from_str(&t[ack.len()..]).unwrap_or(Value::Null)),
            _ => Answer::Disconnected,
        }
    }

    /// Emits without asking for an acknowledgement.
    async fn tell(&mut self, event: &str, payload: &Value) {
        let packet = serde_json::json!([event, payload]).to_string();
        let _ = self.send(format!("42{}{packet}", self.nsp)).await;
    }
}

/// Payloads shaped like the events' messages, with random values and extra keys, or any JSON.
fn payload() -> impl Strategy<Value = Value> {
    let collection = prop_oneof![
        4 => prop::sample::select(vec!["entries", "treatments", "devicestatus", "profile", "food", "activity"]).prop_map(|c| Value::String(c.into())),
        1 => scalar(),
    ];
    let id = prop_oneof![
        Just(Value::String("5f1e0c8a9b1e8a0012345678".into())),
        "[0-9a-f]{24}".prop_map(Value::String),
        "[0-9a-f]{24}".prop_map(|h| serde_json::json!({"$oid": h})),
        scalar(),
    ];
    let data = prop_oneof![
        3 => prop::collection::vec((key(), json()), 0..6).prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>())),
        1 => prop::collection::vec(json(), 0..4).prop_map(Value::Array),
        1 => json(),
    ];
    let shaped =
        (collection, id, data, prop::collection::vec((key(), json()), 0..3)).prop_map(|(c, id, data, extra)| {
            let mut m: Map<String, Value> = extra.into_iter().collect();
            m.insert("collection".into(), c);
            m.insert("_id".into(), id);
            m.insert("data".into(), data);
            Value::Object(m)
        });
    let credentials = (
        prop_oneof![Just(Value::String(SECRET_SHA1.into())), scalar()],
        prop_oneof![scalar(), json()],
        prop::collection::vec(prop_oneof![Just(Value::String("entries".into())), scalar()], 0..4),
    )
        .prop_map(|(secret, other, collections)| {
            serde_json::json!({"secret": secret, "token": other, "accessToken": other, "history": other,
                "status": other, "collections": collections, "jwtToken": other, "client": "fuzz"})
        });
    prop_oneof![3 => shaped, 1 => credentials, 1 => json()]
}

/// Write events (and a ping) for the authorized socket.
const WRITER_EVENTS: [&str; 8] =
    ["dbAdd", "dbAdd", "dbUpdate", "dbUpdateUnset", "dbRemove", "nsping", "dbAdd", "dbUpdate"];
/// What a socket that never authorized sends.
const GUEST_EVENTS: [&str; 5] = ["dbAdd", "dbUpdate", "dbRemove", "loadRetro", "nsping"];

async fn fuzz(mongo: bool) {
    let Some((dir, uri)) = fresh_location(mongo) else { return };
    let mut server = Binary::start(&dir, uri.as_deref(), &[]).await;
    let base = server.base.clone();
    // `writer` is authorized once and keeps its rights; `guest` takes the fuzzed `authorize`s.
    let mut writer = Sock::open(&base, "/").await;
    let granted = writer.call("authorize", &serde_json::json!({"secret": SECRET_SHA1})).await;
    assert!(matches!(&granted, Answer::Ack(a) if a[0]["write"] == true), "{granted:?}");
    let mut guest = Sock::open(&base, "/").await;
    let mut alarm = Sock::open(&base, "/alarm").await;
    let mut storage = Sock::open(&base, "/storage").await;

    let mut runner = runner(if mongo { "socket fuzz (mongodb)" } else { "socket fuzz (sqlite)" });
    let strategy = (0..16usize, payload(), "\\PC{0,12}");
    let (mut acks, mut disconnects) = (0, 0);
    let mut last = (0, Value::Null, String::new());
    for _ in 0..cases() {
        let (pick, p, junk) = draw(&mut runner, &strategy);
        let this = (pick, p.clone(), junk.clone());
        let answer = match pick {
            0..=7 => Some(writer.call(WRITER_EVENTS[pick], &p).await),
            // Full-payload events have a per-connection budget (`realtime::rate`): each fuzzed
            // `authorize` (then `loadRetro`) gets a connection of its own.
            8 | 9 => {
                let mut fresh = Sock::open(&base, "/").await;
                match fresh.call("authorize", &p).await {
                    Answer::Ack(_) if pick == 9 => Some(fresh.call("loadRetro", &p).await),
                    other => Some(other),
                }
            }
            10 => Some(guest.call(GUEST_EVENTS[junk.len() % GUEST_EVENTS.len()], &p).await),
            11 => Some(alarm.call("subscribe", &p).await),
            12 => Some(storage.call("subscribe", &p).await),
            13 => {
                alarm.tell("ack", &p).await;
                None
            }
            14 => {
                guest.tell(&junk, &p).await;
                None
            }
            _ => {
                // A frame that is not a socket.io packet at all, on a socket of its own: the server
                // may close that one (socketioxide does, a moment later).
                let mut spoiled = Sock::open(&base, "/").await;
                let _ = spoiled.ws.send(Message::text(format!("4{junk}"))).await;
                None
            }
        };
        match answer {
            Some(Answer::Ack(_)) => acks += 1,
            // Only a refused `authorize` may end a socket without an ack; it is reopened.
            Some(Answer::Disconnected) if pick == 8 || pick == 9 => disconnects += 1,
            Some(Answer::Disconnected) => {
                panic!("event {pick} with {p} got no ack (after {last:?}): {:#?}", server.lines_with("ERROR"))
            }
            None => {}
        }
        last = this;
        // Each socket still answers (the guest is reopened when it was ended).
        if matches!(answer, Some(Answer::Disconnected)) || pick >= 13 {
            guest = match guest.call("nsping", &Value::Null).await {
                Answer::Ack(_) => guest,
                Answer::Disconnected => Sock::open(&base, "/").await,
            };
        }
    }
    for s in [&mut writer, &mut alarm, &mut storage] {
        let (event, p) = if s.nsp.is_empty() { ("nsping", Value::Null) } else { ("subscribe", Value::Null) };
        assert!(matches!(s.call(event, &p).await, Answer::Ack(_)), "the socket still serves");
    }
    eprintln!("socket fuzz (mongo: {mongo}): {} events, {acks} acks, {disconnects} refused authorizes", cases());
    assert!(acks > cases() / 2);
    assert!(server.alive(), "the server is up");
    assert!(server.lines_with("panicked").is_empty(), "{:#?}", server.lines_with("panicked"));
    server.kill9().await;
    remove_location(&dir, uri.as_deref());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_socket_events_always_get_an_ack_and_never_panic_on_sqlite() {
    fuzz(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_socket_events_always_get_an_ack_and_never_panic_on_mongodb() {
    fuzz(true).await;
}
