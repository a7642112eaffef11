//! Following a case up from the panel: everything about it on one page (the invoice and
//! its items, the answers, the media, every message), and what staff do about it —
//! status, owner, notes, a canned reply by one click, compensation credit through the
//! club's manual-credit rules. Each change is a line of the case's history and an audit
//! entry, in one transaction.

use sqlx::Row;

use super::cases::{self, Case, CaseEvent, audit_case, lock_in, record_by_in};
use super::media::Media;
use super::{replies, settings};
use crate::audit::Actor;
use crate::club::manual;
use crate::error::{Error, Result};
use crate::phone::Phone;
use crate::store::Store;
use crate::tenants::Tenant;

/// Longest note kept on a case.
pub const MAX_NOTE_CHARS: usize = 1000;

/// One line of the invoice, with the customer's rating of it if they gave one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemLine {
    pub name: String,
    pub category: Option<String>,
    pub qty: i64,
    pub unit_price: i64,
    pub rating: Option<i64>,
}

/// What the case page shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseDetail {
    pub case: Case,
    pub customer_id: i64,
    pub branch: String,
    /// Who served the invoice, as the POS named them.
    pub staff: Option<String>,
    pub amount: i64,
    pub invoice_at: i64,
    pub nps: Option<i64>,
    pub items: Vec<ItemLine>,
    pub media: Vec<Media>,
    /// The answers to the "precision" questions, in the questions' order.
    pub answers: Vec<super::questions::Answered>,
    /// Oldest first: the survey SMS, then the case's own history.
    pub events: Vec<CaseEvent>,
}

fn not_found(id: i64) -> Error {
    Error::NotFound(format!("case #{id}"))
}

/// A case of the tenant with everything about it. `NotFound` if not the tenant's.
pub async fn detail(store: &Store, tenant: &Tenant, id: i64) -> Result<CaseDetail> {
    let (case, events) = cases::history(store, tenant, id).await?;
    let row = sqlx::query(
        "SELECT i.id AS invitation_id, i.customer_id, v.amount, v.created_at, b.name AS branch, v.staff, r.id AS response_id, r.nps \
         FROM survey_cases k JOIN survey_responses r ON r.id = k.response_id \
         JOIN survey_invitations i ON i.id = r.invitation_id JOIN invoices v ON v.id = i.invoice_id \
         JOIN branches b ON b.id = v.branch_id WHERE k.tenant_id = $1 AND k.id = $2",
    )
    .bind(tenant.id)
    .bind(id)
    .fetch_optional(store.pool())
    .await?
    .ok_or_else(|| not_found(id))?;
    let invitation_id: i64 = row.try_get("invitation_id")?;
    let response_id: i64 = row.try_get("response_id")?;
    let items = sqlx::query_as::<_, (String, Option<String>, i64, i64, Option<i64>)>(
        "SELECT it.name, it.category, it.qty, it.unit_price, s.rating FROM invoice_items it \
         LEFT JOIN survey_item_ratings s ON s.invoice_item_id = it.id AND s.response_id = $2 \
         WHERE it.invoice_id = $1 ORDER BY it.id",
    )
    .bind(case.invoice_id)
    .bind(response_id)
    .fetch_all(store.pool())
    .await?
    .into_iter()
    .map(|(name, category, qty, unit_price, rating)| ItemLine {
        name,
        category,
        qty,
        unit_price,
        rating,
    })
    .collect();
    let media = sqlx::query_as::<_, (i64, String, String, i64, String)>(
        "SELECT id, kind, content_type, size, file FROM survey_media \
         WHERE tenant_id = $1 AND invitation_id = $2 ORDER BY id",
    )
    .bind(tenant.id)
    .bind(invitation_id)
    .fetch_all(store.pool())
    .await?
    .into_iter()
    .map(|(id, kind, content_type, size, file)| Media {
        id,
        kind,
        content_type,
        size,
        file,
    })
    .collect();
    let answers = super::questions::answers_of(store, response_id).await?;
    Ok(CaseDetail {
        customer_id: row.try_get("customer_id")?,
        branch: row.try_get("branch")?,
        staff: row.try_get("staff")?,
        amount: row.try_get("amount")?,
        invoice_at: row.try_get("created_at")?,
        nps: row.try_get("nps")?,
        case,
        items,
        media,
        answers,
        events,
    })
}

/// One attachment of a case, only if both belong to the tenant (the panel serves it).
pub async fn media_of_case(
    store: &Store,
    tenant: &Tenant,
    case_id: i64,
    media_id: i64,
) -> Result<Media> {
    let (id, kind, content_type, size, file): (i64, String, String, i64, String) = sqlx::query_as(
        "SELECT m.id, m.kind, m.content_type, m.size, m.file FROM survey_media m \
             JOIN survey_responses r ON r.invitation_id = m.invitation_id \
             JOIN survey_cases k ON k.response_id = r.id \
             WHERE k.tenant_id = $1 AND m.tenant_id = $1 AND k.id = $2 AND m.id = $3",
    )
    .bind(tenant.id)
    .bind(case_id)
    .bind(media_id)
    .fetch_optional(store.pool())
    .await?
    .ok_or_else(|| Error::NotFound(format!("media #{media_id}")))?;
    Ok(Media {
        id,
        kind,
        content_type,
        size,
        file,
    })
}

