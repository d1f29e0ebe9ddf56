//! Which addresses downloads may connect to: [`classify`], the `allow_hosts` list, and the
//! resolver that the HTTP client uses, which returns only addresses the policy allows (so the
//! address checked is the address connected to, on every redirect hop).

use std::fmt;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, ToSocketAddrs};
use std::sync::Arc;

/// The kind of an IP address, as far as downloads care.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddressClass {
    /// Globally routable unicast.
    Public,
    /// 127.0.0.0/8, ::1.
    Loopback,
    /// RFC 1918 (10/8, 172.16/12, 192.168/16), fc00::/7 and the deprecated fec0::/10.
    Private,
    /// 169.254.0.0/16 (cloud metadata lives here), fe80::/10.
    LinkLocal,
    /// Carrier-grade NAT, 100.64.0.0/10.
    Cgnat,
    /// 224.0.0.0/4, ff00::/8.
    Multicast,
    /// 0.0.0.0, ::.
    Unspecified,
    /// 255.255.255.255.
    Broadcast,
    /// 192.0.2/24, 198.51.100/24, 203.0.113/24, 2001:db8::/32.
    Documentation,
    /// Anything else that is not public: 0/8, 240/4, 198.18/15, 192.0.0/24, 192.88.99/24,
    /// IPv4-compatible and other `::/8` forms, Teredo, benchmarking, discard, unassigned IPv6.
    Reserved,
}

impl AddressClass {
    /// Whether downloads may connect without an `allow_hosts` entry.
    pub fn is_public(self) -> bool {
        self == AddressClass::Public
    }

    /// Classes that are never a connect target, even when allowed.
    fn never_connectable(self) -> bool {
        matches!(
            self,
            AddressClass::Unspecified | AddressClass::Multicast | AddressClass::Broadcast
        )
    }

    /// A short name for messages ("private address").
    pub fn describe(self) -> &'static str {
        match self {
            AddressClass::Public => "public address",
            AddressClass::Loopback => "loopback address",
            AddressClass::Private => "private address",
            AddressClass::LinkLocal => "link-local address",
            AddressClass::Cgnat => "carrier-grade NAT address",
            AddressClass::Multicast => "multicast address",
            AddressClass::Unspecified => "unspecified address",
            AddressClass::Broadcast => "broadcast address",
            AddressClass::Documentation => "documentation address",
            AddressClass::Reserved => "reserved address",
        }
    }
}

/// Classifies an address. IPv4 embedded in IPv6 (mapped `::ffff:a.b.c.d`, translated
/// `::ffff:0:a.b.c.d`, NAT64 `64:ff9b::/96`, 6to4 `2002::/16`) gets the class of the IPv4
/// address.
pub fn classify(ip: IpAddr) -> AddressClass {
    match ip {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) => classify_v6(v6),
    }
}

fn in_v4(ip: Ipv4Addr, net: [u8; 4], prefix: u32) -> bool {
    let mask = u32::MAX.checked_shl(32 - prefix).unwrap_or(0);
    u32::from(ip) & mask == u32::from(Ipv4Addr::from(net)) & mask
}

fn classify_v4(ip: Ipv4Addr) -> AddressClass {
    use AddressClass::*;
    let table: [([u8; 4], u32, AddressClass); 18] = [
        ([0, 0, 0, 0], 32, Unspecified),
        ([255, 255, 255, 255], 32, Broadcast),
        ([0, 0, 0, 0], 8, Reserved),
        ([127, 0, 0, 0], 8, Loopback),
        ([10, 0, 0, 0], 8, Private),
        ([172, 16, 0, 0], 12, Private),
        ([192, 168, 0, 0], 16, Private),
        ([169, 254, 0, 0], 16, LinkLocal),
        ([100, 64, 0, 0], 10, Cgnat),
        ([224, 0, 0, 0], 4, Multicast),
        ([240, 0, 0, 0], 4, Reserved),
        ([192, 0, 2, 0], 24, Documentation),
        ([198, 51, 100, 0], 24, Documentation),
        ([203, 0, 113, 0], 24, Documentation),
        ([198, 18, 0, 0], 15, Reserved),
        ([192, 0, 0, 0], 24, Reserved),
        ([192, 88, 99, 0], 24, Reserved),
        ([192, 31, 196, 0], 24, Reserved),
    ];
    table
        .iter()
        .find(|(net, prefix, _)| in_v4(ip, *net, *prefix))
        .map_or(Public, |(_, _, class)| *class)
}

fn in_v6(ip: Ipv6Addr, net: Ipv6Addr, prefix: u32) -> bool {
    let mask = u128::MAX.checked_shl(128 - prefix).unwrap_or(0);
    u128::from(ip) & mask == u128::from(net) & mask
}

