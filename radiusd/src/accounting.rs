//! Accounting-Request: decoded here, made durable by the writer in batches, and
//! acknowledged only after the batch that holds it is committed.

use crm::accounting::{AccountingRecord, AcctStatus, BatchOutcome, record_batch};
use crm::devices::normalize_mac;
use tokio::sync::mpsc;

use crate::class;
use crate::packet::Packet;
use crate::packet::dictionary::{self as attr, acct_status_type, acct_terminate_cause as cause};
use crate::registry::NasEntry;
use crate::server::Shared;

/// A record waiting for its batch, and what to answer once it is durable.
pub struct Pending<R> {
    pub record: AccountingRecord,
    pub reply: R,
}

/// Why a request could not become a record; counted, and no reply is sent.
pub fn parse(
    nas: &NasEntry,
    req: &Packet<'_>,
    source: std::net::SocketAddr,
    now: i64,
) -> Result<AccountingRecord, &'static str> {
    let status = match req.u32(attr::ACCT_STATUS_TYPE) {
        Some(acct_status_type::START) => AcctStatus::Start,
        Some(acct_status_type::INTERIM_UPDATE) => AcctStatus::Interim,
        Some(acct_status_type::STOP) => AcctStatus::Stop,
        Some(acct_status_type::ACCOUNTING_ON) => AcctStatus::AccountingOn,
        Some(acct_status_type::ACCOUNTING_OFF) => AcctStatus::AccountingOff,
        Some(_) => return Err("unsupported_status_type"),
        None => return Err("missing_status_type"),
    };
    let on_off = matches!(status, AcctStatus::AccountingOn | AcctStatus::AccountingOff);
    let session_id = req.string(attr::ACCT_SESSION_ID).unwrap_or_default();
    let username = req.string(attr::USER_NAME).unwrap_or_default();
    if !on_off && (session_id.is_empty() || username.is_empty()) {
        return Err("missing_session");
    }
    let octets = |low: u8, high: u8| {
        let low = i64::from(req.u32(low).unwrap_or(0));
        let high = i64::from(req.u32(high).unwrap_or(0));
        (high << 32) | low
    };
    let event_time = now - i64::from(req.u32(attr::ACCT_DELAY_TIME).unwrap_or(0).min(86_400));
    let (subject, group_id) = match req.attribute(attr::CLASS).and_then(class::decode) {
        Some((s, g)) => (Some(s), Some(g)),
        None => (None, None),
    };
    Ok(AccountingRecord {
        tenant_id: nas.nas.tenant_id,
        nas_id: nas.nas.id,
        status,
        acct_session_id: session_id.to_string(),
        username: username.to_string(),
        subject,
        group_id,
        mac: req
            .string(attr::CALLING_STATION_ID)
            .and_then(|m| normalize_mac(m).ok()),
        framed_ip: req.ipv4(attr::FRAMED_IP_ADDRESS).map(|ip| ip.to_string()),
        nas_ip: Some(source.ip().to_string()),
        session_time: i64::from(req.u32(attr::ACCT_SESSION_TIME).unwrap_or(0)),
        input_octets: octets(attr::ACCT_INPUT_OCTETS, attr::ACCT_INPUT_GIGAWORDS),
        output_octets: octets(attr::ACCT_OUTPUT_OCTETS, attr::ACCT_OUTPUT_GIGAWORDS),
        terminate_cause: req
            .u32(attr::ACCT_TERMINATE_CAUSE)
            .map(terminate_cause_name),
        event_time,
        day: nas.zone.day_key(event_time),
    })
}

fn terminate_cause_name(code: u32) -> String {
    match code {
        cause::USER_REQUEST => "User-Request".into(),
        cause::LOST_CARRIER => "Lost-Carrier".into(),
        cause::LOST_SERVICE => "Lost-Service".into(),
        cause::IDLE_TIMEOUT => "Idle-Timeout".into(),
        cause::SESSION_TIMEOUT => "Session-Timeout".into(),
        cause::ADMIN_RESET => "Admin-Reset".into(),
        cause::ADMIN_REBOOT => "Admin-Reboot".into(),
        cause::NAS_ERROR => "NAS-Error".into(),
        cause::NAS_REQUEST => "NAS-Request".into(),
        cause::NAS_REBOOT => "NAS-Reboot".into(),
        other => format!("cause-{other}"),
    }
}

/// Most records committed in one transaction.
const MAX_BATCH: usize = 4096;

/// A committed batch: what it changed, for the in-memory caches, and its replies, each
/// with whether its record is stored.
pub struct Committed<R> {
    pub outcomes: Vec<BatchOutcome>,
    pub replies: Vec<(R, bool)>,
}

/// Group commit: takes whatever queued while the previous commit ran, writes it in one
/// transaction, then hands the result on to `done`, which updates the caches and sends
/// the replies while the next batch is written. A failed batch is retried record by
/// record once (so one bad record cannot sink its neighbours); what still fails gets no
/// reply, and the router retransmits it.
pub async fn writer<R>(
    shared: std::sync::Arc<Shared>,
    mut queue: mpsc::Receiver<Pending<R>>,
    done: mpsc::UnboundedSender<Committed<R>>,
) {
    let mut batch: Vec<Pending<R>> = Vec::with_capacity(MAX_BATCH);
    while queue.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let (records, replies): (Vec<AccountingRecord>, Vec<R>) =
            batch.drain(..).map(|p| (p.record, p.reply)).unzip();
        metrics::histogram!("radius_accounting_batch_size").record(records.len() as f64);
        let committed = match record_batch(&shared.store, &records).await {
            Ok(outcome) => Committed {
                outcomes: vec![outcome],
                replies: replies.into_iter().map(|r| (r, true)).collect(),
            },
            Err(e) => {
                tracing::warn!(error = %e, records = records.len(), "accounting batch failed; retrying one by one");
                let mut committed = Committed {
                    outcomes: Vec::new(),
                    replies: Vec::with_capacity(replies.len()),
                };
                for (record, reply) in records.iter().zip(replies) {
                    let ok = match record_batch(&shared.store, std::slice::from_ref(record)).await {
                        Ok(outcome) => {
                            committed.outcomes.push(outcome);
                            true
                        }
                        Err(e) => {
                            tracing::error!(error = %e, session = %record.acct_session_id, "accounting record not stored");
                            false
                        }
                    };
                    committed.replies.push((reply, ok));
                }
                committed
            }
        };
        if done.send(committed).is_err() {
            return;
        }
    }
}
