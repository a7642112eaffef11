use anyhow::Result;
use clap::{Args, Subcommand};
use crm::groups::{self, GroupPolicy};
use crm::units::{format_bytes, format_duration, parse_bytes, parse_duration};

use super::open_tenant;
use crate::{config::Config, table};

#[derive(Subcommand)]
pub enum GroupCommand {
    /// Add a group
    Add {
        #[arg(long)]
        name: String,
        #[command(flatten)]
        policy: PolicyArgs,
    },
    /// List groups and their limits
    List,
    /// Change some limits of a group (give `none` to remove a limit)
    Set {
        #[arg(long)]
        name: String,
        #[command(flatten)]
        policy: PolicyArgs,
        /// Make this the group new portal guests join
        #[arg(long)]
        default: bool,
    },
    /// Remove a group nobody is in
    Remove {
        #[arg(long)]
        name: String,
    },
}

/// Every policy field as a flag; absent flags leave the field as it is.
#[derive(Args, Default)]
pub struct PolicyArgs {
    /// Sustained rate rx/tx as the router sees it (rx = client upload), e.g. 1M/4M
    #[arg(long)]
    rate_limit: Option<String>,
    /// Burst rate rx/tx, e.g. 2M/8M (needs --burst-threshold and --burst-time)
    #[arg(long)]
    burst_limit: Option<String>,
    /// Average rate under which burst is allowed, rx/tx
    #[arg(long)]
    burst_threshold: Option<String>,
    /// Burst averaging time in seconds, rx/tx or one value
    #[arg(long)]
    burst_time: Option<String>,
    /// Queue priority 1 (highest) to 8
    #[arg(long)]
    priority: Option<String>,
    /// Longest single session, e.g. 1h
    #[arg(long)]
    session_timeout: Option<String>,
    /// Disconnect after this long idle, e.g. 10m
    #[arg(long)]
    idle_timeout: Option<String>,
    /// Online time per day, e.g. 2h
    #[arg(long)]
    daily_time: Option<String>,
    /// Data per day (upload + download), e.g. 1G
    #[arg(long)]
    daily_data: Option<String>,
    /// Data per month, e.g. 10G
    #[arg(long)]
    monthly_data: Option<String>,
    /// Devices online at once
    #[arg(long)]
    devices: Option<String>,
    /// When the group may be online, e.g. "sat-wed 08:00-23:00; thu 10:00-14:00"
    #[arg(long)]
    hours: Option<String>,
    /// Accounting interim interval, e.g. 5m
    #[arg(long)]
    interim: Option<String>,
    /// Firewall address list for members' IPs
    #[arg(long)]
    address_list: Option<String>,
    /// When a quota runs out, keep the guest online at this rate rx/tx instead of cutting
    /// them off (`none` = cut off)
    #[arg(long)]
    throttle_rate: Option<String>,
    /// Move customers of the default group in and out automatically, e.g. visits>=5/30d
    /// (online on 5 different days within 30 days; `none` = manual only)
    #[arg(long)]
    rule: Option<String>,
}

/// `None` = flag absent (keep); `Some(None)` = `none` (clear); `Some(Some(v))` = set.
fn field<T>(
    arg: &Option<String>,
    parse: impl Fn(&str) -> crm::Result<T>,
) -> Result<Option<Option<T>>> {
    Ok(match arg.as_deref().map(str::trim) {
        None => None,
        Some("none") | Some("") => Some(None),
        Some(v) => Some(Some(parse(v)?)),
    })
}

fn text(v: &str) -> crm::Result<String> {
    Ok(v.to_string())
}

fn number(v: &str) -> crm::Result<i64> {
    v.parse()
        .map_err(|_| crm::Error::Invalid(format!("{v:?} is not a whole number")))
}

impl PolicyArgs {
    fn apply(&self, mut p: GroupPolicy) -> Result<GroupPolicy> {
        macro_rules! set {
            ($field:ident, $arg:ident, $parse:expr) => {
                if let Some(v) = field(&self.$arg, $parse)? {
                    p.$field = v;
                }
            };
        }
        set!(rate_limit, rate_limit, text);
        set!(burst_limit, burst_limit, text);
        set!(burst_threshold, burst_threshold, text);
        set!(burst_time, burst_time, text);
        set!(priority, priority, number);
        set!(session_timeout, session_timeout, parse_duration);
        set!(idle_timeout, idle_timeout, parse_duration);
        set!(daily_time_quota, daily_time, parse_duration);
        set!(daily_data_quota, daily_data, parse_bytes);
        set!(monthly_data_quota, monthly_data, parse_bytes);
        set!(simultaneous_devices, devices, number);
        set!(allowed_hours, hours, text);
        set!(address_list, address_list, text);
        set!(throttle_rate, throttle_rate, text);
        set!(membership_rule, rule, text);
        if let Some(v) = field(&self.interim, parse_duration)? {
            p.interim_interval = v.unwrap_or(300);
        }
        Ok(p)
    }
}

impl GroupCommand {
    pub async fn run(self, config: &Config) -> Result<()> {
        let (store, tenant) = open_tenant(config).await?;
        match self {
            GroupCommand::Add { name, policy } => {
                let base = GroupPolicy {
                    interim_interval: 300,
                    ..GroupPolicy::default()
                };
                let g = groups::add(&store, &tenant, &name, policy.apply(base)?).await?;
                println!("added group {}", g.name);
            }
            GroupCommand::List => {
                let dur = |v: Option<i64>| v.map(format_duration).unwrap_or_else(|| "-".into());
                let bytes = |v: Option<i64>| v.map(format_bytes).unwrap_or_else(|| "-".into());
                let rows = groups::list(&store, &tenant)
                    .await?
                    .into_iter()
                    .map(|g| {
                        let p = &g.policy;
                        vec![
                            format!("{}{}", g.name, if g.is_default { "*" } else { "" }),
                            table::opt(p.mikrotik_rate_limit()),
                            dur(p.session_timeout),
                            dur(p.idle_timeout),
                            dur(p.daily_time_quota),
                            bytes(p.daily_data_quota),
                            bytes(p.monthly_data_quota),
                            table::opt(p.simultaneous_devices),
                            table::opt(p.allowed_hours.clone()),
                            format_duration(p.interim_interval),
                            table::opt(p.address_list.clone()),
                            p.throttle_rate
                                .as_ref()
                                .map_or("cut".into(), |r| format!("throttle {r}")),
                            table::opt(p.membership_rule.clone()),
                        ]
                    })
                    .collect::<Vec<_>>();
                table::print(
                    &[
                        "NAME",
                        "RATE-LIMIT",
                        "SESSION",
                        "IDLE",
                        "DAY-TIME",
                        "DAY-DATA",
                        "MONTH-DATA",
                        "DEVICES",
                        "HOURS",
                        "INTERIM",
                        "ADDRESS-LIST",
                        "OVER-QUOTA",
                        "RULE",
                    ],
                    &rows,
                );
                println!("(* = default group for new guests)");
            }
            GroupCommand::Set {
                name,
                policy,
                default,
            } => {
                let current = groups::by_name(&store, &tenant, &name).await?;
                let g = groups::set_policy(&store, &tenant, &name, policy.apply(current.policy)?)
                    .await?;
                if default {
                    groups::make_default(&store, &tenant, &g.name).await?;
                }
                println!("updated group {}", g.name);
            }
            GroupCommand::Remove { name } => {
                groups::remove(&store, &tenant, &name).await?;
                println!("removed group {name}");
            }
        }
        Ok(())
    }
}