/// The IPv4 address embedded in an IPv6 one by mapping, translation, NAT64 or 6to4.
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let bits = u128::from(ip);
    let low = Ipv4Addr::from((bits & 0xffff_ffff) as u32);
    if in_v6(ip, Ipv6Addr::new(0, 0, 0, 0, 0, 0xffff, 0, 0), 96) // ::ffff:a.b.c.d
        || in_v6(ip, Ipv6Addr::new(0, 0, 0, 0, 0xffff, 0, 0, 0), 96) // ::ffff:0:a.b.c.d
        || in_v6(ip, Ipv6Addr::new(0x64, 0xff9b, 0, 0, 0, 0, 0, 0), 96)
    {
        Some(low)
    } else if in_v6(ip, Ipv6Addr::new(0x2002, 0, 0, 0, 0, 0, 0, 0), 16) {
        Some(Ipv4Addr::from(((bits >> 80) & 0xffff_ffff) as u32))
    } else {
        None
    }
}

fn classify_v6(ip: Ipv6Addr) -> AddressClass {
    use AddressClass::*;
    if ip.is_unspecified() {
        return Unspecified;
    }
    if ip.is_loopback() {
        return Loopback;
    }
    if let Some(v4) = embedded_v4(ip) {
        return classify_v4(v4);
    }
    let table: [(Ipv6Addr, u32, AddressClass); 9] = [
        (Ipv6Addr::new(0xff00, 0, 0, 0, 0, 0, 0, 0), 8, Multicast),
        (Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 0), 10, LinkLocal),
        (Ipv6Addr::new(0xfec0, 0, 0, 0, 0, 0, 0, 0), 10, Private),
        (Ipv6Addr::new(0xfc00, 0, 0, 0, 0, 0, 0, 0), 7, Private),
        (
            Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0),
            32,
            Documentation,
        ),
        (
            Ipv6Addr::new(0x3fff, 0, 0, 0, 0, 0, 0, 0),
            20,
            Documentation,
        ),
        (Ipv6Addr::new(0x2001, 0, 0, 0, 0, 0, 0, 0), 32, Reserved), // Teredo
        (Ipv6Addr::new(0x2001, 0x2, 0, 0, 0, 0, 0, 0), 48, Reserved), // benchmarking
        (Ipv6Addr::new(0x64, 0xff9b, 0x1, 0, 0, 0, 0, 0), 48, Private), // local-use NAT64
    ];
    if let Some((_, _, class)) = table.iter().find(|(n, p, _)| in_v6(ip, *n, *p)) {
        return *class;
    }
    // Global unicast is 2000::/3; everything else (::/8 forms, 100::/64, unassigned) is not.
    if in_v6(ip, Ipv6Addr::new(0x2000, 0, 0, 0, 0, 0, 0, 0), 3) {
        Public
    } else {
        Reserved
    }
}

/// An address block from `allow_hosts`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Cidr {
    net: IpAddr,
    prefix: u32,
}

impl Cidr {
    fn contains(&self, ip: IpAddr) -> bool {
        match (self.net, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => in_v4(ip, net.octets(), self.prefix),
            (IpAddr::V6(net), IpAddr::V6(ip)) => in_v6(ip, net, self.prefix),
            _ => false,
        }
    }
}

/// Why a connection was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Refusal {
    pub(crate) ip: IpAddr,
    pub(crate) class: AddressClass,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.class.describe(), self.ip)?;
        if !self.class.never_connectable() {
            f.write_str("; see --allow-host")?;
        }
        Ok(())
    }
}

impl std::error::Error for Refusal {}

/// The `allow_hosts` list plus the Label Studio host, parsed.
#[derive(Debug, Default)]
pub(crate) struct Policy {
    hosts: Vec<String>,
    nets: Vec<Cidr>,
}

impl Policy {
    /// Parses `HOST|IP|CIDR` entries; `ls_host` (the host of `hostname`) is allowed too.
    pub(crate) fn new(entries: &[String], ls_host: Option<&url::Host>) -> Result<Self, String> {
        let mut policy = Policy::default();
        for entry in entries {
            policy.add(entry.trim()).map_err(|why| {
                format!("bad --allow-host entry {entry:?}: {why} (expected HOST, IP or CIDR)")
            })?;
        }
        match ls_host {
            Some(url::Host::Domain(d)) => policy.hosts.push(d.to_ascii_lowercase()),
            Some(url::Host::Ipv4(ip)) => policy.add_ip(IpAddr::V4(*ip), 32),
            Some(url::Host::Ipv6(ip)) => policy.add_ip(IpAddr::V6(*ip), 128),
            None => {}
        }
        Ok(policy)
    }

    fn add_ip(&mut self, net: IpAddr, prefix: u32) {
        self.nets.push(Cidr { net, prefix });
    }

