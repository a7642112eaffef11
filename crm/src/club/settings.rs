//! The club's stored settings: the earning formula, credit expiry and pending window per
//! tenant, optionally overridden per branch; tier rules per tenant.

use std::collections::BTreeMap;

use sqlx::{AnyConnection, Row};

use super::formula::{Formula, Tier, TierMetric, TierRules};
use super::fraud::FraudRules;
use crate::error::{Error, Result};
use crate::store::Store;
use crate::tenants::Tenant;
use crate::{branches, clock};

/// Everything the club needs to award and redeem credit at one branch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClubSettings {
    pub formula: Formula,
    /// Days an award stays valid.
    pub expiry_days: i64,
    /// Seconds new earned credit waits before it can be spent (e.g. the return window).
    pub pending_seconds: i64,
    /// Tier rules; only the tenant's row counts (a branch override keeps them).
    pub tiers: TierRules,
    /// Most manual credit one staff member may add per local day (0 = no cap).
    pub manual_daily_cap: i64,
    /// Fraud-detector thresholds (tenant only).
    pub fraud: FraudRules,
    /// Text members when a purchase earns credit (tenant only).
    pub notify_earned: bool,
    /// Text members this many days before credit expires (0 = off; tenant only).
    pub expiry_notice_days: i64,
    /// Credit on a member's birthday and on each anniversary of joining (0 = off; tenant only).
    pub birthday_credit: i64,
    pub anniversary_credit: i64,
}

impl Default for ClubSettings {
    fn default() -> Self {
        ClubSettings {
            formula: Formula::default(),
            expiry_days: 180,
            pending_seconds: 0,
            tiers: TierRules::default(),
            manual_daily_cap: 0,
            fraud: FraudRules::default(),
            notify_earned: false,
            expiry_notice_days: 0,
            birthday_credit: 0,
            anniversary_credit: 0,
        }
    }
}

const MAX_BP: i64 = 100 * super::formula::FULL_BP;

impl ClubSettings {
    /// Checks every rule; the error names the first broken one.
    pub fn validate(&self) -> Result<()> {
        let f = &self.formula;
        let bp = |v: i64, what: &str, max: i64| {
            if (0..=max).contains(&v) {
                Ok(())
            } else {
                Err(Error::invalid(format!(
                    "{what} must be between 0 and {max} basis points"
                )))
            }
        };
        bp(f.earn_bp, "the earning rate", MAX_BP)?;
        bp(
            f.max_redeem_bp,
            "the share payable with credit",
            super::formula::FULL_BP,
        )?;
        for (category, rate) in &f.category_rates {
            if category.trim().is_empty() || category.len() > 50 {
                return Err(Error::invalid("item categories must be 1 to 50 characters"));
            }
            bp(*rate, &format!("the rate of category {category:?}"), MAX_BP)?;
        }
        for (v, what) in [
            (f.min_purchase, "the minimum purchase"),
            (f.cap_per_invoice, "the cap per invoice"),
            (f.cap_per_day, "the cap per day"),
            (self.manual_daily_cap, "the daily cap on manual credit"),
            (
                self.fraud.manual_amount,
                "the fraud threshold for one manual credit",
            ),
            (self.birthday_credit, "the birthday credit"),
            (self.anniversary_credit, "the anniversary credit"),
        ] {
            if !(0..=crate::ledger::MAX_AMOUNT).contains(&v) {
                return Err(Error::invalid(format!("{what} must be 0 or more rials")));
            }
        }
        if !(1..=3650).contains(&self.expiry_days) {
            return Err(Error::invalid("credit must expire after 1 to 3650 days"));
        }
        if self.pending_seconds < 0 || self.pending_seconds >= self.expiry_days * 86_400 {
            return Err(Error::invalid(
                "the pending window must be 0 or more seconds and shorter than the expiry",
            ));
        }
        self.fraud.validate()?;
        if !(0..=90).contains(&self.expiry_notice_days) {
            return Err(Error::invalid(
                "the expiry notice must come 0 to 90 days ahead",
            ));
        }
        let t = &self.tiers;
        if !(1..=3650).contains(&t.window_days) {
            return Err(Error::invalid("the tier window must be 1 to 3650 days"));
        }
        if !(0..=3650).contains(&t.demote_after_days) {
            return Err(Error::invalid("demotion must come after 0 to 3650 days"));
        }
        let mut names = std::collections::HashSet::new();
        for tier in &t.tiers {
            if tier.name.trim().is_empty() || tier.name.len() > 50 {
                return Err(Error::invalid("tier names must be 1 to 50 characters"));
            }
            if !names.insert(tier.name.trim()) {
                return Err(Error::invalid(format!(
                    "tier {:?} is listed twice",
                    tier.name
                )));
            }
            if tier.threshold < 0 {
                return Err(Error::invalid("tier thresholds must be 0 or more"));
            }
            bp(
                tier.multiplier_bp,
                &format!("the multiplier of tier {:?}", tier.name),
                MAX_BP,
            )?;
        }
        Ok(())
    }
}

