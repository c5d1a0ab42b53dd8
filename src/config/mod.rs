//! Configuration, read once at startup from Nightscout's environment variable names
//! (`lib/server/env.js`, `lib/settings.js`); every variable is listed in README.md.

use std::collections::HashMap;
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use crate::domain::Collection;
use crate::domain::units::thresholds;
pub use crate::domain::units::{Thresholds, Units};

/// Nightscout's MIN_PASSPHRASE_LENGTH.
pub const MIN_SECRET_LEN: usize = 12;

/// The plugins' `<PLUGIN>_<KEY>` settings with Nightscout's defaults.
pub mod plugins;
/// The body of `status.json`: the settings clients see.
pub mod public;

/// `SOCKETIO_ADAPTER`, `REDIS_URL`: what several instances share.
pub mod scale;

/// Connections, body time and large reads: what clients may hold at once.
pub mod limits;

/// A value that must never be printed: Debug and Display show `***`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Secret {
        Secret(s.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ConfigError {
    #[error("API_SECRET should be at least {MIN_SECRET_LEN} characters (it has {0})")]
    SecretTooShort(usize),
    #[error("{name} must be {what}, got {value:?}")]
    Invalid { name: &'static str, what: &'static str, value: String },
    #[error("{name} is set but {missing} is not: set both")]
    Incomplete { name: &'static str, missing: &'static str },
}

/// `SECURE_HSTS_HEADER*` (Nightscout's helmet settings): max-age one year.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hsts {
    pub enabled: bool,
    pub include_subdomains: bool,
    pub preload: bool,
}

/// `SSL_CERT`, `SSL_KEY`, `SSL_CA`: PEM file paths for native TLS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
    pub ca: Option<PathBuf>,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub port: u16,
    pub hostname: Option<String>,
    pub api_secret: Option<Secret>,
    pub auth_default_roles: Vec<String>,
    pub auth_fail_delay: Duration,
    /// `MONGO_AUTHENTICATION_COLLECTIONS_PREFIX` (default `auth_`): MongoDB keeps access-token
    /// subjects and roles in `<prefix>subjects` and `<prefix>roles`.
    pub auth_collections_prefix: String,
    pub units: Units,
    pub thresholds: Thresholds,
    pub alarm_types: String,
    pub mongo_uri: Option<Secret>,
    pub collections: HashMap<Collection, String>,
    pub data_dir: PathBuf,
    pub uuid_handling: bool,
    pub obscure_device_provenance: Option<String>,
    pub enable: Vec<String>,
    /// `DISABLE`: features taken out of the enabled ones (`lib/settings.js`), lower case.
    pub disable: Vec<String>,
    pub time_format: u32,
    pub custom_title: String,
    pub theme: String,
    pub language: String,
    pub base_url: String,
    /// `PREDICTIONS_MAX_SIZE`: OpenAPS `predBGs` arrays are cut to this length (0 = no cut).
    pub predictions_max_size: usize,
    /// `DBSIZE_MAX` in MiB (default 496, or the SQLite size limit when one is set), for the
    /// `dbsize` property.
    pub dbsize_max_mib: f64,
    /// `FERROSCOUT_SQLITE_MAX_SIZE_MB` (MiB, fractions allowed) in bytes: the size the embedded
    /// database may grow to; past it writes are refused with 507 as on a full disk.
    pub sqlite_max_bytes: Option<u64>,
    /// `INSECURE_USE_HTTP`: true turns off the https redirect and HSTS.
    pub insecure_use_http: bool,
    pub hsts: Hsts,
    /// Native TLS on the main listener when `SSL_CERT` and `SSL_KEY` are set.
    pub tls: Option<TlsFiles>,
    /// `FERROSCOUT_HTTP_PORT`: with TLS on, a second, plain listener that only redirects to https.
    pub http_redirect_port: Option<u16>,
    /// `FERROSCOUT_HTTPS_PUBLIC_PORT`: the https port named in redirects from our plain listener
    /// (default: `PORT`); set it when a port mapping puts the TLS listener on another number.
    pub https_public_port: Option<u16>,
    /// `BASE_PATH` normalised to `/a/b` (no trailing slash); `None` serves at `/`.
    pub base_path: Option<String>,
    /// Running on Azure App Service (`WEBSITE_SITE_NAME` set): its front end marks https requests
    /// with `x-arr-ssl`, so a request without it (or `X-Forwarded-Proto: https`) came in clear text.
    pub on_azure_app_service: bool,
    /// Several instances behind one address: which socket.io adapter they share, and Redis.
    pub scale: crate::config::scale::Scale,
    /// `FERROSCOUT_TRUSTED_PROXIES`: how many proxies in front of us append to `X-Forwarded-For`
    /// (default 1 on Azure App Service, whose front end does, else 0: the peer is the client).
    pub trusted_proxy_hops: usize,
    /// Connections, body time and large reads (`src/config/limits.rs`).
    pub limits: limits::Limits,
    /// Raw values of the settings Nightscout echoes in status.json, by env name.
    pub raw: HashMap<&'static str, String>,
    /// The plugins' `<PLUGIN>_<KEY>` settings (`src/config/plugins.rs`).
    pub plugins: plugins::PluginSettings,
    /// The vendor clouds to pull readings from (`CONNECT_*`, legacy `BRIDGE_*`).
    pub(crate) bridges: crate::bridges::config::Bridges,
}

