//! Medtronic CareLink, the calls of nightscout-connect's `minimedcarelink` source: the SSO login
//! form, the consent step that sets the `auth_tmp_token` cookie, the session facts (user, profile,
//! country settings, many-to-many links), then the pump/sensor data (GUARDIAN via the M2M
//! endpoint, pumps via the country's BLE endpoint). Only the glucose readings are stored.

use std::collections::HashMap;

use serde_json::{Value, json};

use super::config::BridgeConfig;
use super::vendor::{
    BridgeError, Vendor, VendorResult, http_client, json_body, retry_after, sgv_entry, status_error, transport,
};
use crate::domain::Doc;
use crate::domain::time::parse_zoned;

/// nightscout-connect treats a session as expired after 9 minutes and renews it after 7.
const SESSION_MS: i64 = 7 * 60_000;
const BROWSER: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/90.0.4430.85 Safari/537.36";
const HTML_ACCEPT: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

struct Session {
    token: String,
    patient: bool,
    username: String,
    patient_username: String,
    ble_endpoint: String,
    since: i64,
}

pub struct CareLink {
    cfg: BridgeConfig,
    http: reqwest::Client,
    /// Cookies by host: the login host is not the data host. Hand-kept: two cookies matter.
    jar: HashMap<String, Vec<(String, String)>>,
    session: Option<Session>,
}

/// A hidden input's value, or the form's action (`<form action="..." method="POST"`).
fn form_field(html: &str, name: &str) -> Option<String> {
    let marker = if name == "action" {
        "<form action=\"".to_owned()
    } else {
        format!("<input type=\"hidden\" name=\"{name}\" value=\"")
    };
    let start = html.find(&marker)? + marker.len();
    let end = html[start..].find('"')? + start;
    Some(html[start..end].replace("&amp;", "&"))
}

fn host_of(url: &str) -> String {
    url.split_once("://").map_or(url, |(_, r)| r).split('/').next().unwrap_or_default().to_owned()
}

impl CareLink {
    pub fn new(cfg: BridgeConfig) -> CareLink {
        CareLink { cfg, http: http_client(false), jar: HashMap::new(), session: None }
    }

    /// An absolute URL: the form actions may be relative to our server.
    fn url(&self, path: &str) -> String {
        if path.contains("://") { path.to_owned() } else { format!("{}{path}", self.cfg.base_url) }
    }

    async fn send(&mut self, req: reqwest::RequestBuilder, url: &str) -> VendorResult<reqwest::Response> {
        let host = host_of(url);
        let cookies: Vec<String> = self.jar.get(&host).into_iter().flatten().map(|(k, v)| format!("{k}={v}")).collect();
        let req = if cookies.is_empty() { req } else { req.header("cookie", cookies.join("; ")) };
        let res = req.send().await.map_err(transport)?;
        let set: Vec<(String, String)> = res
            .headers()
            .get_all(reqwest::header::SET_COOKIE)
            .iter()
            .filter_map(|v| {
                v.to_str().ok()?.split(';').next()?.split_once('=').map(|(k, v)| (k.trim().into(), v.trim().into()))
            })
            .collect();
        let jar = self.jar.entry(host).or_default();
        for (k, v) in set {
            jar.retain(|(name, _)| *name != k);
            jar.push((k, v));
        }
        Ok(res)
    }

    /// An HTML page and whether the answer set a cookie (the login post sets none when it
    /// refuses the credentials).
    async fn html(&mut self, req: reqwest::RequestBuilder, url: &str, what: &str) -> VendorResult<(String, bool)> {
        let res = self.send(req.header("accept", HTML_ACCEPT).header("user-agent", BROWSER), url).await?;
        let status = res.status();
        let set_cookie = res.headers().contains_key(reqwest::header::SET_COOKIE);
        if status.is_client_error() || status.is_server_error() {
            return Err(status_error(status, retry_after(&res), what));
        }
        Ok((res.text().await.map_err(transport)?, set_cookie))
    }

    async fn get_json(&mut self, token: &str, path: &str, query: &[(&str, String)], what: &str) -> VendorResult<Value> {
        let url = self.url(path);
        let req = self.http.get(&url).query(query).bearer_auth(token).header("accept", "application/json");
        let res = self.send(req, &url).await?;
        if !res.status().is_success() {
            return Err(status_error(res.status(), retry_after(&res), what));
        }
        json_body(res, what).await
    }

