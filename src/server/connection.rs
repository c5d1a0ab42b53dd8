//! The connection loop: accepts on each listener (plain or TLS), serves HTTP/1.1 with upgrades
//! (websockets) through hyper, tags every request with its peer address and [`Transport`], and
//! on shutdown stops accepting at once, lets in-flight requests finish, closes idle keep-alive
//! connections and gives up on stragglers after [`GRACE`]. Connections over the limits
//! (`admission.rs`) get a 503 and are closed.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
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

use super::admission::{Admission, Admitted, Counted, REFUSAL_TIMEOUT, Refusal, refusal_response};
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

/// Serves `endpoint` with `app` until `stop` is cancelled, then drains (see module docs), with
/// the default connection limits.
pub async fn run<S>(endpoint: Endpoint, app: S, stop: CancellationToken)
where
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    run_admitted(endpoint, Arc::new(Admission::default()), app, stop).await
}

/// [`run`], counting connections against `admission` (shared by every listener of a server).
pub async fn run_admitted<S>(endpoint: Endpoint, admission: Arc<Admission>, app: S, stop: CancellationToken)
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
                    let (tcp, refusal) = match admission.admit(peer.ip()) {
                        Admitted::Yes(slot) => (Counted::new(tcp, slot), None),
                        Admitted::No(why, Some(slot)) => (Counted::new(tcp, slot), Some(why)),
                        // Too many refusals under way: closed without an answer (logged).
                        Admitted::No(_, None) => continue,
                    };
                    let app = app.clone();
                    let stop = stop.clone();
                    match &tls {
                        None => conns.spawn(async move {
                            match refusal {
                                None => connection(tcp, peer, transport, app, stop).await,
                                Some(why) => refuse(tcp, why).await,
                            }
                        }),
                        Some(acceptor) => {
                            let acceptor = acceptor.clone();
                            conns.spawn(async move {
                                match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
                                    Ok(Ok(io)) => match refusal {
                                        None => connection(io, peer, transport, app, stop).await,
                                        Some(why) => refuse(io, why).await,
                                    },
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

/// Answers the first request of a connection over a limit with its 503, then closes it.
async fn refuse<I>(io: I, why: Refusal)
where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let svc = hyper::service::service_fn(move |_req: hyper::Request<Incoming>| async move {
        Ok::<_, Infallible>(refusal_response(why))
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder.timer(TokioTimer::new()).header_read_timeout(REFUSAL_TIMEOUT).keep_alive(false);
    let conn = builder.serve_connection(TokioIo::new(io), svc);
    if let Ok(r) = tokio::time::timeout(REFUSAL_TIMEOUT, conn).await {
        log_conn_end(r);
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
