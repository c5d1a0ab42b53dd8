//! Forced HTTPS and security headers, as one tower layer around the whole service (API, dashboard
//! and socket.io alike). Nightscout's rules (`lib/server/app.js`, spec §8) with its traps fixed:
//! a plain-http request is answered with a 307 to the same URL on https (method and body kept),
//! except `/health`, so platform probes over plain http keep working.
//!
//! How a request's scheme is judged, first match wins:
//! 1. `X-Forwarded-Proto` (first value, any case), or `Forwarded: proto=`: what the proxy saw;
//! 2. `x-arr-ssl` present: Azure App Service's front end received it over https;
//! 3. on Azure App Service (`WEBSITE_SITE_NAME` set) without either: clear text;
//! 4. the connection: our TLS listener is https; our plain listener while TLS is on is http;
//! 5. otherwise (no TLS here, no proxy header) the request is served: there is no https endpoint
//!    we know of to send it to, and redirecting would break `cargo run`, LAN use and any proxy that
//!    forgets `X-Forwarded-Proto` (an endless redirect loop).

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tower::{Layer, Service};

use crate::config::Config;

/// How a connection reached us; inserted into each request by the server loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// Our own TLS listener.
    Tls,
    /// A plain TCP listener (the only one when TLS is off; the redirect-only one when it is on).
    Plain,
}

/// The scheme a request was sent with, as far as we can tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seen {
    Https,
    Http,
    /// No TLS here and no proxy said anything.
    Unknown,
}

/// The path answered over plain http too (platform health probes).
pub const HEALTH_PATH: &str = "/health";
/// The readiness probe: is the store able to store.
pub const READY_PATH: &str = "/ready";

/// What the layer needs from the configuration.
#[derive(Debug, Clone)]
pub struct Policy {
    pub redirect: bool,
    pub tls_enabled: bool,
    pub on_azure: bool,
    /// The https port named when redirecting from our plain listener.
    pub https_port: u16,
    pub base_path: Option<String>,
    pub hsts: Option<HeaderValue>,
    /// A proxy we trust is in front (`FERROSCOUT_TRUSTED_PROXIES` > 0, or Azure's front end): only
    /// then do `X-Forwarded-Host` and, on the plain listener of a TLS setup, the proxy's scheme
    /// headers count. Otherwise they are whatever the client chose to send.
    pub trust_proxy: bool,
}

impl Policy {
    pub fn from_config(config: &Config) -> Policy {
        let hsts = (!config.insecure_use_http && config.hsts.enabled).then(|| {
            let mut v = String::from("max-age=31536000");
            if config.hsts.include_subdomains {
                v.push_str("; includeSubDomains");
            }
            if config.hsts.preload {
                v.push_str("; preload");
            }
            HeaderValue::from_str(&v).expect("ascii")
        });
        Policy {
            redirect: !config.insecure_use_http,
            tls_enabled: config.tls.is_some(),
            on_azure: config.on_azure_app_service,
            https_port: config.https_public_port.unwrap_or(config.port),
            base_path: config.base_path.clone(),
            hsts,
            trust_proxy: config.trusted_proxy_hops > 0 || config.on_azure_app_service,
        }
    }

    /// The probes (`/health`, `/ready`) are answered over plain http too: platform probes connect
    /// to the container directly, and a redirect would count as success for Kubernetes.
    fn is_health(&self, path: &str) -> bool {
        let probe = |p: &str| p == HEALTH_PATH || p == READY_PATH;
        probe(path) || self.base_path.as_deref().and_then(|b| path.strip_prefix(b)).is_some_and(probe)
    }
}

/// Judges the scheme of a request (see the module documentation for the order).
pub fn seen_scheme(headers: &HeaderMap, transport: Transport, policy: &Policy) -> Seen {
    // Our redirect-only plain listener: clients reach it directly unless a proxy is configured,
    // so `X-Forwarded-Proto: https` there must not get the API served in clear text.
    if transport == Transport::Plain && policy.tls_enabled && !policy.trust_proxy {
        return Seen::Http;
    }
    if let Some(proto) = forwarded_proto(headers) {
        return proto;
    }
    if headers.get("x-arr-ssl").is_some_and(|v| !v.is_empty()) {
        return Seen::Https;
    }
    if policy.on_azure {
        return Seen::Http;
    }
    match transport {
        Transport::Tls => Seen::Https,
        Transport::Plain if policy.tls_enabled => Seen::Http,
        Transport::Plain => Seen::Unknown,
    }
}

/// `X-Forwarded-Proto: https, http` (first hop wins) or RFC 7239 `Forwarded: for=..;proto=https`.
fn forwarded_proto(headers: &HeaderMap) -> Option<Seen> {
    let classify = |p: &str| match p.trim().trim_matches('"').to_ascii_lowercase().as_str() {
        "https" | "wss" => Some(Seen::Https),
        "http" | "ws" => Some(Seen::Http),
        _ => None,
    };
    if let Some(v) = headers.get("x-forwarded-proto").and_then(|v| v.to_str().ok()) {
        return v.split(',').next().and_then(classify);
    }
    let forwarded = headers.get(header::FORWARDED).and_then(|v| v.to_str().ok())?;
    let first_hop = forwarded.split(',').next()?;
    first_hop.split(';').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        k.trim().eq_ignore_ascii_case("proto").then(|| classify(v)).flatten()
    })
}

