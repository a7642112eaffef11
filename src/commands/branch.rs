//! `smartx branch`: a tenant's places (its tables, routers, POS keys, booking page).

use anyhow::Result;
use clap::Subcommand;
use crm::branches;

use super::open_tenant;
use crate::{config::Config, table};

#[derive(Subcommand)]
pub enum BranchCommand {
    /// Add a branch (a place of the business: its tables, routers, booking page)
    Add {
        #[arg(long)]
        name: String,
    },
    /// List branches with their ids (the booking page is /book/<id>)
    List,
}

impl BranchCommand {
    pub async fn run(self, config: &Config) -> Result<()> {
        let (store, tenant) = open_tenant(config).await?;
        match self {
            BranchCommand::Add { name } => {
                let b = branches::add(&store, &tenant, &name).await?;
                println!("added branch #{} {}", b.id, b.name);
            }
            BranchCommand::List => {
                let rows = branches::list(&store, &tenant)
                    .await?
                    .into_iter()
                    .map(|b| vec![b.id.to_string(), b.name, format!("/book/{}", b.id)])
                    .collect::<Vec<_>>();
                table::print(&["ID", "NAME", "BOOKING PAGE"], &rows);
            }
        }
        Ok(())
    }
}
