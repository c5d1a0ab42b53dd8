//! JSON answers as Express' `res.json` writes them: `Content-Type: application/json;
//! charset=utf-8`, and numbers printed the way JavaScript's `JSON.stringify` prints them (one
//! number type: a whole `4.0` is `4`). Every JSON answer of the HTTP API goes through here.

use std::io;

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::ser::{CompactFormatter, Formatter};

/// `Content-Type` of every JSON answer.
pub const JSON_UTF8: &str = "application/json; charset=utf-8";

/// A JSON answer.
pub struct Json<T>(pub T);

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        match to_vec(&self.0) {
            Ok(bytes) => {
                let mut res = bytes.into_response();
                res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(JSON_UTF8));
                res
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot serialise an answer");
                axum::http::StatusCode::INTERNAL_SERVER_ERROR.into_response()
            }
        }
    }
}

/// `JSON.stringify(value)`.
pub fn to_vec<T: Serialize>(value: &T) -> serde_json::Result<Vec<u8>> {
    let mut out = Vec::with_capacity(128);
    let mut ser = serde_json::Serializer::with_formatter(&mut out, JsFormatter);
    value.serialize(&mut ser)?;
    Ok(out)
}

/// `JSON.stringify(value)` as text.
pub fn to_string<T: Serialize>(value: &T) -> String {
    to_vec(value).ok().and_then(|b| String::from_utf8(b).ok()).unwrap_or_default()
}

/// serde_json's compact output, except that whole doubles below 1e21 are written without a
/// fraction (and `-0` as `0`), as JavaScript's `Number.prototype.toString` does.
struct JsFormatter;

impl Formatter for JsFormatter {
    fn write_f64<W: ?Sized + io::Write>(&mut self, writer: &mut W, value: f64) -> io::Result<()> {
        if value.fract() == 0.0 && value.abs() < 1e21 {
            // Rust's Display never uses an exponent and keeps the shortest round-trip digits,
            // which is what JavaScript prints for this range.
            let v = if value == 0.0 { 0.0 } else { value };
            write!(writer, "{v}")
        } else {
            CompactFormatter.write_f64(writer, value)
        }
    }

    fn write_f32<W: ?Sized + io::Write>(&mut self, writer: &mut W, value: f32) -> io::Result<()> {
        self.write_f64(writer, f64::from(value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn text(v: serde_json::Value) -> String {
        String::from_utf8(to_vec(&v).unwrap()).unwrap()
    }

    #[test]
    fn whole_doubles_are_written_as_javascript_writes_them() {
        assert_eq!(text(json!({"a": 4.0, "b": -1.5, "c": 7, "d": -0.0})), r#"{"a":4,"b":-1.5,"c":7,"d":0}"#);
        assert_eq!(text(json!([1e20, 0.1, 1e-7])), "[100000000000000000000,0.1,1e-7]");
        assert_eq!(text(json!("4.0")), r#""4.0""#);
    }
}
