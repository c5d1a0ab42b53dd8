//! State that must agree across instances (issue #17): auth-failure delays per address, alarm
//! snoozes, and leases (one instance polls each vendor). In Redis when `REDIS_URL` is set; leases
//! fall back to the store, the rest to this process's memory (one instance). A Redis that does
//! not answer never fails a request: its callers fall back the same way and Redis is retried.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};

use crate::config::scale::Scale;
use crate::store::Store;

mod leadership;
pub use leadership::Leadership;

/// How long one Redis command may take before its caller falls back.
const REDIS_TIMEOUT: Duration = Duration::from_secs(2);
/// Key prefix for everything Ferroscout keeps in Redis.
const PREFIX: &str = "ferroscout";

/// The reconnecting connection settings every Redis user here shares.
pub(crate) fn redis_config() -> ConnectionManagerConfig {
    ConnectionManagerConfig::new()
        .set_response_timeout(Some(REDIS_TIMEOUT))
        .set_connection_timeout(Some(REDIS_TIMEOUT))
        .set_max_delay(Duration::from_secs(2))
        .set_number_of_retries(3)
}

/// A client for `url`, speaking RESP3 (pub/sub pushes on a shared connection need it).
pub(crate) fn redis_client(url: &str) -> Result<redis::Client, String> {
    use redis::IntoConnectionInfo;
    let info = url.into_connection_info().map_err(|e| format!("REDIS_URL is not a valid Redis URL: {:?}", e.kind()))?;
    let settings = info.redis_settings().clone().set_protocol(redis::ProtocolVersion::RESP3);
    redis::Client::open(info.set_redis_settings(settings)).map_err(|e| format!("REDIS_URL: {:?}", e.kind()))
}

#[derive(Clone, Default)]
pub struct Shared {
    redis: Option<ConnectionManager>,
    /// For leases when Redis is not configured or does not answer.
    store: Option<Arc<dyn Store>>,
    instance: Arc<str>,
}

impl Shared {
    /// Connects to Redis when `REDIS_URL` is set.
    pub async fn connect(scale: &Scale, store: Arc<dyn Store>) -> Result<Shared, String> {
        let redis = match &scale.redis_url {
            None => None,
            Some(url) => Some(
                ConnectionManager::new_with_config(redis_client(url.expose())?, redis_config())
                    .await
                    .map_err(|e| format!("cannot reach Redis (REDIS_URL): {:?}", e.kind()))?,
            ),
        };
        Ok(Shared { redis, store: Some(store), instance: scale.instance.as_str().into() })
    }

    /// Runs `cmd` on Redis; `None` without Redis or when it fails (logged).
    async fn run<T: redis::FromRedisValue>(&self, what: &str, cmd: impl FnOnce() -> redis::Cmd) -> Option<T> {
        let mut conn = self.redis.clone()?;
        match tokio::time::timeout(REDIS_TIMEOUT, cmd().query_async::<T>(&mut conn)).await {
            Ok(Ok(v)) => Some(v),
            Ok(Err(e)) => {
                tracing::warn!("redis: {what} failed, using this instance's state: {:?}", e.kind());
                None
            }
            Err(_) => {
                tracing::warn!("redis: {what} timed out, using this instance's state");
                None
            }
        }
    }

    /// After one more failed authentication from `ip`: the epoch ms it is blocked until, pushed
    /// `step_ms` further (at most `cap_ms` from now), as every instance sees it.
    pub async fn delay_failure(&self, ip: IpAddr, now_ms: i64, step_ms: i64, cap_ms: i64) -> Option<i64> {
        const SCRIPT: &str = "local prev = tonumber(redis.call('GET', KEYS[1]) or '0') \
            local now = tonumber(ARGV[1]) if prev < now then prev = now end \
            local u = math.min(prev + tonumber(ARGV[2]), now + tonumber(ARGV[3])) \
            redis.call('SET', KEYS[1], u, 'PX', u - now + 60000) return u";
        let key = format!("{PREFIX}:authdelay:{ip}");
        self.run("auth delay", || {
            let mut c = redis::cmd("EVAL");
            c.arg(SCRIPT).arg(1).arg(key).arg(now_ms).arg(step_ms).arg(cap_ms);
            c
        })
        .await
    }

    /// The epoch ms `ip` is blocked until (0: not blocked); `None` without Redis.
    pub async fn delay_until(&self, ip: IpAddr) -> Option<i64> {
        let key = format!("{PREFIX}:authdelay:{ip}");
        self.run::<Option<i64>>("auth delay", || {
            let mut c = redis::cmd("GET");
            c.arg(key);
            c
        })
        .await
        .map(|v| v.unwrap_or(0))
    }

