use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Subcommand;
use crm::clock::{Zone, format_utc};
use crm::units::{format_duration, parse_duration};
use crm::vouchers::{self, NewBatch};

use super::open_tenant;
use crate::{config::Config, table};

#[derive(Subcommand)]
pub enum VoucherCommand {
    /// Create a batch of vouchers for a group
    Create {
        #[arg(long)]
        group: String,
        #[arg(long)]
        count: i64,
        /// A name to find the batch by [default: the group and the date]
        #[arg(long)]
        name: Option<String>,
        /// Valid this long from the first login, e.g. 1d, 3h
        #[arg(long)]
        valid_for: Option<String>,
        /// No login after this local date (YYYY-MM-DD, tenant time zone)
        #[arg(long)]
        expires: Option<String>,
        /// One code per voucher (username = password) instead of two
        #[arg(long)]
        pin: bool,
        /// Write a printable page (A4 cards)
        #[arg(long)]
        html: Option<PathBuf>,
        /// Write a CSV file
        #[arg(long)]
        csv: Option<PathBuf>,
    },
    /// List batches, or the vouchers of one with their usage
    List {
        #[arg(long)]
        batch: Option<i64>,
        /// With --batch: write a printable page
        #[arg(long)]
        html: Option<PathBuf>,
        /// With --batch: write a CSV file
        #[arg(long)]
        csv: Option<PathBuf>,
    },
}

fn write(path: &PathBuf, text: &str) -> Result<()> {
    std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))?;
    println!("wrote {}", path.display());
    Ok(())
}

impl VoucherCommand {
    pub async fn run(self, config: &Config) -> Result<()> {
        let (store, tenant) = open_tenant(config).await?;
        match self {
            VoucherCommand::Create {
                group,
                count,
                name,
                valid_for,
                expires,
                pin,
                html,
                csv,
            } => {
                let zone = Zone::of(&tenant)?;
                let new = NewBatch {
                    name: name.unwrap_or_else(|| {
                        format!("{group} {}", &format_utc(crm::clock::now())[..10])
                    }),
                    group,
                    count,
                    valid_for: valid_for.as_deref().map(parse_duration).transpose()?,
                    expires_at: expires.as_deref().map(|d| zone.end_of_day(d)).transpose()?,
                    pin,
                };
                let (batch, list) = vouchers::create(&store, &tenant, &new).await?;
                println!(
                    "created batch #{} \"{}\": {} vouchers for group {}",
                    batch.id,
                    batch.name,
                    list.len(),
                    batch.group_name
                );
                if let Some(path) = html {
                    write(&path, &vouchers::to_printable_html(&tenant, &batch, &list))?;
                }
                if let Some(path) = csv {
                    write(&path, &vouchers::to_csv(&batch, &list))?;
                }
            }
            VoucherCommand::List { batch: None, .. } => {
                let rows = vouchers::batches(&store, &tenant)
                    .await?
                    .into_iter()
                    .map(|b| {
                        vec![
                            b.id.to_string(),
                            b.name,
                            b.group_name,
                            b.count.to_string(),
                            b.used.to_string(),
                            table::opt(b.valid_for.map(format_duration)),
                            table::opt(b.expires_at.map(format_utc)),
                            format_utc(b.created_at),
                        ]
                    })
                    .collect::<Vec<_>>();
                table::print(
                    &[
                        "ID",
                        "NAME",
                        "GROUP",
                        "COUNT",
                        "USED",
                        "VALID-FOR",
                        "EXPIRES (UTC)",
                        "CREATED (UTC)",
                    ],
                    &rows,
                );
            }
            VoucherCommand::List {
                batch: Some(id),
                html,
                csv,
            } => {
                let batch = vouchers::batch(&store, &tenant, id).await?;
                let list = vouchers::vouchers(&store, &tenant, id).await?;
                let rows = list
                    .iter()
                    .map(|v| {
                        vec![
                            v.username.clone(),
                            table::opt(v.first_used_at.map(format_utc)),
                            table::opt(v.expires_at.map(format_utc)),
                            format_duration(v.usage.session_time),
                            v.usage.octets().to_string(),
                        ]
                    })
                    .collect::<Vec<_>>();
                table::print(
                    &[
                        "USERNAME",
                        "FIRST-USED (UTC)",
                        "EXPIRES (UTC)",
                        "ONLINE",
                        "OCTETS",
                    ],
                    &rows,
                );
                if let Some(path) = html {
                    write(&path, &vouchers::to_printable_html(&tenant, &batch, &list))?;
                }
                if let Some(path) = csv {
                    write(&path, &vouchers::to_csv(&batch, &list))?;
                }
            }
        }
        Ok(())
    }
}
