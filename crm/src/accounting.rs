//! Accounting: sessions and per-day usage, written in batches.
//!
//! RADIUS acknowledges an Accounting-Request only once its record is committed, so
//! records are applied many to a transaction (group commit): one commit, one fsync,
//! for a whole batch. Counters arrive cumulative per session; what a record adds to
//! the day's usage is its increase over what the session had stored.

use sqlx::{Any, Row, Transaction};

use crate::error::Result;
use crate::hotspot::Subject;
use crate::store::Store;

/// Acct-Status-Type values we act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AcctStatus {
    Start,
    Interim,
    Stop,
    /// The router (re)started or stopped accounting: its open sessions are over.
    AccountingOn,
    AccountingOff,
}

/// One Accounting-Request, as decoded by the RADIUS server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountingRecord {
    pub tenant_id: i64,
    pub nas_id: i64,
    pub status: AcctStatus,
    pub acct_session_id: String,
    pub username: String,
    /// From the `Class` we put in the Access-Accept; resolved by username if absent.
    pub subject: Option<Subject>,
    pub group_id: Option<i64>,
    pub mac: Option<String>,
    pub framed_ip: Option<String>,
    pub session_time: i64,
    /// Octets with Gigawords folded in.
    pub input_octets: i64,
    pub output_octets: i64,
    pub terminate_cause: Option<String>,
    /// When it happened (now minus Acct-Delay-Time), unix seconds.
    pub event_time: i64,
    /// Local day (`YYYYMMDD`, tenant zone) the usage counts on.
    pub day: i64,
}

/// What a batch changed, so in-memory caches can follow without re-reading.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BatchOutcome {
    /// (tenant, subject, day, added usage) for every record that added some.
    pub usage: Vec<(i64, Subject, i64, crate::usage::Usage)>,
    /// Sessions that are now open / closed: (nas, acct session id, username, subject).
    pub opened: Vec<OpenSession>,
    pub closed: Vec<(i64, String, String)>,
    /// Routers whose sessions were all closed by Accounting-On/Off.
    pub nas_reset: Vec<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenSession {
    pub tenant_id: i64,
    pub nas_id: i64,
    pub acct_session_id: String,
    pub username: String,
    pub subject: Option<Subject>,
}

/// Applies all records in one transaction: all of them are stored, or none.
pub async fn record_batch(store: &Store, records: &[AccountingRecord]) -> Result<BatchOutcome> {
    let mut outcome = BatchOutcome::default();
    let mut tx = store.pool().begin().await?;
    for record in records {
        apply(&mut tx, record, &mut outcome).await?;
    }
    tx.commit().await?;
    Ok(outcome)
}

