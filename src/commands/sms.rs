//! `smartx sms`: the development phone inbox, the outbox, and queuing a test message.

use anyhow::Result;
use clap::Subcommand;
use crm::clock::format_utc;
use crm::phone::Phone;
use crm::sms::{self, Status};

use super::{open, open_tenant};
use crate::{config::Config, table};

#[derive(Subcommand)]
pub enum SmsCommand {
    /// Messages the console provider delivered to a phone (all tenants), newest first
    Inbox {
        /// The phone, in any Iranian spelling (09…, +98…, Persian digits)
        #[arg(long)]
        phone: String,
        #[arg(long, default_value_t = 20)]
        limit: i64,
    },
    /// The tenant's outbox, newest first (one-time codes always show as ***)
    Outbox {
        /// Only this status: queued, sending, sent, delivered or failed
        #[arg(long)]
        status: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: i64,
    },
    /// Queue a text message; a running `smartx serve` (worker role) sends it
    Send {
        #[arg(long)]
        phone: String,
        #[arg(long)]
        text: String,
        /// What the message is for (a-z, 0-9, _ and -)
        #[arg(long, default_value = "manual")]
        purpose: String,
        /// A marketing text: only to club members who have not opted out (STOP), paid
        /// from the SMS wallet (smartx club wallet)
        #[arg(long)]
        marketing: bool,
    },
}

/// One line for a table cell: no line breaks, no overlong bodies.
fn cell(text: &str, max: usize) -> String {
    let flat = text.replace(['\n', '\r'], " ");
    if flat.chars().count() > max {
        let cut: String = flat.chars().take(max.saturating_sub(1)).collect();
        format!("{cut}…")
    } else {
        flat
    }
}

impl SmsCommand {
    pub async fn run(self, config: &Config) -> Result<()> {
        match self {
            SmsCommand::Inbox { phone, limit } => {
                let phone = Phone::parse(&phone)?;
                let store = open(config).await?;
                let rows: Vec<Vec<String>> = sms::console_inbox(&store, &phone, limit)
                    .await?
                    .into_iter()
                    .map(|m| {
                        vec![
                            format_utc(m.created_at),
                            phone.national(),
                            cell(&m.body, 400),
                        ]
                    })
                    .collect();
                // No id column: scripts pick the code out of this output.
                table::print(&["RECEIVED (UTC)", "TO", "TEXT"], &rows);
            }
            SmsCommand::Outbox { status, limit } => {
                let status = status.as_deref().map(str::parse::<Status>).transpose()?;
                let (store, tenant) = open_tenant(config).await?;
                let rows: Vec<Vec<String>> = sms::outbox(&store, &tenant, status, limit)
                    .await?
                    .into_iter()
                    .map(|m| {
                        let to = Phone::parse(&m.phone)
                            .map(|p| p.national())
                            .unwrap_or_else(|_| m.phone.clone());
                        vec![
                            m.id.to_string(),
                            format_utc(m.created_at),
                            to,
                            m.kind.to_string(),
                            m.purpose.clone(),
                            m.status.to_string(),
                            m.attempts.to_string(),
                            table::opt(m.provider.clone()),
                            table::opt(m.provider_message_id.clone()),
                            cell(m.display_body(), 40),
                            table::opt(m.last_error.as_deref().map(|e| cell(e, 120))),
                        ]
                    })
                    .collect();
                table::print(
                    &[
                        "ID",
                        "CREATED (UTC)",
                        "TO",
                        "KIND",
                        "PURPOSE",
                        "STATUS",
                        "TRIES",
                        "PROVIDER",
                        "PROVIDER ID",
                        "TEXT",
                        "ERROR",
                    ],
                    &rows,
                );
            }
            SmsCommand::Send {
                phone,
                text,
                purpose,
                marketing,
            } => {
                let phone = Phone::parse(&phone)?;
                let (store, tenant) = open_tenant(config).await?;
                use crm::club::notices::{self, Marketing};
                let outcome = if marketing {
                    notices::send_marketing(&store, &tenant, &phone, &text, &purpose).await?
                } else {
                    Marketing::Queued(
                        sms::enqueue_text(&store, &tenant, &phone, &text, &purpose).await?,
                    )
                };
                let to = phone.national();
                match outcome {
                    Marketing::Queued(id) => println!("queued SMS #{id} to {to}"),
                    Marketing::NotMember => println!("skipped {to}: not a club member"),
                    Marketing::OptedOut => println!("skipped {to}: opted out of marketing SMS"),
                    Marketing::WalletEmpty => println!("skipped {to}: the SMS wallet is empty"),
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn cells_are_one_short_line() {
        assert_eq!(super::cell("a\nb", 10), "a b");
        assert_eq!(super::cell("abcdef", 4), "abc…");
    }
}
