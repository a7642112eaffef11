//! `smartx pos-key`: per-branch keys for the POS API (docs/api.md).

use anyhow::Result;
use clap::Subcommand;
use crm::clock::format_utc;
use crm::pos_keys;

use super::open_tenant;
use crate::{config::Config, table};

#[derive(Subcommand)]
pub enum PosKeyCommand {
    /// Make a key for a branch; the key is printed once and only its hash is kept
    Create {
        /// The branch: its id or name
        #[arg(long)]
        branch: String,
    },
    /// List keys (prefixes only)
    List,
    /// Revoke a key at once
    Revoke {
        #[arg(long)]
        id: i64,
    },
}

impl PosKeyCommand {
    pub async fn run(self, config: &Config) -> Result<()> {
        let (store, tenant) = open_tenant(config).await?;
        match self {
            PosKeyCommand::Create { branch } => {
                let (key, secret) = pos_keys::create(&store, &tenant, &branch).await?;
                eprintln!(
                    "POS key #{} for branch {}: store it now, it is not shown again",
                    key.id, key.branch_id
                );
                println!("{}", secret.expose());
            }
            PosKeyCommand::List => {
                let rows: Vec<Vec<String>> = pos_keys::list(&store, &tenant)
                    .await?
                    .into_iter()
                    .map(|k| {
                        vec![
                            k.id.to_string(),
                            k.branch_id.to_string(),
                            format!("{}…", k.prefix),
                            format_utc(k.created_at),
                            table::opt(k.revoked_at.map(format_utc)),
                        ]
                    })
                    .collect();
                table::print(
                    &["ID", "BRANCH", "KEY", "CREATED (UTC)", "REVOKED (UTC)"],
                    &rows,
                );
            }
            PosKeyCommand::Revoke { id } => {
                pos_keys::revoke(&store, &tenant, id).await?;
                println!("revoked POS key #{id}");
            }
        }
        Ok(())
    }
}
