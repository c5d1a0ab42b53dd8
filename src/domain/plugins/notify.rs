//! The plugins' notifications (`checkNotifications` of loop, openaps, pump, upbat, the device
//! ages, ar2 and treatmentnotify), each behind its Nightscout switch; the alarm engine
//! (`src/realtime/alarm.rs`) raises, snoozes and clears them per group.

use serde_json::{Value, json};

use super::{Context, Inputs, ages, ar2, loop_status, mills_of, openaps, pump};

/// Levels (`lib/levels.js`).
pub const URGENT: i64 = 2;
pub const WARN: i64 = 1;
pub const INFO: i64 = 0;
pub const NONE: i64 = -3;
/// Announcements are current for 10 minutes (`treatmentnotify.js`).
const ANNOUNCEMENT_MS: i64 = 10 * 60_000;

/// One requested notification.
#[derive(Debug, Clone, PartialEq)]
pub struct Notify {
    pub level: i64,
    pub title: String,
    pub message: String,
    pub group: String,
    pub plugin: &'static str,
    pub sound: Option<&'static str>,
    pub event_name: Option<&'static str>,
    pub is_announcement: bool,
    /// Stable while the condition lasts: a standing alarm is not raised twice.
    pub key: String,
}

impl Notify {
    pub fn to_json(&self) -> Value {
        let mut v = json!({"level": self.level, "title": self.title, "message": self.message,
            "group": self.group, "plugin": {"name": self.plugin}, "key": self.key});
        if let Some(s) = self.sound {
            v["pushoverSound"] = s.into();
        }
        if let Some(e) = self.event_name {
            v["eventName"] = e.into();
        }
        if self.is_announcement {
            v["isAnnouncement"] = true.into();
        }
        v
    }
}

/// `utils.formatAgo`: "5m ago", "2h ago", "3d ago", "future", "ago".
pub fn format_ago(mills: i64, now: i64) -> String {
    const MIN: i64 = 60_000;
    let since = now - mills;
    if mills == 0 {
        return "ago".into();
    }
    if mills - 5 * MIN > now {
        return "future".into();
    }
    if mills > now {
        return "1m ago".into();
    }
    let steps: [(i64, i64, &str); 6] = [
        (2 * MIN, MIN, "m"),
        (60 * MIN, MIN, "m"),
        (120 * MIN, 60 * MIN, "h"),
        (1440 * MIN, 60 * MIN, "h"),
        (2880 * MIN, 1440 * MIN, "d"),
        (7 * 1440 * MIN, 1440 * MIN, "d"),
    ];
    for (limit, div, unit) in steps {
        if since < limit {
            let v = ((since as f64 / div as f64).round() as i64).max(1);
            return format!("{v}{unit} ago");
        }
    }
    "ago".into()
}

/// `format_ago` in the server's language (`%1m ago`, `%1h ago`, `%1d ago`).
fn ago_text(cx: &Context, mills: i64, now: i64) -> String {
    let s = format_ago(mills, now);
    for (suffix, key) in [("m ago", "%1m ago"), ("h ago", "%1h ago"), ("d ago", "%1d ago")] {
        if let Some(n) = s.strip_suffix(suffix).filter(|n| !n.is_empty()) {
            return cx.tr.t(key, &[&n]);
        }
    }
    cx.tr.t(&s, &[])
}

fn level_name(level: i64) -> &'static str {
    match level {
        URGENT => "Urgent",
        WARN => "Warning",
        INFO => "Info",
        _ => "None",
    }
}

fn alarm(level: i64, title: String, message: String, group: &str, plugin: &'static str, sound: &'static str) -> Notify {
    Notify {
        level,
        title,
        message,
        group: group.into(),
        plugin,
        sound: Some(sound),
        event_name: None,
        is_announcement: false,
        key: format!("{group}_{level}"),
    }
}

