//! The tenant's SMS wallet: every SMS a tenant causes to its customers is paid from it.
//!
//! The wallet (`sms_wallets`) holds the balance and the price of one SMS; every top-up
//! and debit is an entry (`sms_wallet_entries`). Paid texts are member notices (club),
//! booking texts (confirmation, reminders, thank-you, no-show, answers to booking
//! replies) and survey texts (invitations, reminders, canned replies). A paid SMS is
//! queued on the outbox and debited in the same transaction as what caused it, so it
//! leaves only if that commits and is paid exactly once.
//!
//! **Empty wallet**: the SMS is skipped — never queued, never sent unpaid — and counted
//! in `sms_unpaid` (shown in the panel's reports), not retried after a top-up: a stale
//! reminder is worse than none. Until the platform sets a price (`price_per_sms` 0, the
//! default) paid SMS cost nothing and always go. Never charged and never blocked: login
//! codes (OTP), replies to the club's SMS keywords, and alerts to the tenant's own staff.

use sqlx::{AnyConnection, Row};

use crate::error::{Error, Result};
use crate::ledger::{self, Actor};
use crate::phone::Phone;
use crate::store::Store;
use crate::tenants::Tenant;
use crate::{clock, sms};

/// The wallet: balance and price per SMS.
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
    let mut tx = store.begin().await?;
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
    crate::club::audit_in(&mut tx, actor, &change).await?;
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

/// Sets what one SMS costs (rials).
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

/// Queues a tenant-paid SMS inside the caller's transaction, debiting the wallet.
/// `None` (nothing queued, the skip counted in `sms_unpaid`) when the wallet cannot pay.
pub(crate) async fn send_paid_in(
    conn: &mut AnyConnection,
    tenant: &Tenant,
    phone: &Phone,
    body: &str,
    purpose: &str,
) -> Result<Option<i64>> {
    // A tenant never priced has a wallet of price 0: its SMS are free, not blocked.
    sqlx::query(
        "INSERT INTO sms_wallets (tenant_id) VALUES ($1) ON CONFLICT (tenant_id) DO NOTHING",
    )
    .bind(tenant.id)
    .execute(&mut *conn)
    .await?;
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
            "SMS skipped: the SMS wallet is empty"
        );
        sqlx::query(
            "INSERT INTO sms_unpaid (tenant_id, purpose, phone, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(tenant.id)
        .bind(purpose)
        .bind(phone.e164())
        .bind(clock::now())
        .execute(&mut *conn)
        .await?;
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

/// [`send_paid_in`] in a transaction of its own, waking the sender when queued.
pub async fn send_paid(
    store: &Store,
    tenant: &Tenant,
    phone: &Phone,
    body: &str,
    purpose: &str,
) -> Result<Option<i64>> {
    let mut tx = store.begin().await?;
    let id = send_paid_in(&mut tx, tenant, phone, body, purpose).await?;
    tx.commit().await?;
    if id.is_some() {
        sms::wakeup().notify_one();
    }
    Ok(id)
}

/// How many paid SMS were skipped for an empty wallet since `since`, per purpose
/// (most first).
pub async fn unpaid_since(
    store: &Store,
    tenant: &Tenant,
    since: i64,
) -> Result<Vec<(String, i64)>> {
    let rows = sqlx::query(
        "SELECT purpose, COUNT(*) AS n FROM sms_unpaid WHERE tenant_id = $1 AND created_at >= $2 \
         GROUP BY purpose ORDER BY n DESC, purpose",
    )
    .bind(tenant.id)
    .bind(since)
    .fetch_all(store.pool())
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("purpose")?, r.try_get("n")?)))
        .collect()
}
