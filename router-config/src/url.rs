//! The portal's base URL, parsed strictly enough to put it on a router.
//!
//! Only what a captive portal needs: `http` or `https`, a host (DNS name, IPv4 or
//! `[IPv6]`), an optional port and an optional base path. No user info, query or
//! fragment: the router's login page posts to `<base>/hotspot/start`, and the host
//! goes into the walled garden, so both must be unambiguous.

use std::fmt;
use std::net::{IpAddr, Ipv6Addr};

use crate::{Error, PORTAL_START_PATH};

/// `http` or `https`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    Http,
    Https,
}

impl Scheme {
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Http => "http",
            Scheme::Https => "https",
        }
    }

    pub fn default_port(self) -> u16 {
        match self {
            Scheme::Http => 80,
            Scheme::Https => 443,
        }
    }
}

/// The portal's host: a DNS name (lower-case ASCII) or an IP literal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Host {
    Name(String),
    Ip(IpAddr),
}

impl Host {
    /// The IP when the host is an IP literal.
    pub fn ip(&self) -> Option<IpAddr> {
        match self {
            Host::Ip(ip) => Some(*ip),
            Host::Name(_) => None,
        }
    }
}

/// The host as written in a URL (IPv6 in brackets).
impl fmt::Display for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Host::Name(n) => f.write_str(n),
            Host::Ip(IpAddr::V4(ip)) => write!(f, "{ip}"),
            Host::Ip(IpAddr::V6(ip)) => write!(f, "[{ip}]"),
        }
    }
}

/// A parsed portal base URL, e.g. `https://wifi.example.com` or `http://192.0.2.10:8080/p`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortalUrl {
    pub scheme: Scheme,
    pub host: Host,
    /// Only when given and not the scheme's default.
    pub port: Option<u16>,
    /// The base path without a trailing `/` (`""` for the root).
    pub path: String,
}

impl PortalUrl {
    /// Parses and checks a portal base URL; the error says what is wrong with it.
    pub fn parse(input: &str) -> Result<PortalUrl, Error> {
        let bad = |why: &str| Error::PortalUrl(format!("{input:?}: {why}"));
        let s = input.trim();
        if s.is_empty() {
            return Err(bad("empty"));
        }
        if let Some(c) = s
            .chars()
            .find(|c| !c.is_ascii() || c.is_ascii_control() || *c == ' ')
        {
            return Err(bad(&format!(
                "contains {c:?}; use only ASCII (punycode xn-- for international names, \
                 %-escapes in the path)"
            )));
        }
        let (scheme, rest) = s
            .split_once("://")
            .ok_or_else(|| bad("must start with http:// or https://"))?;
        let scheme = match scheme.to_ascii_lowercase().as_str() {
            "http" => Scheme::Http,
            "https" => Scheme::Https,
            other => return Err(bad(&format!("scheme {other:?} is not http or https"))),
        };
        if rest.contains('?') || rest.contains('#') {
            return Err(bad("must be a base URL without ?query or #fragment"));
        }
        let (authority, path) = match rest.find('/') {
            Some(i) => rest.split_at(i),
            None => (rest, ""),
        };
        if authority.contains('@') {
            return Err(bad("must not contain user:password@"));
        }
        if authority.is_empty() {
            return Err(bad("has no host"));
        }
        let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
            let (ip, after) = v6
                .split_once(']')
                .ok_or_else(|| bad("unterminated [IPv6] host"))?;
            let ip: Ipv6Addr = ip
                .parse()
                .map_err(|_| bad(&format!("{ip:?} is not an IPv6 address")))?;
            let port = match after {
                "" => None,
                p => Some(p.strip_prefix(':').ok_or_else(|| bad("junk after ]"))?),
            };
            (Host::Ip(IpAddr::V6(ip)), port)
        } else {
            let (host, port) = match authority.split_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (authority, None),
            };
            (parse_host(host).map_err(|why| bad(&why))?, port)
        };
        let port = match port {
            None => None,
            Some(p) => {
                let n: u16 = p
                    .parse()
                    .ok()
                    .filter(|n| *n != 0 && p.bytes().all(|b| b.is_ascii_digit()))
                    .ok_or_else(|| bad(&format!("port {p:?} is not 1-65535")))?;
                (n != scheme.default_port()).then_some(n)
            }
        };
        if let Some(c) = path.chars().find(|c| "\"<>\\^`{|}".contains(*c)) {
            return Err(bad(&format!("path contains {c:?}; %-escape it")));
        }
        Ok(PortalUrl {
            scheme,
            host,
            port,
            path: path.trim_end_matches('/').to_string(),
        })
    }

    /// `scheme://host[:port][/path]`, no trailing slash.
    pub fn base(&self) -> String {
        let mut s = format!("{}://{}", self.scheme.as_str(), self.host);
        if let Some(p) = self.port {
            s.push_str(&format!(":{p}"));
        }
        s.push_str(&self.path);
        s
    }

    /// Where the router's login page posts the guest: `<base>/hotspot/start`.
    pub fn start_url(&self) -> String {
        format!("{}{PORTAL_START_PATH}", self.base())
    }
}

