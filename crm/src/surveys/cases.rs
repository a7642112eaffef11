//! Complaint follow-up, first step: a low overall rating opens a case and texts the
//! tenant's chosen phones at once (service SMS), in the answer's transaction.

use sqlx::{AnyConnection, AssertSqlSafe, Row};

use super::settings::SurveySettings;
use crate::audit::{self, Actor, Change};
use crate::branches::Scope;
use crate::error::{Error, Result};
use crate::phone::Phone;
use crate::store::Store;
use crate::tenants::Tenant;
use crate::ui::persian_digits;

/// How much of the comment an alert SMS carries.
const ALERT_COMMENT_CHARS: usize = 200;

/// A case as the operator lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Case {
    pub id: i64,
    pub status: String,
    pub invoice_id: i64,
    /// `+989…` of the customer.
    pub phone: String,
    pub rating: i64,
    pub comment: Option<String>,
    pub created_at: i64,
    /// The panel user following it up, with their phone.
    pub owner: Option<(i64, String)>,
}

/// Opens a case for a response whose rating is at or below the tenant's threshold and
/// queues the alerts; `None` if the rating is not low.
pub(crate) async fn open_if_low_in(
    conn: &mut AnyConnection,
    tenant: &Tenant,
    s: &SurveySettings,
    response_id: i64,
    rating: i64,
    now: i64,
) -> Result<Option<i64>> {
    if rating > s.alert_below {
        return Ok(None);
    }
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO survey_cases (tenant_id, response_id, status, created_at, updated_at) \
         VALUES ($1, $2, 'open', $3, $3) RETURNING id",
    )
    .bind(tenant.id)
    .bind(response_id)
    .bind(now)
    .fetch_one(&mut *conn)
    .await?;
    record_in(conn, id, "opened", None, None, now).await?;
    let branch_id: i64 = sqlx::query_scalar(
        "SELECT v.branch_id FROM survey_responses r \
         JOIN survey_invitations i ON i.id = r.invitation_id JOIN invoices v ON v.id = i.invoice_id \
         WHERE r.id = $1",
    )
    .bind(response_id)
    .fetch_one(&mut *conn)
    .await?;
    let users = super::alerts::users_for_branch_in(conn, tenant.id, branch_id).await?;
    if !s.alert_phones.is_empty() || !users.is_empty() {
        let case = by_id_in(conn, tenant, id).await?;
        let comment: String = case
            .comment
            .as_deref()
            .unwrap_or("")
            .chars()
            .take(ALERT_COMMENT_CHARS)
            .collect();
        let text = format!(
            "{}: امتیاز پایین {} از ۵ در نظرسنجی، فاکتور #{}، مشتری {}\n{comment}",
            tenant.name,
            persian_digits(&rating.to_string()),
            case.invoice_id,
            case.phone,
        );
        for phone in &s.alert_phones {
            let phone = Phone::parse(phone)?;
            let sms =
                crate::sms::enqueue_text_in(conn, tenant, &phone, &text, "survey_alert").await?;
            record_in(conn, id, "alert", Some(sms), Some(phone.e164()), now).await?;
        }
        super::alerts::notify_in(conn, tenant, id, &users, &text, now).await?;
    }
    Ok(Some(id))
}

macro_rules! select {
    () => {
        "SELECT k.id, k.status, k.created_at, r.rating, r.comment, i.invoice_id, c.phone, \
             k.owner_user_id, u.phone AS owner_phone \
         FROM survey_cases k JOIN survey_responses r ON r.id = k.response_id \
         JOIN survey_invitations i ON i.id = r.invitation_id JOIN customers c ON c.id = i.customer_id \
         LEFT JOIN panel_users u ON u.id = k.owner_user_id"
    };
}

fn from_row(r: &sqlx::any::AnyRow) -> Result<Case, sqlx::Error> {
    Ok(Case {
        id: r.try_get("id")?,
        status: r.try_get("status")?,
        invoice_id: r.try_get("invoice_id")?,
        phone: r.try_get("phone")?,
        rating: r.try_get("rating")?,
        comment: r.try_get("comment")?,
        created_at: r.try_get("created_at")?,
        owner: match r.try_get::<Option<i64>, _>("owner_user_id")? {
            Some(id) => Some((id, r.try_get("owner_phone")?)),
            None => None,
        },
    })
}

pub(crate) async fn by_id_in(conn: &mut AnyConnection, tenant: &Tenant, id: i64) -> Result<Case> {
    let row = sqlx::query(concat!(select!(), " WHERE k.tenant_id = $1 AND k.id = $2"))
        .bind(tenant.id)
        .bind(id)
        .fetch_one(&mut *conn)
        .await?;
    Ok(from_row(&row)?)
}

/// The tenant's cases, newest first (open ones only unless `all`).
pub async fn list(store: &Store, tenant: &Tenant, all: bool, limit: i64) -> Result<Vec<Case>> {
    let rows = sqlx::query(concat!(
        select!(),
        " WHERE k.tenant_id = $1 AND ($2 OR k.status <> 'resolved') ORDER BY k.id DESC LIMIT $3"
    ))
    .bind(tenant.id)
    .bind(all)
    .bind(limit.clamp(1, 1000))
    .fetch_all(store.pool())
    .await?;
    Ok(rows.iter().map(from_row).collect::<Result<_, _>>()?)
}