/// The https URL for a request judged plain http, or `None` if it names no usable host.
pub fn https_location(req: &Request, transport: Transport, policy: &Policy) -> Option<String> {
    let headers = req.headers();
    let proxied = forwarded_proto(headers).is_some() || headers.contains_key("x-arr-ssl");
    let first = |name: &str| {
        headers.get(name).and_then(|v| v.to_str().ok()).and_then(|v| v.split(',').next()).map(|v| v.trim().to_owned())
    };
    let host = first("x-forwarded-host")
        .filter(|_| proxied && policy.trust_proxy)
        .or_else(|| first("host"))
        .or_else(|| req.uri().authority().map(|a| a.as_str().to_owned()))
        .filter(|h| valid_host(h))?;
    let (name, port) = split_host_port(&host)?;
    let from_proxy = proxied && policy.trust_proxy;
    let authority = if !from_proxy && transport == Transport::Plain && policy.tls_enabled {
        // From our own plain listener: the TLS listener's (public) port.
        if policy.https_port == 443 { name.to_owned() } else { format!("{name}:{}", policy.https_port) }
    } else {
        match port {
            Some("80") | Some("443") | None => name.to_owned(),
            Some(p) => format!("{name}:{p}"),
        }
    };
    let path = req.uri().path_and_query().map(|p| p.as_str()).unwrap_or("/");
    let path = if path.starts_with('/') { path } else { "/" };
    Some(format!("https://{authority}{path}"))
}

/// Host names, IPv4 and bracketed IPv6 literals, with an optional port; nothing else.
fn valid_host(h: &str) -> bool {
    if h.is_empty() || h.len() > 255 {
        return false;
    }
    let Some((name, port)) = split_host_port(h) else { return false };
    let name_ok = match name.strip_prefix('[').and_then(|n| n.strip_suffix(']')) {
        Some(v6) => !v6.is_empty() && v6.chars().all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.'),
        None => !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || "-._".contains(c)),
    };
    name_ok && port.is_none_or(|p| p.parse::<u16>().is_ok())
}

/// `host`, `host:port`, `[v6]`, `[v6]:port`; `None` if something follows `]` other than a port.
fn split_host_port(h: &str) -> Option<(&str, Option<&str>)> {
    if h.starts_with('[') {
        let end = h.find(']')?;
        let (name, rest) = h.split_at(end + 1);
        return match rest {
            "" => Some((name, None)),
            _ => rest.strip_prefix(':').map(|p| (name, Some(p))),
        };
    }
    Some(match h.split_once(':') {
        Some((name, port)) => (name, Some(port)),
        None => (h, None),
    })
}

/// Helmet 4's defaults as Nightscout sends them (frameguard off: Nightscout pages are framed by
/// `/split` and by users' own pages); `X-Powered-By` is never sent.
const SECURITY_HEADERS: [(&str, &str); 6] = [
    ("x-content-type-options", "nosniff"),
    ("x-dns-prefetch-control", "off"),
    ("x-download-options", "noopen"),
    ("x-permitted-cross-domain-policies", "none"),
    ("referrer-policy", "no-referrer"),
    ("x-xss-protection", "0"),
];

fn add_security_headers(res: &mut Response, policy: &Policy) {
    let headers = res.headers_mut();
    for (name, value) in SECURITY_HEADERS {
        headers.entry(HeaderName::from_static(name)).or_insert(HeaderValue::from_static(value));
    }
    if let Some(hsts) = &policy.hsts {
        headers.entry(header::STRICT_TRANSPORT_SECURITY).or_insert(hsts.clone());
    }
}

/// The layer: wrap the whole service with `HttpsLayer::new(&config)`.
#[derive(Clone)]
pub struct HttpsLayer {
    policy: Arc<Policy>,
}

impl HttpsLayer {
    pub fn new(config: &Config) -> HttpsLayer {
        HttpsLayer { policy: Arc::new(Policy::from_config(config)) }
    }
}

impl<S> Layer<S> for HttpsLayer {
    type Service = Https<S>;
    fn layer(&self, inner: S) -> Https<S> {
        Https { inner, policy: self.policy.clone() }
    }
}

#[derive(Clone)]
pub struct Https<S> {
    inner: S,
    policy: Arc<Policy>,
}

