//! The script read back with a RouterOS command-line tokenizer (`parse_line`): values
//! with nasty characters survive escape → parse, and the pages post what the portal reads.

use std::collections::HashMap;

use proptest::prelude::*;
use router_config::{
    Error, PAGES, PORTAL_START_PATH, PortalUrl, RouterSetup, fields, html_escape, login_html,
    parse_line, quote, routeros_script, write_html_dir,
};

const NASTY: [&str; 10] = [
    "correct horse battery",
    "p\"a$s\\w?rd",
    "$(mac) $x \\$ \\\"",
    "#not-a-comment; /system reset [find] {x}",
    "tab\there\r\nnewline",
    "رمز عبور ۱۲۳",
    "\u{1}\u{1f}\u{7f}\u{0}",
    "ends with a backslash\\",
    "\\AB\\a\\n not escapes",
    " leading and trailing ",
];

fn setup(secret: &str) -> RouterSetup {
    RouterSetup::new(
        "hq",
        7,
        secret,
        "192.0.2.10".parse().unwrap(),
        PortalUrl::parse("https://wifi.example.com").unwrap(),
    )
}

/// The `key=value` pairs of the first script line that starts with `prefix`.
fn command(script: &str, prefix: &str) -> HashMap<String, String> {
    let line = script
        .lines()
        .find(|l| l.starts_with(prefix))
        .unwrap_or_else(|| panic!("no line starting with {prefix:?} in\n{script}"));
    parse_line(line).into_iter().collect()
}

fn commands(script: &str, prefix: &str) -> Vec<HashMap<String, String>> {
    script
        .lines()
        .filter(|l| l.starts_with(prefix))
        .map(|l| parse_line(l).into_iter().collect())
        .collect()
}

#[test]
fn secrets_survive_the_script() {
    for secret in NASTY {
        let script = routeros_script(&setup(secret));
        let radius = command(&script, "/radius add ");
        assert_eq!(radius["secret"], secret, "{script}");
        assert_eq!(radius["address"], "192.0.2.10");
        assert_eq!(radius["service"], "hotspot");
        assert_eq!(radius["require-message-auth"], "yes-for-request-resp");
        assert_eq!(radius["comment"], "smartx");
        assert!(!radius.contains_key("src-address"));
    }
}

#[test]
fn the_script_is_ascii_and_one_command_per_line() {
    for secret in NASTY {
        let mut s = setup(secret);
        s.nas_name = format!("name {secret}");
        s.hotspot_profile = format!("profile {secret}");
        let script = routeros_script(&s);
        assert!(script.is_ascii(), "{script}");
        for line in script.lines() {
            assert!(
                line.is_empty()
                    || line.starts_with('#')
                    || line.starts_with('/')
                    || line.starts_with(':'),
                "a value broke out of its line: {line:?}"
            );
            // Every `$` and `?` is escaped: nothing for the console to expand or answer.
            let unescaped = |c: u8| {
                line.as_bytes()
                    .windows(2)
                    .any(|w| w[1] == c && w[0] != b'\\')
            };
            assert!(!unescaped(b'$') && !unescaped(b'?'), "{line:?}");
        }
        let profile = command(&script, "/ip hotspot profile set ");
        assert_eq!(profile["name"], s.hotspot_profile);
    }
}

#[test]
fn the_script_sets_what_the_hotspot_needs() {
    let mut s = setup("x");
    s.src_address = Some("192.0.2.1".parse().unwrap());
    s.coa_port = 1700;
    s.interim = 60;
    s.html_directory = "flash/smartx".into();
    let script = routeros_script(&s);

    assert_eq!(command(&script, "/radius add ")["src-address"], "192.0.2.1");
    assert_eq!(command(&script, "/radius add ")["timeout"], "3s");
    let incoming = command(&script, "/radius incoming set ");
    assert_eq!(incoming["accept"], "yes");
    assert_eq!(incoming["port"], "1700");

    let p = command(&script, "/ip hotspot profile set ");
    for (k, v) in [
        ("name", "hsprof1"),
        ("use-radius", "yes"),
        ("radius-accounting", "yes"),
        ("radius-interim-update", "60s"),
        ("login-by", "http-chap,mac"),
        ("html-directory", "flash/smartx"),
        ("nas-port-type", "wireless-802.11"),
    ] {
        assert_eq!(p[k], v, "{k}");
    }

    // Idempotent: what it adds, it first removes by its comment.
    for menu in [
        "/radius",
        "/ip hotspot walled-garden",
        "/ip hotspot walled-garden ip",
    ] {
        let remove = command(&script, &format!("{menu} remove "));
        assert_eq!(remove["comment"], "smartx", "{menu}");
        let add_at = script.find(&format!("{menu} add ")).unwrap();
        assert!(script.find(&format!("{menu} remove ")).unwrap() < add_at);
    }

    let wg = command(&script, "/ip hotspot walled-garden add ");
    assert_eq!(wg["dst-host"], "wifi.example.com");
    assert_eq!(wg["action"], "allow");
    let wg_ip = commands(&script, "/ip hotspot walled-garden ip add ");
    assert_eq!(wg_ip.len(), 2, "{script}");
    assert_eq!(wg_ip[0]["dst-host"], "wifi.example.com");
    assert_eq!(wg_ip[1]["dst-address"], "192.0.2.10");
    assert!(wg_ip.iter().all(|e| e["action"] == "accept"));
}

