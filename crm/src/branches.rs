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
    list_in(store, tenant, &Scope::Every).await
}

/// The tenant's branches that `scope` reaches (what a branch-limited person may pick).
pub async fn list_in(store: &Store, tenant: &Tenant, scope: &Scope) -> Result<Vec<Branch>> {
    let sql = format!(
        "SELECT id, name FROM branches WHERE tenant_id = $1 AND {} ORDER BY id",
        scope.condition("id")
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
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

/// Which of a tenant's branches a panel person may see: every one, or only some (a
/// membership limited to branches). Data tied to no branch (a router not placed in
/// one) belongs to the whole business, so only people with every branch see it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Scope {
    #[default]
    Every,
    Only(Vec<i64>),
}

impl Scope {
    /// From a membership's limit (`None` = every branch).
    pub fn limited_to(branch_ids: Option<Vec<i64>>) -> Scope {
        branch_ids.map_or(Scope::Every, Scope::Only)
    }

    pub fn allows(&self, branch_id: Option<i64>) -> bool {
        match self {
            Scope::Every => true,
            Scope::Only(ids) => branch_id.is_some_and(|b| ids.contains(&b)),
        }
    }

    /// Whether this scope reaches every branch of a limit (empty = every branch): a
    /// person limited to some branches cannot let others in beyond them.
    pub fn covers(&self, limit: &[i64]) -> bool {
        match self {
            Scope::Every => true,
            Scope::Only(_) => !limit.is_empty() && limit.iter().all(|&b| self.allows(Some(b))),
        }
    }

    /// Only `branch`, if this scope allows it.
    pub fn narrowed_to(&self, branch: i64) -> Option<Scope> {
        self.allows(Some(branch)).then(|| Scope::Only(vec![branch]))
    }

    pub fn is_every(&self) -> bool {
        *self == Scope::Every
    }

    /// A SQL condition that the branch id in `column` is in scope. The ids are
    /// integers from our own tables, written as literals so callers need not thread
    /// a variable number of placeholders through their queries.
    pub(crate) fn condition(&self, column: &str) -> String {
        match self {
            Scope::Every => "TRUE".to_string(),
            Scope::Only(ids) if ids.is_empty() => "FALSE".to_string(),
            Scope::Only(ids) => {
                let list: Vec<String> = ids.iter().map(i64::to_string).collect();
                format!("{column} IN ({})", list.join(", "))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Scope;

    #[test]
    fn scope_allows_only_its_branches() {
        let only = Scope::limited_to(Some(vec![3, 5]));
        assert!(only.allows(Some(5)) && !only.allows(Some(4)) && !only.allows(None));
        assert!(Scope::limited_to(None).allows(None));
        assert_eq!(only.narrowed_to(3), Some(Scope::Only(vec![3])));
        assert_eq!(only.narrowed_to(4), None);
        assert!(only.covers(&[3]) && !only.covers(&[3, 4]) && !only.covers(&[]));
        assert!(Scope::Every.covers(&[]));
        assert_eq!(only.condition("n.branch_id"), "n.branch_id IN (3, 5)");
        assert_eq!(Scope::Only(vec![]).condition("b"), "FALSE");
        assert_eq!(Scope::Every.condition("b"), "TRUE");
    }
}
