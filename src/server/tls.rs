//! Native TLS with rustls from `SSL_CERT`, `SSL_KEY` and optional `SSL_CA` (PEM files), as
//! Nightscout's `https.createServer` does. The certificate is re-read without a restart: when the
//! files change (checked every 30 s), on SIGHUP, or through [`Tls::reload`]; a bad new file is
//! logged and the previous certificate stays in use.

use std::fmt;
use std::path::Path;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, SystemTime};

use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use tokio_rustls::TlsAcceptor;

use crate::config::TlsFiles;

/// How often the certificate files are checked for changes.
pub const RELOAD_CHECK_EVERY: Duration = Duration::from_secs(30);

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot read {var} ({path}): {reason}")]
    Read { var: &'static str, path: String, reason: String },
    #[error("{var} ({path}) holds no {what}")]
    Empty { var: &'static str, path: String, what: &'static str },
    #[error("SSL_KEY does not fit SSL_CERT: {0}")]
    Mismatch(String),
    #[error("TLS setup failed: {0}")]
    Setup(String),
}

/// The live TLS configuration: hand out [`Tls::acceptor`] to accept connections.
#[derive(Clone)]
pub struct Tls {
    resolver: Arc<Resolver>,
    acceptor: TlsAcceptor,
}

impl fmt::Debug for Tls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tls").field("files", &self.resolver.files).finish()
    }
}

struct Resolver {
    files: TlsFiles,
    provider: Arc<CryptoProvider>,
    current: RwLock<Arc<CertifiedKey>>,
    stamp: Mutex<Option<Vec<SystemTime>>>,
}

impl fmt::Debug for Resolver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Resolver")
    }
}

impl ResolvesServerCert for Resolver {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.current.read().unwrap_or_else(|e| e.into_inner()).clone())
    }
}

impl Tls {
    /// Loads the files; an error names the variable and file, never the key's contents.
    pub fn load(files: &TlsFiles) -> Result<Tls, TlsError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let key = certified_key(files, &provider)?;
        let resolver = Arc::new(Resolver {
            files: files.clone(),
            provider: provider.clone(),
            current: RwLock::new(Arc::new(key)),
            stamp: Mutex::new(stamps(files)),
        });
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| TlsError::Setup(e.to_string()))?
            .with_no_client_auth()
            .with_cert_resolver(resolver.clone());
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Tls { resolver, acceptor: TlsAcceptor::from(Arc::new(config)) })
    }

    pub fn acceptor(&self) -> TlsAcceptor {
        self.acceptor.clone()
    }

    /// Re-reads the files now; on error the current certificate stays.
    pub fn reload(&self) -> Result<(), TlsError> {
        let key = certified_key(&self.resolver.files, &self.resolver.provider)?;
        *self.resolver.current.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(key);
        Ok(())
    }

    /// Re-reads the files if their modification times changed since the last look.
    pub fn reload_if_changed(&self) {
        let now = stamps(&self.resolver.files);
        {
            let mut last = self.resolver.stamp.lock().unwrap_or_else(|e| e.into_inner());
            if *last == now {
                return;
            }
            *last = now;
        }
        match self.reload() {
            Ok(()) => tracing::info!("TLS certificate reloaded"),
            Err(e) => tracing::warn!("TLS certificate not reloaded, keeping the previous one: {e}"),
        }
    }

    /// Watches for changed files and SIGHUP until `stop` resolves.
    pub async fn watch(self, stop: impl std::future::Future<Output = ()>) {
        let mut tick = tokio::time::interval(RELOAD_CHECK_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        #[cfg(unix)]
        let mut hup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()).ok();
        tokio::pin!(stop);
        loop {
            #[cfg(unix)]
            let hangup = async {
                match hup.as_mut() {
                    Some(s) => {
                        s.recv().await;
                    }
                    None => std::future::pending().await,
                }
            };
            #[cfg(not(unix))]
            let hangup = std::future::pending::<()>();
            tokio::select! {
                _ = &mut stop => return,
                _ = tick.tick() => self.reload_if_changed(),
                _ = hangup => {
                    match self.reload() {
                        Ok(()) => tracing::info!("TLS certificate reloaded (SIGHUP)"),
                        Err(e) => tracing::warn!("TLS certificate not reloaded, keeping the previous one: {e}"),
                    }
                }
            }
        }
    }
}

fn stamps(files: &TlsFiles) -> Option<Vec<SystemTime>> {
    let paths = [Some(&files.cert), Some(&files.key), files.ca.as_ref()];
    paths.into_iter().flatten().map(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok()).collect()
}

fn read(var: &'static str, path: &Path) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|e| TlsError::Read { var, path: path.display().to_string(), reason: e.to_string() })
}

fn certs(var: &'static str, path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let pem = read(var, path)?;
    let certs: Vec<_> = CertificateDer::pem_slice_iter(&pem).filter_map(Result::ok).collect();
    if certs.is_empty() {
        return Err(TlsError::Empty { var, path: path.display().to_string(), what: "PEM certificate" });
    }
    Ok(certs)
}

/// The certificate chain (`SSL_CERT`, then any `SSL_CA` certificates not already in it, as
/// OpenSSL completes a chain from Node's `ca`) with its key.
fn certified_key(files: &TlsFiles, provider: &CryptoProvider) -> Result<CertifiedKey, TlsError> {
    let mut chain = certs("SSL_CERT", &files.cert)?;
    if let Some(ca) = &files.ca {
        for c in certs("SSL_CA", ca)? {
            if !chain.contains(&c) {
                chain.push(c);
            }
        }
    }
    let key_pem = read("SSL_KEY", &files.key)?;
    let key = PrivateKeyDer::from_pem_slice(&key_pem).map_err(|_| TlsError::Empty {
        var: "SSL_KEY",
        path: files.key.display().to_string(),
        what: "PEM private key (PKCS#8, PKCS#1 or SEC1)",
    })?;
    CertifiedKey::from_der(chain, key, provider).map_err(|e| TlsError::Mismatch(e.to_string()))
}
