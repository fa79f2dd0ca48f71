//! SSRF protection at connect time: a DNS resolver for reqwest that resolves a name,
//! refuses it when any of its addresses is not permitted by the
//! [`AddressPolicy`], and hands reqwest only the checked addresses, so the connection
//! goes to an address that was checked (a second, rebinding lookup never happens). URLs
//! written as IP addresses never reach a resolver: [`check_url`] judges them.

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use ticket_core::net::{literal_ip, AddressPolicy};

/// A refused destination (a private, loopback, link-local… address).
#[derive(Debug, Clone, thiserror::Error)]
#[error("refused to connect to {host} ({ip}): not a public address and not allowed")]
pub struct Refused {
    /// The host as written.
    pub host: String,
    /// The address refused.
    pub ip: IpAddr,
}

/// Resolves names with the system resolver and refuses those with a refused address.
#[derive(Debug, Clone)]
pub struct GuardedResolver {
    policy: Arc<AddressPolicy>,
}

impl GuardedResolver {
    /// A resolver enforcing `policy`.
    #[must_use]
    pub fn new(policy: Arc<AddressPolicy>) -> Self {
        Self { policy }
    }
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = Arc::clone(&self.policy);
        Box::pin(async move {
            let host = name.as_str().to_string();
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            if let Some(bad) = found.iter().find(|a| !policy.permits(a.ip())) {
                return Err(Box::new(Refused { host, ip: bad.ip() }) as _);
            }
            let addrs: Addrs = Box::new(found.into_iter());
            Ok(addrs)
        })
    }
}

/// Checks a URL before a request: an IP-address host must be permitted (names are
/// checked by [`GuardedResolver`] when connecting).
///
/// # Errors
/// [`Refused`] for a refused address.
pub fn check_url(policy: &AddressPolicy, url: &reqwest::Url) -> Result<(), Refused> {
    let Some(host) = url.host_str() else {
        return Ok(());
    };
    match literal_ip(host) {
        Some(ip) if !policy.permits(ip) => Err(Refused {
            host: host.to_string(),
            ip,
        }),
        _ => Ok(()),
    }
}

/// Whether an error (or one of its sources) is a [`Refused`] destination.
#[must_use]
pub fn is_refused(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut cur = Some(e);
    while let Some(err) = cur {
        if err.is::<Refused>() {
            return true;
        }
        cur = err.source();
    }
    false
}
