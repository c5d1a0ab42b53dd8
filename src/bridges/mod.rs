//! Readings pulled from the vendors' clouds (Nightscout's `connect` / legacy `bridge`): one task
//! per configured source, polling on the sensor's cadence, backing off on failure, writing
//! through the entries write rules, with its health in `status.json`.

use std::collections::HashSet;
use std::sync::Arc;

use serde_json::Value;

use tokio_util::sync::CancellationToken;

use crate::config::Config;
use crate::domain::Doc;
use crate::domain::time::now_ms;
use crate::shared::Leadership;
use crate::store::Store;
use crate::write::Writer;

mod carelink;
pub mod config;
mod dexcom;
mod health;
mod librelinkup;
pub mod schedule;
mod store;
mod vendor;

use config::{BridgeConfig, Source};
use health::Health;
use vendor::{BridgeError, Vendor};

/// The configured bridges and their health; cheap to clone (kept in `AppState`).
#[derive(Clone, Default)]
pub struct Bridges {
    run: Arc<Vec<(BridgeConfig, Arc<Health>)>>,
    unusable: Arc<Vec<Arc<Health>>>,
}

impl Bridges {
    /// The bridges the configuration asks for; nothing runs until [`Bridges::run`].
    pub fn new(c: &Config) -> Bridges {
        let run = c.bridges.run.iter().map(|b| (b.clone(), Health::new(b))).collect();
        let unusable = c
            .bridges
            .unusable
            .iter()
            .map(|u| {
                tracing::error!(source = %u.source, "bridge not started: {}", u.reason);
                Health::unusable(&u.source, &u.reason)
            })
            .collect();
        Bridges { run: Arc::new(run), unusable: Arc::new(unusable) }
    }

    /// True when the configuration asks for any bridge (working or not).
    pub fn any(&self) -> bool {
        !self.run.is_empty() || !self.unusable.is_empty()
    }

    /// `status.json`'s `bridges`: one object per bridge asked for.
    pub fn status(&self, now: i64) -> Value {
        let all = self.run.iter().map(|(_, h)| h.to_json(now)).chain(self.unusable.iter().map(|h| h.to_json(now)));
        Value::Array(all.collect())
    }

    /// Runs every bridge until `stop` is cancelled. Reads go to `store`, writes through `writer`
    /// (the entries write rules, over the notifying store).
    /// With several instances, only the holder of each bridge's lease (`leadership`) polls it.
    pub async fn run(self, store: Arc<dyn Store>, writer: Writer, leadership: Leadership, stop: CancellationToken) {
        let mut tasks = tokio::task::JoinSet::new();
        for (cfg, health) in self.run.iter() {
            let (cfg, health, store, writer, stop, leadership) =
                (cfg.clone(), health.clone(), store.clone(), writer.clone(), stop.clone(), leadership.clone());
            tracing::info!(source = cfg.source.name(), "bridge starting: pulling readings from {}", cfg.source.label());
            tasks.spawn(async move {
                tokio::select! {
                    _ = run_one(cfg, health, store, writer, leadership) => {}
                    _ = stop.cancelled() => {}
                }
            });
        }
        while tasks.join_next().await.is_some() {}
    }
}

fn vendor_for(cfg: &BridgeConfig) -> Box<dyn Vendor> {
    match cfg.source {
        Source::DexcomShare => Box::new(dexcom::Dexcom::new(cfg.clone())),
        Source::LinkUp => Box::new(librelinkup::LinkUp::new(cfg.clone())),
        Source::CareLink => Box::new(carelink::CareLink::new(cfg.clone())),
    }
}

fn jitter(cfg: &BridgeConfig) -> std::time::Duration {
    let bound = u64::try_from(cfg.timing.jitter.as_millis()).unwrap_or(u64::MAX);
    std::time::Duration::from_millis(schedule::random_below(bound))
}

