//! Who the client is, for rate limits: the socket's peer address, unless that peer is a
//! configured trusted proxy ([`HttpConfig::trusted_proxies`](crate::HttpConfig::trusted_proxies)),
//! in which case the proxy's `Forwarded` (RFC 7239) or, without it, `X-Forwarded-For`
//! header names the client. The chain is read from the right: the first address that is
//! not itself a trusted proxy is the client (entries further left were written by the
//! client and prove nothing). Headers from an untrusted peer are ignored, so a client
//! cannot choose its own bucket.

use axum::extract::{ConnectInfo, Request};
use axum::http::header::{HeaderMap, FORWARDED};
use ipnet::IpNet;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

/// The client address of `req` (unspecified when the server was not started with
/// connect info, so such requests share one bucket).
pub(crate) fn client_ip(req: &Request, trusted: &[IpNet]) -> IpAddr {
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.0.ip());
    resolve(peer, req.headers(), trusted)
}

/// The client behind `peer` given the request's headers.
#[must_use]
pub fn resolve(peer: IpAddr, headers: &HeaderMap, trusted: &[IpNet]) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(&canonical(*ip)));
    if !is_trusted(&peer) {
        return peer;
    }
    let chain = forwarded_for(headers).or_else(|| x_forwarded_for(headers));
    let Some(chain) = chain else {
        return peer;
    };
    // Rightmost first: each trusted proxy appended the address it saw.
    for hop in chain.iter().rev() {
        match hop {
            Some(ip) if is_trusted(ip) => continue,
            Some(ip) => return canonical(*ip),
            // An obfuscated or unparsable hop: nothing further left can be trusted.
            None => return peer,
        }
    }
    peer
}

/// An IPv4-mapped IPv6 address as its IPv4 address.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        IpAddr::V4(_) => ip,
    }
}

/// The `for=` hops of every `Forwarded` header, in order (`None` for a hop that is not
/// an address: `unknown`, an obfuscated name); `None` without the header.
fn forwarded_for(headers: &HeaderMap) -> Option<Vec<Option<IpAddr>>> {
    let mut hops = Vec::new();
    for value in headers.get_all(FORWARDED) {
        let text = value.to_str().ok()?;
        for element in text.split(',') {
            for pair in element.split(';') {
                let Some((name, value)) = pair.trim().split_once('=') else {
                    continue;
                };
                if name.trim().eq_ignore_ascii_case("for") {
                    hops.push(parse_node(value.trim().trim_matches('"')));
                }
            }
        }
    }
    (!hops.is_empty()).then_some(hops)
}

/// The hops of every `X-Forwarded-For` header, in order; `None` without the header.
fn x_forwarded_for(headers: &HeaderMap) -> Option<Vec<Option<IpAddr>>> {
    let mut hops = Vec::new();
    for value in headers.get_all("x-forwarded-for") {
        let text = value.to_str().ok()?;
        hops.extend(text.split(',').map(|h| parse_node(h.trim())));
    }
    (!hops.is_empty()).then_some(hops)
}

/// An address of a forwarding header: `192.0.2.1`, `192.0.2.1:4711`, `[2001:db8::1]`,
/// `[2001:db8::1]:4711` or a bare IPv6 address.
fn parse_node(node: &str) -> Option<IpAddr> {
    if let Ok(ip) = node.parse::<IpAddr>() {
        return Some(ip);
    }
    if let Some(rest) = node.strip_prefix('[') {
        return rest.split(']').next()?.parse().ok();
    }
    node.parse::<SocketAddr>().ok().map(|s| s.ip())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_static(v));
        }
        h
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn headers_count_only_from_a_trusted_proxy() {
        let trusted: Vec<IpNet> = vec!["10.0.0.0/8".parse().unwrap()];
        let h = headers(&[("x-forwarded-for", "198.51.100.7")]);
        assert_eq!(resolve(ip("203.0.113.1"), &h, &trusted), ip("203.0.113.1"));
        assert_eq!(resolve(ip("10.1.2.3"), &h, &trusted), ip("198.51.100.7"));
        assert_eq!(resolve(ip("10.1.2.3"), &h, &[]), ip("10.1.2.3"));
        let none = headers(&[]);
        assert_eq!(resolve(ip("10.1.2.3"), &none, &trusted), ip("10.1.2.3"));
    }

    #[test]
    fn the_rightmost_untrusted_hop_is_the_client() {
        let trusted: Vec<IpNet> = vec!["10.0.0.0/8".parse().unwrap()];
        // The client wrote a fake first entry; the proxies appended the rest.
        let h = headers(&[("x-forwarded-for", "1.1.1.1, 198.51.100.7, 10.0.0.5")]);
        assert_eq!(resolve(ip("10.0.0.9"), &h, &trusted), ip("198.51.100.7"));
        let h = headers(&[
            ("forwarded", "for=1.1.1.1"),
            (
                "forwarded",
                "for=\"[2001:db8:cafe::17]:4711\";proto=https, for=10.0.0.5",
            ),
        ]);
        assert_eq!(
            resolve(ip("10.0.0.9"), &h, &trusted),
            ip("2001:db8:cafe::17")
        );
        // Forwarded wins over X-Forwarded-For.
        let h = headers(&[
            ("forwarded", "for=192.0.2.60:80"),
            ("x-forwarded-for", "198.51.100.7"),
        ]);
        assert_eq!(resolve(ip("10.0.0.9"), &h, &trusted), ip("192.0.2.60"));
        // An unknown hop stops the walk at the proxy.
        let h = headers(&[("forwarded", "for=unknown, for=10.0.0.5")]);
        assert_eq!(resolve(ip("10.0.0.9"), &h, &trusted), ip("10.0.0.9"));
        // IPv4-mapped peers match IPv4 networks.
        let h = headers(&[("x-forwarded-for", "198.51.100.7")]);
        assert_eq!(
            resolve(ip("::ffff:10.0.0.9"), &h, &trusted),
            ip("198.51.100.7")
        );
    }
}
