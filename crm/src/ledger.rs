//! The club's credit ledger: append-only entries, lots with their own expiry, balances
//! derived from them.
//!
//! Every award (earn, manual, coupon, and the refund half of a reversal) writes one
//! entry and one or more **lots**; a lot has its own `spendable_at` (the pending window,
//! e.g. the return period) and `expires_at`. Taking credit (redeem, expire, the claw-back
//! half of a reversal) writes one negative entry and records in `credit_lot_uses` which
//! lots it consumed — earliest-expiring first — lowering their `remaining` in the same
//! transaction. Entries are never updated or deleted, so for every member
//!
//! ```text
//! Σ entries.amount = Σ lots.remaining      (and no lot's remaining is ever below 0)
//! ```
//!
//! Balances: **spendable** = remaining of lots past their pending window and not
//! expired; **pending** = remaining of lots still in it. [`expire_due`] (the worker,
//! once a minute) turns what is left of an expired lot into an `expire` entry.
//!
//! Every ledger transaction first bumps the member's `credit_accounts` row, which
//! serialises one member's ledger writes (a row lock on PostgreSQL, the single writer on
//! SQLite), so two redemptions at once cannot both spend the same credit.

use std::fmt;

use sqlx::{AnyConnection, Row};

use crate::error::{Error, Result};
use crate::store::Store;
use crate::tenants::Tenant;

/// What an entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EntryKind {
    /// Credit from a purchase, by the earning formula.
    Earn,
    /// Credit paid with on an invoice.
    Redeem,
    /// Credit a staff member added by hand.
    Manual,
    /// Credit from a coupon.
    Coupon,
    /// What was left of a lot when it expired.
    Expire,
    /// Undoing an invoice: its earned credit taken back, or its redeemed credit refunded.
    Reverse,
}

impl EntryKind {
    pub const ALL: [EntryKind; 6] = [
        EntryKind::Earn,
        EntryKind::Redeem,
        EntryKind::Manual,
        EntryKind::Coupon,
        EntryKind::Expire,
        EntryKind::Reverse,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EntryKind::Earn => "earn",
            EntryKind::Redeem => "redeem",
            EntryKind::Manual => "manual",
            EntryKind::Coupon => "coupon",
            EntryKind::Expire => "expire",
            EntryKind::Reverse => "reverse",
        }
    }

    fn parse(s: &str) -> Result<EntryKind, sqlx::Error> {
        EntryKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| sqlx::Error::Decode(format!("unknown ledger entry kind {s:?}").into()))
    }
}

impl fmt::Display for EntryKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who or what caused an entry (stored as `staff:<id>`, `pos:<key id>`, `system`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    Staff(i64),
    PosKey(i64),
    System,
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Actor::Staff(id) => write!(f, "staff:{id}"),
            Actor::PosKey(id) => write!(f, "pos:{id}"),
            Actor::System => f.write_str("system"),
        }
    }
}

impl std::str::FromStr for Actor {
    type Err = Error;
    fn from_str(s: &str) -> Result<Actor> {
        let id = |rest: &str| {
            rest.parse::<i64>()
                .map_err(|_| Error::invalid(format!("bad actor {s:?}")))
        };
        match s.split_once(':') {
            Some(("staff", rest)) => Ok(Actor::Staff(id(rest)?)),
            Some(("pos", rest)) => Ok(Actor::PosKey(id(rest)?)),
            None if s == "system" => Ok(Actor::System),
            _ => Err(Error::invalid(format!("bad actor {s:?}"))),
        }
    }
}

/// New credit: one entry, one lot.
#[derive(Debug, Clone)]
pub struct Award {
    /// `Earn`, `Manual` or `Coupon`.
    pub kind: EntryKind,
    pub amount: i64,
    pub reason: String,
    pub actor: Actor,
    pub invoice_id: Option<i64>,
    pub spendable_at: i64,
    pub expires_at: i64,
}

/// One ledger entry as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub id: i64,
    pub customer_id: i64,
    pub kind: EntryKind,
    pub amount: i64,
    pub invoice_id: Option<i64>,
    pub reason: String,
    pub actor: String,
    pub created_at: i64,
}