    fn add(&mut self, entry: &str) -> Result<(), String> {
        if entry.is_empty() {
            return Err("empty".into());
        }
        if let Some((addr, prefix)) = entry.split_once('/') {
            let net: IpAddr = addr
                .trim_start_matches('[')
                .trim_end_matches(']')
                .parse()
                .map_err(|_| "not an IP address before '/'".to_owned())?;
            let max = if net.is_ipv4() { 32 } else { 128 };
            let prefix: u32 = prefix
                .parse()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| format!("prefix length must be 0..={max}"))?;
            self.add_ip(net, prefix);
            return Ok(());
        }
        if let Ok(ip) = entry.parse::<IpAddr>() {
            let prefix = if ip.is_ipv4() { 32 } else { 128 };
            self.add_ip(ip, prefix);
            return Ok(());
        }
        match url::Host::parse(entry).map_err(|e| e.to_string())? {
            url::Host::Domain(d) => {
                let d = d.trim_end_matches('.').to_ascii_lowercase();
                let ok = !d.is_empty()
                    && d.chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'));
                if !ok {
                    return Err("not a host name".into());
                }
                self.hosts.push(d);
            }
            url::Host::Ipv4(ip) => self.add_ip(IpAddr::V4(ip), 32),
            url::Host::Ipv6(ip) => self.add_ip(IpAddr::V6(ip), 128),
        }
        Ok(())
    }

    /// Whether `host` (a URL host, already normalised by the URL parser) is an allowed name.
    pub(crate) fn host_allowed(&self, host: &str) -> bool {
        let host = host.trim_end_matches('.');
        self.hosts.iter().any(|h| h.eq_ignore_ascii_case(host))
    }

    fn ip_allowed(&self, ip: IpAddr) -> bool {
        let v4 = match ip {
            IpAddr::V6(v6) => embedded_v4(v6).map(IpAddr::V4),
            IpAddr::V4(_) => None,
        };
        self.nets
            .iter()
            .any(|n| n.contains(ip) || v4.is_some_and(|v4| n.contains(v4)))
    }

    /// Whether a connection to `ip` is allowed, `host_allowed` saying whether the name it was
    /// resolved from is on the list.
    pub(crate) fn check(&self, host_allowed: bool, ip: IpAddr) -> Result<(), Refusal> {
        let class = classify(ip);
        let ok = if class.never_connectable() {
            false
        } else {
            class.is_public() || host_allowed || self.ip_allowed(ip)
        };
        if ok {
            Ok(())
        } else {
            Err(Refusal { ip, class })
        }
    }

    /// Checks a URL host before any network use: literal IPs are checked now, names when they
    /// are resolved.
    pub(crate) fn check_host(&self, host: &url::Host<&str>) -> Result<(), Refusal> {
        match host {
            url::Host::Domain(_) => Ok(()),
            url::Host::Ipv4(ip) => self.check(false, IpAddr::V4(*ip)),
            url::Host::Ipv6(ip) => self.check(false, IpAddr::V6(*ip)),
        }
    }
}

/// The resolver handed to the HTTP client: resolves, then keeps only allowed addresses.
#[derive(Debug, Clone)]
pub(crate) struct GuardedResolver(pub(crate) Arc<Policy>);

impl ureq::Resolver for GuardedResolver {
    fn resolve(&self, netloc: &str) -> io::Result<Vec<SocketAddr>> {
        let host = match netloc.rsplit_once(':') {
            Some((host, _port)) => host.trim_start_matches('[').trim_end_matches(']'),
            None => return Err(io::Error::new(io::ErrorKind::InvalidInput, "no port")),
        };
        let host_allowed = host.parse::<IpAddr>().is_err() && self.0.host_allowed(host);
        let mut allowed = Vec::new();
        let mut refusal = None;
        for addr in netloc.to_socket_addrs()? {
            match self.0.check(host_allowed, addr.ip()) {
                Ok(()) => allowed.push(addr),
                Err(r) => {
                    refusal.get_or_insert(r);
                }
            }
        }
        match refusal {
            Some(r) if allowed.is_empty() => {
                Err(io::Error::new(io::ErrorKind::PermissionDenied, r))
            }
            _ => Ok(allowed),
        }
    }
}

/// Finds a [`Refusal`] in an error's source chain.
pub(crate) fn find_refusal<'a>(
    mut err: Option<&'a (dyn std::error::Error + 'static)>,
) -> Option<&'a Refusal> {
    while let Some(e) = err {
        if let Some(r) = e.downcast_ref::<Refusal>() {
            return Some(r);
        }
        if let Some(inner) = e.downcast_ref::<io::Error>().and_then(|io| io.get_ref())
            && let Some(r) = inner.downcast_ref::<Refusal>()
        {
            return Some(r);
        }
        err = e.source();
    }
    None
}
