//! The numbers on a tenant's dashboard: who is online, logins and new customers per
//! local day, data used today and the groups that used most.

use sqlx::Row;

use crate::branches::Scope;
use crate::clock::Zone;
use crate::error::Result;
use crate::store::Store;
use crate::tenants::Tenant;

/// One local day of the chart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Day {
    /// `YYYYMMDD` in the tenant's zone.
    pub day_key: i64,
    pub logins: i64,
    pub new_customers: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dashboard {
    pub online_now: i64,
    /// Oldest first, ending today.
    pub days: Vec<Day>,
    pub octets_today: i64,
    /// Group name (None = no group) and octets used today, most first.
    pub top_groups: Vec<(Option<String>, i64)>,
}

/// Counts rows of one table per local day since `from` (unix), keyed by epoch day.
async fn per_day(
    store: &Store,
    sql: String,
    tenant: &Tenant,
    offset: i64,
    from: i64,
) -> Result<Vec<(i64, i64)>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(tenant.id)
        .bind(offset)
        .bind(from)
        .fetch_all(store.pool())
        .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("d")?, r.try_get("n")?)))
        .collect()
}

/// The dashboard of the routers in `scope`'s branches. Customers belong to the whole
/// business, so new customers count tenant-wide; data and top groups of some branches
/// come from their sessions active today (a session begun yesterday counts whole),
/// as daily usage is kept per customer, not per router.
pub async fn dashboard(
    store: &Store,
    tenant: &Tenant,
    scope: &Scope,
    now: i64,
    days: i64,
) -> Result<Dashboard> {
    let zone = Zone::of(tenant)?;
    let on_routers = if scope.is_every() {
        String::new()
    } else {
        format!(
            " AND nas_id IN (SELECT id FROM nas WHERE tenant_id = $1 AND {})",
            scope.condition("branch_id")
        )
    };
    let offset = zone.offset_seconds(now);
    let today = (now + offset).div_euclid(86_400);
    let first = today - days.clamp(1, 90) + 1;
    let from = first * 86_400 - offset;
    let logins = per_day(
        store,
        format!(
            "SELECT CAST((started_at + $2) / 86400 AS BIGINT) AS d, CAST(COUNT(*) AS BIGINT) AS n \
             FROM sessions WHERE tenant_id = $1 AND started_at >= $3{on_routers} GROUP BY 1"
        ),
        tenant,
        offset,
        from,
    )
    .await?;
    let new_customers = per_day(
        store,
        "SELECT CAST((created_at + $2) / 86400 AS BIGINT) AS d, CAST(COUNT(*) AS BIGINT) AS n \
         FROM customers WHERE tenant_id = $1 AND created_at >= $3 GROUP BY 1"
            .to_string(),
        tenant,
        offset,
        from,
    )
    .await?;
    let count_on = |list: &[(i64, i64)], d: i64| {
        list.iter()
            .find(|(day, _)| *day == d)
            .map_or(0, |(_, n)| *n)
    };
    let days = (first..=today)
        .map(|d| Day {
            day_key: zone.day_key(d * 86_400 - offset + 43_200),
            logins: count_on(&logins, d),
            new_customers: count_on(&new_customers, d),
        })
        .collect();
    let online_now: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM sessions \
         WHERE tenant_id = $1 AND stopped_at IS NULL{on_routers}"
    )))
    .bind(tenant.id)
    .fetch_one(store.pool())
    .await?;
    let (top_groups, octets_today) = if scope.is_every() {
        used_today(store, tenant, zone.day_key(now)).await?
    } else {
        used_today_on(store, tenant, &on_routers, today * 86_400 - offset).await?
    };
    Ok(Dashboard {
        online_now,
        days,
        octets_today,
        top_groups,
    })
}

type Used = (Vec<(Option<String>, i64)>, i64);

/// Top groups and data used today from the per-customer daily usage.
async fn used_today(store: &Store, tenant: &Tenant, day_key: i64) -> Result<Used> {
    let rows = sqlx::query(
        "SELECT g.name, CAST(SUM(u.input_octets + u.output_octets) AS BIGINT) AS octets \
         FROM usage_daily u LEFT JOIN customers c ON c.id = u.subject_id AND c.tenant_id = u.tenant_id \
         LEFT JOIN groups g ON g.id = c.group_id \
         WHERE u.tenant_id = $1 AND u.day = $2 AND u.subject_kind = 'customer' \
         GROUP BY g.name ORDER BY octets DESC LIMIT 5",
    )
    .bind(tenant.id)
    .bind(day_key)
    .fetch_all(store.pool())
    .await?;
    let top_groups = rows
        .iter()
        .map(|r| Ok((r.try_get("name")?, r.try_get("octets")?)))
        .collect::<Result<Vec<_>>>()?;
    let octets_today: Option<i64> = sqlx::query_scalar(
        "SELECT CAST(SUM(input_octets + output_octets) AS BIGINT) FROM usage_daily \
         WHERE tenant_id = $1 AND day = $2",
    )
    .bind(tenant.id)
    .bind(day_key)
    .fetch_one(store.pool())
    .await?;
    Ok((top_groups, octets_today.unwrap_or(0)))
}

/// The same from the sessions on some routers (`on_routers`, a condition on `nas_id`)
/// active since `midnight`.
async fn used_today_on(
    store: &Store,
    tenant: &Tenant,
    on_routers: &str,
    midnight: i64,
) -> Result<Used> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT g.name, CAST(SUM(s.input_octets + s.output_octets) AS BIGINT) AS octets \
         FROM sessions s LEFT JOIN groups g ON g.id = s.group_id \
         WHERE s.tenant_id = $1 AND s.updated_at >= $2{on_routers} \
         GROUP BY g.name ORDER BY octets DESC"
    )))
    .bind(tenant.id)
    .bind(midnight)
    .fetch_all(store.pool())
    .await?;
    let all = rows
        .iter()
        .map(|r| Ok((r.try_get("name")?, r.try_get("octets")?)))
        .collect::<Result<Vec<(Option<String>, i64)>>>()?;
    let total = all.iter().map(|(_, n)| n).sum();
    Ok((all.into_iter().take(5).collect(), total))
}
