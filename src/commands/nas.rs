use anyhow::Result;
use clap::Subcommand;
use crm::nas::{self, NewNas};
use crm::secret::Secret;

use super::open_tenant;
use crate::{config::Config, table};

#[derive(Subcommand)]
pub enum NasCommand {
    /// Allow a router to use this server
    Add {
        #[arg(long)]
        name: String,
        /// The router's source address: an IP or a CIDR
        #[arg(long)]
        address: String,
        /// RADIUS shared secret (also set on the router)
        #[arg(long, env = "SMARTX_NAS_SECRET", hide_env_values = true)]
        secret: String,
        /// Drop requests without a Message-Authenticator (recommended, BlastRADIUS)
        #[arg(long)]
        require_message_authenticator: bool,
        /// Branch the router belongs to
        #[arg(long)]
        branch: Option<String>,
        /// Router's Disconnect/CoA port (/radius incoming) [default: 3799]
        #[arg(long)]
        coa_port: Option<u16>,
    },
    /// List routers
    List,
    /// Remove a router
    Remove {
        #[arg(long)]
        name: String,
    },
}

impl NasCommand {
    pub async fn run(self, config: &Config) -> Result<()> {
        let (store, tenant) = open_tenant(config).await?;
        match self {
            NasCommand::Add {
                name,
                address,
                secret,
                require_message_authenticator,
                branch,
                coa_port,
            } => {
                let n = nas::add(
                    &store,
                    &tenant,
                    NewNas {
                        name,
                        address,
                        secret: Secret::new(secret),
                        require_message_authenticator,
                        branch,
                        coa_port,
                    },
                )
                .await?;
                println!("added NAS {} ({})", n.name, n.address);
            }
            NasCommand::List => {
                let rows = nas::list(&store, &tenant)
                    .await?
                    .into_iter()
                    .map(|n| {
                        vec![
                            n.id.to_string(),
                            n.name,
                            n.address.to_string(),
                            if n.require_message_authenticator {
                                "yes"
                            } else {
                                "no"
                            }
                            .into(),
                            n.coa_port.to_string(),
                        ]
                    })
                    .collect::<Vec<_>>();
                table::print(&["ID", "NAME", "ADDRESS", "REQUIRE-MA", "COA-PORT"], &rows);
            }
            NasCommand::Remove { name } => {
                nas::remove(&store, &tenant, &name).await?;
                println!("removed NAS {name}");
            }
        }
        Ok(())
    }
}