/// The non-glucose notifications due now (groups other than `default`), and the current
/// announcements.
pub fn requests(inp: &Inputs, cx: &Context) -> Vec<Notify> {
    let s = cx.settings;
    let now = inp.now;
    let mut out = Vec::new();
    if cx.enabled("loop") && s.loop_.enable_alerts {
        let st = loop_status::analyze(inp, &s.loop_);
        let level = loop_status::level(st.last_ok, &s.loop_, now);
        if st.last_loop.is_some() && level >= WARN {
            let msg = cx.tr.t("Last Loop: %1", &[&ago_text(cx, st.last_ok.unwrap_or(0), now)]);
            out.push(alarm(level, cx.tr.t("Loop isn't looping", &[]), msg, "Loop", "loop", "echo"));
        }
    }
    if cx.enabled("openaps") && s.openaps.enable_alerts && openaps::offline_marker(inp).is_none() {
        let (_, last) = openaps::analyze(inp, &s.openaps);
        if let Some(t) = last {
            let level = loop_status::level(Some(t), &s.openaps, now);
            if level >= WARN {
                let msg = cx.tr.t("Last Loop: %1", &[&ago_text(cx, t, now)]);
                out.push(alarm(level, cx.tr.t("OpenAPS isn't looping", &[]), msg, "OpenAPS", "openaps", "echo"));
            }
        }
    }
    if cx.enabled("pump") && s.pump.enable_alerts {
        let prop = pump::property(inp, &s.pump, s);
        let data = &prop["data"];
        let level = data["level"].as_i64().unwrap_or(NONE);
        if level >= WARN {
            let title = cx.tr.t(data["title"].as_str().unwrap_or_default(), &[]);
            let lines: Vec<String> = (data["message"].as_str().unwrap_or_default().split('\n'))
                .map(|l| cx.tr.line(l, &["Pump Battery: %1", "Pump Reservoir: %1"]))
                .collect();
            out.push(alarm(level, title, lines.join("\n"), "Pump", "pump", "echo"));
        }
    }
    if cx.enabled("upbat") && s.upbat.enable_alerts {
        let recent: Vec<&super::Doc> =
            inp.devicestatus.iter().filter(|d| d.mills >= now - 30 * 60_000).map(|d| d.doc).collect();
        let prop = crate::domain::properties::upbat_with(&recent, s.upbat.warn, s.upbat.urgent);
        let level = prop["min"]["notification"].as_i64().unwrap_or(NONE);
        if level >= WARN {
            let devices = prop["devices"].as_object().cloned().unwrap_or_default();
            let msg: Vec<String> = devices
                .values()
                .map(|d| {
                    let min = &d["min"];
                    let mut line = format!(
                        "{} {}",
                        d["name"].as_str().unwrap_or_default(),
                        min["display"].as_str().unwrap_or("?")
                    );
                    if min.get("battery").is_some() && min.get("voltageDisplay").is_some() {
                        line.push_str(&format!(" ({})", min["voltageDisplay"].as_str().unwrap_or_default()));
                    }
                    line
                })
                .collect();
            let title = cx.tr.t(&format!("{} Uploader Battery is Low", level_name(level)), &[]);
            out.push(alarm(level, title, msg.join("; "), "Uploader Battery", "upbat", "echo"));
        }
    }
    let ages: [(&str, Value); 4] = [
        ("cage", if cx.enabled("cage") { ages::single(inp, ages::Kind::Cannula, &s.cage) } else { Value::Null }),
        ("iage", if cx.enabled("iage") { ages::single(inp, ages::Kind::Insulin, &s.iage) } else { Value::Null }),
        ("bage", if cx.enabled("bage") { ages::single(inp, ages::Kind::Battery, &s.bage) } else { Value::Null }),
        ("sage", if cx.enabled("sage") { ages::sage(inp, &s.sage) } else { Value::Null }),
    ];
    for (plugin, prop) in ages {
        let info = if plugin == "sage" { &prop[prop["min"].as_str().unwrap_or("Sensor Start")] } else { &prop };
        if let Some(n) = info.get("notification") {
            let level = n["level"].as_i64().unwrap_or(INFO);
            let title = match plugin {
                "sage" => cx.tr.t(ages::SAGE_TITLE, &[&info["days"], &info["hours"]]),
                _ => cx.tr.t(ages::Kind::of(plugin).texts().0, &[&info["age"]]),
            };
            let sound = if n["pushoverSound"] == "persistent" { "persistent" } else { "incoming" };
            let mut a = alarm(
                level,
                title,
                cx.tr.t(n["message"].as_str().unwrap_or_default(), &[]),
                n["group"].as_str().unwrap_or(plugin),
                plugin_name(plugin),
                sound,
            );
            a.key = format!("{}_{level}_{}", a.group, info["age"]);
            out.push(a);
        }
    }
    if cx.enabled("treatmentnotify") {
        out.extend(announcements(inp, cx));
    }
    out
}