async fn apply(
    tx: &mut Transaction<'_, Any>,
    r: &AccountingRecord,
    out: &mut BatchOutcome,
) -> Result<()> {
    if matches!(
        r.status,
        AcctStatus::AccountingOn | AcctStatus::AccountingOff
    ) {
        sqlx::query(
            "UPDATE sessions SET stopped_at = $2, updated_at = $2, terminate_cause = 'NAS-Reboot' \
             WHERE nas_id = $1 AND stopped_at IS NULL",
        )
        .bind(r.nas_id)
        .bind(r.event_time)
        .execute(&mut **tx)
        .await?;
        out.nas_reset.push(r.nas_id);
        return Ok(());
    }
    let subject = match r.subject {
        Some(s) => Some(s),
        None => resolve_subject(tx, r.tenant_id, &r.username).await?,
    };
    let existing = sqlx::query(
        "SELECT id, session_time, input_octets, output_octets, stopped_at FROM sessions \
         WHERE nas_id = $1 AND acct_session_id = $2 AND username = $3",
    )
    .bind(r.nas_id)
    .bind(&r.acct_session_id)
    .bind(&r.username)
    .fetch_optional(&mut **tx)
    .await?;
    let stopped_at = (r.status == AcctStatus::Stop).then_some(r.event_time);
    let mut was_stopped = false;
    let added = match existing {
        None => {
            // Also a Stop or Interim for a session whose Start was lost: stored, not lost.
            let (customer_id, account_id) = split(subject);
            sqlx::query(
                "INSERT INTO sessions (tenant_id, nas_id, acct_session_id, username, customer_id, \
                 account_id, group_id, mac, framed_ip, started_at, updated_at, stopped_at, session_time, \
                 input_octets, output_octets, terminate_cause) \
                 VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16)",
            )
            .bind(r.tenant_id)
            .bind(r.nas_id)
            .bind(&r.acct_session_id)
            .bind(&r.username)
            .bind(customer_id)
            .bind(account_id)
            .bind(r.group_id)
            .bind(&r.mac)
            .bind(&r.framed_ip)
            .bind(r.event_time - r.session_time.max(0))
            .bind(r.event_time)
            .bind(stopped_at)
            .bind(r.session_time)
            .bind(r.input_octets)
            .bind(r.output_octets)
            .bind(&r.terminate_cause)
            .execute(&mut **tx)
            .await?;
            crate::usage::Usage {
                session_time: r.session_time.max(0),
                input_octets: r.input_octets.max(0),
                output_octets: r.output_octets.max(0),
            }
        }
        Some(row) => {
            let id: i64 = row.try_get("id")?;
            let old_time: i64 = row.try_get("session_time")?;
            let old_in: i64 = row.try_get("input_octets")?;
            let old_out: i64 = row.try_get("output_octets")?;
            was_stopped = row.try_get::<Option<i64>, _>("stopped_at")?.is_some();
            // Counters only grow; a smaller value is a late or reordered record.
            sqlx::query(
                "UPDATE sessions SET session_time = $2, input_octets = $3, output_octets = $4, \
                 updated_at = $5, stopped_at = COALESCE(stopped_at, $6), \
                 terminate_cause = COALESCE(terminate_cause, $7), \
                 framed_ip = COALESCE(framed_ip, $8) WHERE id = $1",
            )
            .bind(id)
            .bind(old_time.max(r.session_time))
            .bind(old_in.max(r.input_octets))
            .bind(old_out.max(r.output_octets))
            .bind(r.event_time)
            .bind(stopped_at)
            .bind(&r.terminate_cause)
            .bind(&r.framed_ip)
            .execute(&mut **tx)
            .await?;
            crate::usage::Usage {
                session_time: (r.session_time - old_time).max(0),
                input_octets: (r.input_octets - old_in).max(0),
                output_octets: (r.output_octets - old_out).max(0),
            }
        }
    };
    if let Some(subject) = subject {
        if added != crate::usage::Usage::default() {
            sqlx::query(
                "INSERT INTO usage_daily (tenant_id, subject_kind, subject_id, day, session_time, \
                 input_octets, output_octets) VALUES ($1, $2, $3, $4, $5, $6, $7) \
                 ON CONFLICT (tenant_id, subject_kind, subject_id, day) DO UPDATE SET \
                 session_time = usage_daily.session_time + excluded.session_time, \
                 input_octets = usage_daily.input_octets + excluded.input_octets, \
                 output_octets = usage_daily.output_octets + excluded.output_octets",
            )
            .bind(r.tenant_id)
            .bind(subject.kind())
            .bind(subject.id())
            .bind(r.day)
            .bind(added.session_time)
            .bind(added.input_octets)
            .bind(added.output_octets)
            .execute(&mut **tx)
            .await?;
            out.usage.push((r.tenant_id, subject, r.day, added));
        }
    }
    // A late interim after the Stop leaves the session closed.
    if r.status == AcctStatus::Stop || was_stopped {
        out.closed
            .push((r.nas_id, r.acct_session_id.clone(), r.username.clone()));
    } else {
        out.opened.push(OpenSession {
            tenant_id: r.tenant_id,
            nas_id: r.nas_id,
            acct_session_id: r.acct_session_id.clone(),
            username: r.username.clone(),
            subject,
        });
    }
    Ok(())
}

fn split(subject: Option<Subject>) -> (Option<i64>, Option<i64>) {
    match subject {
        Some(Subject::Customer(id)) => (Some(id), None),
        Some(Subject::Account(id)) => (None, Some(id)),
        None => (None, None),
    }
}

