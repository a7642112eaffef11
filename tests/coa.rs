//! End to end: `smartx sessions disconnect` sends a signed Disconnect-Request to the
//! session's router (a fake `/radius incoming` here) and reports ACK, NAK or silence —
//! on SQLite and PostgreSQL.

mod common;

use std::net::UdpSocket;
use std::sync::mpsc;
use std::time::Duration;

use common::Db;
use common::radius::{SECRET, add_router, customer_token, radclient};
use radiusd::packet::dictionary::{self as attr, mikrotik};
use radiusd::packet::{
    Code, MessageAuthenticator, Packet, PacketBuilder, message_authenticator,
    verify_request_authenticator,
};

/// A router's incoming port answering every request with `reply` (or nothing), and
/// reporting each valid request's User-Name and Acct-Session-Id.
fn fake_router(reply: Option<Code>) -> (u16, mpsc::Receiver<(String, String, Option<String>)>) {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    socket
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let port = socket.local_addr().unwrap().port();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok((len, from)) = socket.recv_from(&mut buf) {
            let Ok(req) = Packet::decode(&buf[..len]) else {
                continue;
            };
            let signed = matches!(req.code(), Code::DisconnectRequest | Code::CoaRequest)
                && verify_request_authenticator(&req, SECRET.as_bytes())
                && message_authenticator(&req, SECRET.as_bytes(), None)
                    == MessageAuthenticator::Valid;
            if !signed {
                continue;
            }
            let named = (
                req.string(attr::USER_NAME).unwrap_or_default().to_string(),
                req.string(attr::ACCT_SESSION_ID)
                    .unwrap_or_default()
                    .to_string(),
                req.vendor_string(mikrotik::VENDOR_ID, mikrotik::RATE_LIMIT)
                    .map(str::to_string),
            );
            if tx.send(named).is_err() {
                return;
            }
            if let Some(code) = reply {
                // The same answer for CoA as for Disconnect (CoA codes are three higher).
                let code = match (req.code(), code) {
                    (Code::CoaRequest, Code::DisconnectAck) => Code::CoaAck,
                    (Code::CoaRequest, Code::DisconnectNak) => Code::CoaNak,
                    (_, code) => code,
                };
                let mut b = PacketBuilder::reply(&req, code).with_message_authenticator();
                if matches!(code, Code::DisconnectNak | Code::CoaNak) {
                    b.add_u32(attr::ERROR_CAUSE, 503).unwrap();
                }
                let _ = socket.send_to(&b.finish_reply(&req, SECRET.as_bytes()), from);
            }
        }
    });
    (port, rx)
}

#[test]
fn operators_disconnect_sessions_and_see_the_routers_answer() {
    for db in Db::both() {
        let l = db.label;
        let mut outcomes = Vec::new();
        for (i, reply) in [Some(Code::DisconnectAck), Some(Code::DisconnectNak), None]
            .into_iter()
            .enumerate()
        {
            let (port, requests) = fake_router(reply);
            if i == 0 {
                add_router(&db, &["--coa-port", &port.to_string()]);
                db.ok(&[
                    "account",
                    "add",
                    "--username",
                    "staff1",
                    "--password",
                    "pw-staff-1",
                    "--group",
                    "staff",
                ]);
            } else {
                // Point the router's incoming port at this fake.
                db.ok(&["nas", "remove", "--name", "hq"]);
                add_router(&db, &["--coa-port", &port.to_string()]);
            }
            let server = db.serve(&["--role", "radius"]);
            let acct = server.radius_acct.clone().unwrap();
            let session = format!("8100000{i}");
            let r = radclient(
                &acct,
                "acct",
                &format!(
                    "Acct-Status-Type=Start,User-Name=staff1,Acct-Session-Id={session},Framed-IP-Address=10.5.50.7"
                ),
            );
            assert!(r.received("Accounting-Response"), "[{l}] {}", r.stdout);
            let list = db.ok(&["sessions", "list", "--online"]);
            let id = list
                .lines()
                .find(|row| row.contains(&session))
                .and_then(|row| row.split_whitespace().next())
                .unwrap_or_else(|| panic!("[{l}] session not listed: {list}"))
                .to_string();
            let out = db.run(&["sessions", "disconnect", "--id", &id]);
            let text = format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            let (user, sid, _) = requests
                .recv_timeout(Duration::from_secs(5))
                .expect("the router got a request");
            assert_eq!(
                (user.as_str(), sid.as_str()),
                ("staff1", session.as_str()),
                "[{l}]"
            );
            outcomes.push((out.status.success(), text));
            server.stop();
        }
        assert!(
            outcomes[0].0 && outcomes[0].1.contains("the router ended it"),
            "[{l}] {:?}",
            outcomes[0]
        );
        assert!(
            !outcomes[1].0 && outcomes[1].1.contains("refused (Error-Cause 503)"),
            "[{l}] {:?}",
            outcomes[1]
        );
        assert!(
            !outcomes[2].0 && outcomes[2].1.contains("did not answer"),
            "[{l}] {:?}",
            outcomes[2]
        );
        db.cleanup();
    }
}

