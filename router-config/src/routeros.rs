//! RouterOS v7 command lines: quoting values, reading them back, and the setup script.
//!
//! # Quoting rules relied on
//!
//! From MikroTik's scripting manual ("Constant Escape Sequences", wiki.mikrotik.com
//! `Manual:Scripting`, same table in help.mikrotik.com "Scripting"): inside a double-quoted
//! string `\"` is a double quote, `\\` a backslash, `\n` `\r` `\t` newline / carriage return /
//! tab, `\$` a dollar sign ("otherwise `$` is used to link variable"), `\?` a question mark
//! ("otherwise `?` is used to print help in console"), `\_` a space, `\a` `\b` `\f` `\v`
//! BEL / backspace / form feed / vertical tab, and `\XX` "character from hex value — hex
//! number should use capital letters" (which is what tells `\AB` apart from `\a`).
//! `#` starts a comment only outside a string.
//!
//! [`quote`] therefore always double-quotes, escapes `"` `\` `$` `?`, writes `\n` `\r` `\t`,
//! and every other byte below 0x20, 0x7F and every non-ASCII byte as `\XX` (two upper-case
//! hex digits). The last part keeps the script pure ASCII, so pasting it into any terminal
//! cannot re-encode a Persian secret; it is also how RouterOS's own `/export` writes
//! non-ASCII text (e.g. `comment="\D0\9F\D1\80..."`, UTF-8 bytes). Values with a fixed,
//! harmless syntax (numbers, IPs, `yes`/`no`, enum lists) are written bare.

use std::fmt::Write as _;
use std::net::IpAddr;

use crate::RouterSetup;

/// The comment that marks everything the script creates, so a re-run can remove it first.
pub const COMMENT: &str = "smartx";

/// `s` as a double-quoted RouterOS string (see the module docs for the rules).
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for &b in s.as_bytes() {
        match b {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            b'$' => out.push_str("\\$"),
            b'?' => out.push_str("\\?"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            0x20..=0x7E => out.push(b as char),
            _ => {
                let _ = write!(out, "\\{b:02X}");
            }
        }
    }
    out.push('"');
    out
}

/// `s` bare when it is made only of characters with no meaning to the RouterOS parser
/// (letters, digits, `-_.,:/@`), quoted otherwise.
pub fn value(s: &str) -> String {
    let plain = !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.,:/@".contains(&b));
    if plain { s.to_string() } else { quote(s) }
}

/// The `key=value` pairs of one RouterOS command line, values unescaped, in order.
///
/// A small reader for tests and tools, not a RouterOS interpreter: it splits on whitespace
/// outside quotes, descends into `[...]` (so `set [find name="x"] a=b` gives `name` and `a`)
/// and `{...}`, ignores words without `=` and stops at a `#` comment or a `;`.
/// Quoted values are unescaped per the rules in the module docs; bytes that do not form
/// UTF-8 are replaced with U+FFFD.
pub fn parse_line(line: &str) -> Vec<(String, String)> {
    let mut pairs = Vec::new();
    let b = line.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            c if c.is_ascii_whitespace() || b"[]{}()".contains(&c) => i += 1,
            b'#' | b';' => break,
            b'"' => {
                // A quoted word without a key (e.g. `:error "..."`): skip it.
                let (_, next) = unquote(b, i);
                i = next;
            }
            _ => {
                let start = i;
                while i < b.len() && !is_word_end(b[i]) && b[i] != b'=' {
                    i += 1;
                }
                if i < b.len() && b[i] == b'=' {
                    let key = line[start..i].to_string();
                    i += 1;
                    let val = if i < b.len() && b[i] == b'"' {
                        let (bytes, next) = unquote(b, i);
                        i = next;
                        String::from_utf8_lossy(&bytes).into_owned()
                    } else {
                        let vs = i;
                        while i < b.len() && !is_word_end(b[i]) {
                            i += 1;
                        }
                        line[vs..i].to_string()
                    };
                    pairs.push((key, val));
                }
            }
        }
    }
    pairs
}

fn is_word_end(c: u8) -> bool {
    c.is_ascii_whitespace() || b"[]{}();".contains(&c)
}

