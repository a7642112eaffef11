use anyhow::Result;
use clap::Subcommand;
use crm::customers::{self, CustomerQuery};
use crm::devices;

use super::open_tenant;
use crate::{config::Config, table};

#[derive(Subcommand)]
pub enum CustomerCommand {
    /// Add a customer by mobile number (any Iranian spelling)
    Add {
        #[arg(long)]
        phone: String,
        #[arg(long)]
        name: Option<String>,
        /// Group to put them in [default: the default guest group]
        #[arg(long)]
        group: Option<String>,
    },
    /// List customers, newest first
    List {
        /// Part of a phone number or the start of a name
        #[arg(long)]
        search: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: i64,
        #[arg(long, default_value_t = 0)]
        offset: i64,
    },
    /// Show one customer with their devices
    Show {
        #[arg(long)]
        phone: String,
    },
}

impl CustomerCommand {
    pub async fn run(self, config: &Config) -> Result<()> {
        let (store, tenant) = open_tenant(config).await?;
        match self {
            CustomerCommand::Add { phone, name, group } => {
                let c = customers::add(&store, &tenant, &phone, name.as_deref(), group.as_deref())
                    .await?;
                println!(
                    "added customer {} in group {}",
                    c.phone,
                    table::opt(c.group_name)
                );
            }
            CustomerCommand::List {
                search,
                limit,
                offset,
            } => {
                let rows = customers::list(
                    &store,
                    &tenant,
                    &CustomerQuery {
                        search,
                        limit,
                        offset,
                    },
                )
                .await?
                .into_iter()
                .map(|c| {
                    vec![
                        c.phone,
                        table::opt(c.name),
                        table::opt(c.group_name),
                        c.visits.to_string(),
                        table::opt(c.last_seen_at.map(crm::clock::format_utc)),
                    ]
                })
                .collect::<Vec<_>>();
                table::print(
                    &["PHONE", "NAME", "GROUP", "VISITS", "LAST-SEEN (UTC)"],
                    &rows,
                );
            }
            CustomerCommand::Show { phone } => {
                let c = customers::by_phone(&store, &tenant, &phone).await?;
                println!("phone:      {}", c.phone);
                println!("name:       {}", table::opt(c.name));
                println!("group:      {}", table::opt(c.group_name));
                println!(
                    "status:     {}",
                    if c.disabled { "disabled" } else { "active" }
                );
                println!("visits:     {}", c.visits);
                println!("joined:     {} UTC", crm::clock::format_utc(c.created_at));
                println!(
                    "last seen:  {}",
                    table::opt(c.last_seen_at.map(crm::clock::format_utc))
                );
                let devices = devices::for_customer(&store, c.id).await?;
                println!("devices:    {}", devices.len());
                for d in devices {
                    println!(
                        "  {}  last seen {} UTC{}",
                        d.mac,
                        crm::clock::format_utc(d.last_seen_at),
                        d.remembered_until
                            .map(|t| format!(
                                ", remembered until {} UTC",
                                crm::clock::format_utc(t)
                            ))
                            .unwrap_or_default()
                    );
                }
            }
        }
        Ok(())
    }
}
