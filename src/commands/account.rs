use anyhow::Result;
use clap::Subcommand;
use crm::accounts;
use crm::secret::Secret;

use super::open_tenant;
use crate::{config::Config, table};

#[derive(Subcommand)]
pub enum AccountCommand {
    /// Add a fixed hotspot login (for a staff device, a till, a voucher)
    Add {
        #[arg(long)]
        username: String,
        #[arg(long, env = "SMARTX_ACCOUNT_PASSWORD", hide_env_values = true)]
        password: String,
        #[arg(long)]
        group: String,
    },
    /// List hotspot accounts (passwords are not shown)
    List,
    /// Remove a hotspot account
    Remove {
        #[arg(long)]
        username: String,
    },
    /// Usage today and this month (tenant time zone)
    Usage {
        #[arg(long)]
        username: String,
    },
}

impl AccountCommand {
    pub async fn run(self, config: &Config) -> Result<()> {
        let (store, tenant) = open_tenant(config).await?;
        match self {
            AccountCommand::Add {
                username,
                password,
                group,
            } => {
                let a = accounts::add(&store, &tenant, &username, &Secret::new(password), &group)
                    .await?;
                println!("added account {} in group {}", a.username, a.group_name);
            }
            AccountCommand::List => {
                let rows = accounts::list(&store, &tenant)
                    .await?
                    .into_iter()
                    .map(|a| {
                        vec![
                            a.username,
                            a.group_name,
                            if a.disabled { "disabled" } else { "active" }.into(),
                        ]
                    })
                    .collect::<Vec<_>>();
                table::print(&["USERNAME", "GROUP", "STATUS"], &rows);
            }
            AccountCommand::Usage { username } => {
                let a = accounts::by_username(&store, &tenant, &username)
                    .await?
                    .ok_or_else(|| crm::Error::NotFound(format!("account {username:?}")))?;
                super::print_usage(&store, &tenant, crm::hotspot::Subject::Account(a.id)).await?;
            }
            AccountCommand::Remove { username } => {
                accounts::remove(&store, &tenant, &username).await?;
                println!("removed account {username}");
            }
        }
        Ok(())
    }
}
