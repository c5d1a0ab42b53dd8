//! Device ages (`lib/plugins/cannulaage.js`, `insulinage.js`, `batteryage.js`, `sensorage.js`):
//! hours since the last `Site Change`, `Insulin Change`, `Pump Battery Change` and `Sensor
//! Start`/`Sensor Change`, with the info/warn/urgent levels and the on-the-hour notification.

use serde_json::{Map, Value, json};

use super::notify::{INFO, NONE, URGENT, WARN};
use super::{Inputs, mills_of};
use crate::config::plugins::AgePrefs;
use crate::domain::i18n::fill;

/// Which age.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Kind {
    Cannula,
    Insulin,
    Battery,
}

impl Kind {
    pub fn of(name: &str) -> Kind {
        match name {
            "iage" => Kind::Insulin,
            "bage" => Kind::Battery,
            _ => Kind::Cannula,
        }
    }

    fn event(self) -> &'static str {
        match self {
            Kind::Cannula => "Site Change",
            Kind::Insulin => "Insulin Change",
            Kind::Battery => "Pump Battery Change",
        }
    }

    /// `(title key with the age as %1, group, messages urgent/warn/info)`.
    pub fn texts(self) -> (&'static str, &'static str, [&'static str; 3]) {
        match self {
            Kind::Cannula => (
                "Cannula age %1 hours",
                "CAGE",
                ["Cannula change overdue!", "Time to change cannula", "Change cannula soon"],
            ),
            Kind::Insulin => (
                "Insulin reservoir age %1 hours",
                "IAGE",
                [
                    "Insulin reservoir change overdue!",
                    "Time to change insulin reservoir",
                    "Change insulin reservoir soon",
                ],
            ),
            Kind::Battery => (
                "Pump battery age %1 hours",
                "BAGE",
                ["Pump Battery change overdue!", "Time to change pump battery", "Change pump battery soon"],
            ),
        }
    }
}

/// `moment.diff` in whole units (truncated).
fn diff(now: i64, then: i64, unit_ms: i64) -> i64 {
    (now - then) / unit_ms
}

/// Age fields of the newest event at or before now: `age`, `days`, `hours`, `minFractions`.
fn age_fields(out: &mut Map<String, Value>, now: i64, t: &super::Doc) {
    let date = mills_of(t);
    let (days, age) = (diff(now, date, 86_400_000), diff(now, date, 3_600_000));
    out.insert("found".into(), true.into());
    out.insert("treatmentDate".into(), date.into());
    out.insert("age".into(), age.into());
    out.insert("days".into(), days.into());
    out.insert("hours".into(), (age - days * 24).into());
    if let Some(n) = t.get("notes") {
        out.insert("notes".into(), n.clone());
    }
    out.insert("minFractions".into(), (diff(now, date, 60_000) - age * 60).into());
}

fn short_display(info: &Map<String, Value>) -> String {
    let (age, days, hours) =
        (info["age"].as_i64().unwrap_or(0), info["days"].as_i64().unwrap_or(0), info["hours"].as_i64().unwrap_or(0));
    if age >= 24 { format!("{days}d{hours}h") } else { format!("{hours}h") }
}

/// The level and, with `*_ENABLE_ALERTS`, the notification in the first 20 minutes of the
/// hour the age reaches a threshold.
fn judge(info: &mut Map<String, Value>, prefs: &AgePrefs, title: String, group: &str, messages: [&str; 3]) {
    let age = info.get("age").and_then(Value::as_f64);
    let at = |t: f64| age.is_some_and(|a| a >= t);
    let (level, message, sound, exact) = if at(prefs.urgent) {
        (URGENT, messages[0], "persistent", age == Some(prefs.urgent))
    } else if at(prefs.warn) {
        (WARN, messages[1], "incoming", age == Some(prefs.warn))
    } else if at(prefs.info) {
        (INFO, messages[2], "incoming", age == Some(prefs.info))
    } else {
        (NONE, "", "incoming", false)
    };
    info.insert("level".into(), level.into());
    let early = info.get("minFractions").and_then(Value::as_i64).is_some_and(|m| m <= 20);
    if prefs.enable_alerts && exact && early {
        info.insert(
            "notification".into(),
            json!({"title": title, "message": message, "pushoverSound": sound, "level": level, "group": group}),
        );
    }
}

