//! End-to-end: the `smartx` binary's commands and `serve`, on SQLite and PostgreSQL.

mod common;

use common::{BIN, Db};

#[test]
fn serve_creates_the_database_and_answers_health_checks() {
    for db in Db::both() {
        let server = db.serve(&[]);
        assert_eq!(
            server.http_get("/healthz"),
            (200, "ok\n".into()),
            "[{}]",
            db.label
        );
        assert_eq!(server.http_get("/readyz").0, 200, "[{}]", db.label);
        let (status, _) = server.http_get("/metrics");
        assert_eq!(status, 200);
        assert_eq!(server.http_get("/nope").0, 404);
        let status = server.stop();
        assert!(
            status.success(),
            "[{}] graceful shutdown: {status:?}",
            db.label
        );
        if db.label == "sqlite" {
            assert!(db.dir().join("data/smartx.db").exists());
        }
        // The default tenant and its groups exist after first start.
        let groups = db.ok(&["group", "list"]);
        for g in ["managers", "staff", "loyal", "guests*"] {
            assert!(groups.contains(g), "[{}] {groups}", db.label);
        }
        db.cleanup();
    }
}

#[test]
fn operator_commands_work_and_refuse_bad_input() {
    for db in Db::both() {
        let l = db.label;
        let out = db.ok(&["migrate"]);
        assert!(out.contains("schema"), "[{l}] {out}");
        assert!(
            db.ok(&["migrate"]).contains("up to date"),
            "[{l}] re-running migrate is a no-op"
        );

        db.ok(&[
            "nas",
            "add",
            "--name",
            "hq",
            "--address",
            "192.0.2.1",
            "--secret",
            "correct horse battery",
            "--require-message-authenticator",
        ]);
        let err = db.fails(&[
            "nas",
            "add",
            "--name",
            "hq2",
            "--address",
            "192.0.2.1/32",
            "--secret",
            "another secret x",
        ]);
        assert!(err.contains("already exists"), "[{l}] {err}");
        assert_eq!(err.trim().lines().count(), 1, "[{l}] one-line error: {err}");
        let list = db.ok(&["nas", "list"]);
        assert!(
            list.contains("192.0.2.1/32") && list.contains("yes"),
            "[{l}] {list}"
        );
        assert!(
            !list.contains("correct horse"),
            "[{l}] secret printed: {list}"
        );

        db.ok(&[
            "group",
            "add",
            "--name",
            "vip",
            "--rate-limit",
            "3M/6M",
            "--daily-data",
            "2G",
            "--hours",
            "sat-wed 08:00-23:00",
        ]);
        db.ok(&[
            "group",
            "set",
            "--name",
            "vip",
            "--daily-data",
            "none",
            "--session-timeout",
            "90m",
        ]);
        let groups = db.ok(&["group", "list"]);
        let vip = groups.lines().find(|r| r.starts_with("vip")).unwrap();
        assert!(
            vip.contains("3M/6M") && vip.contains("1h30m"),
            "[{l}] {vip}"
        );
        let err = db.fails(&["group", "add", "--name", "bad", "--rate-limit", "fast"]);
        assert!(err.contains("rate limit"), "[{l}] {err}");
        let err = db.fails(&["group", "set", "--name", "ghost", "--priority", "2"]);
        assert!(err.contains("not found"), "[{l}] {err}");

        db.ok(&[
            "customer",
            "add",
            "--phone",
            "۰۹۱۲ ۳۴۵ ۶۷۸۹",
            "--name",
            "Ali",
        ]);
        let err = db.fails(&["customer", "add", "--phone", "+989123456789"]);
        assert!(err.contains("already exists"), "[{l}] {err}");
        let err = db.fails(&["customer", "add", "--phone", "021-1234"]);
        assert!(err.contains("not an Iranian mobile"), "[{l}] {err}");
        let err = db.fails(&[
            "customer",
            "add",
            "--phone",
            "09121112222",
            "--group",
            "nope",
        ]);
        assert!(err.contains("group \"nope\" not found"), "[{l}] {err}");
        let shown = db.ok(&["customer", "show", "--phone", "00989123456789"]);
        assert!(
            shown.contains("+989123456789") && shown.contains("guests"),
            "[{l}] {shown}"
        );
        let listed = db.ok(&["customer", "list", "--search", "0912"]);
        assert_eq!(listed.lines().count(), 2, "[{l}] {listed}");
        // The failed adds wrote nothing.
        assert_eq!(db.ok(&["customer", "list"]).lines().count(), 2, "[{l}]");

        db.ok(&[
            "account",
            "add",
            "--username",
            "till-1",
            "--password",
            "pw-123",
            "--group",
            "staff",
        ]);
        let err = db.fails(&[
            "account",
            "add",
            "--username",
            "till-2",
            "--password",
            "x",
            "--group",
            "nobody",
        ]);
        assert!(err.contains("not found"), "[{l}] {err}");
        let accounts = db.ok(&["account", "list"]);
        assert!(
            accounts.contains("till-1") && !accounts.contains("pw-123"),
            "[{l}] {accounts}"
        );
        db.ok(&["account", "remove", "--username", "till-1"]);
        db.fails(&["account", "remove", "--username", "till-1"]);

        let err = db.fails(&["--tenant", "nobody", "group", "list"]);
        assert!(err.contains("tenant \"nobody\" not found"), "[{l}] {err}");
        db.cleanup();
    }
}

