//! End-to-end RADIUS: the real `smartx serve` answering FreeRADIUS' `radclient` and a
//! raw client, on SQLite and on PostgreSQL.

mod common;

use common::Db;
use common::radius::{
    SECRET, customer_token, decode, exchange, metric, pap_request, radclient, socket,
};
use radiusd::packet::dictionary::{self as attr, mikrotik};
use radiusd::packet::{Code, MessageAuthenticator, message_authenticator, verify_response};

/// A database with one router (127.0.0.1, requiring Message-Authenticator), a staff
/// account and a guest customer, and the server running on it.
fn provisioned(db: &Db, require_ma: bool) -> common::Server {
    common::radius::provision(db, require_ma);
    db.ok(&["customer", "add", "--phone", "09121234567"]);
    db.serve(&[])
}

#[test]
fn pap_and_chap_accept_with_mikrotik_attributes_and_reject_with_a_message() {
    for db in Db::both() {
        let l = db.label;
        let server = provisioned(&db, true);
        let auth = server.radius_auth.clone().unwrap();

        let pap = radclient(
            &auth,
            "auth",
            "User-Name=staff1,User-Password=pw-staff-1,Calling-Station-Id=AA:BB:CC:00:00:01,Message-Authenticator=0x00",
        );
        assert!(pap.received("Access-Accept"), "[{l}] {}", pap.stdout);
        assert_eq!(
            pap.attr("Mikrotik-Rate-Limit").as_deref(),
            Some("5M/10M 0/0 0/0 0/0 3"),
            "[{l}]"
        );
        assert_eq!(pap.attr("Session-Timeout").as_deref(), Some("43200"));
        assert_eq!(pap.attr("Idle-Timeout").as_deref(), Some("1800"));
        assert_eq!(pap.attr("Acct-Interim-Interval").as_deref(), Some("300"));
        assert_eq!(pap.attr("Mikrotik-Address-List").as_deref(), Some("staff"));
        assert!(
            pap.attr("Message-Authenticator").is_some(),
            "[{l}] replies are signed"
        );
        assert!(pap.attr("Class").is_some());

        let chap = radclient(
            &auth,
            "auth",
            "User-Name=staff1,CHAP-Password=pw-staff-1,Message-Authenticator=0x00",
        );
        assert!(chap.received("Access-Accept"), "[{l}] {}", chap.stdout);

        let bad = radclient(
            &auth,
            "auth",
            "User-Name=staff1,User-Password=wrong,Message-Authenticator=0x00",
        );
        assert!(bad.received("Access-Reject"), "[{l}] {}", bad.stdout);
        assert_eq!(
            bad.attr("Reply-Message").as_deref(),
            Some("نام کاربری یا رمز درست نیست")
        );
        let unknown = radclient(
            &auth,
            "auth",
            "User-Name=nobody,User-Password=x,Message-Authenticator=0x00",
        );
        assert!(unknown.received("Access-Reject"), "[{l}]");

        // Our own client checks the exact bytes: Message-Authenticator first and valid.
        let s = socket("127.0.0.1:0");
        let (request, request_auth) = pap_request(7, "staff1", "pw-staff-1", "AA:BB:CC:00:00:02");
        let reply = exchange(&s, &auth, &request).expect("reply");
        let p = decode(&reply);
        assert_eq!(p.code(), Code::AccessAccept);
        assert_eq!(
            p.attributes().next().map(|(t, _)| t),
            Some(attr::MESSAGE_AUTHENTICATOR)
        );
        assert_eq!(
            message_authenticator(&p, SECRET.as_bytes(), Some(&request_auth)),
            MessageAuthenticator::Valid
        );
        assert!(verify_response(&p, &request_auth, SECRET.as_bytes()));
        assert_eq!(
            p.vendor_string(mikrotik::VENDOR_ID, mikrotik::RATE_LIMIT),
            Some("5M/10M 0/0 0/0 0/0 3")
        );
        server.stop();
        db.cleanup();
    }
}