/// One lot as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lot {
    pub id: i64,
    pub entry_id: i64,
    pub amount: i64,
    pub remaining: i64,
    pub spendable_at: i64,
    pub expires_at: i64,
}

/// A member's credit at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Balance {
    /// Can be paid with now.
    pub spendable: i64,
    /// Awarded but still inside its pending window.
    pub pending: i64,
    /// When the next lot expires and how much of it is left then.
    pub next_expiry: Option<(i64, i64)>,
}

/// What undoing an invoice did to the ledger.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Reversal {
    /// Credit the invoice had paid with, given back.
    pub refunded: i64,
    /// Earned credit taken back.
    pub clawed_back: i64,
    /// Earned credit that was already spent and could not be taken back.
    pub unrecovered: i64,
}

/// The bookkeeping identity of one member, for audits and tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Audit {
    pub entries_total: i64,
    pub lots_remaining: i64,
    /// Σ over lots of (amount − remaining − Σ its uses); 0 when consistent.
    pub lot_use_mismatch: i64,
    pub negative_lots: i64,
}

/// Largest single amount the ledger accepts (10^15 rials): keeps every sum far from
/// overflowing a BIGINT.
pub const MAX_AMOUNT: i64 = 1_000_000_000_000_000;

pub(crate) fn check_amount(amount: i64, what: &str) -> Result<()> {
    if amount <= 0 {
        return Err(Error::invalid(format!(
            "{what} must be a positive number of rials"
        )));
    }
    if amount > MAX_AMOUNT {
        return Err(Error::invalid(format!("{what} is too large")));
    }
    Ok(())
}

/// Serialises this member's ledger writes for the rest of the transaction.
pub(crate) async fn lock(conn: &mut AnyConnection, tenant_id: i64, customer_id: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO credit_accounts (tenant_id, customer_id, version) VALUES ($1, $2, 1) \
         ON CONFLICT (tenant_id, customer_id) DO UPDATE SET version = credit_accounts.version + 1",
    )
    .bind(tenant_id)
    .bind(customer_id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

#[allow(clippy::too_many_arguments)]
async fn insert_entry(
    conn: &mut AnyConnection,
    tenant_id: i64,
    customer_id: i64,
    kind: EntryKind,
    amount: i64,
    invoice_id: Option<i64>,
    reason: &str,
    actor: Actor,
    now: i64,
) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO credit_entries (tenant_id, customer_id, kind, amount, invoice_id, reason, actor, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(tenant_id)
    .bind(customer_id)
    .bind(kind.as_str())
    .bind(amount)
    .bind(invoice_id)
    .bind(reason)
    .bind(actor.to_string())
    .bind(now)
    .fetch_one(&mut *conn)
    .await?)
}

#[allow(clippy::too_many_arguments)]
async fn insert_lot(
    conn: &mut AnyConnection,
    tenant_id: i64,
    customer_id: i64,
    entry_id: i64,
    amount: i64,
    spendable_at: i64,
    expires_at: i64,
    now: i64,
) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO credit_lots (tenant_id, customer_id, entry_id, amount, remaining, spendable_at, expires_at, created_at) \
         VALUES ($1, $2, $3, $4, $4, $5, $6, $7) RETURNING id",
    )
    .bind(tenant_id)
    .bind(customer_id)
    .bind(entry_id)
    .bind(amount)
    .bind(spendable_at)
    .bind(expires_at)
    .bind(now)
    .fetch_one(&mut *conn)
    .await?)
}

/// Writes an award inside the caller's transaction (the member must be locked).
pub(crate) async fn award_in(
    conn: &mut AnyConnection,
    tenant_id: i64,
    customer_id: i64,
    award: &Award,
    now: i64,
) -> Result<i64> {
    if !matches!(
        award.kind,
        EntryKind::Earn | EntryKind::Manual | EntryKind::Coupon
    ) {
        return Err(Error::invalid(format!(
            "{} is not a kind of award",
            award.kind
        )));
    }
    check_amount(award.amount, "credit")?;
    if award.expires_at <= award.spendable_at {
        return Err(Error::invalid(
            "credit must expire after it becomes spendable",
        ));
    }
    let entry = insert_entry(
        conn,
        tenant_id,
        customer_id,
        award.kind,
        award.amount,
        award.invoice_id,
        &award.reason,
        award.actor,
        now,
    )
    .await?;
    insert_lot(
        conn,
        tenant_id,
        customer_id,
        entry,
        award.amount,
        award.spendable_at,
        award.expires_at,
        now,
    )
    .await?;
    Ok(entry)
}

