use anyhow::Result;
use clap::Subcommand;
use crm::tenants::{self, TenantSettings};

use super::open;
use crate::{config::Config, table};

#[derive(Subcommand)]
pub enum TenantCommand {
    /// Create a tenant (a business) with the default groups and a fresh club code
    Add {
        #[arg(long)]
        name: String,
    },
    /// List tenants
    List,
    /// Change the --tenant tenant's settings (the default tenant without --tenant)
    Set {
        /// IANA zone for days, months and allowed hours, e.g. Asia/Tehran
        #[arg(long)]
        time_zone: Option<String>,
        /// fa or en: the language guests and messages start in
        #[arg(long)]
        locale: Option<String>,
        /// Days a ticked "remember this device" keeps MAC login open (0 = never)
        #[arg(long)]
        remember_days: Option<i64>,
        /// Digits in SMS login codes, 4 to 6
        #[arg(long)]
        otp_length: Option<i64>,
        /// Where months (monthly data quota) start: gregorian or jalali
        #[arg(long)]
        month_start: Option<String>,
    },
}

impl TenantCommand {
    pub async fn run(self, config: &Config) -> Result<()> {
        let store = open(config).await?;
        match self {
            TenantCommand::Add { name } => {
                let t = tenants::create(&store, &name).await?;
                println!("added tenant {} (club code {})", t.name, t.club_code);
            }
            TenantCommand::List => {
                tenants::ensure_default(&store).await?;
                let rows = tenants::list(&store)
                    .await?
                    .into_iter()
                    .map(|t| {
                        vec![
                            t.name,
                            t.club_code,
                            t.time_zone,
                            t.locale,
                            t.remember_days.to_string(),
                            t.otp_length.to_string(),
                            t.month_start.as_str().to_string(),
                        ]
                    })
                    .collect::<Vec<_>>();
                table::print(
                    &[
                        "NAME",
                        "CLUB-CODE",
                        "TIME-ZONE",
                        "LOCALE",
                        "REMEMBER-DAYS",
                        "OTP-DIGITS",
                        "MONTHS",
                    ],
                    &rows,
                );
            }
            TenantCommand::Set {
                time_zone,
                locale,
                remember_days,
                otp_length,
                month_start,
            } => {
                let tenant = tenants::resolve(&store, config.tenant.as_deref()).await?;
                let settings = TenantSettings {
                    time_zone,
                    locale,
                    remember_days,
                    otp_length,
                    month_start: month_start
                        .as_deref()
                        .map(crm::clock::MonthStart::parse)
                        .transpose()?,
                };
                let t = tenants::update(&store, &tenant, &settings).await?;
                println!(
                    "updated tenant {}: zone {}, locale {}, remember {} days, {}-digit codes, {} months",
                    t.name,
                    t.time_zone,
                    t.locale,
                    t.remember_days,
                    t.otp_length,
                    t.month_start.as_str()
                );
            }
        }
        Ok(())
    }
}
