//! A UDP load generator for `smartx bench`: it plays many MikroTik hotspots logging
//! guests in (Access-Request, PAP or CHAP) or reporting sessions (Accounting-Request
//! Start, Interim-Update…, Stop) against one RADIUS server, and measures it.
//!
//! How it drives the server:
//! - `concurrency` requests are in flight at once, spread over a few UDP sockets (each
//!   connected to the server, so only its replies are read). Each socket owns its 256
//!   Identifiers and reuses them first-in first-out, so a late reply is recognised.
//! - A request without a reply after `timeout` is sent again, byte for byte (same
//!   Identifier and authenticator, as a router retransmits), at most `retries` times;
//!   then it counts as a timeout. Latency is from the first send to the reply.
//! - Every reply is checked: the Response Authenticator and, when present, the
//!   Message-Authenticator ([`verify_response`]); replies to Access-Requests must carry
//!   a Message-Authenticator (RouterOS ≥ 7.15 drops those without). Replies that fail
//!   are counted as bad, never as answers.
//! - The run is bounded by `requests` and by `max_duration` (no new request is sent
//!   after it; those in flight are still waited for). With `rate` the requests are sent
//!   at that pace instead of as fast as the replies come back (latency at a given load).
//!
//! It sends only to the addresses it is given.

use std::collections::VecDeque;
use std::fmt::Write as _;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tokio::net::UdpSocket;

use crate::packet::dictionary::{
    self as attr, acct_status_type, acct_terminate_cause, mikrotik, nas_port_type, service_type,
    wispr,
};
use crate::packet::{Code, Packet, PacketBuilder, chap_response, verify_response};

/// What every run shares: where, how hard, and for how long at most.
#[derive(Debug, Clone)]
pub struct Load {
    pub server: SocketAddr,
    pub secret: String,
    /// Requests to send (accounting: rounded up to whole sessions).
    pub requests: u64,
    /// Requests in flight at once.
    pub concurrency: usize,
    /// UDP sockets the requests are spread over; `None` picks enough for the concurrency.
    pub sockets: Option<usize>,
    /// Wait this long for a reply before retransmitting.
    pub timeout: Duration,
    /// Retransmissions before a request counts as timed out.
    pub retries: u32,
    /// No new request after this long.
    pub max_duration: Duration,
    /// Send at this many requests per second instead of as fast as the concurrency
    /// allows (at most `concurrency` still in flight: a server that falls behind shows as
    /// an answered rate below this one).
    pub rate: Option<f64>,
}

/// The simulated subscribers: `<user_prefix><i>` / `<password_prefix><i>` for
/// `i` in `first..first + count`, as `smartx bench seed` creates them.
#[derive(Debug, Clone)]
pub struct Users {
    pub count: u32,
    pub first: u32,
    pub user_prefix: String,
    pub password_prefix: String,
}

impl Users {
    fn names(&self) -> Vec<String> {
        (0..self.count)
            .map(|i| {
                format!(
                    "{}{}",
                    self.user_prefix,
                    u64::from(self.first) + u64::from(i)
                )
            })
            .collect()
    }

    fn passwords(&self) -> Vec<String> {
        (0..self.count)
            .map(|i| {
                format!(
                    "{}{}",
                    self.password_prefix,
                    u64::from(self.first) + u64::from(i)
                )
            })
            .collect()
    }
}

/// `smartx bench auth`.
#[derive(Debug, Clone)]
pub struct AuthBench {
    pub load: Load,
    pub users: Users,
    /// CHAP-Password + CHAP-Challenge instead of User-Password.
    pub chap: bool,
    /// Count an Access-Accept whose Mikrotik-Rate-Limit differs from this as wrong policy.
    pub expect_rate_limit: Option<String>,
}

/// `smartx bench acct`.
#[derive(Debug, Clone)]
pub struct AcctBench {
    pub load: Load,
    pub users: Users,
    /// Interim-Updates per session between its Start and its Stop.
    pub interims: u32,
    /// Log every simulated user in once here first (PAP, not timed) and echo the
    /// `Class` of its Access-Accept in its accounting, as RouterOS does. Without it the
    /// accounting carries no `Class`.
    pub login_first: Option<SocketAddr>,
}

/// Limits that keep a run sane whatever the flags say.
pub const MAX_CONCURRENCY: usize = 16_384;
pub const MAX_REQUESTS: u64 = 100_000_000;
/// Requests one socket keeps in flight at most, leaving Identifiers free between uses.
const MAX_WINDOW: usize = 128;

/// Why a run could not start or went wrong.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    #[error("{0}")]
    Invalid(String),
    #[error("socket: {0}")]
    Io(#[from] io::Error),
}

impl Load {
    fn check(&self) -> Result<(), BenchError> {
        if self.secret.is_empty() {
            return Err(BenchError::Invalid("the shared secret is empty".into()));
        }
        if !(1..=MAX_CONCURRENCY).contains(&self.concurrency) {
            return Err(BenchError::Invalid(format!(
                "concurrency must be 1 to {MAX_CONCURRENCY}"
            )));
        }
        if !(1..=MAX_REQUESTS).contains(&self.requests) {
            return Err(BenchError::Invalid(format!(
                "requests must be 1 to {MAX_REQUESTS}"
            )));
        }
        if self.timeout.is_zero() {
            return Err(BenchError::Invalid("timeout must be positive".into()));
        }
        if self.rate.is_some_and(|r| !(r.is_finite() && r > 0.0)) {
            return Err(BenchError::Invalid("rate must be a positive number".into()));
        }
        Ok(())
    }

    /// Sockets to use and the in-flight window of each (they add up to `concurrency`).
    fn windows(&self) -> Vec<usize> {
        let needed = self.concurrency.div_ceil(MAX_WINDOW);
        let sockets = self
            .sockets
            .unwrap_or(needed.max(4))
            .clamp(needed.max(1), self.concurrency.max(1));
        let base = self.concurrency / sockets;
        let extra = self.concurrency % sockets;
        (0..sockets)
            .map(|i| base + usize::from(i < extra))
            .collect()
    }
}