/// The tenant's cases about invoices of the branches in `scope`, in one status (all
/// when `None`), newest first.
pub async fn list_in_status(
    store: &Store,
    tenant: &Tenant,
    scope: &Scope,
    status: Option<&str>,
    limit: i64,
) -> Result<Vec<Case>> {
    let sql = format!(
        "{} JOIN invoices v ON v.id = i.invoice_id \
         WHERE k.tenant_id = $1 AND k.status = COALESCE($2, k.status) AND {} \
         ORDER BY k.id DESC LIMIT $3",
        select!(),
        scope.condition("v.branch_id")
    );
    let rows = sqlx::query(AssertSqlSafe(sql))
        .bind(tenant.id)
        .bind(status)
        .bind(limit.clamp(1, 1000))
        .fetch_all(store.pool())
        .await?;
    Ok(rows.iter().map(from_row).collect::<Result<_, _>>()?)
}

/// The branch of the invoice case `id` is about; `NotFound` if it is not the tenant's.
pub async fn branch_of(store: &Store, tenant: &Tenant, id: i64) -> Result<i64> {
    sqlx::query_scalar(
        "SELECT v.branch_id FROM survey_cases k JOIN survey_responses r ON r.id = k.response_id \
         JOIN survey_invitations i ON i.id = r.invitation_id JOIN invoices v ON v.id = i.invoice_id \
         WHERE k.tenant_id = $1 AND k.id = $2",
    )
    .bind(tenant.id)
    .bind(id)
    .fetch_optional(store.pool())
    .await?
    .ok_or_else(|| Error::NotFound(format!("case #{id}")))
}

/// Adds a line to the case's history, by the system.
pub(crate) async fn record_in(
    conn: &mut AnyConnection,
    case_id: i64,
    kind: &str,
    sms_id: Option<i64>,
    detail: Option<&str>,
    now: i64,
) -> Result<()> {
    record_by_in(conn, case_id, kind, sms_id, detail, None, now).await
}

