//! The UDP side: sockets, a bounded set of workers per port, request validation,
//! retransmission handling, metrics, and keeping the NAS registry and caches fresh.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use crm::Store;
use crm::generations::{self, Generation};
use tokio::net::UdpSocket;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc, watch};
use tokio::task::JoinSet;

use crate::accounting::{self, Pending};
use crate::dedup::{Dedup, Seen, Ticket};
use crate::packet::{
    Code, MessageAuthenticator, Packet, PacketBuilder, message_authenticator,
    verify_request_authenticator,
};
use crate::registry::{NasEntry, NasRegistry};
use crate::subscribers::Subscribers;
use crate::{access, packet::dictionary as attr, quota};
use crm::accounting::AcctStatus;

/// Where to listen and how much to do at once.
#[derive(Debug, Clone)]
pub struct RadiusConfig {
    pub auth: SocketAddr,
    pub acct: SocketAddr,
    /// Access-Requests handled at once (each waits only on a cache miss).
    pub auth_workers: usize,
    /// Accounting records waiting for a commit at once; more wait in the socket buffer.
    pub acct_in_flight: usize,
    /// How often to look for changes made by other processes.
    pub reload_every: Duration,
}

impl RadiusConfig {
    pub fn new(auth: SocketAddr, acct: SocketAddr) -> Self {
        RadiusConfig {
            auth,
            acct,
            auth_workers: 64,
            acct_in_flight: 16_384,
            reload_every: Duration::from_secs(1),
        }
    }
}

/// State every worker reads.
pub struct Shared {
    pub store: Store,
    pub registry: NasRegistry,
    pub subscribers: Subscribers,
    auth_seen: Dedup,
    acct_seen: Dedup,
}

/// A started server: where it listens, and its tasks (they end when `stop` fires).
pub struct RadiusServer {
    pub auth_addr: SocketAddr,
    pub acct_addr: SocketAddr,
    pub tasks: JoinSet<()>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Port {
    Auth,
    Acct,
}

impl Port {
    fn label(self) -> &'static str {
        match self {
            Port::Auth => "auth",
            Port::Acct => "acct",
        }
    }
}

pub async fn start(
    store: Store,
    config: RadiusConfig,
    stop: watch::Receiver<bool>,
) -> crm::Result<RadiusServer> {
    let shared = Arc::new(Shared {
        registry: NasRegistry::default(),
        subscribers: Subscribers::new(store.clone()),
        auth_seen: Dedup::new(Duration::from_secs(30), 1_000_000),
        acct_seen: Dedup::new(Duration::from_secs(30), 1_000_000),
        store,
    });
    reload_nas(&shared).await?;
    shared
        .subscribers
        .load_live(crm::accounting::open_sessions(&shared.store).await?);

    let bind = |addr: SocketAddr| {
        bind_udp(addr).map_err(|e| {
            crm::Error::Invalid(format!("cannot listen for RADIUS on udp {addr}: {e}"))
        })
    };
    let auth = Arc::new(
        UdpSocket::from_std(bind(config.auth)?).map_err(|e| crm::Error::Invalid(e.to_string()))?,
    );
    let acct = bind(config.acct)?;
    let mut tasks = JoinSet::new();
    let auth_addr = auth
        .local_addr()
        .map_err(|e| crm::Error::Invalid(e.to_string()))?;
    let acct_addr = acct
        .local_addr()
        .map_err(|e| crm::Error::Invalid(e.to_string()))?;

    for _ in 0..config.auth_workers.max(1) {
        tasks.spawn(auth_worker(shared.clone(), auth.clone(), stop.clone()));
    }
    tasks.spawn(accounting_thread(
        shared.clone(),
        acct,
        config.acct_in_flight,
        stop.clone(),
    )?);
    tasks.spawn(follow_changes(shared.clone(), config.reload_every, stop));
    tracing::info!(%auth_addr, %acct_addr, routers = shared.registry.count(), "RADIUS listening");
    Ok(RadiusServer {
        auth_addr,
        acct_addr,
        tasks,
    })
}

