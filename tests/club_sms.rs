//! End-to-end: the club by SMS through the real `smartx serve` — self-join with the
//! tenant's code (Kavenegar's receive callback), unknown codes, the balance keyword
//! (sms.ir's shape), STOP, and marketing sends skipping opted-out members. Replies are
//! read from the console provider's inbox. Runs on SQLite and PostgreSQL.

mod common;

use common::{Db, form_encode, http_request};
use crm::clock;
use crm::ledger::{self, Actor, Award, EntryKind};

#[test]
fn texting_the_club_code_joins_and_keywords_answer() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    for db in Db::both() {
        let l = db.label;
        let config = db.dir().join("smartx.toml");
        std::fs::write(&config, "sms-webhook-key = \"hook\"\n").unwrap();
        let server = db.serve(&["--config", config.to_str().unwrap()]);
        let http = server.http.clone().unwrap();
        let s = db.store(&rt);
        let tenant = rt.block_on(crm::tenants::ensure_default(&s)).unwrap();
        let form = [("Content-Type", "application/x-www-form-urlencoded")];
        let kavenegar = |pairs: &[(&str, &str)]| {
            http_request(
                &http,
                "POST",
                "/webhooks/sms/kavenegar/inbound?key=hook",
                &form,
                &form_encode(pairs),
            )
        };

        // The code (in Persian digits) joins the club; the welcome comes through the outbox.
        let persian_code: String = tenant
            .club_code
            .chars()
            .map(|c| char::from_u32('۰' as u32 + c.to_digit(10).unwrap()).unwrap())
            .collect();
        let join = [
            ("from", "09121112222"),
            ("to", "10004346"),
            ("message", persian_code.as_str()),
            ("messageid", "9001"),
        ];
        let r = kavenegar(&join);
        assert_eq!((r.status, r.body.trim()), (200, "join"), "[{l}]");
        let inbox = db.wait_for_inbox("09121112222", "خوش آمدید");
        assert!(inbox.contains("خوش آمدید"), "[{l}] {inbox}");
        let r = kavenegar(&join);
        assert_eq!(
            r.body.trim(),
            "duplicate",
            "[{l}] a retried callback does nothing twice"
        );
        let balance = db.ok(&["club", "balance", "09121112222"]);
        assert!(balance.contains("spendable: 0"), "[{l}] {balance}");
        let m = rt
            .block_on(crm::club::summary(
                &s,
                &tenant,
                &crm::phone::Phone::parse("09121112222").unwrap(),
                clock::now(),
            ))
            .unwrap();
        assert_eq!(m.source, "sms", "[{l}]");

        // An unknown code gets a polite reply.
        let r = kavenegar(&[
            ("from", "09125550000"),
            ("message", "00000"),
            ("messageid", "9002"),
        ]);
        assert_eq!(r.body.trim(), "unknown_code", "[{l}]");
        let inbox = db.wait_for_inbox("09125550000", "متعلق به هیچ باشگاهی نیست");
        assert!(inbox.contains("متعلق به هیچ باشگاهی نیست"), "[{l}] {inbox}");

        // Balance by sms.ir's callback shape: spendable, pending and the next expiry.
        let now = clock::now();
        for (amount, pending) in [(25_000, 0), (7_000, 86_400)] {
            let award = Award {
                kind: EntryKind::Manual,
                amount,
                reason: "welcome gift".into(),
                actor: Actor::Staff(1),
                invoice_id: None,
                spendable_at: now + pending,
                expires_at: now + 30 * 86_400,
            };
            rt.block_on(ledger::award(&s, &tenant, m.customer_id, &award, now))
                .unwrap();
        }
        let r = http_request(
            &http,
            "POST",
            "/webhooks/sms/smsir/inbound?key=hook",
            &[("Content-Type", "application/json")],
            r#"{"mobile": "989121112222", "messageText": "موجودی", "number": "30004505", "receivedDateTime": "2026-12-04T10:00:00"}"#,
        );
        assert_eq!((r.status, r.body.trim()), (200, "balance"), "[{l}]");
        let inbox = db.wait_for_inbox("09121112222", "اعتبار قابل استفاده");
        assert!(
            inbox.contains("اعتبار قابل استفاده ۲۵۰۰۰ ریال"),
            "[{l}] {inbox}"
        );
        assert!(inbox.contains("در انتظار ۷۰۰۰ ریال"), "[{l}] {inbox}");
        assert!(inbox.contains("منقضی می‌شود"), "[{l}] {inbox}");

        // Marketing reaches the member (paid from the wallet) until STOP; then it is skipped.
        // Priced, the empty wallet stops it (unpriced SMS would cost nothing).
        db.ok(&["club", "wallet", "--price", "100"]);
        let out = db.ok(&[
            "sms",
            "send",
            "--marketing",
            "--phone",
            "09121112222",
            "--text",
            "تخفیف",
        ]);
        assert!(out.contains("wallet is empty"), "[{l}] {out}");
        db.ok(&["club", "wallet", "--top-up", "1000", "--reason", "test"]);
        let out = db.ok(&[
            "sms",
            "send",
            "--marketing",
            "--phone",
            "09121112222",
            "--text",
            "تخفیف",
        ]);
        assert!(out.starts_with("queued"), "[{l}] {out}");
        let wallet = db.ok(&["club", "wallet"]);
        assert!(
            wallet.contains("balance: 900"),
            "[{l}] debited once: {wallet}"
        );
        let out = db.ok(&[
            "sms",
            "send",
            "--marketing",
            "--phone",
            "09127770000",
            "--text",
            "تخفیف",
        ]);
        assert!(
            out.contains("not a club member"),
            "[{l}] not a member: {out}"
        );
        let r = http_get_stop(&http);
        assert_eq!((r.status, r.body.trim()), (200, "opt_out"), "[{l}]");
        let out = db.ok(&[
            "sms",
            "send",
            "--marketing",
            "--phone",
            "09121112222",
            "--text",
            "تخفیف",
        ]);
        assert!(out.contains("opted out"), "[{l}] opted out: {out}");
        assert!(
            db.ok(&["club", "balance", "09121112222"])
                .contains("opted out"),
            "[{l}]"
        );

        // A club with its own line: keywords sent there concern that club only.
        let out = db.ok(&["tenant", "add", "--name", "Cafe2"]);
        let code2 = out
            .rsplit("club code ")
            .next()
            .unwrap()
            .trim_end_matches([')', '\n'])
            .to_string();
        db.ok(&["--tenant", "Cafe2", "club", "line", "3000 1234"]);
        let e = db.fails(&["club", "line", "30001234"]);
        assert!(e.contains("already belongs"), "[{l}] {e}");
        let r = kavenegar(&[
            ("from", "09121112222"),
            ("to", "30001234"),
            ("message", &code2),
            ("messageid", "9101"),
        ]);
        assert_eq!(r.body.trim(), "join", "[{l}]");
        let r = kavenegar(&[
            ("from", "09121112222"),
            ("to", "30001234"),
            ("message", "1"),
            ("messageid", "9102"),
        ]);
        assert_eq!(r.body.trim(), "balance", "[{l}]");
        let inbox = db.wait_for_inbox("09121112222", "Cafe2: اعتبار");
        assert_eq!(inbox.matches("Cafe2: اعتبار").count(), 1, "[{l}] {inbox}");
        assert_eq!(
            inbox.matches("default: اعتبار").count(),
            1,
            "[{l}] only the earlier shared-line reply: {inbox}"
        );

        // Wrong key: refused.
        let r = http_request(
            &http,
            "POST",
            "/webhooks/sms/kavenegar/inbound?key=nope",
            &form,
            "from=09121112222",
        );
        assert_eq!(r.status, 401, "[{l}]");
        rt.block_on(s.close());
        server.stop();
        db.cleanup();
    }
}

/// Kavenegar may call with the fields in the query string of a GET.
fn http_get_stop(http: &str) -> common::HttpResponse {
    http_request(
        http,
        "GET",
        "/webhooks/sms/kavenegar/inbound?key=hook&from=%2B989121112222&to=10004346&message=STOP&messageid=9003",
        &[],
        "",
    )
}
