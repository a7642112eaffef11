//! Roles of the owners' panel: what a member of a tenant may do.
//!
//! A [`Permission`] is one thing a page lets you do; a role is a set of them. The
//! built-in roles are fixed in code (so every tenant has them and they cannot drift);
//! a tenant may add custom roles, stored as rows of permission names.

use std::collections::BTreeSet;

use sqlx::{Any, Row, Transaction};

use crate::audit::{self, Actor, Change};
use crate::error::{Error, Result, conflict_if_unique};
use crate::{clock, store::Store, tenants::Tenant, text};

/// One thing a panel page lets a person do. The string names are what the database
/// stores for custom roles; never rename one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Permission {
    ViewDashboard,
    ViewCustomers,
    EditCustomers,
    ViewSessions,
    DisconnectSessions,
    ViewRouters,
    EditRouters,
    ViewGroups,
    EditGroups,
    ViewVouchers,
    CreateVouchers,
    ManagePeople,
    ViewAudit,
    /// The club page, members' balances and ledgers.
    ViewClub,
    /// Add credit by hand (within the per-staff daily cap and the fraud rules).
    ManualCredit,
    /// Clear fraud flags and the blocks they hold.
    ClearFraudFlags,
    /// Customers in and out as CSV (the whole list at once).
    ExportCustomers,
    /// Change the club's earning formula, expiry, tiers, notifications and fraud rules.
    EditClubSettings,
    /// Create coupon batches and read their reports.
    ManageCoupons,
    /// The club's reports (members, credit, visits, revenue) and the SMS wallet.
    ViewReports,
    /// Add money to the SMS wallet by hand (a payment received outside the panel).
    TopUpWallet,
    /// Survey feedback: cases (with the customer's media), satisfaction reports.
    ViewFeedback,
    /// Follow cases up: status, owner, notes, canned replies.
    HandleCases,
    /// Compare branches' satisfaction side by side (senior managers).
    CompareBranches,
    /// The host view (a day's bookings) and the live table board.
    ViewBookings,
    /// Book, confirm, seat, finish, cancel, record deposits, mark tables clean.
    ManageBookings,
    /// The booking settings: the SMS sent around bookings (owners, senior managers).
    EditBookingSettings,
    /// Platform operators only: create tenants. No role grants it.
    ManageTenants,
}

impl Permission {
    pub const ALL: [Permission; 28] = [
        Permission::ViewDashboard,
        Permission::ViewCustomers,
        Permission::EditCustomers,
        Permission::ViewSessions,
        Permission::DisconnectSessions,
        Permission::ViewRouters,
        Permission::EditRouters,
        Permission::ViewGroups,
        Permission::EditGroups,
        Permission::ViewVouchers,
        Permission::CreateVouchers,
        Permission::ManagePeople,
        Permission::ViewAudit,
        Permission::ViewClub,
        Permission::ManualCredit,
        Permission::ClearFraudFlags,
        Permission::ExportCustomers,
        Permission::EditClubSettings,
        Permission::ManageCoupons,
        Permission::ViewReports,
        Permission::TopUpWallet,
        Permission::ViewFeedback,
        Permission::HandleCases,
        Permission::CompareBranches,
        Permission::ViewBookings,
        Permission::ManageBookings,
        Permission::EditBookingSettings,
        // Last: owners get every permission before it.
        Permission::ManageTenants,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Permission::ViewDashboard => "view_dashboard",
            Permission::ViewCustomers => "view_customers",
            Permission::EditCustomers => "edit_customers",
            Permission::ViewSessions => "view_sessions",
            Permission::DisconnectSessions => "disconnect_sessions",
            Permission::ViewRouters => "view_routers",
            Permission::EditRouters => "edit_routers",
            Permission::ViewGroups => "view_groups",
            Permission::EditGroups => "edit_groups",
            Permission::ViewVouchers => "view_vouchers",
            Permission::CreateVouchers => "create_vouchers",
            Permission::ManagePeople => "manage_people",
            Permission::ViewAudit => "view_audit",
            Permission::ViewClub => "view_club",
            Permission::ManualCredit => "manual_credit",
            Permission::ClearFraudFlags => "clear_fraud_flags",
            Permission::ExportCustomers => "export_customers",
            Permission::EditClubSettings => "edit_club_settings",
            Permission::ManageCoupons => "manage_coupons",
            Permission::ViewReports => "view_reports",
            Permission::TopUpWallet => "top_up_wallet",
            Permission::ViewFeedback => "view_feedback",
            Permission::HandleCases => "handle_cases",
            Permission::CompareBranches => "compare_branches",
            Permission::ViewBookings => "view_bookings",
            Permission::ManageBookings => "manage_bookings",
            Permission::EditBookingSettings => "edit_booking_settings",
            Permission::ManageTenants => "manage_tenants",
        }
    }

    pub fn from_name(name: &str) -> Option<Permission> {
        Permission::ALL.into_iter().find(|p| p.name() == name)
    }
}

