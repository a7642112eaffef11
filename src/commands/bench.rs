//! `smartx bench`: the RADIUS load generator (`radiusd::bench`) and the seeding of
//! bench accounts, with the same users written for FreeRADIUS (files and rlm_sql) so
//! both servers can be measured side by side (docs/benchmarks.md).

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use crm::groups::{self, Group, GroupPolicy};
use crm::nas::{self, NewNas};
use crm::secret::Secret;
use radiusd::bench::{AcctBench, AuthBench, Load, Report, Users, account_class};

mod customers;
mod members;
mod pos;

use super::open_tenant;
use crate::config::Config;

#[derive(Subcommand)]
pub enum BenchCommand {
    /// Send Access-Requests as MikroTik hotspots do (PAP, or CHAP with --chap) and measure
    Auth {
        #[command(flatten)]
        load: LoadArgs,
        #[command(flatten)]
        users: UserArgs,
        /// CHAP-Password + CHAP-Challenge (RouterOS' default login-by=http-chap)
        #[arg(long)]
        chap: bool,
        /// Count an Access-Accept whose Mikrotik-Rate-Limit is not exactly this as wrong policy
        #[arg(long)]
        expect_rate_limit: Option<String>,
    },
    /// Send accounting sessions (Start, Interim-Update…, Stop) as MikroTik hotspots do and measure
    Acct {
        #[command(flatten)]
        load: LoadArgs,
        #[command(flatten)]
        users: UserArgs,
        /// Interim-Updates per session between its Start and its Stop
        #[arg(long, default_value_t = 2)]
        interims: u32,
        /// Log each user in here first (PAP, untimed) and echo its Access-Accept's Class
        /// in the accounting, as RouterOS does [default: no Class]
        #[arg(long, value_name = "AUTH_ADDR")]
        login_first: Option<SocketAddr>,
    },
    /// Store accounting records straight through the storage layer (no RADIUS, no
    /// network) in batches, as the group commit does: how fast the database side alone is
    Store {
        /// Records to store, as sessions of Start, Interim-Update…, Stop
        #[arg(long, default_value_t = 200_000)]
        records: u64,
        /// Records per transaction
        #[arg(long, default_value_t = 512)]
        batch: usize,
        /// Interim-Updates per session
        #[arg(long, default_value_t = 2)]
        interims: u32,
        /// The seeded NAS the sessions are on (see `bench seed`)
        #[arg(long, default_value = "bench")]
        nas_name: String,
        /// Seeded accounts whose names start with this own the sessions
        #[arg(long, default_value = "bench-user-")]
        user_prefix: String,
    },
    /// Seed --count customers in the tenant (in batches; what is there counts) and measure
    /// the panel's customer list and search: p50/p95/p99 per kind of query
    Customers {
        #[arg(long, default_value_t = 1_000_000)]
        count: u64,
        /// Customers per transaction while seeding
        #[arg(long, default_value_t = 20_000)]
        batch: usize,
        /// Queries of each kind
        #[arg(long, default_value_t = 300)]
        queries: usize,
    },
    /// Seed --count customers as club members with invoices, credit and a few fraud flags
    /// (what is there counts) and measure the panel's member list: p50/p95/p99 per kind
    Members {
        #[arg(long, default_value_t = 200_000)]
        count: u64,
        /// Customers per transaction while seeding
        #[arg(long, default_value_t = 20_000)]
        batch: usize,
        /// Queries of each kind
        #[arg(long, default_value_t = 200)]
        queries: usize,
    },
    /// Load the POS API over real HTTP on a loopback port (started here, against the
    /// configured database): invoices with Idempotency-Key, some paying with credit, some
    /// retried; invoices/s, latency, then a check of the ledger and of the retries
    Pos {
        /// Invoices to send (then stop)
        #[arg(long, default_value_t = 20_000)]
        invoices: u64,
        /// Clients sending at once
        #[arg(long, default_value_t = 32)]
        concurrency: usize,
        /// Members the invoices are spread over (seeded with credit)
        #[arg(long, default_value_t = 2_000)]
        members: u64,
        /// Percent of invoices also paid partly with credit
        #[arg(long, default_value_t = 20)]
        redeem_percent: u64,
        /// Percent of invoices sent again with the same Idempotency-Key
        #[arg(long, default_value_t = 5)]
        retry_percent: u64,
        /// Stop sending after this many seconds, whatever is left
        #[arg(long, default_value_t = 300)]
        max_seconds: u64,
    },
    /// Create the bench accounts (<prefix>1…N), their group and the NAS in one go
    Seed {
        /// Accounts to create (or update)
        #[arg(long)]
        users: u32,
        /// Also add (or replace) the NAS `--nas-name` with this shared secret
        #[arg(long, env = "SMARTX_BENCH_SECRET", hide_env_values = true)]
        secret: Option<String>,
        #[arg(long, default_value = "127.0.0.1")]
        nas_address: String,
        #[arg(long, default_value = "bench")]
        nas_name: String,
        /// Group the accounts are put in; created, or its limits reset to the bench policy
        #[arg(long, default_value = "bench")]
        group: String,
        #[arg(long, default_value = "bench-user-")]
        user_prefix: String,
        #[arg(long, default_value = "bench-pass-")]
        password_prefix: String,
        /// Write the same users and replies as a FreeRADIUS `users` file (files module)
        #[arg(long, value_name = "FILE")]
        freeradius_users: Option<PathBuf>,
        /// Write the same users and replies as SQL for FreeRADIUS rlm_sql
        /// (radcheck, radreply, radusergroup, radgroupreply)
        #[arg(long, value_name = "FILE")]
        freeradius_sql: Option<PathBuf>,
        /// Give the group daily and monthly quotas far above what a bench uses, so every
        /// interim update goes through the mid-session quota check without cutting anyone
        #[arg(long)]
        quotas: bool,
    },
}

