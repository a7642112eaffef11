use anyhow::Result;
use clap::Subcommand;
use crm::accounting;
use crm::clock::format_utc;
use crm::units::format_duration;

use super::open_tenant;
use crate::{config::Config, table};

#[derive(Subcommand)]
pub enum SessionsCommand {
    /// List sessions, newest first
    List {
        /// Only sessions still online
        #[arg(long)]
        online: bool,
        #[arg(long, default_value_t = 50)]
        limit: i64,
    },
    /// End a session now: a Disconnect-Request to its router
    Disconnect {
        /// The session's ID (first column of `sessions list`)
        #[arg(long)]
        id: i64,
    },
    /// Close sessions whose router stopped reporting them (the worker does this every
    /// minute); they stop counting against device limits at once
    CloseStale,
}

impl SessionsCommand {
    pub async fn run(self, config: &Config) -> Result<()> {
        let (store, tenant) = open_tenant(config).await?;
        match self {
            SessionsCommand::List { online, limit } => {
                let rows = accounting::sessions(&store, tenant.id, online, limit)
                    .await?
                    .into_iter()
                    .map(|s| {
                        vec![
                            s.id.to_string(),
                            table::opt(s.nas_name),
                            s.acct_session_id,
                            s.username,
                            format_utc(s.started_at),
                            table::opt(s.stopped_at.map(format_utc)),
                            format_duration(s.session_time),
                            s.input_octets.to_string(),
                            s.output_octets.to_string(),
                            table::opt(s.terminate_cause),
                        ]
                    })
                    .collect::<Vec<_>>();
                table::print(
                    &[
                        "ID",
                        "NAS",
                        "SESSION",
                        "USER",
                        "STARTED (UTC)",
                        "STOPPED",
                        "TIME",
                        "UPLOAD",
                        "DOWNLOAD",
                        "CAUSE",
                    ],
                    &rows,
                );
            }
            SessionsCommand::CloseStale => {
                let closed = crm::sessions::close_stale(&store, crm::clock::now()).await?;
                println!("closed {closed} stale session(s)");
            }
            SessionsCommand::Disconnect { id } => {
                use radiusd::coa::{Change, Outcome, for_session};
                match for_session(&store, &tenant, id, &Change::Disconnect, "operator").await? {
                    Outcome::Ack => println!("session #{id}: the router ended it"),
                    Outcome::Nak { error_cause } => anyhow::bail!(
                        "session #{id}: the router refused (Error-Cause {})",
                        error_cause.map_or("none".into(), |c| c.to_string())
                    ),
                    Outcome::Timeout => anyhow::bail!(
                        "session #{id}: the router did not answer (is /radius incoming accept=yes?)"
                    ),
                }
            }
        }
        Ok(())
    }
}
