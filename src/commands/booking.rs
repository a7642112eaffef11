use anyhow::Result;
use clap::{Args, Subcommand};
use crm::branches::{self, Branch};
use crm::clock::{self, Zone};
use crm::reservations::bookings::{self, BookingChange, NewBooking, Source};
use crm::reservations::deposits::{self, Mode as DepositMode, State as DepositState};
use crm::reservations::settings::{self, SettingsChange};
use crm::reservations::{Booking, Status};
use crm::tenants::Tenant;
use crm::{Store, jalali::JalaliDate};

use super::open_tenant;
use crate::{config::Config, table};

#[derive(Subcommand)]
pub enum BookingCommand {
    /// A branch's bookings of one local day
    List {
        #[arg(long)]
        branch: String,
        /// Local date YYYY-MM-DD [default: today]
        #[arg(long)]
        date: Option<String>,
    },
    /// Free start times for a party on a day
    Free {
        #[arg(long)]
        branch: String,
        #[arg(long)]
        date: Option<String>,
        #[arg(long)]
        party: i64,
    },
    /// Book a table (staff: the rules of the public page do not apply, overlaps never do)
    Create {
        #[arg(long)]
        branch: String,
        #[arg(long)]
        phone: String,
        #[arg(long)]
        party: i64,
        /// Local date YYYY-MM-DD [default: today]
        #[arg(long)]
        date: Option<String>,
        /// Local time HH:MM
        #[arg(long)]
        time: String,
        #[arg(long)]
        name: Option<String>,
        /// Hold these tables (repeat or comma-separate) [default: the best free]
        #[arg(long, value_delimiter = ',')]
        table: Vec<String>,
        /// Waitlist the request when nothing is free
        #[arg(long)]
        waitlist: bool,
        #[arg(long)]
        note: Option<String>,
    },
    /// Move a booking to another time, party size or table
    Move {
        #[arg(long)]
        id: i64,
        #[arg(long)]
        date: Option<String>,
        #[arg(long)]
        time: Option<String>,
        #[arg(long)]
        party: Option<i64>,
        #[arg(long, value_delimiter = ',')]
        table: Vec<String>,
    },
    /// The guest confirmed
    Confirm(IdArg),
    /// The guest arrived
    Seat(IdArg),
    /// The guest left; the table is free again
    Finish(IdArg),
    /// The guest did not come
    NoShow(IdArg),
    Cancel(IdArg),
    /// Show or change a branch's booking settings
    Settings(SettingsArgs),
    /// Record a booking's deposit as received (--paid) or given back (--refunded)
    Deposit {
        #[arg(long)]
        id: i64,
        #[arg(
            long,
            conflicts_with = "refunded",
            required_unless_present = "refunded"
        )]
        paid: bool,
        #[arg(long)]
        refunded: bool,
    },
    /// Per day: bookings, covers, finished, no-shows (rate), cancellations, waitlist
    Report {
        #[arg(long)]
        branch: String,
        /// First local date YYYY-MM-DD [default: 30 days ago]
        #[arg(long)]
        from: Option<String>,
        /// Last local date [default: today]
        #[arg(long)]
        to: Option<String>,
    },
    /// The SMS sent around bookings: texts and schedule
    #[command(subcommand)]
    Sms(super::booking_sms::BookingSmsCommand),
    /// Deposits by time slot and party size
    #[command(subcommand)]
    DepositRule(super::booking_deposit::DepositRuleCommand),
    /// Take no bookings on a local date (or take them again with --open)
    Close {
        #[arg(long)]
        branch: String,
        #[arg(long)]
        date: String,
        #[arg(long)]
        open: bool,
    },
}

#[derive(Args)]
pub struct IdArg {
    #[arg(long)]
    id: i64,
}

#[derive(Args)]
pub struct SettingsArgs {
    #[arg(long)]
    branch: String,
    /// IANA zone, e.g. Asia/Tehran
    #[arg(long)]
    time_zone: Option<String>,
    /// Minutes between offered start times
    #[arg(long)]
    interval: Option<i64>,
    /// Minutes a party stays
    #[arg(long)]
    stay: Option<i64>,
    /// Stay by party size, e.g. "1-2=60, 7-=150"
    #[arg(long)]
    stay_by_party: Option<String>,
    /// Minutes a table stays blocked after a stay
    #[arg(long)]
    buffer: Option<i64>,
    /// Minutes of notice the public page needs
    #[arg(long)]
    min_notice: Option<i64>,
    /// How many days ahead the public page books
    #[arg(long)]
    days_ahead: Option<i64>,
    /// Opening hours, e.g. "sat-thu 12:00-23:00; fri 16:00-23:30"
    #[arg(long)]
    hours: Option<String>,
    /// Deposit: none, per-guest or fixed
    #[arg(long)]
    deposit: Option<String>,
    /// Deposit in rials (per guest or for the booking)
    #[arg(long)]
    deposit_amount: Option<i64>,
    /// Parties of this size and up pay a deposit
    #[arg(long)]
    deposit_from: Option<i64>,
    /// A cancellation at least this many hours before the start is refunded
    #[arg(long)]
    refund_hours: Option<i64>,
}