/// Where to send, how hard, and for how long at most.
#[derive(Args)]
pub struct LoadArgs {
    /// The RADIUS server to load (auth or accounting port), e.g. 127.0.0.1:1812
    #[arg(long)]
    server: SocketAddr,
    /// Shared secret of the NAS the server knows this machine as
    #[arg(long, env = "SMARTX_BENCH_SECRET", hide_env_values = true)]
    secret: String,
    /// Requests to send (accounting: rounded up to whole sessions)
    #[arg(long, default_value_t = 10_000)]
    requests: u64,
    /// Requests in flight at once
    #[arg(long, default_value_t = 64)]
    concurrency: usize,
    /// UDP sockets to spread them over [default: enough for the concurrency, at least 4]
    #[arg(long)]
    sockets: Option<usize>,
    /// Milliseconds to wait for a reply before retransmitting
    #[arg(long, default_value_t = 1000)]
    timeout_ms: u64,
    /// Retransmissions before a request counts as timed out
    #[arg(long, default_value_t = 2)]
    retries: u32,
    /// Stop sending new requests after this many seconds
    #[arg(long, default_value_t = 600)]
    max_seconds: u64,
    /// Send at this many requests per second (latency at a given load) instead of as
    /// fast as the concurrency allows
    #[arg(long)]
    rate: Option<f64>,
}

impl LoadArgs {
    fn load(self) -> Load {
        Load {
            server: self.server,
            secret: self.secret,
            requests: self.requests,
            concurrency: self.concurrency,
            sockets: self.sockets,
            timeout: Duration::from_millis(self.timeout_ms),
            retries: self.retries,
            max_duration: Duration::from_secs(self.max_seconds),
            rate: self.rate,
        }
    }
}

/// Which seeded users to play.
#[derive(Args)]
pub struct UserArgs {
    /// Distinct users (cycled through)
    #[arg(long, default_value_t = 1000)]
    users: u32,
    /// Number of the first user
    #[arg(long, default_value_t = 1)]
    first_user: u32,
    #[arg(long, default_value = "bench-user-")]
    user_prefix: String,
    #[arg(long, default_value = "bench-pass-")]
    password_prefix: String,
}

impl UserArgs {
    fn users(self) -> Users {
        Users {
            count: self.users,
            first: self.first_user,
            user_prefix: self.user_prefix,
            password_prefix: self.password_prefix,
        }
    }
}

fn print_report(report: &Report) {
    println!("{}", report.render());
    println!("{}", report.result_line());
}

