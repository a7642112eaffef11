//! The customer club: who is a member of a tenant's club, since when, and how they joined.

use crate::error::Result;
use crate::store::Store;
use crate::{clock, tenants::Tenant};

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

/// Makes the customer a member; `true` if they just joined, `false` if they already were
/// (the first source is kept).
pub async fn join(
    store: &Store,
    tenant: &Tenant,
    customer_id: i64,
    source: JoinSource,
) -> Result<bool> {
    let done = sqlx::query(
        "INSERT INTO club_members (tenant_id, customer_id, source, joined_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (tenant_id, customer_id) DO NOTHING",
    )
    .bind(tenant.id)
    .bind(customer_id)
    .bind(source.as_str())
    .bind(clock::now())
    .execute(store.pool())
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
