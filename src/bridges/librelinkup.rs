//! LibreLinkUp (nightscout-connect `lib/sources/librelinkup.js` + PR #53, with the headers the
//! current app sends): login → ticket; connections → the patient; graph → readings.
//! Since app 4.11/4.12 every call needs `version`, `product` and `Account-Id` (hex SHA-256 of
//! the user id), else 403 / `RequiredHeaderMissing` (librelink-up #155, #167).

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::config::BridgeConfig;
use super::vendor::{BridgeError, Vendor, VendorResult, http_client, json_body, retry_after, sgv_entry, transport};
use crate::domain::Doc;

/// nightscout-connect logs in again after 50 minutes (tickets last an hour).
const SESSION_MS: i64 = 50 * 60_000;

struct Session {
    token: String,
    account_id: String,
    patient_id: String,
    since: i64,
}

pub struct LinkUp {
    cfg: BridgeConfig,
    http: reqwest::Client,
    session: Option<Session>,
}

fn trend_direction(arrow: Option<i64>) -> &'static str {
    match arrow {
        Some(1) => "SingleDown",
        Some(2) => "FortyFiveDown",
        Some(3) => "Flat",
        Some(4) => "FortyFiveUp",
        Some(5) => "SingleUp",
        _ => "NOT COMPUTABLE",
    }
}

/// `FactoryTimestamp` ("1/2/2024 10:15:00 AM", UTC) in epoch ms.
fn factory_ms(s: &str) -> Option<i64> {
    chrono::NaiveDateTime::parse_from_str(s.trim(), "%m/%d/%Y %I:%M:%S %p").ok().map(|t| t.and_utc().timestamp_millis())
}

fn to_entry(m: &Value, device: &str) -> Option<Doc> {
    let date = factory_ms(m.get("FactoryTimestamp")?.as_str()?)?;
    let value = m.get("ValueInMgPerDl").and_then(Value::as_f64)?;
    let arrow = m.get("TrendArrow").and_then(Value::as_i64);
    Some(sgv_entry(date, value, trend_direction(arrow), None, device))
}

impl LinkUp {
    pub fn new(cfg: BridgeConfig) -> LinkUp {
        LinkUp { cfg, http: http_client(true), session: None }
    }

    fn request(&self, method: reqwest::Method, path: &str, s: Option<&Session>) -> reqwest::RequestBuilder {
        let mut r = self
            .http
            .request(method, format!("{}{path}", self.cfg.base_url))
            .header("accept", "application/json")
            .header("cache-control", "no-cache")
            .header("version", &self.cfg.linkup_version)
            .header("product", &self.cfg.linkup_product)
            .header("user-agent", "ferroscout (LibreLinkUp)");
        if let Some(s) = s {
            r = r.bearer_auth(&s.token).header("Account-Id", &s.account_id);
        }
        r
    }

    /// Sends; answers `data` when the vendor's `status` is 0, else the failure it stands for.
    async fn call(&mut self, req: reqwest::RequestBuilder, what: &str) -> VendorResult<Value> {
        let res = req.send().await.map_err(transport)?;
        let (code, retry) = (res.status(), retry_after(&res));
        let body = json_body(res, what).await;
        let body = match body {
            Ok(b) => b,
            Err(e) if code.is_success() => return Err(e),
            Err(_) => Value::Null,
        };
        let status = body.get("status").and_then(Value::as_i64);
        if code.is_success() && status == Some(0) {
            return Ok(body.get("data").cloned().unwrap_or(Value::Null));
        }
        Err(self.failure(code.as_u16(), status, &body, retry, what))
    }

