//! Invoices from the POS: each one makes its phone a customer and club member, earns
//! credit by the branch's formula, may be paid partly with credit, and may be cancelled
//! (which reverses its credit). Every operation is one transaction, optionally
//! idempotent (see `idempotency`); the caller renders the reply inside it.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::club::{self, JoinSource, formula::Line, settings};
use crate::error::{Error, Result};
use crate::idempotency::{self, IdempotentRequest, Reply};
use crate::ledger::{self, Actor, Award, Balance, EntryKind, Reversal};
use crate::phone::Phone;
use crate::pos_keys::PosKey;
use crate::store::Store;
use crate::{clock, tenants};

/// One line of a new invoice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewItem {
    pub name: String,
    pub category: Option<String>,
    pub qty: i64,
    pub unit_price: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewInvoice {
    /// Any Iranian spelling; stored as `+989…`.
    pub phone: String,
    /// Rials.
    pub amount: i64,
    pub items: Vec<NewItem>,
    pub reservation_id: Option<i64>,
    /// The POS's own id: a second invoice with it at the same branch is refused.
    pub pos_transaction_id: Option<String>,
    /// The cashier or waiter as the POS knows them (code or name), for satisfaction by
    /// staff member. One per invoice: the survey asks about the visit, so an answer is
    /// credited to the person who served it, not split over items.
    pub staff: Option<String>,
}

/// Longest staff name or code the POS may send.
pub const MAX_STAFF_CHARS: usize = 60;

pub const MAX_ITEMS: usize = 500;

