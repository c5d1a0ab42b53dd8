//! Each bridge's health as `status.json` shows it (key `bridges`, a Ferroscout addition in the
//! spirit of Nocturne's connector status): last success, last error, next attempt, and whether
//! the dashboard should raise its banner. Never a credential: only our own messages, scrubbed.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};

use super::config::{BridgeConfig, Source};
use super::vendor::BridgeError;
use crate::domain::time::to_iso_utc;

#[derive(Debug, Clone, Default)]
struct State {
    last_success: Option<i64>,
    last_error: Option<String>,
    last_error_at: Option<i64>,
    failing_since: Option<i64>,
    needs_user: bool,
    failures: u32,
    next_attempt: Option<i64>,
    retry_in_ms: Option<u64>,
    newest_reading: Option<i64>,
    stored_total: u64,
    /// The last waits scheduled (ms), newest last: the back-off as it was computed.
    recent_waits: std::collections::VecDeque<u64>,
}

/// One bridge's health, shared by its task (writer) and `status.json` (reader).
#[derive(Debug)]
pub struct Health {
    source: String,
    label: &'static str,
    server: String,
    alert_after_ms: i64,
    /// Words that must never be shown (user name, password), replaced by `***`.
    secrets: Vec<String>,
    /// Set when the bridge cannot run at all (configuration), in plain words.
    unusable: Option<String>,
    state: Mutex<State>,
    /// With several instances: false while another instance holds this bridge's lease, whose
    /// report (`mirror`) `status.json` then shows, so every instance's dashboards see it.
    leading: AtomicBool,
    mirror: Mutex<Option<Value>>,
}

/// The host (and port) of a base URL, without scheme, credentials or path.
fn host_of(base: &str) -> String {
    let rest = base.split_once("://").map_or(base, |(_, r)| r);
    let host = rest.split('/').next().unwrap_or_default();
    host.rsplit_once('@').map_or(host, |(_, h)| h).to_owned()
}

fn iso(ms: Option<i64>) -> Value {
    ms.and_then(to_iso_utc).map_or(Value::Null, Value::String)
}

impl Health {
    pub fn new(c: &BridgeConfig) -> Arc<Health> {
        let secrets =
            [c.username.clone(), c.password.expose().to_owned()].into_iter().filter(|s| s.len() >= 3).collect();
        Arc::new(Health {
            source: c.source.name().into(),
            label: c.source.label(),
            server: host_of(&c.base_url),
            alert_after_ms: i64::try_from(c.timing.alert_after.as_millis()).unwrap_or(i64::MAX),
            secrets,
            unusable: None,
            state: Mutex::default(),
            leading: AtomicBool::new(true),
            mirror: Mutex::default(),
        })
    }

    /// A bridge asked for that cannot run; `reason` names settings, never their values.
    pub fn unusable(source: &str, reason: &str) -> Arc<Health> {
        let label = [Source::DexcomShare, Source::LinkUp, Source::CareLink]
            .into_iter()
            .find(|s| s.name() == source)
            .map_or("Bridge", Source::label);
        Arc::new(Health {
            source: source.into(),
            label,
            server: String::new(),
            alert_after_ms: 0,
            secrets: Vec::new(),
            unusable: Some(reason.into()),
            state: Mutex::default(),
            leading: AtomicBool::new(true),
            mirror: Mutex::default(),
        })
    }

    fn scrub(&self, text: &str) -> String {
        self.secrets.iter().fold(text.to_owned(), |t, s| t.replace(s.as_str(), "***"))
    }

    fn with<R>(&self, f: impl FnOnce(&mut State) -> R) -> R {
        let mut g = self.state.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut g)
    }

    pub fn succeeded(&self, now: i64, newest: Option<i64>, stored: usize) {
        self.with(|s| {
            s.last_success = Some(now);
            s.failing_since = None;
            s.needs_user = false;
            s.failures = 0;
            s.newest_reading = newest.or(s.newest_reading);
            s.stored_total += stored as u64;
        });
    }

    /// Records a failure; returns how many in a row, and the message as logged.
    pub fn failed(&self, now: i64, err: &BridgeError) -> (u32, String) {
        let message = self.scrub(&err.message());
        self.with(|s| {
            s.failures += 1;
            s.last_error = Some(message.clone());
            s.last_error_at = Some(now);
            s.failing_since.get_or_insert(now);
            s.needs_user = err.needs_user();
            (s.failures, message.clone())
        })
    }

    pub fn scheduled(&self, now: i64, wait_ms: u64) {
        self.with(|s| {
            s.next_attempt = Some(now + i64::try_from(wait_ms).unwrap_or(i64::MAX / 2));
            s.retry_in_ms = Some(wait_ms);
            if s.recent_waits.len() == 8 {
                s.recent_waits.pop_front();
            }
            s.recent_waits.push_back(wait_ms);
        });
    }

    /// This instance polls the vendor (true) or another does (false, showing `report`: the
    /// holder's own `status.json` object, when it left one).
    pub fn set_leading(&self, leading: bool, report: Option<Value>) {
        self.leading.store(leading, Ordering::Relaxed);
        if !leading {
            *self.mirror.lock().unwrap_or_else(|p| p.into_inner()) = report;
        }
    }

    /// The `status.json` object.
    pub fn to_json(&self, now: i64) -> Value {
        if !self.leading.load(Ordering::Relaxed)
            && let Some(report) = self.mirror.lock().unwrap_or_else(|p| p.into_inner()).clone()
        {
            return report;
        }
        if let Some(reason) = &self.unusable {
            return json!({
                "source": self.source, "name": self.label, "state": "not-configured", "alert": true,
                "message": format!("{} is not running: {reason}.", self.label),
            });
        }
        let s = self.with(|s| s.clone());
        let failing_for = s.failing_since.map(|t| now - t);
        let state = match (&s.failing_since, s.needs_user, s.last_success) {
            (Some(_), true, _) => "needs-action",
            (Some(_), false, _) => "failing",
            (None, _, Some(_)) => "ok",
            (None, _, None) => "starting",
        };
        let alert = s.needs_user || failing_for.is_some_and(|f| f >= self.alert_after_ms);
        let message = match state {
            "needs-action" => format!("{} needs you: {}", self.label, s.last_error.clone().unwrap_or_default()),
            "failing" => format!(
                "{} has failed for {} min: {}",
                self.label,
                failing_for.unwrap_or(0) / 60_000,
                s.last_error.clone().unwrap_or_default()
            ),
            "ok" => format!("{} is working", self.label),
            _ => format!("{} is starting", self.label),
        };
        json!({
            "source": self.source,
            "name": self.label,
            "server": self.server,
            "state": state,
            "alert": alert,
            "message": message,
            "lastSuccess": s.last_success,
            "lastSuccessString": iso(s.last_success),
            "lastError": s.last_error,
            "lastErrorAt": s.last_error_at,
            "failingSince": s.failing_since,
            "consecutiveFailures": s.failures,
            "nextAttempt": s.next_attempt,
            "nextAttemptString": iso(s.next_attempt),
            "retryInMs": s.retry_in_ms,
            "recentWaitsMs": s.recent_waits,
            "newestReading": s.newest_reading,
            "readingsStored": s.stored_total,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_server_shown_is_only_the_host() {
        assert_eq!(host_of("https://share2.dexcom.com"), "share2.dexcom.com");
        assert_eq!(host_of("http://u:p@127.0.0.1:8080/base/"), "127.0.0.1:8080");
    }
}
