//! `smartx branch`: a tenant's places (POS keys and routers belong to one).

use anyhow::Result;
use clap::Subcommand;
use crm::branches;

use super::open_tenant;
use crate::{config::Config, table};

#[derive(Subcommand)]
pub enum BranchCommand {
    /// Add a branch
    Add {
        #[arg(long)]
        name: String,
    },
    /// List branches
    List,
}

impl BranchCommand {
    pub async fn run(self, config: &Config) -> Result<()> {
        let (store, tenant) = open_tenant(config).await?;
        match self {
            BranchCommand::Add { name } => {
                let b = branches::add(&store, &tenant, &name).await?;
                println!("added branch {} (id {})", b.name, b.id);
            }
            BranchCommand::List => {
                let rows: Vec<Vec<String>> = branches::list(&store, &tenant)
                    .await?
                    .into_iter()
                    .map(|b| vec![b.id.to_string(), b.name])
                    .collect();
                table::print(&["ID", "NAME"], &rows);
            }
        }
        Ok(())
    }
}
