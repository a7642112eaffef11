//! Member notifications and the SMS wallet that pays for them.
//!
//! The wallet (`sms_wallets`) holds the tenant's balance and the price of one member SMS;
//! every top-up and debit is an entry (`sms_wallet_entries`). A member SMS is queued on the
//! outbox and debited in the same transaction as what caused it, so it leaves only if
//! that commits, and is paid exactly once; with too little in the wallet it is skipped
//! (logged), never sent unpaid.
//!
//! Notifications: **credit earned** (on an invoice that earns, when `notify_earned`) and
//! **credit about to expire** (`expiry_notice_days` ahead; [`expiring_due`], run by the
//! worker, sends one SMS per member and marks each lot so it is told once). Texts are
//! editable templates per tenant with Persian defaults; placeholders: `{tenant}`,
//! `{amount}`, `{spendable}`, `{date}` (Jalali), in Persian digits.

use sqlx::{AnyConnection, Row};

use crate::error::{Error, Result};
use crate::ledger::{self, Actor};
use crate::phone::Phone;
use crate::store::Store;
use crate::tenants::{self, Tenant};
use crate::{clock, jalali, sms, ui};

/// Which notification a template is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notice {
    CreditEarned,
    CreditExpiring,
}

impl Notice {
    pub fn as_str(self) -> &'static str {
        match self {
            Notice::CreditEarned => "credit_earned",
            Notice::CreditExpiring => "credit_expiring",
        }
    }

    pub fn parse(s: &str) -> Result<Notice> {
        match s.trim() {
            "credit_earned" => Ok(Notice::CreditEarned),
            "credit_expiring" => Ok(Notice::CreditExpiring),
            other => Err(Error::invalid(format!(
                "notification {other:?}: expected credit_earned or credit_expiring"
            ))),
        }
    }

    /// The Persian text used until the tenant writes its own.
    pub fn default_template(self) -> &'static str {
        match self {
            Notice::CreditEarned => {
                "{tenant}: {amount} ریال اعتبار به حساب باشگاه شما افزوده شد. اعتبار قابل استفاده: {spendable} ریال."
            }
            Notice::CreditExpiring => {
                "{tenant}: {amount} ریال از اعتبار باشگاه شما در {date} منقضی می‌شود. تا آن روز از آن استفاده کنید."
            }
        }
    }
}

const PLACEHOLDERS: [&str; 4] = ["{tenant}", "{amount}", "{spendable}", "{date}"];

/// Fills a template; numbers in Persian digits.
pub fn render(template: &str, tenant: &str, amount: i64, spendable: i64, date: &str) -> String {
    template
        .replace("{tenant}", tenant)
        .replace("{amount}", &ui::persian_digits(&amount.to_string()))
        .replace("{spendable}", &ui::persian_digits(&spendable.to_string()))
        .replace("{date}", &ui::persian_digits(date))
}

/// The tenant's text for `notice`, or the default.
pub async fn template(store: &Store, tenant: &Tenant, notice: Notice) -> Result<String> {
    let mut conn = store.pool().acquire().await?;
    template_in(&mut conn, tenant.id, notice).await
}

pub(crate) async fn template_in(
    conn: &mut AnyConnection,
    tenant_id: i64,
    notice: Notice,
) -> Result<String> {
    let body: Option<String> =
        sqlx::query_scalar("SELECT body FROM club_templates WHERE tenant_id = $1 AND kind = $2")
            .bind(tenant_id)
            .bind(notice.as_str())
            .fetch_optional(&mut *conn)
            .await?;
    Ok(body.unwrap_or_else(|| notice.default_template().to_string()))
}

/// Stores the tenant's text for `notice` (`None` goes back to the default).
pub async fn set_template(
    store: &Store,
    tenant: &Tenant,
    notice: Notice,
    body: Option<&str>,
) -> Result<()> {
    let mut conn = store.pool().acquire().await?;
    set_template_in(&mut conn, tenant.id, notice, body).await
}