/// Receive buffer asked for each RADIUS socket, so a burst (a router sending its queued
/// accounting after a reconnect, many guests at once) waits in the buffer instead of
/// being dropped and retransmitted a second later. The kernel caps it at
/// `net.core.rmem_max` (often 208 KiB unless raised); asking more is harmless.
const RECEIVE_BUFFER: usize = 8 << 20;

/// Accounting runs on a thread of its own, on a single-threaded runtime. Its tasks hand
/// every record on (receiver → writer → replier), and on the shared multi-threaded runtime
/// a hand-off may also wake an idle worker to steal the task. On its own thread the
/// hand-offs are plain polls (measured: a fifth fewer context switches per record at 128
/// in flight, half at 1,024; throughput unchanged, docs/benchmarks.md), and a burst of
/// accounting does not compete with auth and HTTP for the other runtime's workers. The
/// returned future ends when the accounting tasks have (after `stop`, once the last
/// committed batch is answered).
fn accounting_thread(
    shared: Arc<Shared>,
    socket: std::net::UdpSocket,
    in_flight: usize,
    stop: watch::Receiver<bool>,
) -> crm::Result<impl std::future::Future<Output = ()> + Send + 'static> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| crm::Error::Invalid(format!("cannot start the accounting runtime: {e}")))?;
    let (ended_tx, ended_rx) = tokio::sync::oneshot::channel::<()>();
    std::thread::Builder::new()
        .name("radius-acct".into())
        .spawn(move || {
            runtime.block_on(accounting_tasks(shared, socket, in_flight, stop));
            drop(ended_tx);
        })
        .map_err(|e| crm::Error::Invalid(format!("cannot start the accounting thread: {e}")))?;
    Ok(async move {
        let _ = ended_rx.await;
    })
}

async fn accounting_tasks(
    shared: Arc<Shared>,
    socket: std::net::UdpSocket,
    in_flight: usize,
    stop: watch::Receiver<bool>,
) {
    let socket = match UdpSocket::from_std(socket) {
        Ok(s) => Arc::new(s),
        Err(e) => {
            tracing::error!(error = %e, "cannot use the RADIUS accounting socket");
            return;
        }
    };
    let mut tasks = JoinSet::new();
    let (queue_tx, queue_rx) = mpsc::channel(in_flight.max(1));
    let (done_tx, done_rx) = mpsc::unbounded_channel();
    tasks.spawn(accounting::writer(shared.clone(), queue_rx, done_tx));
    let (quota_tx, quota_rx) = mpsc::channel(1024);
    tasks.spawn(quota::watch(shared.clone(), quota_rx));
    tasks.spawn(acct_replier(
        shared.clone(),
        socket.clone(),
        done_rx,
        quota_tx,
    ));
    // One receiver: on one thread a second would only be woken for the same datagrams.
    tasks.spawn(acct_receiver(
        shared.clone(),
        socket.clone(),
        queue_tx,
        Arc::new(Semaphore::new(in_flight.max(1))),
        stop,
    ));
    while tasks.join_next().await.is_some() {}
}

/// A bound, non-blocking UDP socket for RADIUS; made a tokio socket on the runtime that
/// serves it.
fn bind_udp(addr: SocketAddr) -> std::io::Result<std::net::UdpSocket> {
    use socket2::{Domain, Protocol, Socket, Type};
    let socket = Socket::new(Domain::for_address(addr), Type::DGRAM, Some(Protocol::UDP))?;
    if let Err(e) = socket.set_recv_buffer_size(RECEIVE_BUFFER) {
        tracing::debug!(error = %e, %addr, "cannot enlarge the RADIUS receive buffer");
    }
    socket.set_nonblocking(true)?;
    socket.bind(&addr.into())?;
    Ok(socket.into())
}

async fn reload_nas(shared: &Shared) -> crm::Result<()> {
    let routers = crm::nas::all(&shared.store).await?;
    let tenants = crm::tenants::list(&shared.store).await?;
    shared.registry.replace(routers, &tenants);
    Ok(())
}

