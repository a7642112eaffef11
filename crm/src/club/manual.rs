//! Manual credit: a staff member adds credit to a phone by hand, with a reason, at once
//! spendable, audited as a `manual` ledger entry naming them. The tenant's
//! `manual_daily_cap` bounds what one staff member adds per local day; the operator
//! (`Actor::System`, the command line on the server) is not capped.

use super::{JoinSource, join_in, settings};
use crate::error::{Error, Result};
use crate::ledger::{self, Actor, Award, Balance, EntryKind};
use crate::phone::Phone;
use crate::store::Store;
use crate::tenants::Tenant;
use crate::{clock, customers};

/// What a manual credit did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ManualCredit {
    pub customer_id: i64,
    pub entry_id: i64,
    pub balance: Balance,
    /// Manual credit this actor added today, this one included.
    pub actor_today: i64,
}

/// Adds `amount` rials of credit to `phone` (made a customer and member, source
/// `manual`, if new). `Conflict` when the staff member's daily cap would be passed.
pub async fn credit(
    store: &Store,
    tenant: &Tenant,
    phone: &Phone,
    amount: i64,
    reason: &str,
    actor: Actor,
    now: i64,
) -> Result<ManualCredit> {
    let mut tx = store.begin().await?;
    match credit_in(&mut tx, tenant, phone, amount, reason, actor, now).await? {
        Ok(done) => {
            tx.commit().await?;
            tracing::info!(tenant = tenant.id, customer = done.customer_id, amount, actor = %actor, "manual credit");
            Ok(done)
        }
        Err(why) => {
            // Keep the logged decision (and the block), refuse the credit.
            tx.commit().await?;
            Err(Error::Conflict(why))
        }
    }
}

/// [`credit`] inside the caller's transaction, for a credit that must land with other
/// writes (a survey case's compensation). `Ok(Err(why))` is a fraud refusal: the caller
/// commits to keep the logged decision and refuses.
pub(crate) async fn credit_in(
    tx: &mut sqlx::AnyConnection,
    tenant: &Tenant,
    phone: &Phone,
    amount: i64,
    reason: &str,
    actor: Actor,
    now: i64,
) -> Result<std::result::Result<ManualCredit, String>> {
    ledger::check_amount(amount, "the credit")?;
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 200 {
        return Err(Error::invalid(
            "a manual credit needs a reason of 1 to 200 characters",
        ));
    }
    let day_start = clock::Zone::named(&tenant.time_zone)?.day_start(now);
    let settings = settings::get_in(&mut *tx, tenant.id, None).await?;
    // Screened before anything else is written: a refusal commits only its decision.
    let existing: Option<i64> =
        sqlx::query_scalar("SELECT id FROM customers WHERE tenant_id = $1 AND phone = $2")
            .bind(tenant.id)
            .bind(phone.e164())
            .fetch_optional(&mut *tx)
            .await?;
    if let Some(id) = existing {
        ledger::lock(&mut *tx, tenant.id, id).await?;
    }
    if let Err(why) = super::fraud::screen_manual_in(
        &mut *tx,
        tenant.id,
        existing,
        amount,
        &settings.fraud,
        actor,
        day_start,
        now,
    )
    .await?
    {
        return Ok(Err(why));
    }
    let customer_id =
        customers::upsert_in(&mut *tx, tenant.id, phone, customers::Arrival::Seen, now).await?;
    join_in(&mut *tx, tenant.id, customer_id, JoinSource::Manual, now).await?;
    ledger::lock(&mut *tx, tenant.id, customer_id).await?;
    let (before,): (i64,) = sqlx::query_as(
        "SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) FROM credit_entries \
         WHERE tenant_id = $1 AND kind = 'manual' AND actor = $2 AND created_at >= $3",
    )
    .bind(tenant.id)
    .bind(actor.to_string())
    .bind(day_start)
    .fetch_one(&mut *tx)
    .await?;
    let cap = settings.manual_daily_cap;
    if cap > 0 && matches!(actor, Actor::Staff(_)) && before + amount > cap {
        return Err(Error::Conflict(format!(
            "{actor} may add at most {cap} rials of manual credit per day; {} are left today",
            (cap - before).max(0)
        )));
    }
    let before_balance = ledger::balance_in(&mut *tx, tenant.id, customer_id, now).await?;
    let entry_id = ledger::award_in(
        &mut *tx,
        tenant.id,
        customer_id,
        &Award {
            kind: EntryKind::Manual,
            amount,
            reason: reason.to_string(),
            actor,
            invoice_id: None,
            spendable_at: now,
            expires_at: now + settings.expiry_days * 86_400,
        },
        now,
    )
    .await?;
    let balance = ledger::balance_in(&mut *tx, tenant.id, customer_id, now).await?;
    let change = crate::audit::Change {
        tenant_id: Some(tenant.id),
        action: "club.credit",
        entity: "customer",
        entity_id: Some(customer_id),
        before: Some(serde_json::json!({
            "spendable": before_balance.spendable,
            "pending": before_balance.pending,
        })),
        after: Some(serde_json::json!({
            "spendable": balance.spendable,
            "pending": balance.pending,
            "amount": amount,
            "reason": reason,
            "entry_id": entry_id,
        })),
    };
    super::audit_in(&mut *tx, actor, &change).await?;
    Ok(Ok(ManualCredit {
        customer_id,
        entry_id,
        balance,
        actor_today: before + amount,
    }))
}
