//! The customer club: who is a member of a tenant's club, since when, how they joined,
//! whether they take marketing SMS; the earning formula and tiers (`formula`), their
//! stored settings (`settings`). Credit itself lives in `crate::ledger`.

pub mod formula;
pub mod fraud;
pub mod inbound;
pub mod manual;
pub mod members;
pub mod notices;
pub mod profile;
pub mod reports;
pub mod rewards;
pub mod settings;
pub mod tier_groups;

use sqlx::AnyConnection;

use crate::error::{Error, Result};
use crate::phone::Phone;
use crate::store::Store;
use crate::{clock, ledger, tenants::Tenant};

/// How someone became a member.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JoinSource {
    Wifi,
    Sms,
    Pos,
    Reservation,
    Manual,
    Import,
}

impl JoinSource {
    pub fn as_str(self) -> &'static str {
        match self {
            JoinSource::Wifi => "wifi",
            JoinSource::Sms => "sms",
            JoinSource::Pos => "pos",
            JoinSource::Reservation => "reservation",
            JoinSource::Manual => "manual",
            JoinSource::Import => "import",
        }
    }
}

/// Writes an audit entry for a club change made by `actor`, inside its transaction. A
/// staff id names the panel user when there is one; the command line's `--staff` may
/// name someone who never signed in, recorded then as the host's change.
pub(crate) async fn audit_in(
    conn: &mut AnyConnection,
    actor: ledger::Actor,
    change: &crate::audit::Change<'_>,
) -> Result<()> {
    let user_id = match actor {
        ledger::Actor::Staff(id) => {
            sqlx::query_scalar::<_, i64>("SELECT id FROM panel_users WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut *conn)
                .await?
        }
        ledger::Actor::PosKey(_) | ledger::Actor::System => None,
    };
    crate::audit::record(&mut *conn, crate::audit::Actor { user_id }, change).await
}

/// Makes the customer a member; `true` if they just joined, `false` if they already were
/// (the first source is kept).
pub async fn join(
    store: &Store,
    tenant: &Tenant,
    customer_id: i64,
    source: JoinSource,
) -> Result<bool> {
    let mut conn = store.pool().acquire().await?;
    join_in(&mut conn, tenant.id, customer_id, source, clock::now()).await
}

pub(crate) async fn join_in(
    conn: &mut AnyConnection,
    tenant_id: i64,
    customer_id: i64,
    source: JoinSource,
    now: i64,
) -> Result<bool> {
    let done = sqlx::query(
        "INSERT INTO club_members (tenant_id, customer_id, source, joined_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (tenant_id, customer_id) DO NOTHING",
    )
    .bind(tenant_id)
    .bind(customer_id)
    .bind(source.as_str())
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The membership of a customer: how they joined and when.
pub async fn membership(
    store: &Store,
    tenant: &Tenant,
    customer_id: i64,
) -> Result<Option<(String, i64)>> {
    let row: Option<(String, i64)> = sqlx::query_as(
        "SELECT source, joined_at FROM club_members WHERE tenant_id = $1 AND customer_id = $2",
    )
    .bind(tenant.id)
    .bind(customer_id)
    .fetch_optional(store.pool())
    .await?;
    Ok(row)
}

pub async fn member_count(store: &Store, tenant: &Tenant) -> Result<i64> {
    Ok(
        sqlx::query_scalar("SELECT COUNT(*) FROM club_members WHERE tenant_id = $1")
            .bind(tenant.id)
            .fetch_one(store.pool())
            .await?,
    )
}

/// A tenant's club at a glance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Totals {
    pub members: i64,
    /// Credit members can spend now.
    pub outstanding: i64,
    /// Credit awarded but still in its pending window.
    pub pending: i64,
}

/// Members and the credit they hold at `now` (unexpired lots, all members).
pub async fn totals(store: &Store, tenant: &Tenant, now: i64) -> Result<Totals> {
    let (outstanding, pending): (i64, i64) = sqlx::query_as(
        "SELECT CAST(COALESCE(SUM(CASE WHEN spendable_at <= $2 THEN remaining ELSE 0 END), 0) AS BIGINT), \
                CAST(COALESCE(SUM(CASE WHEN spendable_at > $2 THEN remaining ELSE 0 END), 0) AS BIGINT) \
         FROM credit_lots WHERE tenant_id = $1 AND remaining > 0 AND expires_at > $2",
    )
    .bind(tenant.id)
    .bind(now)
    .fetch_one(store.pool())
    .await?;
    Ok(Totals {
        members: member_count(store, tenant).await?,
        outstanding,
        pending,
    })
}

/// Opts a member out of marketing SMS (or back in). `NotFound` if not a member.
/// Service messages (codes, balance replies, reservation texts) are not marketing.
pub async fn set_marketing_opt_out(
    store: &Store,
    tenant: &Tenant,
    customer_id: i64,
    opt_out: bool,
) -> Result<()> {
    let done = sqlx::query(
        "UPDATE club_members SET marketing_opt_out = $3, opted_out_at = $4 \
         WHERE tenant_id = $1 AND customer_id = $2",
    )
    .bind(tenant.id)
    .bind(customer_id)
    .bind(opt_out)
    .bind(opt_out.then(clock::now))
    .execute(store.pool())
    .await?;
    if done.rows_affected() == 0 {
        return Err(Error::NotFound(format!("club member #{customer_id}")));
    }
    Ok(())
}

/// Whether marketing SMS may go to this phone: only to members who did not opt out
/// (`notices::send_marketing` sends them, paid from the wallet).
pub async fn accepts_marketing(store: &Store, tenant: &Tenant, phone: &Phone) -> Result<bool> {
    let row = sqlx::query(
        "SELECT m.marketing_opt_out FROM club_members m JOIN customers c ON c.id = m.customer_id \
         WHERE m.tenant_id = $1 AND c.phone = $2",
    )
    .bind(tenant.id)
    .bind(phone.e164())
    .fetch_optional(store.pool())
    .await?;
    match row {
        Some(row) => Ok(!crate::store::flag(&row, "marketing_opt_out")?),
        None => Ok(false),
    }
}

/// Whether the member said STOP to marketing SMS (surveys respect it too); `false` for
/// a customer who is not a member.
pub(crate) async fn opted_out_in(
    conn: &mut AnyConnection,
    tenant_id: i64,
    customer_id: i64,
) -> Result<bool> {
    let row = sqlx::query(
        "SELECT marketing_opt_out FROM club_members WHERE tenant_id = $1 AND customer_id = $2",
    )
    .bind(tenant_id)
    .bind(customer_id)
    .fetch_optional(&mut *conn)
    .await?;
    match row {
        Some(r) => Ok(crate::store::flag(&r, "marketing_opt_out")?),
        None => Ok(false),
    }
}

/// What a member bought in the window since `since` (active invoices), and when last.
pub(crate) async fn activity_in(
    conn: &mut AnyConnection,
    tenant_id: i64,
    customer_id: i64,
    since: i64,
) -> Result<formula::Activity> {
    let (earned, spend, visits): (i64, i64, i64) = sqlx::query_as(
        "SELECT CAST(COALESCE(SUM(earned), 0) AS BIGINT), CAST(COALESCE(SUM(amount), 0) AS BIGINT), \
                CAST(COUNT(*) AS BIGINT) \
         FROM invoices WHERE tenant_id = $1 AND customer_id = $2 AND status = 'active' AND created_at >= $3",
    )
    .bind(tenant_id)
    .bind(customer_id)
    .bind(since)
    .fetch_one(&mut *conn)
    .await?;
    let (last_purchase_at,): (Option<i64>,) = sqlx::query_as(
        "SELECT MAX(created_at) FROM invoices WHERE tenant_id = $1 AND customer_id = $2 AND status = 'active'",
    )
    .bind(tenant_id)
    .bind(customer_id)
    .fetch_one(&mut *conn)
    .await?;
    Ok(formula::Activity {
        earned,
        spend,
        visits,
        last_purchase_at,
    })
}

/// A member as the POS and the panel show them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberSummary {
    pub customer_id: i64,
    /// `+989…`.
    pub phone: String,
    pub source: String,
    pub joined_at: i64,
    pub marketing_opt_out: bool,
    pub balance: ledger::Balance,
    pub tier: Option<String>,
}

