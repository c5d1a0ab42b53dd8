//! Brute-force protection (`lib/authorization/delaylist.js`): each failed authentication from
//! an address pushes that address's "blocked until" time further by `AUTH_FAIL_DELAY`; any
//! later request from it that reaches authorization waits until then; a success clears it.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Entries are aged out this long after they expire.
const KEEP: Duration = Duration::from_secs(60);
/// At most this many addresses are tracked; beyond it the expired ones are dropped first.
const MAX_TRACKED: usize = 10_000;
/// No request waits longer than this, however many failures came before.
const MAX_WAIT: Duration = Duration::from_secs(60);

pub struct DelayList {
    step: Duration,
    until: Mutex<HashMap<IpAddr, Instant>>,
}

impl DelayList {
    pub fn new(step: Duration) -> DelayList {
        DelayList { step, until: Mutex::new(HashMap::new()) }
    }

    /// How long a request from `ip` must wait before it is authorized.
    pub fn wait_for(&self, ip: IpAddr) -> Duration {
        let now = Instant::now();
        let map = self.until.lock().unwrap_or_else(|e| e.into_inner());
        map.get(&ip).map(|u| u.saturating_duration_since(now)).unwrap_or_default()
    }

    pub fn record_failure(&self, ip: IpAddr) {
        if self.step.is_zero() {
            return;
        }
        let now = Instant::now();
        let mut map = self.until.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= MAX_TRACKED {
            map.retain(|_, u| *u + KEEP > now);
            if map.len() >= MAX_TRACKED {
                map.clear();
            }
        }
        let prev = map.get(&ip).copied().filter(|u| *u > now).unwrap_or(now);
        map.insert(ip, (prev + self.step).min(now + MAX_WAIT));
    }

    pub fn clear(&self, ip: IpAddr) {
        self.until.lock().unwrap_or_else(|e| e.into_inner()).remove(&ip);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_accumulate_and_success_clears() {
        let d = DelayList::new(Duration::from_secs(5));
        let ip: IpAddr = "10.0.0.1".parse().unwrap();
        let other: IpAddr = "10.0.0.2".parse().unwrap();
        assert_eq!(d.wait_for(ip), Duration::ZERO);
        d.record_failure(ip);
        d.record_failure(ip);
        assert!(d.wait_for(ip) > Duration::from_secs(9));
        assert_eq!(d.wait_for(other), Duration::ZERO);
        d.clear(ip);
        assert_eq!(d.wait_for(ip), Duration::ZERO);
    }

    #[test]
    fn waits_are_capped() {
        let d = DelayList::new(Duration::from_secs(50));
        let ip: IpAddr = "10.0.0.1".parse().unwrap();
        for _ in 0..5 {
            d.record_failure(ip);
        }
        assert!(d.wait_for(ip) <= MAX_WAIT);
    }
}
