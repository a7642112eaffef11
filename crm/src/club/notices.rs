//! Member notifications, paid from the tenant's SMS wallet ([`crate::sms::wallet`]):
//! with too little in the wallet a notice is skipped (counted), never sent unpaid.
//!
//! Notifications: **credit earned** (on an invoice that earns, when `notify_earned`) and
//! **credit about to expire** (`expiry_notice_days` ahead; [`expiring_due`], run by the
//! worker, sends one SMS per member and marks each lot so it is told once). Texts are
//! editable templates per tenant with Persian defaults; placeholders: `{tenant}`,
//! `{amount}`, `{spendable}`, `{date}` (Jalali), in Persian digits.

use sqlx::{AnyConnection, Row};

use crate::error::{Error, Result};
use crate::phone::Phone;
use crate::sms::wallet::send_paid_in;
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
    let mut tx = store.begin().await?;
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
        let mut tx = store.begin().await?;
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