/// Adds credit to a member: one entry, one lot. Returns the entry id.
pub async fn award(
    store: &Store,
    tenant: &Tenant,
    customer_id: i64,
    award: &Award,
    now: i64,
) -> Result<i64> {
    let mut tx = store.begin().await?;
    lock(&mut tx, tenant.id, customer_id).await?;
    let id = award_in(&mut tx, tenant.id, customer_id, award, now).await?;
    tx.commit().await?;
    Ok(id)
}

/// A lot that still holds credit, as taking entries see it.
#[derive(Debug, Clone, Copy)]
struct OpenLot {
    id: i64,
    entry_id: i64,
    remaining: i64,
    spendable_at: i64,
}

/// Lots with credit left that have not expired at `now`, earliest-expiring first.
async fn open_lots(
    conn: &mut AnyConnection,
    tenant_id: i64,
    customer_id: i64,
    now: i64,
) -> Result<Vec<OpenLot>> {
    let rows = sqlx::query(
        "SELECT id, entry_id, remaining, spendable_at FROM credit_lots \
         WHERE tenant_id = $1 AND customer_id = $2 AND remaining > 0 AND expires_at > $3 \
         ORDER BY expires_at, id",
    )
    .bind(tenant_id)
    .bind(customer_id)
    .bind(now)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(OpenLot {
                id: r.try_get("id")?,
                entry_id: r.try_get("entry_id")?,
                remaining: r.try_get("remaining")?,
                spendable_at: r.try_get("spendable_at")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Error::from)
}

/// Takes `amount` from `lots` in their order, recording each use against `entry_id`.
async fn consume(
    conn: &mut AnyConnection,
    entry_id: i64,
    lots: &[OpenLot],
    amount: i64,
) -> Result<()> {
    let mut left = amount;
    for lot in lots {
        if left == 0 {
            break;
        }
        let take = left.min(lot.remaining);
        if take == 0 {
            continue;
        }
        let done = sqlx::query(
            "UPDATE credit_lots SET remaining = remaining - $2 WHERE id = $1 AND remaining >= $2",
        )
        .bind(lot.id)
        .bind(take)
        .execute(&mut *conn)
        .await?;
        if done.rows_affected() != 1 {
            return Err(Error::Conflict(
                "the member's credit changed meanwhile; try again".into(),
            ));
        }
        sqlx::query("INSERT INTO credit_lot_uses (entry_id, lot_id, amount) VALUES ($1, $2, $3)")
            .bind(entry_id)
            .bind(lot.id)
            .bind(take)
            .execute(&mut *conn)
            .await?;
        left -= take;
    }
    if left != 0 {
        return Err(Error::Conflict(
            "the member's credit changed meanwhile; try again".into(),
        ));
    }
    Ok(())
}

/// Pays `amount` of spendable credit, earliest-expiring lots first, inside the caller's
/// transaction (the member must be locked). `Conflict` if not enough is spendable.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn redeem_in(
    conn: &mut AnyConnection,
    tenant_id: i64,
    customer_id: i64,
    amount: i64,
    reason: &str,
    actor: Actor,
    invoice_id: Option<i64>,
    now: i64,
) -> Result<i64> {
    check_amount(amount, "the amount to redeem")?;
    let lots: Vec<OpenLot> = open_lots(conn, tenant_id, customer_id, now)
        .await?
        .into_iter()
        .filter(|l| l.spendable_at <= now)
        .collect();
    let spendable: i64 = lots.iter().map(|l| l.remaining).sum();
    if spendable < amount {
        return Err(Error::Conflict(format!(
            "not enough credit: {spendable} rials spendable, {amount} asked"
        )));
    }
    let entry = insert_entry(
        conn,
        tenant_id,
        customer_id,
        EntryKind::Redeem,
        -amount,
        invoice_id,
        reason,
        actor,
        now,
    )
    .await?;
    consume(conn, entry, &lots, amount).await?;
    Ok(entry)
}

