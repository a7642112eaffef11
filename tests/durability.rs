//! A `kill -9` of the server in the middle of an accounting load loses no record that
//! was acknowledged: every Accounting-Response we received names a stored session.

mod common;

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::Db;
use common::radius::{SECRET, socket};
use radiusd::packet::dictionary::{self as attr, acct_status_type};
use radiusd::packet::{Code, Packet, PacketBuilder, verify_response};

const SOCKETS: usize = 16;
const PER_SOCKET: usize = 250;

fn start_record(session: &str, id: u8) -> (Vec<u8>, [u8; 16]) {
    let mut b = PacketBuilder::new(Code::AccountingRequest, id, &[0; 16]);
    b.add_u32(attr::ACCT_STATUS_TYPE, acct_status_type::START)
        .unwrap();
    b.add_str(attr::USER_NAME, "staff1").unwrap();
    b.add_str(attr::ACCT_SESSION_ID, session).unwrap();
    b.add_str(attr::CALLING_STATION_ID, "AA:BB:CC:00:00:01")
        .unwrap();
    let datagram = b.finish_request(SECRET.as_bytes());
    let mut authenticator = [0u8; 16];
    authenticator.copy_from_slice(&datagram[4..20]);
    (datagram, authenticator)
}

#[test]
fn acknowledged_accounting_survives_kill_9() {
    for db in Db::both() {
        let l = db.label;
        common::radius::provision(&db, false);
        let mut server = db.serve(&["--role", "radius"]);
        let acct = server.radius_acct.clone().unwrap();

        // Each socket sends its records in one burst, then collects what was acknowledged.
        let acks = Arc::new(AtomicUsize::new(0));
        let workers: Vec<_> = (0..SOCKETS)
            .map(|s| {
                let acct = acct.clone();
                let acks = acks.clone();
                std::thread::spawn(move || {
                    let sock = socket("127.0.0.1:0");
                    sock.set_read_timeout(Some(Duration::from_millis(300)))
                        .unwrap();
                    let mut sent = Vec::new();
                    for i in 0..PER_SOCKET {
                        let session = format!("k9-{s}-{i}");
                        let (datagram, auth) = start_record(&session, i as u8);
                        if sock.send_to(&datagram, &acct).is_err() {
                            break;
                        }
                        sent.push((session, auth));
                    }
                    let mut acked = Vec::new();
                    let mut buf = [0u8; 4096];
                    let deadline = Instant::now() + Duration::from_secs(5);
                    while Instant::now() < deadline {
                        let Ok((n, _)) = sock.recv_from(&mut buf) else {
                            break;
                        };
                        let Ok(reply) = Packet::decode(&buf[..n]) else {
                            continue;
                        };
                        let (session, auth) = &sent[reply.identifier() as usize];
                        assert_eq!(reply.code(), Code::AccountingResponse);
                        assert!(verify_response(&reply, auth, SECRET.as_bytes()));
                        acked.push(session.clone());
                        acks.fetch_add(1, Ordering::Relaxed);
                    }
                    (sent.len(), acked)
                })
            })
            .collect();
        // Let part of the load be committed, then kill the server without warning.
        let deadline = Instant::now() + Duration::from_secs(20);
        while acks.load(Ordering::Relaxed) < 50 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(1));
        }
        server.child.kill().expect("kill -9");
        server.child.wait().unwrap();

        let mut sent = 0;
        let mut acked = Vec::new();
        for w in workers {
            let (n, a) = w.join().unwrap();
            sent += n;
            acked.extend(a);
        }
        let listed = db.ok(&["sessions", "list", "--limit", "10000"]);
        let stored: HashSet<&str> = listed
            .lines()
            .skip(1)
            .filter_map(|row| row.split_whitespace().nth(2))
            .collect();
        let lost: Vec<&String> = acked
            .iter()
            .filter(|s| !stored.contains(s.as_str()))
            .collect();
        eprintln!(
            "[{l}] sent {sent}, acknowledged {}, stored {}",
            acked.len(),
            stored.len()
        );
        assert!(
            !acked.is_empty(),
            "[{l}] nothing was acknowledged before the kill; the test proves nothing"
        );
        assert!(lost.is_empty(), "[{l}] acknowledged but lost: {lost:?}");
        db.cleanup();
    }
}
