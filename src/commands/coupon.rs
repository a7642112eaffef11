//! `smartx coupon`: coupon batches (codes or a phone list) and their report (docs/club.md).

use anyhow::Result;
use clap::Subcommand;
use crm::clock::format_utc;
use crm::coupons::{self, CouponKind, NewBatch, Recipients};

use super::open_tenant;
use crate::{config::Config, table};

#[derive(Subcommand)]
pub enum CouponCommand {
    /// Create a batch: --count codes, or one code per --phone (repeat) / --phones-file line
    Create {
        #[arg(long)]
        name: String,
        /// credit (club credit for the member), discount (rials off an invoice) or
        /// percent (basis points off an invoice: 1500 = 15 %)
        #[arg(long, default_value = "credit")]
        kind: String,
        /// Rials
        #[arg(long)]
        value: i64,
        #[arg(long)]
        count: Option<i64>,
        #[arg(long = "phone")]
        phones: Vec<String>,
        /// A file with one phone per line
        #[arg(long)]
        phones_file: Option<std::path::PathBuf>,
        /// Last valid day (YYYY-MM-DD, the tenant's zone)
        #[arg(long)]
        valid_until: Option<String>,
        /// Uses per code (each phone at most once)
        #[arg(long, default_value_t = 1)]
        max_uses: i64,
    },
    /// Every batch with its codes, redemptions and the rials they gave
    Report,
}

impl CouponCommand {
    pub async fn run(self, config: &Config) -> Result<()> {
        let (store, tenant) = open_tenant(config).await?;
        match self {
            CouponCommand::Create {
                name,
                kind,
                value,
                count,
                mut phones,
                phones_file,
                valid_until,
                max_uses,
            } => {
                if let Some(file) = phones_file {
                    let text = std::fs::read_to_string(&file)
                        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?;
                    phones.extend(
                        text.lines()
                            .map(str::trim)
                            .filter(|l| !l.is_empty())
                            .map(String::from),
                    );
                }
                let recipients = match (count, phones.is_empty()) {
                    (Some(n), true) => Recipients::Codes(n),
                    (None, false) => Recipients::Phones(phones),
                    _ => anyhow::bail!("give either --count or phones (--phone / --phones-file)"),
                };
                let valid_until = match valid_until {
                    Some(day) => {
                        Some(crm::clock::Zone::named(&tenant.time_zone)?.end_of_day(&day)?)
                    }
                    None => None,
                };
                let (id, codes) = coupons::create(
                    &store,
                    &tenant,
                    &NewBatch {
                        name,
                        kind: CouponKind::parse(&kind)?,
                        value,
                        valid_from: None,
                        valid_until,
                        max_uses,
                        recipients,
                    },
                )
                .await?;
                eprintln!("coupon batch #{id}: {} code(s)", codes.len());
                let rows: Vec<Vec<String>> = codes
                    .into_iter()
                    .map(|c| vec![c.code, table::opt(c.phone)])
                    .collect();
                table::print(&["CODE", "PHONE"], &rows);
            }
            CouponCommand::Report => {
                let rows: Vec<Vec<String>> = coupons::report(&store, &tenant)
                    .await?
                    .into_iter()
                    .map(|b| {
                        vec![
                            b.id.to_string(),
                            b.name,
                            b.kind.as_str().to_string(),
                            b.value.to_string(),
                            table::opt(b.valid_until.map(format_utc)),
                            b.codes.to_string(),
                            b.redemptions.to_string(),
                            b.amount.to_string(),
                        ]
                    })
                    .collect();
                table::print(
                    &[
                        "ID",
                        "NAME",
                        "KIND",
                        "VALUE",
                        "UNTIL (UTC)",
                        "CODES",
                        "USED",
                        "AMOUNT",
                    ],
                    &rows,
                );
            }
        }
        Ok(())
    }
}
