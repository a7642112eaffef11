//! `smartx club`: the earning settings, a member's balance and ledger (docs/club.md).

use anyhow::{Result, anyhow};
use clap::{Args, Subcommand};
use crm::clock::{self, format_utc};
use crm::club::formula::{Tier, TierMetric};
use crm::club::{self, notices, settings};
use crm::phone::Phone;
use crm::sms::wallet;
use crm::{customers, ledger};

use super::open_tenant;
use crate::{config::Config, table};

#[derive(Subcommand)]
pub enum ClubCommand {
    /// Show the earning settings, or change the given ones (tenant-wide, or one branch)
    Settings(Box<SettingsArgs>),
    /// A member's spendable and pending credit, next expiry and tier
    Balance {
        /// The phone, in any Iranian spelling
        phone: String,
    },
    /// Add credit by hand (spendable at once), with a reason
    Credit {
        /// The phone, in any Iranian spelling (made a member if new)
        phone: String,
        /// Rials
        amount: i64,
        #[arg(long)]
        reason: String,
        /// The staff member acting (their daily cap applies) [default: the operator]
        #[arg(long)]
        staff: Option<i64>,
    },
    /// Fraud flags, newest first (open ones unless --all)
    Flags {
        #[arg(long)]
        all: bool,
    },
    /// Clear a fraud flag (and its block), with a reason
    ClearFlag {
        id: i64,
        #[arg(long)]
        reason: String,
        /// The manager acting [default: the operator]
        #[arg(long)]
        staff: Option<i64>,
    },
    /// The fraud detector's decision log, newest first
    Decisions {
        #[arg(long, default_value_t = 50)]
        limit: i64,
    },
    /// The SMS wallet that pays the tenant's SMS (club, bookings, surveys): show, top up,
    /// set the price
    Wallet {
        /// Add this many rials (a manual/admin top-up)
        #[arg(long)]
        top_up: Option<i64>,
        /// Why (e.g. the payment reference); required with --top-up
        #[arg(long)]
        reason: Option<String>,
        /// Rials per SMS
        #[arg(long)]
        price: Option<i64>,
    },
    /// Show or edit a notification text: credit_earned or credit_expiring
    Template {
        kind: String,
        /// The new text; placeholders {tenant} {amount} {spendable} {date}
        #[arg(long)]
        text: Option<String>,
        /// Go back to the Persian default
        #[arg(long)]
        default: bool,
    },
    /// Queue the "credit about to expire" SMS now (the worker does this every 10 minutes)
    Notify,
    /// Set a member's birthday (Jalali month-day, e.g. 09-13; "-" clears it)
    Birthday { phone: String, day: String },
    /// Make a number the club's own SMS line (keywords sent to it concern this club; "-"
    /// removes the club's lines)
    Line { number: String },
    /// Give today's birthday and anniversary credit now (the worker does this every 10 minutes)
    Gifts,
    /// Expire credit whose time has come now (the worker does this every minute)
    Expire,
    /// A member's ledger entries, newest first
    Ledger {
        phone: String,
        #[arg(long, default_value_t = 50)]
        limit: i64,
    },
}

