//! Groups: named sets of limits (managers, staff, loyal, guests, or any an owner adds).

mod hours;
mod policy;
mod rule;

pub use hours::{AllowedHours, Weekday};
pub use policy::{Exhausted, GroupPolicy, PolicyField, PolicyIssue, PolicyProblem, QuotaLeft};
pub use rule::{MembershipRule, Moved, apply_rules};

use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

use crate::audit::{self, Actor, Change};
use crate::error::{Error, Result, conflict_if_unique};
use crate::generations::{self, Generation};
use crate::store::{Store, flag};
use crate::{clock, tenants::Tenant};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub id: i64,
    pub tenant_id: i64,
    pub name: String,
    /// New guests from the portal land here.
    pub is_default: bool,
    pub policy: GroupPolicy,
}

macro_rules! columns {
    () => {
        "id, tenant_id, name, is_default, rate_limit, burst_limit, \
    burst_threshold, burst_time, priority, session_timeout, idle_timeout, daily_time_quota, \
    daily_data_quota, monthly_data_quota, simultaneous_devices, allowed_hours, \
    interim_interval, address_list, throttle_rate, membership_rule"
    };
}

impl Group {
    fn from_row(row: &AnyRow) -> Result<Group, sqlx::Error> {
        Ok(Group {
            id: row.try_get("id")?,
            tenant_id: row.try_get("tenant_id")?,
            name: row.try_get("name")?,
            is_default: flag(row, "is_default")?,
            policy: GroupPolicy {
                rate_limit: row.try_get("rate_limit")?,
                burst_limit: row.try_get("burst_limit")?,
                burst_threshold: row.try_get("burst_threshold")?,
                burst_time: row.try_get("burst_time")?,
                priority: row.try_get("priority")?,
                session_timeout: row.try_get("session_timeout")?,
                idle_timeout: row.try_get("idle_timeout")?,
                daily_time_quota: row.try_get("daily_time_quota")?,
                daily_data_quota: row.try_get("daily_data_quota")?,
                monthly_data_quota: row.try_get("monthly_data_quota")?,
                simultaneous_devices: row.try_get("simultaneous_devices")?,
                allowed_hours: row.try_get("allowed_hours")?,
                interim_interval: row.try_get("interim_interval")?,
                address_list: row.try_get("address_list")?,
                throttle_rate: row.try_get("throttle_rate")?,
                membership_rule: row.try_get("membership_rule")?,
            },
        })
    }
}

/// The groups every new tenant starts with; documented in docs/groups.md.
pub fn default_groups() -> Vec<(&'static str, bool, GroupPolicy)> {
    const GIB: i64 = 1 << 30;
    let base = GroupPolicy {
        interim_interval: 300,
        ..GroupPolicy::default()
    };
    vec![
        (
            "managers",
            false,
            GroupPolicy {
                rate_limit: Some("20M/50M".into()),
                priority: Some(1),
                simultaneous_devices: Some(5),
                address_list: Some("managers".into()),
                ..base.clone()
            },
        ),
        (
            "staff",
            false,
            GroupPolicy {
                rate_limit: Some("5M/10M".into()),
                priority: Some(3),
                session_timeout: Some(12 * 3600),
                idle_timeout: Some(30 * 60),
                simultaneous_devices: Some(3),
                address_list: Some("staff".into()),
                ..base.clone()
            },
        ),
        (
            "loyal",
            false,
            GroupPolicy {
                rate_limit: Some("4M/8M".into()),
                burst_limit: Some("8M/16M".into()),
                burst_threshold: Some("3M/6M".into()),
                burst_time: Some("10/10".into()),
                priority: Some(5),
                session_timeout: Some(4 * 3600),
                idle_timeout: Some(15 * 60),
                daily_time_quota: Some(6 * 3600),
                daily_data_quota: Some(5 * GIB),
                monthly_data_quota: Some(50 * GIB),
                simultaneous_devices: Some(2),
                address_list: Some("loyal".into()),
                ..base.clone()
            },
        ),
        (
            "guests",
            true,
            GroupPolicy {
                rate_limit: Some("1M/2M".into()),
                burst_limit: Some("2M/4M".into()),
                burst_threshold: Some("768k/1536k".into()),
                burst_time: Some("8/8".into()),
                priority: Some(8),
                session_timeout: Some(3600),
                idle_timeout: Some(10 * 60),
                daily_time_quota: Some(2 * 3600),
                daily_data_quota: Some(GIB),
                monthly_data_quota: Some(10 * GIB),
                simultaneous_devices: Some(1),
                address_list: Some("guests".into()),
                ..base
            },
        ),
    ]
}

pub(crate) async fn insert_defaults(tx: &mut Transaction<'_, Any>, tenant_id: i64) -> Result<()> {
    for (name, is_default, policy) in default_groups() {
        insert(tx, tenant_id, name, is_default, &policy.validate()?).await?;
    }
    Ok(())
}

