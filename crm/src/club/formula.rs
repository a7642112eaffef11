//! The earning formula and tiers as pure functions: no storage, no clock.
//!
//! Rates are basis points (1 bp = 0.01 %, 10 000 bp = 100 %); amounts are rials.
//! Intermediate products use `i128` and results round down, so no input can overflow
//! and credit never exceeds what the rules allow.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// 100 % in basis points.
pub const FULL_BP: i64 = 10_000;

/// How much credit a purchase earns, and how much of an invoice credit may pay.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Formula {
    /// Credit earned on the amount, e.g. 500 = 5 %.
    pub earn_bp: i64,
    /// Invoices below this amount earn nothing.
    pub min_purchase: i64,
    /// Most credit one invoice earns (0 = no cap).
    pub cap_per_invoice: i64,
    /// Most credit one member earns per local day (0 = no cap).
    pub cap_per_day: i64,
    /// Largest share of an invoice payable with credit, e.g. 5000 = half.
    pub max_redeem_bp: i64,
    /// Item categories with their own rate instead of `earn_bp`.
    pub category_rates: BTreeMap<String, i64>,
}

impl Default for Formula {
    fn default() -> Self {
        Formula {
            earn_bp: 500,
            min_purchase: 0,
            cap_per_invoice: 0,
            cap_per_day: 0,
            max_redeem_bp: 5_000,
            category_rates: BTreeMap::new(),
        }
    }
}

/// One invoice line as the formula sees it: its category and total (qty × unit price).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub category: Option<String>,
    pub total: i64,
}

fn share(amount: i64, bp: i64) -> i64 {
    let v = i128::from(amount.max(0)) * i128::from(bp.max(0)) / i128::from(FULL_BP);
    i64::try_from(v).unwrap_or(i64::MAX)
}

impl Formula {
    /// Credit for an invoice of `amount` with `lines`, for a member whose tier multiplies
    /// by `multiplier_bp` (10 000 = ×1) and who already earned `earned_today`.
    ///
    /// Lines whose category has its own rate earn at that rate (never more in total than
    /// the invoice amount); the rest of the amount earns at `earn_bp`.
    pub fn earn(&self, amount: i64, lines: &[Line], multiplier_bp: i64, earned_today: i64) -> i64 {
        if amount <= 0 || amount < self.min_purchase {
            return 0;
        }
        let mut rated_total = 0i64;
        let mut rated_credit = 0i128;
        for line in lines {
            let Some(rate) = line
                .category
                .as_deref()
                .and_then(|c| self.category_rates.get(c))
            else {
                continue;
            };
            let total = line.total.max(0).min(amount - rated_total);
            rated_total += total;
            rated_credit += i128::from(share(total, *rate));
        }
        let base = i128::from(share(amount - rated_total, self.earn_bp)) + rated_credit;
        let multiplied = base * i128::from(multiplier_bp.max(0)) / i128::from(FULL_BP);
        let mut credit = i64::try_from(multiplied).unwrap_or(i64::MAX);
        if self.cap_per_invoice > 0 {
            credit = credit.min(self.cap_per_invoice);
        }
        if self.cap_per_day > 0 {
            credit = credit.min((self.cap_per_day - earned_today).max(0));
        }
        credit
    }

    /// The most credit an invoice of `amount` may be paid with.
    pub fn redeem_cap(&self, amount: i64) -> i64 {
        share(amount, self.max_redeem_bp)
    }
}

/// What tiers are measured by, over a rolling window. Never the balance: a member who
/// spends credit must not drop a tier for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TierMetric {
    /// Credit earned in the window.
    Earned,
    /// Invoice amounts in the window.
    Spend,
    /// Invoices (visits with a purchase) in the window.
    Visits,
}

impl TierMetric {
    pub fn as_str(self) -> &'static str {
        match self {
            TierMetric::Earned => "earned",
            TierMetric::Spend => "spend",
            TierMetric::Visits => "visits",
        }
    }

    pub fn parse(s: &str) -> crate::Result<TierMetric> {
        match s.trim() {
            "earned" => Ok(TierMetric::Earned),
            "spend" => Ok(TierMetric::Spend),
            "visits" => Ok(TierMetric::Visits),
            other => Err(crate::Error::Invalid(format!(
                "tier metric {other:?}: expected earned, spend or visits"
            ))),
        }
    }
}

/// One tier: reached at `threshold` of the metric; multiplies earning by `multiplier_bp`;
/// may put its members in a WiFi group (e.g. gold → `loyal`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tier {
    pub name: String,
    pub threshold: i64,
    pub multiplier_bp: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
}

/// How members are placed in tiers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TierRules {
    pub metric: TierMetric,
    pub window_days: i64,
    /// Without a purchase for this many days a member falls to the entry tier (0 = never).
    pub demote_after_days: i64,
    /// Lowest threshold first.
    pub tiers: Vec<Tier>,
}

impl Default for TierRules {
    fn default() -> Self {
        TierRules {
            metric: TierMetric::Spend,
            window_days: 365,
            demote_after_days: 180,
            tiers: Vec::new(),
        }
    }
}

/// What a member did in the window, as tiers measure it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Activity {
    pub earned: i64,
    pub spend: i64,
    pub visits: i64,
    pub last_purchase_at: Option<i64>,
}