impl Users {
    fn check(&self) -> Result<(), BenchError> {
        if self.count == 0 {
            return Err(BenchError::Invalid("users must be at least 1".into()));
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------
// Results
// ---------------------------------------------------------------------------------------

/// Latency percentiles of the answered requests, in microseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Percentiles {
    pub p50: u64,
    pub p90: u64,
    pub p99: u64,
    pub max: u64,
}

/// The value at percentile `p` (0–100) of `sorted` (ascending), by the nearest-rank
/// method: the smallest value with at least `p`% of the values at or below it.
/// `None` for an empty slice.
pub fn percentile(sorted: &[u64], p: f64) -> Option<u64> {
    let n = sorted.len();
    if n == 0 {
        return None;
    }
    let p = p.clamp(0.0, 100.0);
    let rank = ((p / 100.0) * n as f64).ceil() as usize;
    sorted.get(rank.clamp(1, n) - 1).copied()
}

impl Percentiles {
    /// Sorts `samples` and reads the percentiles off them (all zero when empty).
    pub fn of(samples: &mut [u64]) -> Percentiles {
        samples.sort_unstable();
        let at = |p| percentile(samples, p).unwrap_or(0);
        Percentiles {
            p50: at(50.0),
            p90: at(90.0),
            p99: at(99.0),
            max: at(100.0),
        }
    }
}

/// Counters of one socket's requests, summed into a [`Report`].
#[derive(Debug, Default, Clone)]
struct Tally {
    sent: u64,
    retransmits: u64,
    accepts: u64,
    rejects: u64,
    responses: u64,
    wrong_policy: u64,
    missing_message_authenticator: u64,
    bad_replies: u64,
    late_replies: u64,
    timeouts: u64,
    socket_errors: u64,
    latencies_us: Vec<u64>,
}

impl Tally {
    fn merge(&mut self, other: Tally) {
        self.sent += other.sent;
        self.retransmits += other.retransmits;
        self.accepts += other.accepts;
        self.rejects += other.rejects;
        self.responses += other.responses;
        self.wrong_policy += other.wrong_policy;
        self.missing_message_authenticator += other.missing_message_authenticator;
        self.bad_replies += other.bad_replies;
        self.late_replies += other.late_replies;
        self.timeouts += other.timeouts;
        self.socket_errors += other.socket_errors;
        self.latencies_us.extend(other.latencies_us);
    }
}

/// What a run measured.
#[derive(Debug, Clone)]
pub struct Report {
    /// `auth-pap`, `auth-chap` or `acct`.
    pub kind: &'static str,
    pub server: SocketAddr,
    pub concurrency: usize,
    pub sockets: usize,
    /// Requests per second asked for (paced run), if any.
    pub target_rate: Option<f64>,
    /// Requests sent (first copies; retransmissions are counted apart).
    pub sent: u64,
    /// Requests with a verified reply.
    pub answered: u64,
    pub accepts: u64,
    pub rejects: u64,
    /// Accounting-Responses (the server says the record is stored).
    pub responses: u64,
    /// Access-Accepts without the expected Mikrotik-Rate-Limit.
    pub wrong_policy: u64,
    /// Access-Accept/Reject without a Message-Authenticator (counted among answers).
    pub missing_message_authenticator: u64,
    /// Replies that failed verification or were not a reply we expect; not answers.
    pub bad_replies: u64,
    /// Verified replies to a request already answered or given up (e.g. a retransmission's).
    pub late_replies: u64,
    pub timeouts: u64,
    pub retransmits: u64,
    /// Send or receive errors (e.g. ICMP port unreachable).
    pub socket_errors: u64,
    pub elapsed: Duration,
    pub latency: Percentiles,
}

impl Report {
    fn new(
        kind: &'static str,
        load: &Load,
        sockets: usize,
        mut tally: Tally,
        elapsed: Duration,
    ) -> Report {
        let latency = Percentiles::of(&mut tally.latencies_us);
        Report {
            kind,
            server: load.server,
            concurrency: load.concurrency,
            sockets,
            target_rate: load.rate,
            sent: tally.sent,
            answered: tally.latencies_us.len() as u64,
            accepts: tally.accepts,
            rejects: tally.rejects,
            responses: tally.responses,
            wrong_policy: tally.wrong_policy,
            missing_message_authenticator: tally.missing_message_authenticator,
            bad_replies: tally.bad_replies,
            late_replies: tally.late_replies,
            timeouts: tally.timeouts,
            retransmits: tally.retransmits,
            socket_errors: tally.socket_errors,
            elapsed,
            latency,
        }
    }

    /// Answered requests per second of the run.
    pub fn rate(&self) -> f64 {
        let secs = self.elapsed.as_secs_f64();
        if secs > 0.0 {
            self.answered as f64 / secs
        } else {
            0.0
        }
    }

    /// Whether every request got a correct, verified answer of the expected kind.
    pub fn is_clean(&self) -> bool {
        self.answered == self.sent
            && self.timeouts == 0
            && self.rejects == 0
            && self.wrong_policy == 0
            && self.bad_replies == 0
            && self.missing_message_authenticator == 0
    }

    /// A readable summary.
    pub fn render(&self) -> String {
        let ms = |us: u64| us as f64 / 1000.0;
        let mut s = String::new();
        let paced = self
            .target_rate
            .map(|r| format!(", paced at {r:.0}/s"))
            .unwrap_or_default();
        let _ = writeln!(
            s,
            "{} against {}: {} requests, up to {} in flight over {} sockets{paced}, {:.2} s",
            self.kind,
            self.server,
            self.sent,
            self.concurrency,
            self.sockets,
            self.elapsed.as_secs_f64()
        );
        let _ = writeln!(s, "  rate        {:.0} answered/s", self.rate());
        let _ = writeln!(
            s,
            "  latency     p50 {:.3} ms  p90 {:.3} ms  p99 {:.3} ms  max {:.3} ms",
            ms(self.latency.p50),
            ms(self.latency.p90),
            ms(self.latency.p99),
            ms(self.latency.max)
        );
        if self.kind == "acct" {
            let _ = writeln!(s, "  answered    {} Accounting-Response", self.responses);
        } else {
            let _ = writeln!(
                s,
                "  answered    {} Access-Accept, {} Access-Reject",
                self.accepts, self.rejects
            );
        }
        let _ = writeln!(
            s,
            "  timeouts    {}  (retransmissions {})",
            self.timeouts, self.retransmits
        );
        let _ = write!(
            s,
            "  errors      bad replies {}, wrong policy {}, no Message-Authenticator {}, \
             late replies {}, socket errors {}",
            self.bad_replies,
            self.wrong_policy,
            self.missing_message_authenticator,
            self.late_replies,
            self.socket_errors
        );
        s
    }

    /// One `key=value` line for scripts (`scripts/bench-vs-freeradius.sh` reads it).
    pub fn result_line(&self) -> String {
        let ms = |us: u64| us as f64 / 1000.0;
        format!(
            "result kind={} server={} sent={} answered={} rate={:.0} p50_ms={:.3} p90_ms={:.3} \
             p99_ms={:.3} max_ms={:.3} accepts={} rejects={} responses={} timeouts={} \
             retransmits={} bad={} wrong_policy={} no_ma={} late={} socket_errors={} seconds={:.3} \
             concurrency={} target_rate={}",
            self.kind,
            self.server,
            self.sent,
            self.answered,
            self.rate(),
            ms(self.latency.p50),
            ms(self.latency.p90),
            ms(self.latency.p99),
            ms(self.latency.max),
            self.accepts,
            self.rejects,
            self.responses,
            self.timeouts,
            self.retransmits,
            self.bad_replies,
            self.wrong_policy,
            self.missing_message_authenticator,
            self.late_replies,
            self.socket_errors,
            self.elapsed.as_secs_f64(),
            self.concurrency,
            self.target_rate
                .map_or("none".into(), |r| format!("{r:.0}"))
        )
    }
}

// ---------------------------------------------------------------------------------------
// The engine: sockets, windows, retransmissions
// ---------------------------------------------------------------------------------------

/// How a verified reply counts.
enum Outcome {
    Accept,
    Reject,
    Response,
    /// An Access-Accept without the expected policy.
    WrongPolicy,
    /// A code this kind of request cannot get.
    Unexpected,
}

/// What kind of traffic a run sends.
trait Workload: Send + Sync + 'static {
    /// Request `index` with `identifier`, built into `buf`; returns the datagram and the
    /// authenticator its reply is verified with.
    fn build(&self, index: u64, identifier: u8, buf: Vec<u8>) -> (Vec<u8>, [u8; 16]);
    /// A verified reply to request `index`.
    fn classify(&self, index: u64, reply: &Packet<'_>) -> Outcome;
    /// Whether replies must carry a Message-Authenticator.
    fn requires_message_authenticator(&self) -> bool;
}

/// Hands out request numbers until the count or the time is up.
struct Dispenser {
    next: AtomicU64,
    total: u64,
    deadline: Instant,
    /// Start and requests per second of a paced run.
    pace: Option<(Instant, f64)>,
}

impl Dispenser {
    fn claim(&self) -> Option<u64> {
        if Instant::now() >= self.deadline {
            return None;
        }
        let i = self.next.fetch_add(1, Ordering::Relaxed);
        (i < self.total).then_some(i)
    }

    /// When request `index` is due, in a paced run.
    fn due(&self, index: u64) -> Option<Instant> {
        self.pace
            .map(|(start, rate)| start + Duration::from_secs_f64(index as f64 / rate))
    }
}

struct InFlight {
    index: u64,
    datagram: Vec<u8>,
    authenticator: [u8; 16],
    first_sent: Instant,
    last_sent: Instant,
    retransmits: u32,
}

/// One socket's share of the run: keeps `window` requests in flight until the
/// dispenser runs dry, then waits for the last ones.
async fn drive<W: Workload>(
    work: Arc<W>,
    socket: UdpSocket,
    window: usize,
    dispenser: Arc<Dispenser>,
    secret: Arc<[u8]>,
    timeout: Duration,
    retries: u32,
) -> Tally {
    let mut tally = Tally::default();
    let mut slots: Vec<Option<InFlight>> = (0..256).map(|_| None).collect();
    // The authenticator of each Identifier's previous request, to tell late replies.
    let mut previous: Vec<Option<[u8; 16]>> = vec![None; 256];
    let mut free: VecDeque<u8> = (0..=255).collect();
    let mut spare: Vec<Vec<u8>> = Vec::new();
    let mut in_flight = 0usize;
    let mut buf = vec![0u8; 4096];
    let tick = (timeout / 4).clamp(Duration::from_millis(1), Duration::from_millis(50));
    let sleep = tokio::time::sleep(tick);
    tokio::pin!(sleep);
    let mut exhausted = false;
    // A claimed request not due yet (paced runs), and when it is.
    let mut held: Option<u64> = None;

    loop {
        let mut wake: Option<Instant> = None;
        while in_flight < window && !free.is_empty() {
            let index = match held.take() {
                Some(index) => index,
                None if exhausted => break,
                None => match dispenser.claim() {
                    Some(index) => index,
                    None => {
                        exhausted = true;
                        break;
                    }
                },
            };
            let now = Instant::now();
            let due = dispenser.due(index);
            if let Some(due) = due.filter(|&due| due > now) {
                held = Some(index);
                wake = Some(due);
                break;
            }
            let Some(id) = free.pop_front() else {
                held = Some(index);
                break;
            };
            let (datagram, authenticator) = work.build(index, id, spare.pop().unwrap_or_default());
            if socket.send(&datagram).await.is_err() {
                tally.socket_errors += 1;
            }
            tally.sent += 1;
            in_flight += 1;
            if let Some(slot) = slots.get_mut(usize::from(id)) {
                *slot = Some(InFlight {
                    index,
                    datagram,
                    authenticator,
                    first_sent: now,
                    last_sent: now,
                    retransmits: 0,
                });
            }
        }
        if in_flight == 0 && held.is_none() {
            break;
        }
        let wake_at = wake.map(tokio::time::Instant::from_std);
        tokio::select! {
            ready = socket.readable() => {
                if ready.is_err() {
                    tally.socket_errors += 1;
                    continue;
                }
                loop {
                    let len = match socket.try_recv(&mut buf) {
                        Ok(len) => len,
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                        Err(_) => {
                            tally.socket_errors += 1;
                            continue;
                        }
                    };
                    let received = Instant::now();
                    let Some(bytes) = buf.get(..len) else { continue };
                    let Ok(reply) = Packet::decode(bytes) else {
                        tally.bad_replies += 1;
                        continue;
                    };
                    let id = usize::from(reply.identifier());
                    let current = slots
                        .get(id)
                        .and_then(Option::as_ref)
                        .is_some_and(|f| verify_response(&reply, &f.authenticator, &secret));
                    if !current {
                        let late = previous
                            .get(id)
                            .copied()
                            .flatten()
                            .is_some_and(|a| verify_response(&reply, &a, &secret));
                        if late {
                            tally.late_replies += 1;
                        } else {
                            tally.bad_replies += 1;
                        }
                        continue;
                    }
                    let Some(done) = slots.get_mut(id).and_then(Option::take) else {
                        continue;
                    };
                    in_flight -= 1;
                    if let Some(p) = previous.get_mut(id) {
                        *p = Some(done.authenticator);
                    }
                    free.push_back(reply.identifier());
                    match work.classify(done.index, &reply) {
                        Outcome::Unexpected => tally.bad_replies += 1,
                        outcome => {
                            let us = received.duration_since(done.first_sent).as_micros();
                            tally.latencies_us.push(u64::try_from(us).unwrap_or(u64::MAX));
                            if work.requires_message_authenticator()
                                && !reply.has_message_authenticator()
                            {
                                tally.missing_message_authenticator += 1;
                            }
                            match outcome {
                                Outcome::Accept => tally.accepts += 1,
                                Outcome::Reject => tally.rejects += 1,
                                Outcome::Response => tally.responses += 1,
                                Outcome::WrongPolicy => {
                                    tally.accepts += 1;
                                    tally.wrong_policy += 1;
                                }
                                Outcome::Unexpected => {}
                            }
                        }
                    }
                    spare.push(done.datagram);
                }
            }
            _ = &mut sleep => {
                let now = Instant::now();
                for (id, slot) in slots.iter_mut().enumerate() {
                    let Some(f) = slot else { continue };
                    if now.duration_since(f.last_sent) < timeout {
                        continue;
                    }
                    if f.retransmits < retries {
                        f.retransmits += 1;
                        f.last_sent = now;
                        tally.retransmits += 1;
                        if socket.send(&f.datagram).await.is_err() {
                            tally.socket_errors += 1;
                        }
                    } else {
                        tally.timeouts += 1;
                        in_flight -= 1;
                        if let Some(p) = previous.get_mut(id) {
                            *p = Some(f.authenticator);
                        }
                        if let Ok(id) = u8::try_from(id) {
                            free.push_back(id);
                        }
                        *slot = None;
                    }
                }
                sleep.as_mut().reset(tokio::time::Instant::now() + tick);
            }
            () = async {
                if let Some(at) = wake_at {
                    tokio::time::sleep_until(at).await;
                }
            }, if wake_at.is_some() => {}
        }
    }
    tally
}

async fn connected_socket(server: SocketAddr) -> io::Result<UdpSocket> {
    let local: SocketAddr = if server.is_ipv4() {
        (Ipv4Addr::UNSPECIFIED, 0).into()
    } else {
        (std::net::Ipv6Addr::UNSPECIFIED, 0).into()
    };
    let socket = UdpSocket::bind(local).await?;
    socket.connect(server).await?;
    Ok(socket)
}

/// Runs `work` against `load.server` and sums up what came back.
async fn run<W: Workload>(
    kind: &'static str,
    work: Arc<W>,
    load: &Load,
    total: u64,
) -> Result<Report, BenchError> {
    let windows = load.windows();
    let mut sockets = Vec::with_capacity(windows.len());
    for _ in &windows {
        sockets.push(connected_socket(load.server).await?);
    }
    let secret: Arc<[u8]> = Arc::from(load.secret.as_bytes());
    let started = Instant::now();
    let dispenser = Arc::new(Dispenser {
        next: AtomicU64::new(0),
        total,
        deadline: started + load.max_duration,
        pace: load.rate.map(|rate| (started, rate)),
    });
    let mut tasks = tokio::task::JoinSet::new();
    for (socket, &window) in sockets.into_iter().zip(&windows) {
        tasks.spawn(drive(
            work.clone(),
            socket,
            window,
            dispenser.clone(),
            secret.clone(),
            load.timeout,
            load.retries,
        ));
    }
    let mut tally = Tally::default();
    while let Some(done) = tasks.join_next().await {
        match done {
            Ok(t) => tally.merge(t),
            Err(e) => return Err(BenchError::Invalid(format!("a bench task failed: {e}"))),
        }
    }
    let elapsed = started.elapsed();
    Ok(Report::new(kind, load, windows.len(), tally, elapsed))
}

// ---------------------------------------------------------------------------------------
// What a MikroTik hotspot sends
// ---------------------------------------------------------------------------------------

const ROUTER_IDENTITY: &str = "bench-router";
const HOTSPOT_SERVER: &str = "hotspot1";
const HOTSPOT_INTERFACE: &str = "bridge-hotspot";
const ROUTER_IP: Ipv4Addr = Ipv4Addr::new(10, 5, 50, 1);

/// The client MAC of user slot `u`, as RouterOS writes it (`AA:BB:CC:DD:EE:FF`).
fn client_mac(u: u32) -> String {
    let [a, b, c, d] = u.to_be_bytes();
    format!("02:BE:{a:02X}:{b:02X}:{c:02X}:{d:02X}")
}

/// The client IP of user slot `u` (10.64.0.0/10 holds 4 million).
fn client_ip(u: u32) -> Ipv4Addr {
    Ipv4Addr::from(0x0A40_0000u32.wrapping_add(u & 0x003F_FFFF))
}

/// Per-user strings built once, so the hot loop only copies bytes.
struct Subscribers {
    names: Vec<String>,
    passwords: Vec<String>,
    macs: Vec<String>,
}

impl Subscribers {
    fn new(users: &Users) -> Subscribers {
        Subscribers {
            names: users.names(),
            passwords: users.passwords(),
            macs: (0..users.count).map(client_mac).collect(),
        }
    }

    fn len(&self) -> u64 {
        self.names.len() as u64
    }
}

fn unix_now() -> u32 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u32::try_from(d.as_secs()).unwrap_or(u32::MAX))
}