#[test]
fn group_changes_reach_live_sessions_and_blocks_end_them() {
    for db in Db::both() {
        let l = db.label;
        let (port, requests) = fake_router(Some(Code::DisconnectAck));
        add_router(&db, &["--coa-port", &port.to_string()]);
        db.ok(&["customer", "add", "--phone", "09121234567"]);
        let server = db.serve(&["--role", "radius"]);
        let (auth, acct) = (
            server.radius_auth.clone().unwrap(),
            server.radius_acct.clone().unwrap(),
        );
        let (user, pass) = customer_token(&db, "09121234567");
        let accept = radclient(
            &auth,
            "auth",
            &format!("User-Name={user},User-Password={pass},Calling-Station-Id=AA:BB:CC:00:00:01"),
        );
        let class = accept.attr("Class").expect("accepted");
        let start = format!(
            "Acct-Status-Type=Start,User-Name={user},Acct-Session-Id=82000001,Framed-IP-Address=10.5.50.8,Class={class}"
        );
        assert!(radclient(&acct, "acct", &start).received("Accounting-Response"));

        // Promotion: the live session gets loyal's rate by CoA.
        let out = db.ok(&[
            "customer",
            "set-group",
            "--phone",
            "09121234567",
            "--group",
            "loyal",
        ]);
        assert!(out.contains("new limits sent"), "[{l}] {out}");
        let (u, sid, rate) = requests
            .recv_timeout(Duration::from_secs(5))
            .expect("CoA-Request");
        assert_eq!((u.as_str(), sid.as_str()), (user.as_str(), "82000001"));
        assert_eq!(rate.as_deref(), Some("4M/8M 8M/16M 3M/6M 10/10 5"), "[{l}]");

        // Block: the session is disconnected and new logins are refused.
        let out = db.ok(&["customer", "block", "--phone", "09121234567"]);
        assert!(out.contains("ended"), "[{l}] {out}");
        let (_, sid, rate) = requests
            .recv_timeout(Duration::from_secs(5))
            .expect("Disconnect-Request");
        assert_eq!((sid.as_str(), rate), ("82000001", None));
        let (user, pass) = customer_token(&db, "09121234567");
        let login = format!("User-Name={user},User-Password={pass}");
        let refused = radclient(&auth, "auth", &login);
        assert!(
            refused.received("Access-Reject"),
            "[{l}] {}",
            refused.stdout
        );
        assert_eq!(
            refused.attr("Reply-Message").as_deref(),
            Some("دسترسی شما به اینترنت مسدود شده است")
        );
        server.stop();
        db.cleanup();
    }
}

