//! Bookings: create, modify, move through the lifecycle, list.
//!
//! No double booking, ever: a live booking owns one `booking_slots` row per 5-minute
//! unit of each table's stay plus buffer, and one `booking_guest_slots` row per unit of
//! the guest's stay. Both are primary keys inserted in the booking's own transaction,
//! so of two concurrent bookings for the same table (or the same person) at the same
//! time the database lets exactly one commit — on SQLite and PostgreSQL, in one process
//! or many. The availability check before is only for choosing a table and for a good
//! message; it is never what keeps bookings apart.

use rand::Rng;
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

use super::availability::{self, Held, Table, units};
use super::deposits::{self, Rule as DepositRule, SlotRule, State as DepositState};
use super::resources::{self, Kind, Resource};
use super::rules::{BookingRules, Status, StayRules, UNIT};
use super::{services, settings};
use crate::branches::{self, Branch};
use crate::club::{self, JoinSource};
use crate::error::{Error, Result};
use crate::phone::Phone;
use crate::store::Store;
use crate::tenants::Tenant;
use crate::{customers, text};

/// Who made the booking: the public page checks every rule; staff may book outside
/// them (a walk-in now, a table kept open late) but never onto a held table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Web,
    Staff,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Web => "web",
            Source::Staff => "staff",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Booking {
    pub id: i64,
    pub tenant_id: i64,
    pub branch_id: i64,
    pub customer_id: i64,
    /// `+989XXXXXXXXX`.
    pub phone: String,
    pub name: Option<String>,
    pub party: i64,
    /// UTC unix seconds; the stay ends at `ends_at` (the buffer is not part of it).
    pub starts_at: i64,
    pub ends_at: i64,
    /// The branch's zone when booked, to show the times in.
    pub time_zone: String,
    pub status: Status,
    pub source: String,
    pub note: Option<String>,
    /// The secret in the customer's confirm/cancel link.
    pub token: String,
    pub created_at: i64,
    pub updated_at: i64,
    /// Names of the tables held (several when joined).
    pub tables: Vec<String>,
    /// Rials asked as a deposit (0 = none) and where it stands.
    pub deposit_amount: i64,
    pub deposit_state: DepositState,
    /// A cancellation until then gets the deposit back.
    pub deposit_refundable_until: Option<i64>,
    pub deposit_paid_at: Option<i64>,
    /// The invoice it was deducted from.
    pub deposit_invoice_id: Option<i64>,
    /// The service booked (appointments), if any.
    pub service_id: Option<i64>,
}

macro_rules! columns {
    () => {
        "b.id, b.tenant_id, b.branch_id, b.customer_id, b.phone, b.name, b.party, b.starts_at, \
         b.ends_at, b.time_zone, b.status, b.source, b.note, b.token, b.created_at, b.updated_at, \
         b.deposit_amount, b.deposit_state, b.deposit_refundable_until, b.deposit_paid_at, \
         b.deposit_invoice_id, b.service_id"
    };
}

impl Booking {
    fn from_row(row: &AnyRow) -> Result<Booking, sqlx::Error> {
        let status: String = row.try_get("status")?;
        Ok(Booking {
            id: row.try_get("id")?,
            tenant_id: row.try_get("tenant_id")?,
            branch_id: row.try_get("branch_id")?,
            customer_id: row.try_get("customer_id")?,
            phone: row.try_get("phone")?,
            name: row.try_get("name")?,
            party: row.try_get("party")?,
            starts_at: row.try_get("starts_at")?,
            ends_at: row.try_get("ends_at")?,
            time_zone: row.try_get("time_zone")?,
            status: status
                .parse()
                .map_err(|e: Error| sqlx::Error::Decode(e.to_string().into()))?,
            source: row.try_get("source")?,
            note: row.try_get("note")?,
            token: row.try_get("token")?,
            created_at: row.try_get("created_at")?,
            updated_at: row.try_get("updated_at")?,
            tables: Vec::new(),
            deposit_amount: row.try_get("deposit_amount")?,
            deposit_state: row
                .try_get::<String, _>("deposit_state")?
                .parse()
                .map_err(|e: Error| sqlx::Error::Decode(e.to_string().into()))?,
            deposit_refundable_until: row.try_get("deposit_refundable_until")?,
            deposit_paid_at: row.try_get("deposit_paid_at")?,
            deposit_invoice_id: row.try_get("deposit_invoice_id")?,
            service_id: row.try_get("service_id")?,
        })
    }
}