impl fmt::Display for PortalUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.base())
    }
}

impl std::str::FromStr for PortalUrl {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        PortalUrl::parse(s)
    }
}

/// A DNS name (LDH labels) or an IPv4 literal.
fn parse_host(host: &str) -> Result<Host, String> {
    if host.is_empty() {
        return Err("has no host".into());
    }
    if host.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return host
            .parse()
            .map(|ip| Host::Ip(IpAddr::V4(ip)))
            .map_err(|_| format!("{host:?} is not an IPv4 address"));
    }
    let name = host.strip_suffix('.').unwrap_or(host).to_ascii_lowercase();
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    };
    if name.len() > 253 || !name.split('.').all(label_ok) {
        return Err(format!(
            "{host:?} is not a valid host name (letters, digits, '-' and '.')"
        ));
    }
    Ok(Host::Name(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_usual_forms() {
        let u = PortalUrl::parse("https://WiFi.Example.com/").unwrap();
        assert_eq!(u.host, Host::Name("wifi.example.com".into()));
        assert_eq!(u.port, None);
        assert_eq!(u.start_url(), "https://wifi.example.com/hotspot/start");

        let u = PortalUrl::parse("http://192.0.2.10:8080/portal/").unwrap();
        assert_eq!(u.host.ip(), Some("192.0.2.10".parse().unwrap()));
        assert_eq!(u.start_url(), "http://192.0.2.10:8080/portal/hotspot/start");

        let u = PortalUrl::parse("https://[2001:db8::1]:443").unwrap();
        assert_eq!(u.port, None, "default port dropped");
        assert_eq!(u.base(), "https://[2001:db8::1]");
    }

    #[test]
    fn refuses_what_a_router_cannot_use() {
        for bad in [
            "",
            "wifi.example.com",
            "ftp://wifi.example.com",
            "javascript:alert(1)",
            "https://",
            "https:///path",
            "https://user:pw@wifi.example.com",
            "https://wifi.example.com/?a=b",
            "https://wifi.example.com/#x",
            "https://wifi.example.com:0",
            "https://wifi.example.com:99999",
            "https://wifi.example.com:+80",
            "https://wi fi.example.com",
            "https://wifi_x.example.com",
            "https://-wifi.example.com",
            "https://وای‌فای.ir",
            "https://300.1.1.1",
            "https://[::1",
            "https://wifi.example.com/a\"b",
            "https://wifi.example.com/a<b",
        ] {
            let e = PortalUrl::parse(bad).expect_err(bad);
            assert!(e.to_string().starts_with("invalid portal URL"), "{e}");
        }
    }
}