#[test]
fn bad_unsigned_unknown_and_repeated_requests() {
    for db in Db::both() {
        let l = db.label;
        let server = provisioned(&db, true);
        let auth = server.radius_auth.clone().unwrap();

        // The NAS requires Message-Authenticator: a request without one is dropped.
        let unsigned = radclient(&auth, "auth", "User-Name=staff1,User-Password=pw-staff-1");
        assert!(
            !unsigned.success && !unsigned.stdout.contains("Received"),
            "[{l}] {}",
            unsigned.stdout
        );

        // A wrong Message-Authenticator is dropped.
        let s = socket("127.0.0.1:0");
        let (mut request, _) = pap_request(9, "staff1", "pw-staff-1", "AA:BB:CC:00:00:03");
        let ma_value = 20 + 2; // first attribute, after its type and length
        request[ma_value] ^= 0xff;
        assert!(
            exchange(&s, &auth, &request).is_none(),
            "[{l}] bad Message-Authenticator answered"
        );

        // A router we do not know (another source address) is ignored.
        let stranger = socket("127.0.0.2:0");
        let (request, _) = pap_request(10, "staff1", "pw-staff-1", "AA:BB:CC:00:00:04");
        assert!(
            exchange(&stranger, &auth, &request).is_none(),
            "[{l}] unknown NAS answered"
        );

        // Garbage is dropped.
        assert!(exchange(&s, &auth, b"\x01\x02\x00\x05garbage").is_none());

        // A retransmission gets the very same reply, and is processed once.
        let (request, _) = pap_request(11, "staff1", "pw-staff-1", "AA:BB:CC:00:00:05");
        let first = exchange(&s, &auth, &request).expect("reply");
        let again = exchange(&s, &auth, &request).expect("reply to the retransmission");
        assert_eq!(first, again, "[{l}]");

        let (_, text) = server.http_get("/metrics");
        assert_eq!(
            metric(
                &text,
                "radius_dropped_total",
                &["missing_message_authenticator"]
            ),
            1.0,
            "[{l}] {text}"
        );
        assert_eq!(
            metric(
                &text,
                "radius_dropped_total",
                &["bad_message_authenticator"]
            ),
            1.0,
            "[{l}]"
        );
        assert_eq!(
            metric(&text, "radius_dropped_total", &["unknown_nas"]),
            1.0,
            "[{l}]"
        );
        assert_eq!(
            metric(&text, "radius_dropped_total", &["too_short"]),
            1.0,
            "[{l}] {text}"
        );
        assert_eq!(
            metric(&text, "radius_duplicates_total", &["auth", "resent"]),
            1.0,
            "[{l}]"
        );
        assert_eq!(
            metric(&text, "radius_requests_total", &["auth", "accept"]),
            1.0,
            "[{l}]"
        );
        server.stop();
        db.cleanup();
    }
}