fn plugin_name(p: &str) -> &'static str {
    match p {
        "cage" => "cage",
        "iage" => "iage",
        "bage" => "bage",
        _ => "sage",
    }
}

/// Announcements of the last 10 minutes (`requestAnnouncementNotify`): level from the glucose
/// they carry (info without), message their notes.
fn announcements(inp: &Inputs, cx: &Context) -> Vec<Notify> {
    let now = inp.now;
    inp.treatments
        .iter()
        .filter(|t| t.get("isAnnouncement") == Some(&Value::Bool(true)))
        .filter(|t| mills_of(t) <= now && now - mills_of(t) < ANNOUNCEMENT_MS)
        .map(|t| {
            let mgdl = super::number(t, "glucose").map(|g| {
                let mmol = t.get("units").and_then(Value::as_str).is_some_and(|u| u.contains("mmol"));
                if mmol || g < 35.0 { crate::domain::glucose::mmol_to_mgdl(g) } else { g }
            });
            let th = &cx.thresholds;
            let (level, sound) = match mgdl {
                Some(g) if g > th.bg_high => (URGENT, Some("persistent")),
                Some(g) if g < th.bg_low => (URGENT, Some("persistent")),
                Some(g) if g > th.bg_target_top => (WARN, Some("climb")),
                Some(g) if g < th.bg_target_bottom => (WARN, Some("falling")),
                _ => (INFO, None),
            };
            let event = t.get("eventType").and_then(Value::as_str).unwrap_or("Announcement");
            let tr = &cx.tr;
            let title = if level == URGENT {
                format!("{} {}", tr.t("Urgent", &[]), tr.t(event, &[]))
            } else {
                tr.t(event, &[])
            };
            let notes = t.get("notes").and_then(Value::as_str).filter(|n| !n.is_empty()).unwrap_or(".");
            let id = t.get("_id").map(|v| v.to_string()).unwrap_or_default();
            Notify {
                level,
                title,
                message: notes.to_owned(),
                group: "Announcement".into(),
                plugin: "treatmentnotify",
                sound,
                event_name: None,
                is_announcement: true,
                key: announcement_key(&id, mills_of(t)),
            }
        })
        .collect()
}

/// A stable key per announcement (its id and time, hashed as Nightscout keys notifications).
fn announcement_key(id: &str, mills: i64) -> String {
    use sha1::{Digest, Sha1};
    hex::encode(Sha1::digest(format!("{id}{mills}").as_bytes()))
}

/// The `predict` alarm (`ar2.checkNotifications`): only with a reading of the last 10 minutes.
pub fn predict(inp: &Inputs, cx: &Context, bgnow: Option<(f64, i64)>, mean5: Option<f64>) -> Option<Notify> {
    let last = inp.readings.first()?;
    if inp.now - last.mills > 10 * 60_000 {
        return None;
    }
    let (mean, mills) = bgnow?;
    let f = ar2::forecast(mean, Some(mills), mean5?, inp.now)?;
    let (level, event) = ar2::judge(&f, cx)?;
    let units = cx.units;
    let scaled = crate::domain::glucose::scale(last.mgdl, units);
    let label = if units == crate::domain::units::Units::Mmol { "mmol/L" } else { "mg/dl" };
    let now_line = format!("{} {label}", crate::domain::glucose::js_str(scaled));
    let mut lines = vec![cx.tr.t("BG Now: %1", &[&now_line])];
    lines.extend(ar2::display_line(&f, units).map(|l| cx.tr.line(&l, &["BG 15m: %1"])));
    Some(Notify {
        level,
        title: ar2::title(level, event, last.mgdl, cx),
        message: lines.join("\n"),
        group: "default".into(),
        plugin: "ar2",
        sound: ar2::sound(level, event),
        event_name: Some(event),
        is_announcement: false,
        key: format!("{}_{level}", if event.is_empty() { "predict" } else { event }),
    })
}

#[cfg(test)]
#[path = "notify_tests.rs"]
mod tests;