struct AuthWork {
    subscribers: Subscribers,
    secret: Vec<u8>,
    chap: bool,
    expect_rate_limit: Option<Vec<u8>>,
    /// Filled with each user's `Class` when logging in before accounting.
    classes: Option<Vec<OnceLock<Vec<u8>>>>,
}

impl AuthWork {
    fn slot(&self, index: u64) -> usize {
        (index % self.subscribers.len()) as usize
    }
}

impl Workload for AuthWork {
    fn build(&self, index: u64, identifier: u8, buf: Vec<u8>) -> (Vec<u8>, [u8; 16]) {
        let u = self.slot(index);
        let authenticator: [u8; 16] = rand::random();
        let name = self.subscribers.names.get(u).map_or("", String::as_str);
        let password = self.subscribers.passwords.get(u).map_or("", String::as_str);
        let mac = self.subscribers.macs.get(u).map_or("", String::as_str);
        let slot = u as u32;
        let mut b =
            PacketBuilder::with_buffer(buf, Code::AccessRequest, identifier, &authenticator);
        // Attribute order as RouterOS sends them for a hotspot login.
        let _ = b.add_u32(attr::SERVICE_TYPE, service_type::LOGIN_USER);
        let _ = b.add_str(attr::USER_NAME, name);
        if self.chap {
            let chap_id: u8 = rand::random();
            let challenge: [u8; 16] = rand::random();
            let response = chap_response(chap_id, password.as_bytes(), &challenge);
            let mut value = [0u8; 17];
            value[0] = chap_id;
            value[1..].copy_from_slice(&response);
            let _ = b.add(attr::CHAP_PASSWORD, &value);
            let _ = b.add(attr::CHAP_CHALLENGE, &challenge);
        } else {
            let _ = b.add_user_password(password.as_bytes(), &self.secret);
        }
        let _ = b.add_str(attr::CALLING_STATION_ID, mac);
        let _ = b.add_str(attr::CALLED_STATION_ID, HOTSPOT_SERVER);
        let _ = b.add_u32(attr::NAS_PORT_TYPE, nas_port_type::WIRELESS_802_11);
        let _ = b.add_u32(attr::NAS_PORT, 0x8040_0000 | (slot & 0xFFFF));
        let _ = b.add_str(attr::NAS_PORT_ID, HOTSPOT_INTERFACE);
        let _ = b.add_ipv4(attr::FRAMED_IP_ADDRESS, client_ip(slot));
        let _ = b.add_vsa(
            mikrotik::VENDOR_ID,
            mikrotik::HOST_IP,
            &client_ip(slot).octets(),
        );
        let _ = b.add_str(attr::NAS_IDENTIFIER, ROUTER_IDENTITY);
        let _ = b.add_ipv4(attr::NAS_IP_ADDRESS, ROUTER_IP);
        let _ = b.add_vsa_str(
            wispr::VENDOR_ID,
            wispr::LOGOFF_URL,
            "http://10.5.50.1/logout",
        );
        (b.finish_request(&self.secret), authenticator)
    }