impl NewInvoice {
    /// Checks every field; the error names the first bad one.
    pub fn validate(&self) -> Result<Phone> {
        let phone = Phone::parse(&self.phone)?;
        ledger::check_amount(self.amount, "amount")?;
        if self.items.len() > MAX_ITEMS {
            return Err(Error::invalid(format!(
                "at most {MAX_ITEMS} items per invoice"
            )));
        }
        for (i, item) in self.items.iter().enumerate() {
            let n = i + 1;
            let name = item.name.trim();
            if name.is_empty() || name.chars().count() > 200 {
                return Err(Error::invalid(format!(
                    "item {n}: name must be 1 to 200 characters"
                )));
            }
            if item
                .category
                .as_deref()
                .is_some_and(|c| c.trim().is_empty() || c.chars().count() > 50)
            {
                return Err(Error::invalid(format!(
                    "item {n}: category must be 1 to 50 characters"
                )));
            }
            if !(1..=1_000_000).contains(&item.qty) {
                return Err(Error::invalid(format!(
                    "item {n}: qty must be 1 to 1000000"
                )));
            }
            if !(0..=ledger::MAX_AMOUNT).contains(&item.unit_price) {
                return Err(Error::invalid(format!(
                    "item {n}: unit_price must be 0 or more rials"
                )));
            }
        }
        if let Some(id) = &self.pos_transaction_id {
            let id = id.trim();
            if id.is_empty() || id.len() > 100 || id.chars().any(char::is_control) {
                return Err(Error::invalid(
                    "pos_transaction_id must be 1 to 100 characters",
                ));
            }
        }
        if let Some(staff) = &self.staff {
            let staff = staff.trim();
            if staff.is_empty()
                || staff.chars().count() > MAX_STAFF_CHARS
                || staff.chars().any(char::is_control)
            {
                return Err(Error::invalid(format!(
                    "staff must be 1 to {MAX_STAFF_CHARS} characters, without control characters"
                )));
            }
        }
        if self.reservation_id.is_some_and(|r| r <= 0) {
            return Err(Error::invalid("reservation_id must be a positive number"));
        }
        Ok(phone)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvoiceStatus {
    Active,
    Cancelled,
}

impl InvoiceStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            InvoiceStatus::Active => "active",
            InvoiceStatus::Cancelled => "cancelled",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invoice {
    pub id: i64,
    pub tenant_id: i64,
    pub branch_id: i64,
    pub customer_id: i64,
    /// `+989…`.
    pub phone: String,
    pub amount: i64,
    /// Credit this invoice earned.
    pub earned: i64,
    /// Credit paid with on it.
    pub redeemed: i64,
    pub status: InvoiceStatus,
    pub pos_transaction_id: Option<String>,
    pub reservation_id: Option<i64>,
    /// The reservation's deposit deducted from this invoice (rials, 0 = none).
    pub deposit_applied: i64,
    /// Who served it, as the POS named them.
    pub staff: Option<String>,
    pub created_at: i64,
    pub cancelled_at: Option<i64>,
}

macro_rules! select {
    () => {
        "SELECT i.id, i.tenant_id, i.branch_id, i.customer_id, c.phone, i.amount, i.earned, i.redeemed, \
         i.status, i.pos_transaction_id, i.reservation_id, i.deposit_applied, i.staff, i.created_at, i.cancelled_at \
         FROM invoices i JOIN customers c ON c.id = i.customer_id"
    };
}

impl Invoice {
    fn from_row(r: &AnyRow) -> Result<Invoice, sqlx::Error> {
        let status = match r.try_get::<String, _>("status")?.as_str() {
            "active" => InvoiceStatus::Active,
            _ => InvoiceStatus::Cancelled,
        };
        Ok(Invoice {
            id: r.try_get("id")?,
            tenant_id: r.try_get("tenant_id")?,
            branch_id: r.try_get("branch_id")?,
            customer_id: r.try_get("customer_id")?,
            phone: r.try_get("phone")?,
            amount: r.try_get("amount")?,
            earned: r.try_get("earned")?,
            redeemed: r.try_get("redeemed")?,
            status,
            pos_transaction_id: r.try_get("pos_transaction_id")?,
            reservation_id: r.try_get("reservation_id")?,
            deposit_applied: r.try_get("deposit_applied")?,
            staff: r.try_get("staff")?,
            created_at: r.try_get("created_at")?,
            cancelled_at: r.try_get("cancelled_at")?,
        })
    }
}

/// What an operation did, for the reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    pub invoice: Invoice,
    /// The member's credit after the operation.
    pub balance: Balance,
    /// When the credit this invoice earned becomes spendable.
    pub earned_spendable_at: Option<i64>,
    pub tier: Option<String>,
    /// Set by `cancel`.
    pub reversal: Option<Reversal>,
    /// Why this invoice earned nothing despite the formula (the fraud detector).
    pub withheld: Option<String>,
    /// The member's WiFi group changed with their tier: live sessions need new limits.
    pub moved: Option<crate::groups::Moved>,
}

pub(crate) async fn by_id_in(conn: &mut AnyConnection, key: &PosKey, id: i64) -> Result<Invoice> {
    let sql = concat!(
        select!(),
        " WHERE i.tenant_id = $1 AND i.branch_id = $2 AND i.id = $3"
    );
    let row = sqlx::query(sql)
        .bind(key.tenant_id)
        .bind(key.branch_id)
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| Error::NotFound(format!("invoice #{id}")))?;
    Ok(Invoice::from_row(&row)?)
}

/// An invoice of the key's branch.
pub async fn get(store: &Store, key: &PosKey, id: i64) -> Result<Invoice> {
    let mut conn = store.pool().acquire().await?;
    by_id_in(&mut conn, key, id).await
}

/// How many invoices a branch recorded at or after `since` (`smartx bench pos` checks
/// that retried requests wrote none twice).
pub async fn count_at_branch(store: &Store, branch_id: i64, since: i64) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM invoices WHERE branch_id = $1 AND created_at >= $2",
    )
    .bind(branch_id)
    .bind(since)
    .fetch_one(store.pool())
    .await?)
}

