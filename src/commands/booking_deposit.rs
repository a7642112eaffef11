use anyhow::Result;
use clap::Subcommand;
use crm::audit::Actor;
use crm::branches;
use crm::reservations::deposits::{self, NewSlotRule};

use crm::Store;
use crm::tenants::Tenant;

use crate::table;

/// `smartx booking deposit-rule …`: deposits by time slot and party size (the most
/// specific matching rule wins over the branch's rule; docs/reservations.md).
#[derive(Subcommand)]
pub enum DepositRuleCommand {
    /// A branch's rules
    List {
        #[arg(long)]
        branch: String,
    },
    /// Add a rule, e.g. --hours "thu-fri 19:00-23:00" --min 6 --mode per-guest --amount 50000
    Add {
        #[arg(long)]
        branch: String,
        /// When the booking starts (allowed-hours text); empty = any time
        #[arg(long, default_value = "")]
        hours: String,
        #[arg(long, default_value_t = 1)]
        min: i64,
        /// No upper bound without it
        #[arg(long)]
        max: Option<i64>,
        /// none (waive), per-guest or fixed
        #[arg(long)]
        mode: String,
        /// Rials
        #[arg(long, default_value_t = 0)]
        amount: i64,
    },
    /// Remove a rule (bookings made keep their deposit)
    Remove {
        #[arg(long)]
        branch: String,
        #[arg(long)]
        id: i64,
    },
}

impl DepositRuleCommand {
    pub async fn run(self, s: &Store, t: &Tenant) -> Result<()> {
        let now = crm::clock::now();
        match self {
            DepositRuleCommand::List { branch } => {
                let branch = branches::by_name(s, t, &branch).await?;
                let rows = deposits::slot_rules(s, t, &branch)
                    .await?
                    .into_iter()
                    .map(|r| {
                        vec![
                            r.id.to_string(),
                            table::opt(r.hours.map(|h| h.to_string())),
                            match r.max_party {
                                Some(max) => format!("{}-{max}", r.min_party),
                                None => format!("{}-", r.min_party),
                            },
                            r.mode.as_str().to_string(),
                            r.amount.to_string(),
                        ]
                    })
                    .collect::<Vec<_>>();
                table::print(&["ID", "HOURS", "PARTY", "MODE", "AMOUNT"], &rows);
            }
            DepositRuleCommand::Add {
                branch,
                hours,
                min,
                max,
                mode,
                amount,
            } => {
                let branch = branches::by_name(s, t, &branch).await?;
                let new = NewSlotRule {
                    hours,
                    min_party: min,
                    max_party: max,
                    mode: mode.parse()?,
                    amount,
                };
                let r = deposits::add_slot_rule(s, t, &branch, Actor::CLI, &new, now).await?;
                println!("deposit rule #{} added to {}", r.id, branch.name);
            }
            DepositRuleCommand::Remove { branch, id } => {
                let branch = branches::by_name(s, t, &branch).await?;
                deposits::remove_slot_rule(s, t, &branch, Actor::CLI, id).await?;
                println!("deposit rule #{id} removed");
            }
        }
        Ok(())
    }
}