/// Reads the quoted string starting at `b[start] == '"'`: its bytes and the index after it.
fn unquote(b: &[u8], start: usize) -> (Vec<u8>, usize) {
    let hex = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    };
    let mut out = Vec::new();
    let mut i = start + 1;
    while i < b.len() {
        match b[i] {
            b'"' => return (out, i + 1),
            b'\\' if i + 1 < b.len() => {
                let c = b[i + 1];
                if let (Some(h), Some(l)) = (hex(c), b.get(i + 2).copied().and_then(hex)) {
                    out.push(h << 4 | l);
                    i += 3;
                    continue;
                }
                out.push(match c {
                    b'n' => b'\n',
                    b'r' => b'\r',
                    b't' => b'\t',
                    b'_' => b' ',
                    b'a' => 0x07,
                    b'b' => 0x08,
                    b'f' => 0x0C,
                    b'v' => 0x0B,
                    other => other, // \" \\ \$ \? and anything else: the character itself
                });
                i += 2;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    (out, i)
}

/// The RouterOS v7 script that points a hotspot at smartx (see `docs/router-setup.md`).
///
/// Idempotent: it removes the `/radius` and walled-garden entries a previous run created
/// (marked `comment="smartx"`) before adding them again, and only `set`s the rest.
pub fn routeros_script(s: &RouterSetup) -> String {
    let mut o = String::new();
    let c = quote(COMMENT);
    let profile = quote(&s.hotspot_profile);
    let mut line = |text: &str| {
        o.push_str(text);
        o.push('\n');
    };

    line(&format!(
        "# smartx: RouterOS v7 setup for NAS {} (id {})",
        quote(&s.nas_name),
        s.nas_id
    ));
    line("# Generated by `smartx router-config`. Paste it into a RouterOS terminal, or upload it");
    line("# as smartx.rsc and run: /import file-name=smartx.rsc");
    line("# Safe to run again: entries it created before (comment=\"smartx\") are replaced.");
    line("");
    line("# The hotspot server profile must exist already (/ip hotspot setup creates hsprof1).");
    line(&format!(
        ":if ([:len [/ip hotspot profile find name={profile}]] = 0) do={{ :error {} }}",
        quote(&format!(
            "smartx: no hotspot profile \"{}\"; run /ip hotspot setup first",
            s.hotspot_profile
        ))
    ));
    line("");

    line("# RADIUS: smartx authenticates hotspot logins and receives their accounting.");
    line("# require-message-auth (RouterOS >= 7.15) drops answers without a valid");
    line("# Message-Authenticator (BlastRADIUS, CVE-2024-3596); smartx always sends one.");
    line(&format!("/radius remove [find comment={c}]"));
    let src = s
        .src_address
        .map(|ip| format!(" src-address={ip}"))
        .unwrap_or_default();
    line(&format!(
        "/radius add address={} secret={} service=hotspot authentication-port={} \
         accounting-port={} timeout=3s{src} require-message-auth=yes-for-request-resp comment={c}",
        s.radius_server,
        quote(&s.secret),
        s.authentication_port,
        s.accounting_port,
    ));
    line("");

    line("# Disconnect and change-of-authorisation (CoA) requests from smartx: end a session,");
    line("# change its speed. Same shared secret.");
    line(&format!(
        "/radius incoming set accept=yes port={}",
        s.coa_port
    ));
    line("");

    line(&format!(
        "# Hotspot profile: ask RADIUS, send accounting with an update every {} s, log in by",
        s.interim
    ));
    line("# CHAP (the portal computes the answer) or by MAC (remembered devices), and serve");
    line(&format!(
        "# the login pages from the {} directory (upload the generated .html files there).",
        quote(&s.html_directory)
    ));
    line(&format!(
        "/ip hotspot profile set [find name={profile}] use-radius=yes radius-accounting=yes \
         radius-interim-update={}s login-by={} mac-auth-mode=mac-as-username-and-password \
         html-directory={} nas-port-type=wireless-802.11",
        s.interim,
        value(&s.login_by),
        quote(&s.html_directory),
    ));
    line("");

    let portal = &s.portal_url.host;
    line("# Walled garden: guests reach the portal before they have logged in.");
    line(&format!(
        "/ip hotspot walled-garden remove [find comment={c}]"
    ));
    if !matches!(portal.ip(), Some(IpAddr::V6(_))) {
        line(&format!(
            "/ip hotspot walled-garden add dst-host={} action=allow comment={c}",
            quote(&portal.to_string())
        ));
    }
    line("# HTTPS cannot be matched by host name at the HTTP level: allow the portal's");
    line("# addresses too (a name is resolved by the router when the entry is added).");
    line(&format!(
        "/ip hotspot walled-garden ip remove [find comment={c}]"
    ));
    let mut ips: Vec<IpAddr> = Vec::new();
    match portal.ip() {
        Some(ip) => ips.push(ip),
        None => line(&format!(
            "/ip hotspot walled-garden ip add dst-host={} action=accept comment={c}",
            quote(&portal.to_string())
        )),
    }
    if !ips.contains(&s.radius_server) {
        ips.push(s.radius_server);
    }
    for ip in ips.into_iter().filter(IpAddr::is_ipv4) {
        line(&format!(
            "/ip hotspot walled-garden ip add dst-address={ip} action=accept comment={c}"
        ));
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quote_escapes_everything_special() {
        assert_eq!(quote("plain"), r#""plain""#);
        assert_eq!(quote(r#"a"b\c$d?e"#), r#""a\"b\\c\$d\?e""#);
        assert_eq!(quote("a\nb\rc\td"), r#""a\nb\rc\td""#);
        assert_eq!(quote("\u{1}\u{7f}"), r#""\01\7F""#);
        assert_eq!(quote("رمز"), r#""\D8\B1\D9\85\D8\B2""#);
        assert_eq!(quote("a b#c;d[e]"), r#""a b#c;d[e]""#);
    }

    #[test]
    fn value_is_bare_only_when_harmless() {
        assert_eq!(value("http-chap,mac"), "http-chap,mac");
        assert_eq!(value(""), r#""""#);
        assert_eq!(value("a b"), r#""a b""#);
        assert_eq!(value("x;/system reset"), r#""x;/system reset""#);
    }

    #[test]
    fn parse_line_reads_pairs_inside_brackets_and_quotes() {
        let p =
            parse_line(r#"/ip hotspot profile set [find name="a b"] x=1 y="q\"\_\48\49" # z=2"#);
        let want = [("name", "a b"), ("x", "1"), ("y", "q\" HI")];
        assert_eq!(
            p,
            want.map(|(k, v)| (k.to_string(), v.to_string())).to_vec()
        );
        assert!(parse_line("# only=comment").is_empty());
    }
}