async fn zone_of(store: &Store, tenant: &Tenant, branch: &Branch) -> Result<Zone> {
    Ok(Zone::named(
        &settings::get(store, tenant, branch).await?.time_zone,
    )?)
}

fn day_of(zone: &Zone, date: Option<&str>) -> Result<i64> {
    Ok(match date {
        Some(d) => clock::parse_day(d)?,
        None => zone.day_key(clock::now()),
    })
}

fn print_booking(verb: &str, b: &Booking) {
    println!("{verb} {}", describe(b));
}

/// `booking #7 2026-12-06 (1405-09-15) 19:00 for 4 (+98912…), tables 1+2: booked`.
pub(crate) fn describe(b: &Booking) -> String {
    let zone = Zone::named(&b.time_zone).ok();
    let when = zone.map_or_else(
        || clock::format_utc(b.starts_at),
        |z| {
            format!(
                "{} {}",
                fmt_day(z.day_key(b.starts_at)),
                z.hh_mm(b.starts_at)
            )
        },
    );
    let deposit = if b.deposit_amount > 0 {
        format!(", deposit {} {}", b.deposit_amount, b.deposit_state)
    } else {
        String::new()
    };
    format!(
        "booking #{} {when} for {} ({}), tables {}: {}{deposit}",
        b.id,
        b.party,
        b.phone,
        table::opt((!b.tables.is_empty()).then(|| b.tables.join("+"))),
        b.status
    )
}

/// `2026-12-06 (1405-09-15)`: Gregorian for operators' scripts, Jalali for people.
fn fmt_day(key: i64) -> String {
    let jalali = JalaliDate::from_day_key(key)
        .map(|j| j.iso_like())
        .unwrap_or_default();
    format!(
        "{:04}-{:02}-{:02} ({jalali})",
        key / 10_000,
        key / 100 % 100,
        key % 100
    )
}