/// A booking to make.
#[derive(Debug, Clone)]
pub struct NewBooking {
    pub branch_id: i64,
    pub phone: String,
    pub name: Option<String>,
    pub party: i64,
    pub starts_at: i64,
    pub source: Source,
    /// Table names to hold; empty = the best free table(s).
    pub tables: Vec<String>,
    /// Put the request on the waitlist instead of refusing it when nothing is free.
    pub waitlist: bool,
    pub note: Option<String>,
    /// The service booked: its duration is the stay and only its resources are held
    /// (`tables` may name one of them: the staff member asked for).
    pub service_id: Option<i64>,
}

/// What a branch needs loaded to place a booking.
struct Place {
    branch: Branch,
    rules: BookingRules,
    deposit: DepositRule,
    slot_deposits: Vec<SlotRule>,
    resources: Vec<Resource>,
    tables: Vec<Table>,
}

impl Place {
    /// The deposit a party of `party` starting at `start` is asked (see `deposits::due_at`).
    fn deposit_due(&self, start: i64, party: i64) -> i64 {
        deposits::due_at(
            &self.deposit,
            &self.slot_deposits,
            &self.rules.zone,
            start,
            party,
        )
    }
}

async fn place(
    store: &Store,
    tenant: &Tenant,
    branch_id: i64,
    service: Option<i64>,
) -> Result<Place> {
    let branch = branches::by_id(store, tenant, branch_id).await?;
    let (mut rules, deposit) = settings::load(store, tenant, &branch).await?;
    let slot_deposits = deposits::slot_rules(store, tenant, &branch).await?;
    let mut resources: Vec<Resource> = resources::list(store, tenant, &branch)
        .await?
        .into_iter()
        .filter(|r| r.active)
        .collect();
    // A branch books tables, or — with none — its appointment resources; never a
    // barber's chair for a party of one at a restaurant.
    if let Some(id) = service {
        // A service: its duration is the stay, whatever the party; only the resources
        // that perform it can be held.
        let service = services::get(store, tenant, &branch, id).await?;
        rules.stay = StayRules {
            default: service.duration,
            by_party: Vec::new(),
        };
        resources.retain(|r| service.resources.contains(&r.id));
    } else if resources.iter().any(|r| r.kind == Kind::Table) {
        resources.retain(|r| r.kind == Kind::Table);
    }
    let tables = resources
        .iter()
        .map(Resource::table)
        .collect::<Result<Vec<_>>>()?;
    Ok(Place {
        branch,
        rules,
        deposit,
        slot_deposits,
        resources,
        tables,
    })
}

/// The slot units held in `[from, to)` (unix seconds) at a branch, except those of
/// booking `except` (a booking being moved does not block itself).
async fn held(
    store: &Store,
    tenant: &Tenant,
    branch: &Branch,
    from: i64,
    to: i64,
    except: Option<i64>,
) -> Result<Held> {
    let span = units(from, to);
    let rows: Vec<(i64, i64, Option<i64>)> = sqlx::query_as(
        "SELECT s.resource_id, s.slot, s.booking_id FROM booking_slots s \
         JOIN reservation_resources r ON r.id = s.resource_id \
         WHERE r.tenant_id = $1 AND r.branch_id = $2 AND s.slot >= $3 AND s.slot < $4",
    )
    .bind(tenant.id)
    .bind(branch.id)
    .bind(span.start)
    .bind(span.end)
    .fetch_all(store.pool())
    .await?;
    Ok(rows
        .into_iter()
        // Walk-ins (no booking) always hold.
        .filter(|&(_, _, booking)| booking.is_none() || booking != except)
        .map(|(resource, slot, _)| (resource, slot))
        .collect())
}

/// Free start times (with the tables they would get) on local date `day` (`YYYYMMDD`).
pub async fn availability(
    store: &Store,
    tenant: &Tenant,
    branch_id: i64,
    day: i64,
    party: i64,
    now: i64,
) -> Result<Vec<availability::Offer>> {
    let p = place(store, tenant, branch_id, None).await?;
    let from = p.rules.zone.start_of_day(day)?;
    let held = held(store, tenant, &p.branch, from, from + 2 * 86_400, None).await?;
    availability::free_starts(&p.rules, &p.tables, &held, day, party, now)
}

/// Live bookings from `now` on (a year ahead) that the branch's rules as saved no longer
/// allow: on a closed day or with their stay outside the opening hours. Changing the
/// rules does not move or cancel them; the settings page names them so a host can.
pub async fn outside_rules(
    store: &Store,
    tenant: &Tenant,
    branch: &Branch,
    now: i64,
) -> Result<Vec<Booking>> {
    let rules = settings::rules(store, tenant, branch).await?;
    Ok(list(store, tenant, branch.id, now, now + 366 * 86_400)
        .await?
        .into_iter()
        .filter(|b| b.status.holds() && b.status != Status::Seated)
        .filter(|b| {
            rules.closed.contains(&rules.zone.day_key(b.starts_at))
                || !availability::open_throughout(
                    &rules.opening_hours,
                    &rules.zone,
                    b.starts_at,
                    b.ends_at - b.starts_at,
                )
        })
        .collect())
}

