//! Tiers driving WiFi groups: a tier may name a group (e.g. gold → `loyal`); a member
//! whose tier changes moves to that group — or back to the default guest group when
//! their tier has none (demotion). Only members in the default group, no group, or a
//! tier's group are moved: a group given by hand (staff, managers) is never overridden.
//! Moves bump the RADIUS subscriber cache generation in the same transaction.
//!
//! Promotion happens with the invoice that earns it; demotion after inactivity has no
//! event, so the worker re-checks the members of tier groups ([`sync_all`]).

use sqlx::{AnyConnection, Row};

use super::activity_in;
use super::formula::TierRules;
use super::settings;
use crate::error::Result;
use crate::generations::{self, Generation};
use crate::groups::Moved;
use crate::store::Store;

/// The group ids the tiers name, with the tier names.
async fn tier_groups_in(
    conn: &mut AnyConnection,
    tenant_id: i64,
    rules: &TierRules,
) -> Result<Vec<(String, i64)>> {
    let mut out = Vec::new();
    for tier in &rules.tiers {
        let Some(group) = &tier.group else { continue };
        let id: Option<i64> =
            sqlx::query_scalar("SELECT id FROM groups WHERE tenant_id = $1 AND name = $2")
                .bind(tenant_id)
                .bind(group)
                .fetch_optional(&mut *conn)
                .await?;
        if let Some(id) = id {
            out.push((tier.name.clone(), id));
        }
    }
    Ok(out)
}

/// Moves the member to their tier's group if they are in a tier-managed group, inside
/// the caller's transaction. Returns the move, if any (live sessions need the new limits).
pub(crate) async fn sync_in(
    conn: &mut AnyConnection,
    tenant_id: i64,
    customer_id: i64,
    rules: &TierRules,
    now: i64,
) -> Result<Option<Moved>> {
    let tier_groups = tier_groups_in(conn, tenant_id, rules).await?;
    if tier_groups.is_empty() {
        return Ok(None);
    }
    let current: Option<i64> =
        sqlx::query_scalar("SELECT group_id FROM customers WHERE tenant_id = $1 AND id = $2")
            .bind(tenant_id)
            .bind(customer_id)
            .fetch_optional(&mut *conn)
            .await?
            .flatten();
    let default: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM groups WHERE tenant_id = $1 AND is_default = TRUE ORDER BY id LIMIT 1",
    )
    .bind(tenant_id)
    .fetch_optional(&mut *conn)
    .await?;
    let managed = current.is_none()
        || current == default
        || tier_groups.iter().any(|(_, g)| Some(*g) == current);
    if !managed {
        return Ok(None);
    }
    let activity = activity_in(
        conn,
        tenant_id,
        customer_id,
        now - rules.window_days * 86_400,
    )
    .await?;
    let tier = rules.tier_for(&activity, now).map(|t| t.name.as_str());
    let target = tier
        .and_then(|name| tier_groups.iter().find(|(t, _)| t == name).map(|(_, g)| *g))
        .or(default);
    let Some(to_group) = target.filter(|t| Some(*t) != current) else {
        return Ok(None);
    };
    sqlx::query("UPDATE customers SET group_id = $3 WHERE tenant_id = $1 AND id = $2")
        .bind(tenant_id)
        .bind(customer_id)
        .bind(to_group)
        .execute(&mut *conn)
        .await?;
    generations::bump(&mut *conn, Generation::Subscribers).await?;
    tracing::info!(
        tenant = tenant_id,
        customer = customer_id,
        tier,
        "club tier moved the member's WiFi group"
    );
    Ok(Some(Moved {
        customer_id,
        from_group: current,
        to_group,
    }))
}

/// Re-checks every member of a tier's group (demotion after inactivity, a shorter
/// window). Returns who moved, with their tenant.
pub async fn sync_all(store: &Store, now: i64) -> Result<Vec<(i64, Moved)>> {
    let tenants: Vec<i64> =
        sqlx::query_scalar("SELECT tenant_id FROM club_settings WHERE branch_id = 0")
            .fetch_all(store.pool())
            .await?;
    let mut moved = Vec::new();
    for tenant_id in tenants {
        let mut conn = store.pool().acquire().await?;
        let rules = settings::get_in(&mut conn, tenant_id, None).await?.tiers;
        let groups = tier_groups_in(&mut conn, tenant_id, &rules).await?;
        drop(conn);
        for (_, group) in groups {
            let members =
                sqlx::query("SELECT id FROM customers WHERE tenant_id = $1 AND group_id = $2")
                    .bind(tenant_id)
                    .bind(group)
                    .fetch_all(store.pool())
                    .await?;
            for m in members {
                let mut tx = store.begin().await?;
                if let Some(m) = sync_in(&mut tx, tenant_id, m.try_get("id")?, &rules, now).await? {
                    moved.push((tenant_id, m));
                }
                tx.commit().await?;
            }
        }
    }
    Ok(moved)
}
