//! Permissions in handler signatures: a handler names what it needs as a type, so the check
//! cannot be forgotten. `Allowed<P>` checks the credentials of the headers and query string;
//! `AllowedBody<P>` also reads the body and lets a body `secret`/`token` count, as Nightscout does.

use std::marker::PhantomData;

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use serde_json::Value;

use super::body::Body;
use super::caller::AuthInput;
use crate::app::AppState;
use crate::auth::Caller;
use crate::error::ApiError;

/// A set of Shiro permissions a handler needs, all of them.
pub trait Permission: Send + Sync + 'static {
    const NEEDS: &'static [&'static str];
}

macro_rules! permissions {
    ($($(#[$doc:meta])* $name:ident => [$($p:literal),+];)*) => {
        $($(#[$doc])* pub struct $name; impl Permission for $name { const NEEDS: &'static [&'static str] = &[$($p),+]; })*
    };
}

permissions! {
    EntriesRead => ["api:entries:read"];
    EntriesCreate => ["api:entries:read", "api:entries:create"];
    EntriesDelete => ["api:entries:read", "api:entries:delete"];
    TreatmentsRead => ["api:treatments:read"];
    TreatmentsCreate => ["api:treatments:read", "api:treatments:create"];
    TreatmentsUpdate => ["api:treatments:read", "api:treatments:update"];
    TreatmentsDelete => ["api:treatments:read", "api:treatments:delete"];
    DeviceStatusRead => ["api:devicestatus:read"];
    DeviceStatusCreate => ["api:devicestatus:read", "api:devicestatus:create"];
    DeviceStatusDelete => ["api:devicestatus:read", "api:devicestatus:delete"];
    ProfileRead => ["api:profile:read"];
    ProfileCreate => ["api:profile:read", "api:profile:create"];
    ProfileUpdate => ["api:profile:read", "api:profile:update"];
    ProfileDelete => ["api:profile:read", "api:profile:delete"];
    FoodRead => ["api:food:read"];
    FoodCreate => ["api:food:read", "api:food:create"];
    FoodUpdate => ["api:food:read", "api:food:update"];
    FoodDelete => ["api:food:read", "api:food:delete"];
    ActivityRead => ["api:activity:read"];
    ActivityCreate => ["api:activity:read", "api:activity:create"];
    ActivityUpdate => ["api:activity:read", "api:activity:update"];
    ActivityDelete => ["api:activity:read", "api:activity:delete"];
    StatusRead => ["api:status:read"];
    /// `/pebble` (`lib/server/pebble.js`).
    PebbleRead => ["api:pebble,entries:read"];
    /// `/api/v2/properties`: it reads entries and treatments.
    PropertiesRead => ["api:entries:read", "api:treatments:read"];
    /// `/api/v2/dataupdate`: what the socket's full `dataUpdate` carries.
    DataUpdateRead => ["api:entries:read", "api:treatments:read", "api:devicestatus:read", "api:profile:read"];
    /// `/experiments/test`.
    DebugTest => ["authorization:debug:test"];
}

/// The caller, checked to hold every permission of `P`.
pub struct Allowed<P> {
    #[allow(dead_code, reason = "for handlers whose answer depends on who asks (status, tokens, v3)")]
    pub caller: Caller,
    _permission: PhantomData<P>,
}

impl<P: Permission> FromRequestParts<AppState> for Allowed<P> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let auth = AuthInput::from_request_parts(parts, state).await?;
        let caller = auth.require(state, P::NEEDS).await?;
        Ok(Allowed { caller, _permission: PhantomData })
    }
}

/// The parsed body (always a JSON object or array, credentials taken out of it) and the
/// caller, checked to hold every permission of `P`.
pub struct AllowedBody<P> {
    #[allow(dead_code, reason = "for handlers whose answer depends on who asks (status, tokens, v3)")]
    pub caller: Caller,
    pub body: Value,
    _permission: PhantomData<P>,
}

/// Without credentials in the headers or query string, and not allowed by the default roles,
/// only a body `secret`/`token` can permit the request: such a body is read up to this size.
pub(crate) const UNAUTHENTICATED_BODY_LIMIT: usize = 1 << 20;

impl<P: Permission> FromRequest<AppState> for AllowedBody<P> {
    type Rejection = ApiError;

    /// Credentials are checked before the body is read wherever they can be: header and query
    /// credentials decide at once (a body `secret`/`token` counts only when they are absent, as
    /// in Nightscout), so a refused client's body is never read.
    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = req.into_parts();
        let mut auth = AuthInput::from_request_parts(&mut parts, state).await?;
        let req = Request::from_parts(parts, body);
        if !auth.creds.is_empty() {
            let caller = auth.require(state, P::NEEDS).await?;
            let Body(mut body) = Body::from_request(req, state).await?;
            auth.take_body_credentials(&mut body);
            return Ok(AllowedBody { caller, body, _permission: PhantomData });
        }
        let anonymous = state.auth.anonymous();
        let Body(mut body) = if P::NEEDS.iter().all(|p| anonymous.can(p)) {
            Body::from_request(req, state).await?
        } else {
            match Body::read_at_most(req, UNAUTHENTICATED_BODY_LIMIT).await? {
                Some(b) => b,
                // Too long to carry credentials worth reading: refused as unauthenticated.
                None => return Err(auth.require(state, P::NEEDS).await.err().unwrap_or(ApiError::PayloadTooLarge)),
            }
        };
        auth.take_body_credentials(&mut body);
        let caller = auth.require(state, P::NEEDS).await?;
        Ok(AllowedBody { caller, body, _permission: PhantomData })
    }
}