    fn failure(
        &mut self,
        http: u16,
        status: Option<i64>,
        body: &Value,
        retry: Option<std::time::Duration>,
        what: &str,
    ) -> BridgeError {
        let message =
            body.pointer("/error/message").or(body.get("message")).and_then(Value::as_str).unwrap_or_default();
        let lockout = body.pointer("/data/data/lockout").and_then(Value::as_u64).map(std::time::Duration::from_secs);
        match (http, status) {
            (_, Some(4)) => {
                let step = body.pointer("/data/step/type").and_then(Value::as_str).unwrap_or("tou");
                let doc = if step == "pp" { "privacy policy" } else { "terms of use" };
                BridgeError::NeedsAction(format!(
                    "LibreLinkUp asks you to accept its new {doc}: open the LibreLinkUp app, sign in and accept them"
                ))
            }
            (_, Some(2)) | (401, _) if what.contains("login") => BridgeError::BadCredentials(
                "LibreLinkUp refused the e-mail or password (check CONNECT_LINK_UP_USERNAME / CONNECT_LINK_UP_PASSWORD \
                 and CONNECT_LINK_UP_REGION)"
                    .into(),
            ),
            (401, _) => BridgeError::SessionExpired,
            (429, _) | (_, Some(429)) => BridgeError::RateLimited {
                message: "LibreLinkUp is rate limiting us (too many attempts); waiting before the next try".into(),
                retry_after: lockout.or(retry),
            },
            (_, Some(920)) => {
                // The app version we announce is too old: adopt the minimum the vendor names.
                if let Some(v) = body.pointer("/data/minimumVersion").and_then(Value::as_str) {
                    self.cfg.linkup_version = v.to_owned();
                }
                BridgeError::Transient(format!(
                    "LibreLinkUp refused app version {} and names no newer one; set CONNECT_LINK_UP_VERSION",
                    self.cfg.linkup_version
                ))
            }
            _ if message.contains("RequiredHeaderMissing") || http == 403 => BridgeError::Transient(format!(
                "{what}: LibreLinkUp refused our app headers (HTTP {http}); set CONNECT_LINK_UP_VERSION to the \
                 current app version"
            )),
            _ => BridgeError::Transient(format!("{what}: LibreLinkUp answered HTTP {http}, status {}", status.unwrap_or(-1))),
        }
    }

    async fn login(&mut self, now: i64) -> VendorResult<()> {
        let body = json!({"email": self.cfg.username, "password": self.cfg.password.expose()});
        let req = self.request(reqwest::Method::POST, "/llu/auth/login", None).json(&body);
        let announced = self.cfg.linkup_version.clone();
        let mut data = match self.call(req, "LibreLinkUp login").await {
            // Status 920 named a newer minimum app version (adopted in `failure`): once more.
            Err(BridgeError::Transient(_)) if self.cfg.linkup_version != announced => {
                let req = self.request(reqwest::Method::POST, "/llu/auth/login", None).json(&body);
                self.call(req, "LibreLinkUp login").await?
            }
            other => other?,
        };
        if data.get("redirect").and_then(Value::as_bool) == Some(true) {
            let region = data.get("region").and_then(Value::as_str).unwrap_or_default().to_ascii_lowercase();
            if !self.cfg.base_url.ends_with(".libreview.io") || region.is_empty() {
                return Err(BridgeError::NeedsAction(format!(
                    "LibreLinkUp says this account lives in region {region:?}: set CONNECT_LINK_UP_REGION to it"
                )));
            }
            tracing::info!("LibreLinkUp: the account is in region {region}, using its server");
            self.cfg.base_url = format!("https://api-{region}.libreview.io");
            let req = self.request(reqwest::Method::POST, "/llu/auth/login", None).json(&body);
            data = self.call(req, "LibreLinkUp login").await?;
        }
        let token = data.pointer("/authTicket/token").and_then(Value::as_str);
        let user = data.pointer("/user/id").and_then(Value::as_str);
        let (Some(token), Some(user)) = (token, user) else {
            return Err(BridgeError::Transient("LibreLinkUp login: no ticket in the answer".into()));
        };
        let mut s = Session {
            token: token.into(),
            account_id: hex::encode(Sha256::digest(user)),
            patient_id: String::new(),
            since: now,
        };
        let req = self.request(reqwest::Method::GET, "/llu/connections", Some(&s));
        let connections = self.call(req, "LibreLinkUp connections").await?;
        s.patient_id = self.pick_patient(connections.as_array().map(Vec::as_slice).unwrap_or_default())?;
        self.session = Some(s);
        Ok(())
    }

