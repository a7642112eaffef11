//! The people who run a business in the owners' panel: panel users (one per phone
//! number, platform-wide), and their memberships in tenants (a role, and optionally
//! only some branches). Platform operators may act in every tenant.

use std::collections::BTreeSet;

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::audit::{self, Actor, Change};
use crate::error::{Error, Result};
use crate::phone::Phone;
use crate::roles::{self, BuiltinRole, Permission};
use crate::store::{Store, flag};
use crate::{clock, tenants::Tenant, text};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PanelUser {
    pub id: i64,
    /// E.164, `+989XXXXXXXXX`.
    pub phone: String,
    pub name: Option<String>,
    pub is_operator: bool,
    pub created_at: i64,
}

impl PanelUser {
    fn from_row(row: &AnyRow) -> Result<PanelUser, sqlx::Error> {
        Ok(PanelUser {
            id: row.try_get("id")?,
            phone: row.try_get("phone")?,
            name: row.try_get("name")?,
            is_operator: flag(row, "is_operator")?,
            created_at: row.try_get("created_at")?,
        })
    }
}

/// Creates a platform operator, or makes an existing panel user one.
pub async fn create_operator(store: &Store, phone: &str, name: Option<&str>) -> Result<PanelUser> {
    let phone = Phone::parse(phone)?;
    let name = name.map(text::normalize_name).filter(|n| !n.is_empty());
    let mut tx = store.begin().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO panel_users (phone, name, is_operator, created_at) VALUES ($1, $2, TRUE, $3) \
         ON CONFLICT (phone) DO UPDATE SET is_operator = TRUE, \
             name = COALESCE(excluded.name, panel_users.name) \
         RETURNING id",
    )
    .bind(phone.e164())
    .bind(&name)
    .bind(clock::now())
    .fetch_one(&mut *tx)
    .await?;
    audit::record(
        &mut *tx,
        Actor::CLI,
        &Change {
            tenant_id: None,
            action: "operator.create",
            entity: "panel_user",
            entity_id: Some(id),
            before: None,
            after: Some(serde_json::json!({ "phone": phone.e164(), "name": name })),
        },
    )
    .await?;
    tx.commit().await?;
    user_by_id(store, id).await
}

pub async fn user_by_id(store: &Store, id: i64) -> Result<PanelUser> {
    let row = sqlx::query(
        "SELECT id, phone, name, is_operator, created_at FROM panel_users WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(store.pool())
    .await?
    .ok_or_else(|| Error::NotFound(format!("panel user #{id}")))?;
    Ok(PanelUser::from_row(&row)?)
}

/// The panel user with this phone, if any.
pub async fn user_by_phone(store: &Store, phone: &Phone) -> Result<Option<PanelUser>> {
    let row = sqlx::query(
        "SELECT id, phone, name, is_operator, created_at FROM panel_users WHERE phone = $1",
    )
    .bind(phone.e164())
    .fetch_optional(store.pool())
    .await?;
    Ok(row.as_ref().map(PanelUser::from_row).transpose()?)
}

/// A member's role: a built-in one, or a custom role of the tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoleRef {
    Builtin(BuiltinRole),
    Custom(i64),
}

/// One person's place in one tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Membership {
    pub id: i64,
    pub tenant_id: i64,
    pub tenant_name: String,
    pub user_id: i64,
    pub phone: String,
    pub name: Option<String>,
    pub role: RoleRef,
    /// The built-in role's name, or the custom role's.
    pub role_name: String,
    /// Empty = every branch.
    pub branch_ids: Vec<i64>,
}

macro_rules! membership_select {
    () => {
        "SELECT m.id, m.tenant_id, t.name AS tenant_name, m.user_id, u.phone, u.name, m.role, \
         m.custom_role_id, r.name AS custom_name \
         FROM panel_memberships m JOIN panel_users u ON u.id = m.user_id \
         JOIN tenants t ON t.id = m.tenant_id LEFT JOIN panel_roles r ON r.id = m.custom_role_id"
    };
}

async fn memberships(store: &Store, rows: Vec<AnyRow>) -> Result<Vec<Membership>> {
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let id: i64 = row.try_get("id")?;
        let role_text: String = row.try_get("role")?;
        let custom_id: Option<i64> = row.try_get("custom_role_id")?;
        let custom_name: Option<String> = row.try_get("custom_name")?;
        let (role, role_name) = match (BuiltinRole::from_name(&role_text), custom_id) {
            (Some(b), _) => (RoleRef::Builtin(b), b.name().to_string()),
            (None, Some(c)) => (RoleRef::Custom(c), custom_name.unwrap_or_default()),
            // An unknown name grants nothing rather than failing the whole list.
            (None, None) => (RoleRef::Custom(0), role_text),
        };
        let branch_ids = sqlx::query_scalar(
            "SELECT branch_id FROM panel_membership_branches WHERE membership_id = $1 ORDER BY branch_id",
        )
        .bind(id)
        .fetch_all(store.pool())
        .await?;
        out.push(Membership {
            id,
            tenant_id: row.try_get("tenant_id")?,
            tenant_name: row.try_get("tenant_name")?,
            user_id: row.try_get("user_id")?,
            phone: row.try_get("phone")?,
            name: row.try_get("name")?,
            role,
            role_name,
            branch_ids,
        });
    }
    Ok(out)
}

