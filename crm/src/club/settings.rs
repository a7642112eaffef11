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
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
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

/// One broken rule: the setting it is about (a stable key, e.g. `expiry_days`, that
/// forms put their message next to) and what is wrong, in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub field: &'static str,
    pub message: String,
}

fn problem(field: &'static str, message: impl Into<String>) -> Problem {
    Problem {
        field,
        message: message.into(),
    }
}

impl ClubSettings {
    /// Checks every rule; the error names the first broken one.
    pub fn validate(&self) -> Result<()> {
        match self.problems().into_iter().next() {
            Some(p) => Err(Error::invalid(p.message)),
            None => Ok(()),
        }
    }

    /// Every broken rule, in the order forms show the settings.
    pub fn problems(&self) -> Vec<Problem> {
        let mut out = Vec::new();
        let f = &self.formula;
        let bp = |out: &mut Vec<Problem>, field, v: i64, what: &str, max: i64| {
            if !(0..=max).contains(&v) {
                out.push(problem(
                    field,
                    format!("{what} must be between 0 and {max} basis points"),
                ));
            }
        };
        bp(&mut out, "earn_rate", f.earn_bp, "the earning rate", MAX_BP);
        for (field, v, what) in [
            ("min_purchase", f.min_purchase, "the minimum purchase"),
            ("cap_per_invoice", f.cap_per_invoice, "the cap per invoice"),
            ("cap_per_day", f.cap_per_day, "the cap per day"),
        ] {
            rials(&mut out, field, v, what);
        }
        bp(
            &mut out,
            "max_redeem",
            f.max_redeem_bp,
            "the share payable with credit",
            super::formula::FULL_BP,
        );
        for (category, rate) in &f.category_rates {
            if category.trim().is_empty() || category.len() > 50 {
                out.push(problem(
                    "category_rates",
                    "item categories must be 1 to 50 characters",
                ));
            }
            bp(
                &mut out,
                "category_rates",
                *rate,
                &format!("the rate of category {category:?}"),
                MAX_BP,
            );
        }
        if !(1..=3650).contains(&self.expiry_days) {
            out.push(problem(
                "expiry_days",
                "credit must expire after 1 to 3650 days",
            ));
        }
        if self.pending_seconds < 0
            || self.pending_seconds >= self.expiry_days.clamp(1, 3650) * 86_400
        {
            out.push(problem(
                "pending",
                "the pending window must be 0 or more seconds and shorter than the expiry",
            ));
        }
        let t = &self.tiers;
        if !(1..=3650).contains(&t.window_days) {
            out.push(problem(
                "tier_window_days",
                "the tier window must be 1 to 3650 days",
            ));
        }
        if !(0..=3650).contains(&t.demote_after_days) {
            out.push(problem(
                "demote_after_days",
                "demotion must come after 0 to 3650 days",
            ));
        }
        let mut names = std::collections::HashSet::new();
        for tier in &t.tiers {
            if tier.name.trim().is_empty() || tier.name.len() > 50 {
                out.push(problem("tiers", "tier names must be 1 to 50 characters"));
            }
            if !names.insert(tier.name.trim()) {
                out.push(problem(
                    "tiers",
                    format!("tier {:?} is listed twice", tier.name),
                ));
            }
            if tier.threshold < 0 {
                out.push(problem("tiers", "tier thresholds must be 0 or more"));
            }
            bp(
                &mut out,
                "tiers",
                tier.multiplier_bp,
                &format!("the multiplier of tier {:?}", tier.name),
                MAX_BP,
            );
        }
        rials(
            &mut out,
            "manual_daily_cap",
            self.manual_daily_cap,
            "the daily cap on manual credit",
        );
        if !(0..=90).contains(&self.expiry_notice_days) {
            out.push(problem(
                "expiry_notice_days",
                "the expiry notice must come 0 to 90 days ahead",
            ));
        }
        rials(
            &mut out,
            "birthday_credit",
            self.birthday_credit,
            "the birthday credit",
        );
        rials(
            &mut out,
            "anniversary_credit",
            self.anniversary_credit,
            "the anniversary credit",
        );
        rials(
            &mut out,
            "fraud_manual_amount",
            self.fraud.manual_amount,
            "the fraud threshold for one manual credit",
        );
        out.extend(self.fraud.problems());
        out
    }
}

