//! Scale-out settings: `SOCKETIO_ADAPTER` (`local`, `redis`, `mongodb`) and `REDIS_URL`.
//! One instance needs neither; several share socket.io through the adapter and the state that
//! must agree (auth-failure delays, alarm snoozes, bridge leases) through Redis when it is set.

use super::{ConfigError, Env, Secret};

/// How the instances' socket.io servers reach each other.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Adapter {
    /// One instance: nothing shared.
    Local,
    /// socketioxide's Redis adapter (pub/sub on `REDIS_URL`).
    Redis,
    /// socketioxide's MongoDB adapter (change streams on the store's database; needs a replica
    /// set, which Atlas always is).
    MongoDb,
}

#[derive(Debug, Clone)]
pub struct Scale {
    pub adapter: Adapter,
    /// `REDIS_URL` (`redis://[:password@]host:port[/db]`, `rediss://` for TLS).
    pub redis_url: Option<Secret>,
    /// `FERROSCOUT_INSTANCE` (default: host name and process id): names this instance in leases.
    pub instance: String,
}

impl Default for Scale {
    fn default() -> Scale {
        Scale { adapter: Adapter::Local, redis_url: None, instance: default_instance() }
    }
}

fn default_instance() -> String {
    let host = std::env::var("HOSTNAME").or_else(|_| std::env::var("COMPUTERNAME")).unwrap_or_default();
    format!("{}-{}", if host.is_empty() { "ferroscout" } else { &host }, std::process::id())
}

impl Scale {
    pub(crate) fn from_env(env: &Env<'_>, has_mongo: bool) -> Result<Scale, ConfigError> {
        let redis_url = env.get("REDIS_URL").map(Secret::new);
        let adapter = match env.get("SOCKETIO_ADAPTER").map(|v| v.to_ascii_lowercase()).as_deref() {
            None | Some("") => {
                if redis_url.is_some() {
                    Adapter::Redis
                } else {
                    Adapter::Local
                }
            }
            Some("local" | "none") => Adapter::Local,
            Some("redis") if redis_url.is_some() => Adapter::Redis,
            Some("redis") => {
                return Err(ConfigError::Incomplete { name: "SOCKETIO_ADAPTER=redis", missing: "REDIS_URL" });
            }
            Some("mongodb" | "mongo") if has_mongo => Adapter::MongoDb,
            Some("mongodb" | "mongo") => {
                return Err(ConfigError::Incomplete { name: "SOCKETIO_ADAPTER=mongodb", missing: "MONGODB_URI" });
            }
            Some(other) => {
                return Err(ConfigError::Invalid {
                    name: "SOCKETIO_ADAPTER",
                    what: "local, redis or mongodb",
                    value: other.to_owned(),
                });
            }
        };
        if let Some(url) = &redis_url
            && !(url.expose().starts_with("redis://") || url.expose().starts_with("rediss://"))
        {
            return Err(ConfigError::Invalid {
                name: "REDIS_URL",
                what: "a redis:// or rediss:// URL",
                value: "(hidden)".into(),
            });
        }
        let instance = env.get("FERROSCOUT_INSTANCE").unwrap_or_else(default_instance);
        Ok(Scale { adapter, redis_url, instance })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::config::Config;

    fn scale(vars: &[(&str, &str)]) -> Result<Scale, ConfigError> {
        let map: HashMap<String, String> = vars.iter().map(|(k, v)| ((*k).into(), (*v).into())).collect();
        Config::from_lookup(&|k| map.get(k).cloned()).map(|c| c.scale)
    }

    #[test]
    fn one_instance_needs_no_adapter() {
        assert_eq!(scale(&[]).unwrap().adapter, Adapter::Local);
    }

    #[test]
    fn redis_url_alone_chooses_the_redis_adapter() {
        assert_eq!(scale(&[("REDIS_URL", "redis://127.0.0.1:6379")]).unwrap().adapter, Adapter::Redis);
    }

    #[test]
    fn the_mongodb_adapter_needs_a_mongodb_uri() {
        assert!(matches!(scale(&[("SOCKETIO_ADAPTER", "mongodb")]), Err(ConfigError::Incomplete { .. })));
        let s = scale(&[("SOCKETIO_ADAPTER", "mongodb"), ("MONGODB_URI", "mongodb://h/db")]).unwrap();
        assert_eq!(s.adapter, Adapter::MongoDb);
    }

    #[test]
    fn a_bad_redis_url_is_refused_without_echoing_it() {
        let e = scale(&[("REDIS_URL", "http://user:pw@host")]).unwrap_err();
        assert!(!e.to_string().contains("pw"), "{e}");
    }
}
