//! One resolver for every credential a request can carry (`lib/authorization/index.js`
//! `resolve`): the API secret as SHA-1 or SHA-512 hex, and (later) access tokens and JWTs.

use std::net::IpAddr;
use std::sync::Arc;

use sha1::Digest as _;
use subtle::ConstantTimeEq;

use crate::config::{Config, Secret};

mod client_ip;
mod delay;
pub mod shiro;

pub use client_ip::client_ip;
pub use delay::DelayList;

/// Credentials as found on a request, before they are checked.
#[derive(Debug, Default, Clone)]
pub struct Credentials {
    /// `api-secret` header, `?secret=` or a body `secret`.
    pub secret: Option<String>,
    /// `?token=` or a body `token`.
    pub token: Option<String>,
    /// `Authorization: Bearer <JWT>`.
    pub bearer: Option<String>,
}

impl Credentials {
    pub fn is_empty(&self) -> bool {
        self.secret.is_none() && self.token.is_none() && self.bearer.is_none()
    }
}

/// Who is asking, once resolved: the permissions they hold.
#[derive(Debug, Clone)]
pub struct Caller {
    grants: Arc<[String]>,
    /// True when no credentials were given and the default roles apply.
    pub from_defaults: bool,
}

impl Caller {
    /// Shiro check of one permission string, e.g. `api:entries:read`.
    pub fn can(&self, permission: &str) -> bool {
        shiro::permits(&self.grants, permission)
    }
}

/// Credentials were given and none of them is valid.
#[derive(Debug, PartialEq, Eq)]
pub struct AuthFailed;

struct SecretHashes {
    plain: Secret,
    sha1_hex: String,
    sha512_hex: String,
}

/// Checks credentials; holds the secret's digests and the failure delay list.
pub struct Authority {
    secret: Option<SecretHashes>,
    defaults: Arc<[String]>,
    admin: Arc<[String]>,
    delays: DelayList,
}

impl Authority {
    pub fn new(config: &Config) -> Authority {
        let secret = config.api_secret.as_ref().map(|s| SecretHashes {
            sha1_hex: hex::encode(sha1::Sha1::digest(s.expose().as_bytes())),
            sha512_hex: hex::encode(sha2::Sha512::digest(s.expose().as_bytes())),
            plain: s.clone(),
        });
        let mut defaults = Vec::new();
        for role in &config.auth_default_roles {
            match shiro::builtin_role(role) {
                Some(perms) => defaults.extend(perms.iter().map(|p| p.to_string())),
                None => tracing::warn!(role = %role, "AUTH_DEFAULT_ROLES names an unknown role; ignored"),
            }
        }
        Authority {
            secret,
            defaults: defaults.into(),
            admin: vec!["*".to_owned()].into(),
            delays: DelayList::new(config.auth_fail_delay),
        }
    }

    /// Keeps the failure delays where every instance sees them (Redis, when configured).
    pub fn share_delays(&mut self, shared: crate::shared::Shared) {
        self.delays.share(shared);
    }

    /// True when an API secret is configured (writes are possible at all).
    pub fn has_secret(&self) -> bool {
        self.secret.is_some()
    }

    /// The caller anonymous requests are treated as.
    pub fn anonymous(&self) -> Caller {
        Caller { grants: self.defaults.clone(), from_defaults: true }
    }

    /// Resolves credentials from `ip`, waiting first if that address recently failed.
    pub async fn resolve(&self, creds: &Credentials, ip: IpAddr) -> Result<Caller, AuthFailed> {
        let wait = self.delays.wait_for(ip).await;
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
        if creds.is_empty() {
            return Ok(self.anonymous());
        }
        let candidates = [creds.secret.as_deref(), creds.token.as_deref()];
        if candidates.into_iter().flatten().any(|c| self.is_secret(c)) {
            self.delays.clear(ip).await;
            return Ok(Caller { grants: self.admin.clone(), from_defaults: false });
        }
        self.delays.record_failure(ip).await;
        tracing::warn!(%ip, "failed authentication");
        Err(AuthFailed)
    }

    /// The API secret as its SHA-1 hex (any case), SHA-512 hex (any case), or itself; compared
    /// in constant time.
    fn is_secret(&self, presented: &str) -> bool {
        let Some(s) = &self.secret else { return false };
        let lower = presented.to_ascii_lowercase();
        let eq = |a: &str, b: &str| a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()));
        eq(&lower, &s.sha1_hex) || eq(&lower, &s.sha512_hex) || eq(presented, s.plain.expose())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    const SHA1: &str = "b723e97aa97846eb92d5264f084b2823f57c4aa1";
    const SHA512: &str = "8c8743d38cbe00debe4b3ba8d0ffbb85e4716c982a61bb9e57bab203178e3718b2965831c1a5e42b9da16f082fdf8a6cecf993b49ed67e3a8b1cd475885d8070";

    fn authority(vars: &[(&str, &str)]) -> Authority {
        let map: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Authority::new(&Config::from_lookup(&move |k| map.get(k).cloned()).unwrap())
    }

    fn secret(s: &str) -> Credentials {
        Credentials { secret: Some(s.into()), ..Default::default() }
    }

    #[tokio::test]
    async fn the_secret_digests_grant_admin() {
        let a = authority(&[("API_SECRET", "this is my long pass phrase"), ("AUTH_FAIL_DELAY", "0")]);
        let ip: IpAddr = "127.0.0.1".parse().unwrap();
        for s in [SHA1, &SHA1.to_uppercase(), SHA512] {
            let c = a.resolve(&secret(s), ip).await.unwrap();
            assert!(c.can("api:entries:create"), "{s}");
            assert!(!c.from_defaults);
        }
        assert_eq!(a.resolve(&secret("b723e97aa97846eb92d5264f084b2823f57c4aa2"), ip).await.unwrap_err(), AuthFailed);
        let anon = a.resolve(&Credentials::default(), ip).await.unwrap();
        assert!(anon.from_defaults && anon.can("api:entries:read") && !anon.can("api:entries:create"));
    }

    #[tokio::test]
    async fn without_a_secret_nothing_matches_and_denied_reads_nothing() {
        let a = authority(&[("AUTH_DEFAULT_ROLES", "denied"), ("AUTH_FAIL_DELAY", "0")]);
        let ip: IpAddr = "127.0.0.1".parse().unwrap();
        assert!(a.resolve(&secret(SHA1), ip).await.is_err());
        assert!(!a.anonymous().can("api:entries:read"));
    }
}