    async fn login(&mut self, now: i64) -> VendorResult<()> {
        self.jar.clear();
        let (country, lang) = (self.cfg.country.clone(), self.cfg.language.clone());
        let url = self.url("/patient/sso/login");
        let req = self.http.get(&url).query(&[("country", &country), ("lang", &lang)]);
        let (page, _) = self.html(req, &url, "CareLink login page").await?;
        let changed =
            || BridgeError::Transient("CareLink's login page is not what we expect (did Medtronic change it?)".into());
        let endpoint = self.url(&form_field(&page, "action").ok_or_else(changed)?);
        let form = [
            ("sessionID", form_field(&page, "sessionID").unwrap_or_default()),
            ("sessionData", form_field(&page, "sessionData").unwrap_or_default()),
            ("locale", country.clone()),
            ("action", "login".into()),
            ("username", self.cfg.username.clone()),
            ("password", self.cfg.password.expose().to_owned()),
            ("actionButton", "Log In".into()),
        ];
        let query = [("country", country.clone()), ("locale", "en".into()), ("g-recaptcha-response", "abc".into())];
        let req = self.http.post(&endpoint).query(&query).form(&form);
        let (consent, cookies) = self.html(req, &endpoint, "CareLink login").await?;
        if !cookies {
            return Err(BridgeError::BadCredentials(
                "CareLink refused the user name or password (check CONNECT_CARELINK_USERNAME / CONNECT_CARELINK_PASSWORD \
                 and CONNECT_COUNTRY_CODE)"
                    .into(),
            ));
        }
        let endpoint = self.url(&form_field(&consent, "action").ok_or_else(changed)?);
        let form = [
            ("sessionID", form_field(&consent, "sessionID").unwrap_or_default()),
            ("sessionData", form_field(&consent, "sessionData").unwrap_or_default()),
            ("action", "consent".into()),
            ("response_type", "code".into()),
            ("response_mode", "query".into()),
        ];
        let req = self.http.post(&endpoint).form(&form);
        self.html(req, &endpoint, "CareLink consent").await?;
        let host = host_of(&self.cfg.base_url);
        let token =
            self.jar.get(&host).and_then(|c| c.iter().find(|(k, _)| k == "auth_tmp_token")).map(|(_, v)| v.clone());
        let Some(token) = token else {
            return Err(BridgeError::NeedsAction(
                "CareLink did not finish the login: sign in once at carelink.minimed.com and accept what it asks"
                    .into(),
            ));
        };
        self.session = Some(self.describe(token, now).await?);
        Ok(())
    }

    /// The session facts nightscout-connect gathers after login.
    async fn describe(&mut self, token: String, now: i64) -> VendorResult<Session> {
        let user = self.get_json(&token, "/patient/users/me", &[], "CareLink user").await?;
        let profile = self.get_json(&token, "/patient/users/me/profile", &[], "CareLink profile").await?;
        let q = [("countryCode", self.cfg.country.clone()), ("language", self.cfg.language.clone())];
        let settings = self.get_json(&token, "/patient/countries/settings", &q, "CareLink country settings").await?;
        let m2m =
            self.get_json(&token, "/patient/configuration/system/personal.cp.m2m.enabled", &[], "CareLink M2M").await?;
        let role = user.get("role").and_then(Value::as_str).unwrap_or_default();
        let patient = matches!(role, "PATIENT" | "PATIENT_US" | "PATIENT_OUS");
        let username = profile.get("username").and_then(Value::as_str).unwrap_or_default().to_owned();
        let patient_username = if patient {
            username.clone()
        } else if let Some(p) = &self.cfg.patient {
            p.clone()
        } else {
            let enabled = m2m.get("value").is_some_and(|v| v.as_bool() == Some(true) || v.as_str() == Some("true"));
            let list = if enabled {
                self.get_json(&token, "/patient/m2m/links/patients", &[], "CareLink patient list").await?
            } else {
                Value::Null
            };
            let first = list.get(0).and_then(|p| p.get("username")).and_then(Value::as_str);
            first.map(str::to_owned).ok_or_else(|| {
                BridgeError::NeedsAction(
                    "this CareLink care-partner account follows no patient: link one in CareLink".into(),
                )
            })?
        };
        let ble_endpoint =
            settings.get("blePereodicDataEndpoint").and_then(Value::as_str).unwrap_or_default().to_owned();
        Ok(Session { token, patient, username, patient_username, ble_endpoint, since: now })
    }

