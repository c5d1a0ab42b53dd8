//! Dexcom Share (nightscout-connect `lib/sources/dexcomshare.js`, share2nightscout-bridge):
//! account name + password → account id → session id (valid a day); then the latest glucose
//! values since the newest stored reading.

use serde_json::{Value, json};

use super::config::BridgeConfig;
use super::vendor::{BridgeError, Vendor, VendorResult, http_client, json_body, retry_after, sgv_entry, transport};
use crate::domain::Doc;

/// Dexcom's application id for Share clients.
pub const APPLICATION_ID: &str = "d89443d2-327c-4a6f-89e5-496bbb0317db";
const AUTH: &str = "/ShareWebServices/Services/General/AuthenticatePublisherAccount";
const LOGIN: &str = "/ShareWebServices/Services/General/LoginPublisherAccountById";
const LATEST: &str = "/ShareWebServices/Services/Publisher/ReadPublisherLatestGlucoseValues";
/// nightscout-connect re-logs in 10 minutes before the day-long session ends.
const SESSION_MS: i64 = 24 * 3600 * 1000 - 600_000;
const SKEW_MARGIN_MS: i64 = 10 * 60_000;
const NULL_ID: &str = "00000000-0000-0000-0000-000000000000";
/// Dexcom's trend numbers, 0-9, as Nightscout directions.
const DIRECTIONS: [&str; 10] = [
    "NONE",
    "DoubleUp",
    "SingleUp",
    "FortyFiveUp",
    "Flat",
    "FortyFiveDown",
    "SingleDown",
    "DoubleDown",
    "NOT COMPUTABLE",
    "RATE OUT OF RANGE",
];

pub struct Dexcom {
    cfg: BridgeConfig,
    http: reqwest::Client,
    session: Option<(String, i64)>,
}

impl Dexcom {
    pub fn new(cfg: BridgeConfig) -> Dexcom {
        Dexcom { cfg, http: http_client(true), session: None }
    }

    async fn post(&self, path: &str, query: &[(&str, String)], body: Value, what: &str) -> VendorResult<Value> {
        let url = format!("{}{path}", self.cfg.base_url);
        let res = self
            .http
            .post(url)
            .query(query)
            .header("accept", "application/json")
            .header("user-agent", "ferroscout (Dexcom Share)")
            .json(&body)
            .send()
            .await
            .map_err(transport)?;
        let status = res.status();
        let retry = retry_after(&res);
        let body = json_body(res, what).await;
        if status.is_success() {
            return body;
        }
        Err(share_error(status.as_u16(), body.ok().as_ref(), retry, what))
    }

    async fn login(&mut self, now: i64) -> VendorResult<String> {
        let app = vec![("applicationId", APPLICATION_ID.to_owned())];
        let password = self.cfg.password.expose().to_owned();
        let account = self
            .post(
                AUTH,
                &app,
                json!({"accountName": self.cfg.username, "password": password, "applicationId": APPLICATION_ID}),
                "Dexcom Share account check",
            )
            .await?;
        let account = id_of(&account).ok_or_else(refused)?;
        let session = self
            .post(
                LOGIN,
                &app,
                json!({"accountId": account, "password": password, "applicationId": APPLICATION_ID}),
                "Dexcom Share login",
            )
            .await?;
        let session = id_of(&session).ok_or_else(refused)?;
        self.session = Some((session.clone(), now));
        Ok(session)
    }

    async fn read(&self, session: &str, since: i64, now: i64) -> VendorResult<Vec<Doc>> {
        // maxCount = readings missing since `since` (5 minutes each), minutes = 5 × maxCount, as
        // nightscout-connect asks, plus two readings of margin so a vendor clock a few minutes
        // off (or a reading landing late) leaves no gap; what we already have is skipped by the
        // caller. Capped at the day Share keeps (Share refuses more).
        let max_count = ((now - since + SKEW_MARGIN_MS).max(1) as f64 / 300_000.0).ceil().clamp(1.0, 288.0) as i64;
        let query = [
            ("sessionID", session.to_owned()),
            ("minutes", (5 * max_count).to_string()),
            ("maxCount", max_count.to_string()),
        ];
        let data = self.post(LATEST, &query, json!({}), "Dexcom Share glucose values").await?;
        let Value::Array(records) = data else {
            return Err(BridgeError::Transient("Dexcom Share glucose values: not a list".into()));
        };
        Ok(records.iter().filter_map(|r| to_entry(r, &self.cfg.device)).collect())
    }
}

#[async_trait::async_trait]
impl Vendor for Dexcom {
    async fn fetch(&mut self, since: i64, now: i64) -> VendorResult<Vec<Doc>> {
        let current = self.session.clone().filter(|(_, at)| now - at < SESSION_MS);
        let session = match current {
            Some((s, _)) => s,
            None => self.login(now).await?,
        };
        match self.read(&session, since, now).await {
            Err(BridgeError::SessionExpired) => {
                self.session = None;
                let session = self.login(now).await?;
                self.read(&session, since, now).await
            }
            other => other,
        }
    }
}