#[test]
fn single_use_tokens_and_remembered_devices() {
    for db in Db::both() {
        let l = db.label;
        let server = provisioned(&db, false);
        let auth = server.radius_auth.clone().unwrap();
        let out = db.ok(&[
            "customer",
            "token",
            "--phone",
            "09121234567",
            "--mac",
            "AA:BB:CC:00:00:10",
        ]);
        let field = |name: &str| {
            out.lines()
                .find_map(|line| line.strip_prefix(name))
                .map(|v| v.trim().to_string())
                .unwrap()
        };
        let (user, pass) = (field("username:"), field("password:"));

        let wrong_device = radclient(
            &auth,
            "auth",
            &format!("User-Name={user},CHAP-Password={pass},Calling-Station-Id=AA:BB:CC:00:00:99"),
        );
        assert!(
            wrong_device.received("Access-Reject"),
            "[{l}] {}",
            wrong_device.stdout
        );
        let first = radclient(
            &auth,
            "auth",
            &format!("User-Name={user},CHAP-Password={pass},Calling-Station-Id=AA:BB:CC:00:00:10"),
        );
        assert!(first.received("Access-Accept"), "[{l}] {}", first.stdout);
        assert_eq!(
            first.attr("Mikrotik-Rate-Limit").as_deref(),
            Some("1M/2M 2M/4M 768k/1536k 8/8 8")
        );
        assert_eq!(first.attr("Session-Timeout").as_deref(), Some("3600"));
        let second = radclient(
            &auth,
            "auth",
            &format!("User-Name={user},CHAP-Password={pass},Calling-Station-Id=AA:BB:CC:00:00:10"),
        );
        assert!(
            second.received("Access-Reject"),
            "[{l}] token reused: {}",
            second.stdout
        );
        assert!(
            second.attr("Reply-Message").unwrap().contains("قبلاً"),
            "[{l}]"
        );

        // MAC login: refused until the device is remembered, then accepted — only from that MAC.
        let mac_login =
            "User-Name=AA:BB:CC:00:00:20,Calling-Station-Id=AA:BB:CC:00:00:20,User-Password=\"\"";
        let refused = radclient(&auth, "auth", mac_login);
        assert!(
            refused.received("Access-Reject"),
            "[{l}] {}",
            refused.stdout
        );
        db.ok(&[
            "customer",
            "remember",
            "--phone",
            "09121234567",
            "--mac",
            "aa-bb-cc-00-00-20",
        ]);
        // Caches notice the change within their poll interval.
        let mut last = String::new();
        for _ in 0..30 {
            let r = radclient(&auth, "auth", mac_login);
            if r.received("Access-Accept") {
                last.clear();
                break;
            }
            last = r.stdout;
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
        assert!(
            last.is_empty(),
            "[{l}] remembered device not let in: {last}"
        );
        let spoofed =
            "User-Name=AA:BB:CC:00:00:20,Calling-Station-Id=AA:BB:CC:00:00:21,User-Password=\"\"";
        assert!(
            radclient(&auth, "auth", spoofed).received("Access-Reject"),
            "[{l}]"
        );
        server.stop();
        db.cleanup();
    }
}

fn acct(server: &str, attrs: &str) {
    let r = radclient(server, "acct", attrs);
    assert!(r.received("Accounting-Response"), "{}", r.stdout);
}

#[test]
fn accounting_updates_usage_and_accounting_on_closes_sessions() {
    for db in Db::both() {
        let l = db.label;
        let server = provisioned(&db, true);
        let acct_addr = server.radius_acct.clone().unwrap();
        let auth = server.radius_auth.clone().unwrap();
        let accept = radclient(
            &auth,
            "auth",
            "User-Name=staff1,User-Password=pw-staff-1,Message-Authenticator=0x00",
        );
        let class = accept.attr("Class").expect("Class in Access-Accept");
        let base = format!(
            "User-Name=staff1,Acct-Session-Id=80000001,Calling-Station-Id=AA:BB:CC:00:00:01,Framed-IP-Address=10.5.50.9,Class={class}"
        );
        acct(&acct_addr, &format!("Acct-Status-Type=Start,{base}"));
        acct(
            &acct_addr,
            &format!(
                "Acct-Status-Type=Interim-Update,Acct-Session-Time=60,Acct-Input-Octets=1000,Acct-Output-Octets=4000,Acct-Output-Gigawords=1,{base}"
            ),
        );
        // A retransmitted interim (same bytes) and a re-sent one (new authenticator) add nothing.
        acct(
            &acct_addr,
            &format!(
                "Acct-Status-Type=Interim-Update,Acct-Session-Time=60,Acct-Input-Octets=1000,Acct-Output-Octets=4000,Acct-Output-Gigawords=1,Acct-Delay-Time=2,{base}"
            ),
        );
        acct(
            &acct_addr,
            &format!(
                "Acct-Status-Type=Stop,Acct-Session-Time=90,Acct-Input-Octets=1500,Acct-Output-Octets=5000,Acct-Output-Gigawords=1,Acct-Terminate-Cause=User-Request,{base}"
            ),
        );
        // No Class, Start lost: the Stop is still stored and counted for the account.
        acct(
            &acct_addr,
            "Acct-Status-Type=Stop,User-Name=staff1,Acct-Session-Id=80000002,Acct-Session-Time=30,Acct-Input-Octets=100,Acct-Output-Octets=200",
        );
        // Two sessions left open, then the router reboots.
        acct(
            &acct_addr,
            "Acct-Status-Type=Start,User-Name=staff1,Acct-Session-Id=80000003",
        );
        acct(
            &acct_addr,
            "Acct-Status-Type=Start,User-Name=staff1,Acct-Session-Id=80000004",
        );
        let open = db.ok(&["sessions", "list", "--online"]);
        assert_eq!(
            open.lines().count(),
            3,
            "[{l}] two open sessions + header: {open}"
        );
        acct(
            &acct_addr,
            "Acct-Status-Type=Accounting-On,NAS-Identifier=hq",
        );
        let open = db.ok(&["sessions", "list", "--online"]);
        assert_eq!(
            open.lines().count(),
            1,
            "[{l}] Accounting-On closes them: {open}"
        );

        let all = db.ok(&["sessions", "list"]);
        let first = all
            .lines()
            .find(|r| r.contains("80000001"))
            .expect("session stored");
        assert!(
            first.contains("User-Request") && first.contains("1m30s"),
            "[{l}] {first}"
        );
        let usage = db.ok(&["account", "usage", "--username", "staff1"]);
        // 90 s + 30 s; (1500 + 5000 + 2^32) + (100 + 200) octets.
        let expected_octets = (1500u64 + 5000 + (1 << 32)) + 300;
        assert!(usage.contains("today: 120 s"), "[{l}] {usage}");
        assert!(
            usage.contains(&format!("{expected_octets} octets")),
            "[{l}] {usage}"
        );
        server.stop();
        db.cleanup();
    }
}

#[test]
fn status_server_and_simultaneous_device_limit() {
    for db in Db::both() {
        let l = db.label;
        let server = provisioned(&db, false);
        let auth = server.radius_auth.clone().unwrap();
        let acct_addr = server.radius_acct.clone().unwrap();
        for addr in [&auth, &acct_addr] {
            let status = radclient(addr, "status", "Message-Authenticator=0x00");
            assert!(
                status.stdout.contains("Received"),
                "[{l}] {}",
                status.stdout
            );
        }

        // Guests may have one device online: a second login is refused while the first
        // session is open, and allowed again after its Stop.
        let login = |mac: &str| {
            let (user, pass) = customer_token(&db, "09121234567");
            radclient(
                &auth,
                "auth",
                &format!("User-Name={user},User-Password={pass},Calling-Station-Id={mac}"),
            )
        };
        let first = login("AA:BB:CC:00:01:01");
        assert!(first.received("Access-Accept"), "[{l}] {}", first.stdout);
        let class = first.attr("Class").unwrap();
        acct(
            &acct_addr,
            &format!("Acct-Status-Type=Start,User-Name=x,Acct-Session-Id=s1,Class={class}"),
        );
        let second = login("AA:BB:CC:00:01:02");
        assert!(second.received("Access-Reject"), "[{l}] {}", second.stdout);
        assert_eq!(
            second.attr("Reply-Message").as_deref(),
            Some("تعداد دستگاه‌های همزمان شما کامل است")
        );
        acct(
            &acct_addr,
            &format!(
                "Acct-Status-Type=Stop,User-Name=x,Acct-Session-Id=s1,Acct-Session-Time=5,Class={class}"
            ),
        );
        let third = login("AA:BB:CC:00:01:02");
        assert!(third.received("Access-Accept"), "[{l}] {}", third.stdout);

        // A Stop that never comes: the router last reported the session 1000 s ago (more
        // than three 5-minute interims), so it is closed as stale and the guest is let in.
        acct(
            &acct_addr,
            &format!(
                "Acct-Status-Type=Start,User-Name=x,Acct-Session-Id=s2,Acct-Delay-Time=1000,Class={class}"
            ),
        );
        let locked = login("AA:BB:CC:00:01:03");
        assert!(locked.received("Access-Reject"), "[{l}] {}", locked.stdout);
        let closed = db.ok(&["sessions", "close-stale"]);
        assert!(closed.contains("closed 1 stale"), "[{l}] {closed}");
        // RADIUS notices within its one-second change poll.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            let again = login("AA:BB:CC:00:01:03");
            if again.received("Access-Accept") {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "[{l}] still locked out: {}",
                again.stdout
            );
            std::thread::sleep(std::time::Duration::from_millis(300));
        }
        server.stop();
        db.cleanup();
    }
}

