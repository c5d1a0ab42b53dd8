//! Credentials from a request (header `api-secret`, `?secret=`, `?token=`, a body `secret` or
//! `token`, `Authorization: Bearer`) and the permission checks every handler makes.

use std::net::IpAddr;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use serde_json::Value;

use super::query_string;
use crate::app::AppState;
use crate::auth::{Caller, Credentials, client_ip};
use crate::error::{ApiError, ApiResult};

/// Why a server without `API_SECRET` refuses credentials and writes.
const NO_SECRET: &str = "API_SECRET is not set on this server, so it accepts no credentials and no writes";

/// The unchecked credentials of a request and the address it came from.
pub struct AuthInput {
    pub creds: Credentials,
    pub ip: IpAddr,
}

impl FromRequestParts<AppState> for AuthInput {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let header = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let query = query_string::parse(parts.uri.query().unwrap_or_default());
        let bearer = header("authorization").and_then(|a| crate::auth::bearer(&a).map(str::to_owned));
        let creds = Credentials {
            secret: header("api-secret")
                .or_else(|| query_string::first_str(&query, "secret").map(str::to_owned))
                .filter(|s| !s.is_empty()),
            token: query_string::first_str(&query, "token").map(str::to_owned).filter(|s| !s.is_empty()),
            bearer,
        };
        Ok(AuthInput { creds, ip: client_ip(parts, state.config.trusted_proxy_hops) })
    }
}

impl AuthInput {
    /// Takes `secret`/`token` out of a body (or its first element), as Nightscout does, using
    /// them when the request carried none elsewhere.
    pub fn take_body_credentials(&mut self, body: &mut Value) {
        let obj = match body {
            Value::Object(m) => Some(m),
            Value::Array(a) => a.first_mut().and_then(Value::as_object_mut),
            _ => None,
        };
        let Some(obj) = obj else { return };
        let take = |obj: &mut serde_json::Map<String, Value>, k: &str| match obj.remove(k) {
            Some(Value::String(s)) if !s.is_empty() => Some(s),
            _ => None,
        };
        let (secret, token) = (take(obj, "secret"), take(obj, "token"));
        if self.creds.secret.is_none() {
            self.creds.secret = secret;
        }
        if self.creds.token.is_none() {
            self.creds.token = token;
        }
    }

    /// Resolves the caller and checks every permission; 401 in Nightscout's shape otherwise.
    pub async fn require(&self, state: &AppState, permissions: &[&str]) -> ApiResult<Caller> {
        let caller = self.resolve(state).await?;
        for p in permissions {
            if !caller.can(p) {
                tracing::debug!(ip = %self.ip, permission = p, anonymous = caller.from_defaults, "permission refused");
                if !state.auth.has_secret() && !p.ends_with(":read") {
                    return Err(ApiError::Unauthorized { description: NO_SECRET });
                }
                return Err(ApiError::unauthorized());
            }
        }
        Ok(caller)
    }

    /// Resolves the caller; 401 when credentials were given and none is valid.
    pub async fn resolve(&self, state: &AppState) -> ApiResult<Caller> {
        state.auth.resolve(&self.creds, self.ip).await.map_err(|_| {
            if state.auth.has_secret() {
                ApiError::unauthorized()
            } else {
                ApiError::Unauthorized { description: NO_SECRET }
            }
        })
    }
}
