//! Which network addresses outbound deliveries may reach: the SSRF rules, as pure
//! functions, so input validation (here) and the connect-time check of the notifier
//! (`ticket-notify`, after DNS resolution) apply one rule.
//!
//! Refused unless an operator allows them ([`AddressPolicy::allow`]): loopback, private
//! (RFC 1918), shared/CGNAT (100.64/10), link-local (169.254/16, where cloud metadata
//! lives), "this network", documentation and benchmark ranges, multicast, reserved and
//! broadcast; in IPv6 the unspecified and loopback addresses, unique-local (fc00::/7),
//! link-local (fe80::/10), multicast, documentation, and every IPv6 form that embeds an
//! IPv4 address (mapped, compatible, NAT64, 6to4), which is judged by that address.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

/// A CIDR range such as `127.0.0.0/8` or `fd00::/8`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct IpRange {
    addr: IpAddr,
    prefix: u8,
}

impl IpRange {
    /// The range of `addr` with the given prefix length.
    ///
    /// # Errors
    /// [`crate::Error::Invalid`] when the prefix is longer than the address.
    pub fn new(addr: IpAddr, prefix: u8) -> crate::Result<Self> {
        let bits = if addr.is_ipv4() { 32 } else { 128 };
        if prefix > bits {
            return Err(crate::Error::invalid(
                "cidr",
                format!("prefix /{prefix} is longer than the address"),
            ));
        }
        Ok(Self { addr, prefix })
    }

    /// Whether `ip` lies in the range (an IPv4-mapped IPv6 address counts as its IPv4).
    #[must_use]
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, unmap(ip)) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => prefix_eq(
                u128::from(u32::from(net)),
                u128::from(u32::from(ip)),
                32,
                self.prefix,
            ),
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                prefix_eq(u128::from(net), u128::from(ip), 128, self.prefix)
            }
            _ => false,
        }
    }
}

fn prefix_eq(a: u128, b: u128, bits: u8, prefix: u8) -> bool {
    if prefix == 0 {
        return true;
    }
    let shift = u32::from(bits - prefix);
    (a >> shift) == (b >> shift)
}

impl FromStr for IpRange {
    type Err = crate::Error;

    /// `addr/prefix`, or a bare address (a range of one).
    fn from_str(s: &str) -> crate::Result<Self> {
        let s = s.trim();
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let addr: IpAddr = addr
            .parse()
            .map_err(|_| crate::Error::invalid("cidr", format!("{s:?} is not an IP range")))?;
        let prefix = match prefix {
            Some(p) => p
                .parse()
                .map_err(|_| crate::Error::invalid("cidr", format!("{s:?} has a bad prefix")))?,
            None if addr.is_ipv4() => 32,
            None => 128,
        };
        Self::new(addr, prefix)
    }
}

impl fmt::Display for IpRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

/// Which addresses outbound deliveries may reach: every public address, plus the ranges
/// an operator allows (e.g. `127.0.0.0/8` for a local test receiver).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AddressPolicy {
    /// Ranges reachable even though they are not public.
    pub allow: Vec<IpRange>,
}

impl AddressPolicy {
    /// Whether a delivery may connect to `ip`.
    #[must_use]
    pub fn permits(&self, ip: IpAddr) -> bool {
        is_public(ip) || self.allow.iter().any(|r| r.contains(ip))
    }

    /// Checks the host of a URL written as an IP address (in any spelling a resolver
    /// accepts: `2130706433`, `0177.0.0.1`, `0x7f.1`, `[::ffff:127.0.0.1]`); names are
    /// checked after resolution, at connect time.
    ///
    /// # Errors
    /// [`crate::Error::Invalid`] on `field` when the address is refused.
    pub fn check_host(&self, field: &str, host: &str) -> crate::Result<()> {
        match literal_ip(host) {
            Some(ip) if !self.permits(ip) => Err(crate::Error::invalid(
                field,
                "must not point at a private, loopback or link-local address",
            )),
            _ => Ok(()),
        }
    }
}

/// An IPv6 address that embeds an IPv4 one (mapped `::ffff:a.b.c.d`) as that IPv4.
fn unmap(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        IpAddr::V4(_) => ip,
    }
}

/// Whether `ip` is a public unicast address a delivery may reach without an allowance.
#[must_use]
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    let refused = a == 0                                  // "this network"
        || a == 10                                        // RFC 1918
        || a == 127                                       // loopback
        || (a == 100 && (64..128).contains(&b))           // CGNAT 100.64/10
        || (a == 169 && b == 254)                         // link-local, cloud metadata
        || (a == 172 && (16..32).contains(&b))            // RFC 1918
        || (a == 192 && b == 168)                         // RFC 1918
        || (a == 192 && b == 0 && c == 0)                 // IETF protocol assignments
        || (a == 192 && b == 0 && c == 2)                 // documentation
        || (a == 198 && (b == 18 || b == 19))             // benchmarking
        || (a == 198 && b == 51 && c == 100)              // documentation
        || (a == 203 && b == 0 && c == 113)               // documentation
        || a >= 224; // multicast, reserved, broadcast
    !refused
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let s = ip.segments();
    let embedded = |hi: u16, lo: u16| Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo));
    if let Some(v4) = ip.to_ipv4_mapped() {
        return is_public_v4(v4);
    }
    if s[..6] == [0; 6] {
        // ::, ::1 and the deprecated IPv4-compatible form ::a.b.c.d
        return s[6] != 0 && is_public_v4(embedded(s[6], s[7]));
    }
    if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return is_public_v4(embedded(s[6], s[7])); // NAT64
    }
    if s[0] == 0x2002 {
        return is_public_v4(embedded(s[1], s[2])); // 6to4
    }
    let refused = (s[0] & 0xfe00) == 0xfc00           // unique local fc00::/7
        || (s[0] & 0xffc0) == 0xfe80                  // link-local fe80::/10
        || (s[0] & 0xffc0) == 0xfec0                  // site-local (deprecated)
        || (s[0] & 0xff00) == 0xff00                  // multicast
        || (s[0] == 0x2001 && s[1] == 0x0db8); // documentation
    !refused
}