/// Pays `amount` of a member's spendable credit (earliest-expiring first). Returns the
/// entry id; `Conflict` with the spendable amount if there is not enough.
#[allow(clippy::too_many_arguments)]
pub async fn redeem(
    store: &Store,
    tenant: &Tenant,
    customer_id: i64,
    amount: i64,
    reason: &str,
    actor: Actor,
    invoice_id: Option<i64>,
    now: i64,
) -> Result<i64> {
    let mut tx = store.begin().await?;
    lock(&mut tx, tenant.id, customer_id).await?;
    let id = redeem_in(
        &mut tx,
        tenant.id,
        customer_id,
        amount,
        reason,
        actor,
        invoice_id,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Undoes what an invoice did to the ledger, inside the caller's transaction (the member
/// must be locked): the credit it was paid with comes back (one lot per lot it used,
/// with that lot's expiry), and the credit it earned is taken back — from its own lot
/// first, then earliest-expiring — as far as the member still has credit.
pub(crate) async fn reverse_invoice_in(
    conn: &mut AnyConnection,
    tenant_id: i64,
    customer_id: i64,
    invoice_id: i64,
    actor: Actor,
    now: i64,
) -> Result<Reversal> {
    let already: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM credit_entries WHERE tenant_id = $1 AND invoice_id = $2 AND kind = 'reverse'",
    )
    .bind(tenant_id)
    .bind(invoice_id)
    .fetch_one(&mut *conn)
    .await?;
    if already > 0 {
        return Err(Error::Conflict(format!(
            "the credit of invoice #{invoice_id} was already reversed"
        )));
    }
    let mut out = Reversal::default();

    // Refund: every lot a redemption of this invoice used, restored with its expiry.
    let used = sqlx::query(
        "SELECT u.amount, l.expires_at FROM credit_entries e \
         JOIN credit_lot_uses u ON u.entry_id = e.id JOIN credit_lots l ON l.id = u.lot_id \
         WHERE e.tenant_id = $1 AND e.customer_id = $2 AND e.invoice_id = $3 AND e.kind = 'redeem' \
         ORDER BY l.expires_at, l.id",
    )
    .bind(tenant_id)
    .bind(customer_id)
    .bind(invoice_id)
    .fetch_all(&mut *conn)
    .await?;
    let refunded: i64 = used
        .iter()
        .map(|r| r.try_get::<i64, _>("amount"))
        .sum::<Result<i64, _>>()?;
    if refunded > 0 {
        let entry = insert_entry(
            conn,
            tenant_id,
            customer_id,
            EntryKind::Reverse,
            refunded,
            Some(invoice_id),
            &format!("invoice #{invoice_id} cancelled: credit paid with it refunded"),
            actor,
            now,
        )
        .await?;
        for r in &used {
            insert_lot(
                conn,
                tenant_id,
                customer_id,
                entry,
                r.try_get("amount")?,
                now,
                r.try_get("expires_at")?,
                now,
            )
            .await?;
        }
        out.refunded = refunded;
    }

    // Claw-back: the earned credit, from the invoice's own lot first.
    let earned = sqlx::query(
        "SELECT id, amount FROM credit_entries \
         WHERE tenant_id = $1 AND customer_id = $2 AND invoice_id = $3 AND kind = 'earn'",
    )
    .bind(tenant_id)
    .bind(customer_id)
    .bind(invoice_id)
    .fetch_all(&mut *conn)
    .await?;
    let mut earn_entries = Vec::with_capacity(earned.len());
    let mut earned_total = 0i64;
    for r in &earned {
        earn_entries.push(r.try_get::<i64, _>("id")?);
        earned_total += r.try_get::<i64, _>("amount")?;
    }
    if earned_total > 0 {
        let mut lots = open_lots(conn, tenant_id, customer_id, now).await?;
        // Stable sort: the invoice's own lots first, the rest keep their expiry order.
        lots.sort_by_key(|l| !earn_entries.contains(&l.entry_id));
        let available: i64 = lots.iter().map(|l| l.remaining).sum();
        let take = earned_total.min(available);
        out.unrecovered = earned_total - take;
        if take > 0 {
            let reason = if out.unrecovered > 0 {
                format!(
                    "invoice #{invoice_id} cancelled: earned credit taken back ({} already spent)",
                    out.unrecovered
                )
            } else {
                format!("invoice #{invoice_id} cancelled: earned credit taken back")
            };
            let entry = insert_entry(
                conn,
                tenant_id,
                customer_id,
                EntryKind::Reverse,
                -take,
                Some(invoice_id),
                &reason,
                actor,
                now,
            )
            .await?;
            consume(conn, entry, &lots, take).await?;
            out.clawed_back = take;
        }
    }
    Ok(out)
}

/// Undoes what an invoice did to a member's credit (see `reverse_invoice_in`); the POS
/// cancel goes through `invoices::cancel`, which also marks the invoice.
pub async fn reverse_invoice(
    store: &Store,
    tenant: &Tenant,
    customer_id: i64,
    invoice_id: i64,
    actor: Actor,
    now: i64,
) -> Result<Reversal> {
    let mut tx = store.begin().await?;
    lock(&mut tx, tenant.id, customer_id).await?;
    let out = reverse_invoice_in(&mut tx, tenant.id, customer_id, invoice_id, actor, now).await?;
    tx.commit().await?;
    Ok(out)
}

/// Expires what is left of every lot whose time has come (all tenants): one `expire`
/// entry per lot. Returns how many lots expired. Safe to run on several workers.
pub async fn expire_due(store: &Store, now: i64) -> Result<u64> {
    let mut expired = 0u64;
    loop {
        let due = sqlx::query(
            "SELECT id, tenant_id, customer_id FROM credit_lots \
             WHERE expires_at <= $1 AND remaining > 0 ORDER BY expires_at, id LIMIT 200",
        )
        .bind(now)
        .fetch_all(store.pool())
        .await?;
        if due.is_empty() {
            return Ok(expired);
        }
        for row in &due {
            let (lot, tenant_id, customer_id): (i64, i64, i64) = (
                row.try_get("id")?,
                row.try_get("tenant_id")?,
                row.try_get("customer_id")?,
            );
            let mut tx = store.begin().await?;
            lock(&mut tx, tenant_id, customer_id).await?;
            // Re-read under the lock: another worker may have expired it already.
            let remaining: i64 =
                sqlx::query_scalar("SELECT remaining FROM credit_lots WHERE id = $1")
                    .bind(lot)
                    .fetch_one(&mut *tx)
                    .await?;
            if remaining == 0 {
                continue;
            }
            let entry = insert_entry(
                &mut tx,
                tenant_id,
                customer_id,
                EntryKind::Expire,
                -remaining,
                None,
                &format!("credit lot #{lot} expired"),
                Actor::System,
                now,
            )
            .await?;
            let open = OpenLot {
                id: lot,
                entry_id: 0,
                remaining,
                spendable_at: 0,
            };
            consume(&mut tx, entry, &[open], remaining).await?;
            tx.commit().await?;
            expired += 1;
        }
    }
}

/// A member's spendable and pending credit and the next expiry, at `now`.
pub async fn balance(
    store: &Store,
    tenant: &Tenant,
    customer_id: i64,
    now: i64,
) -> Result<Balance> {
    let mut conn = store.pool().acquire().await?;
    balance_in(&mut conn, tenant.id, customer_id, now).await
}

pub(crate) async fn balance_in(
    conn: &mut AnyConnection,
    tenant_id: i64,
    customer_id: i64,
    now: i64,
) -> Result<Balance> {
    let row = sqlx::query(
        "SELECT CAST(COALESCE(SUM(CASE WHEN spendable_at <= $3 THEN remaining ELSE 0 END), 0) AS BIGINT) AS spendable, \
                CAST(COALESCE(SUM(CASE WHEN spendable_at > $3 THEN remaining ELSE 0 END), 0) AS BIGINT) AS pending \
         FROM credit_lots WHERE tenant_id = $1 AND customer_id = $2 AND remaining > 0 AND expires_at > $3",
    )
    .bind(tenant_id)
    .bind(customer_id)
    .bind(now)
    .fetch_one(&mut *conn)
    .await?;
    let next: Option<(i64, i64)> = sqlx::query_as(
        "SELECT expires_at, CAST(SUM(remaining) AS BIGINT) FROM credit_lots \
         WHERE tenant_id = $1 AND customer_id = $2 AND remaining > 0 AND expires_at > $3 \
         GROUP BY expires_at ORDER BY expires_at LIMIT 1",
    )
    .bind(tenant_id)
    .bind(customer_id)
    .bind(now)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(Balance {
        spendable: row.try_get("spendable")?,
        pending: row.try_get("pending")?,
        next_expiry: next,
    })
}

/// A member's entries, newest first.
pub async fn entries(
    store: &Store,
    tenant: &Tenant,
    customer_id: i64,
    limit: i64,
) -> Result<Vec<Entry>> {
    let rows = sqlx::query(
        "SELECT id, customer_id, kind, amount, invoice_id, reason, actor, created_at FROM credit_entries \
         WHERE tenant_id = $1 AND customer_id = $2 ORDER BY id DESC LIMIT $3",
    )
    .bind(tenant.id)
    .bind(customer_id)
    .bind(limit.clamp(1, 10_000))
    .fetch_all(store.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Entry {
                id: r.try_get("id")?,
                customer_id: r.try_get("customer_id")?,
                kind: EntryKind::parse(&r.try_get::<String, _>("kind")?)?,
                amount: r.try_get("amount")?,
                invoice_id: r.try_get("invoice_id")?,
                reason: r.try_get("reason")?,
                actor: r.try_get("actor")?,
                created_at: r.try_get("created_at")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Error::from)
}

/// A member's lots, earliest-expiring first (spent and expired ones included).
pub async fn lots(store: &Store, tenant: &Tenant, customer_id: i64) -> Result<Vec<Lot>> {
    let rows = sqlx::query(
        "SELECT id, entry_id, amount, remaining, spendable_at, expires_at FROM credit_lots \
         WHERE tenant_id = $1 AND customer_id = $2 ORDER BY expires_at, id",
    )
    .bind(tenant.id)
    .bind(customer_id)
    .fetch_all(store.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Lot {
                id: r.try_get("id")?,
                entry_id: r.try_get("entry_id")?,
                amount: r.try_get("amount")?,
                remaining: r.try_get("remaining")?,
                spendable_at: r.try_get("spendable_at")?,
                expires_at: r.try_get("expires_at")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Error::from)
}

/// Checks a member's bookkeeping identity (see the module docs).
pub async fn audit(store: &Store, tenant: &Tenant, customer_id: i64) -> Result<Audit> {
    let (entries_total,): (i64,) = sqlx::query_as(
        "SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) FROM credit_entries WHERE tenant_id = $1 AND customer_id = $2",
    )
    .bind(tenant.id)
    .bind(customer_id)
    .fetch_one(store.pool())
    .await?;
    let (lots_remaining, negative_lots): (i64, i64) = sqlx::query_as(
        "SELECT CAST(COALESCE(SUM(remaining), 0) AS BIGINT), \
                CAST(COALESCE(SUM(CASE WHEN remaining < 0 THEN 1 ELSE 0 END), 0) AS BIGINT) \
         FROM credit_lots WHERE tenant_id = $1 AND customer_id = $2",
    )
    .bind(tenant.id)
    .bind(customer_id)
    .fetch_one(store.pool())
    .await?;
    let (lot_use_mismatch,): (i64,) = sqlx::query_as(
        "SELECT CAST(COALESCE(SUM(l.amount - l.remaining - \
                (SELECT COALESCE(SUM(u.amount), 0) FROM credit_lot_uses u WHERE u.lot_id = l.id)), 0) AS BIGINT) \
         FROM credit_lots l WHERE l.tenant_id = $1 AND l.customer_id = $2",
    )
    .bind(tenant.id)
    .bind(customer_id)
    .fetch_one(store.pool())
    .await?;
    Ok(Audit {
        entries_total,
        lots_remaining,
        lot_use_mismatch,
        negative_lots,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actors_round_trip() {
        for a in [Actor::Staff(7), Actor::PosKey(3), Actor::System] {
            assert_eq!(a.to_string().parse::<Actor>().unwrap(), a);
        }
        assert!("staff:x".parse::<Actor>().is_err());
        assert!("root".parse::<Actor>().is_err());
    }
}
