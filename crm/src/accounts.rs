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
    let mut tx = store.begin().await?;
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
    let mut tx = store.begin().await?;
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

/// Creates many accounts in one group at once, or updates the password and group of
/// those that exist: one transaction, multi-row statements, so seeding 100,000
/// accounts (e.g. `smartx bench seed`) takes seconds. Returns `(username, id)` for
/// every entry, in input order. Validation is `add`'s; one bad entry stores nothing.
pub async fn upsert_many(
    store: &Store,
    tenant: &Tenant,
    entries: &[(String, Secret)],
    group: &str,
) -> Result<Vec<(String, i64)>> {
    let mut rows: Vec<(&str, &str)> = Vec::with_capacity(entries.len());
    for (username, password) in entries {
        let username = username.trim();
        if username.is_empty() || username.len() > 64 || username.chars().any(char::is_whitespace) {
            return Err(Error::invalid(format!(
                "username {username:?} must be 1 to 64 characters without spaces"
            )));
        }
        let pw = password.expose();
        if pw.is_empty() || pw.len() > 128 {
            return Err(Error::invalid(format!(
                "password of {username:?} must be 1 to 128 bytes"
            )));
        }
        rows.push((username, pw));
    }
    let group = groups::by_name(store, tenant, group).await?;
    let now = clock::now();
    let mut ids = std::collections::HashMap::with_capacity(rows.len());
    let mut tx = store.begin().await?;
    // 5 parameters a row stays far below SQLite's (32,766) and PostgreSQL's (65,535) limits.
    for chunk in rows.chunks(500) {
        let mut sql = String::from(
            "INSERT INTO hotspot_accounts (tenant_id, username, password, group_id, created_at) VALUES ",
        );
        crate::accounting::Params::new(store.backend()).push_rows(&mut sql, chunk.len(), 5);
        sql.push_str(
            " ON CONFLICT (tenant_id, username) DO UPDATE SET password = excluded.password, \
             group_id = excluded.group_id RETURNING id, username",
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).persistent(false);
        for (username, pw) in chunk {
            query = query
                .bind(tenant.id)
                .bind(*username)
                .bind(*pw)
                .bind(group.id)
                .bind(now);
        }
        for row in query.fetch_all(&mut *tx).await? {
            ids.insert(
                row.try_get::<String, _>("username")?,
                row.try_get::<i64, _>("id")?,
            );
        }
    }
    generations::bump(&mut *tx, Generation::Subscribers).await?;
    tx.commit().await?;
    rows.iter()
        .map(|(username, _)| {
            ids.get(*username)
                .map(|id| (username.to_string(), *id))
                .ok_or_else(|| Error::NotFound(format!("account {username:?}")))
        })
        .collect()
}

#[cfg(all(test, feature = "testing"))]
mod tests {
    use super::*;
    use crate::tenants;

    #[tokio::test]
    async fn upsert_many_adds_then_updates_in_one_go() {
        for db in crate::testing::both().await {
            let t = tenants::ensure_default(&db.store).await.unwrap();
            let entries: Vec<(String, Secret)> = (1..=1203)
                .map(|i| (format!("bulk-{i}"), Secret::new(format!("pw-{i}"))))
                .collect();
            let ids = upsert_many(&db.store, &t, &entries, "staff").await.unwrap();
            assert_eq!(ids.len(), 1203);
            assert_eq!(ids[0].0, "bulk-1");
            let a = by_username(&db.store, &t, "bulk-1000")
                .await
                .unwrap()
                .unwrap();
            assert_eq!((a.id, a.password.expose()), (ids[999].1, "pw-1000"));
            assert_eq!(a.group_name, "staff");
            // Again, in another group with other passwords: same ids, new values.
            let again: Vec<(String, Secret)> = entries
                .iter()
                .map(|(u, _)| (u.clone(), Secret::new("changed")))
                .collect();
            assert_eq!(
                upsert_many(&db.store, &t, &again, "loyal").await.unwrap(),
                ids
            );
            let a = by_username(&db.store, &t, "bulk-7").await.unwrap().unwrap();
            assert_eq!(
                (a.password.expose(), a.group_name.as_str()),
                ("changed", "loyal")
            );
            // One bad entry stores nothing.
            let bad = vec![
                ("fresh-1".to_string(), Secret::new("x")),
                ("has space".to_string(), Secret::new("x")),
            ];
            assert!(upsert_many(&db.store, &t, &bad, "staff").await.is_err());
            assert!(
                by_username(&db.store, &t, "fresh-1")
                    .await
                    .unwrap()
                    .is_none()
            );
            db.cleanup().await;
        }
    }
}
