//! The RADIUS client side: Disconnect-Request and CoA-Request (RFC 5176) to a router's
//! `/radius incoming` port, to end a session or change its limits mid-session.
//!
//! The session is named the way RouterOS matches it: User-Name, Acct-Session-Id, and
//! when known Framed-IP-Address and Calling-Station-Id. Requests carry a
//! Message-Authenticator and an Event-Timestamp; a lost request or reply is retried
//! with the same packet (same Identifier and authenticator), so the router can
//! recognise the duplicate.

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use tokio::net::UdpSocket;

use crate::packet::dictionary::{self as attr, mikrotik};
use crate::packet::{Code, Packet, PacketBuilder, verify_response};

/// Which session on the router.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SessionRef {
    pub username: String,
    pub acct_session_id: String,
    pub framed_ip: Option<Ipv4Addr>,
    pub calling_station_id: Option<String>,
}

/// What to ask of the router.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// End the session (Disconnect-Request).
    Disconnect,
    /// Keep it, with new limits (CoA-Request).
    Limits {
        rate_limit: Option<String>,
        session_timeout: Option<u32>,
    },
}

/// How the router answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Ack,
    /// Refused; `error_cause` per RFC 5176 §3.5 (e.g. 503 Session-Context-Not-Found).
    Nak {
        error_cause: Option<u32>,
    },
    /// No valid answer after every try.
    Timeout,
}

impl Outcome {
    pub fn label(self) -> &'static str {
        match self {
            Outcome::Ack => "ack",
            Outcome::Nak { .. } => "nak",
            Outcome::Timeout => "timeout",
        }
    }
}

/// Where to send and how patiently.
#[derive(Debug, Clone)]
pub struct Target {
    pub addr: SocketAddr,
    pub secret: Vec<u8>,
    pub tries: u32,
    pub timeout: Duration,
}

impl Target {
    pub fn new(addr: SocketAddr, secret: &[u8]) -> Self {
        Target {
            addr,
            secret: secret.to_vec(),
            tries: 3,
            timeout: Duration::from_secs(2),
        }
    }
}

/// Builds the request datagram; `identifier` and `now` are the caller's.
pub fn request(
    change: &Change,
    session: &SessionRef,
    secret: &[u8],
    identifier: u8,
    now: u32,
) -> Vec<u8> {
    let code = match change {
        Change::Disconnect => Code::DisconnectRequest,
        Change::Limits { .. } => Code::CoaRequest,
    };
    let mut b = PacketBuilder::new(code, identifier, &[0; 16]).with_message_authenticator();
    // Values are short (usernames and ids come from the router itself), so adding
    // cannot overflow the packet.
    let _ = b.add_str(attr::USER_NAME, &session.username);
    let _ = b.add_str(attr::ACCT_SESSION_ID, &session.acct_session_id);
    if let Some(ip) = session.framed_ip {
        let _ = b.add_ipv4(attr::FRAMED_IP_ADDRESS, ip);
    }
    if let Some(mac) = &session.calling_station_id {
        let _ = b.add_str(attr::CALLING_STATION_ID, mac);
    }
    let _ = b.add_u32(attr::EVENT_TIMESTAMP, now);
    if let Change::Limits {
        rate_limit,
        session_timeout,
    } = change
    {
        if let Some(rate) = rate_limit {
            let _ = b.add_vsa_str(mikrotik::VENDOR_ID, mikrotik::RATE_LIMIT, rate);
        }
        if let Some(t) = session_timeout {
            let _ = b.add_u32(attr::SESSION_TIMEOUT, *t);
        }
    }
    b.finish_request(secret)
}

