//! Alarms (`lib/plugins/simplealarms.js`, `timeago`, `lib/api3/alarmSocket.js`; spec 5.4, 9):
//! evaluated on the server after every new reading and every minute for stale data, emitted on
//! `/alarm` and, for older followers such as AndroidAPS's v1 client, on `/` too.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::Ordering;
use std::time::Duration;

use serde::Deserialize;
use serde_json::{Value, json};
use socketioxide::SocketIo;
use socketioxide::adapter::Adapter;
use socketioxide::extract::{AckSender, SocketRef, State, TryData};

use super::root::resolve;
use super::{Ctx, DATA_RECEIVERS};
use crate::config::Config;
use crate::domain::glucose;
use crate::domain::i18n::Tr;
use crate::domain::js::js_number;
use crate::domain::plugins::{self, notify};
use crate::domain::time::now_ms;
use crate::domain::units::Units;

/// Levels (`lib/levels.js`).
pub const URGENT: i64 = 2;
pub const WARN: i64 = 1;
/// Default snooze when an ack names none: 30 minutes.
const DEFAULT_SILENCE_MS: i64 = 30 * 60_000;

/// The alarm raised in each group (`default` for glucose, `Loop`, `Pump`, `CAGE`, ...), the
/// snoozes (`level`, `group`, until epoch ms) and the announcements already sent.
#[derive(Default)]
pub struct AlarmState {
    current: BTreeMap<String, Value>,
    snoozed: Vec<(i64, String, i64)>,
    announced: Vec<(String, i64)>,
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
    let tr = Tr::new(&c.language);
    let age_mins = (now - mills) as f64 / 60_000.0;
    if on(c, "ALARM_TIMEAGO_URGENT") && age_mins >= mins(c, "ALARM_TIMEAGO_URGENT_MINS", 30.0) {
        let msg = tr.t("Last reading %1 min ago", &[&age_mins.floor()]);
        return Some((URGENT, tr.t("Urgent, Stale data", &[]), "timeago", msg));
    }
    if on(c, "ALARM_TIMEAGO_WARN") && age_mins >= mins(c, "ALARM_TIMEAGO_WARN_MINS", 15.0) {
        let msg = tr.t("Last reading %1 min ago", &[&age_mins.floor()]);
        return Some((WARN, tr.t("Warning, Stale data", &[]), "timeago", msg));
    }
    if mgdl <= 39.0 || age_mins >= 10.0 {
        return None;
    }
    // Beyond Nightscout: with `predict` alone, AR2 needs two recent readings to say anything, so
    // the first reading after a gap could be an urgent low nobody hears. The urgent thresholds
    // (`BG_LOW`, `BG_HIGH`) therefore always apply to the current reading; the warnings only with
    // `simple`, as in Nightscout.
    let simple = c.alarm_types.contains("simple");
    let t = &c.thresholds;
    let bg = tr.t("BG Now: %1", &[&format!("{} {}", display(c, mgdl), c.units.as_str())]);
    let pick = if mgdl > t.bg_high && on(c, "ALARM_URGENT_HIGH") {
        Some((URGENT, "Urgent HIGH", "high"))
    } else if simple && mgdl > t.bg_target_top && on(c, "ALARM_HIGH") {
        Some((WARN, "Warning HIGH", "high"))
    } else if mgdl < t.bg_low && on(c, "ALARM_URGENT_LOW") {
        Some((URGENT, "Urgent LOW", "low"))
    } else if simple && mgdl < t.bg_target_bottom && on(c, "ALARM_LOW") {
        Some((WARN, "Warning LOW", "low"))
    } else {
        None
    };
    pick.map(|(l, title, ev)| (l, tr.t(title, &[]), ev, bg))
}

