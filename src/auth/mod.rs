//! One resolver for every credential a request can carry (`lib/authorization/index.js`
//! `resolve`): the API secret as its SHA-1 or SHA-512 hex, access tokens (or their SHA-1), and
//! JWTs; the subjects and roles they map to; and the JWT exchange.

use std::collections::BTreeSet;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use sha1::Digest as _;
use subtle::ConstantTimeEq;

use crate::config::Config;
use crate::store::Store;

mod client_ip;
mod delay;
pub mod jwt;
pub mod registry;
pub mod shiro;
pub mod token;

pub use client_ip::client_ip;
pub use delay::DelayList;
use registry::{Registry, Snapshot, Subject};

/// Credentials as found on a request, before they are checked.
#[derive(Debug, Default, Clone)]
pub struct Credentials {
    /// `api-secret` header, `?secret=` or a body `secret`: the API secret's hash, or an access
    /// token (or its SHA-1). Unknown: a failure.
    pub secret: Option<String>,
    /// `?token=` or a body `token`: an access token or a JWT. Unknown: ignored (default roles).
    pub token: Option<String>,
    /// `Authorization: Bearer <JWT>`, or the socket `authorize` `token`. Invalid: a failure.
    pub bearer: Option<String>,
}

impl Credentials {
    pub fn is_empty(&self) -> bool {
        self.secret.is_none() && self.token.is_none() && self.bearer.is_none()
    }
}

/// The JWT in an `Authorization` header as API v1/v2 read it (`extractJWTfromRequest`): exactly
/// `Bearer <token>`, case-sensitive, one space. (API v3 accepts any case of `bearer`.)
pub fn bearer(header: &str) -> Option<&str> {
    match header.split(' ').collect::<Vec<_>>()[..] {
        ["Bearer", t] if !t.is_empty() => Some(t),
        _ => None,
    }
}

/// Who is asking, once resolved: the permissions they hold.
#[derive(Debug, Clone)]
pub struct Caller {
    grants: Arc<[String]>,
    /// True when no credentials were given and the default roles apply.
    pub from_defaults: bool,
    /// The subject's name when an access token (or a JWT) was used; `None` for the API secret.
    pub subject: Option<String>,
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
    sha1_hex: String,
    sha512_hex: String,
}

/// Checks credentials; holds the secret's digests, the subjects and roles, the JWT key and the
/// failure delay list.
pub struct Authority {
    secret: Option<SecretHashes>,
    default_roles: Vec<String>,
    delays: DelayList,
    registry: Registry,
    jwt: jwt::Jwt,
    /// Every permission checked so far (`authorization.seenPermissions`).
    seen: Mutex<BTreeSet<String>>,
}

