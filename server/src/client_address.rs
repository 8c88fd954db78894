//! The address of the client behind a request, for the per-address sign-in limit.
//!
//! Behind a reverse proxy or a load balancer every request comes from the proxy, so all
//! clients would share one limit. A proxy named with `--trusted-proxy` appends the address
//! it received the request from to `X-Forwarded-For`; the client is the right-most address
//! of that list that is not itself a trusted proxy. The header is read only when the peer is
//! a trusted proxy: anyone else could write any address into it.

use std::net::IpAddr;

use axum::http::HeaderMap;

pub fn client_address(peer: IpAddr, headers: &HeaderMap, trusted: &[IpAddr]) -> IpAddr {
    if !trusted.contains(&canonical(peer)) {
        return peer;
    }
    // Every X-Forwarded-For header, in order, as one list (RFC 7230: repeated headers are
    // one comma-separated list).
    let hops: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    let mut client = peer;
    for hop in hops.iter().rev() {
        // An entry that is no address (garbage, or a proxy's "unknown") ends the chain of
        // proxies we can trust: the last trusted hop is the client as far as we can tell.
        let Ok(address) = hop.parse::<IpAddr>() else {
            break;
        };
        client = address;
        if !trusted.contains(&canonical(address)) {
            break;
        }
    }
    client
}

/// An IPv4 address the dual-stack socket reports as `::ffff:a.b.c.d`, as IPv4.
fn canonical(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(address, IpAddr::V4),
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn forwarded(values: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for v in values {
            headers.append("x-forwarded-for", v.parse().unwrap());
        }
        headers
    }

    #[test]
    fn the_header_counts_only_from_a_trusted_proxy() {
        let proxy = [ip("10.0.0.5")];
        let spoofed = forwarded(&["1.2.3.4"]);
        assert_eq!(
            client_address(ip("203.0.113.9"), &spoofed, &proxy),
            ip("203.0.113.9")
        );
        assert_eq!(
            client_address(ip("10.0.0.5"), &spoofed, &proxy),
            ip("1.2.3.4")
        );
        assert_eq!(
            client_address(ip("10.0.0.5"), &spoofed, &[]),
            ip("10.0.0.5")
        );
    }

    #[test]
    fn the_client_is_the_right_most_address_no_trusted_proxy_added() {
        let proxies = [ip("10.0.0.5"), ip("10.0.0.6")];
        // The client wrote "6.6.6.6" itself; 198.51.100.7 reached the outer proxy, which
        // the inner one reached.
        let headers = forwarded(&["6.6.6.6, 198.51.100.7", "10.0.0.6"]);
        assert_eq!(
            client_address(ip("10.0.0.5"), &headers, &proxies),
            ip("198.51.100.7")
        );
        // Garbage stops the walk at the last trusted hop.
        let headers = forwarded(&["unknown, 10.0.0.6"]);
        assert_eq!(
            client_address(ip("10.0.0.5"), &headers, &proxies),
            ip("10.0.0.6")
        );
        // No header: the proxy itself.
        assert_eq!(
            client_address(ip("10.0.0.5"), &HeaderMap::new(), &proxies),
            ip("10.0.0.5")
        );
    }

    #[test]
    fn a_mapped_ipv4_peer_is_its_ipv4_address() {
        let headers = forwarded(&["198.51.100.7"]);
        assert_eq!(
            client_address(ip("::ffff:10.0.0.5"), &headers, &[ip("10.0.0.5")]),
            ip("198.51.100.7")
        );
    }
}
