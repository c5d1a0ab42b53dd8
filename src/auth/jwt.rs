//! JWTs as Nightscout issues them (`lib/server/enclave.js` `signJWT`/`verifyJWT`): HS256, payload
//! `{accessToken, iat, exp}`, 8 hours. The key is a random string kept in the store, created once
//! and shared by every instance on the same database, so a restart or redeploy logs nobody out.

use std::sync::Arc;

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use tokio::sync::OnceCell;

use crate::store::Store;

/// Nightscout's `expiresIn: '8h'`.
pub const LIFETIME_SECS: i64 = 8 * 3600;

/// A JWT's payload.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Claims {
    #[serde(rename = "accessToken")]
    pub access_token: String,
    pub iat: i64,
    pub exp: i64,
}

struct Keys {
    encoding: EncodingKey,
    decoding: DecodingKey,
}

/// Signs and verifies with the stored key, loading (or creating) it on first use.
pub struct Jwt {
    store: Arc<dyn Store>,
    keys: OnceCell<Keys>,
}

impl Jwt {
    pub fn new(store: Arc<dyn Store>) -> Jwt {
        Jwt { store, keys: OnceCell::new() }
    }

    async fn keys(&self) -> Option<&Keys> {
        let loaded = self
            .keys
            .get_or_try_init(|| async {
                let key = self.store.auth().jwt_key(random_key()?).await?;
                Ok::<_, crate::store::StoreError>(Keys {
                    encoding: EncodingKey::from_secret(key.as_bytes()),
                    decoding: DecodingKey::from_secret(key.as_bytes()),
                })
            })
            .await;
        match loaded {
            Ok(k) => Some(k),
            Err(e) => {
                tracing::error!("cannot load the JWT signing key from the store: {e}");
                None
            }
        }
    }

    /// A JWT for `access_token`, valid for 8 hours from now, with its claims.
    pub async fn sign(&self, access_token: &str) -> Option<(String, Claims)> {
        let keys = self.keys().await?;
        let iat = crate::domain::time::now_ms() / 1000;
        let claims = Claims { access_token: access_token.to_owned(), iat, exp: iat + LIFETIME_SECS };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &keys.encoding).ok()?;
        Some((token, claims))
    }

    /// The claims of a JWT we signed that has not expired (no leeway, as Node's `jsonwebtoken`).
    pub async fn verify(&self, token: &str) -> Option<Claims> {
        // Only strings shaped like a JWT reach the key (an access token never is one).
        if token.split('.').count() != 3 {
            return None;
        }
        let keys = self.keys().await?;
        let mut v = Validation::new(Algorithm::HS256);
        v.leeway = 0;
        jsonwebtoken::decode::<Claims>(token, &keys.decoding, &v).ok().map(|d| d.claims)
    }
}

/// 32 random bytes from the system, as hex.
fn random_key() -> Result<String, crate::store::StoreError> {
    use ring::rand::SecureRandom as _;
    let mut bytes = [0u8; 32];
    ring::rand::SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| crate::store::StoreError::Other("the system random number generator failed".into()))?;
    Ok(hex::encode(bytes))
}