fn refused() -> BridgeError {
    BridgeError::BadCredentials(
        "Dexcom Share refused the account name or password (check CONNECT_SHARE_ACCOUNT_NAME / \
         CONNECT_SHARE_PASSWORD, or BRIDGE_USER_NAME / BRIDGE_PASSWORD, and the region)"
            .into(),
    )
}

/// A GUID answer; the all-zero id means the login failed.
fn id_of(v: &Value) -> Option<String> {
    let s = v.as_str()?.trim();
    (!s.is_empty() && s != NULL_ID).then(|| s.to_owned())
}

/// Share's error answer (`{"Code": ..., "Message": ...}`, HTTP 500 mostly) as a failure kind.
fn share_error(status: u16, body: Option<&Value>, retry: Option<std::time::Duration>, what: &str) -> BridgeError {
    let code = body.and_then(|b| b.get("Code")).and_then(Value::as_str).unwrap_or_default();
    match code {
        "SessionIdNotFound" | "SessionNotValid" => BridgeError::SessionExpired,
        "AccountPasswordInvalid" | "SSO_AuthenticatePasswordInvalid" | "SSO_AuthenticateAccountNotFound" => refused(),
        c if c.contains("MaxAttempts") => BridgeError::NeedsAction(
            "Dexcom locked the Share account after too many failed logins: wait, then check the password \
             in the Dexcom app"
                .into(),
        ),
        c if c.contains("PasswordExpired") || c.contains("PasswordChange") => {
            BridgeError::NeedsAction("Dexcom asks for a password change: sign in to the Dexcom app".into())
        }
        c if c.contains("Terms") || c.contains("Consent") => {
            BridgeError::NeedsAction("Dexcom asks you to accept its terms: open the Dexcom app".into())
        }
        _ if status == 429 => BridgeError::RateLimited {
            message: format!("Dexcom Share is rate limiting us ({what})"),
            retry_after: retry,
        },
        "" => super::vendor::status_error(reqwest::StatusCode::from_u16(status).unwrap_or_default(), retry, what),
        c => BridgeError::Transient(format!("{what}: Dexcom error {c} (HTTP {status})")),
    }
}

/// `{WT: "/Date(ms)/", Value, Trend}` → an entry; `Trend` is a number or a name.
fn to_entry(r: &Value, device: &str) -> Option<Doc> {
    let wt = r.get("WT").and_then(Value::as_str)?;
    let digits: String = wt.split_once('(')?.1.chars().take_while(|c| c.is_ascii_digit() || *c == '-').collect();
    let date: i64 = digits.parse().ok()?;
    let value = r.get("Value").and_then(Value::as_f64)?;
    let trend = match r.get("Trend") {
        Some(Value::Number(n)) => n.as_i64(),
        Some(Value::String(s)) => {
            let key: String = s.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_ascii_lowercase();
            DIRECTIONS.iter().position(|d| d.replace(' ', "").eq_ignore_ascii_case(&key)).map(|i| i as i64)
        }
        _ => None,
    };
    let direction =
        trend.and_then(|t| usize::try_from(t).ok()).and_then(|t| DIRECTIONS.get(t)).unwrap_or(&DIRECTIONS[0]);
    Some(sgv_entry(date, value, direction, trend, device))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn share_records_become_entries_with_trend_and_direction() {
        let r = json!({"DT": "/Date(1426292016000-0700)/", "ST": "/Date(1426295616000)/", "Trend": 4, "Value": 101,
                       "WT": "/Date(1426292039000)/"});
        let e = to_entry(&r, "nightscout-connect").unwrap();
        assert_eq!(
            Value::Object(e),
            json!({"type": "sgv", "sgv": 101, "date": 1426292039000i64, "dateString": "2015-03-14T00:13:59.000Z",
                   "trend": 4, "direction": "Flat", "device": "nightscout-connect"})
        );
        let named = to_entry(&json!({"WT": "Date(5)", "Value": 80, "Trend": "FortyFiveDown"}), "d").unwrap();
        assert_eq!((named["trend"].clone(), named["direction"].clone()), (json!(5), json!("FortyFiveDown")));
        let odd = to_entry(&json!({"WT": "Date(5)", "Value": 80, "Trend": "NotComputable"}), "d").unwrap();
        assert_eq!(odd["direction"], "NOT COMPUTABLE");
    }

    #[test]
    fn share_error_codes_become_plain_failure_kinds() {
        let e = |code: &str| share_error(500, Some(&json!({"Code": code, "Message": "x"})), None, "t");
        assert_eq!(e("SessionIdNotFound"), BridgeError::SessionExpired);
        assert!(matches!(e("AccountPasswordInvalid"), BridgeError::BadCredentials(_)));
        assert!(matches!(e("SSO_AuthenticateMaxAttemptsExceeed"), BridgeError::NeedsAction(_)));
        assert!(matches!(share_error(429, None, None, "t"), BridgeError::RateLimited { .. }));
        assert!(matches!(share_error(503, None, None, "t"), BridgeError::Transient(_)));
    }
}