impl BenchCommand {
    pub async fn run(self, config: &Config) -> Result<()> {
        match self {
            BenchCommand::Auth {
                load,
                users,
                chap,
                expect_rate_limit,
            } => {
                let bench = AuthBench {
                    load: load.load(),
                    users: users.users(),
                    chap,
                    expect_rate_limit,
                };
                print_report(&bench.run().await?);
            }
            BenchCommand::Acct {
                load,
                users,
                interims,
                login_first,
            } => {
                let bench = AcctBench {
                    load: load.load(),
                    users: users.users(),
                    interims,
                    login_first,
                };
                let (login, report) = bench.run().await?;
                if let Some(login) = login {
                    println!(
                        "logged {} users in first to learn their Class ({} accepted, {} timeouts)",
                        login.sent, login.accepts, login.timeouts
                    );
                }
                print_report(&report);
            }
            BenchCommand::Store {
                records,
                batch,
                interims,
                nas_name,
                user_prefix,
            } => store_records(config, records, batch, interims, &nas_name, &user_prefix).await?,
            BenchCommand::Customers {
                count,
                batch,
                queries,
            } => customers::run(config, count, batch.max(1), queries.max(1)).await?,
            BenchCommand::Members {
                count,
                batch,
                queries,
            } => members::run(config, count, batch.max(1), queries.max(1)).await?,
            BenchCommand::Pos {
                invoices,
                concurrency,
                members,
                redeem_percent,
                retry_percent,
                max_seconds,
            } => {
                let bench = pos::PosBench {
                    invoices,
                    concurrency: concurrency.max(1),
                    members,
                    redeem_percent: redeem_percent.min(100),
                    retry_percent: retry_percent.min(100),
                    max_seconds,
                };
                bench.run(config).await?
            }
            BenchCommand::Seed {
                users,
                secret,
                nas_address,
                nas_name,
                group,
                user_prefix,
                password_prefix,
                freeradius_users,
                freeradius_sql,
                quotas,
            } => {
                let seed = Seed {
                    quotas,
                    users,
                    secret,
                    nas_address,
                    nas_name,
                    group,
                    user_prefix,
                    password_prefix,
                };
                seed.run(config, freeradius_users, freeradius_sql).await?;
            }
        }
        Ok(())
    }
}

/// `bench store`: sessions in waves over the seeded accounts (every session's Start,
/// then every first Interim-Update, … then every Stop), each account's Class given, in
/// transactions of `batch` records, one after the other.
async fn store_records(
    config: &Config,
    records: u64,
    batch: usize,
    interims: u32,
    nas_name: &str,
    user_prefix: &str,
) -> Result<()> {
    use crm::accounting::{AccountingRecord, AcctStatus, record_batch};
    use crm::hotspot::Subject;
    if batch == 0 || records == 0 {
        anyhow::bail!("--records and --batch must be at least 1");
    }
    let (store, tenant) = open_tenant(config).await?;
    let nas = nas::by_name(&store, &tenant, nas_name)
        .await
        .context("run `smartx bench seed --secret …` first")?;
    let accounts: Vec<_> = crm::accounts::list(&store, &tenant)
        .await?
        .into_iter()
        .filter(|a| a.username.starts_with(user_prefix))
        .collect();
    if accounts.is_empty() {
        anyhow::bail!("no accounts named {user_prefix}…: run `smartx bench seed` first");
    }
    let zone = crm::clock::Zone::of(&tenant)?;
    let steps = u64::from(interims) + 2;
    let sessions = records.div_ceil(steps);
    let wave = accounts.len() as u64;
    // Session ids unique to this run, so runs add sessions rather than update them.
    let run = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos())
        ^ std::process::id();
    let now = crm::clock::now();
    let day = zone.day_key(now);
    let mut all = Vec::with_capacity((sessions * steps) as usize);
    for first in (0..sessions).step_by(wave as usize) {
        let width = wave.min(sessions - first);
        for step in 0..steps {
            for member in 0..width {
                let session = first + member;
                let a = &accounts[member as usize];
                let status = match step {
                    0 => AcctStatus::Start,
                    s if s == steps - 1 => AcctStatus::Stop,
                    _ => AcctStatus::Interim,
                };
                let minutes = step as i64;
                all.push(AccountingRecord {
                    tenant_id: tenant.id,
                    nas_id: nas.id,
                    status,
                    acct_session_id: format!("{run:08x}{session:08x}"),
                    username: a.username.clone(),
                    subject: Some(Subject::Account(a.id)),
                    group_id: Some(a.group_id),
                    mac: Some(format!(
                        "02:BE:00:00:{:02X}:{:02X}",
                        member >> 8 & 0xFF,
                        member & 0xFF
                    )),
                    framed_ip: Some(format!("10.64.{}.{}", member >> 8 & 0xFF, member & 0xFF)),
                    nas_ip: None,
                    session_time: minutes * 60,
                    input_octets: minutes * 3_000_000,
                    output_octets: minutes * 45_000_000,
                    terminate_cause: (status == AcctStatus::Stop).then(|| "User-Request".into()),
                    event_time: now,
                    day,
                });
            }
        }
    }
    let started = std::time::Instant::now();
    let mut per_batch_us = Vec::with_capacity(all.len().div_ceil(batch));
    for chunk in all.chunks(batch) {
        let t = std::time::Instant::now();
        record_batch(&store, chunk).await?;
        per_batch_us.push(t.elapsed().as_micros() as u64);
    }
    let elapsed = started.elapsed().as_secs_f64();
    let p = radiusd::bench::Percentiles::of(&mut per_batch_us);
    println!(
        "stored {} records ({sessions} sessions) in transactions of {batch}: {:.2} s, {:.0} records/s; \
         per transaction p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        all.len(),
        elapsed,
        all.len() as f64 / elapsed,
        p.p50 as f64 / 1000.0,
        p.p99 as f64 / 1000.0,
        p.max as f64 / 1000.0
    );
    store.close().await;
    Ok(())
}