/// Issue #5's check: an interim update that uses up a quota ends the session
/// (Disconnect-Request), or — for a group that throttles instead — slows it down
/// (CoA-Request with the throttle rate); later logins are refused or throttled.
#[test]
fn used_up_quotas_cut_or_throttle_live_sessions() {
    for db in Db::both() {
        let l = db.label;
        let (port, requests) = fake_router(Some(Code::DisconnectAck));
        add_router(&db, &["--coa-port", &port.to_string()]);
        db.ok(&[
            "group",
            "add",
            "--name",
            "metered",
            "--rate-limit",
            "2M/4M",
            "--daily-data",
            "1M",
        ]);
        db.ok(&[
            "group",
            "add",
            "--name",
            "slowed",
            "--rate-limit",
            "2M/4M",
            "--daily-data",
            "1M",
            "--throttle-rate",
            "64k/128k",
        ]);
        for (user, group) in [("cut1", "metered"), ("slow1", "slowed")] {
            db.ok(&[
                "account",
                "add",
                "--username",
                user,
                "--password",
                "pw-quota-1",
                "--group",
                group,
            ]);
        }
        let server = db.serve(&["--role", "radius"]);
        let (auth, acct) = (
            server.radius_auth.clone().unwrap(),
            server.radius_acct.clone().unwrap(),
        );
        let login = |user: &str| {
            radclient(
                &auth,
                "auth",
                &format!("User-Name={user},User-Password=pw-quota-1"),
            )
        };
        for (i, (user, expected_rate)) in [("cut1", None), ("slow1", Some("64k/128k"))]
            .into_iter()
            .enumerate()
        {
            let accept = login(user);
            assert!(accept.received("Access-Accept"), "[{l}] {}", accept.stdout);
            // A throttling group is never cut by the router itself: no Total-Limit.
            assert_eq!(
                accept.attr("Mikrotik-Total-Limit").is_some(),
                expected_rate.is_none(),
                "[{l}] {}",
                accept.stdout
            );
            let class = accept.attr("Class").unwrap();
            let session = format!("8300000{i}");
            let base = format!("User-Name={user},Acct-Session-Id={session},Class={class}");
            let start = format!("Acct-Status-Type=Start,{base}");
            assert!(radclient(&acct, "acct", &start).received("Accounting-Response"));
            // Within quota: nothing is sent to the router.
            let small = format!(
                "Acct-Status-Type=Interim-Update,{base},Acct-Session-Time=60,Acct-Output-Octets=500000"
            );
            assert!(radclient(&acct, "acct", &small).received("Accounting-Response"));
            assert!(
                requests.recv_timeout(Duration::from_millis(1500)).is_err(),
                "[{l}] a request was sent within quota"
            );
            let over = format!(
                "Acct-Status-Type=Interim-Update,{base},Acct-Session-Time=120,Acct-Output-Octets=1100000"
            );
            assert!(radclient(&acct, "acct", &over).received("Accounting-Response"));
            let (u, sid, rate) = requests
                .recv_timeout(Duration::from_secs(5))
                .unwrap_or_else(|_| panic!("[{l}] no request for {user}"));
            assert_eq!(
                (u.as_str(), sid.as_str()),
                (user, session.as_str()),
                "[{l}]"
            );
            assert_eq!(rate.as_deref(), expected_rate, "[{l}] {user}");
        }
        // The next login: refused when cut, throttled when slowed.
        let refused = login("cut1");
        assert!(
            refused.received("Access-Reject"),
            "[{l}] {}",
            refused.stdout
        );
        let slowed = login("slow1");
        assert_eq!(
            slowed.attr("Mikrotik-Rate-Limit").as_deref(),
            Some("64k/128k"),
            "[{l}] {}",
            slowed.stdout
        );
        let history = db.ok(&["sessions", "list"]);
        assert!(history.contains("83000000"), "[{l}] {history}");
        server.stop();
        db.cleanup();
    }
}

/// A POS invoice that lifts a member into a club tier with a WiFi group (gold → loyal)
/// gives their live session the new group's rate at once (CoA).
#[test]
fn an_invoice_that_raises_the_club_tier_speeds_up_the_live_session() {
    for db in Db::both() {
        let l = db.label;
        let (port, requests) = fake_router(Some(Code::DisconnectAck));
        add_router(&db, &["--coa-port", &port.to_string()]);
        db.ok(&["branch", "add", "--name", "Center"]);
        let key = db.ok(&["pos-key", "create", "--branch", "Center"]);
        db.ok(&[
            "club",
            "settings",
            "--tier-metric",
            "spend",
            "--tier",
            "bronze:0:10000",
            "--tier",
            "gold:1000000:15000:loyal",
        ]);
        db.ok(&["customer", "add", "--phone", "09121234567"]);
        let server = db.serve(&[]);
        let (auth, acct) = (
            server.radius_auth.clone().unwrap(),
            server.radius_acct.clone().unwrap(),
        );
        let (user, pass) = customer_token(&db, "09121234567");
        let accept = radclient(
            &auth,
            "auth",
            &format!("User-Name={user},User-Password={pass}"),
        );
        assert_eq!(
            accept.attr("Mikrotik-Rate-Limit").as_deref(),
            Some("1M/2M 2M/4M 768k/1536k 8/8 8"),
            "[{l}] {}",
            accept.stdout
        );
        let class = accept.attr("Class").expect("accepted");
        let start = format!(
            "Acct-Status-Type=Start,User-Name={user},Acct-Session-Id=84000001,Class={class}"
        );
        assert!(radclient(&acct, "acct", &start).received("Accounting-Response"));

        let auth_header = format!("Bearer {}", key.trim());
        let invoice = common::http_request(
            server.http.as_deref().unwrap(),
            "POST",
            "/api/v1/invoices",
            &[
                ("Authorization", auth_header.as_str()),
                ("Content-Type", "application/json"),
            ],
            r#"{"phone": "09121234567", "amount": 2000000, "items": [{"name": "cake", "category": "food", "qty": 1, "unit_price": 2000000}]}"#,
        );
        assert_eq!(invoice.status, 201, "[{l}] {}", invoice.body);
        let (u, sid, rate) = requests
            .recv_timeout(Duration::from_secs(5))
            .expect("CoA-Request after the tier change");
        assert_eq!(
            (u.as_str(), sid.as_str()),
            (user.as_str(), "84000001"),
            "[{l}]"
        );
        assert_eq!(rate.as_deref(), Some("4M/8M 8M/16M 3M/6M 10/10 5"), "[{l}]");
        server.stop();
        db.cleanup();
    }
}