/// Sends `change` for `session` and waits for the router's ACK/NAK.
pub async fn send(
    target: &Target,
    change: &Change,
    session: &SessionRef,
) -> std::io::Result<Outcome> {
    let local: SocketAddr = if target.addr.is_ipv4() {
        "0.0.0.0:0"
    } else {
        "[::]:0"
    }
    .parse()
    .map_err(std::io::Error::other)?;
    let socket = UdpSocket::bind(local).await?;
    let identifier: u8 = rand::random();
    let now = u32::try_from(crm::clock::now()).unwrap_or(u32::MAX);
    let datagram = request(change, session, &target.secret, identifier, now);
    let mut request_authenticator = [0u8; 16];
    request_authenticator.copy_from_slice(&datagram[4..20]);
    let (ack, nak) = match change {
        Change::Disconnect => (Code::DisconnectAck, Code::DisconnectNak),
        Change::Limits { .. } => (Code::CoaAck, Code::CoaNak),
    };
    let mut buf = [0u8; 4096];
    for _ in 0..target.tries.max(1) {
        socket.send_to(&datagram, target.addr).await?;
        let deadline = tokio::time::Instant::now() + target.timeout;
        loop {
            let received = tokio::time::timeout_at(deadline, socket.recv_from(&mut buf)).await;
            let Ok(Ok((len, from))) = received else { break };
            if from.ip() != target.addr.ip() {
                continue;
            }
            let Ok(reply) = Packet::decode(&buf[..len]) else {
                continue;
            };
            if reply.identifier() != identifier
                || !verify_response(&reply, &request_authenticator, &target.secret)
            {
                continue;
            }
            let outcome = if reply.code() == ack {
                Outcome::Ack
            } else if reply.code() == nak {
                Outcome::Nak {
                    error_cause: reply.u32(attr::ERROR_CAUSE),
                }
            } else {
                continue;
            };
            metrics::counter!("radius_coa_total", "kind" => kind_label(change), "outcome" => outcome.label()).increment(1);
            return Ok(outcome);
        }
    }
    metrics::counter!("radius_coa_total", "kind" => kind_label(change), "outcome" => "timeout")
        .increment(1);
    Ok(Outcome::Timeout)
}

