//! Which instance does a job that must run once across all of them (a bridge polling a vendor):
//! a lease in Redis when `REDIS_URL` is set, else in the store, renewed by the holder each round.

use std::time::Duration;

use super::Shared;

/// Ask before each round: `if leadership.hold("dexcom", period * 3).await { poll() }`.
/// The lease is renewed by every `hold` of its holder; if the holder stops (crash, SIGKILL),
/// another instance takes it once `ttl` has run out. Pick `ttl` a few rounds long.
#[derive(Clone)]
pub struct Leadership {
    shared: Shared,
}

impl Leadership {
    pub fn new(shared: Shared) -> Leadership {
        Leadership { shared }
    }

    /// True when this instance holds the lease `job` for the next `ttl` (taken or renewed now).
    pub async fn hold(&self, job: &str, ttl: Duration) -> bool {
        self.shared.lease(job, ttl).await
    }

    /// The holder's report of `job` (e.g. a bridge's health) for the others, for `ttl`.
    pub async fn report(&self, job: &str, value: &serde_json::Value, ttl: Duration) {
        self.shared.publish(job, value, ttl).await
    }

    /// The holder's latest report of `job`, while it lasts.
    pub async fn holder_report(&self, job: &str) -> Option<serde_json::Value> {
        self.shared.published(job).await
    }

    /// This instance's name.
    pub fn instance(&self) -> &str {
        self.shared.instance()
    }
}
