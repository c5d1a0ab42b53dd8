//! Which vendor clouds to pull from, read from Nightscout's names: `ENABLE=connect` with
//! `CONNECT_SOURCE` and `CONNECT_*` (nightscout-connect README, `lib/sources/*.js` `validate`), and
//! the legacy `bridge` plugin's `BRIDGE_*` names mapped onto Dexcom Share as Nightscout 15.0.9
//! does (PR #8678: an explicit `CONNECT_*` setting wins; a legacy Dexcom bridge next to a
//! non-Dexcom `CONNECT_SOURCE` is a configuration error; `bridge` is not echoed in `enable`).

use std::time::Duration;

use crate::config::{ConfigError, Env, Secret};

/// A vendor cloud we can pull readings from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    DexcomShare,
    LinkUp,
    CareLink,
}

impl Source {
    /// The `CONNECT_SOURCE` value.
    pub fn name(self) -> &'static str {
        match self {
            Source::DexcomShare => "dexcomshare",
            Source::LinkUp => "linkup",
            Source::CareLink => "minimedcarelink",
        }
    }

    /// The name people know it by, for messages.
    pub fn label(self) -> &'static str {
        match self {
            Source::DexcomShare => "Dexcom Share",
            Source::LinkUp => "LibreLinkUp",
            Source::CareLink => "Medtronic CareLink",
        }
    }
}

/// Poll timing. Defaults follow nightscout-connect (5-minute sensor cadence, 18 s lag plus up to
/// 18 s jitter, back-off 2.5 min × 2^attempt); the `FERROSCOUT_BRIDGE_*_MS` variables exist so
/// tests run in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timing {
    /// The sensor's cadence: a new reading is expected this long after the last one.
    pub cadence: Duration,
    /// Waited after a reading is due, for the vendor's cloud to have it.
    pub lag: Duration,
    /// Up to this much is added at random, so sites do not poll in lock step.
    pub jitter: Duration,
    /// The first retry after a failure; doubled for each further failure.
    pub backoff: Duration,
    /// The longest wait; also the wait after an answer only the user can fix.
    pub max_backoff: Duration,
    /// A bridge failing this long is shown on the dashboard.
    pub alert_after: Duration,
}

impl Timing {
    fn from_env(env: &Env, lag_ms: u64) -> Result<Timing, ConfigError> {
        let ms = |name: &'static str, default: u64| -> Result<Duration, ConfigError> {
            match env.get(name) {
                None => Ok(Duration::from_millis(default)),
                Some(v) => v.parse::<u64>().map(Duration::from_millis).map_err(|_| ConfigError::Invalid {
                    name,
                    what: "a whole number of milliseconds",
                    value: v,
                }),
            }
        };
        Ok(Timing {
            cadence: ms("FERROSCOUT_BRIDGE_CADENCE_MS", 300_000)?.max(Duration::from_millis(10)),
            lag: ms("FERROSCOUT_BRIDGE_LAG_MS", lag_ms)?,
            jitter: ms("FERROSCOUT_BRIDGE_JITTER_MS", 18_000)?,
            backoff: ms("FERROSCOUT_BRIDGE_BACKOFF_MS", 150_000)?.max(Duration::from_millis(10)),
            max_backoff: ms("FERROSCOUT_BRIDGE_MAX_BACKOFF_MS", 3_600_000)?.max(Duration::from_millis(10)),
            alert_after: ms("FERROSCOUT_BRIDGE_ALERT_AFTER_MS", 15 * 60_000)?,
        })
    }
}

/// One configured bridge. `Debug` never shows the password ([`Secret`]).
#[derive(Debug, Clone)]
pub struct BridgeConfig {
    pub source: Source,
    /// `https://host` or the full base URL given in the `*_SERVER` setting.
    pub base_url: String,
    pub username: String,
    pub password: Secret,
    /// LibreLinkUp patient id or CareLink patient user name, for accounts following several.
    pub patient: Option<String>,
    /// CareLink's `CONNECT_COUNTRY_CODE` and `CONNECT_LANGUAGE_CODE`.
    pub country: String,
    pub language: String,
    /// LibreLinkUp's `version` and `product` headers.
    pub linkup_version: String,
    pub linkup_product: String,
    /// The `device` of the entries written.
    pub device: String,
    pub timing: Timing,
}

/// A bridge that is asked for but cannot run, with why, in plain words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unusable {
    pub source: String,
    pub reason: String,
}

/// Everything the bridges need from the configuration.
#[derive(Debug, Clone, Default)]
pub struct Bridges {
    pub run: Vec<BridgeConfig>,
    pub unusable: Vec<Unusable>,
}

