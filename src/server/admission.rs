//! Connection limits: how many connections are open in total and from one peer address
//! (`FERROSCOUT_MAX_CONNECTIONS`, `FERROSCOUT_MAX_CONNECTIONS_PER_ADDRESS`), so idle or hoarded
//! sockets cannot use up the open-file limit and lock everyone else out. A connection over a
//! limit is answered 503 in Nightscout's error shape with `Retry-After`, then closed; a
//! connection holds its slot until it closes, websockets included (the slot travels with the
//! socket through the upgrade).

use std::collections::HashMap;
use std::io;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::config::limits::Limits;

/// How many refused connections may be in the middle of their 503 at once; beyond it a refused
/// connection is closed at once (a flood must not hold more files than the limit saves).
const REFUSING_AT_ONCE: usize = 64;
/// A refused connection has this long to send its request and read the 503.
pub(super) const REFUSAL_TIMEOUT: Duration = Duration::from_secs(5);
/// At most one "refused" log line per this interval (with the count since the last one).
const LOG_EVERY: Duration = Duration::from_secs(10);

/// The open connections, counted against the limits. Shared by every listener of a server.
pub struct Admission {
    max_total: usize,
    /// `None` behind trusted proxies: every connection comes from the proxy's address.
    max_per_address: Option<usize>,
    open: Mutex<Open>,
    log: Mutex<(Option<Instant>, u64)>,
}

#[derive(Default)]
struct Open {
    total: usize,
    refusing: usize,
    by_address: HashMap<IpAddr, usize>,
}

/// Why a connection was not admitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Over `FERROSCOUT_MAX_CONNECTIONS`.
    Total,
    /// Over `FERROSCOUT_MAX_CONNECTIONS_PER_ADDRESS` for this peer.
    PerAddress,
}

/// What accepting a connection gives: a slot (held until dropped), or a refusal, with a slot
/// for answering it when there is room for that.
pub enum Admitted {
    Yes(Slot),
    No(Refusal, Option<Slot>),
}

impl Default for Admission {
    fn default() -> Admission {
        Admission::new(&Limits::default(), 0)
    }
}

impl Admission {
    /// Limits from configuration; `trusted_proxy_hops > 0` turns the per-address limit off.
    pub fn new(limits: &Limits, trusted_proxy_hops: usize) -> Admission {
        Admission {
            max_total: limits.max_connections,
            max_per_address: (trusted_proxy_hops == 0).then_some(limits.max_connections_per_address),
            open: Mutex::new(Open::default()),
            log: Mutex::new((None, 0)),
        }
    }

    /// Counts a new connection from `peer` in, or says why not.
    pub fn admit(self: &Arc<Self>, peer: IpAddr) -> Admitted {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        let from_peer = open.by_address.get(&peer).copied().unwrap_or(0);
        let refusal = if open.total >= self.max_total {
            Some(Refusal::Total)
        } else if self.max_per_address.is_some_and(|max| from_peer >= max) {
            Some(Refusal::PerAddress)
        } else {
            None
        };
        match refusal {
            None => {
                open.total += 1;
                *open.by_address.entry(peer).or_insert(0) += 1;
                Admitted::Yes(Slot { admission: self.clone(), kind: SlotKind::Open(peer) })
            }
            Some(why) => {
                drop(open);
                self.log_refusal(why, peer);
                let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
                let slot = (open.refusing < REFUSING_AT_ONCE).then(|| {
                    open.refusing += 1;
                    Slot { admission: self.clone(), kind: SlotKind::Refusing }
                });
                Admitted::No(why, slot)
            }
        }
    }

    /// Open connections now (for tests and logs).
    pub fn open(&self) -> usize {
        self.open.lock().unwrap_or_else(|e| e.into_inner()).total
    }

    fn log_refusal(&self, why: Refusal, peer: IpAddr) {
        let mut log = self.log.lock().unwrap_or_else(|e| e.into_inner());
        log.1 += 1;
        if log.0.is_none_or(|t| t.elapsed() >= LOG_EVERY) {
            let (limit, name) = match why {
                Refusal::Total => (self.max_total, "FERROSCOUT_MAX_CONNECTIONS"),
                Refusal::PerAddress => (self.max_per_address.unwrap_or(0), "FERROSCOUT_MAX_CONNECTIONS_PER_ADDRESS"),
            };
            tracing::warn!(%peer, limit, refused = log.1, "connection refused: over {name}");
            *log = (Some(Instant::now()), 0);
        }
    }
}

enum SlotKind {
    Open(IpAddr),
    Refusing,
}

/// One counted connection; dropping it frees the slot.
pub struct Slot {
    admission: Arc<Admission>,
    kind: SlotKind,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut open = self.admission.open.lock().unwrap_or_else(|e| e.into_inner());
        match self.kind {
            SlotKind::Open(peer) => {
                open.total -= 1;
                if let Some(n) = open.by_address.get_mut(&peer) {
                    *n -= 1;
                    if *n == 0 {
                        open.by_address.remove(&peer);
                    }
                }
            }
            SlotKind::Refusing => open.refusing -= 1,
        }
    }
}

/// A connection's socket with its slot: the slot is freed when the socket is dropped, which
/// for an upgraded connection (a websocket) is when the websocket ends.
pub struct Counted<I> {
    pub io: I,
    _slot: Slot,
}

impl<I> Counted<I> {
    pub fn new(io: I, slot: Slot) -> Counted<I> {
        Counted { io, _slot: slot }
    }
}

impl<I: AsyncRead + Unpin> AsyncRead for Counted<I> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl<I: AsyncWrite + Unpin> AsyncWrite for Counted<I> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }
    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }
}

/// The answer to a refused connection: 503 in Nightscout's error shape, `Retry-After`, closed.
pub fn refusal_response(why: Refusal) -> axum::response::Response {
    use axum::http::{HeaderValue, StatusCode, header};
    use axum::response::IntoResponse;
    let description = match why {
        Refusal::Total => "The server has too many open connections: try again in a few seconds.",
        Refusal::PerAddress => "Too many open connections from your address: try again in a few seconds.",
    };
    let body = serde_json::json!({"status": 503, "message": "Service Unavailable", "description": description});
    let mut res = (StatusCode::SERVICE_UNAVAILABLE, crate::api::json::Json(body)).into_response();
    res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
    res.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_counted_per_address_and_in_total_and_freed_on_drop() {
        let limits = Limits { max_connections: 3, max_connections_per_address: 2, ..Limits::default() };
        let a = Arc::new(Admission::new(&limits, 0));
        let (one, two): (IpAddr, IpAddr) = ("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap());
        let first = a.admit(one);
        let _second = a.admit(one);
        assert!(matches!(a.admit(one), Admitted::No(Refusal::PerAddress, Some(_))));
        let _third = a.admit(two);
        assert!(matches!(a.admit(two), Admitted::No(Refusal::Total, Some(_))));
        drop(first);
        let again = a.admit(one);
        assert!(matches!(again, Admitted::Yes(_)), "a freed slot is reusable");
        assert_eq!(a.open(), 3);
        // Behind a proxy every connection has its address: only the total counts.
        let behind = Arc::new(Admission::new(&limits, 1));
        let held: Vec<_> = (0..3).map(|_| behind.admit(one)).collect();
        assert!(held.iter().all(|h| matches!(h, Admitted::Yes(_))));
    }
}
