//! API v3's authentication (`lib/api3/security.js`): `Authorization: Bearer <JWT>`, the scheme
//! in any case, resolved by the one resolver (`crate::auth::Authority`). 401 `Missing or bad
//! access token or JWT` without one, 401 `Bad access token or JWT` for a bad one (AndroidAPS
//! then fetches a new JWT once), 403 `Missing permission ...` for a missing permission.
//! Beyond Nightscout, an `api-secret` header (the API secret's SHA-1, or an access token) is
//! accepted when no `Authorization` header is sent, as v1 uploaders send it.

use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::request::Parts;

use super::V3Error;
use crate::app::AppState;
use crate::auth::{Caller, Credentials, client_ip};
use crate::domain::Collection;

const MISSING: &str = "Missing or bad access token or JWT";
const BAD: &str = "Bad access token or JWT";

/// The authenticated caller of a v3 request.
pub(crate) struct V3Caller {
    pub caller: Caller,
}

/// `Bearer <token>` with the scheme in any case, exactly two parts (`security.js`).
fn bearer(header: &str) -> Option<&str> {
    let mut parts = header.split(' ');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(scheme), Some(token), None) if scheme.eq_ignore_ascii_case("bearer") && !token.is_empty() => Some(token),
        _ => None,
    }
}

impl FromRequestParts<AppState> for V3Caller {
    type Rejection = V3Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let header = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok());
        let creds = match (header("authorization"), header("api-secret").filter(|s| !s.is_empty())) {
            (Some(a), _) => Credentials { bearer: bearer(a).map(str::to_owned), ..Default::default() },
            (None, Some(secret)) => Credentials { secret: Some(secret.to_owned()), ..Default::default() },
            (None, None) => Credentials::default(),
        };
        if creds.is_empty() {
            return Err(V3Error::msg(StatusCode::UNAUTHORIZED, MISSING));
        }
        match state.auth.resolve(&creds, client_ip(parts, state.config.trusted_proxy_hops)).await {
            Ok(caller) => Ok(V3Caller { caller }),
            Err(_) => Err(V3Error::msg(StatusCode::UNAUTHORIZED, BAD)),
        }
    }
}

impl V3Caller {
    /// True when the caller holds `api:<coll>:<op>`.
    pub fn can(&self, coll: Collection, op: &str) -> bool {
        self.caller.can(&format!("api:{}:{op}", coll.default_name()))
    }

    /// 403 `Missing permission api:<coll>:<op>` unless the caller holds it.
    pub fn need(&self, coll: Collection, op: &str) -> Result<(), V3Error> {
        if self.can(coll, op) {
            Ok(())
        } else {
            let p = format!("api:{}:{op}", coll.default_name());
            Err(V3Error::msg(StatusCode::FORBIDDEN, format!("Missing permission {p}")))
        }
    }

    /// The subject's name for `subject`/`modifiedBy` (none for the API secret).
    pub fn subject(&self) -> Option<String> {
        self.caller.subject.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::bearer;

    #[test]
    fn the_bearer_scheme_is_read_in_any_case() {
        assert_eq!(bearer("Bearer abc"), Some("abc"));
        assert_eq!(bearer("bEaReR abc"), Some("abc"));
        assert_eq!(bearer("Bearer  abc"), None);
        assert_eq!(bearer("Basic abc"), None);
        assert_eq!(bearer("Bearer"), None);
    }
}