/// Current LibreLinkUp app headers: without `version` >= 4.11 and `Account-Id` the API answers
/// 403 or `RequiredHeaderMissing` (librelink-up #155, #167).
pub const LINKUP_VERSION: &str = "4.16.0";
pub const LINKUP_PRODUCT: &str = "llu.android";
const LINKUP_REGIONS: [&str; 10] = ["AE", "AP", "AU", "CA", "DE", "EU", "EU2", "FR", "JP", "US"];

/// `https://host` for a bare host name; a value with a scheme is used as given.
pub fn base_url(server: &str) -> String {
    let s = server.trim().trim_end_matches('/');
    if s.contains("://") { s.to_owned() } else { format!("https://{s}") }
}

/// Reads the bridges and removes `bridge` from `enable` (Sugarmate refuses a site that shows it).
pub fn from_env(env: &Env, enable: &mut Vec<String>) -> Result<Bridges, ConfigError> {
    let legacy = enable.iter().any(|e| e == "bridge");
    enable.retain(|e| e != "bridge");
    let connect = enable.iter().any(|e| e == "connect");
    let mut out = Bridges::default();
    let sources: Vec<String> = match env.get("CONNECT_SOURCE").filter(|_| connect) {
        Some(s) => s.split([' ', ',']).filter(|x| !x.is_empty()).map(|x| x.to_ascii_lowercase()).collect(),
        None => Vec::new(),
    };
    let legacy_user = env.get("BRIDGE_USER_NAME").filter(|_| legacy);
    let legacy_pass = env.get("BRIDGE_PASSWORD").filter(|_| legacy);
    let legacy_complete = legacy_user.is_some() && legacy_pass.is_some();
    if legacy_complete && !sources.is_empty() && !sources.iter().any(|s| s == "dexcomshare") {
        return Err(ConfigError::Invalid {
            name: "CONNECT_SOURCE",
            what: "dexcomshare (or unset) while the legacy Dexcom bridge (ENABLE=bridge, BRIDGE_USER_NAME, \
                   BRIDGE_PASSWORD) is set; remove one of the two",
            value: sources.join(" "),
        });
    }
    if legacy && !legacy_complete {
        out.unusable.push(Unusable {
            source: "dexcomshare".into(),
            reason: "ENABLE has bridge but BRIDGE_USER_NAME and BRIDGE_PASSWORD are not both set".into(),
        });
    }
    let mut wanted: Vec<String> = sources;
    if legacy_complete && !wanted.iter().any(|s| s == "dexcomshare") {
        wanted.push("dexcomshare".into());
    }
    for s in wanted {
        let made = match s.as_str() {
            "dexcomshare" => dexcom(env, legacy_user.as_deref(), legacy_pass.as_deref())?,
            "linkup" => linkup(env)?,
            "minimedcarelink" => carelink(env)?,
            other => Err(format!(
                "CONNECT_SOURCE={other} is not supported by Ferroscout (dexcomshare, linkup, minimedcarelink are)"
            )),
        };
        match made {
            Ok(b) => out.run.push(b),
            Err(reason) => out.unusable.push(Unusable { source: s, reason }),
        }
    }
    Ok(out)
}

type Made = Result<BridgeConfig, String>;

fn missing(names: &[(&str, &Option<String>)]) -> Option<String> {
    let absent: Vec<&str> = names.iter().filter(|(_, v)| v.is_none()).map(|(n, _)| *n).collect();
    (!absent.is_empty()).then(|| format!("{} must be set", absent.join(" and ")))
}

fn dexcom(env: &Env, legacy_user: Option<&str>, legacy_pass: Option<&str>) -> Result<Made, ConfigError> {
    let user = env.get("CONNECT_SHARE_ACCOUNT_NAME").or(legacy_user.map(str::to_owned));
    let pass = env.get("CONNECT_SHARE_PASSWORD").or(legacy_pass.map(str::to_owned));
    // `BRIDGE_SERVER`: `US` (default) or `EU`, else a host of its own.
    let legacy_server = env.get("BRIDGE_SERVER").filter(|_| legacy_user.is_some()).map(|s| match s.as_str() {
        x if x.eq_ignore_ascii_case("us") => "share2.dexcom.com".to_owned(),
        x if x.eq_ignore_ascii_case("eu") => "shareous1.dexcom.com".to_owned(),
        _ => s,
    });
    let region = env.get("CONNECT_SHARE_REGION").map(|r| r.to_ascii_lowercase());
    let server = match (env.get("CONNECT_SHARE_SERVER"), region.as_deref()) {
        (Some(s), _) => s,
        (None, Some("ous")) => "shareous1.dexcom.com".into(),
        (None, Some("us")) => "share2.dexcom.com".into(),
        (None, Some(other)) => {
            return Ok(Err(format!("CONNECT_SHARE_REGION must be us or ous, got {other:?}")));
        }
        (None, None) => legacy_server.unwrap_or_else(|| "share2.dexcom.com".into()),
    };
    if let Some(m) = missing(&[("CONNECT_SHARE_ACCOUNT_NAME", &user), ("CONNECT_SHARE_PASSWORD", &pass)]) {
        return Ok(Err(m));
    }
    // Nightscout 15.0.9 runs the legacy settings on nightscout-connect, which names the entries
    // `nightscout-connect` (the retired share2nightscout-bridge wrote `share2`; dedup is on date
    // and type, so the two never duplicate a reading).
    Ok(Ok(common(env, Source::DexcomShare, &server, user, pass, None, "nightscout-connect", 18_000)?))
}