/// Free start times on local date `day` for a service, with the resource each would
/// get; `staff` = only that resource (one that performs it), `None` = any of them.
pub async fn service_availability(
    store: &Store,
    tenant: &Tenant,
    branch_id: i64,
    service: i64,
    staff: Option<i64>,
    day: i64,
    now: i64,
) -> Result<Vec<availability::Offer>> {
    let mut p = place(store, tenant, branch_id, Some(service)).await?;
    if let Some(staff) = staff {
        p.tables.retain(|t| t.id == staff);
    }
    let from = p.rules.zone.start_of_day(day)?;
    let held = held(store, tenant, &p.branch, from, from + 2 * 86_400, None).await?;
    availability::free_starts(&p.rules, &p.tables, &held, day, 1, now)
}

/// Start times on `day` the rules allow but every table is taken: what a guest can
/// join the waitlist for.
pub async fn full_starts(
    store: &Store,
    tenant: &Tenant,
    branch_id: i64,
    day: i64,
    party: i64,
    now: i64,
) -> Result<Vec<i64>> {
    let p = place(store, tenant, branch_id, None).await?;
    if availability::seatings(&p.tables, party).is_empty() {
        return Ok(Vec::new());
    }
    let from = p.rules.zone.start_of_day(day)?;
    let held = held(store, tenant, &p.branch, from, from + 2 * 86_400, None).await?;
    Ok(
        availability::starts(&p.rules, &p.tables, &held, day, party, now)?
            .into_iter()
            .filter(|(_, tables)| tables.is_none())
            .map(|(start, _)| start)
            .collect(),
    )
}

/// The deposit (rials, 0 = none) a booking of `party` at `start` would be asked, and
/// until when a cancellation gets it back: what the public page shows before the guest
/// confirms.
pub async fn deposit_quote(
    store: &Store,
    tenant: &Tenant,
    branch_id: i64,
    start: i64,
    party: i64,
) -> Result<(i64, i64)> {
    let p = place(store, tenant, branch_id, None).await?;
    Ok((
        p.deposit_due(start, party),
        p.deposit.refundable_until(start),
    ))
}

/// The largest party the branch's tables (alone or joined) can seat, at most 100;
/// 0 when it has none.
pub async fn largest_party(store: &Store, tenant: &Tenant, branch_id: i64) -> Result<i64> {
    let p = place(store, tenant, branch_id, None).await?;
    Ok((1..=100)
        .rev()
        .find(|&n| !availability::seatings(&p.tables, n).is_empty())
        .unwrap_or(0))
}

fn check_party(party: i64) -> Result<()> {
    if (1..=100).contains(&party) {
        Ok(())
    } else {
        Err(Error::invalid("party size must be between 1 and 100"))
    }
}