    fn classify(&self, index: u64, reply: &Packet<'_>) -> Outcome {
        match reply.code() {
            Code::AccessAccept => {
                if let Some(classes) = &self.classes {
                    if let (Some(cell), Some(class)) =
                        (classes.get(self.slot(index)), reply.attribute(attr::CLASS))
                    {
                        let _ = cell.set(class.to_vec());
                    }
                }
                match &self.expect_rate_limit {
                    Some(want)
                        if reply.vendor_attribute(mikrotik::VENDOR_ID, mikrotik::RATE_LIMIT)
                            != Some(want.as_slice()) =>
                    {
                        Outcome::WrongPolicy
                    }
                    _ => Outcome::Accept,
                }
            }
            Code::AccessReject => Outcome::Reject,
            _ => Outcome::Unexpected,
        }
    }

    fn requires_message_authenticator(&self) -> bool {
        true
    }
}

impl AuthBench {
    fn work(&self, classes: bool) -> AuthWork {
        AuthWork {
            subscribers: Subscribers::new(&self.users),
            secret: self.load.secret.as_bytes().to_vec(),
            chap: self.chap,
            expect_rate_limit: self.expect_rate_limit.clone().map(String::into_bytes),
            classes: classes.then(|| (0..self.users.count).map(|_| OnceLock::new()).collect()),
        }
    }