/// How many change polls between re-reads of the open sessions.
const LIVE_RECHECK_TICKS: u64 = 30;

/// Polls the generation counters; reloads what another process changed.
async fn follow_changes(shared: Arc<Shared>, every: Duration, mut stop: watch::Receiver<bool>) {
    let mut known = generations::current(&shared.store)
        .await
        .unwrap_or_default();
    let mut tick = tokio::time::interval(every);
    let mut ticks: u64 = 0;
    loop {
        tokio::select! {
            _ = stop.wait_for(|s| *s) => return,
            _ = tick.tick() => {}
        }
        ticks += 1;
        let now = match generations::current(&shared.store).await {
            Ok(g) => g,
            Err(e) => {
                tracing::warn!(error = %e, "cannot read change counters");
                continue;
            }
        };
        let sessions_closed = now.get(&Generation::Sessions) != known.get(&Generation::Sessions);
        if sessions_closed || ticks % LIVE_RECHECK_TICKS == 0 {
            // Sessions the worker closed as stale (or another node closed) stop counting
            // against simultaneous-device limits here too.
            let before = shared.subscribers.live_keys();
            match crm::accounting::open_sessions(&shared.store).await {
                Ok(open) => shared.subscribers.drop_closed(before, &open),
                Err(e) => tracing::warn!(error = %e, "cannot re-read open sessions"),
            }
        }
        if now.get(&Generation::Nas) != known.get(&Generation::Nas) {
            match reload_nas(&shared).await {
                Ok(()) => tracing::info!(routers = shared.registry.count(), "NAS list reloaded"),
                Err(e) => tracing::warn!(error = %e, "NAS reload failed"),
            }
        }
        if now.get(&Generation::Subscribers) != known.get(&Generation::Subscribers) {
            shared.subscribers.invalidate_all();
            tracing::debug!("subscriber caches dropped after a change");
        }
        known = now;
    }
}

fn drop_packet(port: Port, reason: &'static str, source: SocketAddr) {
    metrics::counter!("radius_dropped_total", "port" => port.label(), "reason" => reason)
        .increment(1);
    tracing::debug!(%source, reason, port = port.label(), "RADIUS datagram dropped");
}