/// Gives the case to a member of the tenant (`None`: nobody). Audited.
pub async fn assign(
    store: &Store,
    tenant: &Tenant,
    id: i64,
    owner: Option<i64>,
    actor: Actor,
    now: i64,
) -> Result<()> {
    let mut tx = store.begin().await?;
    let case = lock_in(&mut tx, tenant, id, now).await?;
    let phone = match owner {
        Some(user) => Some(
            sqlx::query_scalar::<_, String>(
                "SELECT u.phone FROM panel_memberships m JOIN panel_users u ON u.id = m.user_id \
                 WHERE m.tenant_id = $1 AND m.user_id = $2",
            )
            .bind(tenant.id)
            .bind(user)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| Error::invalid("the owner must be a member of this business"))?,
        ),
        None => None,
    };
    sqlx::query(
        "UPDATE survey_cases SET owner_user_id = $3, updated_at = $4 WHERE tenant_id = $1 AND id = $2",
    )
    .bind(tenant.id)
    .bind(id)
    .bind(owner)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    record_by_in(
        &mut tx,
        id,
        "owner",
        None,
        phone.as_deref(),
        actor.user_id,
        now,
    )
    .await?;
    audit_case(
        &mut tx,
        tenant,
        actor,
        "case.owner",
        id,
        Some(serde_json::json!({ "owner": case.owner.map(|(u, _)| u) })),
        serde_json::json!({ "owner": owner }),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Adds a note (what was said on the phone, what was promised). Audited.
pub async fn note(
    store: &Store,
    tenant: &Tenant,
    id: i64,
    text: &str,
    actor: Actor,
    now: i64,
) -> Result<()> {
    let text = text.trim();
    if text.is_empty() || text.chars().count() > MAX_NOTE_CHARS {
        return Err(Error::invalid(format!(
            "a note must be 1 to {MAX_NOTE_CHARS} characters"
        )));
    }
    if text
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r')
    {
        return Err(Error::invalid("the note contains control characters"));
    }
    let mut tx = store.begin().await?;
    lock_in(&mut tx, tenant, id, now).await?;
    record_by_in(&mut tx, id, "note", None, Some(text), actor.user_id, now).await?;
    audit_case(
        &mut tx,
        tenant,
        actor,
        "case.note",
        id,
        None,
        serde_json::json!({ "note": text }),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Which canned reply to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Canned {
    Happy,
    Unhappy,
}

/// The tenant's canned replies as they would be sent (`{tenant}` filled in).
pub async fn canned(store: &Store, tenant: &Tenant) -> Result<(Option<String>, Option<String>)> {
    let s = settings::get(store, tenant).await?;
    let fill = |t: Option<String>| t.map(|t| t.replace("{tenant}", &tenant.name));
    Ok((fill(s.reply_happy), fill(s.reply_unhappy)))
}

/// Texts the customer the tenant's canned reply (one click on the case page); returns
/// the SMS id. `Invalid` when the tenant wrote no such reply, `Conflict` when the SMS
/// wallet cannot pay for it (nothing is recorded then). Audited.
pub async fn reply(
    store: &Store,
    tenant: &Tenant,
    id: i64,
    which: Canned,
    actor: Actor,
    now: i64,
) -> Result<i64> {
    let mut tx = store.begin().await?;
    let case = lock_in(&mut tx, tenant, id, now).await?;
    let s = settings::get_in(&mut tx, tenant.id).await?;
    // The reply a top or a bottom rating would have earned.
    let rating = match which {
        Canned::Happy => 5,
        Canned::Unhappy => 1,
    };
    let text = replies::for_rating(&s, &tenant.name, rating)
        .ok_or_else(|| Error::invalid("no such canned reply is written in the survey settings"))?;
    let phone = Phone::parse(&case.phone)?;
    let sms = crate::sms::wallet::send_paid_in(&mut tx, tenant, &phone, &text, "survey_reply")
        .await?
        .ok_or_else(|| {
            Error::Conflict("the SMS wallet is empty: top it up to send this reply".into())
        })?;
    record_by_in(&mut tx, id, "reply", Some(sms), None, actor.user_id, now).await?;
    audit_case(
        &mut tx,
        tenant,
        actor,
        "case.reply",
        id,
        None,
        serde_json::json!({ "text": text }),
    )
    .await?;
    tx.commit().await?;
    crate::sms::wakeup().notify_one();
    Ok(sms)
}

/// Compensation by a staff member from the panel: manual club credit under the club's
/// rules (the per-staff daily cap, fraud screening), "survey case #N: reason" in the
/// ledger, a `credit` line on the case and an audit entry, in one transaction. Returns
/// the ledger entry id; `Conflict` with the reason when the rules refuse.
pub async fn compensate(
    store: &Store,
    tenant: &Tenant,
    id: i64,
    amount: i64,
    reason: &str,
    user_id: i64,
    now: i64,
) -> Result<i64> {
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 150 {
        return Err(Error::invalid(
            "compensation needs a reason of 1 to 150 characters",
        ));
    }
    let mut tx = store.begin().await?;
    let case = lock_in(&mut tx, tenant, id, now).await?;
    let phone = Phone::parse(&case.phone)?;
    let done = manual::credit_in(
        &mut tx,
        tenant,
        &phone,
        amount,
        &format!("survey case #{id}: {reason}"),
        crate::ledger::Actor::Staff(user_id),
        now,
    )
    .await?;
    let credit = match done {
        Ok(credit) => credit,
        Err(why) => {
            // Keep the fraud rules' logged decision; nothing is credited.
            tx.commit().await?;
            return Err(Error::Conflict(why));
        }
    };
    let detail = format!(
        "{amount} rials, ledger entry #{}: {reason}",
        credit.entry_id
    );
    record_by_in(
        &mut tx,
        id,
        "credit",
        None,
        Some(&detail),
        Some(user_id),
        now,
    )
    .await?;
    audit_case(
        &mut tx,
        tenant,
        Actor::user(user_id),
        "case.credit",
        id,
        None,
        serde_json::json!({ "amount": amount, "reason": reason, "entry": credit.entry_id }),
    )
    .await?;
    tx.commit().await?;
    Ok(credit.entry_id)
}