/// `cage`, `iage` or `bage`.
pub fn single(inp: &Inputs, kind: Kind, prefs: &AgePrefs) -> Value {
    let now = inp.now;
    let mut info = Map::new();
    info.insert("found".into(), false.into());
    info.insert("age".into(), 0.into());
    info.insert("treatmentDate".into(), Value::Null);
    if kind != Kind::Insulin {
        info.insert("checkForAlert".into(), false.into());
    }
    let last = inp
        .treatments
        .iter()
        .filter(|t| t.get("eventType").and_then(Value::as_str).is_some_and(|e| e.contains(kind.event())))
        .filter(|t| mills_of(t) > 0 && mills_of(t) <= now)
        .max_by_key(|t| mills_of(t));
    if let Some(t) = last {
        age_fields(&mut info, now, t);
        if kind == Kind::Insulin {
            info.insert("display".into(), short_display(&info).into());
        }
    }
    let (title, group, messages) = kind.texts();
    let title = fill(title, &[&info["age"]]);
    // Nightscout's insulinage.js compares the age with an unset field, so IAGE never reaches
    // urgent there; here IAGE_URGENT works as documented.
    judge(&mut info, prefs, title, group, messages);
    if kind != Kind::Insulin {
        let found = last.is_some();
        let display = if prefs.display_days && found {
            short_display(&info)
        } else if found {
            format!("{}h", info["age"])
        } else {
            "n/a ".into()
        };
        info.insert("display".into(), display.into());
    }
    Value::Object(info)
}

/// The sensor age notification's title key (days %1, hours %2) and messages urgent/warn/info.
pub const SAGE_TITLE: &str = "Sensor age %1 days %2 hours";
const SAGE_MESSAGES: [&str; 3] =
    ["Sensor change/restart overdue!", "Time to change/restart sensor", "Change/restart sensor soon"];

/// `sage`: `{"Sensor Start": {..}, "Sensor Change": {..}, "min": "<the newer one>"}`.
pub fn sage(inp: &Inputs, prefs: &AgePrefs) -> Value {
    let now = inp.now;
    let mut events: Vec<(&str, Map<String, Value>)> = Vec::new();
    for event in ["Sensor Start", "Sensor Change"] {
        let mut info = Map::new();
        info.insert("found".into(), false.into());
        let last = inp
            .treatments
            .iter()
            .filter(|t| t.get("eventType").and_then(Value::as_str) == Some(event))
            .filter(|t| mills_of(t) > 0 && mills_of(t) <= now)
            .max_by_key(|t| mills_of(t));
        if let Some(t) = last {
            age_fields(&mut info, now, t);
            info.insert("display".into(), short_display(&info).into());
            let (days, hours) = (info["days"].as_i64().unwrap_or(0), info["hours"].as_i64().unwrap_or(0));
            let long = if info["age"].as_i64().unwrap_or(0) >= 24 {
                format!("{days} days {hours} hours")
            } else {
                format!("{hours} hours")
            };
            info.insert("displayLong".into(), long.into());
        }
        events.push((event, info));
    }
    let date = |i: &Map<String, Value>| i.get("treatmentDate").and_then(Value::as_i64);
    let (start_found, change_found) = (events[0].1["found"] == true, events[1].1["found"] == true);
    if start_found && change_found && date(&events[1].1) >= date(&events[0].1) {
        events[0].1.insert("found".into(), false.into());
    }
    let start_date = if events[0].1["found"] == true { date(&events[0].1) } else { None };
    let change_date = if change_found { date(&events[1].1) } else { None };
    let min = match (start_date, change_date) {
        (Some(s), Some(c)) if s > c => 0,
        (_, Some(_)) => 1,
        _ => 0,
    };
    let info = &mut events[min].1;
    let (days, hours) =
        (info.get("days").cloned().unwrap_or(Value::Null), info.get("hours").cloned().unwrap_or(Value::Null));
    judge(info, prefs, fill(SAGE_TITLE, &[&days, &hours]), "SAGE", SAGE_MESSAGES);
    let min_name = events[min].0;
    let mut out = Map::new();
    for (name, info) in events {
        out.insert(name.into(), Value::Object(info));
    }
    out.insert("min".into(), min_name.into());
    Value::Object(out)
}

#[cfg(test)]
#[path = "ages_tests.rs"]
mod tests;
