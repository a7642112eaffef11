//! Static hotspot accounts: fixed username/password logins for staff devices and vouchers.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::error::{Error, Result, conflict_if_unique};
use crate::generations::{self, Generation};
use crate::secret::Secret;
use crate::store::{Store, flag};
use crate::{clock, groups, tenants::Tenant};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HotspotAccount {
    pub id: i64,
    pub tenant_id: i64,
    pub username: String,
    pub password: Secret,
    pub group_id: i64,
    pub group_name: String,
    pub disabled: bool,
    pub expires_at: Option<i64>,
}

macro_rules! select {
    () => {
        "SELECT a.id, a.tenant_id, a.username, a.password, a.group_id, \
    g.name AS group_name, a.disabled, a.expires_at \
    FROM hotspot_accounts a JOIN groups g ON g.id = a.group_id"
    };
}

impl HotspotAccount {
    fn from_row(row: &AnyRow) -> Result<HotspotAccount, sqlx::Error> {
        Ok(HotspotAccount {
            id: row.try_get("id")?,
            tenant_id: row.try_get("tenant_id")?,
            username: row.try_get("username")?,
            password: Secret::new(row.try_get::<String, _>("password")?),
            group_id: row.try_get("group_id")?,
            group_name: row.try_get("group_name")?,
            disabled: flag(row, "disabled")?,
            expires_at: row.try_get("expires_at")?,
        })
    }
}

pub async fn add(
    store: &Store,
    tenant: &Tenant,
    username: &str,
    password: &Secret,
    group: &str,
) -> Result<HotspotAccount> {
    let username = username.trim();
    if username.is_empty() || username.len() > 64 || username.chars().any(char::is_whitespace) {
        return Err(Error::invalid(
            "username must be 1 to 64 characters without spaces",
        ));
    }
    // RADIUS User-Password carries at most 128 octets.
    let pw = password.expose();
    if pw.is_empty() || pw.len() > 128 {
        return Err(Error::invalid("password must be 1 to 128 bytes"));
    }
    let group = groups::by_name(store, tenant, group).await?;
    let mut tx = store.pool().begin().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO hotspot_accounts (tenant_id, username, password, group_id, created_at) \
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(tenant.id)
    .bind(username)
    .bind(pw)
    .bind(group.id)
    .bind(clock::now())
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| conflict_if_unique(e, || format!("account {username:?} already exists")))?;
    generations::bump(&mut *tx, Generation::Subscribers).await?;
    tx.commit().await?;
    by_username(store, tenant, username)
        .await?
        .filter(|a| a.id == id)
        .ok_or_else(|| Error::NotFound(format!("account {username:?}")))
}

pub async fn by_username(
    store: &Store,
    tenant: &Tenant,
    username: &str,
) -> Result<Option<HotspotAccount>> {
    let sql = concat!(select!(), " WHERE a.tenant_id = $1 AND a.username = $2");
    let row = sqlx::query(sql)
        .bind(tenant.id)
        .bind(username)
        .fetch_optional(store.pool())
        .await?;
    Ok(row.as_ref().map(HotspotAccount::from_row).transpose()?)
}

pub async fn list(store: &Store, tenant: &Tenant) -> Result<Vec<HotspotAccount>> {
    let sql = concat!(select!(), " WHERE a.tenant_id = $1 ORDER BY a.username");
    let rows = sqlx::query(sql)
        .bind(tenant.id)
        .fetch_all(store.pool())
        .await?;
    Ok(rows
        .iter()
        .map(HotspotAccount::from_row)
        .collect::<Result<_, _>>()?)
}

pub async fn remove(store: &Store, tenant: &Tenant, username: &str) -> Result<()> {
    let mut tx = store.pool().begin().await?;
    let done = sqlx::query("DELETE FROM hotspot_accounts WHERE tenant_id = $1 AND username = $2")
        .bind(tenant.id)
        .bind(username.trim())
        .execute(&mut *tx)
        .await?;
    if done.rows_affected() == 0 {
        return Err(Error::NotFound(format!("account {:?}", username.trim())));
    }
    generations::bump(&mut *tx, Generation::Subscribers).await?;
    tx.commit().await?;
    Ok(())
}