async fn insert(
    tx: &mut Transaction<'_, Any>,
    tenant_id: i64,
    name: &str,
    is_default: bool,
    p: &GroupPolicy,
) -> Result<Group> {
    let sql = concat!(
        "INSERT INTO groups (tenant_id, name, is_default, rate_limit, burst_limit, \
         burst_threshold, burst_time, priority, session_timeout, idle_timeout, \
         daily_time_quota, daily_data_quota, monthly_data_quota, simultaneous_devices, \
         allowed_hours, interim_interval, address_list, throttle_rate, membership_rule, \
         created_at) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20) \
         RETURNING ",
        columns!(),
        ""
    );
    let row = bind_policy(
        sqlx::query(sql).bind(tenant_id).bind(name).bind(is_default),
        p,
    )
    .bind(clock::now())
    .fetch_one(&mut **tx)
    .await
    .map_err(|e| conflict_if_unique(e, || format!("group {name:?} already exists")))?;
    Ok(Group::from_row(&row)?)
}

type AnyQuery<'q> = sqlx::query::Query<'q, Any, sqlx::any::AnyArguments>;

fn bind_policy<'q>(q: AnyQuery<'q>, p: &GroupPolicy) -> AnyQuery<'q> {
    q.bind(p.rate_limit.clone())
        .bind(p.burst_limit.clone())
        .bind(p.burst_threshold.clone())
        .bind(p.burst_time.clone())
        .bind(p.priority)
        .bind(p.session_timeout)
        .bind(p.idle_timeout)
        .bind(p.daily_time_quota)
        .bind(p.daily_data_quota)
        .bind(p.monthly_data_quota)
        .bind(p.simultaneous_devices)
        .bind(p.allowed_hours.clone())
        .bind(p.interim_interval)
        .bind(p.address_list.clone())
        .bind(p.throttle_rate.clone())
        .bind(p.membership_rule.clone())
}

fn check_name(name: &str) -> Result<&str> {
    let name = name.trim();
    if name.is_empty() || name.len() > 64 {
        return Err(Error::invalid("group name must be 1 to 64 characters"));
    }
    Ok(name)
}

pub async fn add(store: &Store, tenant: &Tenant, name: &str, policy: GroupPolicy) -> Result<Group> {
    let name = check_name(name)?;
    let policy = policy.validate()?;
    let mut tx = store.begin().await?;
    let group = insert(&mut tx, tenant.id, name, false, &policy).await?;
    generations::bump(&mut *tx, Generation::Subscribers).await?;
    tx.commit().await?;
    Ok(group)
}

pub async fn list(store: &Store, tenant: &Tenant) -> Result<Vec<Group>> {
    let sql = concat!(
        "SELECT ",
        columns!(),
        " FROM groups WHERE tenant_id = $1 ORDER BY id"
    );
    let rows = sqlx::query(sql)
        .bind(tenant.id)
        .fetch_all(store.pool())
        .await?;
    Ok(rows.iter().map(Group::from_row).collect::<Result<_, _>>()?)
}

pub async fn by_name(store: &Store, tenant: &Tenant, name: &str) -> Result<Group> {
    let sql = concat!(
        "SELECT ",
        columns!(),
        " FROM groups WHERE tenant_id = $1 AND name = $2"
    );
    let row = sqlx::query(sql)
        .bind(tenant.id)
        .bind(name.trim())
        .fetch_optional(store.pool())
        .await?
        .ok_or_else(|| Error::NotFound(format!("group {:?}", name.trim())))?;
    Ok(Group::from_row(&row)?)
}

/// The group portal guests are put in.
pub async fn default_group(store: &Store, tenant: &Tenant) -> Result<Group> {
    let sql = concat!(
        "SELECT ",
        columns!(),
        " FROM groups WHERE tenant_id = $1 AND is_default = TRUE ORDER BY id LIMIT 1"
    );
    let row = sqlx::query(sql)
        .bind(tenant.id)
        .fetch_optional(store.pool())
        .await?
        .ok_or_else(|| Error::NotFound("default guest group".into()))?;
    Ok(Group::from_row(&row)?)
}

/// Replaces a group's whole policy (callers read, change fields, write back).
pub async fn set_policy(
    store: &Store,
    tenant: &Tenant,
    name: &str,
    policy: GroupPolicy,
) -> Result<Group> {
    set_policy_by(store, tenant, name, policy, None).await
}

/// [`set_policy`], recording in the audit log who did it, with the limits before and after.
pub async fn set_policy_audited(
    store: &Store,
    tenant: &Tenant,
    name: &str,
    policy: GroupPolicy,
    actor: Actor,
) -> Result<Group> {
    set_policy_by(store, tenant, name, policy, Some(actor)).await
}

