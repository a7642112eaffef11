//! The club's reports over the last days, in the tenant's local days: members joined per
//! period by how they joined, credit given / redeemed / expired per period, the
//! repeat-purchase rate, and revenue per branch from members versus others.
//!
//! Periods are single days up to a month and weeks beyond, so a chart stays readable.

use sqlx::Row;

use crate::clock::Zone;
use crate::error::Result;
use crate::store::Store;
use crate::tenants::Tenant;

/// How members joined, in report columns; `other` is manual and import.
pub const SOURCES: [&str; 5] = ["wifi", "sms", "pos", "reservation", "other"];

/// One period of the report.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Period {
    /// First and last local day (`YYYYMMDD`).
    pub first_day: i64,
    pub last_day: i64,
    /// Members joined, in [`SOURCES`] order.
    pub joined: [i64; 5],
    /// Credit given (earned by purchases, manual, coupons), redeemed and expired (rials,
    /// all positive).
    pub earned: i64,
    pub redeemed: i64,
    pub expired: i64,
}

/// Revenue of one branch over the whole range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BranchRevenue {
    pub branch: String,
    pub invoices: i64,
    /// From customers who were members before the purchase.
    pub members: i64,
    /// From everyone else (including those who joined with this purchase).
    pub others: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub days: i64,
    pub periods: Vec<Period>,
    /// Customers with a purchase in the range, and those with two or more.
    pub buyers: i64,
    pub repeat_buyers: i64,
    pub branches: Vec<BranchRevenue>,
}

impl Report {
    /// Repeat buyers per thousand buyers (0 without buyers): integer, no floats.
    pub fn repeat_per_mille(&self) -> i64 {
        (self.repeat_buyers * 1000)
            .checked_div(self.buyers)
            .unwrap_or(0)
    }
}

/// The report over the last `days` local days (1 to 366), ending today.
pub async fn build(store: &Store, tenant: &Tenant, now: i64, days: i64) -> Result<Report> {
    let days = days.clamp(1, 366);
    let zone = Zone::of(tenant)?;
    let offset = zone.offset_seconds(now);
    let today = (now + offset).div_euclid(86_400);
    let first = today - days + 1;
    let from = first * 86_400 - offset;
    let step = if days <= 31 { 1 } else { 7 };
    let day_key = |d: i64| zone.day_key(d * 86_400 - offset + 43_200);
    let mut periods: Vec<Period> = (0..)
        .map(|i| first + i * step)
        .take_while(|d| *d <= today)
        .map(|d| Period {
            first_day: day_key(d),
            last_day: day_key((d + step - 1).min(today)),
            ..Period::default()
        })
        .collect();
    let slot = |epoch_day: i64| ((epoch_day - first) / step).max(0) as usize;

    let joined = sqlx::query(
        "SELECT CAST((joined_at + $2) / 86400 AS BIGINT) AS d, source, CAST(COUNT(*) AS BIGINT) AS n \
         FROM club_members WHERE tenant_id = $1 AND joined_at >= $3 GROUP BY 1, 2",
    )
    .bind(tenant.id)
    .bind(offset)
    .bind(from)
    .fetch_all(store.pool())
    .await?;
    for r in &joined {
        let source: String = r.try_get("source")?;
        let column = SOURCES
            .iter()
            .position(|s| *s == source)
            .unwrap_or(SOURCES.len() - 1);
        if let Some(p) = periods.get_mut(slot(r.try_get("d")?)) {
            p.joined[column] += r.try_get::<i64, _>("n")?;
        }
    }

    let credit = sqlx::query(
        "SELECT CAST((created_at + $2) / 86400 AS BIGINT) AS d, kind, \
                CAST(COALESCE(SUM(amount), 0) AS BIGINT) AS total \
         FROM credit_entries WHERE tenant_id = $1 AND created_at >= $3 \
           AND kind IN ('earn', 'manual', 'coupon', 'redeem', 'expire') GROUP BY 1, 2",
    )
    .bind(tenant.id)
    .bind(offset)
    .bind(from)
    .fetch_all(store.pool())
    .await?;
    for r in &credit {
        let kind: String = r.try_get("kind")?;
        let total: i64 = r.try_get("total")?;
        if let Some(p) = periods.get_mut(slot(r.try_get("d")?)) {
            match kind.as_str() {
                "redeem" => p.redeemed += total.abs(),
                "expire" => p.expired += total.abs(),
                _ => p.earned += total,
            }
        }
    }

    let row = sqlx::query(
        "SELECT CAST(COUNT(*) AS BIGINT) AS buyers, \
                CAST(COALESCE(SUM(CASE WHEN n >= 2 THEN 1 ELSE 0 END), 0) AS BIGINT) AS repeaters \
         FROM (SELECT customer_id, COUNT(*) AS n FROM invoices \
               WHERE tenant_id = $1 AND status = 'active' AND created_at >= $2 \
               GROUP BY customer_id) per_customer",
    )
    .bind(tenant.id)
    .bind(from)
    .fetch_one(store.pool())
    .await?;
    let (buyers, repeat_buyers) = (row.try_get("buyers")?, row.try_get("repeaters")?);

    let rows = sqlx::query(
        "SELECT b.name, CAST(COUNT(*) AS BIGINT) AS n, \
                CAST(COALESCE(SUM(CASE WHEN m.customer_id IS NOT NULL THEN i.amount ELSE 0 END), 0) AS BIGINT) AS members, \
                CAST(COALESCE(SUM(CASE WHEN m.customer_id IS NULL THEN i.amount ELSE 0 END), 0) AS BIGINT) AS others \
         FROM invoices i JOIN branches b ON b.id = i.branch_id \
         LEFT JOIN club_members m ON m.tenant_id = i.tenant_id AND m.customer_id = i.customer_id \
              AND m.joined_at < i.created_at \
         WHERE i.tenant_id = $1 AND i.status = 'active' AND i.created_at >= $2 \
         GROUP BY b.name ORDER BY b.name",
    )
    .bind(tenant.id)
    .bind(from)
    .fetch_all(store.pool())
    .await?;
    let branches = rows
        .iter()
        .map(|r| {
            Ok(BranchRevenue {
                branch: r.try_get("name")?,
                invoices: r.try_get("n")?,
                members: r.try_get("members")?,
                others: r.try_get("others")?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Report {
        days,
        periods,
        buyers,
        repeat_buyers,
        branches,
    })
}