/// How often (at most; the sensor's cadence when shorter) an instance that does not hold a
/// bridge's lease checks whether it is free and reads the holder's report.
const FOLLOWER_CHECK: std::time::Duration = std::time::Duration::from_secs(30);
/// The holder's lease lasts its wait to the next poll plus this, so a holder that died (SIGKILL)
/// is replaced at most this long after its poll was due.
const LEASE_MARGIN: std::time::Duration = std::time::Duration::from_secs(60);

async fn run_one(
    cfg: BridgeConfig,
    health: Arc<Health>,
    store: Arc<dyn Store>,
    writer: Writer,
    leadership: Leadership,
) {
    let mut vendor = vendor_for(&cfg);
    let name = cfg.source.name();
    let lease = format!("bridge:{name}");
    loop {
        if !leadership.hold(&lease, LEASE_MARGIN).await {
            tracing::debug!(source = name, "bridge: another instance polls this vendor");
            health.set_leading(false, leadership.holder_report(&lease).await);
            tokio::time::sleep(FOLLOWER_CHECK.min(cfg.timing.cadence)).await;
            continue;
        }
        health.set_leading(true, None);
        let started = now_ms();
        let wait = match poll(vendor.as_mut(), store.as_ref(), &writer, started).await {
            Ok((newest, stored)) => {
                health.succeeded(now_ms(), newest, stored);
                if stored > 0 {
                    tracing::info!(source = name, stored, "bridge stored new readings");
                }
                schedule::after_success(&cfg.timing, newest, now_ms(), jitter(&cfg))
            }
            Err(e) => {
                let (failures, message) = health.failed(now_ms(), &e);
                let wait = schedule::after_failure(&cfg.timing, &e, failures, jitter(&cfg));
                tracing::warn!(source = name, failures, retry_in_s = wait.as_secs(), "bridge poll failed: {message}");
                wait
            }
        };
        health.scheduled(now_ms(), u64::try_from(wait.as_millis()).unwrap_or(u64::MAX));
        // Keep the lease through the wait, so no other instance polls in between, and tell the
        // others how it went (their status.json shows this instance's report).
        leadership.hold(&lease, wait + LEASE_MARGIN).await;
        let mut report = health.to_json(now_ms());
        report["polledBy"] = Value::String(leadership.instance().to_owned());
        leadership.report(&lease, &report, wait + LEASE_MARGIN).await;
        tokio::time::sleep(wait).await;
    }
}

/// One poll: fetch from the newest stored reading on (at most two days back) and write the
/// readings newer than it, each date once. Older ones are never rewritten (nightscout-connect's
/// `is_newer`): LibreLinkUp's 15-minute history and CareLink's day of readings come back on every
/// poll, and a reading someone deleted stays deleted.
async fn poll(
    vendor: &mut dyn Vendor,
    db: &dyn Store,
    writer: &Writer,
    now: i64,
) -> Result<(Option<i64>, usize), BridgeError> {
    let db_down = |e: crate::store::StoreError| {
        tracing::warn!("bridge: database error: {e}");
        BridgeError::Transient("cannot reach our own database".into())
    };
    let newest = store::newest_reading(db, now).await.map_err(db_down)?;
    let floor = now - store::MAX_BACKFILL_MS;
    let since = newest.unwrap_or(floor).max(floor);
    let readings = vendor.fetch(since, now).await?;
    let mut seen = HashSet::new();
    let fresh: Vec<Doc> = readings
        .into_iter()
        .filter(|d| store::date_of(d).is_some_and(|t| t > since && t <= now + store::MAX_AHEAD_MS && seen.insert(t)))
        .collect();
    if fresh.is_empty() {
        return Ok((newest, 0));
    }
    let newest_now = fresh.iter().filter_map(store::date_of).chain(newest).max();
    let stored = fresh.len();
    writer.create_entries(fresh).await.map_err(db_down)?;
    Ok((newest_now, stored))
}
