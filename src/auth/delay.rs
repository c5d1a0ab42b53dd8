//! Brute-force protection (`lib/authorization/delaylist.js`): each failed authentication from
//! an address pushes that address's "blocked until" time further by `AUTH_FAIL_DELAY`; any
//! later request from it that reaches authorization waits until then; a success clears it.
//! With several instances the "blocked until" times live in Redis (`Shared`), so an attacker
//! cannot multiply their attempts by the number of instances; this map is the fallback.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::domain::time::now_ms;
use crate::shared::Shared;

/// Entries are aged out this long after they expire.
const KEEP: Duration = Duration::from_secs(60);
/// At most this many addresses are tracked; beyond it the expired ones are dropped first.
const MAX_TRACKED: usize = 10_000;
/// No request waits longer than this, however many failures came before.
const MAX_WAIT: Duration = Duration::from_secs(60);

pub struct DelayList {
    step: Duration,
    until: Mutex<HashMap<IpAddr, Instant>>,
    shared: Shared,
}

impl DelayList {
    pub fn new(step: Duration) -> DelayList {
        DelayList { step, until: Mutex::new(HashMap::new()), shared: Shared::default() }
    }

    pub fn share(&mut self, shared: Shared) {
        self.shared = shared;
    }

    /// How long a request from `ip` must wait before it is authorized.
    pub async fn wait_for(&self, ip: IpAddr) -> Duration {
        let local = self.local_wait(ip);
        if self.step.is_zero() {
            return local;
        }
        match self.shared.delay_until(ip).await {
            Some(until) => Duration::from_millis((until - now_ms()).clamp(0, MAX_WAIT.as_millis() as i64) as u64),
            None => local,
        }
    }

    fn local_wait(&self, ip: IpAddr) -> Duration {
        let now = Instant::now();
        let map = self.until.lock().unwrap_or_else(|e| e.into_inner());
        map.get(&ip).map(|u| u.saturating_duration_since(now)).unwrap_or_default()
    }

    pub async fn record_failure(&self, ip: IpAddr) {
        if self.step.is_zero() {
            return;
        }
        self.record_local(ip);
        let (step, cap) = (self.step.as_millis() as i64, MAX_WAIT.as_millis() as i64);
        let _ = self.shared.delay_failure(ip, now_ms(), step, cap).await;
    }

    fn record_local(&self, ip: IpAddr) {
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

    pub async fn clear(&self, ip: IpAddr) {
        self.until.lock().unwrap_or_else(|e| e.into_inner()).remove(&ip);
        if !self.step.is_zero() {
            self.shared.delay_clear(ip).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn failures_accumulate_and_success_clears() {
        let d = DelayList::new(Duration::from_secs(5));
        let ip: IpAddr = "10.0.0.1".parse().unwrap();
        let other: IpAddr = "10.0.0.2".parse().unwrap();
        assert_eq!(d.wait_for(ip).await, Duration::ZERO);
        d.record_failure(ip).await;
        d.record_failure(ip).await;
        assert!(d.wait_for(ip).await > Duration::from_secs(9));
        assert_eq!(d.wait_for(other).await, Duration::ZERO);
        d.clear(ip).await;
        assert_eq!(d.wait_for(ip).await, Duration::ZERO);
    }

    #[tokio::test]
    async fn waits_are_capped() {
        let d = DelayList::new(Duration::from_secs(50));
        let ip: IpAddr = "10.0.0.1".parse().unwrap();
        for _ in 0..5 {
            d.record_failure(ip).await;
        }
        assert!(d.wait_for(ip).await <= MAX_WAIT);
    }
}