/// The policy of the bench group: a full MikroTik burst rate limit plus timeouts, so
/// every Access-Accept carries a realistic set of reply attributes; with `quotas`, also
/// quotas no bench run can use up.
pub fn bench_policy(quotas: bool) -> GroupPolicy {
    const TIB: i64 = 1 << 40;
    let quota = |v: i64| quotas.then_some(v);
    GroupPolicy {
        daily_time_quota: quota(86_400),
        daily_data_quota: quota(TIB),
        monthly_data_quota: quota(30 * TIB),
        rate_limit: Some("1M/2M".into()),
        burst_limit: Some("2M/4M".into()),
        burst_threshold: Some("768k/1536k".into()),
        burst_time: Some("8/8".into()),
        priority: Some(8),
        session_timeout: Some(3600),
        idle_timeout: Some(600),
        interim_interval: 300,
        address_list: Some("bench".into()),
        ..GroupPolicy::default()
    }
}

struct Seed {
    quotas: bool,
    users: u32,
    secret: Option<String>,
    nas_address: String,
    nas_name: String,
    group: String,
    user_prefix: String,
    password_prefix: String,
}

/// One seeded account, with the Class smartx will reply with.
struct SeededUser {
    username: String,
    password: String,
    class: String,
}

impl Seed {
    async fn run(
        self,
        config: &Config,
        users_file: Option<PathBuf>,
        sql_file: Option<PathBuf>,
    ) -> Result<()> {
        if self.users == 0 {
            anyhow::bail!("--users must be at least 1");
        }
        let (store, tenant) = open_tenant(config).await?;
        let started = std::time::Instant::now();
        let group = match groups::by_name(&store, &tenant, &self.group).await {
            Ok(_) => {
                let policy = bench_policy(self.quotas);
                groups::set_policy(&store, &tenant, &self.group, policy).await?
            }
            Err(crm::Error::NotFound(_)) => {
                groups::add(&store, &tenant, &self.group, bench_policy(self.quotas)).await?
            }
            Err(e) => return Err(e.into()),
        };
        if let Some(secret) = &self.secret {
            let address = nas::parse_address(&self.nas_address)?;
            match nas::by_name(&store, &tenant, &self.nas_name).await {
                Ok(n) if n.address == address && n.secret.expose() == secret => {}
                Ok(_) => {
                    nas::remove(&store, &tenant, &self.nas_name).await?;
                    self.add_nas(&store, &tenant, secret).await?;
                }
                Err(crm::Error::NotFound(_)) => self.add_nas(&store, &tenant, secret).await?,
                Err(e) => return Err(e.into()),
            }
        }
        let entries: Vec<(String, Secret)> = (1..=self.users)
            .map(|i| {
                (
                    format!("{}{i}", self.user_prefix),
                    Secret::new(format!("{}{i}", self.password_prefix)),
                )
            })
            .collect();
        let ids = crm::accounts::upsert_many(&store, &tenant, &entries, &group.name).await?;
        println!(
            "seeded {} accounts {}1…{} in group {} ({}) in {:.1} s",
            ids.len(),
            self.user_prefix,
            self.users,
            group.name,
            group.policy.mikrotik_rate_limit().unwrap_or_default(),
            started.elapsed().as_secs_f64()
        );
        if self.secret.is_some() {
            println!("NAS {} at {}", self.nas_name, self.nas_address);
        }
        let seeded: Vec<SeededUser> = entries
            .iter()
            .zip(&ids)
            .map(|((username, password), (_, id))| SeededUser {
                username: username.clone(),
                password: password.expose().to_string(),
                class: account_class(*id, group.id),
            })
            .collect();
        if let Some(path) = users_file {
            write(&path, &freeradius_users(&group, &seeded))?;
            println!("FreeRADIUS users file: {}", path.display());
        }
        if let Some(path) = sql_file {
            write(&path, &freeradius_sql(&group, &seeded))?;
            println!("FreeRADIUS rlm_sql inserts: {}", path.display());
        }
        store.close().await;
        Ok(())
    }

