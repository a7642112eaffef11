//! Talking RADIUS from tests: `radclient` (FreeRADIUS, the real interop check) and a
//! raw client on our codec for what radclient cannot do (bad signatures, exact bytes).
#![allow(dead_code)]

use std::net::UdpSocket;
use std::process::{Command, Stdio};
use std::time::Duration;

use radiusd::packet::dictionary as attr;
use radiusd::packet::{Code, Packet, PacketBuilder};

pub const SECRET: &str = "test-shared-secret";

/// One router at 127.0.0.1 (optionally requiring Message-Authenticator) and a staff
/// account `staff1` / `pw-staff-1`.
pub fn provision(db: &super::Db, require_ma: bool) {
    add_router(
        db,
        if require_ma {
            &["--require-message-authenticator"]
        } else {
            &[]
        },
    );
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
}

/// The router `hq` at 127.0.0.1 with the test secret, plus `extra` `nas add` flags.
pub fn add_router(db: &super::Db, extra: &[&str]) {
    let mut nas = vec![
        "nas",
        "add",
        "--name",
        "hq",
        "--address",
        "127.0.0.1",
        "--secret",
        SECRET,
    ];
    nas.extend_from_slice(extra);
    db.ok(&nas);
}

/// A fresh portal login for a customer (`smartx customer token`): (username, password).
pub fn customer_token(db: &super::Db, phone: &str) -> (String, String) {
    let out = db.ok(&["customer", "token", "--phone", phone]);
    let get = |k: &str| {
        out.lines()
            .find_map(|x| x.strip_prefix(k))
            .unwrap_or_else(|| panic!("no {k} in {out}"))
            .trim()
            .to_string()
    };
    (get("username:"), get("password:"))
}

/// What radclient printed for one request.
pub struct RadReply {
    pub success: bool,
    pub stdout: String,
}

impl RadReply {
    pub fn received(&self, code: &str) -> bool {
        self.stdout.contains(&format!("Received {code}"))
    }

    /// The value of `name = value` lines after "Received".
    pub fn attr(&self, name: &str) -> Option<String> {
        let received = self.stdout.split("Received").nth(1)?;
        received.lines().find_map(|l| {
            let (k, v) = l.trim().split_once(" = ")?;
            (k == name).then(|| v.trim_matches('"').to_string())
        })
    }
}

/// `echo ATTRS | radclient -x SERVER KIND SECRET`, one try, one-second timeout.
pub fn radclient(server: &str, kind: &str, attrs: &str) -> RadReply {
    let mut child = Command::new("radclient")
        .args(["-x", "-r", "1", "-t", "1", server, kind, SECRET])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect(
            "radclient (Debian freeradius-utils) must be installed: scripts/test.sh installs it",
        );
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{attrs}\n").as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    RadReply {
        success: out.status.success(),
        stdout: format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    }
}

/// A UDP socket on `local` (e.g. 127.0.0.1:0) with a short receive timeout.
pub fn socket(local: &str) -> UdpSocket {
    let s = UdpSocket::bind(local).unwrap();
    s.set_read_timeout(Some(Duration::from_millis(800)))
        .unwrap();
    s
}

/// Sends `datagram` and returns the reply, or `None` after the timeout.
pub fn exchange(socket: &UdpSocket, server: &str, datagram: &[u8]) -> Option<Vec<u8>> {
    socket.send_to(datagram, server).unwrap();
    let mut buf = [0u8; 4096];
    match socket.recv_from(&mut buf) {
        Ok((n, _)) => Some(buf[..n].to_vec()),
        Err(_) => None,
    }
}

/// An Access-Request with PAP, signed with a Message-Authenticator.
pub fn pap_request(id: u8, username: &str, password: &str, mac: &str) -> (Vec<u8>, [u8; 16]) {
    let authenticator: [u8; 16] =
        std::array::from_fn(|i| (i as u8).wrapping_mul(37).wrapping_add(id));
    let mut b =
        PacketBuilder::new(Code::AccessRequest, id, &authenticator).with_message_authenticator();
    b.add_str(attr::USER_NAME, username).unwrap();
    b.add_user_password(password.as_bytes(), SECRET.as_bytes())
        .unwrap();
    b.add_str(attr::CALLING_STATION_ID, mac).unwrap();
    b.add_str(attr::NAS_IDENTIFIER, "hap-test").unwrap();
    (b.finish_request(SECRET.as_bytes()), authenticator)
}

pub fn decode(reply: &[u8]) -> Packet<'_> {
    Packet::decode(reply).expect("a well-formed reply")
}

/// The value of `name` in a Prometheus text exposition (summing all label sets that
/// contain every `labels` fragment).
pub fn metric(text: &str, name: &str, labels: &[&str]) -> f64 {
    text.lines()
        .filter(|l| l.starts_with(name) && !l.starts_with('#'))
        .filter(|l| labels.iter().all(|f| l.contains(f)))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}