/// Adds a line to the case's history, by a panel user (`None`: the system or the CLI).
pub(crate) async fn record_by_in(
    conn: &mut AnyConnection,
    case_id: i64,
    kind: &str,
    sms_id: Option<i64>,
    detail: Option<&str>,
    user_id: Option<i64>,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO survey_case_events (case_id, kind, sms_id, detail, user_id, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(case_id)
    .bind(kind)
    .bind(sms_id)
    .bind(detail)
    .bind(user_id)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// One line of a case's history; SMS lines carry the text as queued and its state now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseEvent {
    /// `invitation` (the survey SMS and reminders), `opened`, `alert`, `reply`, `status`,
    /// `owner`, `note`, `credit`.
    pub kind: String,
    pub detail: Option<String>,
    pub sms_body: Option<String>,
    pub sms_status: Option<String>,
    /// Who the SMS went to (`+989…`).
    pub sms_phone: Option<String>,
    /// The panel user who acted (`+989…`); `None` for the system and the command line.
    pub user: Option<String>,
    pub created_at: i64,
}

fn event_from_row(r: &sqlx::any::AnyRow) -> Result<CaseEvent, sqlx::Error> {
    Ok(CaseEvent {
        kind: r.try_get("kind")?,
        detail: r.try_get("detail")?,
        sms_body: r.try_get("body")?,
        sms_status: r.try_get("status")?,
        sms_phone: r.try_get("sms_phone")?,
        user: r.try_get("user_phone")?,
        created_at: r.try_get("created_at")?,
    })
}

/// A case's history, oldest first. `NotFound` if not the tenant's.
pub async fn history(
    store: &Store,
    tenant: &Tenant,
    case_id: i64,
) -> Result<(Case, Vec<CaseEvent>)> {
    let mut conn = store.pool().acquire().await?;
    let case = by_id_in(&mut conn, tenant, case_id)
        .await
        .map_err(|e| match e {
            Error::Database(sqlx::Error::RowNotFound) => {
                Error::NotFound(format!("case #{case_id}"))
            }
            e => e,
        })?;
    // What the customer was sent before answering, then the case's own lines.
    let sent = sqlx::query(
        "SELECT 'invitation' AS kind, CAST(NULL AS TEXT) AS detail, o.body, o.status, \
             o.phone AS sms_phone, CAST(NULL AS TEXT) AS user_phone, o.created_at \
         FROM survey_cases k JOIN survey_responses r ON r.id = k.response_id \
         JOIN survey_invitation_sms s ON s.invitation_id = r.invitation_id \
         JOIN sms_outbox o ON o.id = s.sms_id WHERE k.id = $1 ORDER BY o.id",
    )
    .bind(case.id)
    .fetch_all(&mut *conn)
    .await?;
    let rows = sqlx::query(
        "SELECT e.kind, e.detail, o.body, o.status, o.phone AS sms_phone, u.phone AS user_phone, \
             e.created_at FROM survey_case_events e \
         LEFT JOIN sms_outbox o ON o.id = e.sms_id LEFT JOIN panel_users u ON u.id = e.user_id \
         WHERE e.case_id = $1 ORDER BY e.id",
    )
    .bind(case.id)
    .fetch_all(&mut *conn)
    .await?;
    let events = sent
        .iter()
        .chain(&rows)
        .map(event_from_row)
        .collect::<Result<_, sqlx::Error>>()?;
    Ok((case, events))
}

/// Where a case is in its follow-up.
pub const STATUSES: [&str; 3] = ["open", "contacted", "resolved"];

/// Moves a case to `status` (open, contacted or resolved), audited. `NotFound` if not
/// the tenant's.
pub async fn set_status(
    store: &Store,
    tenant: &Tenant,
    id: i64,
    status: &str,
    actor: Actor,
    now: i64,
) -> Result<()> {
    let status = status.trim();
    if !STATUSES.contains(&status) {
        return Err(Error::invalid(format!(
            "unknown case status {status:?}: expected open, contacted or resolved"
        )));
    }
    let mut tx = store.begin().await?;
    let before = lock_in(&mut tx, tenant, id, now).await?.status;
    sqlx::query("UPDATE survey_cases SET status = $3 WHERE tenant_id = $1 AND id = $2")
        .bind(tenant.id)
        .bind(id)
        .bind(status)
        .execute(&mut *tx)
        .await?;
    record_by_in(
        &mut tx,
        id,
        "status",
        None,
        Some(status),
        actor.user_id,
        now,
    )
    .await?;
    audit_case(
        &mut tx,
        tenant,
        actor,
        "case.status",
        id,
        Some(serde_json::json!({ "status": before })),
        serde_json::json!({ "status": status }),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Gives the customer of a case `amount` rials of club credit as compensation (spendable
/// at once, the club's expiry), recorded in the ledger (`manual`, "survey case #N: …")
/// and in the case's history in one transaction; returns the ledger entry id.
///
/// The operator's tool: staff acting from the panel must go through the manual-credit
/// rules (daily cap, fraud screening) of `club::manual` instead.
pub async fn compensate(
    store: &Store,
    tenant: &Tenant,
    case_id: i64,
    amount: i64,
    reason: &str,
    now: i64,
) -> Result<i64> {
    crate::ledger::check_amount(amount, "the compensation")?;
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 150 {
        return Err(Error::invalid(
            "compensation needs a reason of 1 to 150 characters",
        ));
    }
    let mut tx = store.begin().await?;
    let customer_id: i64 = sqlx::query_scalar(
        "SELECT i.customer_id FROM survey_cases k JOIN survey_responses r ON r.id = k.response_id \
         JOIN survey_invitations i ON i.id = r.invitation_id WHERE k.tenant_id = $1 AND k.id = $2",
    )
    .bind(tenant.id)
    .bind(case_id)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| Error::NotFound(format!("case #{case_id}")))?;
    let club = crate::club::settings::get_in(&mut tx, tenant.id, None).await?;
    crate::ledger::lock(&mut tx, tenant.id, customer_id).await?;
    let entry = crate::ledger::award_in(
        &mut tx,
        tenant.id,
        customer_id,
        &crate::ledger::Award {
            kind: crate::ledger::EntryKind::Manual,
            amount,
            reason: format!("survey case #{case_id}: {reason}"),
            actor: crate::ledger::Actor::System,
            invoice_id: None,
            spendable_at: now,
            expires_at: now + club.expiry_days * 86_400,
        },
        now,
    )
    .await?;
    let detail = format!("{amount} rials, ledger entry #{entry}: {reason}");
    record_in(&mut tx, case_id, "credit", None, Some(&detail), now).await?;
    tx.commit().await?;
    Ok(entry)
}

/// Takes a case for a change: writes first (so SQLite takes the write lock at once
/// rather than failing to upgrade a read when another writer came first), then reads it.
/// `NotFound` if not the tenant's.
pub(crate) async fn lock_in(
    conn: &mut AnyConnection,
    tenant: &Tenant,
    id: i64,
    now: i64,
) -> Result<Case> {
    let done =
        sqlx::query("UPDATE survey_cases SET updated_at = $3 WHERE tenant_id = $1 AND id = $2")
            .bind(tenant.id)
            .bind(id)
            .bind(now)
            .execute(&mut *conn)
            .await?;
    if done.rows_affected() == 0 {
        return Err(Error::NotFound(format!("case #{id}")));
    }
    by_id_in(conn, tenant, id).await
}

/// The audit line of a change made to a case, in its transaction.
pub(crate) async fn audit_case(
    conn: &mut AnyConnection,
    tenant: &Tenant,
    actor: Actor,
    action: &str,
    id: i64,
    before: Option<serde_json::Value>,
    after: serde_json::Value,
) -> Result<()> {
    audit::record(
        &mut *conn,
        actor,
        &Change {
            tenant_id: Some(tenant.id),
            action,
            entity: "survey_case",
            entity_id: Some(id),
            before,
            after: Some(after),
        },
    )
    .await
}
