//! The address a request came from, for the failed-authentication delay and the logs: the peer,
//! or, behind `hops` trusted proxies, the address the outermost of them saw. Each proxy appends
//! the address it received from to `X-Forwarded-For`, so only the last `hops` entries were
//! written by someone we trust; anything left of them is whatever the client chose to send.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::extract::ConnectInfo;
use axum::http::request::Parts;

/// The client's address behind `hops` trusted proxies (0: the peer itself).
pub fn client_ip(parts: &Parts, hops: usize) -> IpAddr {
    let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
    let peer = peer.unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST));
    if hops == 0 {
        return peer;
    }
    let forwarded: Vec<&str> = parts
        .headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    // The peer is the nearest proxy; the entry `hops` from the right is what the outermost saw.
    match forwarded.len().checked_sub(hops) {
        Some(i) => forwarded[i].parse::<IpAddr>().ok().or_else(|| strip_port(forwarded[i])).unwrap_or(peer),
        None => forwarded.first().and_then(|f| f.parse().ok()).unwrap_or(peer),
    }
}

/// `1.2.3.4:5678` (Azure's front end adds the port) -> `1.2.3.4`.
fn strip_port(s: &str) -> Option<IpAddr> {
    s.parse::<SocketAddr>().ok().map(|a| a.ip()).or_else(|| s.rsplit_once(':')?.0.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::Request;

    fn parts(xff: Option<&str>) -> Parts {
        let mut b = Request::builder();
        if let Some(x) = xff {
            b = b.header("x-forwarded-for", x);
        }
        let (mut p, _) = b.body(()).unwrap().into_parts();
        p.extensions.insert(ConnectInfo("10.0.0.9:4000".parse::<SocketAddr>().unwrap()));
        p
    }

    #[test]
    fn forwarded_addresses_are_believed_only_as_far_as_the_trusted_hops() {
        let peer: IpAddr = "10.0.0.9".parse().unwrap();
        assert_eq!(client_ip(&parts(Some("6.6.6.6")), 0), peer, "direct clients choose nothing");
        assert_eq!(client_ip(&parts(Some("6.6.6.6, 1.2.3.4")), 1), "1.2.3.4".parse::<IpAddr>().unwrap());
        assert_eq!(client_ip(&parts(Some("6.6.6.6, 1.2.3.4:5555")), 1), "1.2.3.4".parse::<IpAddr>().unwrap());
        assert_eq!(client_ip(&parts(Some("6.6.6.6, 1.2.3.4, 10.0.0.2")), 2), "1.2.3.4".parse::<IpAddr>().unwrap());
        assert_eq!(client_ip(&parts(None), 1), peer, "no header: the peer");
        assert_eq!(client_ip(&parts(Some("garbage")), 1), peer);
    }
}
