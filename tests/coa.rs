//! End to end: `smartx sessions disconnect` sends a signed Disconnect-Request to the
//! session's router (a fake `/radius incoming` here) and reports ACK, NAK or silence —
//! on SQLite and PostgreSQL.

mod common;

use std::net::UdpSocket;
use std::sync::mpsc;
use std::time::Duration;

use common::Db;
use common::radius::{SECRET, radclient};
use radiusd::packet::dictionary as attr;
use radiusd::packet::{
    Code, MessageAuthenticator, Packet, PacketBuilder, message_authenticator,
    verify_request_authenticator,
};

/// A router's incoming port answering every request with `reply` (or nothing), and
/// reporting each valid request's User-Name and Acct-Session-Id.
fn fake_router(reply: Option<Code>) -> (u16, mpsc::Receiver<(String, String)>) {
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
            let signed = req.code() == Code::DisconnectRequest
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
            );
            if tx.send(named).is_err() {
                return;
            }
            if let Some(code) = reply {
                let mut b = PacketBuilder::reply(&req, code).with_message_authenticator();
                if code == Code::DisconnectNak {
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
                db.ok(&[
                    "nas",
                    "add",
                    "--name",
                    "hq",
                    "--address",
                    "127.0.0.1",
                    "--secret",
                    SECRET,
                    "--coa-port",
                    &port.to_string(),
                ]);
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
                db.ok(&[
                    "nas",
                    "add",
                    "--name",
                    "hq",
                    "--address",
                    "127.0.0.1",
                    "--secret",
                    SECRET,
                    "--coa-port",
                    &port.to_string(),
                ]);
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
            let (user, sid) = requests
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
