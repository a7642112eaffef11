//! Operating on hotspot sessions: finding one to act on, logging Disconnect/CoA
//! requests sent to routers, and closing sessions whose router went quiet.

use sqlx::Row;

use crate::branches::Scope;
use crate::error::{Error, Result};
use crate::generations::{self, Generation};
use crate::hotspot::Subject;
use crate::store::Store;
use crate::tenants::Tenant;

/// A session with what a Disconnect/CoA request needs to name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionTarget {
    pub id: i64,
    pub nas_id: i64,
    pub acct_session_id: String,
    pub username: String,
    pub subject: Option<Subject>,
    pub mac: Option<String>,
    pub framed_ip: Option<String>,
    /// The router's address as seen in its accounting, when known.
    pub nas_ip: Option<String>,
    pub stopped_at: Option<i64>,
}

pub async fn target(store: &Store, tenant: &Tenant, id: i64) -> Result<SessionTarget> {
    let row = sqlx::query(
        "SELECT id, nas_id, acct_session_id, username, customer_id, account_id, mac, framed_ip, \
         nas_ip, stopped_at FROM sessions WHERE tenant_id = $1 AND id = $2",
    )
    .bind(tenant.id)
    .bind(id)
    .fetch_optional(store.pool())
    .await?
    .ok_or_else(|| Error::NotFound(format!("session #{id}")))?;
    Ok(SessionTarget {
        id: row.try_get("id")?,
        nas_id: row.try_get("nas_id")?,
        acct_session_id: row.try_get("acct_session_id")?,
        username: row.try_get("username")?,
        subject: Subject::of_row(&row)?,
        mac: row.try_get("mac")?,
        framed_ip: row.try_get("framed_ip")?,
        nas_ip: row.try_get("nas_ip")?,
        stopped_at: row.try_get("stopped_at")?,
    })
}

/// The branch of the router a session of this tenant ran on (`None`: a router placed
/// in no branch); another tenant's session is not found.
pub async fn branch_of(store: &Store, tenant: &Tenant, id: i64) -> Result<Option<i64>> {
    let row: Option<(Option<i64>,)> = sqlx::query_as(
        "SELECT n.branch_id FROM sessions s JOIN nas n ON n.id = s.nas_id \
         WHERE s.tenant_id = $1 AND s.id = $2",
    )
    .bind(tenant.id)
    .bind(id)
    .fetch_optional(store.pool())
    .await?;
    row.map(|(b,)| b)
        .ok_or_else(|| Error::NotFound(format!("session #{id}")))
}

/// One Disconnect/CoA request and the router's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoaRecord<'a> {
    pub session_id: Option<i64>,
    /// `disconnect` or `coa`.
    pub kind: &'a str,
    /// Why it was sent: `operator`, `quota`, `blocked`, `hours`, `group_change`…
    pub reason: &'a str,
    /// `ack`, `nak`, `timeout` or `error`.
    pub outcome: &'a str,
    pub error_cause: Option<i64>,
    pub detail: Option<String>,
}

pub async fn record_coa(store: &Store, tenant: &Tenant, record: &CoaRecord<'_>) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO coa_requests (tenant_id, session_id, kind, reason, outcome, error_cause, detail, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(tenant.id)
    .bind(record.session_id)
    .bind(record.kind)
    .bind(record.reason)
    .bind(record.outcome)
    .bind(record.error_cause)
    .bind(&record.detail)
    .bind(crate::clock::now())
    .fetch_one(store.pool())
    .await?)
}

/// The requests sent for a session, oldest first: (kind, reason, outcome, at).
pub async fn coa_history(
    store: &Store,
    tenant: &Tenant,
    session_id: i64,
) -> Result<Vec<(String, String, String, i64)>> {
    Ok(sqlx::query_as(
        "SELECT kind, reason, outcome, created_at FROM coa_requests \
         WHERE tenant_id = $1 AND session_id = $2 ORDER BY id",
    )
    .bind(tenant.id)
    .bind(session_id)
    .fetch_all(store.pool())
    .await?)
}