/// Every tenant a user belongs to, by tenant name.
pub async fn memberships_of(store: &Store, user_id: i64) -> Result<Vec<Membership>> {
    let sql = concat!(
        membership_select!(),
        " WHERE m.user_id = $1 ORDER BY t.name"
    );
    let rows = sqlx::query(sql)
        .bind(user_id)
        .fetch_all(store.pool())
        .await?;
    memberships(store, rows).await
}

/// A tenant's people, by phone.
pub async fn members(store: &Store, tenant: &Tenant) -> Result<Vec<Membership>> {
    let sql = concat!(
        membership_select!(),
        " WHERE m.tenant_id = $1 ORDER BY u.phone"
    );
    let rows = sqlx::query(sql)
        .bind(tenant.id)
        .fetch_all(store.pool())
        .await?;
    memberships(store, rows).await
}

async fn membership(store: &Store, tenant_id: i64, user_id: i64) -> Result<Option<Membership>> {
    let sql = concat!(
        membership_select!(),
        " WHERE m.tenant_id = $1 AND m.user_id = $2"
    );
    let rows = sqlx::query(sql)
        .bind(tenant_id)
        .bind(user_id)
        .fetch_all(store.pool())
        .await?;
    Ok(memberships(store, rows).await?.pop())
}

/// What a user may do in a tenant, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Access {
    pub permissions: BTreeSet<Permission>,
    /// `None` = every branch.
    pub branch_ids: Option<Vec<i64>>,
    pub role_name: String,
}

/// The user's access in `tenant_id`; `None` = no business there. Operators may do
/// everything everywhere.
pub async fn access(store: &Store, user: &PanelUser, tenant_id: i64) -> Result<Option<Access>> {
    if user.is_operator {
        return Ok(Some(Access {
            permissions: Permission::ALL.into_iter().collect(),
            branch_ids: None,
            role_name: "operator".into(),
        }));
    }
    let Some(m) = membership(store, tenant_id, user.id).await? else {
        return Ok(None);
    };
    let permissions = match m.role {
        RoleRef::Builtin(b) => b.permissions(),
        RoleRef::Custom(id) => roles::custom_permissions(store, id).await?,
    };
    Ok(Some(Access {
        permissions,
        branch_ids: (!m.branch_ids.is_empty()).then_some(m.branch_ids),
        role_name: m.role_name,
    }))
}

/// The ids of a tenant's people who hold `permission` (by a built-in role or a custom
/// one) and, when `branch_id` is given, may see that branch (no branch list = all).
/// Operators are not members and are left out.
pub(crate) async fn holders_in(
    conn: &mut sqlx::AnyConnection,
    tenant_id: i64,
    permission: Permission,
    branch_id: Option<i64>,
) -> Result<Vec<i64>> {
    // Built-in role names are code constants, never input.
    let builtin: Vec<String> = BuiltinRole::ALL
        .into_iter()
        .filter(|r| r.permissions().contains(&permission))
        .map(|r| format!("'{}'", r.name()))
        .collect();
    let builtin = if builtin.is_empty() {
        "NULL".to_string()
    } else {
        builtin.join(", ")
    };
    let sql = format!(
        "SELECT m.user_id FROM panel_memberships m WHERE m.tenant_id = $1 \
         AND (m.role IN ({builtin}) OR EXISTS (SELECT 1 FROM panel_role_permissions p \
             WHERE p.role_id = m.custom_role_id AND p.permission = $2)) \
         AND ($3 = 0 OR NOT EXISTS (SELECT 1 FROM panel_membership_branches b \
                 WHERE b.membership_id = m.id) \
             OR EXISTS (SELECT 1 FROM panel_membership_branches b \
                 WHERE b.membership_id = m.id AND b.branch_id = $4)) \
         ORDER BY m.user_id"
    );
    Ok(sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
        .bind(tenant_id)
        .bind(permission.name())
        .bind(i64::from(branch_id.is_some()))
        .bind(branch_id.unwrap_or(0))
        .fetch_all(&mut *conn)
        .await?)
}

/// Someone an owner lets into the tenant.
#[derive(Debug, Clone)]
pub struct NewMember<'a> {
    pub phone: &'a str,
    pub name: Option<&'a str>,
    pub role: RoleRef,
    /// Empty = every branch.
    pub branch_ids: &'a [i64],
}