#[test]
fn a_portal_on_the_radius_address_is_allowed_once() {
    let mut s = setup("x");
    s.portal_url = PortalUrl::parse("http://192.0.2.10:8080").unwrap();
    let script = routeros_script(&s);
    let wg_ip = commands(&script, "/ip hotspot walled-garden ip add ");
    assert_eq!(wg_ip.len(), 1, "{script}");
    assert_eq!(wg_ip[0]["dst-address"], "192.0.2.10");
    assert_eq!(
        command(&script, "/ip hotspot walled-garden add ")["dst-host"],
        "192.0.2.10"
    );

    s.portal_url = PortalUrl::parse("http://198.51.100.7").unwrap();
    let wg_ip = commands(&routeros_script(&s), "/ip hotspot walled-garden ip add ");
    let addrs: Vec<_> = wg_ip.iter().map(|e| e["dst-address"].as_str()).collect();
    assert_eq!(addrs, ["198.51.100.7", "192.0.2.10"]);
}

proptest! {
    #[test]
    fn any_string_round_trips_through_quote_and_parse(s in any::<String>()) {
        let line = format!("/radius add secret={} comment=x", quote(&s));
        prop_assert!(line.is_ascii());
        let pairs = parse_line(&line);
        prop_assert_eq!(pairs.len(), 2);
        prop_assert_eq!(&pairs[0].1, &s);
        prop_assert_eq!(&pairs[1].1, "x");
    }
}

#[test]
fn login_page_posts_every_field_to_the_portal() {
    let page = login_html(&setup("x"));
    assert!(page.contains(&format!(
        "<form id=\"smartx\" method=\"post\" action=\"https://wifi.example.com{PORTAL_START_PATH}\">"
    )));
    for name in fields::ROUTER {
        assert!(
            page.contains(&format!(
                "<input type=\"hidden\" name=\"{name}\" value=\"$({name})\">"
            )),
            "{name}"
        );
    }
    assert!(page.contains("<input type=\"hidden\" name=\"nas\" value=\"7\">"));
    // Without JavaScript, a visible button; with it, an immediate submit.
    assert!(page.contains("<button type=\"submit\">"));
    assert!(page.contains(".submit();</script>"));
    assert!(page.contains("در حال انتقال…") && page.contains("Redirecting…"));
    // Nothing fetched from elsewhere.
    for external in ["src=", "href=", "@import", "url("] {
        assert!(!page.contains(external), "{external}");
    }
}

#[test]
fn the_portal_url_is_html_escaped_in_the_form() {
    assert_eq!(
        html_escape(r#"a&b"c<d>e'f$(g)"#),
        "a&amp;b&quot;c&lt;d&gt;e&#39;f&#36;(g)"
    );
    let mut s = setup("x");
    s.portal_url = PortalUrl::parse("https://wifi.example.com/a&b/it's/$(mac)/").unwrap();
    let page = login_html(&s);
    assert!(
        page.contains(
            "action=\"https://wifi.example.com/a&amp;b/it&#39;s/&#36;(mac)/hotspot/start\""
        ),
        "{page}"
    );
    // The only `$(` left are the router's variables.
    let vars = page.matches("$(").count();
    assert_eq!(vars, fields::ROUTER.len());
}

#[test]
fn invalid_portal_urls_are_refused_clearly() {
    for (url, why) in [
        ("wifi.example.com", "must start with http:// or https://"),
        ("ftp://wifi.example.com", "is not http or https"),
        ("https://", "has no host"),
        ("https://:8080/x", "has no host"),
        ("https://wifi.example.com/?x=1", "without ?query"),
        ("https://a b", "contains ' '"),
    ] {
        let e = PortalUrl::parse(url).unwrap_err();
        assert!(matches!(e, Error::PortalUrl(_)));
        let msg = e.to_string();
        assert!(msg.starts_with("invalid portal URL"), "{msg}");
        assert!(msg.contains(why), "{url}: {msg}");
    }
}

#[test]
fn validate_refuses_what_quoting_cannot_fix() {
    assert_eq!(setup("x").validate(), Ok(()));
    type Break = fn(&mut RouterSetup);
    let cases: [(&str, Break); 6] = [
        ("empty RADIUS secret", |s| s.secret.clear()),
        ("html directory", |s| s.html_directory = "../etc".into()),
        ("html directory", |s| s.html_directory = "/smartx".into()),
        ("login-by", |s| s.login_by = "http-chap,magic".into()),
        ("interim", |s| s.interim = 0),
        ("same IP version", |s| {
            s.src_address = Some("2001:db8::1".parse().unwrap())
        }),
    ];
    for (why, break_it) in cases {
        let mut s = setup("x");
        break_it(&mut s);
        let msg = s.validate().unwrap_err().to_string();
        assert!(msg.contains(why), "{why}: {msg}");
    }
}

#[test]
fn the_secret_never_shows_in_debug_output() {
    let s = setup("hunter2");
    assert!(!format!("{s:?}").contains("hunter2"));
}

#[test]
fn write_html_dir_writes_every_page() {
    let dir = std::env::temp_dir().join(format!("router-config-test-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let s = setup("x");
    let written = write_html_dir(&s, &dir.join("smartx")).unwrap();
    assert_eq!(written.len(), PAGES.len());
    for (path, name) in written.iter().zip(PAGES) {
        assert_eq!(path.file_name().unwrap(), name);
        let text = std::fs::read_to_string(path).unwrap();
        assert!(text.starts_with("<!DOCTYPE html>"), "{name}");
    }
    assert_eq!(
        std::fs::read_to_string(dir.join("smartx/login.html")).unwrap(),
        login_html(&s)
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