    pub async fn delay_clear(&self, ip: IpAddr) {
        let key = format!("{PREFIX}:authdelay:{ip}");
        let _: Option<i64> = self
            .run("auth delay", || {
                let mut c = redis::cmd("DEL");
                c.arg(key);
                c
            })
            .await;
    }

    /// Records an alarm snooze (`level`, `group`, until epoch ms) for every instance.
    pub async fn snooze(&self, level: i64, group: &str, until_ms: i64) {
        const SCRIPT: &str = "local cur = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0') \
            if tonumber(ARGV[2]) > cur then redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) end \
            redis.call('PEXPIRE', KEYS[1], 86400000 + 60000) return 1";
        let field = format!("{level}|{group}");
        let _: Option<i64> = self
            .run("alarm snooze", || {
                let mut c = redis::cmd("EVAL");
                c.arg(SCRIPT).arg(1).arg(format!("{PREFIX}:snoozes")).arg(field).arg(until_ms);
                c
            })
            .await;
    }

    /// Every instance's snoozes (`level`, `group`, until epoch ms); `None` without Redis.
    pub async fn snoozes(&self) -> Option<Vec<(i64, String, i64)>> {
        let all: std::collections::HashMap<String, i64> = self
            .run("alarm snoozes", || {
                let mut c = redis::cmd("HGETALL");
                c.arg(format!("{PREFIX}:snoozes"));
                c
            })
            .await?;
        Some(
            all.into_iter()
                .filter_map(|(k, until)| {
                    let (level, group) = k.split_once('|')?;
                    Some((level.parse().ok()?, group.to_owned(), until))
                })
                .collect(),
        )
    }

    /// Leaves `value` under `name` for every instance to read for `ttl` (a lease holder's report
    /// of its job: a bridge's health). In Redis, else in the store (MongoDB); SQLite has one server.
    pub async fn publish(&self, name: &str, value: &serde_json::Value, ttl: Duration) {
        let ttl_ms = ttl.as_millis().clamp(1, i64::MAX as u128) as i64;
        let text = value.to_string();
        let key = format!("{PREFIX}:note:{name}");
        let done: Option<()> = self
            .run("publish", || {
                let mut c = redis::cmd("SET");
                c.arg(key).arg(&text).arg("PX").arg(ttl_ms);
                c
            })
            .await;
        if done.is_some() {
            return;
        }
        if let Some(store) = &self.store
            && let Err(e) = store.put_note(name, &text, ttl_ms).await
        {
            tracing::warn!("publish {name}: the store did not answer ({e})");
        }
    }

    /// What another instance left under `name` with [`Shared::publish`], while it lasts.
    pub async fn published(&self, name: &str) -> Option<serde_json::Value> {
        let key = format!("{PREFIX}:note:{name}");
        let text = match self
            .run::<Option<String>>("published", || {
                let mut c = redis::cmd("GET");
                c.arg(key);
                c
            })
            .await
        {
            Some(v) => v,
            None => match &self.store {
                Some(store) => store.note(name).await.unwrap_or_else(|e| {
                    tracing::warn!("published {name}: the store did not answer ({e})");
                    None
                }),
                None => None,
            },
        };
        text.and_then(|t| serde_json::from_str(&t).ok())
    }

    /// This instance's name (`FERROSCOUT_INSTANCE`).
    pub fn instance(&self) -> &str {
        &self.instance
    }

    /// Takes or renews the lease `name` for `ttl`: true when this instance holds it.
    async fn lease(&self, name: &str, ttl: Duration) -> bool {
        const SCRIPT: &str = "local cur = redis.call('GET', KEYS[1]) \
            if cur == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end \
            if not cur then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1 end \
            return 0";
        let ttl_ms = ttl.as_millis().min(i64::MAX as u128) as i64;
        let key = format!("{PREFIX}:lease:{name}");
        let held: Option<i64> = self
            .run("lease", || {
                let mut c = redis::cmd("EVAL");
                c.arg(SCRIPT).arg(1).arg(key).arg(&*self.instance).arg(ttl_ms);
                c
            })
            .await;
        if let Some(h) = held {
            return h == 1;
        }
        match &self.store {
            // The store decides (MongoDB: a lease document; SQLite: one instance, always ours).
            Some(store) => match store.lease(name, &self.instance, ttl_ms).await {
                Ok(held) => held,
                Err(e) => {
                    tracing::warn!("lease {name}: the store did not answer ({e}); not polling this round");
                    false
                }
            },
            None => true,
        }
    }
}
