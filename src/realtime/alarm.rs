//! Alarms (`lib/plugins/simplealarms.js`, `timeago`, `lib/api3/alarmSocket.js`; spec 5.4, 9):
//! evaluated on the server after every new reading and every minute for stale data, emitted on
//! `/alarm` and, for older followers such as AndroidAPS's v1 client, on `/` too.

use std::sync::Mutex;
use std::time::Duration;

use serde::Deserialize;
use serde_json::{Value, json};
use socketioxide::SocketIo;
use socketioxide::adapter::Adapter;
use socketioxide::extract::{AckSender, SocketRef, State, TryData};

use super::Ctx;
use super::root::resolve;
use crate::config::Config;
use crate::domain::glucose;
use crate::domain::js::js_number;
use crate::domain::time::now_ms;
use crate::domain::units::Units;

/// Levels (`lib/levels.js`).
pub const URGENT: i64 = 2;
pub const WARN: i64 = 1;
/// Default snooze when an ack names none: 30 minutes.
const DEFAULT_SILENCE_MS: i64 = 30 * 60_000;

/// The alarm now raised, and the snoozes (`level-group` until epoch ms).
#[derive(Default)]
pub struct AlarmState {
    current: Option<Value>,
    snoozed: Vec<(i64, String, i64)>,
}

impl AlarmState {
    /// Adds the snoozes other instances recorded (from Redis), once each.
    fn merge(&mut self, shared: Option<Vec<(i64, String, i64)>>) {
        if let Some(shared) = shared {
            self.snoozed.extend(shared);
            self.snoozed.sort();
            self.snoozed.dedup();
        }
    }

    fn snoozed(&self, level: i64, group: &str, now: i64) -> bool {
        self.snoozed.iter().any(|(l, g, until)| *l >= level && g == group && *until > now)
    }
}

fn on(c: &Config, name: &str) -> bool {
    !matches!(c.raw.get(name).map(|v| v.to_ascii_lowercase()).as_deref(), Some("off" | "false"))
}