/// The roles every tenant has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BuiltinRole {
    Owner,
    SeniorManager,
    BranchManager,
    /// The cashier at the counter.
    Staff,
    Viewer,
}

impl BuiltinRole {
    pub const ALL: [BuiltinRole; 5] = [
        BuiltinRole::Owner,
        BuiltinRole::SeniorManager,
        BuiltinRole::BranchManager,
        BuiltinRole::Staff,
        BuiltinRole::Viewer,
    ];

    pub fn name(self) -> &'static str {
        match self {
            BuiltinRole::Owner => "owner",
            BuiltinRole::SeniorManager => "senior_manager",
            BuiltinRole::BranchManager => "branch_manager",
            BuiltinRole::Staff => "staff",
            BuiltinRole::Viewer => "viewer",
        }
    }

    pub fn from_name(name: &str) -> Option<BuiltinRole> {
        BuiltinRole::ALL.into_iter().find(|r| r.name() == name)
    }

    pub fn permissions(self) -> BTreeSet<Permission> {
        use Permission::*;
        let list: &[Permission] = match self {
            // Everything a tenant has; tenants themselves are the platform's.
            BuiltinRole::Owner => &Permission::ALL[..Permission::ALL.len() - 1],
            BuiltinRole::SeniorManager => &[
                ViewDashboard,
                ViewCustomers,
                EditCustomers,
                ViewSessions,
                DisconnectSessions,
                ViewRouters,
                EditRouters,
                ViewGroups,
                EditGroups,
                ViewVouchers,
                CreateVouchers,
                ViewClub,
                ManualCredit,
                ClearFraudFlags,
                ExportCustomers,
                EditClubSettings,
                ManageCoupons,
                ViewReports,
                ViewFeedback,
                HandleCases,
                CompareBranches,
                ViewBookings,
                ManageBookings,
                EditBookingSettings,
            ],
            BuiltinRole::BranchManager => &[
                ViewDashboard,
                ViewCustomers,
                EditCustomers,
                ViewSessions,
                DisconnectSessions,
                ViewRouters,
                ViewGroups,
                ViewVouchers,
                CreateVouchers,
                ViewClub,
                ManualCredit,
                ViewReports,
                ViewFeedback,
                HandleCases,
                ViewBookings,
                ManageBookings,
            ],
            BuiltinRole::Staff => &[
                ViewDashboard,
                ViewCustomers,
                ViewSessions,
                ViewVouchers,
                CreateVouchers,
                ViewClub,
                ViewBookings,
                ManageBookings,
            ],
            BuiltinRole::Viewer => &[
                ViewDashboard,
                ViewCustomers,
                ViewSessions,
                ViewRouters,
                ViewGroups,
                ViewVouchers,
                ViewClub,
                ViewFeedback,
                ViewBookings,
            ],
        };
        list.iter().copied().collect()
    }
}

/// A tenant's own role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomRole {
    pub id: i64,
    pub tenant_id: i64,
    pub name: String,
    pub permissions: BTreeSet<Permission>,
}