    /// Sends `requests` Access-Requests, user after user, and measures the answers.
    pub async fn run(&self) -> Result<Report, BenchError> {
        self.load.check()?;
        self.users.check()?;
        let kind = if self.chap { "auth-chap" } else { "auth-pap" };
        run(
            kind,
            Arc::new(self.work(false)),
            &self.load,
            self.load.requests,
        )
        .await
    }
}

/// Acct-Status-Type of step `step` of a session with `interims` Interim-Updates.
fn acct_step(step: u32, interims: u32) -> u32 {
    if step == 0 {
        acct_status_type::START
    } else if step > interims {
        acct_status_type::STOP
    } else {
        acct_status_type::INTERIM_UPDATE
    }
}

/// Which session and which of its records request `index` is.
///
/// Sessions run in waves of up to one per user: a wave sends every session's Start,
/// then every session's first Interim-Update, and so on to the Stops. A session's
/// records are thus a wave apart (at least as many requests as users), so each one
/// is normally answered before the next is sent, as on a real router.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct SessionStep {
    session: u64,
    /// User slot (0-based) of the session.
    user: u32,
    /// 0 = Start, 1..=interims = Interim-Update, interims + 1 = Stop.
    step: u32,
}

#[derive(Debug, Clone, Copy)]
struct Waves {
    users: u64,
    sessions: u64,
    steps: u64,
}

