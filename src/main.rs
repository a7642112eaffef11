//! `smartx`: the command line. This file only wires clap to the commands in
//! `commands/`; the product lives in the workspace crates (see docs/architecture.md).

mod commands;
mod config;
mod http;
mod serve;
mod table;
mod worker;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::config::{Config, FileConfig};

#[derive(Parser)]
#[command(
    name = "smartx",
    version,
    about = "RADIUS server, captive portal and CRM for MikroTik hotspots"
)]
struct Cli {
    #[command(flatten)]
    global: GlobalArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Args)]
struct GlobalArgs {
    /// Where the embedded SQLite database lives [default: ./data]
    #[arg(long, global = true, env = "SMARTX_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// PostgreSQL instead of SQLite: postgres://user:pass@host/db
    #[arg(
        long,
        global = true,
        env = "SMARTX_DATABASE_URL",
        hide_env_values = true
    )]
    database_url: Option<String>,
    /// Tenant to act on [default: the default tenant]
    #[arg(long, global = true, env = "SMARTX_TENANT")]
    tenant: Option<String>,
    /// TOML file with any of the settings above and below (flags and env win)
    #[arg(long, global = true, env = "SMARTX_CONFIG")]
    config: Option<PathBuf>,
    /// Log filter, e.g. info or smartx=debug,radiusd=debug [default: info]
    #[arg(long, global = true, env = "SMARTX_LOG")]
    log: Option<String>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server: RADIUS, web (portal, panel, API, metrics) and background workers
    Serve(ServeArgs),
    /// Create or upgrade the database schema, then exit
    Migrate,
    /// Routers (RADIUS clients)
    #[command(subcommand)]
    Nas(commands::nas::NasCommand),
    /// Groups and their limits
    #[command(subcommand)]
    Group(commands::group::GroupCommand),
    /// Customers (guests and club members)
    #[command(subcommand)]
    Customer(commands::customer::CustomerCommand),
    /// Static hotspot accounts (staff devices, vouchers)
    #[command(subcommand)]
    Account(commands::account::AccountCommand),
    /// Tenants (businesses) and their settings
    #[command(subcommand)]
    Tenant(commands::tenant::TenantCommand),
    /// Vouchers: printed hotspot logins in batches
    #[command(subcommand)]
    Voucher(commands::voucher::VoucherCommand),
    /// Hotspot sessions from accounting
    #[command(subcommand)]
    Sessions(commands::sessions::SessionsCommand),
    /// Load generators and benchmark helpers (see docs/benchmarks.md)
    #[command(subcommand)]
    Bench(commands::bench::BenchCommand),
    /// RouterOS script and hotspot login pages that point a MikroTik at smartx
    RouterConfig(commands::router_config::RouterConfigArgs),
    /// Branches (places of the business)
    #[command(subcommand)]
    Branch(commands::branch::BranchCommand),
    /// Tables and appointment resources of a branch
    #[command(subcommand)]
    Table(commands::table::TableCommand),
    /// Services of appointment businesses (duration, price, who performs them)
    #[command(subcommand)]
    Service(commands::service::ServiceCommand),
    /// Reservations: bookings, free times, booking settings (see docs/reservations.md)
    #[command(subcommand)]
    Booking(commands::booking::BookingCommand),
    /// People of the owners' panel: platform operators, signing users out
    #[command(subcommand)]
    Admin(commands::admin::AdminCommand),
    /// Customer club: earning settings, balances, ledgers (see docs/club.md)
    #[command(subcommand)]
    Club(commands::club::ClubCommand),
    /// Coupon batches (codes or phone lists) and their report
    #[command(subcommand)]
    Coupon(commands::coupon::CouponCommand),
    /// POS API keys, one branch each (see docs/api.md)
    #[command(subcommand)]
    PosKey(commands::pos_key::PosKeyCommand),
    /// Surveys after invoices: settings, sending due invitations, the report (docs/surveys.md)
    #[command(subcommand)]
    Survey(commands::survey::SurveyCommand),
    /// SMS: the development inbox, the outbox, queuing a message (see docs/sms.md)
    #[command(subcommand)]
    Sms(commands::sms::SmsCommand),
}

