//! End-to-end: `smartx router-config` reads a stored NAS and prints the RouterOS script,
//! writes the hotspot pages, and refuses bad input with one clear line. SQLite only: the
//! command only reads one NAS.

mod common;

use std::collections::HashMap;

use common::Db;

const SECRET: &str = "p\"a$s\\w?rd رمز";

fn command(script: &str, prefix: &str) -> HashMap<String, String> {
    let line = script
        .lines()
        .find(|l| l.starts_with(prefix))
        .unwrap_or_else(|| panic!("no {prefix:?} in\n{script}"));
    router_config::parse_line(line).into_iter().collect()
}

#[test]
fn router_config_prints_the_script_and_writes_the_pages() {
    let db = Db::sqlite();
    db.ok(&[
        "nas",
        "add",
        "--name",
        "shop 1",
        "--address",
        "192.0.2.1",
        "--secret",
        SECRET,
        "--coa-port",
        "1700",
    ]);

    let out = db.run(&[
        "router-config",
        "--nas",
        "shop 1",
        "--portal-url",
        "http://192.0.2.10:8080/",
        "--src-address",
        "192.0.2.1",
        "--out",
        "pages",
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let script = String::from_utf8(out.stdout).unwrap();

    // The secret, escaped for RouterOS, and read back intact.
    assert!(
        script.contains(r#"secret="p\"a\$s\\w\?rd \D8\B1\D9\85\D8\B2""#),
        "{script}"
    );
    let radius = command(&script, "/radius add ");
    assert_eq!(radius["secret"], SECRET);
    assert_eq!(
        radius["address"], "192.0.2.10",
        "defaults to the portal's IP"
    );
    assert_eq!(radius["src-address"], "192.0.2.1");
    assert_eq!(command(&script, "/radius incoming set ")["port"], "1700");
    let profile = command(&script, "/ip hotspot profile set ");
    assert_eq!(profile["name"], "hsprof1");
    assert_eq!(profile["html-directory"], "smartx");
    assert!(script.is_ascii());
    // stdout is only the script: every line a comment, a command or blank.
    assert!(
        script
            .lines()
            .all(|l| l.is_empty() || l.starts_with(['#', '/', ':'])),
        "{script}"
    );

    // The pages, with the NAS id baked in.
    let dir = db.dir().join("pages");
    for name in router_config::PAGES {
        assert!(dir.join(name).is_file(), "{name} missing");
        assert!(stderr.contains(name), "{stderr}");
    }
    assert!(stderr.contains("/tool fetch"), "{stderr}");
    assert!(
        stderr.contains("dst-path=\"smartx/login.html\""),
        "{stderr}"
    );
    let login = std::fs::read_to_string(dir.join("login.html")).unwrap();
    assert!(
        login.contains("action=\"http://192.0.2.10:8080/hotspot/start\""),
        "{login}"
    );
    let nas_id = login
        .split("name=\"nas\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("nas field");
    assert!(nas_id.parse::<i64>().is_ok_and(|id| id > 0), "{nas_id}");
    db.cleanup();
}

#[test]
fn router_config_refuses_bad_input_clearly() {
    let db = Db::sqlite();
    db.ok(&[
        "nas",
        "add",
        "--name",
        "hq",
        "--address",
        "192.0.2.1",
        "--secret",
        "s3cret",
    ]);
    let one_line = |args: &[&str], want: &str| {
        let err = db.fails(args);
        assert!(err.contains(want), "{args:?}: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    };
    let base = ["router-config", "--nas", "hq", "--portal-url"];
    one_line(
        &[&base[..], &["https://wifi.example.com"]].concat(),
        "--radius-server is required",
    );
    one_line(
        &[&base[..], &["wifi.example.com"]].concat(),
        "invalid portal URL",
    );
    one_line(
        &[&base[..], &["ftp://192.0.2.10"]].concat(),
        "is not http or https",
    );
    one_line(
        &[
            "router-config",
            "--nas",
            "nope",
            "--portal-url",
            "http://192.0.2.10",
        ],
        "NAS \"nope\" not found",
    );
    one_line(
        &[&base[..], &["http://192.0.2.10", "--html-dir", "../x"]].concat(),
        "html directory",
    );

    // A host name works when the RADIUS address is given.
    let script = db.ok(&[
        &base[..],
        &[
            "https://wifi.example.com",
            "--radius-server",
            "198.51.100.5",
        ],
    ]
    .concat());
    assert_eq!(command(&script, "/radius add ")["address"], "198.51.100.5");
    assert_eq!(
        command(&script, "/ip hotspot walled-garden add ")["dst-host"],
        "wifi.example.com"
    );
    db.cleanup();
}