/// Common checks for both ports: decodes, finds the router, verifies signatures.
/// `Err` carries the drop reason.
fn admit<'a>(
    shared: &Shared,
    port: Port,
    datagram: &'a [u8],
    source: SocketAddr,
) -> Result<(Packet<'a>, Arc<NasEntry>), &'static str> {
    let packet = Packet::decode(datagram).map_err(|e| e.reason())?;
    let nas = shared.registry.lookup(source.ip()).ok_or("unknown_nas")?;
    let secret = nas.secret();
    let expected = match port {
        Port::Auth => [Code::AccessRequest, Code::StatusServer],
        Port::Acct => [Code::AccountingRequest, Code::StatusServer],
    };
    if !expected.contains(&packet.code()) {
        return Err("unexpected_code");
    }
    let ma = message_authenticator(&packet, secret, None);
    match packet.code() {
        Code::AccountingRequest if !verify_request_authenticator(&packet, secret) => {
            return Err("bad_authenticator");
        }
        // RFC 5997: Status-Server must be signed.
        Code::StatusServer if ma != MessageAuthenticator::Valid => {
            return Err("bad_message_authenticator");
        }
        Code::AccessRequest
            if ma == MessageAuthenticator::Absent && nas.nas.require_message_authenticator =>
        {
            return Err("missing_message_authenticator");
        }
        _ => {}
    }
    if ma == MessageAuthenticator::Invalid {
        return Err("bad_message_authenticator");
    }
    Ok((packet, nas))
}

fn status_reply(port: Port, req: &Packet<'_>, secret: &[u8]) -> Vec<u8> {
    let code = match port {
        Port::Auth => Code::AccessAccept,
        Port::Acct => Code::AccountingResponse,
    };
    let mut b = PacketBuilder::reply(req, code);
    let _ = b.add_str(attr::REPLY_MESSAGE, "smartx is up");
    b.finish_reply(req, secret)
}

async fn auth_worker(shared: Arc<Shared>, socket: Arc<UdpSocket>, mut stop: watch::Receiver<bool>) {
    let mut buf = vec![0u8; 4096];
    loop {
        let (len, source) = tokio::select! {
            _ = stop.wait_for(|s| *s) => return,
            r = socket.recv_from(&mut buf) => match r {
                Ok(r) => r,
                Err(e) => {
                    tracing::warn!(error = %e, "RADIUS auth receive failed");
                    continue;
                }
            },
        };
        let datagram = &buf[..len];
        let (req, nas) = match admit(&shared, Port::Auth, datagram, source) {
            Ok(v) => v,
            Err(reason) => {
                drop_packet(Port::Auth, reason, source);
                continue;
            }
        };
        let ticket = match shared
            .auth_seen
            .check(source, req.identifier(), req.authenticator())
        {
            Seen::New(t) => t,
            Seen::Answered(reply) => {
                metrics::counter!("radius_duplicates_total", "port" => "auth", "action" => "resent").increment(1);
                let _ = socket.send_to(&reply, source).await;
                continue;
            }
            Seen::InProgress => {
                metrics::counter!("radius_duplicates_total", "port" => "auth", "action" => "dropped").increment(1);
                continue;
            }
        };
        let reply = if req.code() == Code::StatusServer {
            metrics::counter!("radius_requests_total", "port" => "auth", "result" => "status")
                .increment(1);
            status_reply(Port::Auth, &req, nas.secret())
        } else {
            match access::decide(&shared, &nas, &req, crm::clock::now()).await {
                Ok(decision) => answer(&decision, &req, &nas),
                Err(e) => {
                    // No answer: the router retries, maybe after the database is back.
                    tracing::error!(error = %e, "cannot decide an Access-Request");
                    shared.auth_seen.abandon(ticket);
                    drop_packet(Port::Auth, "database_error", source);
                    continue;
                }
            }
        };
        shared.auth_seen.finish(ticket, &reply);
        if let Err(e) = socket.send_to(&reply, source).await {
            tracing::warn!(error = %e, %source, "cannot send RADIUS reply");
        }
    }
}

/// Counts a decision and signs it as Access-Accept or Access-Reject.
fn answer(decision: &access::Decision, req: &Packet<'_>, nas: &NasEntry) -> Vec<u8> {
    let result = match decision {
        access::Decision::Accept(_) => "accept",
        access::Decision::Reject(r) => {
            metrics::counter!("radius_rejects_total", "reason" => r.label()).increment(1);
            "reject"
        }
    };
    metrics::counter!("radius_requests_total", "port" => "auth", "result" => result).increment(1);
    access::encode(decision, req, nas.secret(), &nas.locale)
}

/// An Accounting-Response waiting for its record to be committed.
struct AcctReply {
    datagram: Vec<u8>,
    source: SocketAddr,
    ticket: Ticket,
    /// An interim update to check against quotas once it is stored.
    quota: Option<quota::Watch>,
    /// Held until the answer is sent: bounds the records waiting for a commit.
    _permit: OwnedSemaphorePermit,
}

async fn acct_receiver(
    shared: Arc<Shared>,
    socket: Arc<UdpSocket>,
    queue: mpsc::Sender<Pending<AcctReply>>,
    in_flight: Arc<Semaphore>,
    mut stop: watch::Receiver<bool>,
) {
    let mut buf = vec![0u8; 4096];
    loop {
        // Backpressure: with too many records waiting for a commit, stop reading and
        // let the socket buffer (and then the routers' retransmissions) hold the rest.
        let permit = tokio::select! {
            _ = stop.wait_for(|s| *s) => return,
            p = in_flight.clone().acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => return,
            },
        };
        let (len, source) = tokio::select! {
            _ = stop.wait_for(|s| *s) => return,
            r = socket.recv_from(&mut buf) => match r {
                Ok(r) => r,
                Err(e) => {
                    tracing::warn!(error = %e, "RADIUS acct receive failed");
                    continue;
                }
            },
        };
        let datagram = &buf[..len];
        let (req, nas) = match admit(&shared, Port::Acct, datagram, source) {
            Ok(v) => v,
            Err(reason) => {
                drop_packet(Port::Acct, reason, source);
                continue;
            }
        };
        let ticket = match shared
            .acct_seen
            .check(source, req.identifier(), req.authenticator())
        {
            Seen::New(t) => t,
            Seen::Answered(reply) => {
                metrics::counter!("radius_duplicates_total", "port" => "acct", "action" => "resent").increment(1);
                let _ = socket.send_to(&reply, source).await;
                continue;
            }
            Seen::InProgress => {
                metrics::counter!("radius_duplicates_total", "port" => "acct", "action" => "dropped").increment(1);
                continue;
            }
        };
        if req.code() == Code::StatusServer {
            let reply = status_reply(Port::Acct, &req, nas.secret());
            shared.acct_seen.finish(ticket, &reply);
            let _ = socket.send_to(&reply, source).await;
            continue;
        }
        let record = match accounting::parse(&nas, &req, source, crm::clock::now()) {
            Ok(r) => r,
            Err(reason) => {
                shared.acct_seen.abandon(ticket);
                drop_packet(Port::Acct, reason, source);
                continue;
            }
        };
        // The reply can be built now; it is sent only once the record is durable.
        let mut reply = PacketBuilder::reply(&req, Code::AccountingResponse);
        let _ = reply.add_from(&req, attr::PROXY_STATE);
        let quota = (record.status == AcctStatus::Interim).then(|| quota::Watch {
            tenant_id: record.tenant_id,
            subject: record.subject,
            group_id: record.group_id,
            username: (record.subject.is_none() || record.group_id.is_none())
                .then(|| record.username.clone()),
            day: record.day,
            zone: nas.zone.clone(),
        });
        let reply = AcctReply {
            datagram: reply.finish_reply(&req, nas.secret()),
            source,
            ticket,
            quota,
            _permit: permit,
        };
        if queue.send(Pending { record, reply }).await.is_err() {
            return;
        }
    }
}

