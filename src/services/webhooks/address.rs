//! Where a webhook may be posted. Endpoint URLs come from people, and the portal posts to them
//! from inside its network: without a rule an endpoint could reach the database, a metadata
//! service or an admin interface (SSRF). Loopback, private, link-local and other non-public
//! addresses are refused unless `ANAF_PORTAL_WEBHOOK_ALLOW_PRIVATE=true`. The rule is checked on
//! the address actually connected to: names go through `GuardedResolver` (reqwest connects only
//! to the addresses it returns), IP literals (which reqwest does not resolve) through
//! `EndpointUrl::check_literal` before each request.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use url::{Host, Url};

/// The longest URL accepted.
pub const MAX_URL_CHARS: usize = 2000;

/// True for an address a webhook must not reach unless private addresses are allowed.
pub fn is_non_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_non_public_v4(v4),
        IpAddr::V6(v6) => is_non_public_v6(v6),
    }
}

fn is_non_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_multicast()
        || ip.is_broadcast()
        || ip.is_documentation()
        || a == 0 // "this network"
        || (a == 100 && (64..128).contains(&b)) // shared address space (CGNAT), RFC 6598
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 198 && (b == 18 || b == 19)) // benchmarking
        || a >= 240 // reserved
}

fn is_non_public_v6(ip: Ipv6Addr) -> bool {
    // An IPv4 address in IPv6 clothing is judged as IPv4: a translator or tunnel on the way
    // would connect to it.
    if let Some(embedded) = embedded_v4(ip) {
        return embedded.iter().flatten().any(|v4| is_non_public_v4(*v4));
    }
    let s = ip.segments();
    ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        // Everything outside global unicast 2000::/3 is reserved or local: the discard prefix
        // 100::/64, the rest of 64:ff9b:1::/48, fc00::/7, fe80::/10, fec0::/10, 5f00::/16…
        || (s[0] & 0xe000) != 0x2000
        || (s[0] == 0x2001 && s[1] == 0x0db8) // documentation, 2001:db8::/32
        || (s[0] == 0x3fff && s[1] & 0xf000 == 0) // documentation, 3fff::/20
        || (s[0] == 0x2001 && s[1] == 0x0002 && s[2] == 0) // benchmarking, 2001:2::/48
        || (s[0] == 0x2001 && (s[1] & 0xfff0) == 0x0010) // ORCHID (deprecated), 2001:10::/28
}

/// The IPv4 addresses inside an IPv6 address that carries one (up to two: Teredo names a server
/// and a client), or `None` when it carries none:
/// - IPv4-mapped `::ffff:a.b.c.d` and IPv4-translated `::ffff:0:a.b.c.d` (RFC 2765),
/// - IPv4-compatible `::a.b.c.d` (deprecated),
/// - NAT64, the well-known `64:ff9b::a.b.c.d` and the local-use `64:ff9b:1::a.b.c.d` (RFC 6052,
///   RFC 8215; the local-use prefix in its /96 form, the only one whose IPv4 has a fixed place:
///   the rest of 64:ff9b:1::/48 is not globally reachable and is refused as such),
/// - 6to4 `2002:AABB:CCDD::/48` (RFC 3056),
/// - Teredo `2001:0:SSSS:SSSS:flags:port:CCCC:CCCC`, the server in clear and the client's
///   public address inverted (RFC 4380).
fn embedded_v4(ip: Ipv6Addr) -> Option<[Option<Ipv4Addr>; 2]> {
    let s = ip.segments();
    let v4 = |hi: u16, lo: u16| {
        let [a, b] = hi.to_be_bytes();
        let [c, d] = lo.to_be_bytes();
        Ipv4Addr::new(a, b, c, d)
    };
    let one = |v4: Ipv4Addr| Some([Some(v4), None]);
    match s {
        [0, 0, 0, 0, 0, 0xffff, hi, lo] | [0, 0, 0, 0, 0xffff, 0, hi, lo] => one(v4(hi, lo)),
        [0, 0, 0, 0, 0, 0, hi, lo] if !ip.is_loopback() && !ip.is_unspecified() => one(v4(hi, lo)),
        [0x64, 0xff9b, 0, 0, 0, 0, hi, lo] | [0x64, 0xff9b, 1, 0, 0, 0, hi, lo] => one(v4(hi, lo)),
        [0x2002, hi, lo, ..] => one(v4(hi, lo)),
        [0x2001, 0, server_hi, server_lo, _, _, client_hi, client_lo] => Some([
            Some(v4(server_hi, server_lo)),
            Some(v4(!client_hi, !client_lo)),
        ]),
        _ => None,
    }
}