/// The notifications due now: the glucose alarm (stale data, thresholds with `ALARM_TYPES`
/// `simple`, the AR2 forecast with `predict`), and the plugins' (`domain::plugins::notify`).
fn requests(ctx: &Ctx, now: i64) -> Vec<notify::Notify> {
    let c = &ctx.config;
    let snap = ctx.engine.snapshot();
    let inp = plugins::inputs_of(&snap.entries, &snap.treatments, &snap.devicestatus, snap.profile.as_deref(), now);
    let enabled = crate::config::public::enabled_features(c);
    let cx = plugins::Context::from_config(c, &enabled);
    let latest = inp.readings.first().map(|r| (r.mgdl, r.mills));
    let simple = judge(c, latest, now).map(|(level, title, event, message)| notify::Notify {
        level,
        title,
        message,
        group: "default".into(),
        plugin: if event == "timeago" { "timeago" } else { "simplealarms" },
        sound: Some(if level == URGENT { "persistent" } else { "climb" }),
        event_name: Some(event),
        is_announcement: false,
        key: format!("{event}_{level}"),
    });
    let stale = simple.as_ref().is_some_and(|n| n.plugin == "timeago");
    let predict = if c.alarm_types.contains("predict") && !stale {
        let buckets = glucose::buckets(&inp.readings);
        let bgnow = glucose::recent(&buckets).and_then(|b| Some((b.mean?, b.mills?)));
        let mean5 = glucose::delta(&buckets, c.units).map(|d| d.mean5_mins_ago);
        notify::predict(&inp, &cx, bgnow, mean5)
    } else {
        None
    };
    let glucose_alarm = match (simple, predict) {
        (Some(s), Some(p)) => Some(if p.level > s.level { p } else { s }),
        (s, p) => s.or(p),
    };
    let mut out: Vec<notify::Notify> = glucose_alarm.into_iter().collect();
    out.extend(notify::requests(&inp, &cx));
    out
}

fn event_for(n: &Value) -> &'static str {
    match n["level"].as_i64() {
        Some(URGENT) => "urgent_alarm",
        Some(WARN) => "alarm",
        _ if n["isAnnouncement"] == true => "announcement",
        _ => "notification",
    }
}