fn mins(c: &Config, name: &str, default: f64) -> f64 {
    c.raw.get(name).and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// A reading in the display units, as the alarm message shows it.
fn display(c: &Config, mgdl: f64) -> String {
    match c.units {
        Units::MgDl => glucose::js_str(crate::domain::js::js_round(mgdl)),
        Units::Mmol => glucose::fixed1(glucose::mgdl_to_mmol(mgdl)),
    }
}

/// The alarm the latest reading calls for: `(level, title, eventName, message)`.
pub fn judge(c: &Config, latest: Option<(f64, i64)>, now: i64) -> Option<(i64, String, &'static str, String)> {
    let (mgdl, mills) = latest?;
    let age_mins = (now - mills) as f64 / 60_000.0;
    if on(c, "ALARM_TIMEAGO_URGENT") && age_mins >= mins(c, "ALARM_TIMEAGO_URGENT_MINS", 30.0) {
        return Some((
            URGENT,
            "Urgent, Stale data".into(),
            "timeago",
            format!("Last reading {} min ago", age_mins.floor()),
        ));
    }
    if on(c, "ALARM_TIMEAGO_WARN") && age_mins >= mins(c, "ALARM_TIMEAGO_WARN_MINS", 15.0) {
        return Some((
            WARN,
            "Warning, Stale data".into(),
            "timeago",
            format!("Last reading {} min ago", age_mins.floor()),
        ));
    }
    if mgdl <= 39.0 || age_mins >= 10.0 {
        return None;
    }
    let t = &c.thresholds;
    let bg = format!("BG Now: {} {}", display(c, mgdl), c.units.as_str());
    let pick = if mgdl > t.bg_high && on(c, "ALARM_URGENT_HIGH") {
        Some((URGENT, "Urgent HIGH", "high"))
    } else if mgdl > t.bg_target_top && on(c, "ALARM_HIGH") {
        Some((WARN, "Warning HIGH", "high"))
    } else if mgdl < t.bg_low && on(c, "ALARM_URGENT_LOW") {
        Some((URGENT, "Urgent LOW", "low"))
    } else if mgdl < t.bg_target_bottom && on(c, "ALARM_LOW") {
        Some((WARN, "Warning LOW", "low"))
    } else {
        None
    };
    pick.map(|(l, title, ev)| (l, title.to_owned(), ev, bg))
}

/// Re-evaluates and emits `alarm`/`urgent_alarm`, or `clear_alarm` when an alarm ended.
/// `fresh`: a new reading arrived, so a standing alarm sounds again (unless snoozed).
pub async fn evaluate<A: Adapter>(io: &SocketIo<A>, ctx: &Ctx, fresh: bool) {
    let now = now_ms();
    let latest = ctx
        .engine
        .snapshot()
        .latest_sgv()
        .and_then(|d| Some((d.get("mgdl").and_then(js_number)?, d.get("mills")?.as_i64()?)));
    let judged = judge(&ctx.config, latest, now);
    let shared = ctx.shared.snoozes().await;
    let emit = {
        let mut st = ctx.alarms.lock().unwrap_or_else(|e| e.into_inner());
        st.merge(shared);
        st.snoozed.retain(|(_, _, until)| *until > now);
        match judged {
            Some((level, title, event, message)) => {
                let payload = json!({
                    "level": level, "title": title, "message": message, "eventName": event,
                    "plugin": {"name": if event == "timeago" { "timeago" } else { "simplealarms" }},
                    "pushoverSound": if level == URGENT { "persistent" } else { "climb" },
                    "group": "default", "key": format!("{event}_{level}"),
                });
                let same = st.current.as_ref().is_some_and(|c| c["key"] == payload["key"]);
                st.current = Some(payload.clone());
                ((fresh || !same) && !st.snoozed(level, "default", now))
                    .then_some((if level == URGENT { "urgent_alarm" } else { "alarm" }, payload))
            }
            None => st.current.take().map(|_| {
                ("clear_alarm", json!({"clear": true, "title": "All Clear", "message": "", "group": "default"}))
            }),
        }
    };
    if let Some((event, payload)) = emit {
        for ns in ["/alarm", "/"] {
            if let Some(op) = io.of(ns) {
                // Every instance judges its own (current) engine; each tells its own sockets.
                let _ = op.local().emit(event, &payload).await;
            }
        }
    }
}

/// Checks for stale data every minute (new readings are judged as they arrive).
pub async fn watch_stale<A: Adapter>(io: SocketIo<A>, ctx: Ctx) {
    let mut tick = tokio::time::interval(Duration::from_secs(60));
    loop {
        tick.tick().await;
        evaluate(&io, &ctx, false).await;
    }
}

#[derive(Debug, Default, Deserialize)]
struct Subscribe {
    #[serde(default, rename = "accessToken")]
    access_token: Option<String>,
    #[serde(default)]
    secret: Option<String>,
    #[serde(default, rename = "jwtToken")]
    jwt_token: Option<String>,
}

/// Acks allowed on this socket.
#[derive(Debug, Clone, Copy)]
struct MayAck;

/// Registers the event handlers; runs as connect middleware, before the client is told it is
/// connected, so its first event (sent right after) always finds its handler.
pub async fn register<A: Adapter>(s: SocketRef<A>) -> Result<(), std::convert::Infallible> {
    s.on("subscribe", subscribe::<A>);
    s.on("ack", ack::<A>);
    Ok(())
}

async fn subscribe<A: Adapter>(
    s: SocketRef<A>,
    State(ctx): State<Ctx>,
    TryData(msg): TryData<Value>,
    ack: AckSender<A>,
) {
    let msg: Subscribe = msg.ok().and_then(|v| serde_json::from_value(v).ok()).unwrap_or_default();
    if let Some(token) = msg.access_token {
        let Some(caller) = resolve(&ctx, &s, None, Some(token)).await.filter(|c| !c.from_defaults) else {
            let _ = ack.send(&json!({"success": false, "message": "Missing or bad accessToken"}));
            return;
        };
        if caller.can("notifications:*:ack") || caller.can("api:*:read") {
            s.extensions.insert(MayAck);
        }
        let _ = ack.send(&json!({"success": true, "message": "Subscribed for alarms"}));
    } else {
        let caller = resolve(&ctx, &s, msg.secret, msg.jwt_token).await;
        let read = caller.as_ref().is_some_and(|c| c.can("api:*:read"));
        let may_ack = caller.as_ref().is_some_and(|c| c.can("notifications:*:ack"));
        if may_ack {
            s.extensions.insert(MayAck);
        }
        let _ = ack.send(&json!({"success": true, "message": "Subscribed for alarms", "read": read, "ack": may_ack}));
    }
    // A dashboard opened during an alarm sees it at once.
    let current = ctx.alarms.lock().unwrap_or_else(|e| e.into_inner()).current.clone();
    if let Some(a) = current {
        let level = a["level"].as_i64().unwrap_or(0);
        let shared = ctx.shared.snoozes().await;
        let mut st = ctx.alarms.lock().unwrap_or_else(|e| e.into_inner());
        st.merge(shared);
        let snoozed = st.snoozed(level, "default", now_ms());
        drop(st);
        if !snoozed {
            let _ = s.emit(if level == URGENT { "urgent_alarm" } else { "alarm" }, &a);
        }
    }
}

/// `ack(level, group, silenceTime)`: snoozes that level (and the lower one) for every dashboard.
async fn ack<A: Adapter>(s: SocketRef<A>, State(ctx): State<Ctx>, TryData(args): TryData<Value>) {
    if s.extensions.get::<MayAck>().is_none() {
        return;
    }
    let args = match args {
        Ok(Value::Array(a)) => a,
        Ok(v) => vec![v],
        Err(_) => return,
    };
    let level = args.first().and_then(js_number).unwrap_or(WARN as f64) as i64;
    let group = args.get(1).and_then(Value::as_str).unwrap_or("default").to_owned();
    let silence = args.get(2).and_then(js_number).map_or(DEFAULT_SILENCE_MS, |x| x as i64);
    let until = now_ms() + silence.clamp(0, 24 * 3_600_000);
    {
        let mut st = ctx.alarms.lock().unwrap_or_else(|e| e.into_inner());
        st.snoozed.push((level, group.clone(), until));
    }
    // Every instance's next judgement sees the snooze; `clear_alarm` below reaches every
    // instance's dashboards through the adapter.
    ctx.shared.snooze(level, &group, until).await;
    let name = if level == URGENT { "Urgent" } else { "Warning" };
    let payload =
        json!({"clear": true, "title": "All Clear", "message": format!("{group} - {name} was ack'd"), "group": group});
    let _ = s.broadcast().emit("clear_alarm", &payload).await;
    let _ = s.emit("clear_alarm", &payload);
}

/// Shared alarm state.
pub type Alarms = Mutex<AlarmState>;
