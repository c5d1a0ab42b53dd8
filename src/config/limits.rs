//! What one client, or all of them, may hold of the server at once: connections (in total and
//! per address), the time a request body may take, how many whole-collection answers
//! (`count=0`) stream at once. README "Limits and failure behaviour" lists them.

use std::time::Duration;

use super::{ConfigError, Env};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// `FERROSCOUT_BODY_TIMEOUT` (seconds, default 60): the whole request body must arrive in
    /// this time, else 408 and the connection is closed.
    pub body_timeout: Duration,
    /// `FERROSCOUT_MAX_CONNECTIONS` (default 10,000): open connections in total.
    pub max_connections: usize,
    /// `FERROSCOUT_MAX_CONNECTIONS_PER_ADDRESS` (default 256): open connections from one peer
    /// address. Applied only when clients connect directly (`FERROSCOUT_TRUSTED_PROXIES=0`):
    /// behind a proxy every connection comes from the proxy.
    pub max_connections_per_address: usize,
    /// `FERROSCOUT_MAX_LARGE_READS` (default 4): answers of more than `STREAM_THRESHOLD`
    /// documents (`count=0`, a huge `count`) streamed at once; others wait for a slot.
    pub max_large_reads: usize,
    /// `FERROSCOUT_LARGE_READ_WAIT` (seconds, default 10): how long a large read waits for a
    /// slot before its 503 (`Retry-After`).
    pub large_read_wait: Duration,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            body_timeout: Duration::from_secs(60),
            max_connections: 10_000,
            max_connections_per_address: 256,
            max_large_reads: 4,
            large_read_wait: Duration::from_secs(10),
        }
    }
}

impl Limits {
    pub(crate) fn from_env(env: &Env<'_>) -> Result<Limits, ConfigError> {
        let d = Limits::default();
        Ok(Limits {
            body_timeout: seconds(env, "FERROSCOUT_BODY_TIMEOUT", d.body_timeout)?,
            max_connections: count(env, "FERROSCOUT_MAX_CONNECTIONS", d.max_connections)?,
            max_connections_per_address: count(
                env,
                "FERROSCOUT_MAX_CONNECTIONS_PER_ADDRESS",
                d.max_connections_per_address,
            )?,
            max_large_reads: count(env, "FERROSCOUT_MAX_LARGE_READS", d.max_large_reads)?,
            large_read_wait: seconds(env, "FERROSCOUT_LARGE_READ_WAIT", d.large_read_wait)?,
        })
    }
}

/// A number of seconds above 0 (fractions allowed), at most a day.
fn seconds(env: &Env<'_>, name: &'static str, default: Duration) -> Result<Duration, ConfigError> {
    let secs = env.number(name, default.as_secs_f64())?;
    if secs <= 0.0 {
        return Err(ConfigError::Invalid { name, what: "a number of seconds above 0", value: secs.to_string() });
    }
    Ok(Duration::from_secs_f64(secs.min(86_400.0)))
}

/// A whole number above 0.
fn count(env: &Env<'_>, name: &'static str, default: usize) -> Result<usize, ConfigError> {
    match env.get(name) {
        None => Ok(default),
        Some(v) => v.parse::<usize>().ok().filter(|n| *n > 0).ok_or(ConfigError::Invalid {
            name,
            what: "a whole number above 0",
            value: v,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(vars: &[(&str, &str)]) -> Result<Limits, ConfigError> {
        let lookup = |k: &str| vars.iter().find(|(n, _)| *n == k).map(|(_, v)| v.to_string());
        Limits::from_env(&Env::new(&lookup))
    }

    #[test]
    fn limits_have_defaults_and_refuse_nonsense() {
        assert_eq!(limits(&[]).unwrap(), Limits::default());
        let l = limits(&[("FERROSCOUT_BODY_TIMEOUT", "0.5"), ("FERROSCOUT_MAX_CONNECTIONS", "3")]).unwrap();
        assert_eq!((l.body_timeout, l.max_connections), (Duration::from_millis(500), 3));
        assert!(limits(&[("FERROSCOUT_BODY_TIMEOUT", "0")]).is_err());
        assert!(limits(&[("FERROSCOUT_MAX_CONNECTIONS_PER_ADDRESS", "0")]).is_err());
        assert!(limits(&[("FERROSCOUT_MAX_LARGE_READS", "many")]).is_err());
    }
}