/// Reads a variable the way Nightscout does: the first non-empty of `CUSTOMCONNSTR_X`,
/// `CUSTOMCONNSTR_x`, `X`, `x`, trimmed.
pub struct Env<'a> {
    lookup: &'a dyn Fn(&str) -> Option<String>,
}

impl<'a> Env<'a> {
    pub fn new(lookup: &'a dyn Fn(&str) -> Option<String>) -> Env<'a> {
        Env { lookup }
    }

    pub fn get(&self, name: &str) -> Option<String> {
        let lower = name.to_ascii_lowercase();
        [format!("CUSTOMCONNSTR_{name}"), format!("CUSTOMCONNSTR_{lower}"), name.to_owned(), lower]
            .iter()
            .filter_map(|k| (self.lookup)(k))
            .map(|v| v.trim().to_owned())
            .find(|v| !v.is_empty())
    }

    /// `on/true` and `off/false` (any case); anything else gives the default.
    pub fn flag(&self, name: &str, default: bool) -> bool {
        match self.get(name).map(|v| v.to_ascii_lowercase()).as_deref() {
            Some("on" | "true") => true,
            Some("off" | "false") => false,
            _ => default,
        }
    }

    fn number(&self, name: &'static str, default: f64) -> Result<f64, ConfigError> {
        match self.get(name) {
            None => Ok(default),
            Some(v) => v.parse::<f64>().ok().filter(|x| x.is_finite()).ok_or(ConfigError::Invalid {
                name,
                what: "a number",
                value: v,
            }),
        }
    }
}

impl Env<'_> {
    fn optional_port(&self, name: &'static str) -> Result<Option<u16>, ConfigError> {
        match self.get(name) {
            None => Ok(None),
            Some(p) => p.parse::<u16>().map(Some).map_err(|_| ConfigError::Invalid {
                name,
                what: "a port number (0-65535)",
                value: p,
            }),
        }
    }
}

