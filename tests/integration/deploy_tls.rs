//! Native TLS end to end: a certificate generated in the test, a real HTTPS client (reqwest on
//! rustls, trusting only that certificate), the redirect-only plain listener, and renewal without
//! a restart.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use crate::common::*;
use ferroscout::app::AppState;
use ferroscout::config::{Config, TlsFiles};
use ferroscout::server::{Listeners, serve_listeners};
use reqwest::{Certificate, Client, redirect};
use serde_json::json;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

struct Pem {
    cert: String,
    key: String,
}

/// A self-signed certificate for `localhost` and 127.0.0.1.
fn generate() -> Pem {
    let ck = rcgen::generate_simple_self_signed(vec!["localhost".to_owned(), "127.0.0.1".to_owned()]).unwrap();
    Pem { cert: ck.cert.pem(), key: ck.signing_key.serialize_pem() }
}

fn write(dir: &Path, pem: &Pem) -> TlsFiles {
    std::fs::create_dir_all(dir).unwrap();
    let files = TlsFiles { cert: dir.join("cert.pem"), key: dir.join("key.pem"), ca: None };
    std::fs::write(&files.cert, &pem.cert).unwrap();
    std::fs::write(&files.key, &pem.key).unwrap();
    files
}

/// An HTTPS client that trusts only `pem` and resolves `localhost` to our listener.
fn client_for(pem: &Pem, addr: SocketAddr, follow: bool) -> Client {
    let policy = if follow { redirect::Policy::limited(3) } else { redirect::Policy::none() };
    Client::builder()
        .use_rustls_tls()
        .tls_built_in_root_certs(false)
        .add_root_certificate(Certificate::from_pem(pem.cert.as_bytes()).unwrap())
        .resolve("localhost", addr)
        .redirect(policy)
        .build()
        .unwrap()
}

struct TlsApp {
    files: TlsFiles,
    https: SocketAddr,
    http: SocketAddr,
    pem: Pem,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl TlsApp {
    async fn spawn(extra: &[(&str, &str)]) -> TlsApp {
        let dir = std::env::temp_dir().join(unique("ferroscout_tls"));
        let pem = generate();
        let files = write(&dir.join("tls"), &pem);
        let main = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let plain = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let (https, http) = (main.local_addr().unwrap(), plain.local_addr().unwrap());
        let mut env: HashMap<String, String> = HashMap::from([
            ("API_SECRET".into(), SECRET.into()),
            ("AUTH_FAIL_DELAY".into(), "0".into()),
            ("FERROSCOUT_DATA_DIR".into(), dir.join("data").display().to_string()),
            ("SSL_CERT".into(), files.cert.display().to_string()),
            ("SSL_KEY".into(), files.key.display().to_string()),
            ("FERROSCOUT_HTTPS_PUBLIC_PORT".into(), https.port().to_string()),
        ]);
        for (k, v) in extra {
            env.insert(k.to_string(), v.to_string());
        }
        let config = Config::from_lookup(&move |k| env.get(k).cloned()).unwrap();
        let store = ferroscout::app::open_store(&config).await.unwrap();
        let state = AppState::new(config, store);
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(serve_listeners(Listeners { main, redirect: Some(plain) }, state, async move {
            let _ = rx.await;
        }));
        TlsApp { files, https, http, pem, stop: Some(tx), task }
    }

    fn https_url(&self, path: &str) -> String {
        format!("https://localhost:{}{path}", self.https.port())
    }

    fn http_url(&self, path: &str) -> String {
        format!("http://localhost:{}{path}", self.http.port())
    }

    fn client(&self, follow: bool) -> Client {
        client_for(&self.pem, self.https, follow)
    }
}

impl Drop for TlsApp {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
    }
}

#[tokio::test]
async fn an_https_client_trusting_the_generated_certificate_reads_and_writes() {
    let app = TlsApp::spawn(&[]).await;
    let client = app.client(false);
    let res = client.get(app.https_url("/api/v1/status.json")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["strict-transport-security"], "max-age=31536000");
    let ms = now_ms() - 60_000;
    let res = client
        .post(app.https_url("/api/v1/entries"))
        .header("api-secret", SECRET_SHA1)
        .json(&json!([xdrip_reading(ms, 99)]))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let list: serde_json::Value =
        client.get(app.https_url("/api/v1/entries.json")).send().await.unwrap().json().await.unwrap();
    assert_eq!(list[0]["sgv"], 99);
}

#[tokio::test]
async fn a_client_that_does_not_trust_the_certificate_is_refused() {
    let app = TlsApp::spawn(&[]).await;
    let stranger = client_for(&generate(), app.https, false);
    assert!(stranger.get(app.https_url("/health")).send().await.is_err());
    // Plain http spoken to the TLS port gets no answer in clear text.
    let plain = Client::new().get(format!("http://127.0.0.1:{}/health", app.https.port())).send().await;
    assert!(plain.is_err() || plain.unwrap().status() != 200);
}