/// The settings in force at `branch_id` (the tenant's when `None` or not overridden;
/// defaults when nothing is stored). Tier rules, the manual-credit cap,
/// fraud thresholds and notifications always come from the tenant.
pub async fn get(store: &Store, tenant: &Tenant, branch_id: Option<i64>) -> Result<ClubSettings> {
    let mut conn = store.pool().acquire().await?;
    get_in(&mut conn, tenant.id, branch_id).await
}

async fn row(
    conn: &mut AnyConnection,
    tenant_id: i64,
    branch_id: i64,
) -> Result<Option<ClubSettings>> {
    let row = sqlx::query(
        "SELECT earn_bp, min_purchase, cap_per_invoice, cap_per_day, max_redeem_bp, expiry_days, \
                pending_seconds, category_rates, tier_metric, tier_window_days, demote_after_days, tiers, \
                manual_daily_cap, fraud_window_seconds, fraud_max_invoices, fraud_max_manual, \
                fraud_staff_daily, fraud_manual_amount, fraud_alert_phones, notify_earned, expiry_notice_days, \
                birthday_credit, anniversary_credit \
         FROM club_settings WHERE tenant_id = $1 AND branch_id = $2",
    )
    .bind(tenant_id)
    .bind(branch_id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(r) = row else { return Ok(None) };
    let bad =
        |e: serde_json::Error| Error::invalid(format!("stored club settings are unreadable: {e}"));
    let category_rates: BTreeMap<String, i64> =
        serde_json::from_str(&r.try_get::<String, _>("category_rates")?).map_err(bad)?;
    let tiers: Vec<Tier> = serde_json::from_str(&r.try_get::<String, _>("tiers")?).map_err(bad)?;
    Ok(Some(ClubSettings {
        formula: Formula {
            earn_bp: r.try_get("earn_bp")?,
            min_purchase: r.try_get("min_purchase")?,
            cap_per_invoice: r.try_get("cap_per_invoice")?,
            cap_per_day: r.try_get("cap_per_day")?,
            max_redeem_bp: r.try_get("max_redeem_bp")?,
            category_rates,
        },
        expiry_days: r.try_get("expiry_days")?,
        pending_seconds: r.try_get("pending_seconds")?,
        tiers: TierRules {
            metric: TierMetric::parse(&r.try_get::<String, _>("tier_metric")?)?,
            window_days: r.try_get("tier_window_days")?,
            demote_after_days: r.try_get("demote_after_days")?,
            tiers,
        },
        manual_daily_cap: r.try_get("manual_daily_cap")?,
        fraud: FraudRules {
            window_seconds: r.try_get("fraud_window_seconds")?,
            max_invoices: r.try_get("fraud_max_invoices")?,
            max_manual: r.try_get("fraud_max_manual")?,
            staff_daily: r.try_get("fraud_staff_daily")?,
            manual_amount: r.try_get("fraud_manual_amount")?,
            alert_phones: r
                .try_get::<String, _>("fraud_alert_phones")?
                .split(',')
                .filter(|p| !p.is_empty())
                .map(str::to_string)
                .collect(),
        },
        notify_earned: crate::store::flag(&r, "notify_earned")?,
        expiry_notice_days: r.try_get("expiry_notice_days")?,
        birthday_credit: r.try_get("birthday_credit")?,
        anniversary_credit: r.try_get("anniversary_credit")?,
    }))
}

pub(crate) async fn get_in(
    conn: &mut AnyConnection,
    tenant_id: i64,
    branch_id: Option<i64>,
) -> Result<ClubSettings> {
    let tenant_row = row(conn, tenant_id, 0).await?.unwrap_or_default();
    let Some(branch_id) = branch_id else {
        return Ok(tenant_row);
    };
    Ok(match row(conn, tenant_id, branch_id).await? {
        Some(branch) => ClubSettings {
            tiers: tenant_row.tiers,
            manual_daily_cap: tenant_row.manual_daily_cap,
            fraud: tenant_row.fraud,
            notify_earned: tenant_row.notify_earned,
            expiry_notice_days: tenant_row.expiry_notice_days,
            birthday_credit: tenant_row.birthday_credit,
            anniversary_credit: tenant_row.anniversary_credit,
            ..branch
        },
        None => tenant_row,
    })
}

/// Stores the tenant's settings (`branch` = `None`) or a branch's override.
pub async fn set(
    store: &Store,
    tenant: &Tenant,
    branch: Option<&str>,
    settings: &ClubSettings,
) -> Result<()> {
    settings.validate()?;
    for group in settings
        .tiers
        .tiers
        .iter()
        .filter_map(|t| t.group.as_deref())
    {
        crate::groups::by_name(store, tenant, group).await?;
    }
    let branch_id = match branch {
        Some(name) => branches::by_name(store, tenant, name).await?.id,
        None => 0,
    };
    let mut tiers = settings.tiers.tiers.clone();
    tiers.sort_by_key(|t| t.threshold);
    let rates = serde_json::to_string(&settings.formula.category_rates)
        .map_err(|e| Error::invalid(e.to_string()))?;
    let tiers = serde_json::to_string(&tiers).map_err(|e| Error::invalid(e.to_string()))?;
    // Stored normalised (+989…), so the alert sends need no second parse to agree.
    let alert_phones = settings
        .fraud
        .alert_phones
        .iter()
        .map(|p| crate::phone::Phone::parse(p).map(|p| p.e164().to_string()))
        .collect::<Result<Vec<_>, _>>()?
        .join(",");
    let f = &settings.formula;
    sqlx::query(
        "INSERT INTO club_settings (tenant_id, branch_id, earn_bp, min_purchase, cap_per_invoice, cap_per_day, \
             max_redeem_bp, expiry_days, pending_seconds, category_rates, tier_metric, tier_window_days, \
             demote_after_days, tiers, manual_daily_cap, fraud_window_seconds, fraud_max_invoices, \
             fraud_max_manual, fraud_staff_daily, fraud_manual_amount, fraud_alert_phones, notify_earned, \
             expiry_notice_days, birthday_credit, anniversary_credit, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, \
                 $21, $22, $23, $24, $25, $26) \
         ON CONFLICT (tenant_id, branch_id) DO UPDATE SET earn_bp = excluded.earn_bp, \
             min_purchase = excluded.min_purchase, cap_per_invoice = excluded.cap_per_invoice, \
             cap_per_day = excluded.cap_per_day, max_redeem_bp = excluded.max_redeem_bp, \
             expiry_days = excluded.expiry_days, pending_seconds = excluded.pending_seconds, \
             category_rates = excluded.category_rates, tier_metric = excluded.tier_metric, \
             tier_window_days = excluded.tier_window_days, demote_after_days = excluded.demote_after_days, \
             tiers = excluded.tiers, manual_daily_cap = excluded.manual_daily_cap, \
             fraud_window_seconds = excluded.fraud_window_seconds, fraud_max_invoices = excluded.fraud_max_invoices, \
             fraud_max_manual = excluded.fraud_max_manual, fraud_staff_daily = excluded.fraud_staff_daily, \
             fraud_manual_amount = excluded.fraud_manual_amount, fraud_alert_phones = excluded.fraud_alert_phones, \
             notify_earned = excluded.notify_earned, \
             expiry_notice_days = excluded.expiry_notice_days, birthday_credit = excluded.birthday_credit, \
             anniversary_credit = excluded.anniversary_credit, updated_at = excluded.updated_at",
    )
    .bind(tenant.id)
    .bind(branch_id)
    .bind(f.earn_bp)
    .bind(f.min_purchase)
    .bind(f.cap_per_invoice)
    .bind(f.cap_per_day)
    .bind(f.max_redeem_bp)
    .bind(settings.expiry_days)
    .bind(settings.pending_seconds)
    .bind(rates)
    .bind(settings.tiers.metric.as_str())
    .bind(settings.tiers.window_days)
    .bind(settings.tiers.demote_after_days)
    .bind(tiers)
    .bind(settings.manual_daily_cap)
    .bind(settings.fraud.window_seconds)
    .bind(settings.fraud.max_invoices)
    .bind(settings.fraud.max_manual)
    .bind(settings.fraud.staff_daily)
    .bind(settings.fraud.manual_amount)
    .bind(alert_phones)
    .bind(settings.notify_earned)
    .bind(settings.expiry_notice_days)
    .bind(settings.birthday_credit)
    .bind(settings.anniversary_credit)
    .bind(clock::now())
    .execute(store.pool())
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_bad_values_are_named() {
        ClubSettings::default().validate().unwrap();
        let mut s = ClubSettings::default();
        s.pending_seconds = s.expiry_days * 86_400;
        assert!(s.validate().unwrap_err().to_string().contains("pending"));
        let mut s = ClubSettings::default();
        s.formula.max_redeem_bp = 10_001;
        assert!(s.validate().unwrap_err().to_string().contains("share"));
        let mut s = ClubSettings::default();
        s.tiers.tiers = vec![
            Tier {
                name: "gold".into(),
                threshold: 1,
                multiplier_bp: 1,
                group: None,
            };
            2
        ];
        assert!(s.validate().unwrap_err().to_string().contains("twice"));
    }
}
