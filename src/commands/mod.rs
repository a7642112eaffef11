//! The operator commands: thin wrappers that parse flags, call `crm`, and print.

pub mod account;
pub mod admin;
pub mod bench;
pub mod booking;
pub mod booking_deposit;
pub mod booking_sms;
pub mod branch;
pub mod club;
pub mod coupon;
pub mod customer;
pub mod group;
pub mod nas;
pub mod pos_key;
pub mod router_config;
pub mod service;
pub mod sessions;
pub mod sms;
pub mod survey;
pub mod table;
pub mod tenant;
pub mod voucher;

use anyhow::Result;
use crm::tenants::{self, Tenant};
use crm::{Store, store::redact};

use crate::config::Config;

/// Opens (creating and migrating if needed) the configured database.
pub async fn open(config: &Config) -> Result<Store> {
    Ok(Store::open(&config.store()).await?)
}

/// The database plus the tenant `--tenant` names (the default tenant if none).
pub async fn open_tenant(config: &Config) -> Result<(Store, Tenant)> {
    let store = open(config).await?;
    let tenant = tenants::resolve(&store, config.tenant.as_deref()).await?;
    Ok((store, tenant))
}

/// Prints a subject's usage today and this month, in the tenant's time zone.
pub async fn print_usage(
    store: &Store,
    tenant: &Tenant,
    subject: crm::hotspot::Subject,
) -> Result<()> {
    let zone = crm::clock::Zone::of(tenant)?;
    let day = zone.day_key(crm::clock::now());
    let u = crm::usage::to_date(store, tenant.id, subject, day, zone.month_start(day)).await?;
    for (label, usage) in [("today", u.day), ("month", u.month)] {
        println!(
            "{label}: {} s, {} octets (upload {}, download {})",
            usage.session_time,
            usage.octets(),
            usage.input_octets,
            usage.output_octets
        );
    }
    Ok(())
}

pub async fn migrate(config: &Config) -> Result<()> {
    let store = Store::connect(&config.store()).await?;
    let report = store.migrate().await?;
    tenants::ensure_default(&store).await?;
    let place = match &config.database_url {
        Some(url) => redact(url),
        None => config.data_dir.join("smartx.db").display().to_string(),
    };
    if report.applied.is_empty() {
        println!("{place}: schema is up to date (version {})", report.version);
    } else {
        println!(
            "{place}: applied {} migration(s), schema now at version {}",
            report.applied.len(),
            report.version
        );
    }
    Ok(())
}