/// The table sets to try for a party at `start`, best first, given what is held now.
fn candidates(
    p: &Place,
    named: &[String],
    held: &Held,
    start: i64,
    party: i64,
) -> Result<Vec<Vec<i64>>> {
    if named.is_empty() {
        let mut out = Vec::new();
        let mut rest = p.tables.clone();
        // Every free set in preference order: pick, then try without its first table.
        while let Some(set) = availability::pick(&p.rules, &rest, held, start, party) {
            rest.retain(|t| t.id != set[0]);
            out.push(set);
        }
        return Ok(out);
    }
    let ids = named
        .iter()
        .map(|n| {
            p.resources
                .iter()
                .find(|r| r.name == n.trim())
                .map(|r| r.id)
                .ok_or_else(|| {
                    Error::NotFound(format!("table {:?} in {}", n.trim(), p.branch.name))
                })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(vec![ids])
}

/// Why holding the slots failed.
pub(super) enum Hold {
    TableTaken,
    GuestBusy,
    Failed(Error),
}

impl From<sqlx::Error> for Hold {
    fn from(e: sqlx::Error) -> Hold {
        Hold::Failed(e.into())
    }
}

/// Inserts `rows` × (a, b, `booking`) into `table` in one statement; a unique violation
/// comes back as `taken`.
pub(super) async fn insert_slots(
    tx: &mut Transaction<'static, Any>,
    sql_head: &'static str,
    owner: i64,
    span: std::ops::Range<i64>,
    booking: i64,
    taken: Hold,
) -> Result<(), Hold> {
    if span.is_empty() {
        return Ok(());
    }
    let values: Vec<String> = (0..span.clone().count())
        .map(|i| format!("(${}, ${}, ${})", 3 * i + 1, 3 * i + 2, 3 * i + 3))
        .collect();
    let sql = format!("{sql_head} VALUES {}", values.join(", "));
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
    for slot in span {
        q = q.bind(owner).bind(slot).bind(booking);
    }
    match q.execute(&mut **tx).await {
        Ok(_) => Ok(()),
        Err(sqlx::Error::Database(db)) if db.is_unique_violation() => Err(taken),
        Err(e) => Err(e.into()),
    }
}

/// Locks the rows of the tables a booking is about to hold (in id order) and checks
/// they are still as `known` (loaded before the transaction), days off on local date
/// `day` included: an edit of a table
/// (`resources::update`) and a booking for it then go one after the other — on
/// PostgreSQL the edit waits for the booking and sees it, or the booking waits for the
/// edit and is told to try again — so an edit can never slip past a booking it breaks.
async fn lock_tables(
    tx: &mut Transaction<'static, Any>,
    tables: &[i64],
    known: &[Resource],
    day: i64,
) -> Result<(), Hold> {
    let mut ids = tables.to_vec();
    ids.sort_unstable();
    for id in ids {
        let row = sqlx::query(
            "UPDATE reservation_resources SET active = active WHERE id = $1 \
             RETURNING name, min_party, max_party, working_hours, active",
        )
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?;
        let was = known.iter().find(|r| r.id == id);
        let same = match (&row, was) {
            (Some(row), Some(r)) => {
                row.try_get::<String, _>("name")? == r.name
                    && row.try_get::<i64, _>("min_party")? == r.min_party
                    && row.try_get::<i64, _>("max_party")? == r.max_party
                    && row.try_get::<Option<String>, _>("working_hours")? == r.working_hours
                    && crate::store::flag(row, "active")?
            }
            _ => false,
        };
        // A day off added (or lifted) for the booking's day meanwhile.
        let off: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM reservation_resource_closed_dates WHERE resource_id = $1 AND day = $2",
        )
        .bind(id)
        .bind(day)
        .fetch_one(&mut **tx)
        .await?;
        let same = same && was.is_some_and(|r| r.closed.contains(&day) == (off > 0));
        if !same {
            return Err(Hold::Failed(Error::Conflict(
                "a table was changed meanwhile; try again".into(),
            )));
        }
    }
    Ok(())
}

/// Holds the guest's stay and each table's stay + buffer for `booking`, inside `tx`.
#[allow(clippy::too_many_arguments)]
async fn occupy(
    tx: &mut Transaction<'static, Any>,
    booking: i64,
    customer: i64,
    tables: &[i64],
    known: (&[Resource], i64),
    start: i64,
    end: i64,
    buffer: i64,
) -> Result<(), Hold> {
    lock_tables(tx, tables, known.0, known.1).await?;
    insert_slots(
        tx,
        "INSERT INTO booking_guest_slots (customer_id, slot, booking_id)",
        customer,
        units(start, end),
        booking,
        Hold::GuestBusy,
    )
    .await?;
    for &table in tables {
        sqlx::query("INSERT INTO booking_resources (booking_id, resource_id) VALUES ($1, $2)")
            .bind(booking)
            .bind(table)
            .execute(&mut **tx)
            .await?;
        insert_slots(
            tx,
            "INSERT INTO booking_slots (resource_id, slot, booking_id)",
            table,
            units(start, end + buffer),
            booking,
            Hold::TableTaken,
        )
        .await?;
    }
    Ok(())
}

/// Lets go of the time `booking` holds (inside `tx`); which tables it had stays on
/// record unless `forget_tables` (a booking being moved gets new ones).
async fn release(
    tx: &mut Transaction<'static, Any>,
    booking: i64,
    forget_tables: bool,
) -> Result<(), sqlx::Error> {
    let mut statements = vec![
        "DELETE FROM booking_slots WHERE booking_id = $1",
        "DELETE FROM booking_guest_slots WHERE booking_id = $1",
    ];
    if forget_tables {
        statements.push("DELETE FROM booking_resources WHERE booking_id = $1");
    }
    for sql in statements {
        sqlx::query(sql).bind(booking).execute(&mut **tx).await?;
    }
    Ok(())
}

/// What a failed hold means to a loop over table sets: `None` = try the next set (the
/// table was taken at save time: the slot rows did their job), else the error to return.
fn after_failed_hold(failed: Hold) -> Option<Error> {
    match failed {
        Hold::TableTaken => {
            metrics::counter!("booking_conflicts_total", "reason" => "table_taken").increment(1);
            None
        }
        Hold::GuestBusy => {
            metrics::counter!("booking_conflicts_total", "reason" => "guest_busy").increment(1);
            Some(guest_busy())
        }
        Hold::Failed(e) => Some(e),
    }
}

/// A booking asked for a deposit owes it; one that was not has none.
fn deposit_state_for(amount: i64) -> DepositState {
    if amount > 0 {
        DepositState::Due
    } else {
        DepositState::None
    }
}

fn new_token() -> String {
    format!("{:032x}", rand::rng().random::<u128>())
}

/// The `Conflict` message when the guest is already booked at that time (pages tell
/// it apart from a taken table).
pub const GUEST_BUSY: &str = "this guest already has a booking at that time";

fn guest_busy() -> Error {
    Error::Conflict(GUEST_BUSY.into())
}

fn no_table(party: i64) -> Error {
    Error::Conflict(format!("no table is free for {party} at that time"))
}

/// Makes a booking: the phone becomes (or updates) a customer and club member
/// (`reservation`), the best free table(s) are held, and the booking is `booked` — or
/// `waitlisted` when asked and nothing is free. A taken table or a guest already booked
/// then is a `Conflict`.
pub async fn create(store: &Store, tenant: &Tenant, new: &NewBooking, now: i64) -> Result<Booking> {
    check_party(new.party)?;
    let phone = Phone::parse(&new.phone)?;
    let p = place(store, tenant, new.branch_id, new.service_id).await?;
    let start = new.starts_at.div_euclid(UNIT) * UNIT;
    if new.source == Source::Web {
        availability::check_start(&p.rules, start, new.party, now)?;
    }
    let (stay, buffer) = p.rules.hold_secs(new.party);
    let name = new
        .name
        .as_deref()
        .map(text::normalize_name)
        .filter(|n| !n.is_empty());
    let note = new.note.as_deref().map(str::trim).filter(|n| !n.is_empty());
    if name.as_ref().is_some_and(|n| n.chars().count() > 100)
        || note.is_some_and(|n| n.chars().count() > 500)
    {
        return Err(Error::invalid(
            "name (100) or note (500 characters) is too long",
        ));
    }
    let customer = customers::ensure(store, tenant, &phone, name.as_deref(), now).await?;
    club::join(store, tenant, customer.id, JoinSource::Reservation).await?;
    super::messages::ensure_defaults(store, tenant, now).await?;

    let held = held(store, tenant, &p.branch, start, start + stay + buffer, None).await?;
    let sets = candidates(&p, &new.tables, &held, start, new.party)?;
    let deposit = p.deposit_due(start, new.party);
    let insert_booking = |status: Status| {
        sqlx::query_scalar::<_, i64>(
            "INSERT INTO bookings (tenant_id, branch_id, customer_id, phone, name, party, \
             starts_at, ends_at, time_zone, status, source, note, token, created_at, updated_at, \
             deposit_amount, deposit_state, deposit_refundable_until, service_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14, $15, $16, $17, \
             $18) \
             RETURNING id",
        )
        .bind(tenant.id)
        .bind(p.branch.id)
        .bind(customer.id)
        .bind(phone.e164().to_string())
        .bind(name.clone())
        .bind(new.party)
        .bind(start)
        .bind(start + stay)
        .bind(p.rules.zone.name().to_string())
        .bind(status.as_str())
        .bind(new.source.as_str())
        .bind(note.map(str::to_string))
        .bind(new_token())
        .bind(now)
        .bind(deposit)
        .bind(deposit_state_for(deposit).as_str())
        .bind(p.deposit.refundable_until(start))
        .bind(new.service_id)
    };
    for set in &sets {
        // The booking row is the transaction's first statement: a write, so SQLite
        // takes its write lock (waiting its turn) before anything is read.
        let mut tx = store.begin().await?;
        let id = insert_booking(Status::Booked).fetch_one(&mut *tx).await?;
        let held = occupy(
            &mut tx,
            id,
            customer.id,
            set,
            (&p.resources, p.rules.zone.day_key(start)),
            start,
            start + stay,
            buffer,
        );
        match held.await {
            Ok(()) => {
                tx.commit().await?;
                super::messages::wakeup().notify_one();
                return get(store, tenant, id).await;
            }
            Err(failed) => {
                if let Some(e) = after_failed_hold(failed) {
                    return Err(e);
                }
            }
        }
    }
    if new.waitlist {
        let id = insert_booking(Status::Waitlisted)
            .fetch_one(store.pool())
            .await?;
        return get(store, tenant, id).await;
    }
    Err(no_table(new.party))
}

/// What to change of a booking; `None` keeps it.
#[derive(Debug, Clone, Default)]
pub struct BookingChange {
    pub starts_at: Option<i64>,
    pub party: Option<i64>,
    /// Minutes the guests stay (multiple of 5); `None` = the branch's stay for the party.
    pub stay_minutes: Option<i64>,
    /// Table names; `Some(empty)` = choose again.
    pub tables: Option<Vec<String>>,
}

/// Moves a booking (time, party size, tables) — all or nothing: if the new time cannot
/// be held, the booking keeps what it had. A waitlisted booking that finds room becomes
/// `booked`.
pub async fn modify(
    store: &Store,
    tenant: &Tenant,
    id: i64,
    change: &BookingChange,
    source: Source,
    now: i64,
) -> Result<Booking> {
    let old = get(store, tenant, id).await?;
    if !(old.status.holds() && old.status != Status::Seated) && old.status != Status::Waitlisted {
        return Err(Error::invalid(format!(
            "a {} booking cannot be changed",
            old.status
        )));
    }
    let party = change.party.unwrap_or(old.party);
    check_party(party)?;
    let start = change.starts_at.unwrap_or(old.starts_at).div_euclid(UNIT) * UNIT;
    let p = place(store, tenant, old.branch_id, old.service_id).await?;
    if source == Source::Web {
        availability::check_start(&p.rules, start, party, now)?;
    }
    let (stay, buffer) = p.rules.hold_secs(party);
    let stay = match change.stay_minutes {
        Some(m) if !(5..=1440).contains(&m) || m % 5 != 0 => {
            return Err(Error::invalid(format!(
                "a stay must be a multiple of 5 minutes between 5 and 1440, not {m}"
            )));
        }
        Some(m) => m * 60,
        None => stay,
    };
    let held = held(
        store,
        tenant,
        &p.branch,
        start,
        start + stay + buffer,
        Some(id),
    )
    .await?;
    let named = change.tables.clone().unwrap_or_default();
    for set in candidates(&p, &named, &held, start, party)? {
        let mut tx = store.begin().await?;
        let updated = sqlx::query(
            "UPDATE bookings SET party = $3, starts_at = $4, ends_at = $5, status = $6, updated_at = $7, \
             deposit_refundable_until = $9, \
             deposit_amount = CASE WHEN deposit_state IN ('none', 'due') THEN $10 ELSE deposit_amount END, \
             deposit_state = CASE WHEN deposit_state IN ('none', 'due') THEN $11 ELSE deposit_state END \
             WHERE tenant_id = $1 AND id = $2 AND status = $8",
        )
        .bind(tenant.id)
        .bind(id)
        .bind(party)
        .bind(start)
        .bind(start + stay)
        .bind(match old.status {
            Status::Waitlisted => Status::Booked.as_str(),
            s => s.as_str(),
        })
        .bind(now)
        .bind(old.status.as_str())
        .bind(p.deposit.refundable_until(start))
        .bind(p.deposit_due(start, party))
        .bind(deposit_state_for(p.deposit_due(start, party)).as_str())
        .execute(&mut *tx)
        .await?;
        if updated.rows_affected() == 0 {
            return Err(Error::Conflict(format!(
                "booking #{id} was changed meanwhile; try again"
            )));
        }
        release(&mut tx, id, true).await?;
        match occupy(
            &mut tx,
            id,
            old.customer_id,
            &set,
            (&p.resources, p.rules.zone.day_key(start)),
            start,
            start + stay,
            buffer,
        )
        .await
        {
            Ok(()) => {
                tx.commit().await?;
                return get(store, tenant, id).await;
            }
            Err(failed) => {
                if let Some(e) = after_failed_hold(failed) {
                    return Err(e);
                }
            }
        }
    }
    Err(no_table(party))
}

/// Moves a booking along its lifecycle (see `Status::can_become`); a booking that stops
/// holding (finished, cancelled, no-show) frees its tables in the same transaction.
pub async fn set_status(
    store: &Store,
    tenant: &Tenant,
    id: i64,
    next: Status,
    now: i64,
) -> Result<Booking> {
    let old = get(store, tenant, id).await?;
    if !old.status.can_become(next) {
        return Err(Error::invalid(format!(
            "a {} booking cannot become {next}",
            old.status
        )));
    }
    let mut tx = store.begin().await?;
    let updated = sqlx::query(
        "UPDATE bookings SET status = $3, updated_at = $4 WHERE tenant_id = $1 AND id = $2 AND status = $5",
    )
    .bind(tenant.id)
    .bind(id)
    .bind(next.as_str())
    .bind(now)
    .bind(old.status.as_str())
    .execute(&mut *tx)
    .await?;
    if updated.rows_affected() == 0 {
        return Err(Error::Conflict(format!(
            "booking #{id} was changed meanwhile; try again"
        )));
    }
    if !next.holds() {
        release(&mut tx, id, false).await?;
    }
    super::deposits::follow_status_in(&mut tx, tenant.id, id, next, now).await?;
    if next == Status::Seated {
        super::tables::seated_in(&mut tx, tenant.id, id).await?;
    } else if old.status == Status::Seated && next == Status::Finished {
        super::tables::left_in(&mut tx, tenant.id, id, now).await?;
    }
    tx.commit().await?;
    if !next.holds() && old.status.holds() {
        // Freed tables go to whoever waits for them; the cancellation stands either way.
        if let Err(e) = promote_waitlist(store, tenant, old.branch_id, now).await {
            tracing::warn!(error = %e, booking = id, "promoting the waitlist failed");
        }
    }
    get(store, tenant, id).await
}

/// Books waitlisted requests of a branch (future ones, oldest request first) into
/// tables that have become free at their time; returns those now booked. Their
/// confirmation SMS follows (if the request is less than a day old).
pub async fn promote_waitlist(
    store: &Store,
    tenant: &Tenant,
    branch_id: i64,
    now: i64,
) -> Result<Vec<Booking>> {
    let waiting: Vec<i64> = sqlx::query_scalar(
        "SELECT id FROM bookings WHERE tenant_id = $1 AND branch_id = $2 AND status = 'waitlisted' \
         AND starts_at > $3 ORDER BY created_at, id LIMIT 100",
    )
    .bind(tenant.id)
    .bind(branch_id)
    .bind(now)
    .fetch_all(store.pool())
    .await?;
    let mut booked = Vec::new();
    for id in waiting {
        match modify(
            store,
            tenant,
            id,
            &BookingChange::default(),
            Source::Staff,
            now,
        )
        .await
        {
            Ok(b) => booked.push(b),
            Err(Error::Conflict(_)) => {}
            Err(e) => return Err(e),
        }
    }
    if !booked.is_empty() {
        super::messages::wakeup().notify_one();
    }
    Ok(booked)
}

pub async fn get(store: &Store, tenant: &Tenant, id: i64) -> Result<Booking> {
    let sql = concat!(
        "SELECT ",
        columns!(),
        " FROM bookings b WHERE b.tenant_id = $1 AND b.id = $2"
    );
    let row = sqlx::query(sql)
        .bind(tenant.id)
        .bind(id)
        .fetch_optional(store.pool())
        .await?
        .ok_or_else(|| Error::NotFound(format!("booking #{id}")))?;
    let mut booking = Booking::from_row(&row)?;
    booking.tables = sqlx::query_scalar(
        "SELECT r.name FROM booking_resources br JOIN reservation_resources r ON r.id = br.resource_id \
         WHERE br.booking_id = $1 ORDER BY r.id",
    )
    .bind(id)
    .fetch_all(store.pool())
    .await?;
    Ok(booking)
}

/// The booking a customer's link points to, and its tenant.
pub async fn by_token(store: &Store, token: &str) -> Result<(Tenant, Booking)> {
    let token = token.trim();
    let tenant_id: Option<(i64, i64)> =
        sqlx::query_as("SELECT tenant_id, id FROM bookings WHERE token = $1")
            .bind(token)
            .fetch_optional(store.pool())
            .await?;
    let (tenant_id, id) = tenant_id.ok_or_else(|| Error::NotFound("booking".into()))?;
    let tenant = crate::tenants::by_id(store, tenant_id).await?;
    let booking = get(store, &tenant, id).await?;
    Ok((tenant, booking))
}

/// A branch's bookings starting in `[from, to)`, earliest first.
pub async fn list(
    store: &Store,
    tenant: &Tenant,
    branch_id: i64,
    from: i64,
    to: i64,
) -> Result<Vec<Booking>> {
    let sql = concat!(
        "SELECT ",
        columns!(),
        " FROM bookings b WHERE b.tenant_id = $1 AND b.branch_id = $2 AND b.starts_at >= $3 \
         AND b.starts_at < $4 ORDER BY b.starts_at, b.id"
    );
    let rows = sqlx::query(sql)
        .bind(tenant.id)
        .bind(branch_id)
        .bind(from)
        .bind(to)
        .fetch_all(store.pool())
        .await?;
    let mut bookings = rows
        .iter()
        .map(Booking::from_row)
        .collect::<Result<Vec<_>, _>>()?;
    let names: Vec<(i64, String)> = sqlx::query_as(
        "SELECT br.booking_id, r.name FROM booking_resources br \
         JOIN bookings b ON b.id = br.booking_id \
         JOIN reservation_resources r ON r.id = br.resource_id \
         WHERE b.tenant_id = $1 AND b.branch_id = $2 AND b.starts_at >= $3 AND b.starts_at < $4 \
         ORDER BY r.id",
    )
    .bind(tenant.id)
    .bind(branch_id)
    .bind(from)
    .bind(to)
    .fetch_all(store.pool())
    .await?;
    for b in &mut bookings {
        b.tables = names
            .iter()
            .filter(|(id, _)| *id == b.id)
            .map(|(_, n)| n.clone())
            .collect();
    }
    Ok(bookings)
}

/// A customer's bookings, newest first (their page in the panel, `customer show`).
pub async fn for_customer(
    store: &Store,
    tenant: &Tenant,
    customer_id: i64,
    limit: i64,
) -> Result<Vec<Booking>> {
    let sql = concat!(
        "SELECT ",
        columns!(),
        " FROM bookings b WHERE b.tenant_id = $1 AND b.customer_id = $2 \
         ORDER BY b.starts_at DESC, b.id DESC LIMIT $3"
    );
    let ids: Vec<i64> = sqlx::query(sql)
        .bind(tenant.id)
        .bind(customer_id)
        .bind(limit.clamp(1, 1000))
        .fetch_all(store.pool())
        .await?
        .iter()
        .map(|row| row.try_get("id"))
        .collect::<Result<_, _>>()?;
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        out.push(get(store, tenant, id).await?);
    }
    Ok(out)
}