/// Why a stored session cannot be acted on.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error("session #{0} has already ended")]
    Ended(i64),
    #[error(
        "the address of the router of session #{0} is unknown (its NAS is a network and no \
         accounting recorded the router's address)"
    )]
    NoRouterAddress(i64),
    #[error(transparent)]
    Store(#[from] crm::Error),
    #[error("cannot send to the router: {0}")]
    Io(#[from] std::io::Error),
}

/// Sends `change` for a stored session to its router, and records the request and
/// the answer (`crm::sessions::record_coa`). `reason` says why (`operator`, `quota`…).
pub async fn for_session(
    store: &crm::Store,
    tenant: &crm::tenants::Tenant,
    session_id: i64,
    change: &Change,
    reason: &str,
) -> Result<Outcome, SessionError> {
    let session = crm::sessions::target(store, tenant, session_id).await?;
    if session.stopped_at.is_some() {
        return Err(SessionError::Ended(session_id));
    }
    let nas = crm::nas::by_id(store, session.nas_id).await?;
    let router_ip = session
        .nas_ip
        .as_deref()
        .and_then(|ip| ip.parse().ok())
        .or_else(|| (nas.address.prefix() == max_prefix(&nas.address)).then(|| nas.address.ip()))
        .ok_or(SessionError::NoRouterAddress(session_id))?;
    let target = Target::new(
        SocketAddr::new(router_ip, nas.coa_port),
        nas.secret.expose().as_bytes(),
    );
    let reference = SessionRef {
        username: session.username.clone(),
        acct_session_id: session.acct_session_id.clone(),
        framed_ip: session.framed_ip.as_deref().and_then(|ip| ip.parse().ok()),
        calling_station_id: session.mac.clone(),
    };
    let sent = send(&target, change, &reference).await;
    let (outcome, error_cause, detail) = match &sent {
        Ok(Outcome::Nak { error_cause }) => ("nak", error_cause.map(i64::from), None),
        Ok(o) => (o.label(), None, None),
        Err(e) => ("error", None, Some(e.to_string())),
    };
    crm::sessions::record_coa(
        store,
        tenant,
        &crm::sessions::CoaRecord {
            session_id: Some(session_id),
            kind: kind_label(change),
            reason,
            outcome,
            error_cause,
            detail,
        },
    )
    .await?;
    Ok(sent?)
}

fn max_prefix(net: &ipnetwork::IpNetwork) -> u8 {
    if net.is_ipv4() { 32 } else { 128 }
}

fn kind_label(change: &Change) -> &'static str {
    match change {
        Change::Disconnect => "disconnect",
        Change::Limits { .. } => "coa",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::packet::{
        MessageAuthenticator, message_authenticator, verify_request_authenticator,
    };

    const SECRET: &[u8] = b"router-secret";

    /// A router's `/radius incoming`: answers with `reply` (or not at all) and reports
    /// what it received.
    async fn fake_router(
        reply: Option<Code>,
        answer_after: usize,
    ) -> (SocketAddr, tokio::task::JoinHandle<Vec<Vec<u8>>>) {
        let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let addr = socket.local_addr().unwrap();
        let task = tokio::spawn(async move {
            let mut seen = Vec::new();
            let mut buf = [0u8; 4096];
            while let Ok(Ok((len, from))) =
                tokio::time::timeout(Duration::from_millis(700), socket.recv_from(&mut buf)).await
            {
                let datagram = buf[..len].to_vec();
                seen.push(datagram.clone());
                let req = Packet::decode(&datagram).unwrap();
                if let Some(code) = reply.filter(|_| seen.len() > answer_after) {
                    let mut b = PacketBuilder::reply(&req, code).with_message_authenticator();
                    if matches!(code, Code::DisconnectNak | Code::CoaNak) {
                        b.add_u32(attr::ERROR_CAUSE, 503).unwrap();
                    }
                    socket
                        .send_to(&b.finish_reply(&req, SECRET), from)
                        .await
                        .unwrap();
                }
            }
            seen
        });
        (addr, task)
    }

    fn session() -> SessionRef {
        SessionRef {
            username: "t-abc".into(),
            acct_session_id: "81a00001".into(),
            framed_ip: Some(Ipv4Addr::new(10, 5, 50, 2)),
            calling_station_id: Some("AA:BB:CC:00:00:01".into()),
        }
    }

    fn target(addr: SocketAddr) -> Target {
        Target {
            addr,
            secret: SECRET.to_vec(),
            tries: 3,
            timeout: Duration::from_millis(200),
        }
    }

    #[tokio::test]
    async fn disconnect_is_signed_and_acknowledged() {
        let (addr, router) = fake_router(Some(Code::DisconnectAck), 0).await;
        let outcome = send(&target(addr), &Change::Disconnect, &session())
            .await
            .unwrap();
        assert_eq!(outcome, Outcome::Ack);
        let seen = router.await.unwrap();
        assert_eq!(seen.len(), 1);
        let req = Packet::decode(&seen[0]).unwrap();
        assert_eq!(req.code(), Code::DisconnectRequest);
        assert!(verify_request_authenticator(&req, SECRET));
        assert_eq!(
            message_authenticator(&req, SECRET, None),
            MessageAuthenticator::Valid
        );
        assert_eq!(req.string(attr::USER_NAME), Some("t-abc"));
        assert_eq!(req.string(attr::ACCT_SESSION_ID), Some("81a00001"));
        assert_eq!(
            req.ipv4(attr::FRAMED_IP_ADDRESS),
            Some(Ipv4Addr::new(10, 5, 50, 2))
        );
    }

    #[tokio::test]
    async fn coa_carries_the_new_rate_and_naks_are_reported() {
        let (addr, router) = fake_router(Some(Code::CoaNak), 0).await;
        let change = Change::Limits {
            rate_limit: Some("4M/8M".into()),
            session_timeout: Some(600),
        };
        let outcome = send(&target(addr), &change, &session()).await.unwrap();
        assert_eq!(
            outcome,
            Outcome::Nak {
                error_cause: Some(503)
            }
        );
        let seen = router.await.unwrap();
        let req = Packet::decode(&seen[0]).unwrap();
        assert_eq!(req.code(), Code::CoaRequest);
        assert_eq!(
            req.vendor_string(mikrotik::VENDOR_ID, mikrotik::RATE_LIMIT),
            Some("4M/8M")
        );
        assert_eq!(req.u32(attr::SESSION_TIMEOUT), Some(600));
    }

    #[tokio::test]
    async fn lost_replies_are_retried_with_the_same_packet_then_time_out() {
        // Answers only the second copy.
        let (addr, router) = fake_router(Some(Code::DisconnectAck), 1).await;
        assert_eq!(
            send(&target(addr), &Change::Disconnect, &session())
                .await
                .unwrap(),
            Outcome::Ack
        );
        let seen = router.await.unwrap();
        assert_eq!(seen.len(), 2);
        assert_eq!(seen[0], seen[1], "a retry is the identical datagram");

        let (addr, router) = fake_router(None, 0).await;
        assert_eq!(
            send(&target(addr), &Change::Disconnect, &session())
                .await
                .unwrap(),
            Outcome::Timeout
        );
        assert_eq!(router.await.unwrap().len(), 3);
    }
}