pub(crate) async fn set_template_in(
    conn: &mut AnyConnection,
    tenant_id: i64,
    notice: Notice,
    body: Option<&str>,
) -> Result<()> {
    let Some(body) = body.map(str::trim) else {
        sqlx::query("DELETE FROM club_templates WHERE tenant_id = $1 AND kind = $2")
            .bind(tenant_id)
            .bind(notice.as_str())
            .execute(&mut *conn)
            .await?;
        return Ok(());
    };
    // Unknown {placeholders} would reach members verbatim: refuse them.
    let mut rest = body;
    while let Some(open) = rest.find('{') {
        let close = rest[open..]
            .find('}')
            .map(|c| open + c + 1)
            .unwrap_or(rest.len());
        let name = &rest[open..close];
        if !PLACEHOLDERS.contains(&name) {
            return Err(Error::invalid(format!(
                "unknown placeholder {name:?}: use {}",
                PLACEHOLDERS.join(", ")
            )));
        }
        rest = &rest[close..];
    }
    // The longest a filled text can grow is bounded by the outbox's own check at send time.
    if body.is_empty() || body.chars().count() > 600 {
        return Err(Error::invalid("a template must be 1 to 600 characters"));
    }
    sqlx::query(
        "INSERT INTO club_templates (tenant_id, kind, body, updated_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (tenant_id, kind) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at",
    )
    .bind(tenant_id)
    .bind(notice.as_str())
    .bind(body)
    .bind(clock::now())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The wallet: balance and price per member SMS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Wallet {
    pub balance: i64,
    pub price_per_sms: i64,
}

pub async fn wallet(store: &Store, tenant: &Tenant) -> Result<Wallet> {
    let row: Option<(i64, i64)> =
        sqlx::query_as("SELECT balance, price_per_sms FROM sms_wallets WHERE tenant_id = $1")
            .bind(tenant.id)
            .fetch_optional(store.pool())
            .await?;
    Ok(
        row.map_or_else(Wallet::default, |(balance, price_per_sms)| Wallet {
            balance,
            price_per_sms,
        }),
    )
}

/// Adds `amount` rials to the wallet (a manual/admin top-up for now), recorded with
/// its reason and who did it.
pub async fn top_up(
    store: &Store,
    tenant: &Tenant,
    amount: i64,
    reason: &str,
    actor: Actor,
) -> Result<Wallet> {
    ledger::check_amount(amount, "the top-up")?;
    if reason.trim().is_empty() {
        return Err(Error::invalid(
            "a top-up needs a reason (e.g. the payment reference)",
        ));
    }
    let mut tx = store.pool().begin().await?;
    sqlx::query(
        "INSERT INTO sms_wallets (tenant_id, balance) VALUES ($1, $2) \
         ON CONFLICT (tenant_id) DO UPDATE SET balance = sms_wallets.balance + excluded.balance",
    )
    .bind(tenant.id)
    .bind(amount)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO sms_wallet_entries (tenant_id, kind, amount, reason, actor, created_at) \
         VALUES ($1, 'topup', $2, $3, $4, $5)",
    )
    .bind(tenant.id)
    .bind(amount)
    .bind(reason.trim())
    .bind(actor.to_string())
    .bind(clock::now())
    .execute(&mut *tx)
    .await?;
    let change = crate::audit::Change {
        tenant_id: Some(tenant.id),
        action: "wallet.topup",
        entity: "tenant",
        entity_id: Some(tenant.id),
        before: None,
        after: Some(serde_json::json!({ "amount": amount, "reason": reason.trim() })),
    };
    super::audit_in(&mut tx, actor, &change).await?;
    tx.commit().await?;
    wallet(store, tenant).await
}

/// One top-up or debit of the wallet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalletEntry {
    /// `topup` or `debit`.
    pub kind: String,
    pub amount: i64,
    pub reason: String,
    pub actor: String,
    pub created_at: i64,
}

/// The wallet's newest entries; `kind` narrows to `topup` or `debit`.
pub async fn wallet_entries(
    store: &Store,
    tenant: &Tenant,
    kind: Option<&str>,
    limit: i64,
) -> Result<Vec<WalletEntry>> {
    let rows = sqlx::query(
        "SELECT kind, amount, reason, actor, created_at FROM sms_wallet_entries \
         WHERE tenant_id = $1 AND ($2 = '' OR kind = $2) ORDER BY id DESC LIMIT $3",
    )
    .bind(tenant.id)
    .bind(kind.unwrap_or(""))
    .bind(limit.clamp(1, 1000))
    .fetch_all(store.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(WalletEntry {
                kind: r.try_get("kind")?,
                amount: r.try_get("amount")?,
                reason: r.try_get("reason")?,
                actor: r.try_get("actor")?,
                created_at: r.try_get("created_at")?,
            })
        })
        .collect()
}