    async fn add_nas(
        &self,
        store: &crm::Store,
        tenant: &crm::tenants::Tenant,
        secret: &str,
    ) -> Result<()> {
        nas::add(
            store,
            tenant,
            NewNas {
                name: self.nas_name.clone(),
                address: self.nas_address.clone(),
                secret: Secret::new(secret),
                require_message_authenticator: false,
                branch: None,
                coa_port: None,
            },
        )
        .await?;
        Ok(())
    }
}

fn write(path: &Path, text: &str) -> Result<()> {
    std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
}

/// The reply attributes smartx sends for this group (without quotas), in FreeRADIUS
/// dictionary names, values unquoted.
fn reply_items(group: &Group) -> Vec<(&'static str, String)> {
    let p = &group.policy;
    let mut items = Vec::new();
    if let Some(rate) = p.mikrotik_rate_limit() {
        items.push(("Mikrotik-Rate-Limit", rate));
    }
    if let Some(t) = p.session_timeout {
        items.push(("Session-Timeout", t.to_string()));
    }
    if let Some(t) = p.idle_timeout {
        items.push(("Idle-Timeout", t.to_string()));
    }
    items.push(("Acct-Interim-Interval", p.interim_interval.to_string()));
    if let Some(list) = &p.address_list {
        items.push(("Mikrotik-Address-List", list.clone()));
    }
    items
}

fn is_text(attribute: &str) -> bool {
    matches!(
        attribute,
        "Mikrotik-Rate-Limit" | "Mikrotik-Address-List" | "Class"
    )
}

/// A double-quoted FreeRADIUS string.
fn quoted(value: &str) -> String {
    format!("\"{}\"", value.replace('\\', "\\\\").replace('"', "\\\""))
}

/// The FreeRADIUS `users` file (files module) equivalent of the seeded accounts: the
/// cleartext password as check item (PAP and CHAP both need it), the group's reply
/// attributes and the account's own Class, per user.
fn freeradius_users(group: &Group, users: &[SeededUser]) -> String {
    let items = reply_items(group);
    let mut out = String::with_capacity(users.len() * 300);
    let _ = writeln!(
        out,
        "# Written by `smartx bench seed`: {} users of group {:?}, the same replies smartx sends.",
        users.len(),
        group.name
    );
    for u in users {
        let _ = writeln!(
            out,
            "{} Cleartext-Password := {}",
            u.username,
            quoted(&u.password)
        );
        for (name, value) in &items {
            let value = if is_text(name) {
                quoted(value)
            } else {
                value.clone()
            };
            let _ = writeln!(out, "\t{name} = {value},");
        }
        let _ = writeln!(out, "\tClass = {}", quoted(&u.class));
        out.push('\n');
    }
    out
}

