//! The treatment profile at a time (`lib/profilefunctions.js`): the active profile (the record's
//! `defaultProfile`, or the running `Profile Switch`), its time-of-day values in its time zone,
//! and the temp basal and combo bolus running (`getTempBasal`).

use chrono::{TimeZone, Timelike};
use serde_json::{Map, Value, json};

use super::{Doc, mills_of, number};

/// The newest profile record with the treatments that change it.
pub struct Profile {
    /// `store` of the record (an old-style record is its own `Default` profile).
    store: Map<String, Value>,
    default_name: String,
    mills: i64,
    /// Profile Switches, oldest first, durations cut by later switches.
    switches: Vec<Doc>,
    /// Temp basals, oldest first, with `endmills`, cut by later ones and by end events.
    temps: Vec<Doc>,
    combos: Vec<Doc>,
}

/// `getTempBasal`: the basal running at a time.
#[derive(Debug, Clone)]
pub struct TempBasal {
    pub basal: f64,
    pub treatment: Option<Doc>,
    pub combo: Option<Doc>,
    pub tempbasal: f64,
    pub combobolusbasal: f64,
    pub totalbasal: f64,
}

impl TempBasal {
    pub fn to_json(&self) -> Value {
        json!({"basal": super::num(self.basal), "treatment": self.treatment, "combobolustreatment": self.combo,
            "tempbasal": super::num(self.tempbasal), "combobolusbasal": super::num(self.combobolusbasal),
            "totalbasal": super::num(self.totalbasal)})
    }
}

fn event_is(t: &Doc, f: impl Fn(&str) -> bool) -> bool {
    t.get("eventType").and_then(Value::as_str).is_some_and(f)
}

/// `processDurations`: one per `mills`, each cut where a later one (or an end event without
/// duration) starts; `keep_zero` keeps the end events. (The next later start is found by a
/// binary search: a looper's 60 hours hold hundreds of temp basals.)
fn process_durations(list: Vec<Doc>, keep_zero: bool) -> Vec<Doc> {
    let mut seen = std::collections::HashSet::new();
    let mut list: Vec<(i64, Doc)> =
        list.into_iter().map(|t| (mills_of(&t), t)).filter(|(m, _)| seen.insert(*m)).collect();
    let mut starts: Vec<i64> = list.iter().map(|(m, _)| *m).collect();
    starts.sort_unstable();
    for (m, t) in list.iter_mut() {
        let Some(d) = number(t, "duration").filter(|d| *d != 0.0) else { continue };
        let m = *m;
        let mut dur = d;
        // The earliest start after this one cuts it, if it comes before its end.
        if let Some(&e) = starts.get(starts.partition_point(|&s| s <= m))
            && m as f64 + d * 60_000.0 > e as f64
        {
            dur = (e - m) as f64 / 60_000.0;
        }
        if dur != d {
            t.insert("duration".into(), super::num(dur));
        }
        t.insert("endmills".into(), (m + (dur * 60_000.0) as i64).into());
    }
    if !keep_zero {
        list.retain(|(_, t)| number(t, "duration").is_some_and(|d| d != 0.0));
    }
    list.into_iter().map(|(_, t)| t).collect()
}

/// `timeStringToSeconds` of "HH:MM".
fn seconds_of(entry: &Map<String, Value>) -> Option<i64> {
    if let Some(s) = entry.get("timeAsSeconds").and_then(super::js_number) {
        return Some(s as i64);
    }
    let t = entry.get("time")?.as_str()?;
    let (h, m) = t.split_once(':')?;
    Some(h.trim().parse::<i64>().ok()? * 3600 + m.trim().get(..2).unwrap_or(m.trim()).parse::<i64>().ok()? * 60)
}

impl Profile {
    /// The profile from the newest profile record and the recent treatments (oldest first).
    pub fn new(record: &Doc, treatments: &[Doc]) -> Option<Profile> {
        let (store, default_name) = match (record.get("store"), record.get("defaultProfile")) {
            (Some(Value::Object(s)), Some(Value::String(d))) => (s.clone(), d.clone()),
            _ => {
                let mut own = record.clone();
                for k in ["startDate", "_id", "created_at"] {
                    own.remove(k);
                }
                (Map::from_iter([("Default".to_owned(), Value::Object(own))]), "Default".to_owned())
            }
        };
        let mills = super::millis(record, "startDate").unwrap_or(0);
        let pick = |f: &dyn Fn(&str) -> bool| treatments.iter().filter(|t| event_is(t, f)).cloned().collect::<Vec<_>>();
        let switches = process_durations(pick(&|e| e == "Profile Switch"), true);
        let temps = process_durations(pick(&|e| e.contains("Temp Basal")), false);
        let combos = pick(&|e| e == "Combo Bolus");
        Some(Profile { store, default_name, mills, switches, temps, combos })
    }

    /// `activeProfileTreatmentToTime`: the Profile Switch in force.
    pub fn active_switch(&self, time: i64) -> Option<&Doc> {
        let mut found = None;
        for t in &self.switches {
            let m = mills_of(t);
            if time >= m && m >= self.mills {
                let d = number(t, "duration").unwrap_or(0.0);
                if d == 0.0 || (time as f64) < m as f64 + d * 60_000.0 {
                    found = Some(t);
                }
            }
        }
        found
    }

    /// `activeProfileToTime`: the name of the active profile (a switch that carries its own
    /// `profileJson` gets `@@@@@<mills>` appended, as Nightscout names it).
    pub fn active_name(&self, time: i64) -> String {
        match self.active_switch(time) {
            Some(t) => {
                let name = t.get("profile").and_then(Value::as_str).unwrap_or_default();
                if self.store.contains_key(name) {
                    name.to_owned()
                } else if t.contains_key("profileJson") {
                    format!("{name}@@@@@{}", mills_of(t))
                } else {
                    self.default_name.clone()
                }
            }
            None => self.default_name.clone(),
        }
    }