/// Runs `work` in one transaction; with `idem`, a retry gets the stored reply instead.
pub(crate) async fn transact<T, W, R>(
    store: &Store,
    idem: Option<&IdempotentRequest>,
    work: W,
    render: R,
) -> Result<Reply>
where
    W: AsyncFnOnce(&mut AnyConnection) -> Result<T>,
    R: FnOnce(&T) -> (u16, String),
{
    let mut tx = store.begin().await?;
    if let Some(req) = idem {
        if let Some(reply) = idempotency::claim(&mut tx, req).await? {
            return Ok(reply);
        }
    }
    let receipt = work(&mut tx).await?;
    let (status, body) = render(&receipt);
    let reply = Reply {
        status,
        body,
        replayed: false,
    };
    if let Some(req) = idem {
        idempotency::record(&mut tx, req, &reply).await?;
    }
    tx.commit().await?;
    Ok(reply)
}

/// The member's tier and the credit they earned today, as the formula needs them.
async fn standing(
    conn: &mut AnyConnection,
    tenant: &tenants::Tenant,
    customer_id: i64,
    rules: &club::formula::TierRules,
    now: i64,
) -> Result<(Option<String>, i64, i64)> {
    let activity = club::activity_in(
        conn,
        tenant.id,
        customer_id,
        now - rules.window_days * 86_400,
    )
    .await?;
    let tier = rules.tier_for(&activity, now);
    let day_start = clock::Zone::named(&tenant.time_zone)?.day_start(now);
    let (earned_today,): (i64,) = sqlx::query_as(
        "SELECT CAST(COALESCE(SUM(earned), 0) AS BIGINT) FROM invoices \
         WHERE tenant_id = $1 AND customer_id = $2 AND status = 'active' AND created_at >= $3",
    )
    .bind(tenant.id)
    .bind(customer_id)
    .bind(day_start)
    .fetch_one(&mut *conn)
    .await?;
    Ok((
        tier.map(|t| t.name.clone()),
        tier.map_or(club::formula::FULL_BP, |t| t.multiplier_bp),
        earned_today,
    ))
}