#[tokio::test]
async fn the_plain_listener_redirects_to_the_tls_port_and_a_followed_post_keeps_method_and_body() {
    let app = TlsApp::spawn(&[]).await;
    let res = app.client(false).get(app.http_url("/api/v1/entries.json?count=3")).send().await.unwrap();
    assert_eq!(res.status(), 307);
    assert_eq!(res.headers()["location"], app.https_url("/api/v1/entries.json?count=3").as_str());

    let ms = now_ms() - 60_000;
    let res = app
        .client(true)
        .post(app.http_url("/api/v1/entries"))
        .header("api-secret", SECRET_SHA1)
        .json(&json!([xdrip_reading(ms, 201)]))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "the POST followed the 307 to https with its body");
    assert_eq!(res.url().scheme(), "https");
    let list: serde_json::Value =
        app.client(false).get(app.https_url("/api/v1/entries.json")).send().await.unwrap().json().await.unwrap();
    assert_eq!(list[0]["sgv"], 201);
}

#[tokio::test]
async fn the_plain_listener_does_not_serve_the_api_to_a_forged_x_forwarded_proto_or_follow_a_forged_host() {
    let app = TlsApp::spawn(&[]).await;
    let res = app
        .client(false)
        .get(app.http_url("/api/v1/status.json"))
        .header("x-forwarded-proto", "https")
        .header("x-forwarded-host", "evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 307, "clear text stays clear text whatever the client claims");
    assert_eq!(res.headers()["location"], app.https_url("/api/v1/status.json").as_str());
}

#[tokio::test]
async fn the_plain_listener_still_answers_health_probes() {
    let app = TlsApp::spawn(&[]).await;
    let res = Client::new().get(app.http_url("/health")).send().await.unwrap();
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn with_insecure_use_http_the_plain_listener_serves_instead_of_redirecting() {
    let app = TlsApp::spawn(&[("INSECURE_USE_HTTP", "true")]).await;
    let res = Client::new().get(app.http_url("/api/v1/status.json")).send().await.unwrap();
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn the_server_stops_cleanly_over_tls() {
    let mut app = TlsApp::spawn(&[]).await;
    assert_eq!(app.client(false).get(app.https_url("/health")).send().await.unwrap().status(), 200);
    app.stop.take().unwrap().send(()).unwrap();
    (&mut app.task).await.unwrap().unwrap();
    assert!(app.client(false).get(app.https_url("/health")).send().await.is_err());
}

#[tokio::test]
async fn missing_or_mismatched_certificate_files_fail_at_startup_with_a_clear_error() {
    let dir = std::env::temp_dir().join(unique("ferroscout_tls_bad"));
    let a = write(&dir.join("a"), &generate());
    let b = write(&dir.join("b"), &generate());
    let cases = [
        (TlsFiles { cert: PathBuf::from("/nonexistent/cert.pem"), key: a.key.clone(), ca: None }, "SSL_CERT"),
        (TlsFiles { cert: a.cert.clone(), key: b.key.clone(), ca: None }, "SSL_KEY does not fit"),
        (TlsFiles { cert: a.key.clone(), key: a.key.clone(), ca: None }, "no PEM certificate"),
    ];
    for (files, expected) in cases {
        let err = ferroscout::server::tls::Tls::load(&files).unwrap_err().to_string();
        assert!(err.contains(expected), "{err}");
        assert!(!err.contains("PRIVATE KEY"), "the key is never echoed");
    }
}

#[tokio::test]
async fn a_renewed_certificate_is_served_to_new_connections_without_a_restart() {
    let dir = std::env::temp_dir().join(unique("ferroscout_tls_renew"));
    let old = generate();
    let files = write(&dir, &old);
    let env: HashMap<String, String> = HashMap::from([
        ("FERROSCOUT_DATA_DIR".into(), dir.join("data").display().to_string()),
        ("API_SECRET".into(), SECRET.into()),
    ]);
    let config = Config::from_lookup(&move |k| env.get(k).cloned()).unwrap();
    let store = ferroscout::app::open_store(&config).await.unwrap();
    let tls = ferroscout::server::tls::Tls::load(&files).unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let stop = CancellationToken::new();
    let endpoint = ferroscout::server::Endpoint { listener, tls: Some(tls.acceptor()) };
    let server = tokio::spawn(ferroscout::server::connection::run(
        endpoint,
        ferroscout::server::service(AppState::new(config, store)),
        stop.clone(),
    ));
    let url = format!("https://localhost:{}/health", addr.port());
    assert_eq!(client_for(&old, addr, false).get(&url).send().await.unwrap().status(), 200);

    let new = generate();
    write(&dir, &new);
    tls.reload().unwrap();
    assert_eq!(client_for(&new, addr, false).get(&url).send().await.unwrap().status(), 200);
    assert!(client_for(&old, addr, false).get(&url).send().await.is_err(), "the old certificate is gone");

    // A broken renewal keeps the working certificate.
    std::fs::write(&files.key, "not a key").unwrap();
    assert!(tls.reload().is_err());
    assert_eq!(client_for(&new, addr, false).get(&url).send().await.unwrap().status(), 200);
    stop.cancel();
    server.await.unwrap();
}

/// Runs `ferroscout healthcheck` with these variables; true if it exits 0.
fn healthcheck(vars: &[(&str, String)]) -> bool {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_ferroscout"));
    cmd.arg("healthcheck").env_clear().env("HOSTNAME", "127.0.0.1");
    for (k, v) in vars {
        cmd.env(k, v);
    }
    cmd.stderr(std::process::Stdio::null()).status().unwrap().success()
}

#[tokio::test]
async fn the_healthcheck_command_probes_the_tls_port_or_the_plain_one() {
    let app = TlsApp::spawn(&[]).await;
    let cert = ("SSL_CERT", app.files.cert.display().to_string());
    let key = ("SSL_KEY", app.files.key.display().to_string());
    let https_port = ("PORT", app.https.port().to_string());
    let (a, b, c) = (cert.clone(), key.clone(), https_port.clone());
    assert!(tokio::task::spawn_blocking(move || healthcheck(&[a, b, c])).await.unwrap());
    let plain = ("FERROSCOUT_HTTP_PORT", app.http.port().to_string());
    let (a, b) = (cert.clone(), key.clone());
    assert!(tokio::task::spawn_blocking(move || healthcheck(&[a, b, ("PORT", "1".into()), plain])).await.unwrap());
    let plain_server = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let port = plain_server.base.rsplit(':').next().unwrap().to_owned();
    assert!(tokio::task::spawn_blocking(move || healthcheck(&[("PORT", port)])).await.unwrap());
    drop(app);
    plain_server.stop().await;
    let unused = TcpListener::bind("127.0.0.1:0").await.unwrap().local_addr().unwrap().port().to_string();
    assert!(!tokio::task::spawn_blocking(move || healthcheck(&[("PORT", unused)])).await.unwrap());
}

#[tokio::test]
async fn ssl_ca_intermediates_are_sent_so_clients_trusting_only_the_root_connect() {
    use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
    let ca_params = |name: &str| {
        let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
        p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        p.distinguished_name.push(DnType::CommonName, name);
        p
    };
    let root = CertifiedIssuer::self_signed(ca_params("Test Root"), KeyPair::generate().unwrap()).unwrap();
    let intermediate =
        CertifiedIssuer::signed_by(ca_params("Test Intermediate"), KeyPair::generate().unwrap(), &root).unwrap();
    let leaf_key = KeyPair::generate().unwrap();
    let leaf =
        CertificateParams::new(vec!["localhost".to_owned()]).unwrap().signed_by(&leaf_key, &intermediate).unwrap();

    let dir = std::env::temp_dir().join(unique("ferroscout_tls_chain"));
    std::fs::create_dir_all(&dir).unwrap();
    let (cert, key, ca) = (dir.join("leaf.pem"), dir.join("key.pem"), dir.join("ca.pem"));
    std::fs::write(&cert, leaf.pem()).unwrap();
    std::fs::write(&key, leaf_key.serialize_pem()).unwrap();
    std::fs::write(&ca, intermediate.pem()).unwrap();
    let root_only = Pem { cert: root.pem(), key: String::new() };

    for (with_ca, expect_ok) in [(false, false), (true, true)] {
        let files = TlsFiles { cert: cert.clone(), key: key.clone(), ca: with_ca.then(|| ca.clone()) };
        let tls = ferroscout::server::tls::Tls::load(&files).unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let env: HashMap<String, String> =
            HashMap::from([("FERROSCOUT_DATA_DIR".into(), dir.join("data").display().to_string())]);
        let config = Config::from_lookup(&move |k| env.get(k).cloned()).unwrap();
        let store = ferroscout::app::open_store(&config).await.unwrap();
        let stop = CancellationToken::new();
        let endpoint = ferroscout::server::Endpoint { listener, tls: Some(tls.acceptor()) };
        let server = tokio::spawn(ferroscout::server::connection::run(
            endpoint,
            ferroscout::server::service(AppState::new(config, store)),
            stop.clone(),
        ));
        let res =
            client_for(&root_only, addr, false).get(format!("https://localhost:{}/health", addr.port())).send().await;
        assert_eq!(res.is_ok(), expect_ok, "SSL_CA set: {with_ca}");
        stop.cancel();
        server.await.unwrap();
    }
}