/// Who a User-Name belongs to, for records without our `Class`.
async fn resolve_subject(
    tx: &mut Transaction<'_, Any>,
    tenant_id: i64,
    username: &str,
) -> Result<Option<Subject>> {
    let row = sqlx::query(
        "SELECT 'account' AS kind, id FROM hotspot_accounts WHERE tenant_id = $1 AND username = $2 \
         UNION ALL SELECT 'customer', customer_id FROM hotspot_tokens WHERE tenant_id = $1 AND username = $2 \
         UNION ALL SELECT 'customer', customer_id FROM devices WHERE tenant_id = $1 AND mac = $3",
    )
    .bind(tenant_id)
    .bind(username)
    .bind(crate::devices::normalize_mac(username).unwrap_or_default())
    .fetch_optional(&mut **tx)
    .await?;
    Ok(match row {
        Some(row) => Subject::from_parts(&row.try_get::<String, _>("kind")?, row.try_get("id")?),
        None => None,
    })
}

/// Open sessions (all routers): what the RADIUS server counts simultaneous use from.
pub async fn open_sessions(store: &Store) -> Result<Vec<OpenSession>> {
    let rows = sqlx::query(
        "SELECT tenant_id, nas_id, acct_session_id, username, customer_id, account_id \
         FROM sessions WHERE stopped_at IS NULL",
    )
    .fetch_all(store.pool())
    .await?;
    rows.iter()
        .map(|row| {
            let customer: Option<i64> = row.try_get("customer_id")?;
            let account: Option<i64> = row.try_get("account_id")?;
            Ok(OpenSession {
                tenant_id: row.try_get("tenant_id")?,
                nas_id: row.try_get("nas_id")?,
                acct_session_id: row.try_get("acct_session_id")?,
                username: row.try_get("username")?,
                subject: customer
                    .map(Subject::Customer)
                    .or(account.map(Subject::Account)),
            })
        })
        .collect()
}

/// A stored session, for operators and tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub id: i64,
    pub nas_id: i64,
    pub nas_name: Option<String>,
    pub acct_session_id: String,
    pub username: String,
    pub subject: Option<Subject>,
    pub started_at: i64,
    pub stopped_at: Option<i64>,
    pub session_time: i64,
    pub input_octets: i64,
    pub output_octets: i64,
    pub terminate_cause: Option<String>,
}

pub async fn sessions(
    store: &Store,
    tenant_id: i64,
    only_open: bool,
    limit: i64,
) -> Result<Vec<Session>> {
    let rows = sqlx::query(
        "SELECT s.id, s.nas_id, n.name AS nas_name, s.acct_session_id, s.username, s.customer_id, \
         s.account_id, s.started_at, s.stopped_at, s.session_time, s.input_octets, s.output_octets, \
         s.terminate_cause FROM sessions s LEFT JOIN nas n ON n.id = s.nas_id \
         WHERE s.tenant_id = $1 AND ($2 = FALSE OR s.stopped_at IS NULL) ORDER BY s.id DESC LIMIT $3",
    )
    .bind(tenant_id)
    .bind(only_open)
    .bind(limit.clamp(1, 10_000))
    .fetch_all(store.pool())
    .await?;
    rows.iter()
        .map(|row| {
            let customer: Option<i64> = row.try_get("customer_id")?;
            let account: Option<i64> = row.try_get("account_id")?;
            Ok(Session {
                id: row.try_get("id")?,
                nas_id: row.try_get("nas_id")?,
                nas_name: row.try_get("nas_name")?,
                acct_session_id: row.try_get("acct_session_id")?,
                username: row.try_get("username")?,
                subject: customer
                    .map(Subject::Customer)
                    .or(account.map(Subject::Account)),
                started_at: row.try_get("started_at")?,
                stopped_at: row.try_get("stopped_at")?,
                session_time: row.try_get("session_time")?,
                input_octets: row.try_get("input_octets")?,
                output_octets: row.try_get("output_octets")?,
                terminate_cause: row.try_get("terminate_cause")?,
            })
        })
        .collect()
}