/// Records an invoice at the key's branch: customer + club member (source `pos`),
/// credit by the formula (pending for the configured window), all in one transaction.
pub async fn create<R>(
    store: &Store,
    key: &PosKey,
    new: &NewInvoice,
    idem: Option<&IdempotentRequest>,
    now: i64,
    render: R,
) -> Result<Reply>
where
    R: FnOnce(&Receipt) -> (u16, String),
{
    let phone = new.validate()?;
    let tenant = tenants::by_id(store, key.tenant_id).await?;
    let work = async |conn: &mut AnyConnection| -> Result<Receipt> {
        let customer_id = crate::customers::upsert_in(
            conn,
            tenant.id,
            &phone,
            crate::customers::Arrival::Seen,
            now,
        )
        .await?;
        club::join_in(conn, tenant.id, customer_id, JoinSource::Pos, now).await?;
        let txn = new.pos_transaction_id.as_deref().map(str::trim);
        if let Some(txn) = txn {
            let existing: Option<i64> = sqlx::query_scalar(
                "SELECT id FROM invoices WHERE tenant_id = $1 AND branch_id = $2 AND pos_transaction_id = $3",
            )
            .bind(tenant.id)
            .bind(key.branch_id)
            .bind(txn)
            .fetch_optional(&mut *conn)
            .await?;
            if let Some(id) = existing {
                return Err(Error::Conflict(format!(
                    "POS transaction {txn:?} is already invoice #{id}"
                )));
            }
        }
        ledger::lock(conn, tenant.id, customer_id).await?;
        let settings = settings::get_in(conn, tenant.id, Some(key.branch_id)).await?;
        let (tier, multiplier, earned_today) =
            standing(conn, &tenant, customer_id, &settings.tiers, now).await?;
        let lines: Vec<Line> = new
            .items
            .iter()
            .map(|i| Line {
                category: i.category.as_deref().map(|c| c.trim().to_string()),
                total: i.qty.saturating_mul(i.unit_price),
            })
            .collect();
        let withheld = club::fraud::screen_invoice_in(
            conn,
            tenant.id,
            customer_id,
            key.branch_id,
            &settings.fraud,
            Actor::PosKey(key.id),
            now,
        )
        .await?;
        let earned = if withheld.is_some() {
            0
        } else {
            settings
                .formula
                .earn(new.amount, &lines, multiplier, earned_today)
        };
        let invoice_id: i64 = sqlx::query_scalar(
            "INSERT INTO invoices (tenant_id, branch_id, customer_id, amount, earned, redeemed, \
                 pos_transaction_id, reservation_id, pos_key_id, staff, status, created_at) \
             VALUES ($1, $2, $3, $4, $5, 0, $6, $7, $8, $9, 'active', $10) RETURNING id",
        )
        .bind(tenant.id)
        .bind(key.branch_id)
        .bind(customer_id)
        .bind(new.amount)
        .bind(earned)
        .bind(txn)
        .bind(new.reservation_id)
        .bind(key.id)
        .bind(new.staff.as_deref().map(str::trim))
        .bind(now)
        .fetch_one(&mut *conn)
        .await
        .map_err(|e| {
            crate::error::conflict_if_unique(e, || {
                "this POS transaction was already invoiced".into()
            })
        })?;
        if let Some(reservation) = new.reservation_id {
            crate::reservations::deposits::apply_in(
                conn,
                tenant.id,
                key.branch_id,
                reservation,
                invoice_id,
                new.amount,
            )
            .await?;
        }
        for item in &new.items {
            sqlx::query(
                "INSERT INTO invoice_items (invoice_id, name, category, qty, unit_price) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(invoice_id)
            .bind(item.name.trim())
            .bind(item.category.as_deref().map(str::trim))
            .bind(item.qty)
            .bind(item.unit_price)
            .execute(&mut *conn)
            .await?;
        }
        let mut earned_spendable_at = None;
        if earned > 0 {
            let spendable_at = now + settings.pending_seconds;
            ledger::award_in(
                conn,
                tenant.id,
                customer_id,
                &Award {
                    kind: EntryKind::Earn,
                    amount: earned,
                    reason: format!("invoice #{invoice_id}"),
                    actor: Actor::PosKey(key.id),
                    invoice_id: Some(invoice_id),
                    spendable_at,
                    expires_at: now + settings.expiry_days * 86_400,
                },
                now,
            )
            .await?;
            earned_spendable_at = Some(spendable_at);
        }
        let moved =
            club::tier_groups::sync_in(conn, tenant.id, customer_id, &settings.tiers, now).await?;
        let balance = ledger::balance_in(conn, tenant.id, customer_id, now).await?;
        if settings.notify_earned && earned > 0 {
            club::notices::credit_earned_in(conn, &tenant, &phone, earned, balance.spendable)
                .await?;
        }
        crate::surveys::on_invoice_in(conn, &tenant, customer_id, invoice_id, now).await?;
        Ok(Receipt {
            invoice: by_id_in(conn, key, invoice_id).await?,
            balance,
            earned_spendable_at,
            tier,
            reversal: None,
            withheld,
            moved,
        })
    };
    let reply = transact(store, idem, work, render).await?;
    crate::sms::wakeup().notify_one();
    Ok(reply)
}

/// The receipt after a redemption or cancellation of an existing invoice.
async fn after(
    conn: &mut AnyConnection,
    key: &PosKey,
    invoice_id: i64,
    customer_id: i64,
    now: i64,
    reversal: Option<Reversal>,
) -> Result<Receipt> {
    Ok(Receipt {
        invoice: by_id_in(conn, key, invoice_id).await?,
        balance: ledger::balance_in(conn, key.tenant_id, customer_id, now).await?,
        earned_spendable_at: None,
        tier: None,
        reversal,
        withheld: None,
        moved: None,
    })
}

/// Pays `amount` of an invoice with the member's spendable credit. `Conflict` (with the
/// reason) if the invoice is cancelled, the amount is above the share of the invoice
/// credit may pay, or above the member's spendable credit.
pub async fn redeem<R>(
    store: &Store,
    key: &PosKey,
    invoice_id: i64,
    amount: i64,
    idem: Option<&IdempotentRequest>,
    now: i64,
    render: R,
) -> Result<Reply>
where
    R: FnOnce(&Receipt) -> (u16, String),
{
    ledger::check_amount(amount, "amount")?;
    // A blocked customer cannot pay with credit; the refusal is logged on its own.
    let invoice = get(store, key, invoice_id).await?;
    club::fraud::refuse_if_blocked(
        store,
        key.tenant_id,
        invoice.customer_id,
        Actor::PosKey(key.id),
        now,
    )
    .await?;
    let work = async |conn: &mut AnyConnection| -> Result<Receipt> {
        let invoice = by_id_in(conn, key, invoice_id).await?;
        if invoice.status == InvoiceStatus::Cancelled {
            return Err(Error::Conflict(format!(
                "invoice #{invoice_id} is cancelled"
            )));
        }
        ledger::lock(conn, key.tenant_id, invoice.customer_id).await?;
        let settings = settings::get_in(conn, key.tenant_id, Some(key.branch_id)).await?;
        let cap = settings.formula.redeem_cap(invoice.amount);
        let left = (cap - invoice.redeemed).max(0);
        if amount > left {
            return Err(Error::Conflict(format!(
                "at most {cap} rials of invoice #{invoice_id} may be paid with credit; {left} are left"
            )));
        }
        ledger::redeem_in(
            conn,
            key.tenant_id,
            invoice.customer_id,
            amount,
            &format!("paid on invoice #{invoice_id}"),
            Actor::PosKey(key.id),
            Some(invoice_id),
            now,
        )
        .await?;
        sqlx::query("UPDATE invoices SET redeemed = redeemed + $2 WHERE id = $1")
            .bind(invoice_id)
            .bind(amount)
            .execute(&mut *conn)
            .await?;
        after(conn, key, invoice_id, invoice.customer_id, now, None).await
    };
    transact(store, idem, work, render).await
}

/// Cancels an invoice (a return): refunds the credit paid with it and takes back the
/// credit it earned. `Conflict` if already cancelled.
pub async fn cancel<R>(
    store: &Store,
    key: &PosKey,
    invoice_id: i64,
    idem: Option<&IdempotentRequest>,
    now: i64,
    render: R,
) -> Result<Reply>
where
    R: FnOnce(&Receipt) -> (u16, String),
{
    let work = async |conn: &mut AnyConnection| -> Result<Receipt> {
        let invoice = by_id_in(conn, key, invoice_id).await?;
        if invoice.status == InvoiceStatus::Cancelled {
            return Err(Error::Conflict(format!(
                "invoice #{invoice_id} is already cancelled"
            )));
        }
        ledger::lock(conn, key.tenant_id, invoice.customer_id).await?;
        let reversal = ledger::reverse_invoice_in(
            conn,
            key.tenant_id,
            invoice.customer_id,
            invoice_id,
            Actor::PosKey(key.id),
            now,
        )
        .await?;
        sqlx::query("UPDATE invoices SET status = 'cancelled', cancelled_at = $2 WHERE id = $1")
            .bind(invoice_id)
            .bind(now)
            .execute(&mut *conn)
            .await?;
        crate::reservations::deposits::unapply_in(conn, key.tenant_id, invoice_id).await?;
        // A return can take the member below their tier.
        let rules = settings::get_in(conn, key.tenant_id, None).await?.tiers;
        let moved =
            club::tier_groups::sync_in(conn, key.tenant_id, invoice.customer_id, &rules, now)
                .await?;
        let receipt = after(
            conn,
            key,
            invoice_id,
            invoice.customer_id,
            now,
            Some(reversal),
        )
        .await?;
        Ok(Receipt { moved, ..receipt })
    };
    transact(store, idem, work, render).await
}
