use anyhow::{Result, anyhow};
use clap::Subcommand;
use crm::audit::Actor;
use crm::branches;
use crm::reservations::resources;
use crm::reservations::services::{self, NewService};

use super::open_tenant;
use crate::{config::Config, table};

#[derive(Subcommand)]
pub enum ServiceCommand {
    /// Add a service (appointments): its duration is the stay of its bookings
    Add {
        #[arg(long)]
        branch: String,
        /// Persian name, unique in the branch
        #[arg(long)]
        name: String,
        #[arg(long)]
        name_en: Option<String>,
        /// Duration in minutes (a multiple of 5)
        #[arg(long)]
        minutes: i64,
        /// Price in rials
        #[arg(long)]
        price: Option<i64>,
        /// Staff, chairs or rooms that perform it (repeat or comma-separate)
        #[arg(long, value_delimiter = ',', required = true)]
        by: Vec<String>,
    },
    /// List a branch's services
    List {
        #[arg(long)]
        branch: String,
    },
    /// Remove a service; its bookings stay, without a service
    Remove {
        #[arg(long)]
        branch: String,
        #[arg(long)]
        name: String,
    },
}

impl ServiceCommand {
    pub async fn run(self, config: &Config) -> Result<()> {
        let (store, tenant) = open_tenant(config).await?;
        match self {
            ServiceCommand::Add {
                branch,
                name,
                name_en,
                minutes,
                price,
                by,
            } => {
                let branch = branches::by_name(&store, &tenant, &branch).await?;
                let new = NewService {
                    name,
                    name_en,
                    duration: minutes,
                    price,
                    resources: by,
                };
                let s = services::add(&store, &tenant, &branch, Actor::CLI, &new).await?;
                println!(
                    "added service #{} {} ({} minutes) to {}",
                    s.id, s.name, s.duration, branch.name
                );
            }
            ServiceCommand::List { branch } => {
                let branch = branches::by_name(&store, &tenant, &branch).await?;
                let all = resources::list(&store, &tenant, &branch).await?;
                let rows = services::list(&store, &tenant, &branch)
                    .await?
                    .into_iter()
                    .map(|s| {
                        let by = all
                            .iter()
                            .filter(|r| s.resources.contains(&r.id))
                            .map(|r| r.name.clone())
                            .collect::<Vec<_>>()
                            .join(",");
                        vec![
                            s.id.to_string(),
                            s.name,
                            table::opt(s.name_en),
                            s.duration.to_string(),
                            table::opt(s.price.map(|p| p.to_string())),
                            by,
                        ]
                    })
                    .collect::<Vec<_>>();
                table::print(&["ID", "NAME", "NAME_EN", "MINUTES", "PRICE", "BY"], &rows);
            }
            ServiceCommand::Remove { branch, name } => {
                let branch = branches::by_name(&store, &tenant, &branch).await?;
                let s = services::list(&store, &tenant, &branch)
                    .await?
                    .into_iter()
                    .find(|s| s.name == name.trim())
                    .ok_or_else(|| anyhow!("no service {name:?} in {}", branch.name))?;
                services::remove(&store, &tenant, &branch, Actor::CLI, s.id).await?;
                println!("removed service {} from {}", s.name, branch.name);
            }
        }
        Ok(())
    }
}
