//! Request bodies as Nightscout's body parsers read them: JSON (objects and arrays only),
//! urlencoded forms (qs "extended"); other types arrive as `{}`. Limits per route give 413.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use std::time::Duration;

use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use futures_util::StreamExt;
use serde_json::Value;

use super::query_string;
use crate::error::ApiError;

/// A parsed body: always a JSON object or array.
pub struct Body(pub Value);

/// The whole body must arrive within this time (a body trickled a byte at a time is cut off):
/// `FERROSCOUT_BODY_TIMEOUT`, put on every request by the router (`app::router`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct BodyTimeout(pub Duration);

/// The body timeout of `req` (the default where no router set one, as in unit tests).
fn body_timeout(req: &Request) -> Duration {
    req.extensions().get::<BodyTimeout>().map_or_else(|| crate::config::limits::Limits::default().body_timeout, |t| t.0)
}

impl<S: Send + Sync> FromRequest<S> for Body {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let ctype = content_type(&req);
        let timeout = body_timeout(&req);
        let read = Bytes::from_request(req, state);
        let bytes = tokio::time::timeout(timeout, read).await.map_err(|_| ApiError::RequestTimeout)?.map_err(|e| {
            if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::PayloadTooLarge
            } else {
                ApiError::bad_request("Bad request body", e.body_text())
            }
        })?;
        Body::parse(ctype.as_deref(), &bytes)
    }
}

impl Body {
    /// The body of a request, read only up to `limit` bytes (`None` when it is longer), within
    /// the body timeout.
    pub(crate) async fn read_at_most(req: Request, limit: usize) -> Result<Option<Body>, ApiError> {
        let ctype = content_type(&req);
        let timeout = body_timeout(&req);
        let declared = req.headers().get(CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
        if declared.is_some_and(|n| n > limit as u64) {
            return Ok(None);
        }
        let mut stream = req.into_body().into_data_stream();
        let mut buf = Vec::new();
        let read = async {
            while let Some(chunk) = stream.next().await {
                let chunk = chunk.map_err(|e| ApiError::bad_request("Bad request body", e.to_string()))?;
                if buf.len() + chunk.len() > limit {
                    return Ok::<bool, ApiError>(false);
                }
                buf.extend_from_slice(&chunk);
            }
            Ok(true)
        };
        if !tokio::time::timeout(timeout, read).await.map_err(|_| ApiError::RequestTimeout)?? {
            return Ok(None);
        }
        Body::parse(ctype.as_deref(), &buf).map(Some)
    }

    fn parse(ctype: Option<&str>, bytes: &[u8]) -> Result<Body, ApiError> {
        let mut body = parse(ctype, bytes)?;
        if let Some(why) = crate::domain::documents::bad_key(&body) {
            return Err(ApiError::bad_request("Bad request body", why));
        }
        crate::domain::js::whole_numbers_as_integers(&mut body);
        Ok(Body(body))
    }
}

fn content_type(req: &Request) -> Option<String> {
    req.headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or_default().trim().to_ascii_lowercase())
}

fn parse(ctype: Option<&str>, bytes: &[u8]) -> Result<Value, ApiError> {
    let json = |strict: bool| -> Result<Value, ApiError> {
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(Value::Object(Default::default()));
        }
        match serde_json::from_slice::<Value>(bytes) {
            Ok(v @ (Value::Object(_) | Value::Array(_))) => Ok(v),
            Ok(_) if strict => Err(ApiError::bad_request("Bad JSON", "the body must be a JSON object or array")),
            Err(e) if strict => Err(ApiError::bad_request("Bad JSON", e.to_string())),
            _ => Ok(Value::Object(Default::default())),
        }
    };
    match ctype {
        Some(t) if t == "application/json" || t.ends_with("+json") => json(true),
        Some("application/x-www-form-urlencoded") => {
            Ok(Value::Object(query_string::parse(&String::from_utf8_lossy(bytes))))
        }
        // No content type (or text/plain): take it as JSON when it is JSON.
        None | Some("text/plain") => json(false),
        Some(_) => Ok(Value::Object(Default::default())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_bodies_must_be_objects_or_arrays() {
        assert_eq!(parse(Some("application/json"), br#"[{"a":1}]"#).unwrap(), json!([{"a": 1}]));
        assert_eq!(parse(Some("application/json"), b"").unwrap(), json!({}));
        assert!(parse(Some("application/json"), b"{\"a\":").is_err());
        assert!(parse(Some("application/json"), b"5").is_err());
    }

    #[test]
    fn forms_and_untyped_bodies() {
        assert_eq!(
            parse(Some("application/x-www-form-urlencoded"), b"date=5&sgv=100").unwrap(),
            json!({"date": "5", "sgv": "100"})
        );
        assert_eq!(parse(None, br#"{"date":1}"#).unwrap(), json!({"date": 1}));
        assert_eq!(parse(Some("text/plain"), b"hello").unwrap(), json!({}));
        assert_eq!(parse(Some("application/octet-stream"), b"{}").unwrap(), json!({}));
    }
}