fn rials(out: &mut Vec<Problem>, field: &'static str, v: i64, what: &str) {
    if !(0..=crate::ledger::MAX_AMOUNT).contains(&v) {
        out.push(problem(field, format!("{what} must be 0 or more rials")));
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
                birthday_credit, anniversary_credit, fraud_device_phones \
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
            device_phones: r.try_get("fraud_device_phones")?,
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
    let branch_id = match branch {
        Some(name) => Some(branches::by_name(store, tenant, name).await?.id),
        None => None,
    };
    check_groups(store, tenant, settings).await?;
    let mut tx = store.begin().await?;
    write_in(&mut tx, tenant.id, branch_id.unwrap_or(0), settings).await?;
    tx.commit().await?;
    Ok(())
}

/// Every rule valid and every tier's WiFi group one of the tenant's.
async fn check_groups(store: &Store, tenant: &Tenant, settings: &ClubSettings) -> Result<()> {
    settings.validate()?;
    for group in settings
        .tiers
        .tiers
        .iter()
        .filter_map(|t| t.group.as_deref())
    {
        crate::groups::by_name(store, tenant, group).await?;
    }
    Ok(())
}

/// A member notification's text as edited: `None` goes back to the default.
pub type TemplateEdit<'a> = (super::notices::Notice, Option<&'a str>);

/// What the panel saves at once: the settings of the tenant (`branch_id` = `None`) or a
/// branch's override, with the notification texts (tenant only), in one transaction with
/// its audit entry naming what changed (before and after, changed values only).
pub async fn save(
    store: &Store,
    tenant: &Tenant,
    branch_id: Option<i64>,
    settings: &ClubSettings,
    templates: &[TemplateEdit<'_>],
    actor: crate::audit::Actor,
) -> Result<()> {
    if let Some(id) = branch_id {
        branches::by_id(store, tenant, id).await?;
    }
    check_groups(store, tenant, settings).await?;
    let mut tx = store.begin().await?;
    let before = match branch_id {
        Some(id) => row(&mut tx, tenant.id, id).await?,
        None => Some(get_in(&mut tx, tenant.id, None).await?),
    };
    let mut before = serde_json::to_value(&before).map_err(|e| Error::invalid(e.to_string()))?;
    let mut after = serde_json::to_value(settings).map_err(|e| Error::invalid(e.to_string()))?;
    for (notice, body) in templates {
        let old = super::notices::template_in(&mut tx, tenant.id, *notice).await?;
        super::notices::set_template_in(&mut tx, tenant.id, *notice, *body).await?;
        let new = super::notices::template_in(&mut tx, tenant.id, *notice).await?;
        let key = format!("template_{}", notice.as_str());
        if let Some(map) = before.as_object_mut() {
            map.insert(key.clone(), old.into());
        }
        if let Some(map) = after.as_object_mut() {
            map.insert(key, new.into());
        }
    }
    write_in(&mut tx, tenant.id, branch_id.unwrap_or(0), settings).await?;
    let (before, after) = crate::audit::changed(&before, &after);
    if !after.as_object().is_some_and(|m| m.is_empty()) {
        let change = crate::audit::Change {
            tenant_id: Some(tenant.id),
            action: if branch_id.is_some() {
                "club.branch_settings"
            } else {
                "club.settings"
            },
            entity: if branch_id.is_some() {
                "branch"
            } else {
                "tenant"
            },
            entity_id: Some(branch_id.unwrap_or(tenant.id)),
            before: Some(before),
            after: Some(after),
        };
        crate::audit::record(&mut *tx, actor, &change).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Whether `branch_id` has its own earning formula, expiry and pending window.
pub async fn has_override(store: &Store, tenant: &Tenant, branch_id: i64) -> Result<bool> {
    let mut conn = store.pool().acquire().await?;
    Ok(row(&mut conn, tenant.id, branch_id).await?.is_some())
}

/// Drops a branch's override (it follows the tenant's settings again), audited.
pub async fn remove_override(
    store: &Store,
    tenant: &Tenant,
    branch_id: i64,
    actor: crate::audit::Actor,
) -> Result<()> {
    branches::by_id(store, tenant, branch_id).await?;
    let mut tx = store.begin().await?;
    let done = sqlx::query("DELETE FROM club_settings WHERE tenant_id = $1 AND branch_id = $2")
        .bind(tenant.id)
        .bind(branch_id)
        .execute(&mut *tx)
        .await?;
    if done.rows_affected() > 0 {
        let change = crate::audit::Change {
            tenant_id: Some(tenant.id),
            action: "club.branch_settings_removed",
            entity: "branch",
            entity_id: Some(branch_id),
            before: None,
            after: None,
        };
        crate::audit::record(&mut *tx, actor, &change).await?;
    }
    tx.commit().await?;
    Ok(())
}

async fn write_in(
    conn: &mut AnyConnection,
    tenant_id: i64,
    branch_id: i64,
    settings: &ClubSettings,
) -> Result<()> {
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
             expiry_notice_days, birthday_credit, anniversary_credit, updated_at, fraud_device_phones) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, \
                 $21, $22, $23, $24, $25, $26, $27) \
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
             anniversary_credit = excluded.anniversary_credit, updated_at = excluded.updated_at, \
             fraud_device_phones = excluded.fraud_device_phones",
    )
    .bind(tenant_id)
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
    .bind(settings.fraud.device_phones)
    .execute(&mut *conn)
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
