//! `smartx admin`: the people of the owners' panel, from the host.

use anyhow::{Result, bail};
use clap::Subcommand;
use crm::phone::Phone;
use crm::{staff, web_sessions};

use super::open;
use crate::config::Config;

#[derive(Subcommand)]
pub enum AdminCommand {
    /// Create a platform operator (may create tenants and act in every tenant)
    Create {
        /// Mobile number; the operator signs in to /panel with an SMS code sent to it
        #[arg(long)]
        phone: String,
        #[arg(long)]
        name: Option<String>,
    },
    /// Sign a panel user out everywhere (a lost phone, someone who left)
    Revoke {
        #[arg(long)]
        phone: String,
    },
}

impl AdminCommand {
    pub async fn run(self, config: &Config) -> Result<()> {
        let store = open(config).await?;
        match self {
            AdminCommand::Create { phone, name } => {
                // The panel sends sign-in codes under the default tenant.
                crm::tenants::ensure_default(&store).await?;
                let user = staff::create_operator(&store, &phone, name.as_deref()).await?;
                println!("{} is a platform operator", user.phone);
            }
            AdminCommand::Revoke { phone } => {
                let phone = Phone::parse(&phone)?;
                let Some(user) = staff::user_by_phone(&store, &phone).await? else {
                    bail!("{phone} is not a panel user");
                };
                let n = web_sessions::revoke_all(&store, user.id).await?;
                println!("{phone}: {n} session(s) ended");
            }
        }
        Ok(())
    }
}