/// Creates a custom role; `ManageTenants` cannot be granted by a tenant.
pub async fn create_custom(
    store: &Store,
    tenant: &Tenant,
    name: &str,
    permissions: &BTreeSet<Permission>,
    actor: Actor,
) -> Result<CustomRole> {
    let name = checked_role(name, permissions)?;
    let mut tx = store.begin().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO panel_roles (tenant_id, name, created_at) VALUES ($1, $2, $3) RETURNING id",
    )
    .bind(tenant.id)
    .bind(&name)
    .bind(clock::now())
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| conflict_if_unique(e, || format!("role {name:?} already exists")))?;
    grant(&mut tx, id, permissions).await?;
    let names: Vec<&str> = permissions.iter().map(|p| p.name()).collect();
    audit::record(
        &mut *tx,
        actor,
        &Change {
            tenant_id: Some(tenant.id),
            action: "role.create",
            entity: "role",
            entity_id: Some(id),
            before: None,
            after: Some(serde_json::json!({ "name": name, "permissions": names })),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(CustomRole {
        id,
        tenant_id: tenant.id,
        name,
        permissions: permissions.clone(),
    })
}

/// The normalised name of a custom role, if it and its permissions are allowed.
fn checked_role(name: &str, permissions: &BTreeSet<Permission>) -> Result<String> {
    let name = text::normalize_name(name);
    if name.is_empty() || name.len() > 60 || BuiltinRole::from_name(&name).is_some() {
        return Err(Error::invalid(
            "a role name must be 1 to 60 characters and not a built-in role's",
        ));
    }
    if permissions.contains(&Permission::ManageTenants) {
        return Err(Error::invalid("only platform operators manage tenants"));
    }
    Ok(name)
}

async fn grant(
    tx: &mut Transaction<'_, Any>,
    role_id: i64,
    permissions: &BTreeSet<Permission>,
) -> Result<()> {
    for p in permissions {
        sqlx::query("INSERT INTO panel_role_permissions (role_id, permission) VALUES ($1, $2)")
            .bind(role_id)
            .bind(p.name())
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

fn role_json(role: &CustomRole) -> serde_json::Value {
    let names: Vec<&str> = role.permissions.iter().map(|p| p.name()).collect();
    serde_json::json!({ "name": role.name, "permissions": names })
}

/// One of the tenant's custom roles (another tenant's is not found).
pub async fn custom_role(store: &Store, tenant: &Tenant, id: i64) -> Result<CustomRole> {
    custom_roles(store, tenant)
        .await?
        .into_iter()
        .find(|r| r.id == id)
        .ok_or_else(|| Error::NotFound(format!("role #{id}")))
}

/// How many people of the tenant hold a custom role.
pub async fn holders(store: &Store, tenant: &Tenant, id: i64) -> Result<i64> {
    count_holders(store.pool(), tenant, id).await
}

async fn count_holders<'e, E>(db: E, tenant: &Tenant, id: i64) -> Result<i64>
where
    E: sqlx::Executor<'e, Database = Any>,
{
    Ok(sqlx::query_scalar(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM panel_memberships \
         WHERE tenant_id = $1 AND custom_role_id = $2",
    )
    .bind(tenant.id)
    .bind(id)
    .fetch_one(db)
    .await?)
}

/// Renames a custom role and replaces its permissions; its holders have the new set
/// on their next click (access is read on every request).
pub async fn update_custom(
    store: &Store,
    tenant: &Tenant,
    id: i64,
    name: &str,
    permissions: &BTreeSet<Permission>,
    actor: Actor,
) -> Result<CustomRole> {
    let before = custom_role(store, tenant, id).await?;
    let name = checked_role(name, permissions)?;
    let mut tx = store.begin().await?;
    sqlx::query("UPDATE panel_roles SET name = $1 WHERE id = $2 AND tenant_id = $3")
        .bind(&name)
        .bind(id)
        .bind(tenant.id)
        .execute(&mut *tx)
        .await
        .map_err(|e| conflict_if_unique(e, || format!("role {name:?} already exists")))?;
    sqlx::query("DELETE FROM panel_role_permissions WHERE role_id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    grant(&mut tx, id, permissions).await?;
    let after = CustomRole {
        id,
        tenant_id: tenant.id,
        name,
        permissions: permissions.clone(),
    };
    audit::record(
        &mut *tx,
        actor,
        &Change {
            tenant_id: Some(tenant.id),
            action: "role.update",
            entity: "role",
            entity_id: Some(id),
            before: Some(role_json(&before)),
            after: Some(role_json(&after)),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

/// Deletes a custom role nobody holds; while people hold it, a `Conflict` saying how
/// many (they need another role first, or they would be left with none).
pub async fn delete_custom(store: &Store, tenant: &Tenant, id: i64, actor: Actor) -> Result<()> {
    let before = custom_role(store, tenant, id).await?;
    let mut tx = store.begin().await?;
    let held = count_holders(&mut *tx, tenant, id).await?;
    if held > 0 {
        return Err(Error::Conflict(format!(
            "role {:?} is held by {held} people; give them another role first",
            before.name
        )));
    }
    sqlx::query("DELETE FROM panel_roles WHERE id = $1 AND tenant_id = $2")
        .bind(id)
        .bind(tenant.id)
        .execute(&mut *tx)
        .await?;
    audit::record(
        &mut *tx,
        actor,
        &Change {
            tenant_id: Some(tenant.id),
            action: "role.delete",
            entity: "role",
            entity_id: Some(id),
            before: Some(role_json(&before)),
            after: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A tenant's custom roles, by name.
pub async fn custom_roles(store: &Store, tenant: &Tenant) -> Result<Vec<CustomRole>> {
    let rows = sqlx::query(
        "SELECT r.id, r.name, p.permission FROM panel_roles r \
         LEFT JOIN panel_role_permissions p ON p.role_id = r.id \
         WHERE r.tenant_id = $1 ORDER BY r.name, r.id",
    )
    .bind(tenant.id)
    .fetch_all(store.pool())
    .await?;
    let mut roles: Vec<CustomRole> = Vec::new();
    for row in rows {
        let id: i64 = row.try_get("id")?;
        if roles.last().map(|r| r.id) != Some(id) {
            roles.push(CustomRole {
                id,
                tenant_id: tenant.id,
                name: row.try_get("name")?,
                permissions: BTreeSet::new(),
            });
        }
        let permission: Option<String> = row.try_get("permission")?;
        if let (Some(role), Some(p)) = (
            roles.last_mut(),
            permission.as_deref().and_then(Permission::from_name),
        ) {
            role.permissions.insert(p);
        }
    }
    Ok(roles)
}

/// The permissions of a stored custom role (unknown names are skipped).
pub(crate) async fn custom_permissions(
    store: &Store,
    role_id: i64,
) -> Result<BTreeSet<Permission>> {
    let names: Vec<String> =
        sqlx::query_scalar("SELECT permission FROM panel_role_permissions WHERE role_id = $1")
            .bind(role_id)
            .fetch_all(store.pool())
            .await?;
    Ok(names
        .iter()
        .filter_map(|n| Permission::from_name(n))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_roles_nest() {
        for p in Permission::ALL {
            assert_eq!(Permission::from_name(p.name()), Some(p));
        }
        let owner = BuiltinRole::Owner.permissions();
        assert!(!owner.contains(&Permission::ManageTenants));
        assert!(owner.contains(&Permission::ViewAudit));
        for role in BuiltinRole::ALL {
            assert!(role.permissions().is_subset(&owner), "{role:?}");
            assert_eq!(BuiltinRole::from_name(role.name()), Some(role));
        }
        assert!(
            !BuiltinRole::SeniorManager
                .permissions()
                .contains(&Permission::ViewAudit)
        );
        // The club: everyone sees it, managers add credit, senior ones clear flags.
        for role in BuiltinRole::ALL {
            assert!(
                role.permissions().contains(&Permission::ViewClub),
                "{role:?}"
            );
        }
        let credit = |r: BuiltinRole| r.permissions().contains(&Permission::ManualCredit);
        let clear = |r: BuiltinRole| r.permissions().contains(&Permission::ClearFraudFlags);
        assert!(credit(BuiltinRole::BranchManager) && !clear(BuiltinRole::BranchManager));
        assert!(!credit(BuiltinRole::Staff) && !credit(BuiltinRole::Viewer));
        assert!(clear(BuiltinRole::SeniorManager));
        // Feedback: branch managers follow cases up, only senior ones compare branches.
        let can = |r: BuiltinRole, p| r.permissions().contains(&p);
        assert!(can(BuiltinRole::BranchManager, Permission::HandleCases));
        assert!(!can(
            BuiltinRole::BranchManager,
            Permission::CompareBranches
        ));
        assert!(can(BuiltinRole::SeniorManager, Permission::CompareBranches));
        assert!(can(BuiltinRole::Viewer, Permission::ViewFeedback));
        assert!(!can(BuiltinRole::Viewer, Permission::HandleCases));
        assert!(!can(BuiltinRole::Staff, Permission::ViewFeedback));
    }
}