/// Interims missed before a session counts as gone (its router rebooted without
/// Accounting-On, or the Stop was lost).
pub const STALE_AFTER_INTERIMS: i64 = 3;

/// Closes open sessions with no accounting for `STALE_AFTER_INTERIMS` × their group's
/// interim interval (5 minutes without a group), as of `now`. Returns how many.
pub async fn close_stale(store: &Store, now: i64) -> Result<u64> {
    let mut tx = store.begin().await?;
    let done = sqlx::query(
        "UPDATE sessions SET stopped_at = updated_at, terminate_cause = 'Stale' \
         WHERE stopped_at IS NULL AND updated_at < $1 - $2 * COALESCE( \
             (SELECT g.interim_interval FROM groups g WHERE g.id = sessions.group_id), 300)",
    )
    .bind(now)
    .bind(STALE_AFTER_INTERIMS)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() > 0 {
        // RADIUS nodes stop counting these against device limits within a second.
        generations::bump(&mut *tx, Generation::Sessions).await?;
    }
    tx.commit().await?;
    Ok(done.rows_affected())
}

/// Open sessions of one customer or account.
pub async fn open_for(store: &Store, tenant: &Tenant, subject: Subject) -> Result<Vec<i64>> {
    let column = match subject {
        Subject::Customer(_) => {
            "SELECT id FROM sessions WHERE tenant_id = $1 AND customer_id = $2 AND stopped_at IS NULL ORDER BY id"
        }
        Subject::Account(_) => {
            "SELECT id FROM sessions WHERE tenant_id = $1 AND account_id = $2 AND stopped_at IS NULL ORDER BY id"
        }
    };
    Ok(sqlx::query_scalar(column)
        .bind(tenant.id)
        .bind(subject.id())
        .fetch_all(store.pool())
        .await?)
}

/// Open sessions whose group has allowed hours, with what is needed to judge them:
/// (tenant id, session id, the group's allowed hours, the tenant's time zone).
pub async fn open_with_hours(store: &Store) -> Result<Vec<(i64, i64, String, String)>> {
    Ok(sqlx::query_as(
        "SELECT s.tenant_id, s.id, g.allowed_hours, t.time_zone FROM sessions s \
         JOIN groups g ON g.id = s.group_id JOIN tenants t ON t.id = s.tenant_id \
         WHERE s.stopped_at IS NULL AND g.allowed_hours IS NOT NULL",
    )
    .fetch_all(store.pool())
    .await?)
}

/// A session as a customer's page lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionSummary {
    pub id: i64,
    pub mac: Option<String>,
    pub framed_ip: Option<String>,
    pub started_at: i64,
    pub stopped_at: Option<i64>,
    pub session_time: i64,
    pub octets: i64,
    /// The router's name.
    pub router: Option<String>,
}

/// A customer's latest sessions on the routers of `scope`'s branches, newest first.
pub async fn recent_for_customer(
    store: &Store,
    tenant: &Tenant,
    scope: &Scope,
    customer_id: i64,
    limit: i64,
) -> Result<Vec<SessionSummary>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT s.id, s.mac, s.framed_ip, s.started_at, s.stopped_at, s.session_time, \
         CAST(s.input_octets + s.output_octets AS BIGINT) AS octets, n.name AS router \
         FROM sessions s LEFT JOIN nas n ON n.id = s.nas_id \
         WHERE s.tenant_id = $1 AND s.customer_id = $2 AND {} \
         ORDER BY s.started_at DESC LIMIT $3",
        scope.condition("n.branch_id")
    )))
    .bind(tenant.id)
    .bind(customer_id)
    .bind(limit.clamp(1, 200))
    .fetch_all(store.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(SessionSummary {
                id: r.try_get("id")?,
                mac: r.try_get("mac")?,
                framed_ip: r.try_get("framed_ip")?,
                started_at: r.try_get("started_at")?,
                stopped_at: r.try_get("stopped_at")?,
                session_time: r.try_get("session_time")?,
                octets: r.try_get("octets")?,
                router: r.try_get("router")?,
            })
        })
        .collect()
}