impl TierRules {
    /// The member's tier at `now`, or `None` when no tier's threshold is reached.
    /// A member inactive for `demote_after_days` counts as if the metric were 0.
    pub fn tier_for(&self, activity: &Activity, now: i64) -> Option<&Tier> {
        let inactive = self.demote_after_days > 0
            && activity
                .last_purchase_at
                .is_none_or(|t| now - t >= self.demote_after_days * 86_400);
        let value = if inactive {
            0
        } else {
            match self.metric {
                TierMetric::Earned => activity.earned,
                TierMetric::Spend => activity.spend,
                TierMetric::Visits => activity.visits,
            }
        };
        self.tiers
            .iter()
            .filter(|t| t.threshold <= value)
            .max_by_key(|t| t.threshold)
    }

    /// The earning multiplier of the member's tier (×1 without a tier).
    pub fn multiplier_bp(&self, activity: &Activity, now: i64) -> i64 {
        self.tier_for(activity, now)
            .map_or(FULL_BP, |t| t.multiplier_bp)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(category: &str, total: i64) -> Line {
        Line {
            category: Some(category.into()),
            total,
        }
    }

    #[test]
    fn earns_a_percentage_rounded_down() {
        let f = Formula::default(); // 5 %
        assert_eq!(f.earn(1_000_000, &[], FULL_BP, 0), 50_000);
        assert_eq!(f.earn(19, &[], FULL_BP, 0), 0);
        assert_eq!(f.earn(39, &[], FULL_BP, 0), 1);
        assert_eq!(f.earn(0, &[], FULL_BP, 0), 0);
        assert_eq!(f.earn(-5, &[], FULL_BP, 0), 0);
    }

    #[test]
    fn minimum_purchase_and_caps() {
        let f = Formula {
            min_purchase: 100_000,
            cap_per_invoice: 20_000,
            cap_per_day: 30_000,
            ..Formula::default()
        };
        assert_eq!(f.earn(99_999, &[], FULL_BP, 0), 0);
        assert_eq!(f.earn(100_000, &[], FULL_BP, 0), 5_000);
        assert_eq!(f.earn(1_000_000, &[], FULL_BP, 0), 20_000, "per invoice");
        assert_eq!(f.earn(1_000_000, &[], FULL_BP, 25_000), 5_000, "per day");
        assert_eq!(
            f.earn(1_000_000, &[], FULL_BP, 40_000),
            0,
            "over the day's cap"
        );
    }

    #[test]
    fn tier_multiplier_applies_before_caps() {
        let f = Formula {
            cap_per_invoice: 60_000,
            ..Formula::default()
        };
        assert_eq!(f.earn(1_000_000, &[], 15_000, 0), 60_000);
        assert_eq!(f.earn(1_000_000, &[], 11_000, 0), 55_000);
    }

    #[test]
    fn category_rates_replace_the_base_rate_for_their_lines() {
        let mut f = Formula::default();
        f.category_rates.insert("drinks".into(), 1_000);
        f.category_rates.insert("tobacco".into(), 0);
        let lines = [
            line("drinks", 200_000),
            line("food", 500_000),
            line("tobacco", 100_000),
        ];
        // drinks 10 % of 200k + tobacco 0 + the other 700k at 5 %.
        assert_eq!(f.earn(1_000_000, &lines, FULL_BP, 0), 20_000 + 35_000);
        // Lines claiming more than the invoice never earn beyond it.
        assert_eq!(
            f.earn(100_000, &[line("drinks", 900_000)], FULL_BP, 0),
            10_000
        );
    }

    #[test]
    fn huge_values_do_not_overflow() {
        let f = Formula {
            earn_bp: FULL_BP,
            ..Formula::default()
        };
        assert_eq!(f.earn(i64::MAX, &[], i64::MAX, 0), i64::MAX);
        assert_eq!(f.redeem_cap(i64::MAX), i64::MAX / 2);
    }

    #[test]
    fn redeem_cap_is_a_share_of_the_invoice() {
        let f = Formula::default();
        assert_eq!(f.redeem_cap(1_000_001), 500_000);
    }

    fn rules(metric: TierMetric) -> TierRules {
        TierRules {
            metric,
            window_days: 90,
            demote_after_days: 30,
            tiers: vec![
                Tier {
                    name: "bronze".into(),
                    threshold: 0,
                    multiplier_bp: FULL_BP,
                    group: None,
                },
                Tier {
                    name: "silver".into(),
                    threshold: 5,
                    multiplier_bp: 12_000,
                    group: None,
                },
                Tier {
                    name: "gold".into(),
                    threshold: 10,
                    multiplier_bp: 15_000,
                    group: None,
                },
            ],
        }
    }

    #[test]
    fn tiers_follow_the_metric_and_demote_after_inactivity() {
        let now = 100 * 86_400;
        let r = rules(TierMetric::Visits);
        let active = Activity {
            visits: 7,
            earned: 1,
            spend: 1,
            last_purchase_at: Some(now - 86_400),
        };
        assert_eq!(r.tier_for(&active, now).unwrap().name, "silver");
        assert_eq!(r.multiplier_bp(&active, now), 12_000);
        let gold = Activity {
            visits: 10,
            ..active
        };
        assert_eq!(r.tier_for(&gold, now).unwrap().name, "gold");
        let asleep = Activity {
            last_purchase_at: Some(now - 30 * 86_400),
            ..gold
        };
        assert_eq!(r.tier_for(&asleep, now).unwrap().name, "bronze");
        assert_eq!(
            rules(TierMetric::Spend)
                .tier_for(&active, now)
                .unwrap()
                .name,
            "bronze"
        );
        let no_tiers = TierRules::default();
        assert_eq!(no_tiers.tier_for(&gold, now), None);
        assert_eq!(no_tiers.multiplier_bp(&gold, now), FULL_BP);
    }
}