fn linkup(env: &Env) -> Result<Made, ConfigError> {
    let user = env.get("CONNECT_LINK_UP_USERNAME");
    let pass = env.get("CONNECT_LINK_UP_PASSWORD");
    let server = match env.get("CONNECT_LINK_UP_SERVER") {
        Some(s) => s,
        None => {
            let region = env.get("CONNECT_LINK_UP_REGION").unwrap_or_else(|| "EU".into()).to_ascii_uppercase();
            if !LINKUP_REGIONS.contains(&region.as_str()) {
                return Ok(Err(format!(
                    "CONNECT_LINK_UP_REGION must be one of {}, got {region:?}",
                    LINKUP_REGIONS.join(" ")
                )));
            }
            format!("api-{}.libreview.io", region.to_ascii_lowercase())
        }
    };
    if let Some(m) = missing(&[("CONNECT_LINK_UP_USERNAME", &user), ("CONNECT_LINK_UP_PASSWORD", &pass)]) {
        return Ok(Err(m));
    }
    let patient = env.get("CONNECT_LINK_UP_PATIENT_ID");
    let device = "nightscout-connect-librelinkup";
    let mut b = common(env, Source::LinkUp, &server, user, pass, patient, device, 18_000)?;
    b.linkup_version = env.get("CONNECT_LINK_UP_VERSION").unwrap_or_else(|| LINKUP_VERSION.into());
    b.linkup_product = env.get("CONNECT_LINK_UP_PRODUCT").unwrap_or_else(|| LINKUP_PRODUCT.into());
    Ok(Ok(b))
}

fn carelink(env: &Env) -> Result<Made, ConfigError> {
    let user = env.get("CONNECT_CARELINK_USERNAME");
    let pass = env.get("CONNECT_CARELINK_PASSWORD");
    let country = env.get("CONNECT_COUNTRY_CODE");
    let server = match env.get("CONNECT_CARELINK_SERVER") {
        Some(s) => s,
        None => match env.get("CONNECT_CARELINK_REGION").map(|r| r.to_ascii_lowercase()).as_deref() {
            Some("eu") => "carelink.minimed.eu".into(),
            None | Some("us") => "carelink.minimed.com".into(),
            Some(other) => return Ok(Err(format!("CONNECT_CARELINK_REGION must be us or eu, got {other:?}"))),
        },
    };
    if let Some(m) = missing(&[
        ("CONNECT_CARELINK_USERNAME", &user),
        ("CONNECT_CARELINK_PASSWORD", &pass),
        ("CONNECT_COUNTRY_CODE", &country),
    ]) {
        return Ok(Err(m));
    }
    let patient = env.get("CONNECT_CARELINK_PATIENT_USERNAME");
    // The device name gets the pump family appended when data arrives.
    let mut b =
        common(env, Source::CareLink, &server, user, pass, patient, "nightscout-connect://minimedcarelink", 68_000)?;
    b.country = country.unwrap_or_default().to_ascii_lowercase();
    b.language = env.get("CONNECT_LANGUAGE_CODE").unwrap_or_else(|| "en".into());
    Ok(Ok(b))
}

#[allow(clippy::too_many_arguments)]
fn common(
    env: &Env,
    source: Source,
    server: &str,
    user: Option<String>,
    pass: Option<String>,
    patient: Option<String>,
    device: &str,
    lag_ms: u64,
) -> Result<BridgeConfig, ConfigError> {
    Ok(BridgeConfig {
        source,
        base_url: base_url(server),
        username: user.unwrap_or_default(),
        password: Secret::new(pass.unwrap_or_default()),
        patient,
        country: String::new(),
        language: String::new(),
        linkup_version: String::new(),
        linkup_product: String::new(),
        device: device.to_owned(),
        timing: Timing::from_env(env, lag_ms)?,
    })
}

#[cfg(test)]
#[path = "config_tests.rs"]
mod tests;