#[derive(Args)]
pub struct SettingsArgs {
    /// Override for this branch (name) instead of the tenant-wide settings
    #[arg(long)]
    branch: Option<String>,
    /// Credit earned, in basis points of the amount (500 = 5 %)
    #[arg(long)]
    earn_bp: Option<i64>,
    /// Invoices below this (rials) earn nothing
    #[arg(long)]
    min_purchase: Option<i64>,
    /// Most credit per invoice (rials, 0 = no cap)
    #[arg(long)]
    cap_per_invoice: Option<i64>,
    /// Most credit per member per local day (rials, 0 = no cap)
    #[arg(long)]
    cap_per_day: Option<i64>,
    /// Largest share of an invoice payable with credit (basis points)
    #[arg(long)]
    max_redeem_bp: Option<i64>,
    /// Days an award stays valid
    #[arg(long)]
    expiry_days: Option<i64>,
    /// Seconds earned credit waits before it can be spent (the return window)
    #[arg(long)]
    pending_seconds: Option<i64>,
    /// A category's own rate, CATEGORY=BP (repeat; BP "-" removes it)
    #[arg(long = "category-rate")]
    category_rates: Vec<String>,
    /// Tiers by: earned, spend or visits
    #[arg(long)]
    tier_metric: Option<String>,
    /// The rolling window tiers are measured over (days)
    #[arg(long)]
    tier_window_days: Option<i64>,
    /// Days without a purchase after which a member falls to the entry tier (0 = never)
    #[arg(long)]
    demote_after_days: Option<i64>,
    /// Replace the tiers: NAME:THRESHOLD:MULTIPLIER_BP[:WIFI_GROUP] (repeat),
    /// e.g. gold:5000000:15000:loyal
    #[arg(long = "tier")]
    tiers: Vec<String>,
    /// Most manual credit one staff member may add per local day (rials, 0 = no cap)
    #[arg(long)]
    manual_daily_cap: Option<i64>,
    /// Fraud: the window the per-phone rules count in (seconds)
    #[arg(long)]
    fraud_window_seconds: Option<i64>,
    /// Fraud: more invoices than this for one phone in the window raise a flag (0 = off)
    #[arg(long)]
    fraud_max_invoices: Option<i64>,
    /// Fraud: more manual credits than this for one phone in the window (0 = off)
    #[arg(long)]
    fraud_max_manual: Option<i64>,
    /// Fraud: more manual credits than this by one staff member per day (0 = off)
    #[arg(long)]
    fraud_staff_daily: Option<i64>,
    /// Fraud: one manual credit above this many rials (0 = off)
    #[arg(long)]
    fraud_manual_amount: Option<i64>,
    /// Fraud: more different phones than this signing in on one device in the window (0 = off)
    #[arg(long)]
    fraud_device_phones: Option<i64>,
    /// Fraud: a manager's phone texted on every flag and block (repeat; replaces the list;
    /// "-" empties it)
    #[arg(long = "fraud-alert-phone")]
    fraud_alert_phones: Vec<String>,
    /// Text members when a purchase earns credit (true/false)
    #[arg(long)]
    notify_earned: Option<bool>,
    /// Text members this many days before credit expires (0 = off)
    #[arg(long)]
    expiry_notice_days: Option<i64>,
    /// Credit given on a member's birthday (rials, 0 = off)
    #[arg(long)]
    birthday_credit: Option<i64>,
    /// Credit given on each anniversary of joining (rials, 0 = off)
    #[arg(long)]
    anniversary_credit: Option<i64>,
}

fn parse_tier(s: &str) -> Result<Tier> {
    let parts: Vec<&str> = s.split(':').collect();
    let (name, threshold, multiplier, group) = match parts.as_slice() {
        [n, t, m] => (n, t, m, None),
        [n, t, m, g] => (n, t, m, Some(g.trim().to_string())),
        _ => {
            return Err(anyhow!(
                "tier {s:?}: expected NAME:THRESHOLD:MULTIPLIER_BP[:WIFI_GROUP]"
            ));
        }
    };
    Ok(Tier {
        name: name.trim().to_string(),
        threshold: threshold
            .trim()
            .parse()
            .map_err(|_| anyhow!("tier {s:?}: threshold is not a number"))?,
        multiplier_bp: multiplier
            .trim()
            .parse()
            .map_err(|_| anyhow!("tier {s:?}: multiplier is not a number"))?,
        group,
    })
}