/// A member's standing at `now`; `NotFound` if the phone is not a member.
pub async fn summary(
    store: &Store,
    tenant: &Tenant,
    phone: &Phone,
    now: i64,
) -> Result<MemberSummary> {
    let mut conn = store.pool().acquire().await?;
    let row = sqlx::query(
        "SELECT c.id, c.phone, m.source, m.joined_at, m.marketing_opt_out FROM club_members m \
         JOIN customers c ON c.id = m.customer_id WHERE m.tenant_id = $1 AND c.phone = $2",
    )
    .bind(tenant.id)
    .bind(phone.e164())
    .fetch_optional(&mut *conn)
    .await?
    .ok_or_else(|| Error::NotFound(format!("club member {phone}")))?;
    use sqlx::Row;
    let customer_id: i64 = row.try_get("id")?;
    let rules = settings::get_in(&mut conn, tenant.id, None).await?.tiers;
    let activity = activity_in(
        &mut conn,
        tenant.id,
        customer_id,
        now - rules.window_days * 86_400,
    )
    .await?;
    Ok(MemberSummary {
        customer_id,
        phone: row.try_get("phone")?,
        source: row.try_get("source")?,
        joined_at: row.try_get("joined_at")?,
        marketing_opt_out: crate::store::flag(&row, "marketing_opt_out")?,
        balance: ledger::balance_in(&mut conn, tenant.id, customer_id, now).await?,
        tier: rules.tier_for(&activity, now).map(|t| t.name.clone()),
    })
}
