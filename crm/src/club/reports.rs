//! The club's reports over the last days, in the tenant's local days: members joined per
//! period by how they joined, credit given / redeemed / expired per period, the
//! repeat-purchase rate, and revenue per branch from members versus others.
//!
//! Periods are single days up to a month and weeks beyond, so a chart stays readable.
//!
//! Limited to some branches (a [`Scope`] other than every branch), a number counts what
//! happened at those branches: invoices, revenue and repeat purchases by the invoice's
//! branch; credit earned and redeemed by the branch of the invoice it came with; credit
//! expired by the branch of the invoice that earned it; a member as joined at the
//! branch of their first invoice (members who never bought are nobody's branch).
//! Credit with no invoice (manual, gifts, coupons given out) belongs to the whole
//! business and shows only there.

use sqlx::{AssertSqlSafe, Row};

use crate::branches::Scope;
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

/// The report over the last `days` local days (1 to 366), ending today, for the
/// branches of `scope` (see the module's notes).
pub async fn build(
    store: &Store,
    tenant: &Tenant,
    scope: &Scope,
    now: i64,
    days: i64,
) -> Result<Report> {
    let every = scope.is_every();
    let invoice_branch = scope.condition("i.branch_id");
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

    let first_branch = scope.condition(
        "(SELECT i.branch_id FROM invoices i WHERE i.tenant_id = m.tenant_id \
          AND i.customer_id = m.customer_id ORDER BY i.created_at, i.id LIMIT 1)",
    );
    let joined = sqlx::query(AssertSqlSafe(format!(
        "SELECT CAST((m.joined_at + $2) / 86400 AS BIGINT) AS d, m.source, CAST(COUNT(*) AS BIGINT) AS n \
         FROM club_members m WHERE m.tenant_id = $1 AND m.joined_at >= $3 AND {first_branch} \
         GROUP BY 1, 2"
    )))
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

    let credit_sql = if every {
        "SELECT CAST((created_at + $2) / 86400 AS BIGINT) AS d, kind, \
                CAST(COALESCE(SUM(amount), 0) AS BIGINT) AS total \
         FROM credit_entries WHERE tenant_id = $1 AND created_at >= $3 \
           AND kind IN ('earn', 'manual', 'coupon', 'redeem', 'expire') GROUP BY 1, 2"
            .to_string()
    } else {
        // By the invoice an entry came with; an expiry by the invoice of the lots it
        // took, share by share.
        format!(
            "SELECT CAST((e.created_at + $2) / 86400 AS BIGINT) AS d, e.kind, \
                    CAST(COALESCE(SUM(e.amount), 0) AS BIGINT) AS total \
             FROM credit_entries e JOIN invoices i ON i.id = e.invoice_id \
             WHERE e.tenant_id = $1 AND e.created_at >= $3 \
               AND e.kind IN ('earn', 'manual', 'coupon', 'redeem') AND {invoice_branch} \
             GROUP BY 1, 2 \
             UNION ALL \
             SELECT CAST((e.created_at + $2) / 86400 AS BIGINT) AS d, e.kind, \
                    CAST(-COALESCE(SUM(u.amount), 0) AS BIGINT) AS total \
             FROM credit_entries e JOIN credit_lot_uses u ON u.entry_id = e.id \
             JOIN credit_lots l ON l.id = u.lot_id JOIN credit_entries src ON src.id = l.entry_id \
             JOIN invoices i ON i.id = src.invoice_id \
             WHERE e.tenant_id = $1 AND e.created_at >= $3 AND e.kind = 'expire' AND {invoice_branch} \
             GROUP BY 1, 2"
        )
    };
    let credit = sqlx::query(AssertSqlSafe(credit_sql))
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

    let row = sqlx::query(AssertSqlSafe(format!(
        "SELECT CAST(COUNT(*) AS BIGINT) AS buyers, \
                CAST(COALESCE(SUM(CASE WHEN n >= 2 THEN 1 ELSE 0 END), 0) AS BIGINT) AS repeaters \
         FROM (SELECT i.customer_id, COUNT(*) AS n FROM invoices i \
               WHERE i.tenant_id = $1 AND i.status = 'active' AND i.created_at >= $2 \
                 AND {invoice_branch} \
               GROUP BY i.customer_id) per_customer"
    )))
    .bind(tenant.id)
    .bind(from)
    .fetch_one(store.pool())
    .await?;
    let (buyers, repeat_buyers) = (row.try_get("buyers")?, row.try_get("repeaters")?);

    let rows = sqlx::query(AssertSqlSafe(format!(
        "SELECT b.name, CAST(COUNT(*) AS BIGINT) AS n, \
                CAST(COALESCE(SUM(CASE WHEN m.customer_id IS NOT NULL THEN i.amount ELSE 0 END), 0) AS BIGINT) AS members, \
                CAST(COALESCE(SUM(CASE WHEN m.customer_id IS NULL THEN i.amount ELSE 0 END), 0) AS BIGINT) AS others \
         FROM invoices i JOIN branches b ON b.id = i.branch_id \
         LEFT JOIN club_members m ON m.tenant_id = i.tenant_id AND m.customer_id = i.customer_id \
              AND m.joined_at < i.created_at \
         WHERE i.tenant_id = $1 AND i.status = 'active' AND i.created_at >= $2 \
           AND {invoice_branch} \
         GROUP BY b.name ORDER BY b.name"
    )))
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