    /// The patient to follow: `CONNECT_LINK_UP_PATIENT_ID`, else the only (or first) one.
    fn pick_patient(&self, list: &[Value]) -> VendorResult<String> {
        let ids: Vec<&str> = list.iter().filter_map(|c| c.get("patientId").and_then(Value::as_str)).collect();
        match (&self.cfg.patient, ids.as_slice()) {
            (_, []) => Err(BridgeError::NeedsAction(
                "this LibreLinkUp account follows nobody: in the Libre app, share with this account and accept the \
                 invitation in LibreLinkUp"
                    .into(),
            )),
            (Some(want), _) => ids.iter().find(|id| *id == want).map(|id| id.to_string()).ok_or_else(|| {
                BridgeError::NeedsAction(format!(
                    "CONNECT_LINK_UP_PATIENT_ID matches none of the {} patients this account follows ({})",
                    ids.len(),
                    ids.join(", ")
                ))
            }),
            (None, [one]) => Ok(one.to_string()),
            (None, [first, ..]) => {
                tracing::warn!(
                    "LibreLinkUp: this account follows {} patients ({}); following {first}: set \
                     CONNECT_LINK_UP_PATIENT_ID to choose",
                    ids.len(),
                    ids.join(", ")
                );
                Ok(first.to_string())
            }
        }
    }

    async fn graph(&mut self) -> VendorResult<Vec<Doc>> {
        let Some(s) = &self.session else { return Err(BridgeError::SessionExpired) };
        let req = self.request(reqwest::Method::GET, &format!("/llu/connections/{}/graph", s.patient_id), Some(s));
        let data = self.call(req, "LibreLinkUp graph").await?;
        let device = &self.cfg.device;
        let history = data.get("graphData").and_then(Value::as_array).into_iter().flatten();
        let current = data.pointer("/connection/glucoseMeasurement");
        Ok(history.chain(current).filter_map(|m| to_entry(m, device)).collect())
    }
}

#[async_trait::async_trait]
impl Vendor for LinkUp {
    async fn fetch(&mut self, _since: i64, now: i64) -> VendorResult<Vec<Doc>> {
        // The graph holds the last 12 hours; the caller keeps what is not stored yet.
        if self.session.as_ref().is_none_or(|s| now - s.since >= SESSION_MS) {
            self.session = None;
            self.login(now).await?;
        }
        match self.graph().await {
            Err(BridgeError::SessionExpired) => {
                self.session = None;
                self.login(now).await?;
                self.graph().await
            }
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn factory_timestamps_are_utc_in_the_us_format() {
        assert_eq!(factory_ms("1/2/2024 10:15:00 AM"), Some(1704190500000));
        assert_eq!(factory_ms("12/31/2023 11:59:30 PM"), Some(1704067170000));
        assert_eq!(factory_ms("2024-01-02"), None);
    }

    #[test]
    fn measurements_become_entries_with_the_five_libre_arrows() {
        let m = json!({"FactoryTimestamp": "1/2/2024 10:15:00 AM", "Timestamp": "1/2/2024 11:15:00 AM",
                       "ValueInMgPerDl": 123, "Value": 6.8, "TrendArrow": 4});
        let e = to_entry(&m, "nightscout-connect-librelinkup").unwrap();
        assert_eq!(
            (e["sgv"].clone(), e["direction"].clone(), e["date"].clone()),
            (json!(123), json!("FortyFiveUp"), json!(1704190500000i64))
        );
        assert_eq!(trend_direction(None), "NOT COMPUTABLE");
    }
}
