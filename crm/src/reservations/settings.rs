//! A branch's booking settings and closed dates, as stored; `rules` turns them into the
//! values availability computes with.

use std::collections::BTreeSet;

use sqlx::Row;
use sqlx::any::AnyRow;

use super::deposits::{Mode, Rule};
use super::rules::{BookingRules, StayRules};
use crate::branches::Branch;
use crate::clock::{self, Zone};
use crate::error::{Error, Result};
use crate::groups::AllowedHours;
use crate::store::Store;
use crate::tenants::Tenant;

/// The stored settings; durations in minutes. A branch without a row has the defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub branch_id: i64,
    pub time_zone: String,
    pub slot_interval: i64,
    pub stay_minutes: i64,
    pub stay_by_party: String,
    pub buffer_minutes: i64,
    pub min_notice: i64,
    pub max_days_ahead: i64,
    pub opening_hours: String,
    pub deposit: Rule,
}

/// What an operator changes; `None` keeps the current value.
#[derive(Debug, Clone, Default)]
pub struct SettingsChange {
    pub time_zone: Option<String>,
    pub slot_interval: Option<i64>,
    pub stay_minutes: Option<i64>,
    pub stay_by_party: Option<String>,
    pub buffer_minutes: Option<i64>,
    pub min_notice: Option<i64>,
    pub max_days_ahead: Option<i64>,
    pub opening_hours: Option<String>,
    /// `none`, `per-guest` or `fixed`.
    pub deposit_mode: Option<String>,
    pub deposit_amount: Option<i64>,
    pub deposit_from_party: Option<i64>,
    pub deposit_refund_hours: Option<i64>,
}

impl Settings {
    fn defaults(tenant: &Tenant, branch: &Branch) -> Settings {
        Settings {
            branch_id: branch.id,
            time_zone: tenant.time_zone.clone(),
            slot_interval: 15,
            stay_minutes: 90,
            stay_by_party: String::new(),
            buffer_minutes: 15,
            min_notice: 60,
            max_days_ahead: 30,
            opening_hours: "12:00-23:00".into(),
            deposit: Rule {
                mode: Mode::None,
                amount: 0,
                from_party: 1,
                refund_hours: 24,
            },
        }
    }

    fn from_row(row: &AnyRow) -> Result<Settings, sqlx::Error> {
        Ok(Settings {
            branch_id: row.try_get("branch_id")?,
            time_zone: row.try_get("time_zone")?,
            slot_interval: row.try_get("slot_interval")?,
            stay_minutes: row.try_get("stay_minutes")?,
            stay_by_party: row.try_get("stay_by_party")?,
            buffer_minutes: row.try_get("buffer_minutes")?,
            min_notice: row.try_get("min_notice")?,
            max_days_ahead: row.try_get("max_days_ahead")?,
            opening_hours: row.try_get("opening_hours")?,
            deposit: Rule {
                mode: row
                    .try_get::<String, _>("deposit_mode")?
                    .parse()
                    .map_err(|e: Error| sqlx::Error::Decode(e.to_string().into()))?,
                amount: row.try_get("deposit_amount")?,
                from_party: row.try_get("deposit_from_party")?,
                refund_hours: row.try_get("deposit_refund_hours")?,
            },
        })
    }

    /// The rules these settings describe, with the branch's closed dates.
    pub fn rules(&self, closed: BTreeSet<i64>) -> Result<BookingRules> {
        let rules = BookingRules {
            zone: Zone::named(&self.time_zone)?,
            slot_interval: self.slot_interval,
            stay: StayRules::parse(self.stay_minutes, &self.stay_by_party)?,
            buffer: self.buffer_minutes,
            min_notice: self.min_notice,
            max_days_ahead: self.max_days_ahead,
            opening_hours: self.opening_hours.parse::<AllowedHours>()?,
            closed,
        };
        rules.validate()?;
        Ok(rules)
    }
}

pub async fn get(store: &Store, tenant: &Tenant, branch: &Branch) -> Result<Settings> {
    let row = sqlx::query(
        "SELECT branch_id, time_zone, slot_interval, stay_minutes, stay_by_party, buffer_minutes, \
         min_notice, max_days_ahead, opening_hours, deposit_mode, deposit_amount, \
         deposit_from_party, deposit_refund_hours FROM reservation_settings \
         WHERE tenant_id = $1 AND branch_id = $2",
    )
    .bind(tenant.id)
    .bind(branch.id)
    .fetch_optional(store.pool())
    .await?;
    match row {
        Some(row) => Ok(Settings::from_row(&row)?),
        None => Ok(Settings::defaults(tenant, branch)),
    }
}

