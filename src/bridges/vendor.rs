//! What every vendor client shares: the trait the scheduler drives, the failure kinds it
//! schedules by, and the HTTP client (rustls, webpki roots, no OpenSSL).

use std::time::Duration;

use reqwest::StatusCode;

use crate::domain::Doc;

/// Why a poll failed. Messages are our own plain words plus the vendor's error code: never a
/// request URL (Dexcom's carries the session id), never a credential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BridgeError {
    /// Network trouble, a 5xx, an answer we cannot read: retried with exponential back-off.
    Transient(String),
    /// The vendor asks us to slow down (429, LibreLinkUp's lockout).
    RateLimited { message: String, retry_after: Option<Duration> },
    /// The vendor refused the user name or password. Retrying soon cannot help and risks
    /// locking the account, so it waits the longest back-off.
    BadCredentials(String),
    /// Only the user can fix this in the vendor's app or website (terms to accept, password
    /// change, locked account): reported and retried rarely.
    NeedsAction(String),
    /// The session ended: the client logs in again (once) within the same poll.
    SessionExpired,
}

impl BridgeError {
    pub fn message(&self) -> String {
        match self {
            BridgeError::Transient(m)
            | BridgeError::BadCredentials(m)
            | BridgeError::NeedsAction(m)
            | BridgeError::RateLimited { message: m, .. } => m.clone(),
            BridgeError::SessionExpired => "the vendor ended the session twice in a row".into(),
        }
    }

    /// True when only the user can fix it (shown at once, not after the alert delay).
    pub fn needs_user(&self) -> bool {
        matches!(self, BridgeError::BadCredentials(_) | BridgeError::NeedsAction(_))
    }
}

pub type VendorResult<T> = Result<T, BridgeError>;

/// A vendor's client. It keeps its session between polls and logs in when it has none, when
/// the session is older than the vendor allows, or once more when the vendor ends it.
#[async_trait::async_trait]
pub trait Vendor: Send {
    /// Readings (entries documents) from `since_ms` on; `now_ms` is our clock.
    async fn fetch(&mut self, since_ms: i64, now_ms: i64) -> VendorResult<Vec<Doc>>;
}

/// The HTTP client every vendor uses: 30 s timeouts, rustls with the webpki roots.
pub fn http_client(redirects: bool) -> reqwest::Client {
    let policy = if redirects { reqwest::redirect::Policy::limited(5) } else { reqwest::redirect::Policy::none() };
    reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .connect_timeout(Duration::from_secs(15))
        .redirect(policy)
        .build()
        .unwrap_or_else(|_| reqwest::Client::new())
}

/// A transport failure in plain words, without the URL.
pub fn transport(e: reqwest::Error) -> BridgeError {
    let e = e.without_url();
    let what = if e.is_timeout() {
        "the vendor's server did not answer in time".to_owned()
    } else if e.is_connect() {
        "cannot connect to the vendor's server".to_owned()
    } else if e.is_decode() {
        "the vendor's server sent an answer we cannot read".to_owned()
    } else {
        format!("the request to the vendor's server failed ({e})")
    };
    BridgeError::Transient(what)
}

/// `Retry-After` in seconds, if the vendor sent one.
pub fn retry_after(res: &reqwest::Response) -> Option<Duration> {
    let v = res.headers().get(reqwest::header::RETRY_AFTER)?.to_str().ok()?;
    v.trim().parse::<u64>().ok().map(Duration::from_secs)
}

/// The failure an unexpected HTTP status stands for.
pub fn status_error(status: StatusCode, retry: Option<Duration>, what: &str) -> BridgeError {
    match status.as_u16() {
        429 => BridgeError::RateLimited {
            message: format!("the vendor is rate limiting us ({what}: HTTP 429)"),
            retry_after: retry,
        },
        401 => BridgeError::SessionExpired,
        _ => BridgeError::Transient(format!("{what}: HTTP {}", status.as_u16())),
    }
}

/// Reads a JSON body; a body that is not JSON is a transient failure named after `what`.
pub async fn json_body(res: reqwest::Response, what: &str) -> VendorResult<serde_json::Value> {
    let text = res.text().await.map_err(transport)?;
    serde_json::from_str(&text).map_err(|_| BridgeError::Transient(format!("{what}: the answer is not JSON")))
}

/// An entry document with the fields every bridge writes.
pub fn sgv_entry(date_ms: i64, sgv: f64, direction: &str, trend: Option<i64>, device: &str) -> Doc {
    let mut d = Doc::new();
    d.insert("type".into(), "sgv".into());
    d.insert("sgv".into(), num(sgv));
    d.insert("date".into(), date_ms.into());
    d.insert("dateString".into(), crate::domain::time::to_iso_utc(date_ms).unwrap_or_default().into());
    if let Some(t) = trend {
        d.insert("trend".into(), t.into());
    }
    d.insert("direction".into(), direction.into());
    d.insert("device".into(), device.into());
    d
}

/// Whole numbers as integers (as the vendors send them), else a float.
fn num(x: f64) -> serde_json::Value {
    if x.fract() == 0.0 && x.abs() < 1e15 { (x as i64).into() } else { x.into() }
}