    async fn data(&mut self, now: i64) -> VendorResult<Value> {
        let Some(s) = &self.session else { return Err(BridgeError::SessionExpired) };
        let (token, patient, username, patient_username, ble) =
            (s.token.clone(), s.patient, s.username.clone(), s.patient_username.clone(), s.ble_endpoint.clone());
        let monitor = self.get_json(&token, "/patient/monitor/data", &[], "CareLink monitor").await?;
        if monitor.get("deviceFamily").and_then(Value::as_str) == Some("GUARDIAN") {
            let q = [
                ("cpSerialNumber", "NONE".to_owned()),
                ("msgType", "last24hours".into()),
                ("requestTime", now.to_string()),
            ];
            let path = format!("/patient/m2m/connect/data/gc/patients/{patient_username}");
            return self.get_json(&token, &path, &q, "CareLink data").await;
        }
        if ble.is_empty() {
            return Err(BridgeError::Transient("CareLink country settings name no data endpoint".into()));
        }
        let mut body = json!({"username": username, "role": "patient"});
        if !patient {
            body = json!({"username": username, "role": "carepartner", "patientId": patient_username});
        }
        let url = self.url(&ble);
        let req = self.http.post(&url).bearer_auth(&token).header("accept", "application/json").json(&body);
        let res = self.send(req, &url).await?;
        if !res.status().is_success() {
            return Err(status_error(res.status(), retry_after(&res), "CareLink data"));
        }
        json_body(res, "CareLink data").await
    }
}

/// `t` with its zone (`Z` or `±HH:MM` at the end) replaced by `offset`; without one, unchanged.
fn with_offset(t: &str, offset: &str) -> String {
    let zoned = |z: &str| z.len() == 6 && z.starts_with(['+', '-']) && z.as_bytes()[3] == b':';
    if let Some(stem) = t.strip_suffix('Z') {
        format!("{stem}{offset}")
    } else if t.len() > 6 && t.get(t.len() - 6..).is_some_and(zoned) {
        format!("{}{offset}", &t[..t.len() - 6])
    } else {
        t.to_owned()
    }
}

/// `sgs` readings as entries: times carry the conduit's zone offset; the last one gets the trend.
fn to_entries(data: &Value, device_base: &str) -> Vec<Doc> {
    let Some(family) = data.get("medicalDeviceFamily").and_then(Value::as_str) else { return Vec::new() };
    let device = format!("{device_base}/{family}");
    let offset = data
        .get("lastConduitDateTime")
        .and_then(Value::as_str)
        .and_then(|t| t.get(t.len().saturating_sub(6)..).filter(|o| o.starts_with(['+', '-'])).map(str::to_owned));
    let mut out: Vec<Doc> = Vec::new();
    for sg in data.get("sgs").and_then(Value::as_array).into_iter().flatten() {
        let (Some(t), Some(v)) = (sg.get("datetime").and_then(Value::as_str), sg.get("sg").and_then(Value::as_f64))
        else {
            continue;
        };
        // CareLink lists 0 for a slot without a reading; that is no reading, not a value.
        if v <= 0.0 {
            continue;
        }
        let local = match &offset {
            Some(o) => with_offset(t, o),
            None => t.to_owned(),
        };
        let Some(z) = parse_zoned(&local) else { continue };
        let mut e = sgv_entry(z.epoch_ms, v, "", None, &device);
        e.remove("direction");
        out.push(e);
    }
    let last_sg = data.pointer("/lastSG/sg").and_then(Value::as_f64);
    let trend = match data.get("lastSGTrend").and_then(Value::as_str).unwrap_or_default() {
        "NONE" => Some((4, "Flat")),
        "UP_TRIPLE" => Some((1, "TripleUp")),
        "UP_DOUBLE" => Some((1, "DoubleUp")),
        "UP" => Some((2, "SingleUp")),
        "DOWN" => Some((6, "SingleDown")),
        "DOWN_DOUBLE" => Some((7, "DoubleDown")),
        "DOWN_TRIPLE" => Some((7, "TripleDown")),
        _ => None,
    };
    if let (Some(last), Some((n, dir))) = (out.last_mut(), trend)
        && last.get("sgv").and_then(Value::as_f64) == last_sg
    {
        last.insert("trend".into(), n.into());
        last.insert("direction".into(), dir.into());
    }
    out
}

#[async_trait::async_trait]
impl Vendor for CareLink {
    async fn fetch(&mut self, _since: i64, now: i64) -> VendorResult<Vec<Doc>> {
        if self.session.as_ref().is_none_or(|s| now - s.since >= SESSION_MS) {
            self.session = None;
            self.login(now).await?;
        }
        let data = match self.data(now).await {
            Err(BridgeError::SessionExpired) => {
                self.session = None;
                self.login(now).await?;
                self.data(now).await?
            }
            other => other?,
        };
        Ok(to_entries(&data, &self.cfg.device))
    }
}

#[cfg(test)]
#[path = "carelink_tests.rs"]
mod tests;
