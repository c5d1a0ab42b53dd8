use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::store::{StoreError, outage};

/// `Retry-After` of an outage's answer: uploaders come back soon, not at once.
const RETRY_AFTER_SECS: &str = "5";

/// Every error a request can end in, answered in Nightscout's JSON status shape
/// (`lib/middleware/send-json-status.js`): `{status, message, description}`.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("bad request: {message}")]
    BadRequest { message: String, description: String },
    #[error("unauthorized")]
    Unauthorized { description: &'static str },
    #[error("not found")]
    NotFound(String),
    #[error("payload too large")]
    PayloadTooLarge,
    #[error("not acceptable")]
    NotAcceptable,
    #[error("request body timeout")]
    RequestTimeout,
    /// Too much of the server is in use (large reads at once): try again shortly.
    #[error("busy: {0}")]
    Busy(&'static str),
    #[error("store unavailable: {0}")]
    StoreUnavailable(String),
    #[error("store error: {0}")]
    Store(String),
}

impl ApiError {
    pub fn bad_request(message: impl Into<String>, description: impl Into<String>) -> Self {
        ApiError::BadRequest { message: message.into(), description: description.into() }
    }

    /// Nightscout's 401 body: `Unauthorized / Invalid/Missing`.
    pub fn unauthorized() -> Self {
        ApiError::Unauthorized { description: "Invalid/Missing" }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized { .. } => StatusCode::UNAUTHORIZED,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::NotAcceptable => StatusCode::NOT_ACCEPTABLE,
            ApiError::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            ApiError::Busy(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::StoreUnavailable(cause) if cause.starts_with(outage::DISK_FULL) => {
                StatusCode::INSUFFICIENT_STORAGE
            }
            ApiError::StoreUnavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Store(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn body(&self) -> Value {
        let status = self.status().as_u16();
        match self {
            ApiError::BadRequest { message, description } => {
                json!({"status": status, "message": message, "description": description})
            }
            ApiError::Unauthorized { description } => {
                json!({"status": status, "message": "Unauthorized", "description": description})
            }
            ApiError::NotFound(what) => {
                json!({"status": status, "message": "Not Found", "description": what})
            }
            ApiError::PayloadTooLarge => json!({
                "status": status, "message": "Payload Too Large",
                "description": "request entity too large"
            }),
            ApiError::NotAcceptable => json!({"status": status, "message": "Not Acceptable"}),
            ApiError::RequestTimeout => json!({
                "status": status, "message": "Request Timeout",
                "description": "the request body did not arrive in time"
            }),
            ApiError::Busy(description) => {
                json!({"status": status, "message": "Service Unavailable", "description": description})
            }
            ApiError::StoreUnavailable(cause) => {
                let message =
                    if cause.starts_with(outage::DISK_FULL) { "Storage full" } else { "Database unavailable" };
                json!({"status": status, "message": message, "description": outage_description(cause)})
            }
            // Internal causes are logged, never sent.
            ApiError::Store(_) => json!({
                "status": status, "message": "Database error",
                "description": "The database reported an error; see the server log."
            }),
        }
    }
}

/// What an outage means for the client, by its kind (never the internal cause itself).
pub(crate) fn outage_description(cause: &str) -> &'static str {
    if cause.starts_with(outage::DISK_FULL) {
        "The server's storage is full (its disk, or the database size limit): nothing was written. Writing resumes when space is freed."
    } else if cause.starts_with(outage::LOCKED) {
        "The database is busy: nothing was changed. Try again in a few seconds."
    } else if cause.starts_with(outage::READ_ONLY) {
        "The database is read-only: nothing was written. Check the data folder's permissions."
    } else if cause.starts_with(outage::REFUSED) {
        "The database refused the server's credentials: check the user and password in the MongoDB URI."
    } else {
        "The database could not be reached: nothing was changed. Try again shortly."
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Unavailable(m) => ApiError::StoreUnavailable(m),
            StoreError::Invalid(m) => ApiError::bad_request("Bad query", m),
            StoreError::Other(m) => ApiError::Store(m),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match &self {
            // An outage is logged once, when it starts (`store::StoreHealth`); each request has its status line.
            ApiError::StoreUnavailable(cause) => tracing::debug!(cause = %cause, "store unavailable"),
            ApiError::Store(cause) => tracing::error!(cause = %cause, "store error"),
            _ => {}
        }
        let mut res = (self.status(), crate::api::json::Json(self.body())).into_response();
        use axum::http::{HeaderValue, header};
        match self {
            ApiError::Unauthorized { .. } => {
                res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            }
            // The rest of an oversize body is never read: the connection cannot be reused.
            ApiError::StoreUnavailable(_) | ApiError::Busy(_) => {
                res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static(RETRY_AFTER_SECS));
            }
            ApiError::PayloadTooLarge | ApiError::RequestTimeout => {
                res.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
            }
            _ => {}
        }
        res
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