/// `/dante/`, `dante`, `/dante` all become `/dante`; `/` and empty mean no prefix (`Some(None)`).
/// Only unreserved path characters are accepted, so the prefix can be matched literally.
pub fn normalise_base_path(raw: &str) -> Option<Option<String>> {
    let trimmed = raw.trim().trim_matches('/');
    if trimmed.is_empty() {
        return Some(None);
    }
    let ok = trimmed.split('/').all(|seg| {
        !seg.is_empty()
            && seg != "."
            && seg != ".."
            && seg.chars().all(|c| c.is_ascii_alphanumeric() || "-._~".contains(c))
    });
    ok.then(|| Some(format!("/{trimmed}")))
}

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Config, ConfigError> {
        Config::from_lookup(&|k| std::env::var(k).ok())
    }

    /// Reads configuration through `lookup` (tests pass a map).
    pub fn from_lookup(lookup: &dyn Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let env = Env { lookup };
        let port_text = env.get("PORT").or_else(|| env.get("HTTP_PLATFORM_PORT")).or_else(|| env.get("WEBSITES_PORT"));
        let port = match port_text {
            None => 1337,
            Some(p) => p.parse::<u16>().map_err(|_| ConfigError::Invalid {
                name: "PORT",
                what: "a port number (0-65535)",
                value: p,
            })?,
        };
        let api_secret = match env.get("API_SECRET") {
            Some(s) if s.chars().count() < MIN_SECRET_LEN => {
                return Err(ConfigError::SecretTooShort(s.chars().count()));
            }
            other => other.map(Secret::new),
        };
        let mut auth_default_roles: Vec<String> = env
            .get("AUTH_DEFAULT_ROLES")
            .unwrap_or_else(|| "readable".into())
            .split([' ', ',', ':'])
            .filter(|r| !r.is_empty())
            .map(str::to_owned)
            .collect();
        if !env.flag("TREATMENTS_AUTH", true) {
            auth_default_roles.push("careportal".into());
        }
        let fail_delay = env.number("AUTH_FAIL_DELAY", 5000.0)?.clamp(0.0, 60_000.0);
        let units = match env.get("DISPLAY_UNITS") {
            Some(u) if u.to_ascii_lowercase().contains("mmol") => Units::Mmol,
            _ => Units::MgDl,
        };
        let any_bg = ["BG_HIGH", "BG_TARGET_TOP", "BG_TARGET_BOTTOM", "BG_LOW"].iter().any(|n| env.get(n).is_some());
        let thresholds = thresholds(
            units,
            env.number("BG_HIGH", 260.0)?,
            env.number("BG_TARGET_TOP", 180.0)?,
            env.number("BG_TARGET_BOTTOM", 80.0)?,
            env.number("BG_LOW", 55.0)?,
        );
        let alarm_types =
            env.get("ALARM_TYPES").unwrap_or_else(|| if any_bg { "simple".into() } else { "predict".into() });
        let mongo_uri = ["STORAGE_URI", "MONGO_CONNECTION", "MONGO", "MONGOLAB_URI", "MONGODB_URI"]
            .iter()
            .find_map(|n| env.get(n))
            .map(Secret::new);
        let mut collections = HashMap::new();
        for c in Collection::ALL {
            let var = match c {
                Collection::Entries => env.get("MONGO_COLLECTION").or_else(|| env.get("ENTRIES_COLLECTION")),
                Collection::Treatments => env.get("MONGO_TREATMENTS_COLLECTION"),
                Collection::DeviceStatus => env.get("MONGO_DEVICESTATUS_COLLECTION"),
                Collection::Profile => env.get("MONGO_PROFILE_COLLECTION"),
                Collection::Food => env.get("MONGO_FOOD_COLLECTION"),
                Collection::Activity => env.get("MONGO_ACTIVITY_COLLECTION"),
            };
            collections.insert(c, var.unwrap_or_else(|| c.default_name().to_owned()));
        }
        let mut enable: Vec<String> =
            env.get("ENABLE").unwrap_or_default().split_whitespace().map(|s| s.to_ascii_lowercase()).collect();
        let time_format = match env.get("TIME_FORMAT").as_deref() {
            Some("24") => 24,
            _ => 12,
        };
        let tls = match (env.get("SSL_CERT"), env.get("SSL_KEY")) {
            (Some(cert), Some(key)) => {
                Some(TlsFiles { cert: cert.into(), key: key.into(), ca: env.get("SSL_CA").map(PathBuf::from) })
            }
            (Some(_), None) => return Err(ConfigError::Incomplete { name: "SSL_CERT", missing: "SSL_KEY" }),
            (None, Some(_)) => return Err(ConfigError::Incomplete { name: "SSL_KEY", missing: "SSL_CERT" }),
            (None, None) => None,
        };
        let base_path = match env.get("BASE_PATH") {
            None => None,
            Some(p) => normalise_base_path(&p).ok_or(ConfigError::Invalid {
                name: "BASE_PATH",
                what: "a URL path such as /dante",
                value: p,
            })?,
        };
        let scale = scale::Scale::from_env(&env, mongo_uri.is_some())?;
        let bridges = crate::bridges::config::from_env(&env, &mut enable)?;
        let sqlite_max_mib = match env.get("FERROSCOUT_SQLITE_MAX_SIZE_MB") {
            None => None,
            Some(v) => {
                Some(v.parse::<f64>().ok().filter(|m| m.is_finite() && *m > 0.0).ok_or(ConfigError::Invalid {
                    name: "FERROSCOUT_SQLITE_MAX_SIZE_MB",
                    what: "a size in MiB such as 1024",
                    value: v.clone(),
                })?)
            }
        };
        let on_sqlite = mongo_uri.is_none();
        let raw = public::PASSTHROUGH.iter().filter_map(|n| env.get(n).map(|v| (*n, v))).collect();
        Ok(Config {
            port,
            hostname: env.get("HOSTNAME"),
            api_secret,
            auth_default_roles,
            auth_fail_delay: Duration::from_millis(fail_delay as u64),
            auth_collections_prefix: env
                .get("MONGO_AUTHENTICATION_COLLECTIONS_PREFIX")
                .unwrap_or_else(|| "auth_".into()),
            units,
            thresholds,
            alarm_types,
            mongo_uri,
            collections,
            data_dir: PathBuf::from(env.get("FERROSCOUT_DATA_DIR").unwrap_or_else(|| "./data".into())),
            uuid_handling: env.flag("UUID_HANDLING", true),
            obscure_device_provenance: env.get("OBSCURE_DEVICE_PROVENANCE"),
            enable,
            disable: env
                .get("DISABLE")
                .unwrap_or_default()
                .split_whitespace()
                .map(|s| s.to_ascii_lowercase())
                .collect(),
            time_format,
            custom_title: env.get("CUSTOM_TITLE").unwrap_or_else(|| "Nightscout".into()),
            theme: env.get("THEME").unwrap_or_else(|| "default".into()),
            language: env.get("LANGUAGE").unwrap_or_else(|| "en".into()),
            base_url: env.get("BASE_URL").unwrap_or_default(),
            predictions_max_size: env.get("PREDICTIONS_MAX_SIZE").and_then(|v| v.parse().ok()).unwrap_or(288),
            dbsize_max_mib: env
                .get("DBSIZE_MAX")
                .and_then(|v| v.parse().ok())
                .filter(|x: &f64| *x > 0.0)
                .or(sqlite_max_mib.filter(|_| on_sqlite))
                .unwrap_or(496.0),
            sqlite_max_bytes: sqlite_max_mib.map(|mib| (mib * 1024.0 * 1024.0) as u64),
            insecure_use_http: env.flag("INSECURE_USE_HTTP", false),
            hsts: Hsts {
                enabled: env.flag("SECURE_HSTS_HEADER", true),
                include_subdomains: env.flag("SECURE_HSTS_HEADER_INCLUDESUBDOMAINS", false),
                preload: env.flag("SECURE_HSTS_HEADER_PRELOAD", false),
            },
            tls,
            http_redirect_port: env.optional_port("FERROSCOUT_HTTP_PORT")?,
            https_public_port: env.optional_port("FERROSCOUT_HTTPS_PUBLIC_PORT")?,
            base_path,
            on_azure_app_service: env.get("WEBSITE_SITE_NAME").is_some(),
            scale,
            trusted_proxy_hops: match env.get("FERROSCOUT_TRUSTED_PROXIES") {
                Some(v) => v.trim().parse().map_err(|_| ConfigError::Invalid {
                    name: "FERROSCOUT_TRUSTED_PROXIES",
                    what: "a number of proxy hops (0, 1, 2, ..)",
                    value: v.clone(),
                })?,
                None => usize::from(env.get("WEBSITE_SITE_NAME").is_some()),
            },
            limits: limits::Limits::from_env(&env)?,
            raw,
            plugins: plugins::PluginSettings::from_env(&env),
            bridges,
        })
    }

    /// The SQLite file of the embedded store.
    pub fn sqlite_path(&self) -> PathBuf {
        self.data_dir.join("ferroscout.sqlite3")
    }
}

#[cfg(test)]
mod tests;
