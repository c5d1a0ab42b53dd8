//! `/api/v3`: Nightscout's API v3 (`lib/api3/`; spec 6), as AndroidAPS's NSClientV3 uses it
//! (`tokens-and-v3.md` section 3). Envelope `{status, result}`, errors `{status, message}`.

use axum::Router;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};

use crate::app::AppState;
use crate::domain::Collection;
use crate::store::StoreError;
use crate::write::v3::Refused;

mod auth;
mod docs;
mod meta;
mod query;
mod search;
mod writes;

/// API v3's collections (`settings` is not stored by Ferroscout).
pub(crate) const COLLECTIONS: [Collection; 5] =
    [Collection::DeviceStatus, Collection::Entries, Collection::Food, Collection::Profile, Collection::Treatments];

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v3/version", get(meta::version))
        .route("/api/v3/status", get(meta::status))
        .route("/api/v3/lastModified", get(meta::last_modified))
        .route("/api/v3/{col}", get(search::search).post(writes::create))
        .route("/api/v3/{col}/history", get(search::history_by_header))
        .route("/api/v3/{col}/history/{since}", get(search::history))
        .route(
            "/api/v3/{col}/{identifier}",
            get(docs::read).put(writes::update).patch(writes::patch).delete(docs::delete),
        )
        .layer(axum::extract::DefaultBodyLimit::max(50 * 1024 * 1024))
}

const BAD_OPERATION: &str = "Bad operation or collection";

/// The collection a path segment names.
fn collection(name: &str) -> Result<Collection, V3Error> {
    COLLECTIONS
        .into_iter()
        .find(|c| c.default_name() == name)
        .ok_or_else(|| V3Error::msg(StatusCode::NOT_FOUND, BAD_OPERATION))
}

/// A path's collection, checked before the caller: Nightscout routes only its collections, so
/// any other name is a 404 `Bad operation or collection` whoever asks (`lib/api3/index.js`).
pub(crate) struct KnownCollection;

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for KnownCollection {
    type Rejection = V3Error;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, state: &S) -> Result<Self, V3Error> {
        let params = axum::extract::RawPathParams::from_request_parts(parts, state)
            .await
            .map_err(|_| V3Error::msg(StatusCode::NOT_FOUND, BAD_OPERATION))?;
        let name = params.iter().find(|(k, _)| *k == "col").map_or("", |(_, v)| v);
        collection(name).map(|_| KnownCollection)
    }
}

/// An API v3 error (`shared/operationTools.js` `sendJSONStatus`): `{status, message?}`.
#[derive(Debug)]
pub(crate) struct V3Error {
    status: StatusCode,
    message: Option<String>,
}

impl V3Error {
    fn msg(status: StatusCode, message: impl Into<String>) -> V3Error {
        V3Error { status, message: Some(message.into()) }
    }

    fn bare(status: StatusCode) -> V3Error {
        V3Error { status, message: None }
    }

    fn bad(message: impl Into<String>) -> V3Error {
        V3Error::msg(StatusCode::BAD_REQUEST, message)
    }
}

impl From<StoreError> for V3Error {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Unavailable(m) => {
                tracing::error!(cause = %m, "store unavailable");
                V3Error::msg(StatusCode::SERVICE_UNAVAILABLE, "Database unavailable")
            }
            StoreError::Invalid(m) => V3Error::bad(m),
            StoreError::Other(m) => {
                tracing::error!(cause = %m, "store error");
                V3Error::msg(StatusCode::INTERNAL_SERVER_ERROR, "Database error")
            }
        }
    }
}

impl From<Refused> for V3Error {
    fn from(r: Refused) -> Self {
        use crate::domain::v3::Invalid;
        match r {
            Refused::Invalid(Invalid::ReadOnly) => {
                V3Error::msg(StatusCode::UNPROCESSABLE_ENTITY, Invalid::ReadOnly.message())
            }
            Refused::Invalid(i) => V3Error::bad(i.message()),
            Refused::Forbidden(p) => V3Error::msg(StatusCode::FORBIDDEN, format!("Missing permission {p}")),
            Refused::NotFound => V3Error::bare(StatusCode::NOT_FOUND),
            Refused::Gone => V3Error::bare(StatusCode::GONE),
            Refused::Modified => V3Error::bare(StatusCode::PRECONDITION_FAILED),
            Refused::Store(e) => e.into(),
        }
    }
}

impl IntoResponse for V3Error {
    fn into_response(self) -> Response {
        let mut body = json!({"status": self.status.as_u16()});
        if let Some(m) = self.message {
            body["message"] = Value::String(m);
        }
        (self.status, axum::Json(body)).into_response()
    }
}

type V3Result<T> = Result<T, V3Error>;

/// `{status: 200, result}`.
fn ok(result: Value) -> Response {
    axum::Json(json!({"status": 200, "result": result})).into_response()
}