impl Waves {
    fn new(users: u32, interims: u32, requests: u64) -> Waves {
        let steps = u64::from(interims) + 2;
        Waves {
            users: u64::from(users.max(1)),
            sessions: requests.div_ceil(steps),
            steps,
        }
    }

    fn records(&self) -> u64 {
        self.sessions * self.steps
    }

    fn at(&self, index: u64) -> SessionStep {
        let wave_records = self.users * self.steps;
        let wave = index / wave_records;
        let first_session = wave * self.users;
        // The last wave may hold fewer sessions.
        let width = (self.sessions - first_session.min(self.sessions)).clamp(1, self.users);
        let within = index % wave_records;
        let step = within / width;
        let member = within % width;
        SessionStep {
            session: first_session + member,
            user: member as u32,
            step: step as u32,
        }
    }
}

struct AcctWork {
    subscribers: Subscribers,
    secret: Vec<u8>,
    interims: u32,
    waves: Waves,
    /// Random per run, so session ids never collide with an earlier run's.
    run_tag: u32,
    classes: Option<Vec<OnceLock<Vec<u8>>>>,
}

impl Workload for AcctWork {
    fn build(&self, index: u64, identifier: u8, buf: Vec<u8>) -> (Vec<u8>, [u8; 16]) {
        let SessionStep {
            session,
            user,
            step,
        } = self.waves.at(index);
        let u = user as usize;
        let status = acct_step(step, self.interims);
        let name = self.subscribers.names.get(u).map_or("", String::as_str);
        let mac = self.subscribers.macs.get(u).map_or("", String::as_str);
        let mut session_id = [0u8; 16];
        let _ = write_hex(&mut session_id[..8], u64::from(self.run_tag));
        let _ = write_hex(&mut session_id[8..], session);
        let mut b = PacketBuilder::with_buffer(buf, Code::AccountingRequest, identifier, &[0; 16]);
        let _ = b.add_u32(attr::ACCT_STATUS_TYPE, status);
        let _ = b.add_str(attr::USER_NAME, name);
        let _ = b.add(attr::ACCT_SESSION_ID, &session_id);
        let _ = b.add_str(attr::CALLING_STATION_ID, mac);
        let _ = b.add_str(attr::CALLED_STATION_ID, HOTSPOT_SERVER);
        let _ = b.add_u32(attr::NAS_PORT_TYPE, nas_port_type::WIRELESS_802_11);
        let _ = b.add_u32(attr::NAS_PORT, 0x8040_0000 | (user & 0xFFFF));
        let _ = b.add_str(attr::NAS_PORT_ID, HOTSPOT_INTERFACE);
        let _ = b.add_ipv4(attr::FRAMED_IP_ADDRESS, client_ip(user));
        let _ = b.add_vsa(
            mikrotik::VENDOR_ID,
            mikrotik::HOST_IP,
            &client_ip(user).octets(),
        );
        let _ = b.add_u32(attr::ACCT_AUTHENTIC, 1);
        let _ = b.add_u32(attr::ACCT_DELAY_TIME, 0);
        let _ = b.add_u32(attr::EVENT_TIMESTAMP, unix_now());
        if let Some(class) = self
            .classes
            .as_ref()
            .and_then(|c| c.get(u))
            .and_then(OnceLock::get)
        {
            let _ = b.add(attr::CLASS, class);
        }
        if status != acct_status_type::START {
            // Counters grow a minute and a few megabytes per record; past 4 GiB they
            // wrap into Gigawords as on the router.
            let minutes = u64::from(step);
            let input = minutes * 3_000_000 + session % 1000;
            let output = minutes * 45_000_000 + session % 1000;
            let _ = b.add_u32(attr::ACCT_SESSION_TIME, (minutes * 60) as u32);
            let _ = b.add_u32(attr::ACCT_INPUT_OCTETS, input as u32);
            let _ = b.add_u32(attr::ACCT_OUTPUT_OCTETS, output as u32);
            let _ = b.add_u32(attr::ACCT_INPUT_GIGAWORDS, (input >> 32) as u32);
            let _ = b.add_u32(attr::ACCT_OUTPUT_GIGAWORDS, (output >> 32) as u32);
            let _ = b.add_u32(attr::ACCT_INPUT_PACKETS, (input / 1200) as u32);
            let _ = b.add_u32(attr::ACCT_OUTPUT_PACKETS, (output / 1400) as u32);
        }
        if status == acct_status_type::STOP {
            let _ = b.add_u32(
                attr::ACCT_TERMINATE_CAUSE,
                acct_terminate_cause::USER_REQUEST,
            );
        }
        let _ = b.add_str(attr::NAS_IDENTIFIER, ROUTER_IDENTITY);
        let _ = b.add_ipv4(attr::NAS_IP_ADDRESS, ROUTER_IP);
        let datagram = b.finish_request(&self.secret);
        let mut authenticator = [0u8; 16];
        if let Some(a) = datagram.get(4..20) {
            authenticator.copy_from_slice(a);
        }
        (datagram, authenticator)
    }