/// One local day of a branch's book, as counted for reports.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DayReport {
    /// `YYYYMMDD` in the branch zone.
    pub day: i64,
    /// Bookings that held a table (booked, confirmed, seated, finished, no-show).
    pub bookings: i64,
    /// People in those bookings.
    pub covers: i64,
    pub finished: i64,
    pub no_shows: i64,
    pub cancelled: i64,
    pub waitlisted: i64,
    /// Deposits received and kept or still held (paid, deducted, forfeited, to refund).
    pub deposits: i64,
}

/// A branch's book over a range of days: per day, and per starting hour (local) of the
/// bookings that held a table.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    pub days: Vec<DayReport>,
    pub by_hour: [i64; 24],
    /// Active tables (or resources) now, for table turnover (finished ÷ tables).
    pub tables: i64,
}

impl Report {
    /// All days added up (`day` = 0).
    pub fn total(&self) -> DayReport {
        self.days
            .iter()
            .fold(DayReport::default(), |t, d| DayReport {
                day: 0,
                bookings: t.bookings + d.bookings,
                covers: t.covers + d.covers,
                finished: t.finished + d.finished,
                no_shows: t.no_shows + d.no_shows,
                cancelled: t.cancelled + d.cancelled,
                waitlisted: t.waitlisted + d.waitlisted,
                deposits: t.deposits + d.deposits,
            })
    }