impl ClubCommand {
    pub async fn run(self, config: &Config) -> Result<()> {
        let (store, tenant) = open_tenant(config).await?;
        let now = clock::now();
        match self {
            ClubCommand::Settings(a) => {
                let branch_id = match &a.branch {
                    Some(name) => Some(crm::branches::by_name(&store, &tenant, name).await?.id),
                    None => None,
                };
                let mut s = settings::get(&store, &tenant, branch_id).await?;
                let before = s.clone();
                let f = &mut s.formula;
                for (field, value) in [
                    (&mut f.earn_bp, a.earn_bp),
                    (&mut f.min_purchase, a.min_purchase),
                    (&mut f.cap_per_invoice, a.cap_per_invoice),
                    (&mut f.cap_per_day, a.cap_per_day),
                    (&mut f.max_redeem_bp, a.max_redeem_bp),
                    (&mut s.expiry_days, a.expiry_days),
                    (&mut s.pending_seconds, a.pending_seconds),
                    (&mut s.tiers.window_days, a.tier_window_days),
                    (&mut s.tiers.demote_after_days, a.demote_after_days),
                    (&mut s.manual_daily_cap, a.manual_daily_cap),
                    (&mut s.fraud.window_seconds, a.fraud_window_seconds),
                    (&mut s.fraud.max_invoices, a.fraud_max_invoices),
                    (&mut s.fraud.max_manual, a.fraud_max_manual),
                    (&mut s.fraud.staff_daily, a.fraud_staff_daily),
                    (&mut s.fraud.manual_amount, a.fraud_manual_amount),
                    (&mut s.fraud.device_phones, a.fraud_device_phones),
                    (&mut s.expiry_notice_days, a.expiry_notice_days),
                    (&mut s.birthday_credit, a.birthday_credit),
                    (&mut s.anniversary_credit, a.anniversary_credit),
                ] {
                    if let Some(v) = value {
                        *field = v;
                    }
                }
                for rate in &a.category_rates {
                    let (category, bp) = rate
                        .split_once('=')
                        .ok_or_else(|| anyhow!("category rate {rate:?}: expected CATEGORY=BP"))?;
                    if bp.trim() == "-" {
                        s.formula.category_rates.remove(category.trim());
                    } else {
                        let bp = bp
                            .trim()
                            .parse()
                            .map_err(|_| anyhow!("category rate {rate:?}: BP is not a number"))?;
                        s.formula
                            .category_rates
                            .insert(category.trim().to_string(), bp);
                    }
                }
                if !a.fraud_alert_phones.is_empty() {
                    s.fraud.alert_phones = a
                        .fraud_alert_phones
                        .iter()
                        .filter(|p| p.as_str() != "-")
                        .cloned()
                        .collect();
                }
                if let Some(on) = a.notify_earned {
                    s.notify_earned = on;
                }
                if let Some(m) = &a.tier_metric {
                    s.tiers.metric = TierMetric::parse(m)?;
                }
                if !a.tiers.is_empty() {
                    s.tiers.tiers = a
                        .tiers
                        .iter()
                        .map(|t| parse_tier(t))
                        .collect::<Result<_>>()?;
                }
                let tenant_wide = s.tiers != before.tiers
                    || s.manual_daily_cap != before.manual_daily_cap
                    || s.fraud != before.fraud
                    || s.notify_earned != before.notify_earned
                    || s.expiry_notice_days != before.expiry_notice_days
                    || s.birthday_credit != before.birthday_credit
                    || s.anniversary_credit != before.anniversary_credit;
                if a.branch.is_some() && tenant_wide {
                    anyhow::bail!(
                        "tiers, the manual-credit cap, fraud rules and notifications are tenant-wide: drop --branch"
                    );
                }
                if s != before {
                    settings::set(&store, &tenant, a.branch.as_deref(), &s).await?;
                }
                let f = &s.formula;
                println!("earn: {} bp of the amount", f.earn_bp);
                println!("minimum purchase: {}", f.min_purchase);
                println!("cap per invoice: {}", f.cap_per_invoice);
                println!("cap per day: {}", f.cap_per_day);
                println!("max share paid with credit: {} bp", f.max_redeem_bp);
                println!("expiry: {} days", s.expiry_days);
                println!("pending: {} s", s.pending_seconds);
                for (c, bp) in &f.category_rates {
                    println!("category {c}: {bp} bp");
                }
                println!(
                    "tiers by {} over {} days, demotion after {} days without a purchase",
                    s.tiers.metric.as_str(),
                    s.tiers.window_days,
                    s.tiers.demote_after_days
                );
                println!(
                    "manual credit cap per staff per day: {}",
                    s.manual_daily_cap
                );
                let fr = &s.fraud;
                println!(
                    "fraud: window {} s, invoices {}, manual credits {}, staff per day {}, manual amount {}, phones per device {}",
                    fr.window_seconds,
                    fr.max_invoices,
                    fr.max_manual,
                    fr.staff_daily,
                    fr.manual_amount,
                    fr.device_phones
                );
                println!(
                    "gifts: birthday {}, anniversary {}",
                    s.birthday_credit, s.anniversary_credit
                );
                let alerts = fr.alert_phones.join(", ");
                println!(
                    "fraud alerts to: {}",
                    if alerts.is_empty() { "-" } else { &alerts }
                );
                println!(
                    "notifications: credit earned {}, expiry notice {} days ahead",
                    if s.notify_earned { "on" } else { "off" },
                    s.expiry_notice_days
                );
                for t in &s.tiers.tiers {
                    let group = t.group.as_ref().map(|g| format!(", WiFi group {g}"));
                    println!(
                        "tier {}: from {} ×{} bp{}",
                        t.name,
                        t.threshold,
                        t.multiplier_bp,
                        group.unwrap_or_default()
                    );
                }
            }
            ClubCommand::Balance { phone } => {
                let phone = Phone::parse(&phone)?;
                let m = club::summary(&store, &tenant, &phone, now).await?;
                println!("spendable: {}", m.balance.spendable);
                println!("pending: {}", m.balance.pending);
                match m.balance.next_expiry {
                    Some((at, amount)) => {
                        println!("next expiry: {amount} on {} UTC", format_utc(at))
                    }
                    None => println!("next expiry: -"),
                }
                println!("tier: {}", table::opt(m.tier));
                println!(
                    "marketing SMS: {}",
                    if m.marketing_opt_out {
                        "opted out"
                    } else {
                        "yes"
                    }
                );
            }
            ClubCommand::Credit {
                phone,
                amount,
                reason,
                staff,
            } => {
                let phone = Phone::parse(&phone)?;
                let actor = staff.map_or(ledger::Actor::System, ledger::Actor::Staff);
                let done =
                    club::manual::credit(&store, &tenant, &phone, amount, &reason, actor, now)
                        .await?;
                println!(
                    "credited {amount} to {} (entry #{}); spendable now {}",
                    phone.national(),
                    done.entry_id,
                    done.balance.spendable
                );
            }
            ClubCommand::Flags { all } => {
                let rows: Vec<Vec<String>> = club::fraud::flags(&store, &tenant, !all)
                    .await?
                    .into_iter()
                    .map(|f| {
                        vec![
                            f.id.to_string(),
                            format!("{} {}", f.subject_kind, f.subject_id),
                            f.rule,
                            f.state,
                            format_utc(f.updated_at),
                            f.reason,
                        ]
                    })
                    .collect();
                table::print(
                    &["ID", "SUBJECT", "RULE", "STATE", "SINCE (UTC)", "REASON"],
                    &rows,
                );
            }
            ClubCommand::ClearFlag { id, reason, staff } => {
                let actor = staff.map_or(ledger::Actor::System, ledger::Actor::Staff);
                club::fraud::clear(&store, &tenant, id, actor, &reason, now).await?;
                println!("cleared fraud flag #{id}");
            }
            ClubCommand::Decisions { limit } => {
                let rows: Vec<Vec<String>> = club::fraud::decisions(&store, &tenant, limit)
                    .await?
                    .into_iter()
                    .map(|d| {
                        vec![
                            format_utc(d.created_at),
                            format!("{} {}", d.subject_kind, d.subject_id),
                            d.decision,
                            d.actor,
                            d.reason,
                        ]
                    })
                    .collect();
                table::print(&["AT (UTC)", "SUBJECT", "DECISION", "BY", "REASON"], &rows);
            }
            ClubCommand::Wallet {
                top_up,
                reason,
                price,
            } => {
                if let Some(price) = price {
                    wallet::set_price(&store, &tenant, price).await?;
                }
                if let Some(amount) = top_up {
                    let reason = reason.ok_or_else(|| anyhow!("--top-up needs --reason"))?;
                    wallet::top_up(&store, &tenant, amount, &reason, ledger::Actor::System).await?;
                }
                let w = wallet::wallet(&store, &tenant).await?;
                println!("balance: {}", w.balance);
                println!("price per member SMS: {}", w.price_per_sms);
            }
            ClubCommand::Template {
                kind,
                text,
                default,
            } => {
                let notice = notices::Notice::parse(&kind)?;
                if default {
                    notices::set_template(&store, &tenant, notice, None).await?;
                } else if let Some(text) = &text {
                    notices::set_template(&store, &tenant, notice, Some(text)).await?;
                }
                println!("{}", notices::template(&store, &tenant, notice).await?);
            }
            ClubCommand::Notify => {
                let n = notices::expiring_due(&store, now).await?;
                println!("queued {n} expiry notice(s)");
            }
            ClubCommand::Birthday { phone, day } => {
                let phone = Phone::parse(&phone)?;
                let day = (day.trim() != "-").then_some(day.as_str());
                club::rewards::set_birthday(&store, &tenant, &phone, day).await?;
                println!("birthday of {}: {}", phone.national(), day.unwrap_or("-"));
            }
            ClubCommand::Line { number } => {
                let line = (number.trim() != "-").then_some(number.as_str());
                club::inbound::set_line(&store, &tenant, line).await?;
                println!("club line: {}", line.unwrap_or("-"));
            }
            ClubCommand::Gifts => {
                let n = club::rewards::due(&store, now).await?;
                println!("gave {n} birthday/anniversary gift(s)");
            }
            ClubCommand::Expire => {
                let n = ledger::expire_due(&store, now).await?;
                println!("expired {n} credit lot(s)");
            }
            ClubCommand::Ledger { phone, limit } => {
                let customer = customers::by_phone(&store, &tenant, &phone).await?;
                let rows: Vec<Vec<String>> = ledger::entries(&store, &tenant, customer.id, limit)
                    .await?
                    .into_iter()
                    .map(|e| {
                        vec![
                            e.id.to_string(),
                            format_utc(e.created_at),
                            e.kind.to_string(),
                            e.amount.to_string(),
                            table::opt(e.invoice_id),
                            e.actor,
                            e.reason,
                        ]
                    })
                    .collect();
                table::print(
                    &[
                        "ID", "AT (UTC)", "KIND", "AMOUNT", "INVOICE", "BY", "REASON",
                    ],
                    &rows,
                );
            }
        }
        Ok(())
    }
}