impl Authority {
    pub fn new(config: &Config, store: Arc<dyn Store>) -> Authority {
        let secret = config.api_secret.as_ref().map(|s| SecretHashes {
            sha1_hex: hex::encode(sha1::Sha1::digest(s.expose().as_bytes())),
            sha512_hex: hex::encode(sha2::Sha512::digest(s.expose().as_bytes())),
        });
        for role in &config.auth_default_roles {
            if !registry::BUILTIN_ROLES.iter().any(|(n, _)| n == role) {
                tracing::warn!(role = %role, "AUTH_DEFAULT_ROLES names a role that is not built in; it applies only if the database defines it");
            }
        }
        Authority {
            registry: Registry::new(store.clone(), secret.as_ref().map(|s| s.sha1_hex.clone())),
            secret,
            default_roles: config.auth_default_roles.clone(),
            delays: DelayList::new(config.auth_fail_delay),
            jwt: jwt::Jwt::new(store),
            seen: Mutex::new(shiro::NIGHTSCOUT_PERMISSIONS.iter().map(|p| p.to_string()).collect()),
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

    /// Subjects and roles, for the admin API.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    fn default_grants(&self, snap: &Snapshot) -> Vec<String> {
        snap.groups(&self.default_roles).concat()
    }

    /// The caller anonymous requests are treated as.
    pub fn anonymous(&self) -> Caller {
        let grants = self.default_grants(&self.registry.cached());
        Caller { grants: grants.into(), from_defaults: true, subject: None }
    }

    fn admin() -> Caller {
        Caller { grants: vec!["*".to_owned()].into(), from_defaults: false, subject: None }
    }

    /// A subject's caller: its roles' permissions plus the default roles'.
    fn subject_caller(&self, subject: &Subject, snap: &Snapshot) -> Caller {
        let mut grants = snap.groups(&subject.roles).concat();
        grants.extend(self.default_grants(snap));
        Caller { grants: grants.into(), from_defaults: false, subject: Some(subject.name.clone()) }
    }

    /// The subject an access token, its SHA-1, or a valid JWT of ours stands for.
    async fn subject_for(&self, presented: &str) -> Option<(Subject, Arc<Snapshot>)> {
        match self.jwt.verify(presented).await {
            Some(claims) => self.registry.find(&claims.access_token).await,
            None => self.registry.find(presented).await,
        }
    }

    /// Resolves credentials from `ip` (Nightscout's order), waiting first if that address
    /// recently failed: the API secret; else a Bearer JWT (or a `?token=` exchanged for one);
    /// else an access token in the secret's place. An unknown `?token=` is ignored; anything
    /// else given and not valid is a failure, recorded for the delay.
    pub async fn resolve(&self, creds: &Credentials, ip: IpAddr) -> Result<Caller, AuthFailed> {
        let wait = self.delays.wait_for(ip).await;
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
        // Nightscout's web client has been seen sending the string "null".
        let secret = creds.secret.as_deref().filter(|s| *s != "null");
        let bearer = creds.bearer.as_deref();
        // `?token=` counts only without a Bearer header, and only when it is valid. Nightscout
        // never takes the API secret there; accepting it too is harmless.
        let (mut token_is_secret, mut exchanged) = (false, None);
        if let (None, Some(t)) = (bearer, creds.token.as_deref()) {
            token_is_secret = self.is_secret(t);
            if !token_is_secret {
                exchanged = self.subject_for(t).await;
            }
        }
        if secret.is_none() && bearer.is_none() && exchanged.is_none() && !token_is_secret {
            return Ok(self.anonymous());
        }
        if token_is_secret || secret.is_some_and(|s| self.is_secret(s)) {
            self.delays.clear(ip).await;
            return Ok(Authority::admin());
        }
        let mut found = match bearer {
            Some(b) => self.subject_for(b).await,
            None => exchanged,
        };
        if found.is_none()
            && let Some(s) = secret
        {
            found = self.registry.find(s).await;
        }
        if let Some((subject, snap)) = found {
            self.delays.clear(ip).await;
            return Ok(self.subject_caller(&subject, &snap));
        }
        self.delays.record_failure(ip).await;
        tracing::warn!(%ip, "failed authentication: wrong API secret or unknown token");
        Err(AuthFailed)
    }

    /// `Authorization: Bearer <JWT>` alone (what API v3 calls with): the subject's caller, or a
    /// failure (recorded for the delay) when the JWT is invalid, expired or its subject is gone.
    #[allow(dead_code, reason = "API v3 verifies its Bearer JWTs with this")]
    pub async fn resolve_bearer(&self, jwt: &str, ip: IpAddr) -> Result<Caller, AuthFailed> {
        self.resolve(&Credentials { bearer: Some(jwt.to_owned()), ..Default::default() }, ip).await
    }

    /// A raw access token (or its SHA-1) as `/storage` and `/alarm` `subscribe {accessToken}`
    /// take it (`resolveAccessToken`): no JWT, no delay; `None` when unknown.
    /// The API secret's hash is taken there too (Nightscout does not; harmless, as in `?token=`).
    pub async fn resolve_access_token(&self, token: &str) -> Option<Caller> {
        if self.is_secret(token) {
            return Some(Authority::admin());
        }
        let (subject, snap) = self.registry.find(token).await?;
        Some(self.subject_caller(&subject, &snap))
    }

    /// Exchanges an access token (or a still-valid JWT) for a fresh JWT (`authorization.authorize`):
    /// `{token, sub, permissionGroups, iat, exp}`, one group per distinct role, default roles included.
    pub async fn authorize(&self, presented: &str) -> Option<Value> {
        if presented.is_empty() {
            return None;
        }
        let (subject, snap) = self.subject_for(presented).await?;
        let access_token = subject.derived.as_ref()?.access_token.clone();
        let (jwt, claims) = self.jwt.sign(&access_token).await?;
        let mut roles: Vec<String> = Vec::new();
        for r in subject.roles.iter().chain(&self.default_roles) {
            if !roles.contains(r) {
                roles.push(r.clone());
            }
        }
        Some(json!({
            "token": jwt, "sub": subject.name, "permissionGroups": snap.groups(&roles),
            "iat": claims.iat, "exp": claims.exp,
        }))
    }

    /// Notes a permission a request was checked against (`GET /permissions` lists them).
    pub fn note_permission(&self, permission: &str) {
        self.seen.lock().unwrap_or_else(|e| e.into_inner()).insert(permission.to_owned());
    }

    /// Every permission checked so far, sorted.
    pub fn seen_permissions(&self) -> Vec<String> {
        self.seen.lock().unwrap_or_else(|e| e.into_inner()).iter().cloned().collect()
    }

    /// The API secret as its SHA-1 hex (any case) or SHA-512 hex (lowercase), as Nightscout's
    /// `enclave.isApiKey`; never the plain text. Compared in constant time.
    fn is_secret(&self, presented: &str) -> bool {
        let Some(s) = &self.secret else { return false };
        let eq = |a: &str, b: &str| a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()));
        eq(&presented.to_ascii_lowercase(), &s.sha1_hex) || eq(presented, &s.sha512_hex)
    }
}

#[cfg(test)]
mod tests;