impl<S> Service<Request> for Https<S>
where
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request) -> Self::Future {
        let policy = self.policy.clone();
        let transport = req.extensions().get::<Transport>().copied().unwrap_or(Transport::Plain);
        let redirect = policy.redirect
            && !policy.is_health(req.uri().path())
            && seen_scheme(req.headers(), transport, &policy) == Seen::Http;
        if redirect {
            let mut res = match https_location(&req, transport, &policy) {
                Some(loc) => redirect_to(&loc),
                None => {
                    (StatusCode::BAD_REQUEST, "This server only answers over https; the request named no valid host.")
                        .into_response()
                }
            };
            add_security_headers(&mut res, &policy);
            return Box::pin(async move { Ok(res) });
        }
        // Take the service that was driven to readiness, leave a fresh clone in its place.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        Box::pin(async move {
            let mut res = inner.call(req).await?;
            add_security_headers(&mut res, &policy);
            Ok(res)
        })
    }
}

fn redirect_to(location: &str) -> Response {
    let mut res = Response::new(Body::from(format!("Redirecting to {location}\n")));
    *res.status_mut() = StatusCode::TEMPORARY_REDIRECT;
    if let Ok(v) = HeaderValue::from_str(location) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(tls: bool, azure: bool) -> Policy {
        Policy {
            redirect: true,
            tls_enabled: tls,
            on_azure: azure,
            https_port: 8443,
            base_path: Some("/dante".into()),
            hsts: None,
            trust_proxy: true,
        }
    }

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        pairs.iter().map(|(k, v)| (HeaderName::from_static(k), HeaderValue::from_static(v))).collect()
    }

    #[test]
    fn proxy_headers_decide_before_the_connection() {
        let p = policy(false, false);
        assert_eq!(seen_scheme(&headers(&[("x-forwarded-proto", "http")]), Transport::Plain, &p), Seen::Http);
        assert_eq!(seen_scheme(&headers(&[("x-forwarded-proto", "HTTPS")]), Transport::Plain, &p), Seen::Https);
        assert_eq!(seen_scheme(&headers(&[("x-forwarded-proto", "https, http")]), Transport::Plain, &p), Seen::Https);
        assert_eq!(seen_scheme(&headers(&[("x-forwarded-proto", "http, https")]), Transport::Plain, &p), Seen::Http);
        assert_eq!(
            seen_scheme(&headers(&[("forwarded", "for=1.2.3.4;proto=http;host=x")]), Transport::Plain, &p),
            Seen::Http
        );
        assert_eq!(seen_scheme(&headers(&[("x-arr-ssl", "2048|256|C=US")]), Transport::Plain, &p), Seen::Https);
        assert_eq!(seen_scheme(&headers(&[]), Transport::Plain, &p), Seen::Unknown);
        assert_eq!(seen_scheme(&headers(&[("x-forwarded-proto", "gopher")]), Transport::Plain, &p), Seen::Unknown);
    }

    #[test]
    fn azure_without_arr_ssl_and_our_plain_listener_under_tls_are_clear_text() {
        assert_eq!(seen_scheme(&headers(&[]), Transport::Plain, &policy(false, true)), Seen::Http);
        assert_eq!(seen_scheme(&headers(&[]), Transport::Plain, &policy(true, false)), Seen::Http);
        assert_eq!(seen_scheme(&headers(&[]), Transport::Tls, &policy(true, false)), Seen::Https);
    }

    #[test]
    fn locations_keep_the_path_and_pick_the_right_port() {
        let req = |host: &'static str, extra: &[(&'static str, &'static str)]| {
            let mut b = axum::http::Request::builder().uri("/api/v1/entries?count=2").header("host", host);
            for (k, v) in extra {
                b = b.header(*k, *v);
            }
            b.body(Body::empty()).unwrap()
        };
        let p = policy(true, false);
        let own = https_location(&req("ns.example:8080", &[]), Transport::Plain, &p);
        assert_eq!(own.as_deref(), Some("https://ns.example:8443/api/v1/entries?count=2"));
        let proxied = https_location(&req("ns.example:80", &[("x-forwarded-proto", "http")]), Transport::Plain, &p);
        assert_eq!(proxied.as_deref(), Some("https://ns.example/api/v1/entries?count=2"));
        let xfh = req("internal:1337", &[("x-forwarded-proto", "http"), ("x-forwarded-host", "ns.example")]);
        assert_eq!(
            https_location(&xfh, Transport::Plain, &p).as_deref(),
            Some("https://ns.example/api/v1/entries?count=2")
        );
        let v6 = https_location(&req("[::1]:8080", &[]), Transport::Plain, &p);
        assert_eq!(v6.as_deref(), Some("https://[::1]:8443/api/v1/entries?count=2"));
        assert_eq!(https_location(&req("evil.example/x", &[]), Transport::Plain, &p), None);
        assert_eq!(https_location(&req("a:b:c", &[]), Transport::Plain, &p), None);
    }

    #[test]
    fn health_is_known_at_the_root_and_under_the_base_path() {
        let p = policy(false, false);
        assert!(p.is_health("/health") && p.is_health("/dante/health"));
        assert!(!p.is_health("/dante/healthz") && !p.is_health("/x/health"));
    }
}