/// Follows each committed batch: updates the caches (live sessions, usage), then sends
/// its Accounting-Responses (records that could not be stored get none, so the router
/// retransmits them).
async fn acct_replier(
    shared: Arc<Shared>,
    socket: Arc<UdpSocket>,
    mut done: mpsc::UnboundedReceiver<accounting::Committed<AcctReply>>,
    quotas: mpsc::Sender<Vec<quota::Watch>>,
) {
    while let Some(committed) = done.recv().await {
        for outcome in &committed.outcomes {
            shared.subscribers.apply(outcome);
        }
        let mut batch = committed.replies;
        let watches: Vec<quota::Watch> = batch
            .iter_mut()
            .filter(|(_, ok)| *ok)
            .filter_map(|(reply, _)| reply.quota.take())
            .collect();
        // A full checker queue means it is behind: skip (the next interim checks again)
        // rather than delay the Accounting-Responses.
        if !watches.is_empty() && quotas.try_send(watches).is_err() {
            metrics::counter!("radius_quota_checks_skipped_total").increment(1);
        }
        let stored = batch.iter().filter(|(_, ok)| *ok).count();
        metrics::counter!("radius_requests_total", "port" => "acct", "result" => "stored")
            .increment(stored as u64);
        for (reply, ok) in batch {
            if ok {
                shared.acct_seen.finish(reply.ticket, &reply.datagram);
                if let Err(e) = socket.send_to(&reply.datagram, reply.source).await {
                    tracing::warn!(error = %e, source = %reply.source, "cannot send Accounting-Response");
                }
            } else {
                shared.acct_seen.abandon(reply.ticket);
                drop_packet(Port::Acct, "database_error", reply.source);
            }
        }
    }
}