    /// `getCurrentProfile`: the active profile's values.
    pub fn current(&self, time: i64) -> Map<String, Value> {
        if let Some(t) = self.active_switch(time) {
            let name = t.get("profile").and_then(Value::as_str).unwrap_or_default();
            if let Some(Value::Object(p)) = self.store.get(name) {
                return p.clone();
            }
            let json = t.get("profileJson").and_then(Value::as_str).and_then(|j| serde_json::from_str(j).ok());
            if let Some(Value::Object(p)) = json {
                return p;
            }
        }
        self.store.get(&self.default_name).and_then(Value::as_object).cloned().unwrap_or_default()
    }

    pub fn timezone(&self, time: i64) -> Option<String> {
        self.current(time).get("timezone").and_then(Value::as_str).map(|z| z.replace("ETC", "Etc"))
    }

    /// Seconds since local midnight in the profile's time zone (UTC when it has none or an
    /// unknown one: the server's zone, as Nightscout on a server).
    fn seconds_of_day(&self, time: i64) -> i64 {
        let minute = (time as f64 / 60_000.0).round() as i64 * 60_000;
        let tz = self.timezone(time).and_then(|z| z.parse::<chrono_tz::Tz>().ok()).unwrap_or(chrono_tz::UTC);
        match tz.timestamp_millis_opt(minute).single() {
            Some(t) => i64::from(t.num_seconds_from_midnight()),
            None => minute.rem_euclid(86_400_000) / 1000,
        }
    }

    /// `getValueByTime`: a scalar, or the schedule entry in force; scaled by a circadian
    /// percentage switch (`CircadianPercentageProfile`).
    pub fn value(&self, time: i64, key: &str) -> Option<f64> {
        let profile = self.current(time);
        let raw = match profile.get(key)? {
            Value::Array(list) => {
                let secs = self.seconds_of_day(time);
                let mut out = None;
                for e in list.iter().filter_map(Value::as_object) {
                    if seconds_of(e).is_some_and(|s| secs >= s) {
                        out = e.get("value").cloned();
                    }
                }
                out.unwrap_or_else(|| Value::Array(list.clone()))
            }
            other => other.clone(),
        };
        let v = parse_float(&raw).filter(|v| *v != 0.0)?;
        let ccp = self.active_switch(time).filter(|t| t.get("CircadianPercentageProfile").is_some_and(truthy));
        let pct = ccp.and_then(|t| number(t, "percentage")).unwrap_or(100.0);
        Some(match key {
            "sens" | "carbratio" => v * 100.0 / pct,
            "basal" => v * pct / 100.0,
            _ => v,
        })
    }

    pub fn dia(&self, t: i64) -> Option<f64> {
        self.value(t, "dia")
    }
    pub fn sens(&self, t: i64) -> Option<f64> {
        self.value(t, "sens")
    }
    pub fn carb_ratio(&self, t: i64) -> Option<f64> {
        self.value(t, "carbratio")
    }
    pub fn carbs_hr(&self, t: i64) -> Option<f64> {
        self.value(t, "carbs_hr")
    }
    pub fn target_low(&self, t: i64) -> Option<f64> {
        self.value(t, "target_low")
    }
    pub fn target_high(&self, t: i64) -> Option<f64> {
        self.value(t, "target_high")
    }
    pub fn basal(&self, t: i64) -> Option<f64> {
        self.value(t, "basal")
    }

    /// `getTempBasal`: profile basal, the temp basal (absolute, else percent) and combo bolus.
    pub fn temp_basal(&self, time: i64) -> TempBasal {
        let basal = self.basal(time).unwrap_or(0.0);
        let treatment =
            self.temps.iter().find(|t| time >= mills_of(t) && time <= super::millis(t, "endmills").unwrap_or(0));
        let combo = self.combos.iter().rfind(|t| {
            let end = mills_of(t) as f64 + number(t, "duration").unwrap_or(0.0) * 60_000.0;
            (time as f64) < end && time > mills_of(t)
        });
        let mut tempbasal = basal;
        if let Some(t) = treatment {
            let absolute = t.get("absolute").and_then(super::js_number);
            if let Some(a) = absolute.filter(|_| number(t, "duration").is_some_and(|d| d > 0.0)) {
                tempbasal = a;
            } else if let Some(p) = number(t, "percent").filter(|p| *p != 0.0) {
                tempbasal = basal * (100.0 + p) / 100.0;
            }
        }
        let combobolusbasal = combo.and_then(|c| number(c, "relative")).unwrap_or(0.0);
        TempBasal {
            basal,
            treatment: treatment.cloned(),
            combo: combo.cloned(),
            tempbasal,
            combobolusbasal,
            totalbasal: tempbasal + combobolusbasal,
        }
    }
}

fn truthy(v: &Value) -> bool {
    !matches!(v, Value::Null | Value::Bool(false)) && v != &json!(0) && v != &json!("")
}

/// JavaScript `parseFloat`: the leading number of a string.
fn parse_float(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => {
            let s = s.trim();
            let end = s
                .char_indices()
                .take_while(|(i, c)| c.is_ascii_digit() || *c == '.' || (*i == 0 && (*c == '-' || *c == '+')))
                .map(|(i, c)| i + c.len_utf8())
                .last()?;
            s[..end].parse().ok()
        }
        _ => None,
    }
}
