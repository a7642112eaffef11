//! Snapshot tests: the generated script and pages, compared exactly with the files in
//! `tests/snapshots/`. After an intended change, rewrite them with
//!
//! ```sh
//! UPDATE_SNAPSHOTS=1 cargo test -p router-config --test snapshots
//! ```
//!
//! and review the diff before committing.

use std::path::PathBuf;

use router_config::{PAGES, PortalUrl, RouterSetup, page, routeros_script};

/// A typical router: portal by host name over HTTPS, defaults everywhere else.
fn typical() -> RouterSetup {
    RouterSetup::new(
        "hq",
        1,
        "correct horse battery",
        "192.0.2.10".parse().unwrap(),
        PortalUrl::parse("https://wifi.example.com").unwrap(),
    )
}

/// Everything that needs escaping, and every option changed.
fn nasty() -> RouterSetup {
    let mut s = RouterSetup::new(
        "shop \"north\" $(x)\n#2",
        42,
        "p\"a$s\\w?rd #1;[x] \t\r\nرمز عبور\u{1}",
        "192.0.2.10".parse().unwrap(),
        PortalUrl::parse("http://192.0.2.10:8080/wi&fi/it's$(mac)/").unwrap(),
    );
    s.hotspot_profile = "hs \"prof\" $1".into();
    s.html_directory = "flash/smartx".into();
    s.interim = 60;
    s.coa_port = 1700;
    s.src_address = Some("192.0.2.1".parse().unwrap());
    s
}

fn check(name: &str, actual: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/snapshots")
        .join(name);
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some_and(|v| v == "1") {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; run with UPDATE_SNAPSHOTS=1 to create it",
            path.display()
        )
    });
    if expected != actual {
        let line = expected
            .lines()
            .zip(actual.lines())
            .position(|(a, b)| a != b)
            .map_or_else(|| "length".to_string(), |i| format!("line {}", i + 1));
        panic!(
            "{name} differs from its snapshot (first at {line}); \
             if intended, rerun with UPDATE_SNAPSHOTS=1 and review the diff\n\
             --- expected\n{expected}\n--- actual\n{actual}"
        );
    }
}

#[test]
fn typical_script() {
    check("typical.rsc", &routeros_script(&typical()));
}

#[test]
fn nasty_script() {
    check("nasty.rsc", &routeros_script(&nasty()));
}

#[test]
fn typical_pages() {
    let s = typical();
    for name in PAGES {
        check(name, &page(name, &s).unwrap());
    }
}

#[test]
fn nasty_login_page() {
    check("nasty-login.html", &page("login.html", &nasty()).unwrap());
}