/// Why a URL cannot be a webhook endpoint (the message is shown to the person or API caller).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlProblem {
    #[error("the URL is empty")]
    Empty,
    #[error("the URL is longer than {MAX_URL_CHARS} characters")]
    TooLong,
    #[error("not a URL: {0}")]
    Malformed(String),
    #[error("the URL must start with https:// or http://")]
    Scheme,
    #[error("the URL must not contain a user name or password")]
    Userinfo,
    #[error("the URL has no host")]
    NoHost,
    #[error(
        "{0} is a loopback, private or link-local address; webhooks go to public addresses \
         (ANAF_PORTAL_WEBHOOK_ALLOW_PRIVATE=true allows others)"
    )]
    NonPublicAddress(IpAddr),
}

/// A URL a webhook may be posted to: https or http, no user info, at most `MAX_URL_CHARS`, and
/// (unless private addresses are allowed) not an IP literal of a non-public address. A name is
/// judged when it is resolved, at each delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointUrl(Url);

impl EndpointUrl {
    pub fn parse(raw: &str, allow_private: bool) -> Result<EndpointUrl, UrlProblem> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Err(UrlProblem::Empty);
        }
        if raw.chars().count() > MAX_URL_CHARS {
            return Err(UrlProblem::TooLong);
        }
        let url = Url::parse(raw).map_err(|e| UrlProblem::Malformed(e.to_string()))?;
        if !matches!(url.scheme(), "https" | "http") {
            return Err(UrlProblem::Scheme);
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(UrlProblem::Userinfo);
        }
        if url.host().is_none() {
            return Err(UrlProblem::NoHost);
        }
        // Normalised forms (an IDN host, percent-encoding) may lengthen it.
        if url.as_str().chars().count() > MAX_URL_CHARS {
            return Err(UrlProblem::TooLong);
        }
        let endpoint = EndpointUrl(url);
        endpoint.check_literal(allow_private)?;
        Ok(endpoint)
    }

    /// Refuses a host that is an IP literal of a non-public address (unless allowed).
    pub fn check_literal(&self, allow_private: bool) -> Result<(), UrlProblem> {
        let ip = match self.0.host() {
            Some(Host::Ipv4(v4)) => IpAddr::V4(v4),
            Some(Host::Ipv6(v6)) => IpAddr::V6(v6),
            _ => return Ok(()),
        };
        if !allow_private && is_non_public(ip) {
            return Err(UrlProblem::NonPublicAddress(ip));
        }
        Ok(())
    }

    pub fn as_url(&self) -> &Url {
        &self.0
    }

    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

/// The DNS resolver of the webhook client: the system's, minus every non-public address (unless
/// allowed). A name with only non-public addresses fails to resolve, with a message that says so.
#[derive(Debug, Clone, Copy)]
pub struct GuardedResolver {
    pub allow_private: bool,
}

