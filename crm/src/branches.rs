//! Branches: the physical places of a tenant (a café, a second shop…).

use sqlx::Row;

use crate::error::{Error, Result, conflict_if_unique};
use crate::{clock, store::Store, tenants::Tenant};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Branch {
    pub id: i64,
    pub tenant_id: i64,
    pub name: String,
}

pub async fn add(store: &Store, tenant: &Tenant, name: &str) -> Result<Branch> {
    let name = name.trim();
    if name.is_empty() || name.len() > 100 {
        return Err(Error::invalid("branch name must be 1 to 100 characters"));
    }
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO branches (tenant_id, name, created_at) VALUES ($1, $2, $3) RETURNING id",
    )
    .bind(tenant.id)
    .bind(name)
    .bind(clock::now())
    .fetch_one(store.pool())
    .await
    .map_err(|e| conflict_if_unique(e, || format!("branch {name:?} already exists")))?;
    Ok(Branch {
        id,
        tenant_id: tenant.id,
        name: name.to_string(),
    })
}

pub async fn by_name(store: &Store, tenant: &Tenant, name: &str) -> Result<Branch> {
    let row = sqlx::query("SELECT id, name FROM branches WHERE tenant_id = $1 AND name = $2")
        .bind(tenant.id)
        .bind(name.trim())
        .fetch_optional(store.pool())
        .await?
        .ok_or_else(|| Error::NotFound(format!("branch {:?}", name.trim())))?;
    Ok(Branch {
        id: row.try_get("id")?,
        tenant_id: tenant.id,
        name: row.try_get("name")?,
    })
}

pub async fn by_id(store: &Store, tenant: &Tenant, id: i64) -> Result<Branch> {
    let branch = lookup(store, id).await?;
    if branch.tenant_id != tenant.id {
        return Err(Error::NotFound(format!("branch #{id}")));
    }
    Ok(branch)
}

/// A branch by id alone, for public pages that learn the tenant from the branch
/// (`/book/{branch_id}`); everything else goes through `by_id` with its tenant.
pub async fn lookup(store: &Store, id: i64) -> Result<Branch> {
    let row = sqlx::query("SELECT id, tenant_id, name FROM branches WHERE id = $1")
        .bind(id)
        .fetch_optional(store.pool())
        .await?
        .ok_or_else(|| Error::NotFound(format!("branch #{id}")))?;
    Ok(Branch {
        id: row.try_get("id")?,
        tenant_id: row.try_get("tenant_id")?,
        name: row.try_get("name")?,
    })
}

pub async fn list(store: &Store, tenant: &Tenant) -> Result<Vec<Branch>> {
    let rows = sqlx::query("SELECT id, name FROM branches WHERE tenant_id = $1 ORDER BY id")
        .bind(tenant.id)
        .fetch_all(store.pool())
        .await?;
    rows.iter()
        .map(|r| {
            Ok(Branch {
                id: r.try_get("id")?,
                tenant_id: tenant.id,
                name: r.try_get("name")?,
            })
        })
        .collect()
}