    /// Guests finished per table, in tenths (`23` = 2.3 turns).
    pub fn turnover_tenths(&self, day: &DayReport) -> i64 {
        if self.tables == 0 {
            0
        } else {
            day.finished * 10 / self.tables
        }
    }
}

impl DayReport {
    /// No-shows per booking that should have come, in percent (0 without any).
    pub fn no_show_percent(&self) -> i64 {
        let due = self.finished + self.no_shows;
        if due == 0 {
            0
        } else {
            self.no_shows * 100 / due
        }
    }
}

/// Per local day of `[from_day, to_day]`: bookings, covers, finished, no-shows,
/// cancellations, waitlisted requests, deposits collected.
pub async fn report(
    store: &Store,
    tenant: &Tenant,
    branch_id: i64,
    from_day: i64,
    to_day: i64,
) -> Result<Vec<DayReport>> {
    Ok(full_report(store, tenant, branch_id, from_day, to_day)
        .await?
        .days)
}

/// `report` with the bookings per starting hour and the table count (the panel's page).
pub async fn full_report(
    store: &Store,
    tenant: &Tenant,
    branch_id: i64,
    from_day: i64,
    to_day: i64,
) -> Result<Report> {
    let p = place(store, tenant, branch_id, None).await?;
    let zone = &p.rules.zone;
    let from = zone.start_of_day(from_day)?;
    let to = zone.start_of_day(crate::clock::add_days(to_day, 1)?)?;
    let mut days: Vec<DayReport> = Vec::new();
    let mut by_hour = [0; 24];
    for b in list(store, tenant, branch_id, from, to).await? {
        let day = zone.day_key(b.starts_at);
        if days.last().is_none_or(|d| d.day != day) {
            days.push(DayReport {
                day,
                ..Default::default()
            });
        }
        let Some(d) = days.last_mut() else { continue };
        if matches!(
            b.deposit_state,
            DepositState::Paid
                | DepositState::Applied
                | DepositState::Forfeited
                | DepositState::RefundDue
        ) {
            d.deposits += b.deposit_amount;
        }
        match b.status {
            Status::Cancelled => d.cancelled += 1,
            Status::Waitlisted => d.waitlisted += 1,
            held => {
                d.bookings += 1;
                d.covers += b.party;
                d.finished += i64::from(held == Status::Finished);
                d.no_shows += i64::from(held == Status::NoShow);
                let (_, minute) = zone.weekday_minute(b.starts_at);
                if let Some(h) = by_hour.get_mut(usize::from(minute / 60)) {
                    *h += 1;
                }
            }
        }
    }
    Ok(Report {
        days,
        by_hour,
        tables: p.resources.len() as i64,
    })
}