fn sql_text(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

/// Renders one SQL row of a seeded user for a FreeRADIUS table.
type RowFn = fn(&SeededUser, &str) -> String;

/// The rlm_sql equivalent (FreeRADIUS' stock SQLite schema): passwords in `radcheck`,
/// membership in `radusergroup`, the group's replies once in `radgroupreply`, and each
/// account's Class in `radreply`. One transaction, multi-row inserts.
fn freeradius_sql(group: &Group, users: &[SeededUser]) -> String {
    let g = sql_text(&group.name);
    let mut out = String::with_capacity(users.len() * 250);
    let _ = writeln!(
        out,
        "-- Written by `smartx bench seed`: {} users of group {:?} for rlm_sql \
         (mods-config/sql/main/sqlite/schema.sql).",
        users.len(),
        group.name
    );
    out.push_str("BEGIN;\n");
    let _ = writeln!(out, "DELETE FROM radgroupreply WHERE groupname = {g};");
    out.push_str("INSERT INTO radgroupreply (groupname, attribute, op, value) VALUES\n");
    let items = reply_items(group);
    for (i, (name, value)) in items.iter().enumerate() {
        let sep = if i + 1 == items.len() { ";" } else { "," };
        let _ = writeln!(out, "  ({g}, '{name}', ':=', {}){sep}", sql_text(value));
    }
    let tables: [(&str, &str, RowFn); 3] = [
        ("radcheck", "(username, attribute, op, value)", |u, _| {
            format!(
                "({}, 'Cleartext-Password', ':=', {})",
                sql_text(&u.username),
                sql_text(&u.password)
            )
        }),
        ("radreply", "(username, attribute, op, value)", |u, _| {
            format!(
                "({}, 'Class', ':=', {})",
                sql_text(&u.username),
                sql_text(&u.class)
            )
        }),
        ("radusergroup", "(username, groupname, priority)", |u, g| {
            format!("({}, {g}, 1)", sql_text(&u.username))
        }),
    ];
    for (table, columns, row) in tables {
        for chunk in users.chunks(500) {
            let _ = writeln!(out, "INSERT INTO {table} {columns} VALUES");
            for (i, u) in chunk.iter().enumerate() {
                let sep = if i + 1 == chunk.len() { ";" } else { "," };
                let _ = writeln!(out, "  {}{sep}", row(u, &g));
            }
        }
    }
    out.push_str("COMMIT;\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group() -> Group {
        Group {
            id: 9,
            tenant_id: 1,
            name: "bench".into(),
            is_default: false,
            policy: bench_policy(false).validate().unwrap(),
        }
    }

    fn users() -> Vec<SeededUser> {
        (1..=2)
            .map(|i| SeededUser {
                username: format!("bench-user-{i}"),
                password: format!("bench-pass-{i}"),
                class: account_class(100 + i, 9),
            })
            .collect()
    }

    #[test]
    fn users_file_carries_the_same_replies() {
        let text = freeradius_users(&group(), &users());
        let expected = "bench-user-1 Cleartext-Password := \"bench-pass-1\"\n\
            \tMikrotik-Rate-Limit = \"1M/2M 2M/4M 768k/1536k 8/8 8\",\n\
            \tSession-Timeout = 3600,\n\
            \tIdle-Timeout = 600,\n\
            \tAcct-Interim-Interval = 300,\n\
            \tMikrotik-Address-List = \"bench\",\n\
            \tClass = \"smartx:a101:g9\"\n\n";
        assert!(text.contains(expected), "{text}");
        assert!(text.contains("bench-user-2 Cleartext-Password := \"bench-pass-2\"\n"));
        assert_eq!(quoted(r#"a"b\c"#), r#""a\"b\\c""#);
    }

    #[test]
    fn sql_seeds_group_replies_once_and_users_per_row() {
        let text = freeradius_sql(&group(), &users());
        assert!(text.starts_with("-- Written"));
        assert!(text.contains("BEGIN;\n") && text.ends_with("COMMIT;\n"));
        assert!(
            text.contains(
                "('bench', 'Mikrotik-Rate-Limit', ':=', '1M/2M 2M/4M 768k/1536k 8/8 8'),"
            )
        );
        assert!(text.contains("('bench', 'Mikrotik-Address-List', ':=', 'bench');"));
        assert!(text.contains("('bench-user-2', 'Cleartext-Password', ':=', 'bench-pass-2');"));
        assert!(text.contains("('bench-user-1', 'Class', ':=', 'smartx:a101:g9'),"));
        assert!(text.contains("('bench-user-1', 'bench', 1),"));
        assert_eq!(sql_text("o'brien"), "'o''brien'");
    }
}
