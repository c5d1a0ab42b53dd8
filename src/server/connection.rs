//! The connection loop: accepts on each listener (plain or TLS), serves HTTP/1.1 with upgrades
//! (websockets) through hyper, tags every request with its peer address and [`Transport`], and
//! on shutdown stops accepting at once, lets in-flight requests finish, closes idle keep-alive
//! connections and gives up on stragglers after [`GRACE`].

use std::convert::Infallible;
use std::net::SocketAddr;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{ConnectInfo, Request};
use axum::response::Response;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;
use tower::{Service, ServiceExt};

use tokio_util::sync::CancellationToken;

use super::https::Transport;
use super::shutdown::GRACE;

/// A client has this long to complete the TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// One listening socket and how to speak on it.
pub struct Endpoint {
    pub listener: TcpListener,
    /// `Some` for the TLS listener.
    pub tls: Option<TlsAcceptor>,
}

/// Serves `endpoint` with `app` until `stop` is cancelled, then drains (see module docs).
pub async fn run<S>(endpoint: Endpoint, app: S, stop: CancellationToken)
where
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    let Endpoint { listener, tls } = endpoint;
    let transport = if tls.is_some() { Transport::Tls } else { Transport::Plain };
    let mut conns = JoinSet::new();
    let stopping = stop.cancelled();
    tokio::pin!(stopping);
    loop {
        tokio::select! {
            _ = &mut stopping => break,
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
            accepted = listener.accept() => match accepted {
                Ok((tcp, peer)) => {
                    let _ = tcp.set_nodelay(true);
                    let app = app.clone();
                    let stop = stop.clone();
                    match &tls {
                        None => conns.spawn(connection(tcp, peer, transport, app, stop)),
                        Some(acceptor) => {
                            let acceptor = acceptor.clone();
                            conns.spawn(async move {
                                match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
                                    Ok(Ok(io)) => connection(io, peer, transport, app, stop).await,
                                    Ok(Err(e)) => tracing::debug!("TLS handshake failed: {e}"),
                                    Err(_) => tracing::debug!("TLS handshake timed out"),
                                }
                            })
                        }
                    };
                }
                Err(e) => {
                    // Out of file descriptors and the like: wait a little instead of spinning.
                    tracing::warn!("accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
    }
    drop(listener);
    let drained = tokio::time::timeout(GRACE, async { while conns.join_next().await.is_some() {} }).await;
    if drained.is_err() {
        tracing::warn!(open = conns.len(), "shutdown grace period over; closing remaining connections");
        conns.shutdown().await;
    }
}

async fn connection<I, S>(io: I, peer: SocketAddr, transport: Transport, app: S, stop: CancellationToken)
where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    let svc = hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
        let mut req = req.map(Body::new);
        req.extensions_mut().insert(ConnectInfo(peer));
        req.extensions_mut().insert(transport);
        app.clone().oneshot(req)
    });
    // A client has 30 s to send a request's headers (slowloris).
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder.timer(TokioTimer::new()).header_read_timeout(Duration::from_secs(30));
    let conn = builder.serve_connection(TokioIo::new(io), svc).with_upgrades();
    tokio::pin!(conn);
    tokio::select! {
        r = conn.as_mut() => log_conn_end(r),
        _ = stop.cancelled() => {
            conn.as_mut().graceful_shutdown();
            log_conn_end(conn.await);
        }
    }
}

fn log_conn_end(r: Result<(), hyper::Error>) {
    if let Err(e) = r
        && !e.is_incomplete_message()
    {
        tracing::debug!("connection ended: {e}");
    }
}