/// Validates and saves a change; returns the new settings.
pub async fn update(
    store: &Store,
    tenant: &Tenant,
    branch: &Branch,
    change: &SettingsChange,
) -> Result<Settings> {
    let old = get(store, tenant, branch).await?;
    let pick = |new: &Option<i64>, old: i64| new.unwrap_or(old);
    let text =
        |new: &Option<String>, old: &str| new.as_deref().map(str::trim).unwrap_or(old).to_string();
    let new = Settings {
        branch_id: branch.id,
        time_zone: text(&change.time_zone, &old.time_zone),
        slot_interval: pick(&change.slot_interval, old.slot_interval),
        stay_minutes: pick(&change.stay_minutes, old.stay_minutes),
        stay_by_party: text(&change.stay_by_party, &old.stay_by_party),
        buffer_minutes: pick(&change.buffer_minutes, old.buffer_minutes),
        min_notice: pick(&change.min_notice, old.min_notice),
        max_days_ahead: pick(&change.max_days_ahead, old.max_days_ahead),
        opening_hours: text(&change.opening_hours, &old.opening_hours),
        deposit: Rule {
            mode: match &change.deposit_mode {
                Some(m) => m.parse()?,
                None => old.deposit.mode,
            },
            amount: pick(&change.deposit_amount, old.deposit.amount),
            from_party: pick(&change.deposit_from_party, old.deposit.from_party),
            refund_hours: pick(&change.deposit_refund_hours, old.deposit.refund_hours),
        },
    };
    new.deposit.validate()?;
    // Store the normalised texts, so what is shown is what is applied.
    let rules = new.rules(BTreeSet::new())?;
    let new = Settings {
        stay_by_party: rules.stay.overrides_text(),
        opening_hours: rules.opening_hours.to_string(),
        ..new
    };
    sqlx::query(
        "INSERT INTO reservation_settings (branch_id, tenant_id, time_zone, slot_interval, \
         stay_minutes, stay_by_party, buffer_minutes, min_notice, max_days_ahead, opening_hours, \
         deposit_mode, deposit_amount, deposit_from_party, deposit_refund_hours, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) \
         ON CONFLICT (branch_id) DO UPDATE SET time_zone = excluded.time_zone, \
         slot_interval = excluded.slot_interval, stay_minutes = excluded.stay_minutes, \
         stay_by_party = excluded.stay_by_party, buffer_minutes = excluded.buffer_minutes, \
         min_notice = excluded.min_notice, max_days_ahead = excluded.max_days_ahead, \
         opening_hours = excluded.opening_hours, deposit_mode = excluded.deposit_mode, \
         deposit_amount = excluded.deposit_amount, deposit_from_party = excluded.deposit_from_party, \
         deposit_refund_hours = excluded.deposit_refund_hours, updated_at = excluded.updated_at",
    )
    .bind(branch.id)
    .bind(tenant.id)
    .bind(&new.time_zone)
    .bind(new.slot_interval)
    .bind(new.stay_minutes)
    .bind(&new.stay_by_party)
    .bind(new.buffer_minutes)
    .bind(new.min_notice)
    .bind(new.max_days_ahead)
    .bind(&new.opening_hours)
    .bind(new.deposit.mode.as_str())
    .bind(new.deposit.amount)
    .bind(new.deposit.from_party)
    .bind(new.deposit.refund_hours)
    .bind(clock::now())
    .execute(store.pool())
    .await?;
    Ok(new)
}

/// Marks a local date (`YYYYMMDD`) closed (`true`) or open again.
pub async fn set_closed(
    store: &Store,
    tenant: &Tenant,
    branch: &Branch,
    day: i64,
    closed: bool,
) -> Result<()> {
    if closed {
        sqlx::query(
            "INSERT INTO reservation_closed_dates (branch_id, tenant_id, day) VALUES ($1, $2, $3) \
             ON CONFLICT (branch_id, day) DO NOTHING",
        )
        .bind(branch.id)
        .bind(tenant.id)
        .bind(day)
        .execute(store.pool())
        .await?;
    } else {
        sqlx::query(
            "DELETE FROM reservation_closed_dates WHERE tenant_id = $1 AND branch_id = $2 AND day = $3",
        )
        .bind(tenant.id)
        .bind(branch.id)
        .bind(day)
        .execute(store.pool())
        .await?;
    }
    Ok(())
}

pub async fn closed_dates(
    store: &Store,
    tenant: &Tenant,
    branch: &Branch,
) -> Result<BTreeSet<i64>> {
    let days: Vec<i64> = sqlx::query_scalar(
        "SELECT day FROM reservation_closed_dates WHERE tenant_id = $1 AND branch_id = $2",
    )
    .bind(tenant.id)
    .bind(branch.id)
    .fetch_all(store.pool())
    .await?;
    Ok(days.into_iter().collect())
}

/// The branch's rules as availability uses them.
pub async fn rules(store: &Store, tenant: &Tenant, branch: &Branch) -> Result<BookingRules> {
    Ok(load(store, tenant, branch).await?.0)
}

/// The branch's rules and its deposit rule, as a booking is made with them.
pub async fn load(store: &Store, tenant: &Tenant, branch: &Branch) -> Result<(BookingRules, Rule)> {
    let settings = get(store, tenant, branch).await?;
    let rules = settings
        .rules(closed_dates(store, tenant, branch).await?)
        .map_err(|e| Error::Invalid(format!("booking settings of branch {}: {e}", branch.name)))?;
    Ok((rules, settings.deposit))
}
