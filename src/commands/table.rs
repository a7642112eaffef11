use anyhow::Result;
use clap::Subcommand;
use crm::audit::Actor;
use crm::branches;
use crm::reservations::resources::{self, NewResource, Resource};

use super::open_tenant;
use crate::{config::Config, table};

#[derive(Subcommand)]
pub enum TableCommand {
    /// Add a table (or, with --kind, a staff member, chair or room) to a branch
    Add {
        #[arg(long)]
        branch: String,
        /// Table number or name
        #[arg(long)]
        name: String,
        /// Smallest party it is given to
        #[arg(long, default_value_t = 1)]
        min: i64,
        /// Largest party it seats
        #[arg(long)]
        max: i64,
        /// Where it is: floor, terrace…
        #[arg(long)]
        zone: Option<String>,
        /// Tables it can be pushed together with (repeat or comma-separate)
        #[arg(long, value_delimiter = ',')]
        joins: Vec<String>,
        /// table, staff, chair or room
        #[arg(long, default_value = "table")]
        kind: String,
        /// Own working hours with breaks as gaps, e.g. "sat-wed 09:00-13:00; sat-wed 14:00-18:00"
        #[arg(long)]
        hours: Option<String>,
    },
    /// List a branch's tables
    List {
        #[arg(long)]
        branch: String,
    },
    /// Change a table or resource; anything not given stays. Refused when a live
    /// booking could no longer have it.
    Edit {
        #[arg(long)]
        branch: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        new_name: Option<String>,
        #[arg(long)]
        min: Option<i64>,
        #[arg(long)]
        max: Option<i64>,
        /// Empty to clear
        #[arg(long)]
        zone: Option<String>,
        /// The whole list of tables it joins (comma-separated; empty for none)
        #[arg(long)]
        joins: Option<String>,
        /// Empty for the branch's hours
        #[arg(long)]
        hours: Option<String>,
    },
    /// A day off for a resource (a staff member's), or back with --open
    DayOff {
        #[arg(long)]
        branch: String,
        #[arg(long)]
        name: String,
        /// YYYY-MM-DD
        #[arg(long)]
        date: String,
        #[arg(long)]
        open: bool,
    },
    /// Take a table out of service (or back with --on)
    Disable {
        #[arg(long)]
        branch: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        on: bool,
    },
}

impl TableCommand {
    pub async fn run(self, config: &Config) -> Result<()> {
        let (store, tenant) = open_tenant(config).await?;
        match self {
            TableCommand::Add {
                branch,
                name,
                min,
                max,
                zone,
                joins,
                kind,
                hours,
            } => {
                let branch = branches::by_name(&store, &tenant, &branch).await?;
                let new = NewResource {
                    kind: kind.parse()?,
                    name,
                    min_party: min,
                    max_party: max,
                    zone,
                    working_hours: hours,
                    joinable: joins,
                };
                let r = resources::add(&store, &tenant, &branch, &new).await?;
                println!(
                    "added {} {} ({}–{} people) to {}",
                    r.kind, r.name, r.min_party, r.max_party, branch.name
                );
            }
            TableCommand::List { branch } => {
                let branch = branches::by_name(&store, &tenant, &branch).await?;
                let list = resources::list(&store, &tenant, &branch).await?;
                let name_of = |id: i64| {
                    list.iter()
                        .find(|r| r.id == id)
                        .map(|r| r.name.clone())
                        .unwrap_or_default()
                };
                let rows = list
                    .iter()
                    .map(|r| {
                        vec![
                            r.name.clone(),
                            r.kind.to_string(),
                            format!("{}-{}", r.min_party, r.max_party),
                            table::opt(r.zone.clone()),
                            table::opt((!r.joinable.is_empty()).then(|| {
                                r.joinable
                                    .iter()
                                    .map(|&id| name_of(id))
                                    .collect::<Vec<_>>()
                                    .join(",")
                            })),
                            table::opt(r.working_hours.clone()),
                            if r.active { "yes" } else { "no" }.into(),
                        ]
                    })
                    .collect::<Vec<_>>();
                table::print(
                    &["NAME", "KIND", "PARTY", "ZONE", "JOINS", "HOURS", "ACTIVE"],
                    &rows,
                );
            }
            TableCommand::Edit {
                branch,
                name,
                new_name,
                min,
                max,
                zone,
                joins,
                hours,
            } => {
                let branch = branches::by_name(&store, &tenant, &branch).await?;
                let all = resources::list(&store, &tenant, &branch).await?;
                let r = find(&all, &name, &branch.name)?;
                let names = |ids: &[i64]| -> Vec<String> {
                    all.iter()
                        .filter(|o| ids.contains(&o.id))
                        .map(|o| o.name.clone())
                        .collect()
                };
                let new = NewResource {
                    kind: r.kind,
                    name: new_name.unwrap_or_else(|| r.name.clone()),
                    min_party: min.unwrap_or(r.min_party),
                    max_party: max.unwrap_or(r.max_party),
                    zone: zone.or_else(|| r.zone.clone()),
                    working_hours: hours.or_else(|| r.working_hours.clone()),
                    joinable: match joins {
                        Some(list) => list.split(',').map(str::to_string).collect(),
                        None => names(&r.joinable),
                    },
                };
                let now = crm::clock::now();
                let e = resources::update(&store, &tenant, &branch, Actor::CLI, r.id, &new, now)
                    .await?;
                println!(
                    "{} {} is now {}–{} people",
                    e.kind, e.name, e.min_party, e.max_party
                );
            }
            TableCommand::DayOff {
                branch,
                name,
                date,
                open,
            } => {
                let branch = branches::by_name(&store, &tenant, &branch).await?;
                let all = resources::list(&store, &tenant, &branch).await?;
                let r = find(&all, &name, &branch.name)?;
                let day = crm::clock::parse_day(&date)?;
                let now = crm::clock::now();
                resources::set_closed(&store, &tenant, &branch, Actor::CLI, r.id, day, !open, now)
                    .await?;
                println!(
                    "{} is {} on {date}",
                    r.name,
                    if open { "working" } else { "off" }
                );
            }
            TableCommand::Disable { branch, name, on } => {
                let branch = branches::by_name(&store, &tenant, &branch).await?;
                resources::set_active(&store, &tenant, &branch, &name, on).await?;
                println!(
                    "{name} is {}",
                    if on { "in service" } else { "out of service" }
                );
            }
        }
        Ok(())
    }
}

fn find<'a>(all: &'a [Resource], name: &str, branch: &str) -> Result<&'a Resource> {
    all.iter()
        .find(|r| r.name == name.trim())
        .ok_or_else(|| crm::Error::NotFound(format!("table {name:?} in {branch}")).into())
}