    fn classify(&self, _index: u64, reply: &Packet<'_>) -> Outcome {
        match reply.code() {
            Code::AccountingResponse => Outcome::Response,
            _ => Outcome::Unexpected,
        }
    }

    fn requires_message_authenticator(&self) -> bool {
        false
    }
}

/// Writes `value` as lower-case hex into all of `out` (most significant digit first).
fn write_hex(out: &mut [u8], mut value: u64) -> Option<()> {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for b in out.iter_mut().rev() {
        *b = *DIGITS.get((value & 0xF) as usize)?;
        value >>= 4;
    }
    Some(())
}

impl AcctBench {
    /// Logs users in first if asked, then sends whole sessions' accounting and
    /// measures the answers. The login pass is reported separately, not timed in.
    pub async fn run(&self) -> Result<(Option<Report>, Report), BenchError> {
        self.load.check()?;
        self.users.check()?;
        let waves = Waves::new(self.users.count, self.interims, self.load.requests);
        let users_used = waves.sessions.min(u64::from(self.users.count)) as u32;
        let mut login = None;
        let mut classes = None;
        if let Some(auth_server) = self.login_first {
            let auth = AuthBench {
                load: Load {
                    server: auth_server,
                    requests: u64::from(users_used),
                    rate: None,
                    ..self.load.clone()
                },
                users: Users {
                    count: users_used,
                    ..self.users.clone()
                },
                chap: false,
                expect_rate_limit: None,
            };
            let work = Arc::new(auth.work(true));
            let report = run("auth-pap", work.clone(), &auth.load, auth.load.requests).await?;
            login = Some(report);
            classes = Arc::into_inner(work).and_then(|w| w.classes);
        }
        let work = AcctWork {
            subscribers: Subscribers::new(&self.users),
            secret: self.load.secret.as_bytes().to_vec(),
            interims: self.interims,
            waves,
            run_tag: rand::random(),
            classes,
        };
        let report = run("acct", Arc::new(work), &self.load, waves.records()).await?;
        Ok((login, report))
    }
}