#[test]
fn vouchers_log_in_and_start_their_validity_on_first_use() {
    for db in Db::both() {
        let l = db.label;
        let server = provisioned(&db, false);
        let auth = server.radius_auth.clone().unwrap();
        let csv = db.dir().join("cards.csv");
        db.ok(&[
            "voucher",
            "create",
            "--group",
            "guests",
            "--count",
            "3",
            "--valid-for",
            "30m",
            "--csv",
            csv.to_str().unwrap(),
        ]);
        let text = std::fs::read_to_string(&csv).unwrap();
        let first = text.lines().nth(1).unwrap();
        let mut fields = first.split(',');
        let (user, pass) = (fields.next().unwrap(), fields.next().unwrap());
        let accept = radclient(
            &auth,
            "auth",
            &format!("User-Name={user},CHAP-Password={pass}"),
        );
        assert!(accept.received("Access-Accept"), "[{l}] {}", accept.stdout);
        // Guests' one-hour sessions are cut to the voucher's 30 minutes.
        assert_eq!(
            accept.attr("Session-Timeout").as_deref(),
            Some("1800"),
            "[{l}]"
        );
        let batch = db.ok(&["voucher", "list", "--batch", "1"]);
        let row = batch.lines().find(|r| r.starts_with(user)).unwrap();
        assert!(
            !row.contains(" - "),
            "[{l}] first use and expiry recorded: {row}"
        );
        let batches = db.ok(&["voucher", "list"]);
        assert!(
            batches.lines().nth(1).unwrap().contains(" 3 ") && batches.contains(" 1 "),
            "[{l}] {batches}"
        );
        // A second login of the same voucher: the validity now counts down from the first.
        let again = radclient(
            &auth,
            "auth",
            &format!("User-Name={user},User-Password={pass}"),
        );
        assert!(again.received("Access-Accept"), "[{l}] {}", again.stdout);
        let timeout: u32 = again.attr("Session-Timeout").unwrap().parse().unwrap();
        assert!((1700..=1800).contains(&timeout), "[{l}] {timeout}");
        server.stop();
        db.cleanup();
    }
}