fn policy_json(p: &GroupPolicy) -> serde_json::Value {
    serde_json::json!({
        "rate_limit": p.rate_limit,
        "burst_limit": p.burst_limit,
        "burst_threshold": p.burst_threshold,
        "burst_time": p.burst_time,
        "priority": p.priority,
        "session_timeout": p.session_timeout,
        "idle_timeout": p.idle_timeout,
        "daily_time_quota": p.daily_time_quota,
        "daily_data_quota": p.daily_data_quota,
        "monthly_data_quota": p.monthly_data_quota,
        "simultaneous_devices": p.simultaneous_devices,
        "allowed_hours": p.allowed_hours,
        "interim_interval": p.interim_interval,
        "address_list": p.address_list,
    })
}

async fn set_policy_by(
    store: &Store,
    tenant: &Tenant,
    name: &str,
    policy: GroupPolicy,
    actor: Option<Actor>,
) -> Result<Group> {
    let policy = policy.validate()?;
    let before = match actor {
        Some(_) => Some(by_name(store, tenant, name).await?),
        None => None,
    };
    let sql = concat!(
        "UPDATE groups SET rate_limit = $3, burst_limit = $4, burst_threshold = $5, \
         burst_time = $6, priority = $7, session_timeout = $8, idle_timeout = $9, \
         daily_time_quota = $10, daily_data_quota = $11, monthly_data_quota = $12, \
         simultaneous_devices = $13, allowed_hours = $14, interim_interval = $15, \
         address_list = $16, throttle_rate = $17, membership_rule = $18 \
         WHERE tenant_id = $1 AND name = $2 RETURNING ",
        columns!(),
        ""
    );
    let mut tx = store.begin().await?;
    let row = bind_policy(sqlx::query(sql).bind(tenant.id).bind(name.trim()), &policy)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| Error::NotFound(format!("group {:?}", name.trim())))?;
    generations::bump(&mut *tx, Generation::Subscribers).await?;
    let group = Group::from_row(&row)?;
    if let (Some(actor), Some(before)) = (actor, before) {
        let change = Change {
            tenant_id: Some(tenant.id),
            action: "group.limits",
            entity: "group",
            entity_id: Some(group.id),
            before: Some(policy_json(&before.policy)),
            after: Some(policy_json(&group.policy)),
        };
        audit::record(&mut *tx, actor, &change).await?;
    }
    tx.commit().await?;
    Ok(group)
}

/// One of this tenant's groups by id (another tenant's is not found).
pub async fn in_tenant(store: &Store, tenant: &Tenant, id: i64) -> Result<Group> {
    list(store, tenant)
        .await?
        .into_iter()
        .find(|g| g.id == id)
        .ok_or_else(|| Error::NotFound(format!("group #{id}")))
}

/// Makes `name` the group new portal guests join.
pub async fn make_default(store: &Store, tenant: &Tenant, name: &str) -> Result<Group> {
    let group = by_name(store, tenant, name).await?;
    let mut tx = store.begin().await?;
    sqlx::query("UPDATE groups SET is_default = (id = $2) WHERE tenant_id = $1")
        .bind(tenant.id)
        .bind(group.id)
        .execute(&mut *tx)
        .await?;
    generations::bump(&mut *tx, Generation::Subscribers).await?;
    tx.commit().await?;
    by_name(store, tenant, name).await
}

/// Removes a group that nothing uses any more.
pub async fn remove(store: &Store, tenant: &Tenant, name: &str) -> Result<()> {
    let group = by_name(store, tenant, name).await?;
    if group.is_default {
        return Err(Error::Conflict(format!(
            "group {:?} is the default guest group; make another group the default first",
            group.name
        )));
    }
    let mut tx = store.begin().await?;
    let users: i64 = sqlx::query_scalar(
        "SELECT (SELECT COUNT(*) FROM customers WHERE group_id = $1) + \
                (SELECT COUNT(*) FROM hotspot_accounts WHERE group_id = $1)",
    )
    .bind(group.id)
    .fetch_one(&mut *tx)
    .await?;
    if users > 0 {
        return Err(Error::Conflict(format!(
            "group {:?} still has {users} customers or accounts; move them first",
            group.name
        )));
    }
    sqlx::query("DELETE FROM groups WHERE id = $1")
        .bind(group.id)
        .execute(&mut *tx)
        .await?;
    generations::bump(&mut *tx, Generation::Subscribers).await?;
    tx.commit().await?;
    Ok(())
}

/// A group by id, whichever tenant: for caches keyed by the ids logins carry.
pub async fn by_id(store: &Store, id: i64) -> Result<Group> {
    let sql = concat!("SELECT ", columns!(), " FROM groups WHERE id = $1");
    let row = sqlx::query(sql)
        .bind(id)
        .fetch_optional(store.pool())
        .await?
        .ok_or_else(|| Error::NotFound(format!("group #{id}")))?;
    Ok(Group::from_row(&row)?)
}
