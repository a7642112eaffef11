use anyhow::Result;
use clap::Subcommand;
use crm::customers::{self, CustomerQuery};
use crm::devices;
use crm::hotspot::Subject;

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
    /// Move a customer to another group; their live sessions get the new speed (CoA)
    SetGroup {
        #[arg(long)]
        phone: String,
        #[arg(long)]
        group: String,
    },
    /// Block a customer's internet access and end their live sessions
    Block {
        #[arg(long)]
        phone: String,
    },
    /// Allow a blocked customer again
    Unblock {
        #[arg(long)]
        phone: String,
    },
    /// Usage today and this month (tenant time zone)
    Usage {
        #[arg(long)]
        phone: String,
    },
    /// Issue a single-use hotspot login for a customer (what the portal does after OTP)
    Token {
        #[arg(long)]
        phone: String,
        /// Only this device may use it
        #[arg(long)]
        mac: Option<String>,
        /// Lifetime, e.g. 2m
        #[arg(long, default_value = "2m")]
        ttl: String,
    },
    /// Remember a customer's device so the router's MAC login lets it in without SMS
    Remember {
        #[arg(long)]
        phone: String,
        #[arg(long)]
        mac: String,
        /// For how long [default: the tenant's remember-days]
        #[arg(long)]
        days: Option<i64>,
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
            CustomerCommand::SetGroup { phone, group } => {
                let c = customers::set_group(&store, &tenant, &phone, &group).await?;
                println!("{} is now in group {}", c.phone, table::opt(c.group_name));
                if let Some(group_id) = c.group_id {
                    let results = radiusd::enforce::apply_group(
                        &store,
                        &tenant,
                        Subject::Customer(c.id),
                        group_id,
                        "group_change",
                    )
                    .await?;
                    report(&results, "new limits sent");
                }
            }
            CustomerCommand::Block { phone } => {
                let c = customers::set_disabled(&store, &tenant, &phone, true).await?;
                println!("{} is blocked", c.phone);
                let results = radiusd::enforce::disconnect_all(
                    &store,
                    &tenant,
                    Subject::Customer(c.id),
                    "blocked",
                )
                .await?;
                report(&results, "ended");
            }
            CustomerCommand::Unblock { phone } => {
                let c = customers::set_disabled(&store, &tenant, &phone, false).await?;
                println!("{} may go online again", c.phone);
            }
            CustomerCommand::Usage { phone } => {
                let c = customers::by_phone(&store, &tenant, &phone).await?;
                super::print_usage(&store, &tenant, crm::hotspot::Subject::Customer(c.id)).await?;
            }
            CustomerCommand::Token { phone, mac, ttl } => {
                let c = customers::by_phone(&store, &tenant, &phone).await?;
                let ttl = crm::units::parse_duration(&ttl)?;
                let t =
                    crm::hotspot::mint_token(&store, &tenant, c.id, mac.as_deref(), ttl).await?;
                println!("username: {}", t.username);
                println!("password: {}", t.password.expose());
                println!("expires:  {} UTC", crm::clock::format_utc(t.expires_at));
            }
            CustomerCommand::Remember { phone, mac, days } => {
                let c = customers::by_phone(&store, &tenant, &phone).await?;
                let days = days.unwrap_or(tenant.remember_days);
                if !(1..=3650).contains(&days) {
                    anyhow::bail!("--days must be between 1 and 3650");
                }
                let until = crm::clock::now() + days * 86_400;
                let d = devices::record(&store, &tenant, c.id, &mac, Some(until)).await?;
                println!(
                    "{} remembered for {} until {} UTC",
                    d.mac,
                    c.phone,
                    crm::clock::format_utc(until)
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
                match crm::club::membership(&store, &tenant, c.id).await? {
                    Some((source, since)) => println!(
                        "club:       {source} (since {} UTC)",
                        crm::clock::format_utc(since)
                    ),
                    None => println!("club:       not a member"),
                }
                let booked =
                    crm::reservations::bookings::for_customer(&store, &tenant, c.id, 20).await?;
                println!("bookings:   {}", booked.len());
                for b in &booked {
                    println!("  {}", super::booking::describe(b));
                }
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

/// One line per live session acted on.
fn report(results: &radiusd::enforce::Results, done: &str) {
    for (id, result) in results {
        match result {
            Ok(radiusd::coa::Outcome::Ack) => println!("  session #{id}: {done}"),
            Ok(other) => println!("  session #{id}: router answered {}", other.label()),
            Err(e) => println!("  session #{id}: {e}"),
        }
    }
}