#[derive(Args)]
struct ServeArgs {
    /// Run only these roles (radius, web, worker; repeat or comma-separate) [default: all]
    #[arg(long, env = "SMARTX_ROLE", value_delimiter = ',')]
    role: Vec<String>,
    /// RADIUS authentication address [default: 0.0.0.0:1812]
    #[arg(long, env = "SMARTX_RADIUS_AUTH")]
    radius_auth: Option<SocketAddr>,
    /// RADIUS accounting address [default: 0.0.0.0:1813]
    #[arg(long, env = "SMARTX_RADIUS_ACCT")]
    radius_acct: Option<SocketAddr>,
    /// HTTP address for portal, panel, API, /metrics [default: 0.0.0.0:8080]
    #[arg(long, env = "SMARTX_HTTP")]
    http: Option<SocketAddr>,
    #[command(flatten)]
    sms: SmsArgs,
    /// Public address of the web role, e.g. https://club.example (links in booking and survey SMS)
    #[arg(long, env = "SMARTX_PUBLIC_URL")]
    public_url: Option<String>,
}

/// SMS gateway settings; the API key and webhook key come only from the environment
/// (SMARTX_SMS_API_KEY, SMARTX_SMS_WEBHOOK_KEY) or the config file.
#[derive(Args)]
struct SmsArgs {
    /// SMS provider: console, kavenegar or smsir [default: console]
    #[arg(long, env = "SMARTX_SMS_PROVIDER")]
    sms_provider: Option<String>,
    /// Sender line number (Kavenegar sender, sms.ir lineNumber)
    #[arg(long, env = "SMARTX_SMS_SENDER")]
    sms_sender: Option<String>,
    /// OTP template: Kavenegar template name or sms.ir template id
    #[arg(long, env = "SMARTX_SMS_OTP_TEMPLATE")]
    sms_otp_template: Option<String>,
    /// Provider API address override, e.g. a local test server
    #[arg(long, env = "SMARTX_SMS_BASE_URL")]
    sms_base_url: Option<String>,
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => {
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            // One line, not clap's usage block: scripts read the first line anyway.
            let rendered = e.render().to_string();
            eprintln!(
                "{}",
                rendered.lines().next().unwrap_or("error: bad arguments")
            );
            return ExitCode::from(2);
        }
    };
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let g = cli.global;
    let file = FileConfig::load(g.config.as_deref())?;
    let config = Config::resolve(g.data_dir, g.database_url, g.tenant, g.log, &file);
    // The server reports what it does; one-shot commands only warnings and errors.
    let default_log = match cli.command {
        Command::Serve(_) => "info,sqlx=warn",
        _ => "warn",
    };
    init_logging(config.log.as_deref().unwrap_or(default_log))?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        match cli.command {
            Command::Serve(a) => {
                let serve = config::ServeConfig::resolve(
                    &a.role,
                    a.radius_auth,
                    a.radius_acct,
                    a.http,
                    &file,
                )?;
                let mut serve = serve;
                serve.public_url = a.public_url.or(serve.public_url);
                serve.sms = config::SmsConfig::resolve(
                    config::SmsFlags {
                        provider: a.sms.sms_provider,
                        sender: a.sms.sms_sender,
                        otp_template: a.sms.sms_otp_template,
                        base_url: a.sms.sms_base_url,
                    },
                    std::env::var("SMARTX_SMS_API_KEY").ok(),
                    std::env::var("SMARTX_SMS_WEBHOOK_KEY").ok(),
                    &file,
                )?;
                serve::run(&config, &serve).await
            }
            Command::Migrate => commands::migrate(&config).await,
            Command::Nas(c) => c.run(&config).await,
            Command::Group(c) => c.run(&config).await,
            Command::Customer(c) => c.run(&config).await,
            Command::Account(c) => c.run(&config).await,
            Command::Bench(c) => c.run(&config).await,
            Command::Sessions(c) => c.run(&config).await,
            Command::Tenant(c) => c.run(&config).await,
            Command::Voucher(c) => c.run(&config).await,
            Command::RouterConfig(c) => c.run(&config).await,
            Command::Sms(c) => c.run(&config).await,
            Command::Branch(c) => c.run(&config).await,
            Command::Table(c) => c.run(&config).await,
            Command::Service(c) => c.run(&config).await,
            Command::Booking(c) => c.run(&config).await,
            Command::Admin(c) => c.run(&config).await,
            Command::Club(c) => c.run(&config).await,
            Command::PosKey(c) => c.run(&config).await,
            Command::Coupon(c) => c.run(&config).await,
            Command::Survey(c) => c.run(&config).await,
        }
    })
}

fn init_logging(filter: &str) -> anyhow::Result<()> {
    let filter = tracing_subscriber::EnvFilter::try_new(filter)
        .map_err(|e| anyhow::anyhow!("bad --log filter {filter:?}: {e}"))?;
    use std::io::IsTerminal;
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr)
        .init();
    Ok(())
}

#[cfg(test)]
mod tests {
    /// The router's login page must post where the portal listens.
    #[test]
    fn router_pages_post_to_the_portal() {
        assert_eq!(router_config::PORTAL_START_PATH, portal::START_PATH);
    }
}