/// The IP address a URL host denotes when it is written as one, in any spelling the
/// usual resolvers accept (so `http://2130706433/` is caught as `127.0.0.1`): bracketed
/// IPv6, dotted IPv4, and the `inet_aton` forms with one to four parts in decimal, octal
/// (`0` prefix) or hexadecimal (`0x` prefix). `None` for a name.
#[must_use]
pub fn literal_ip(host: &str) -> Option<IpAddr> {
    let host = host.trim_end_matches('.');
    if let Some(inner) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        let inner = inner.split('%').next().unwrap_or(inner);
        return inner.parse::<Ipv6Addr>().ok().map(IpAddr::V6);
    }
    if let Ok(v6) = host.parse::<Ipv6Addr>() {
        return Some(IpAddr::V6(v6));
    }
    inet_aton(host).map(IpAddr::V4)
}

/// The classic `inet_aton` parser: `a`, `a.b`, `a.b.c`, `a.b.c.d`, each part decimal,
/// octal or hex, the last part filling the remaining bytes.
fn inet_aton(host: &str) -> Option<Ipv4Addr> {
    let parts: Vec<&str> = host.split('.').collect();
    if parts.is_empty() || parts.len() > 4 {
        return None;
    }
    let mut nums = Vec::with_capacity(parts.len());
    for p in &parts {
        nums.push(parse_part(p)?);
    }
    let (last, head) = nums.split_last()?;
    let mut value: u64 = 0;
    for (i, n) in head.iter().enumerate() {
        if *n > 255 {
            return None;
        }
        value |= n << (24 - 8 * i);
    }
    let room = 32 - 8 * head.len();
    if room < 64 && *last >= (1u64 << room) {
        return None;
    }
    value |= last;
    u32::try_from(value).ok().map(Ipv4Addr::from)
}

fn parse_part(p: &str) -> Option<u64> {
    let lower = p.to_ascii_lowercase();
    let (digits, radix) = if let Some(h) = lower.strip_prefix("0x") {
        (h.to_string(), 16)
    } else if lower.len() > 1 && lower.starts_with('0') {
        (lower[1..].to_string(), 8)
    } else {
        (lower, 10)
    };
    if digits.is_empty() && radix == 16 {
        return Some(0);
    }
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    u64::from_str_radix(&digits, radix)
        .ok()
        .filter(|n| *n <= u64::from(u32::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
    }

    #[test]
    fn refused_classes() {
        for s in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "100.127.255.254",
            "0.0.0.0",
            "224.0.0.1",
            "255.255.255.255",
            "::1",
            "::",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "::127.0.0.1",
            "64:ff9b::a9fe:a9fe",
            "2002:7f00:1::",
            "ff02::1",
        ] {
            assert!(!is_public(ip(s)), "{s} should be refused");
        }
        for s in [
            "93.184.216.34",
            "1.1.1.1",
            "100.128.0.1",
            "172.32.0.1",
            "2606:4700:4700::1111",
            "::ffff:8.8.8.8",
        ] {
            assert!(is_public(ip(s)), "{s} should be allowed");
        }
    }

    #[test]
    fn odd_spellings_of_loopback_are_recognised() {
        for s in [
            "2130706433",
            "0177.0.0.1",
            "0x7f.0.0.1",
            "0x7f000001",
            "127.1",
            "017700000001",
            "[::ffff:7f00:1]",
            "[::1]",
            "127.0.0.1.",
        ] {
            let found = literal_ip(s);
            assert!(found.is_some_and(|a| !is_public(a)), "{s}: {found:?}");
        }
        assert_eq!(literal_ip("hooks.example.com"), None);
        assert_eq!(literal_ip("1.2.3.4.5"), None);
        assert_eq!(literal_ip("256.1.1.1"), None);
        assert_eq!(literal_ip("08.1.1.1"), None);
    }

    #[test]
    fn allowed_ranges_let_chosen_addresses_through() {
        let policy = AddressPolicy {
            allow: vec!["127.0.0.0/8".parse().unwrap_or_else(|_| unreachable!())],
        };
        assert!(policy.permits(ip("127.0.0.1")));
        assert!(policy.permits(ip("::ffff:127.0.0.1")));
        assert!(!policy.permits(ip("10.0.0.1")));
        assert!(policy.check_host("u", "2130706433").is_ok());
        assert!(AddressPolicy::default()
            .check_host("u", "2130706433")
            .is_err());
        assert!(AddressPolicy::default()
            .check_host("u", "example.com")
            .is_ok());
        assert!("10.0.0.0/33".parse::<IpRange>().is_err());
        assert!("nonsense".parse::<IpRange>().is_err());
        let r: IpRange = "fd00::/8".parse().unwrap_or_else(|_| unreachable!());
        assert!(r.contains(ip("fd12::1")));
        assert_eq!(r.to_string(), "fd00::/8");
        let all: IpRange = "0.0.0.0/0".parse().unwrap_or_else(|_| unreachable!());
        assert!(all.contains(ip("10.0.0.1")));
    }
}