/// Adds a person (creating their panel user if the phone is new) with a role; the
/// role and branches must be the tenant's own.
pub async fn add_member(
    store: &Store,
    tenant: &Tenant,
    new: &NewMember<'_>,
    actor: Actor,
) -> Result<Membership> {
    let phone = Phone::parse(new.phone)?;
    let name = new.name.map(text::normalize_name).filter(|n| !n.is_empty());
    let (role_text, custom_id) = match new.role {
        RoleRef::Builtin(b) => (b.name(), None),
        RoleRef::Custom(id) => ("custom", Some(id)),
    };
    let mut tx = store.begin().await?;
    // Another tenant's role or branch is "not found", like any foreign id.
    let checks = custom_id
        .map(|id| {
            (
                "SELECT id FROM panel_roles WHERE id = $1 AND tenant_id = $2",
                id,
                "role",
            )
        })
        .into_iter()
        .chain(new.branch_ids.iter().map(|&id| {
            (
                "SELECT id FROM branches WHERE id = $1 AND tenant_id = $2",
                id,
                "branch",
            )
        }));
    for (sql, id, what) in checks {
        let ours: Option<i64> = sqlx::query_scalar(sql)
            .bind(id)
            .bind(tenant.id)
            .fetch_optional(&mut *tx)
            .await?;
        if ours.is_none() {
            return Err(Error::NotFound(format!("{what} #{id}")));
        }
    }
    let now = clock::now();
    let user_id: i64 = sqlx::query_scalar(
        "INSERT INTO panel_users (phone, name, created_at) VALUES ($1, $2, $3) \
         ON CONFLICT (phone) DO UPDATE SET name = COALESCE(panel_users.name, excluded.name) \
         RETURNING id",
    )
    .bind(phone.e164())
    .bind(&name)
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    let id: Option<i64> = sqlx::query_scalar(
        "INSERT INTO panel_memberships (tenant_id, user_id, role, custom_role_id, created_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (tenant_id, user_id) DO NOTHING RETURNING id",
    )
    .bind(tenant.id)
    .bind(user_id)
    .bind(role_text)
    .bind(custom_id)
    .bind(now)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(id) = id else {
        return Err(Error::Conflict(format!("{phone} is already a member")));
    };
    for branch in new.branch_ids {
        sqlx::query(
            "INSERT INTO panel_membership_branches (membership_id, branch_id) VALUES ($1, $2) \
             ON CONFLICT DO NOTHING",
        )
        .bind(id)
        .bind(branch)
        .execute(&mut *tx)
        .await?;
    }
    audit::record(
        &mut *tx,
        actor,
        &Change {
            tenant_id: Some(tenant.id),
            action: "member.add",
            entity: "membership",
            entity_id: Some(id),
            before: None,
            after: Some(serde_json::json!({
                "phone": phone.e164(),
                "role": role_text,
                "custom_role_id": custom_id,
                "branch_ids": new.branch_ids,
            })),
        },
    )
    .await?;
    tx.commit().await?;
    membership(store, tenant.id, user_id)
        .await?
        .ok_or_else(|| Error::NotFound(format!("membership #{id}")))
}

/// Removes a membership of this tenant (another tenant's id is not found). The last
/// owner stays: a tenant nobody can manage would need an operator to recover.
pub async fn remove_member(
    store: &Store,
    tenant: &Tenant,
    membership_id: i64,
    actor: Actor,
) -> Result<()> {
    let mut tx = store.begin().await?;
    let row = sqlx::query(
        "SELECT m.role, u.phone FROM panel_memberships m JOIN panel_users u ON u.id = m.user_id \
         WHERE m.id = $1 AND m.tenant_id = $2",
    )
    .bind(membership_id)
    .bind(tenant.id)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| Error::NotFound(format!("membership #{membership_id}")))?;
    let role: String = row.try_get("role")?;
    let phone: String = row.try_get("phone")?;
    if role == BuiltinRole::Owner.name() {
        let owners: i64 = sqlx::query_scalar(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM panel_memberships WHERE tenant_id = $1 AND role = $2",
        )
        .bind(tenant.id)
        .bind(role.as_str())
        .fetch_one(&mut *tx)
        .await?;
        if owners <= 1 {
            return Err(Error::invalid("the last owner cannot be removed"));
        }
    }
    sqlx::query("DELETE FROM panel_memberships WHERE id = $1 AND tenant_id = $2")
        .bind(membership_id)
        .bind(tenant.id)
        .execute(&mut *tx)
        .await?;
    audit::record(
        &mut *tx,
        actor,
        &Change {
            tenant_id: Some(tenant.id),
            action: "member.remove",
            entity: "membership",
            entity_id: Some(membership_id),
            before: Some(serde_json::json!({ "phone": phone, "role": role })),
            after: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