#[test]
fn bad_arguments_and_unreachable_database_are_one_line_errors() {
    let db = Db::sqlite();
    let out = db.run(&["nas", "add", "--name", "x"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");

    let out = std::process::Command::new(BIN)
        .args([
            "--database-url",
            "postgres://smartx:hunter2@127.0.0.1:1/none",
            "migrate",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.starts_with("error: cannot reach database postgres://smartx:***@127.0.0.1:1/none"),
        "{err}"
    );
    assert!(!err.contains("hunter2"), "{err}");

    let cfg = db.dir().join("bad.toml");
    std::fs::write(&cfg, "colour = 'blue'\n").unwrap();
    let err = db.fails(&["--config", cfg.to_str().unwrap(), "group", "list"]);
    assert!(err.contains("unknown field"), "{err}");
    db.cleanup();
}

#[test]
fn config_file_settings_apply_under_flags() {
    let db = Db::sqlite();
    let cfg = db.dir().join("smartx.toml");
    let data = db.dir().join("from-file");
    std::fs::write(
        &cfg,
        format!("data-dir = {:?}\n", data.display().to_string()),
    )
    .unwrap();
    let out = std::process::Command::new(BIN)
        .args(["--config", cfg.to_str().unwrap(), "migrate"])
        .current_dir(db.dir())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(data.join("smartx.db").exists());
    db.cleanup();
}

#[test]
fn tenants_are_created_listed_and_configured() {
    for db in Db::both() {
        let l = db.label;
        let out = db.ok(&["tenant", "add", "--name", "Cafe Nader"]);
        assert!(out.contains("club code"), "[{l}] {out}");
        let err = db.fails(&["tenant", "add", "--name", "Cafe Nader"]);
        assert!(err.contains("already exists"), "[{l}] {err}");
        let list = db.ok(&["tenant", "list"]);
        assert!(
            list.contains("default") && list.contains("Cafe Nader") && list.contains("Asia/Tehran"),
            "[{l}] {list}"
        );
        db.ok(&[
            "--tenant",
            "Cafe Nader",
            "tenant",
            "set",
            "--otp-length",
            "6",
            "--locale",
            "en",
            "--remember-days",
            "7",
            "--month-start",
            "jalali",
        ]);
        let list = db.ok(&["tenant", "list"]);
        let row = list.lines().find(|r| r.starts_with("Cafe Nader")).unwrap();
        assert!(
            row.contains(" en ") && row.contains(" 6 ") && row.ends_with("jalali"),
            "[{l}] {row}"
        );
        for bad in [
            ["--otp-length", "9"],
            ["--time-zone", "Mars/Base"],
            ["--locale", "de"],
            ["--remember-days", "-1"],
            ["--month-start", "lunar"],
        ] {
            let err = db.fails(&["tenant", "set", bad[0], bad[1]]);
            assert_eq!(err.trim().lines().count(), 1, "[{l}] {err}");
        }
        // Groups are per tenant.
        db.ok(&["--tenant", "Cafe Nader", "group", "add", "--name", "vip"]);
        assert!(!db.ok(&["group", "list"]).contains("vip"), "[{l}]");
        db.cleanup();
    }
}

/// `bench pos` and `bench members` with tiny counts, so they keep working: the POS
/// bench's own check of the books passes (retries wrote no second invoice, balances
/// equal their ledgers) and the member list answers every kind of query.
#[test]
fn club_benches_run_with_tiny_counts_and_check_the_books() {
    for db in Db::both() {
        let l = db.label;
        let out = db.ok(&[
            "bench",
            "pos",
            "--invoices",
            "40",
            "--concurrency",
            "4",
            "--members",
            "8",
            "--redeem-percent",
            "50",
            "--retry-percent",
            "25",
        ]);
        assert!(
            out.contains("40 invoices stored for 40 created"),
            "[{l}] {out}"
        );
        assert!(out.contains("check: OK"), "[{l}] {out}");
        assert!(out.contains("latency per request"), "[{l}] {out}");
        let out = db.ok(&[
            "bench",
            "members",
            "--count",
            "300",
            "--batch",
            "100",
            "--queries",
            "2",
        ]);
        for kind in [
            "first page",
            "deep page",
            "phone prefix",
            "tier gold",
            "opted out",
        ] {
            assert!(out.contains(kind), "[{l}] {kind}: {out}");
        }
        db.cleanup();
    }
}