impl BookingCommand {
    pub async fn run(self, config: &Config) -> Result<()> {
        let (store, tenant) = open_tenant(config).await?;
        let (s, t) = (&store, &tenant);
        let now = clock::now();
        let status = |id, next| bookings::set_status(s, t, id, next, now);
        match self {
            BookingCommand::List { branch, date } => {
                let branch = branches::by_name(s, t, &branch).await?;
                let zone = zone_of(s, t, &branch).await?;
                let day = day_of(&zone, date.as_deref())?;
                let from = zone.start_of_day(day)?;
                let to = zone.start_of_day(clock::add_days(day, 1)?)?;
                let rows = bookings::list(s, t, branch.id, from, to)
                    .await?
                    .into_iter()
                    .map(|b| {
                        vec![
                            b.id.to_string(),
                            zone.hh_mm(b.starts_at),
                            zone.hh_mm(b.ends_at),
                            b.party.to_string(),
                            table::opt((!b.tables.is_empty()).then(|| b.tables.join("+"))),
                            b.phone,
                            table::opt(b.name),
                            b.status.to_string(),
                            table::opt(
                                (b.deposit_amount > 0)
                                    .then(|| format!("{} {}", b.deposit_amount, b.deposit_state)),
                            ),
                            b.source,
                        ]
                    })
                    .collect::<Vec<_>>();
                println!("{} — {}", branch.name, fmt_day(day));
                table::print(
                    &[
                        "ID", "FROM", "TO", "PARTY", "TABLES", "PHONE", "NAME", "STATUS",
                        "DEPOSIT", "SOURCE",
                    ],
                    &rows,
                );
            }
            BookingCommand::Free {
                branch,
                date,
                party,
            } => {
                let branch = branches::by_name(s, t, &branch).await?;
                let zone = zone_of(s, t, &branch).await?;
                let day = day_of(&zone, date.as_deref())?;
                let offers = bookings::availability(s, t, branch.id, day, party, now).await?;
                let times: Vec<String> = offers.iter().map(|o| zone.hh_mm(o.starts_at)).collect();
                println!(
                    "{} — {}: {}",
                    branch.name,
                    fmt_day(day),
                    table::opt((!times.is_empty()).then(|| times.join(" ")))
                );
            }
            BookingCommand::Create {
                branch,
                phone,
                party,
                date,
                time,
                name,
                table: tables,
                waitlist,
                note,
            } => {
                let branch = branches::by_name(s, t, &branch).await?;
                let zone = zone_of(s, t, &branch).await?;
                let starts_at = zone.at(day_of(&zone, date.as_deref())?, &time)?;
                let new = NewBooking {
                    service_id: None,
                    branch_id: branch.id,
                    phone,
                    name,
                    party,
                    starts_at,
                    source: Source::Staff,
                    tables,
                    waitlist,
                    note,
                };
                print_booking("created", &bookings::create(s, t, &new, now).await?);
            }
            BookingCommand::Move {
                id,
                date,
                time,
                party,
                table: tables,
            } => {
                let old = bookings::get(s, t, id).await?;
                let zone = Zone::named(&old.time_zone)?;
                let starts_at = match (&date, &time) {
                    (None, None) => None,
                    _ => {
                        let day = match &date {
                            Some(d) => clock::parse_day(d)?,
                            None => zone.day_key(old.starts_at),
                        };
                        let hh_mm = time.unwrap_or_else(|| zone.hh_mm(old.starts_at));
                        Some(zone.at(day, &hh_mm)?)
                    }
                };
                let change = BookingChange {
                    starts_at,
                    party,
                    stay_minutes: None,
                    tables: (!tables.is_empty()).then_some(tables),
                };
                print_booking(
                    "moved",
                    &bookings::modify(s, t, id, &change, Source::Staff, now).await?,
                );
            }
            BookingCommand::Confirm(a) => {
                print_booking("confirmed", &status(a.id, Status::Confirmed).await?)
            }
            BookingCommand::Seat(a) => {
                print_booking("seated", &status(a.id, Status::Seated).await?)
            }
            BookingCommand::Finish(a) => {
                print_booking("finished", &status(a.id, Status::Finished).await?)
            }
            BookingCommand::NoShow(a) => {
                print_booking("marked no-show:", &status(a.id, Status::NoShow).await?)
            }
            BookingCommand::Cancel(a) => {
                print_booking("cancelled", &status(a.id, Status::Cancelled).await?)
            }
            BookingCommand::Settings(a) => {
                let branch = branches::by_name(s, t, &a.branch).await?;
                let change = SettingsChange {
                    time_zone: a.time_zone,
                    slot_interval: a.interval,
                    stay_minutes: a.stay,
                    stay_by_party: a.stay_by_party,
                    buffer_minutes: a.buffer,
                    min_notice: a.min_notice,
                    max_days_ahead: a.days_ahead,
                    opening_hours: a.hours,
                    deposit_mode: a.deposit,
                    deposit_amount: a.deposit_amount,
                    deposit_from_party: a.deposit_from,
                    deposit_refund_hours: a.refund_hours,
                };
                let st = settings::update(s, t, &branch, &change).await?;
                println!(
                    "branch:         {} (booking page /book/{})",
                    branch.name, branch.id
                );
                println!("time zone:      {}", st.time_zone);
                println!("opening hours:  {}", st.opening_hours);
                println!("start interval: {} min", st.slot_interval);
                println!(
                    "stay:           {} min{}",
                    st.stay_minutes,
                    if st.stay_by_party.is_empty() {
                        String::new()
                    } else {
                        format!(" ({})", st.stay_by_party)
                    }
                );
                println!("buffer:         {} min", st.buffer_minutes);
                println!("min notice:     {} min", st.min_notice);
                println!("days ahead:     {}", st.max_days_ahead);
                let d = st.deposit;
                match d.mode {
                    DepositMode::None => println!("deposit:        none"),
                    mode => println!(
                        "deposit:        {} rials {} from {} guests, refundable until {} h before",
                        d.amount,
                        if mode == DepositMode::Fixed {
                            "per booking"
                        } else {
                            "per guest"
                        },
                        d.from_party,
                        d.refund_hours
                    ),
                }
            }
            BookingCommand::Deposit { id, paid, .. } => {
                let to = if paid {
                    DepositState::Paid
                } else {
                    DepositState::Refunded
                };
                deposits::record(s, t, id, to, now).await?;
                print_booking("deposit recorded:", &bookings::get(s, t, id).await?);
            }
            BookingCommand::Sms(c) => c.run(s, t).await?,
            BookingCommand::DepositRule(c) => c.run(s, t).await?,
            BookingCommand::Report { branch, from, to } => {
                let branch = branches::by_name(s, t, &branch).await?;
                let zone = zone_of(s, t, &branch).await?;
                let to = day_of(&zone, to.as_deref())?;
                let from = match from {
                    Some(d) => clock::parse_day(&d)?,
                    None => clock::add_days(to, -30)?,
                };
                let rows = bookings::report(s, t, branch.id, from, to)
                    .await?
                    .into_iter()
                    .map(|d| {
                        vec![
                            fmt_day(d.day),
                            d.bookings.to_string(),
                            d.covers.to_string(),
                            d.finished.to_string(),
                            d.no_shows.to_string(),
                            format!("{}%", d.no_show_percent()),
                            d.cancelled.to_string(),
                            d.waitlisted.to_string(),
                        ]
                    })
                    .collect::<Vec<_>>();
                table::print(
                    &[
                        "DAY",
                        "BOOKINGS",
                        "COVERS",
                        "FINISHED",
                        "NO-SHOWS",
                        "NO-SHOW RATE",
                        "CANCELLED",
                        "WAITLISTED",
                    ],
                    &rows,
                );
            }
            BookingCommand::Close { branch, date, open } => {
                let branch = branches::by_name(s, t, &branch).await?;
                let day = clock::parse_day(&date)?;
                settings::set_closed(s, t, &branch, day, !open).await?;
                println!(
                    "{} is {} on {}",
                    branch.name,
                    if open {
                        "open for bookings"
                    } else {
                        "closed for bookings"
                    },
                    fmt_day(day)
                );
            }
        }
        Ok(())
    }
}
