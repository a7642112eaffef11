//! End-to-end: `smartx serve` drains the SMS outbox through the console provider;
//! `smartx sms send|inbox|outbox` work against it; OTPs do not stay in the database.
//! Runs on SQLite and PostgreSQL.

mod common;

use std::time::{Duration, Instant};

use common::{Db, http_request};

#[test]
fn serve_sends_queued_sms_to_the_console_inbox_and_redacts_codes() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    for db in Db::both() {
        let l = db.label;
        let server = db.serve(&[]);
        let mut saw_console_line = false;

        // A text queued by another process is picked up by the poll (≤ ~1 s).
        let out = db.ok(&[
            "sms",
            "send",
            "--phone",
            "۰۹۱۲ ۱۱۱ ۲۲۳۳",
            "--text",
            "میز شما آماده است",
        ]);
        assert!(out.starts_with("queued SMS #"), "[{l}] {out}");
        assert!(out.contains("09121112233"), "[{l}] {out}");
        let inbox = db.wait_for_inbox("+989121112233", "میز شما آماده است");
        assert!(
            inbox.contains("میز شما آماده است"),
            "[{l}] never arrived: {inbox}"
        );
        assert!(inbox.contains("09121112233"), "[{l}] {inbox}");
        // The console provider's delivery channel is stdout, one line per message.
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline && !saw_console_line {
            if let Ok(line) = server.lines.recv_timeout(Duration::from_millis(200)) {
                saw_console_line |= line == "SMS to 09121112233: میز شما آماده است";
            }
        }
        assert!(saw_console_line, "[{l}] no `SMS to …` line on stdout");

        // An OTP (as the portal queues it) reaches the inbox, but not the outbox.
        let s = db.store(&rt);
        let tenant = rt.block_on(crm::tenants::ensure_default(&s)).unwrap();
        let phone = crm::phone::Phone::parse("09125550000").unwrap();
        let id = rt
            .block_on(crm::sms::send_otp(&s, &tenant, &phone, "73914"))
            .unwrap();
        let inbox = db.wait_for_inbox("09125550000", "73914");
        assert!(inbox.contains(": 73914"), "[{l}] {inbox}");
        let stored = rt.block_on(crm::sms::get(&s, id)).unwrap();
        assert_eq!(stored.status, crm::sms::Status::Delivered, "[{l}]");
        assert_eq!(stored.body, "***", "[{l}] the code left the database");
        assert_eq!(stored.params, None, "[{l}]");
        rt.block_on(s.close());

        let outbox = db.ok(&["sms", "outbox"]);
        assert!(!outbox.contains("73914"), "[{l}] {outbox}");
        assert!(outbox.contains("***"), "[{l}] {outbox}");
        assert!(outbox.contains("delivered"), "[{l}] {outbox}");
        assert!(outbox.contains("console"), "[{l}] {outbox}");
        let delivered = db.ok(&["sms", "outbox", "--status", "delivered", "--limit", "1"]);
        assert_eq!(
            delivered.lines().count(),
            2,
            "[{l}] header + 1 row: {delivered}"
        );
        let queued = db.ok(&["sms", "outbox", "--status", "queued"]);
        assert_eq!(
            queued.lines().count(),
            1,
            "[{l}] nothing left queued: {queued}"
        );

        // The delivery-report webhooks are mounted, and closed without a key.
        let r = http_request(
            server.http.as_deref().unwrap(),
            "POST",
            "/webhooks/sms/kavenegar/status?key=x",
            &[("Content-Type", "application/x-www-form-urlencoded")],
            "messageid=1&status=10",
        );
        assert_eq!(r.status, 401, "[{l}] {}", r.body);
        assert!(r.body.contains("no webhook key"), "[{l}] {}", r.body);

        assert!(server.stop().success(), "[{l}] graceful shutdown");
        db.cleanup();
    }
}

#[test]
fn sms_commands_and_settings_refuse_bad_input() {
    let db = Db::sqlite();
    let err = db.fails(&["sms", "send", "--phone", "021 8877 6655", "--text", "hi"]);
    assert!(err.contains("not an Iranian mobile number"), "{err}");
    let err = db.fails(&["sms", "send", "--phone", "09121112233", "--text", "  "]);
    assert!(err.contains("the SMS text is empty"), "{err}");
    let err = db.fails(&["sms", "outbox", "--status", "lost"]);
    assert!(err.contains("unknown SMS status"), "{err}");
    let err = db.fails(&["sms", "inbox", "--phone", "hello"]);
    assert!(err.contains("not a digit"), "{err}");

    // A provider that cannot work stops `serve` at once with the setting to fix.
    let serve = |extra: &[&str]| {
        let mut args = vec![
            "serve",
            "--http",
            "127.0.0.1:0",
            "--radius-auth",
            "127.0.0.1:0",
            "--radius-acct",
            "127.0.0.1:0",
        ];
        args.extend_from_slice(extra);
        db.fails(&args)
    };
    let err = serve(&["--sms-provider", "kavenegar"]);
    assert!(err.contains("SMARTX_SMS_API_KEY"), "{err}");
    let err = serve(&["--sms-provider", "pigeon"]);
    assert!(
        err.contains("expected console, kavenegar or smsir"),
        "{err}"
    );
    db.cleanup();
}
