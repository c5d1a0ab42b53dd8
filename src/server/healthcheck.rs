//! `ferroscout healthcheck`: asks the running server on this machine for `GET /health` and exits
//! 0 if it answers 200. Used by the Dockerfile's `HEALTHCHECK`, so the runtime image needs no curl.
//! With TLS on it probes the redirect-only plain port if there is one, else the TLS port without
//! verifying the certificate (it is our own, on loopback, and `/health` carries no data).

use std::sync::Arc;
use std::time::Duration;

use rustls::DigitallySignedStruct;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

use super::https::HEALTH_PATH;
use crate::config::Config;

const TIMEOUT: Duration = Duration::from_secs(5);

/// Probes the local server; `Err` says why it is unhealthy.
pub async fn probe(config: &Config) -> Result<(), String> {
    let host = match config.hostname.as_deref() {
        None | Some("0.0.0.0") | Some("") => "127.0.0.1".to_owned(),
        Some("::") | Some("[::]") => "::1".to_owned(),
        Some(h) => h.to_owned(),
    };
    let (port, tls) = match (config.tls.is_some(), config.http_redirect_port) {
        (true, Some(plain)) => (plain, false),
        (tls, _) => (config.port, tls),
    };
    let work = async {
        let tcp = TcpStream::connect((host.as_str(), port)).await.map_err(|e| format!("connect {host}:{port}: {e}"))?;
        if tls {
            let provider = Arc::new(rustls::crypto::ring::default_provider());
            let client = rustls::ClientConfig::builder_with_provider(provider.clone())
                .with_safe_default_protocol_versions()
                .map_err(|e| e.to_string())?
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(AnyCertificate(provider)))
                .with_no_client_auth();
            let name = ServerName::try_from("localhost").map_err(|e| e.to_string())?;
            let io = tokio_rustls::TlsConnector::from(Arc::new(client))
                .connect(name, tcp)
                .await
                .map_err(|e| format!("TLS: {e}"))?;
            ask(io).await
        } else {
            ask(tcp).await
        }
    };
    tokio::time::timeout(TIMEOUT, work).await.map_err(|_| "no answer within 5 s".to_owned())?
}

async fn ask(mut io: impl AsyncRead + AsyncWrite + Unpin) -> Result<(), String> {
    let request = format!("GET {HEALTH_PATH} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    io.write_all(request.as_bytes()).await.map_err(|e| e.to_string())?;
    let mut head = [0u8; 12];
    io.read_exact(&mut head).await.map_err(|e| format!("reading the answer: {e}"))?;
    let status = String::from_utf8_lossy(&head);
    if status.starts_with("HTTP/1.1 200") || status.starts_with("HTTP/1.0 200") {
        Ok(())
    } else {
        Err(format!("answered {status}"))
    }
}

/// Accepts any certificate but still checks the handshake signatures.
#[derive(Debug)]
struct AnyCertificate(Arc<CryptoProvider>);

impl ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