/// A name that resolved only to addresses webhooks may not reach.
#[derive(Debug, thiserror::Error)]
#[error(
    "refused: {name} resolves only to loopback, private or link-local addresses ({addresses}); \
     webhooks go to public addresses (ANAF_PORTAL_WEBHOOK_ALLOW_PRIVATE=true allows others)"
)]
pub struct RefusedAddress {
    name: String,
    addresses: String,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_private = self.allow_private;
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let allowed: Vec<SocketAddr> = found
                .iter()
                .copied()
                .filter(|a| allow_private || !is_non_public(a.ip()))
                .collect();
            if allowed.is_empty() && !found.is_empty() {
                let addresses = found
                    .iter()
                    .map(|a| a.ip().to_string())
                    .collect::<Vec<_>>()
                    .join(", ");
                return Err(Box::new(RefusedAddress {
                    name: host,
                    addresses,
                })
                    as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(allowed.into_iter()) as Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("an address")
    }

    #[test]
    fn non_public_addresses_are_recognised_in_every_form() {
        for blocked in [
            "127.0.0.1",
            "127.8.9.10",
            "0.0.0.0",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "100.127.255.255",
            "224.0.0.1",
            "255.255.255.255",
            "::",
            "::1",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "ff02::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "::ffff:169.254.169.254",
            "64:ff9b::a9fe:a9fe",
            "2002:7f00:1::",
            // IPv4-translated (RFC 2765) and local-use NAT64 (RFC 8215).
            "::ffff:0:7f00:1",
            "::ffff:0:a00:1",
            "64:ff9b:1::7f00:1",
            "64:ff9b:1::a9fe:a9fe",
            // The local-use NAT64 prefix outside its /96 form: where the IPv4 sits is unknown.
            "64:ff9b:1:7f00:0:100::",
            "64:ff9b:1:7f00:0:100:808:808",
            // Teredo: a private server, or a loopback client (inverted: 127.0.0.1 = 80ff:fffe).
            "2001:0:a00:1::",
            "2001:0:808:808:0:0:80ff:fffe",
            // Discard-only, benchmarking, ORCHID, documentation, other reserved space.
            "100::1",
            "2001:2::1",
            "2001:10::1",
            "3fff::1",
            "5f00::1",
            "4000::1",
        ] {
            assert!(is_non_public(ip(blocked)), "{blocked} is refused");
        }
        for public in [
            "8.8.8.8",
            "1.1.1.1",
            "172.32.0.1",
            "100.128.0.1",
            "2a00:1450:4001::1",
            "::ffff:8.8.8.8",
            "::ffff:0:808:808",
            "64:ff9b::808:808",
            "64:ff9b:1::808:808",
            "2002:808:808::1",
            // Teredo with a public server and a public client (8.8.4.4 = f7f7:fbfb inverted).
            "2001:0:808:808:0:0:f7f7:fbfb",
        ] {
            assert!(!is_non_public(ip(public)), "{public} is allowed");
        }
    }

    #[test]
    fn urls_are_checked_for_scheme_userinfo_length_and_literal_addresses() {
        assert!(EndpointUrl::parse("https://hooks.example.com/anaf", false).is_ok());
        assert!(EndpointUrl::parse("http://hooks.example.com:8080/x?y=1", false).is_ok());
        assert_eq!(EndpointUrl::parse("  ", false), Err(UrlProblem::Empty));
        assert_eq!(
            EndpointUrl::parse("ftp://example.com/", false),
            Err(UrlProblem::Scheme)
        );
        assert_eq!(
            EndpointUrl::parse("https://user:pw@example.com/", false),
            Err(UrlProblem::Userinfo)
        );
        let long = format!("https://example.com/{}", "a".repeat(MAX_URL_CHARS));
        assert_eq!(EndpointUrl::parse(&long, false), Err(UrlProblem::TooLong));
        assert!(matches!(
            EndpointUrl::parse("not a url", false),
            Err(UrlProblem::Malformed(_))
        ));
        for literal in [
            "http://127.0.0.1:8080/",
            "http://[::1]/",
            "http://0x7f.1/",
            "http://2130706433/",
            "http://169.254.169.254/latest/meta-data",
            "http://[::ffff:7f00:1]/",
            "http://[::ffff:0:7f00:1]/",
            "http://[64:ff9b:1::7f00:1]/",
        ] {
            assert!(
                matches!(
                    EndpointUrl::parse(literal, false),
                    Err(UrlProblem::NonPublicAddress(_))
                ),
                "{literal}"
            );
            assert!(
                EndpointUrl::parse(literal, true).is_ok(),
                "{literal} allowed"
            );
        }
    }

    #[tokio::test]
    async fn the_resolver_drops_loopback_unless_allowed() {
        let name: Name = "localhost".parse().expect("a name");
        let refused = GuardedResolver {
            allow_private: false,
        }
        .resolve(name)
        .await;
        let error = refused.err().expect("refused").to_string();
        assert!(error.contains("refused: localhost"), "{error}");
        let name: Name = "localhost".parse().expect("a name");
        let allowed = GuardedResolver {
            allow_private: true,
        }
        .resolve(name)
        .await
        .expect("allowed");
        assert!(allowed.into_iter().all(|a| a.ip().is_loopback()));
    }
}
