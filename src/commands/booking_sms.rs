use anyhow::Result;
use clap::Subcommand;
use crm::reservations::messages::{self, MessageChange, MessageKind};

use crm::Store;
use crm::tenants::Tenant;

use crate::table;

/// `smartx booking sms …`: which SMS go out around a booking, when, and their text.
#[derive(Subcommand)]
pub enum BookingSmsCommand {
    /// The tenant's booking messages (the defaults on first use)
    List,
    /// Add a message, e.g. a second reminder a day before
    Add {
        /// confirmation, reminder, thank_you or no_show
        #[arg(long)]
        kind: String,
        /// Minutes after booking (confirmation), before the start (reminder), after
        /// the guest left (thank_you) or after marked no-show
        #[arg(long, default_value_t = 0)]
        minutes: i64,
        /// Text with {name} {date} {time} {party} {branch} {link}
        #[arg(long)]
        text: String,
    },
    /// Change a message's timing or text, or switch it off/on
    Set {
        #[arg(long)]
        id: i64,
        #[arg(long)]
        minutes: Option<i64>,
        #[arg(long)]
        text: Option<String>,
        #[arg(long, conflicts_with = "on")]
        off: bool,
        #[arg(long)]
        on: bool,
    },
}

impl BookingSmsCommand {
    pub async fn run(self, store: &Store, tenant: &Tenant) -> Result<()> {
        let now = crm::clock::now();
        match self {
            BookingSmsCommand::List => {
                messages::ensure_defaults(store, tenant, now).await?;
                let rows = messages::list(store, tenant)
                    .await?
                    .into_iter()
                    .map(|m| {
                        vec![
                            m.id.to_string(),
                            m.kind.to_string(),
                            m.offset_minutes.to_string(),
                            if m.active { "on" } else { "off" }.into(),
                            m.template,
                        ]
                    })
                    .collect::<Vec<_>>();
                table::print(&["ID", "KIND", "MINUTES", "STATE", "TEXT"], &rows);
            }
            BookingSmsCommand::Add {
                kind,
                minutes,
                text,
            } => {
                let kind: MessageKind = kind.parse()?;
                let m = messages::add(store, tenant, kind, minutes, &text, now).await?;
                println!(
                    "added {} message #{} ({} min)",
                    m.kind, m.id, m.offset_minutes
                );
            }
            BookingSmsCommand::Set {
                id,
                minutes,
                text,
                off,
                on,
            } => {
                let change = MessageChange {
                    offset_minutes: minutes,
                    template: text,
                    active: (off || on).then_some(on),
                };
                let m = messages::update(store, tenant, id, &change).await?;
                println!(
                    "{} message #{}: {} min, {}",
                    m.kind,
                    m.id,
                    m.offset_minutes,
                    if m.active { "on" } else { "off" }
                );
            }
        }
        Ok(())
    }
}