/// Sets what one member SMS costs (rials).
pub async fn set_price(store: &Store, tenant: &Tenant, price: i64) -> Result<()> {
    if !(0..=10_000_000).contains(&price) {
        return Err(Error::invalid(
            "the price per SMS must be 0 to 10000000 rials",
        ));
    }
    sqlx::query(
        "INSERT INTO sms_wallets (tenant_id, price_per_sms) VALUES ($1, $2) \
         ON CONFLICT (tenant_id) DO UPDATE SET price_per_sms = excluded.price_per_sms",
    )
    .bind(tenant.id)
    .bind(price)
    .execute(store.pool())
    .await?;
    Ok(())
}

/// Queues a member SMS paid from the wallet, inside the caller's transaction.
/// `None` (and nothing queued) when the wallet cannot pay.
pub(crate) async fn send_paid_in(
    conn: &mut AnyConnection,
    tenant: &Tenant,
    phone: &Phone,
    body: &str,
    purpose: &str,
) -> Result<Option<i64>> {
    let paid = sqlx::query(
        "UPDATE sms_wallets SET balance = balance - price_per_sms WHERE tenant_id = $1 AND balance >= price_per_sms",
    )
    .bind(tenant.id)
    .execute(&mut *conn)
    .await?;
    if paid.rows_affected() == 0 {
        tracing::warn!(
            tenant = tenant.id,
            purpose,
            "member SMS skipped: the SMS wallet is empty"
        );
        return Ok(None);
    }
    let id = sms::enqueue_text_in(conn, tenant, phone, body, purpose).await?;
    sqlx::query(
        "INSERT INTO sms_wallet_entries (tenant_id, kind, amount, outbox_id, reason, actor, created_at) \
         SELECT tenant_id, 'debit', -price_per_sms, $2, $3, 'system', $4 FROM sms_wallets WHERE tenant_id = $1",
    )
    .bind(tenant.id)
    .bind(id)
    .bind(purpose)
    .bind(clock::now())
    .execute(&mut *conn)
    .await?;
    Ok(Some(id))
}

/// What became of a marketing text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Marketing {
    /// Queued (outbox id) and paid from the wallet.
    Queued(i64),
    /// Not a member of the tenant's club: marketing goes to members only.
    NotMember,
    /// The member texted STOP.
    OptedOut,
    /// The SMS wallet cannot pay for it.
    WalletEmpty,
}

/// Queues a marketing text to a club member who has not opted out, paid from the
/// wallet; anyone else is skipped, and so is everyone when the wallet is empty.
/// Service texts (codes, replies) go through `sms::enqueue_text`.
pub async fn send_marketing(
    store: &Store,
    tenant: &Tenant,
    phone: &Phone,
    body: &str,
    purpose: &str,
) -> Result<Marketing> {
    let mut tx = store.pool().begin().await?;
    let row = sqlx::query(
        "SELECT m.marketing_opt_out FROM club_members m JOIN customers c ON c.id = m.customer_id \
         WHERE m.tenant_id = $1 AND c.phone = $2",
    )
    .bind(tenant.id)
    .bind(phone.e164())
    .fetch_optional(&mut *tx)
    .await?;
    let outcome = match row {
        None => Marketing::NotMember,
        Some(row) if crate::store::flag(&row, "marketing_opt_out")? => Marketing::OptedOut,
        Some(_) => match send_paid_in(&mut tx, tenant, phone, body, purpose).await? {
            Some(id) => Marketing::Queued(id),
            None => Marketing::WalletEmpty,
        },
    };
    tx.commit().await?;
    if matches!(outcome, Marketing::Queued(_)) {
        sms::wakeup().notify_one();
    }
    Ok(outcome)
}