/// Re-evaluates every group and emits `alarm`/`urgent_alarm` for a new (or, after `fresh`
/// data, a standing) alarm unless snoozed, `clear_alarm` when a group's alarm ended, and each
/// announcement and info notification once (`notify.js` `process`).
pub async fn evaluate<A: Adapter>(io: &SocketIo<A>, ctx: &Ctx, fresh: bool) {
    let now = now_ms();
    let wanted = requests(ctx, now);
    let shared = ctx.shared.snoozes().await;
    let mut emits: Vec<(&'static str, Value)> = Vec::new();
    {
        let mut st = ctx.alarms.lock().unwrap_or_else(|e| e.into_inner());
        st.merge(shared);
        st.snoozed.retain(|(_, _, until)| *until > now);
        st.announced.retain(|(_, until)| *until > now);
        let mut groups: Vec<String> = wanted.iter().filter(|n| n.level >= WARN).map(|n| n.group.clone()).collect();
        groups.sort();
        groups.dedup();
        for group in &groups {
            // The first urgent, else the first warning, of the group.
            let top = wanted
                .iter()
                .filter(|n| &n.group == group && n.level >= WARN)
                .max_by_key(|n| n.level)
                .map(notify::Notify::to_json);
            let Some(payload) = top else { continue };
            let level = payload["level"].as_i64().unwrap_or(WARN);
            let same = st.current.get(group).is_some_and(|c| c["key"] == payload["key"]);
            st.current.insert(group.clone(), payload.clone());
            let announced = payload["isAnnouncement"] == true;
            if (fresh || !same) && (announced || !st.snoozed(level, group, now)) {
                emits.push((event_for(&payload), payload));
            }
        }
        let ended: Vec<String> = st.current.keys().filter(|g| !groups.contains(g)).cloned().collect();
        for group in ended {
            st.current.remove(&group);
            let title = Tr::new(&ctx.config.language).t("All Clear", &[]);
            emits.push(("clear_alarm", json!({"clear": true, "title": title, "message": "", "group": group})));
        }
        for n in wanted.iter().filter(|n| n.level < WARN) {
            if !st.announced.iter().any(|(k, _)| *k == n.key) {
                st.announced.push((n.key.clone(), now + 24 * 3_600_000));
                let payload = n.to_json();
                emits.push((event_for(&payload), payload));
            }
        }
    }
    for (event, payload) in emits {
        // Only to sockets allowed to read: an alarm's message carries the glucose value.
        for (ns, room) in [("/alarm", ALARM_RECEIVERS), ("/", DATA_RECEIVERS)] {
            if let Some(op) = io.of(ns) {
                // Every instance judges its own (current) engine; each tells its own sockets.
                let _ = op.local().to(room).emit(event, &payload).await;
            }
        }
    }
}

/// Asks the alarm task to judge the current data; `fresh` when a new reading came (standing
/// alarms sound again). Returns at once: the broadcaster goes on to the next push.
pub fn wake(ctx: &Ctx, fresh: bool) {
    if fresh {
        ctx.alarm_fresh.store(true, Ordering::SeqCst);
    }
    ctx.alarm_wake.notify_one();
}

/// The alarm task: judges the data when a write wakes it (several wakes while it works are one
/// more round, on the newest snapshot), and every minute for stale data.
pub async fn run<A: Adapter>(io: SocketIo<A>, ctx: Ctx) {
    let mut tick = tokio::time::interval(Duration::from_secs(60));
    loop {
        let fresh = tokio::select! {
            _ = tick.tick() => false,
            _ = ctx.alarm_wake.notified() => ctx.alarm_fresh.swap(false, Ordering::SeqCst),
        };
        evaluate(&io, &ctx, fresh).await;
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
pub async fn register<A: Adapter>(s: SocketRef<A>, State(ctx): State<Ctx>) -> Result<(), std::convert::Infallible> {
    s.on("subscribe", subscribe::<A>);
    s.on("ack", ack::<A>);
    // Nightscout sends alarms to every socket on `/alarm`; here to those whose default roles
    // may read, and to those that subscribe with credentials that may.
    if ctx.auth.anonymous().can("api:*:read") {
        s.join(ALARM_RECEIVERS);
    }
    Ok(())
}

/// The room of `/alarm` sockets allowed to hear alarms.
pub const ALARM_RECEIVERS: &str = "AlarmReceivers";

async fn subscribe<A: Adapter>(
    s: SocketRef<A>,
    State(ctx): State<Ctx>,
    TryData(msg): TryData<Value>,
    ack: AckSender<A>,
) {
    let msg: Subscribe = msg.ok().and_then(|v| serde_json::from_value(v).ok()).unwrap_or_default();
    if let Some(token) = msg.access_token.filter(|t| !t.is_empty()) {
        let Some(caller) = ctx.auth.resolve_access_token(&token).await else {
            let _ = ack.send(&json!({"success": false, "message": "Missing or bad accessToken"}));
            return;
        };
        if caller.can("notifications:*:ack") || caller.can("api:*:read") {
            s.extensions.insert(MayAck);
            s.join(ALARM_RECEIVERS);
        }
        let _ = ack.send(&json!({"success": true, "message": "Subscribed for alarms"}));
    } else {
        // The web form: `secret` and/or `jwtToken`; with AUTHENTICATION_PROMPT_ON_LOAD one is needed.
        let prompt = ctx
            .config
            .raw
            .get("AUTHENTICATION_PROMPT_ON_LOAD")
            .is_some_and(|v| v.eq_ignore_ascii_case("true") || v.eq_ignore_ascii_case("on"));
        let given =
            msg.secret.as_ref().is_some_and(|v| !v.is_empty()) || msg.jwt_token.as_ref().is_some_and(|v| !v.is_empty());
        let caller = if prompt && !given { None } else { resolve(&ctx, &s, msg.secret, msg.jwt_token).await };
        let Some(caller) = caller else {
            let _ = ack.send(&json!({"success": false, "message": "Missing or bad accessToken"}));
            return;
        };
        let read = caller.can("api:*:read");
        let may_ack = caller.can("notifications:*:ack");
        if may_ack {
            s.extensions.insert(MayAck);
        }
        if read || may_ack {
            s.join(ALARM_RECEIVERS);
        }
        let _ = ack.send(&json!({"success": true, "message": "Subscribed for alarms", "read": read, "ack": may_ack}));
    }
    // A dashboard opened during an alarm sees it at once, if it may hear alarms.
    if !s.rooms().iter().any(|r| r == ALARM_RECEIVERS) {
        return;
    }
    let shared = ctx.shared.snoozes().await;
    let standing: Vec<Value> = {
        let mut st = ctx.alarms.lock().unwrap_or_else(|e| e.into_inner());
        st.merge(shared);
        let now = now_ms();
        st.current
            .iter()
            .filter(|(g, a)| !st.snoozed(a["level"].as_i64().unwrap_or(0), g, now))
            .map(|(_, a)| a.clone())
            .collect()
    };
    for a in standing {
        let _ = s.emit(event_for(&a), &a);
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
    let title = Tr::new(&ctx.config.language).t("All Clear", &[]);
    let payload =
        json!({"clear": true, "title": title, "message": format!("{group} - {name} was ack'd"), "group": group});
    let _ = s.broadcast().to(ALARM_RECEIVERS).emit("clear_alarm", &payload).await;
    let _ = s.emit("clear_alarm", &payload);
}

/// Shared alarm state.
pub type Alarms = Mutex<AlarmState>;

#[cfg(test)]
mod tests {
    use super::*;

    fn config(language: &str) -> Config {
        let vars = [("LANGUAGE", language), ("ALARM_TYPES", "simple")];
        Config::from_lookup(&|k| vars.iter().find(|(n, _)| *n == k).map(|(_, v)| v.to_string())).unwrap()
    }

    #[test]
    fn glucose_alarms_are_titled_in_the_server_language_and_english_by_default() {
        let now = 10_000_000_000;
        let low = Some((40.0, now - 60_000));
        let stale = Some((120.0, now - 31 * 60_000));
        let de = config("de");
        assert_eq!(judge(&de, low, now), Some((URGENT, "Dringend NIEDRIG".into(), "low", "BZ jetzt: 40 mg/dl".into())));
        let (_, title, _, msg) = judge(&de, stale, now).unwrap();
        assert_eq!((title.as_str(), msg.as_str()), ("Dringend, veraltete Daten", "Letzter Wert vor 31 Min."));
        let es = config("es");
        assert_eq!(judge(&es, low, now).unwrap().1, "Urgente, BAJA");
        assert_eq!(judge(&es, low, now).unwrap().3, "Glucemia actual: 40 mg/dl");
        let en = config("en");
        assert_eq!(judge(&en, low, now), Some((URGENT, "Urgent LOW".into(), "low", "BG Now: 40 mg/dl".into())));
    }

    #[test]
    fn with_predict_alone_a_single_reading_beyond_the_urgent_thresholds_still_alarms() {
        let now = 10_000_000_000;
        let c = Config::from_lookup(&|k| (k == "ALARM_TYPES").then(|| "predict".to_string())).unwrap();
        let at = |mgdl: f64| judge(&c, Some((mgdl, now - 60_000)), now).map(|(level, _, event, _)| (level, event));
        assert_eq!(at(48.0), Some((URGENT, "low")), "below BG_LOW 55");
        assert_eq!(at(300.0), Some((URGENT, "high")), "above BG_HIGH 260");
        assert_eq!(at(70.0), None, "the warnings stay with simple, as in Nightscout");
        assert_eq!(at(200.0), None);
    }
}
