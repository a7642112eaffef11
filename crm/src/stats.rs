//! The numbers on a tenant's dashboard: who is online, logins and new customers per
//! local day, data used per day and the groups that used most today.

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
    /// Data the routers carried that day (upload + download).
    pub octets: i64,
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

/// `(d, n)` pairs of a per-day query over the tenant (`$1`) and two more values (`$2`,
/// `$3`): counts keyed by epoch day, or sums keyed by day key.
async fn per_day(
    store: &Store,
    sql: String,
    tenant: &Tenant,
    second: i64,
    third: i64,
) -> Result<Vec<(i64, i64)>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(tenant.id)
        .bind(second)
        .bind(third)
        .fetch_all(store.pool())
        .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("d")?, r.try_get("n")?)))
        .collect()
}

/// The dashboard of the routers in `scope`'s branches. Customers belong to the whole
/// business, so new customers count tenant-wide; logins, data and top groups count what
/// those routers carried (data from `usage_nas_daily`, exact per local day).
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
    let day_key = |d: i64| zone.day_key(d * 86_400 - offset + 43_200);
    let octets = octets_per_day(store, tenant, &on_routers, day_key(first), day_key(today)).await?;
    let days = (first..=today)
        .map(|d| Day {
            day_key: day_key(d),
            logins: count_on(&logins, d),
            new_customers: count_on(&new_customers, d),
            octets: count_on(&octets, day_key(d)),
        })
        .collect::<Vec<Day>>();
    let online_now: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM sessions \
         WHERE tenant_id = $1 AND stopped_at IS NULL{on_routers}"
    )))
    .bind(tenant.id)
    .fetch_one(store.pool())
    .await?;
    let octets_today = days.last().map_or(0, |d| d.octets);
    let top_groups = top_groups(store, tenant, &on_routers, zone.day_key(now)).await?;
    Ok(Dashboard {
        online_now,
        days,
        octets_today,
        top_groups,
    })
}

/// Octets per day key from the per-router daily usage of the routers in `on_routers`
/// (a condition on `nas_id`, empty for all of them).
async fn octets_per_day(
    store: &Store,
    tenant: &Tenant,
    on_routers: &str,
    first: i64,
    last: i64,
) -> Result<Vec<(i64, i64)>> {
    per_day(
        store,
        format!(
            "SELECT day AS d, CAST(SUM(input_octets + output_octets) AS BIGINT) AS n \
             FROM usage_nas_daily WHERE tenant_id = $1 AND day >= $2 AND day <= $3{on_routers} \
             GROUP BY day"
        ),
        tenant,
        first,
        last,
    )
    .await
}

/// The five groups whose sessions carried most data on `day` (None = no group), on the
/// routers in `on_routers`, under the group each session was admitted with.
async fn top_groups(
    store: &Store,
    tenant: &Tenant,
    on_routers: &str,
    day: i64,
) -> Result<Vec<(Option<String>, i64)>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT g.name, CAST(SUM(u.input_octets + u.output_octets) AS BIGINT) AS octets \
         FROM usage_nas_daily u LEFT JOIN groups g ON g.id = u.group_id \
         WHERE u.tenant_id = $1 AND u.day = $2{on_routers} \
         GROUP BY u.group_id, g.name ORDER BY octets DESC LIMIT 5"
    )))
    .bind(tenant.id)
    .bind(day)
    .fetch_all(store.pool())
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("name")?, r.try_get("octets")?)))
        .collect()
}