/// The "credit earned" SMS for an invoice, inside its transaction, if the tenant wants it.
pub(crate) async fn credit_earned_in(
    conn: &mut AnyConnection,
    tenant: &Tenant,
    phone: &Phone,
    amount: i64,
    spendable: i64,
) -> Result<Option<i64>> {
    let template = template_in(conn, tenant.id, Notice::CreditEarned).await?;
    let text = render(&template, &tenant.name, amount, spendable, "");
    send_paid_in(conn, tenant, phone, &text, "club_credit_earned").await
}

/// Texts every member whose credit expires within the tenant's notice period (once per
/// lot, one SMS per member). Returns how many SMS were queued.
pub async fn expiring_due(store: &Store, now: i64) -> Result<u64> {
    let rows = sqlx::query(
        "SELECT s.tenant_id, s.expiry_notice_days FROM club_settings s \
         WHERE s.branch_id = 0 AND s.expiry_notice_days > 0",
    )
    .fetch_all(store.pool())
    .await?;
    let mut sent = 0;
    for r in rows {
        let tenant = tenants::by_id(store, r.try_get("tenant_id")?).await?;
        let days: i64 = r.try_get("expiry_notice_days")?;
        sent += expiring_for(store, &tenant, days, now).await?;
    }
    Ok(sent)
}

async fn expiring_for(store: &Store, tenant: &Tenant, days: i64, now: i64) -> Result<u64> {
    let lots = sqlx::query(
        "SELECT l.id, l.customer_id, l.remaining, l.expires_at, c.phone FROM credit_lots l \
         JOIN customers c ON c.id = l.customer_id \
         WHERE l.tenant_id = $1 AND l.remaining > 0 AND l.spendable_at <= $2 AND l.expires_at > $2 \
           AND l.expires_at <= $3 \
           AND NOT EXISTS (SELECT 1 FROM credit_expiry_notices n WHERE n.lot_id = l.id) \
         ORDER BY l.customer_id, l.expires_at LIMIT 5000",
    )
    .bind(tenant.id)
    .bind(now)
    .bind(now + days * 86_400)
    .fetch_all(store.pool())
    .await?;
    // Per member: the lots, what they hold, and the earliest expiry among them.
    let mut members: Vec<(i64, String, Vec<i64>, i64, i64)> = Vec::new();
    for l in &lots {
        let customer: i64 = l.try_get("customer_id")?;
        let (lot, remaining, expires_at): (i64, i64, i64) = (
            l.try_get("id")?,
            l.try_get("remaining")?,
            l.try_get("expires_at")?,
        );
        match members.last_mut() {
            Some(m) if m.0 == customer => {
                m.2.push(lot);
                m.3 += remaining;
            }
            _ => members.push((
                customer,
                l.try_get("phone")?,
                vec![lot],
                remaining,
                expires_at,
            )),
        }
    }
    let zone = clock::Zone::named(&tenant.time_zone)?;
    let template = template(store, tenant, Notice::CreditExpiring).await?;
    let mut sent = 0;
    for (_, phone, lot_ids, amount, first_expiry) in members {
        let Ok(phone) = Phone::parse(&phone) else {
            continue;
        };
        let date = jalali::JalaliDate::from_day_key(zone.day_key(first_expiry))
            .map(|d| d.long(true))
            .unwrap_or_default();
        let text = render(&template, &tenant.name, amount, 0, &date);
        let mut tx = store.pool().begin().await?;
        let mut fresh = true;
        for lot in &lot_ids {
            // Claimed per lot: a second worker running at once skips what this one sends.
            let done = sqlx::query(
                "INSERT INTO credit_expiry_notices (lot_id, created_at) VALUES ($1, $2) ON CONFLICT (lot_id) DO NOTHING",
            )
            .bind(lot)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            fresh &= done.rows_affected() == 1;
        }
        if !fresh {
            continue;
        }
        if send_paid_in(&mut tx, tenant, &phone, &text, "club_credit_expiring")
            .await?
            .is_some()
        {
            sent += 1;
        }
        // Marked even when the wallet could not pay: a later top-up does not resend
        // stale warnings.
        tx.commit().await?;
    }
    if sent > 0 {
        sms::wakeup().notify_one();
    }
    Ok(sent)
}