/// The `Class` smartx puts in an Access-Accept for static account `account_id` of
/// group `group_id`, so a FreeRADIUS configuration can reply with the same bytes.
pub fn account_class(account_id: i64, group_id: i64) -> String {
    crate::class::encode(crm::hotspot::Subject::Account(account_id), group_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let sorted: Vec<u64> = (1..=100).collect();
        assert_eq!(percentile(&sorted, 50.0), Some(50));
        assert_eq!(percentile(&sorted, 90.0), Some(90));
        assert_eq!(percentile(&sorted, 99.0), Some(99));
        assert_eq!(percentile(&sorted, 100.0), Some(100));
        assert_eq!(percentile(&sorted, 0.0), Some(1));
        assert_eq!(percentile(&sorted, 0.5), Some(1));
        assert_eq!(percentile(&sorted, 99.1), Some(100));
        assert_eq!(percentile(&[], 50.0), None);
        assert_eq!(percentile(&[7], 50.0), Some(7));
        assert_eq!(percentile(&[7], 99.0), Some(7));
        // Out-of-range p is clamped.
        assert_eq!(percentile(&sorted, 150.0), Some(100));
        assert_eq!(percentile(&sorted, -3.0), Some(1));
    }

    #[test]
    fn percentiles_sort_their_samples() {
        let mut samples = vec![900, 100, 300, 200, 1000, 500, 400, 800, 700, 600];
        let p = Percentiles::of(&mut samples);
        assert_eq!(
            p,
            Percentiles {
                p50: 500,
                p90: 900,
                p99: 1000,
                max: 1000
            }
        );
        // Ten samples: the 99th percentile is the largest, not an interpolation.
        let mut few = vec![5, 1, 3];
        assert_eq!(Percentiles::of(&mut few).p50, 3);
        assert_eq!(Percentiles::of(&mut []), Percentiles::default());
        // A long tail shows in p99 and max but not in p50.
        let mut tail: Vec<u64> = std::iter::repeat_n(100, 990)
            .chain(std::iter::repeat_n(5_000, 10))
            .collect();
        let p = Percentiles::of(&mut tail);
        assert_eq!((p.p50, p.p90, p.p99, p.max), (100, 100, 100, 5_000));
        tail.push(5_000);
        assert_eq!(Percentiles::of(&mut tail).p99, 5_000);
    }

    #[test]
    fn tallies_add_up() {
        let mut a = Tally {
            sent: 3,
            accepts: 2,
            timeouts: 1,
            latencies_us: vec![10, 20],
            ..Tally::default()
        };
        a.merge(Tally {
            sent: 2,
            rejects: 1,
            accepts: 1,
            latencies_us: vec![30, 40],
            ..Tally::default()
        });
        assert_eq!((a.sent, a.accepts, a.rejects, a.timeouts), (5, 3, 1, 1));
        assert_eq!(a.latencies_us.len(), 4);
    }

    fn load(concurrency: usize, sockets: Option<usize>) -> Load {
        Load {
            server: "127.0.0.1:1812".parse().unwrap(),
            secret: "s".into(),
            requests: 10,
            concurrency,
            sockets,
            timeout: Duration::from_secs(1),
            retries: 2,
            max_duration: Duration::from_secs(10),
            rate: None,
        }
    }

    #[test]
    fn windows_share_the_concurrency_and_fit_the_identifiers() {
        for c in [1, 3, 64, 129, 256, 1000, MAX_CONCURRENCY] {
            let w = load(c, None).windows();
            assert_eq!(w.iter().sum::<usize>(), c, "{c}");
            assert!(
                w.iter().all(|&n| (1..=MAX_WINDOW).contains(&n)),
                "{c}: {w:?}"
            );
        }
        assert_eq!(load(256, None).windows(), vec![64; 4]);
        // Asking for too few sockets still keeps every window within the Identifiers.
        assert!(
            load(1000, Some(1))
                .windows()
                .iter()
                .all(|&n| n <= MAX_WINDOW)
        );
        assert_eq!(load(10, Some(2)).windows(), vec![5, 5]);
    }

    #[test]
    fn waves_send_every_session_in_order() {
        // 3 users, 1 interim (3 records a session), 20 requests → 7 sessions, 21 records.
        let w = Waves::new(3, 1, 20);
        assert_eq!(w.records(), 21);
        let all: Vec<SessionStep> = (0..w.records()).map(|i| w.at(i)).collect();
        for s in 0..7u64 {
            let steps: Vec<u32> = all
                .iter()
                .filter(|x| x.session == s)
                .map(|x| x.step)
                .collect();
            assert_eq!(steps, vec![0, 1, 2], "session {s}");
        }
        // Records of one session are a wave apart; users stay within range.
        assert_eq!(all.first().map(|x| (x.session, x.step)), Some((0, 0)));
        assert_eq!(all.get(3).map(|x| (x.session, x.step)), Some((0, 1)));
        assert!(all.iter().all(|x| x.user < 3));
        // The last wave holds the one leftover session.
        assert_eq!(
            all.last().copied(),
            Some(SessionStep {
                session: 6,
                user: 0,
                step: 2
            })
        );
        assert_eq!(acct_step(0, 2), acct_status_type::START);
        assert_eq!(acct_step(2, 2), acct_status_type::INTERIM_UPDATE);
        assert_eq!(acct_step(3, 2), acct_status_type::STOP);
    }

    #[test]
    fn requests_look_like_a_mikrotik_hotspot_and_verify() {
        let bench = AuthBench {
            load: load(1, None),
            users: Users {
                count: 2,
                first: 1,
                user_prefix: "bench-user-".into(),
                password_prefix: "bench-pass-".into(),
            },
            chap: true,
            expect_rate_limit: Some("1M/2M".into()),
        };
        let work = bench.work(false);
        let (datagram, authenticator) = work.build(3, 9, Vec::new());
        let req = Packet::decode(&datagram).unwrap();
        assert_eq!(req.code(), Code::AccessRequest);
        assert_eq!(req.identifier(), 9);
        assert_eq!(req.authenticator(), &authenticator);
        assert_eq!(req.string(attr::USER_NAME), Some("bench-user-2"));
        assert_eq!(
            crate::packet::message_authenticator(&req, b"s", None),
            crate::packet::MessageAuthenticator::Valid
        );
        assert!(crate::packet::verify_chap(
            req.attribute(attr::CHAP_PASSWORD).unwrap(),
            b"bench-pass-2",
            req.chap_challenge()
        ));
        assert_eq!(
            req.string(attr::CALLING_STATION_ID),
            Some("02:BE:00:00:00:01")
        );
        assert_eq!(req.u32(attr::NAS_PORT_TYPE), Some(19));

        // An Accept with the expected rate limit counts as such; without it, as wrong policy.
        let mut b = PacketBuilder::reply(&req, Code::AccessAccept);
        b.add_vsa_str(mikrotik::VENDOR_ID, mikrotik::RATE_LIMIT, "1M/2M")
            .unwrap();
        let reply = b.finish_reply(&req, b"s");
        let reply = Packet::decode(&reply).unwrap();
        assert!(verify_response(&reply, &authenticator, b"s"));
        assert!(!verify_response(&reply, &[0; 16], b"s"));
        assert!(matches!(work.classify(3, &reply), Outcome::Accept));
        let bare = PacketBuilder::reply(&req, Code::AccessAccept).finish_reply(&req, b"s");
        assert!(matches!(
            work.classify(3, &Packet::decode(&bare).unwrap()),
            Outcome::WrongPolicy
        ));
    }

    #[test]
    fn accounting_requests_are_signed_and_counted_up() {
        let users = Users {
            count: 4,
            first: 1,
            user_prefix: "u".into(),
            password_prefix: "p".into(),
        };
        let work = AcctWork {
            subscribers: Subscribers::new(&users),
            secret: b"s".to_vec(),
            interims: 1,
            waves: Waves::new(4, 1, 12),
            run_tag: 0xabcd,
            classes: None,
        };
        let (stop, authenticator) = work.build(9, 1, Vec::new());
        let stop = Packet::decode(&stop).unwrap();
        assert!(crate::packet::verify_request_authenticator(&stop, b"s"));
        assert_eq!(stop.authenticator(), &authenticator);
        assert_eq!(
            stop.u32(attr::ACCT_STATUS_TYPE),
            Some(acct_status_type::STOP)
        );
        assert_eq!(stop.string(attr::USER_NAME), Some("u2"));
        assert_eq!(stop.string(attr::ACCT_SESSION_ID), Some("0000abcd00000001"));
        assert_eq!(stop.u32(attr::ACCT_SESSION_TIME), Some(120));
        assert_eq!(stop.attribute(attr::CLASS), None);
        let (start, _) = work.build(1, 2, Vec::new());
        let start = Packet::decode(&start).unwrap();
        assert_eq!(
            start.u32(attr::ACCT_STATUS_TYPE),
            Some(acct_status_type::START)
        );
        assert_eq!(start.u32(attr::ACCT_SESSION_TIME), None);
    }
}
