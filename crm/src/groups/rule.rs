//! Membership rules: groups customers move in and out of by themselves.
//!
//! Text form: `visits>=N/Dd` — online on at least N different (local) days within the
//! last D days. A rule only moves customers between the tenant's default group and the
//! rule's group: someone an owner put in a group by hand (staff, managers) is never
//! moved by a rule.

use std::fmt;
use std::str::FromStr;

use sqlx::Row;

use super::{Group, default_group, list};
use crate::clock::Zone;
use crate::error::{Error, Result};
use crate::generations::{self, Generation};
use crate::store::Store;
use crate::tenants::Tenant;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MembershipRule {
    /// Online on at least `days` different days within the last `window` days.
    VisitDays { days: u32, window: u32 },
}

impl fmt::Display for MembershipRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MembershipRule::VisitDays { days, window } => write!(f, "visits>={days}/{window}d"),
        }
    }
}

impl FromStr for MembershipRule {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        let bad = || {
            Error::invalid(format!(
                "membership rule {s:?} is not valid: expected visits>=N/Dd, e.g. visits>=5/30d"
            ))
        };
        let compact: String = s.chars().filter(|c| !c.is_whitespace()).collect();
        let rest = compact.strip_prefix("visits>=").ok_or_else(bad)?;
        let (days, window) = rest.split_once('/').ok_or_else(bad)?;
        let days: u32 = days.parse().map_err(|_| bad())?;
        let window: u32 = window
            .strip_suffix('d')
            .unwrap_or(window)
            .parse()
            .map_err(|_| bad())?;
        if days == 0 || window == 0 || days > window || window > 366 {
            return Err(Error::invalid(format!(
                "membership rule {s:?}: need 1 <= visits <= days <= 366"
            )));
        }
        Ok(MembershipRule::VisitDays { days, window })
    }
}

/// One customer a rule moved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Moved {
    pub customer_id: i64,
    /// `None`: the customer had no group (the default applied).
    pub from_group: Option<i64>,
    pub to_group: i64,
}

/// Applies every rule group of a tenant at `now`: customers of the default group who
/// meet a rule join that group, members of a rule group who no longer meet it go back to
/// the default group. One transaction; RADIUS caches follow through the generation bump.
/// The caller gives moved customers' live sessions their new limits (CoA).
pub async fn apply_rules(store: &Store, tenant: &Tenant, now: i64) -> Result<Vec<Moved>> {
    let rule_groups: Vec<(Group, MembershipRule)> = list(store, tenant)
        .await?
        .into_iter()
        .filter_map(|g| {
            let rule = g.policy.rule()?;
            Some((g, rule))
        })
        .collect();
    if rule_groups.is_empty() {
        return Ok(Vec::new());
    }
    let default = default_group(store, tenant).await?;
    let zone = Zone::of(tenant)?;
    let mut moved = Vec::new();
    let mut tx = store.begin().await?;
    for (group, rule) in &rule_groups {
        if group.id == default.id {
            continue;
        }
        let MembershipRule::VisitDays { days, window } = *rule;
        let since = zone.day_key(now - i64::from(window - 1) * 86_400);
        for (from, to, meets) in [(default.id, group.id, true), (group.id, default.id, false)] {
            // One statement both ways, around who has been online on enough days.
            macro_rules! moving {
                ($membership:literal) => {
                    concat!(
                        "UPDATE customers SET group_id = $4 WHERE tenant_id = $1 AND group_id = $5 \
                         AND id ",
                        $membership,
                        " (SELECT subject_id FROM usage_daily WHERE tenant_id = $1 \
                         AND subject_kind = 'customer' AND day >= $2 GROUP BY subject_id \
                         HAVING COUNT(*) >= $3) RETURNING id"
                    )
                };
            }
            let sql = if meets {
                moving!("IN")
            } else {
                moving!("NOT IN")
            };
            let rows = sqlx::query(sql)
                .bind(tenant.id)
                .bind(since)
                .bind(i64::from(days))
                .bind(to)
                .bind(from)
                .fetch_all(&mut *tx)
                .await?;
            for row in rows {
                moved.push(Moved {
                    customer_id: row.try_get("id")?,
                    from_group: Some(from),
                    to_group: to,
                });
            }
        }
    }
    if !moved.is_empty() {
        generations::bump(&mut *tx, Generation::Subscribers).await?;
    }
    tx.commit().await?;
    Ok(moved)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_parse_to_canonical_text() {
        let r: MembershipRule = " visits >= 5 / 30d ".parse().unwrap();
        assert_eq!(
            r,
            MembershipRule::VisitDays {
                days: 5,
                window: 30
            }
        );
        assert_eq!(r.to_string(), "visits>=5/30d");
        assert_eq!(
            "visits>=3/7".parse::<MembershipRule>().unwrap().to_string(),
            "visits>=3/7d"
        );
        for bad in [
            "",
            "visits>5/30d",
            "visits>=0/30d",
            "visits>=40/30d",
            "tier>=gold",
            "visits>=1/400d",
        ] {
            assert!(bad.parse::<MembershipRule>().is_err(), "{bad}");
        }
    }
}
