//! The live table board: every table of a branch as free, reserved soon, occupied or
//! needing cleaning, from its bookings, the POS (open / close table) and the host
//! (seat, finish, mark clean).
//!
//! `table_states` keeps only what bookings do not say: the POS opened the table, or it
//! was closed (or its guests left) and nobody has marked it clean yet. Everything else
//! is read from the bookings at the moment the board is drawn, so the board can never
//! disagree with the book.

use std::collections::HashMap;

use sqlx::AnyConnection;

use super::availability::units;
use super::bookings::{self, Hold, insert_slots};
use super::resources::{self, Kind, Resource};
use super::rules::{Status, UNIT};
use super::settings;
use crate::branches;
use crate::error::{Error, Result};
use crate::store::Store;
use crate::tenants::Tenant;

/// A booking starting within this many seconds makes its table "reserved soon".
pub const SOON: i64 = 30 * 60;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableState {
    Free,
    ReservedSoon,
    Occupied,
    NeedsCleaning,
}

impl TableState {
    pub fn as_str(self) -> &'static str {
        match self {
            TableState::Free => "free",
            TableState::ReservedSoon => "reserved_soon",
            TableState::Occupied => "occupied",
            TableState::NeedsCleaning => "needs_cleaning",
        }
    }
}

/// What the POS or a host last said about a table (no row: nothing).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    /// The POS opened it.
    Open,
    /// Closed or left; waiting for a host to mark it clean.
    Cleaning,
}

/// The state from what is known about a table: the mark, whether a seated booking holds
/// it, and the start of its next booking not yet seated.
pub fn state_of(mark: Option<Mark>, seated: bool, next_start: Option<i64>, now: i64) -> TableState {
    if mark == Some(Mark::Open) || seated {
        TableState::Occupied
    } else if mark == Some(Mark::Cleaning) {
        TableState::NeedsCleaning
    } else if next_start.is_some_and(|s| s <= now + SOON) {
        TableState::ReservedSoon
    } else {
        TableState::Free
    }
}

/// The booking a board row shows: the seated one, else the next one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoardBooking {
    pub id: i64,
    pub name: Option<String>,
    pub party: i64,
    pub starts_at: i64,
    pub status: Status,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoardTable {
    pub id: i64,
    pub name: String,
    pub zone: Option<String>,
    pub max_party: i64,
    pub state: TableState,
    /// Since when the POS/host mark holds (open, cleaning).
    pub since: Option<i64>,
    pub booking: Option<BoardBooking>,
}

fn mark_of(text: &str) -> Option<Mark> {
    match text {
        "open" => Some(Mark::Open),
        "cleaning" => Some(Mark::Cleaning),
        _ => None,
    }
}

/// The board of a branch at `now`: its active tables in their order, each with its state.
pub async fn board(
    store: &Store,
    tenant: &Tenant,
    branch_id: i64,
    now: i64,
) -> Result<Vec<BoardTable>> {
    let branch = branches::by_id(store, tenant, branch_id).await?;
    let tables: Vec<Resource> = resources::list(store, tenant, &branch)
        .await?
        .into_iter()
        .filter(|r| r.active && r.kind == Kind::Table)
        .collect();
    let marks: HashMap<i64, (Option<Mark>, i64)> = sqlx::query_as::<_, (i64, String, i64)>(
        "SELECT resource_id, state, since FROM table_states WHERE tenant_id = $1 AND branch_id = $2",
    )
    .bind(tenant.id)
    .bind(branch.id)
    .fetch_all(store.pool())
    .await?
    .into_iter()
    .map(|(id, state, since)| (id, (mark_of(&state), since)))
    .collect();
    // Live bookings of the next day (a seated one may have overstayed its end).
    let rows: Vec<(i64, i64, Option<String>, i64, i64, String)> = sqlx::query_as(
        "SELECT br.resource_id, b.id, b.name, b.party, b.starts_at, b.status FROM bookings b \
         JOIN booking_resources br ON br.booking_id = b.id \
         WHERE b.tenant_id = $1 AND b.branch_id = $2 \
         AND (b.status = 'seated' OR (b.status IN ('booked', 'confirmed') AND b.ends_at > $3)) \
         AND b.starts_at < $4 ORDER BY b.starts_at, b.id",
    )
    .bind(tenant.id)
    .bind(branch.id)
    .bind(now)
    .bind(now + 86_400)
    .fetch_all(store.pool())
    .await?;
    let mut out = Vec::with_capacity(tables.len());
    for t in tables {
        let mut seated = None;
        let mut next = None;
        for (resource, id, name, party, starts_at, status) in &rows {
            if *resource != t.id {
                continue;
            }
            let status: Status = status.parse()?;
            let b = BoardBooking {
                id: *id,
                name: name.clone(),
                party: *party,
                starts_at: *starts_at,
                status,
            };
            if status == Status::Seated {
                seated.get_or_insert(b);
            } else {
                next.get_or_insert(b);
            }
        }
        let (mark, since) = marks
            .get(&t.id)
            .map_or((None, None), |&(m, s)| (m, Some(s)));
        let state = state_of(
            mark,
            seated.is_some(),
            next.as_ref().map(|b| b.starts_at),
            now,
        );
        out.push(BoardTable {
            id: t.id,
            name: t.name,
            zone: t.zone,
            max_party: t.max_party,
            state,
            since,
            booking: seated.or(next),
        });
    }
    Ok(out)
}

/// One table of the board; `NotFound` unless it is an active table of the branch.
pub async fn one(
    store: &Store,
    tenant: &Tenant,
    branch_id: i64,
    table_id: i64,
    now: i64,
) -> Result<BoardTable> {
    board(store, tenant, branch_id, now)
        .await?
        .into_iter()
        .find(|t| t.id == table_id)
        .ok_or_else(|| Error::NotFound(format!("table #{table_id}")))
}

/// The branch of table `table_id` of the tenant; `NotFound` for any other id.
pub async fn branch_of(store: &Store, tenant: &Tenant, table_id: i64) -> Result<i64> {
    sqlx::query_scalar(
        "SELECT branch_id FROM reservation_resources WHERE tenant_id = $1 AND id = $2 AND kind = 'table'",
    )
    .bind(tenant.id)
    .bind(table_id)
    .fetch_optional(store.pool())
    .await?
    .ok_or_else(|| Error::NotFound(format!("table #{table_id}")))
}

async fn set_mark_in(
    conn: &mut AnyConnection,
    tenant_id: i64,
    branch_id: i64,
    table_id: i64,
    mark: Mark,
    now: i64,
) -> Result<()> {
    let state = match mark {
        Mark::Open => "open",
        Mark::Cleaning => "cleaning",
    };
    // Keeps `since` when the mark does not change: a retried open is not a new opening.
    sqlx::query(
        "INSERT INTO table_states (resource_id, tenant_id, branch_id, state, since) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (resource_id) DO UPDATE SET \
         since = CASE WHEN table_states.state = excluded.state THEN table_states.since ELSE excluded.since END, \
         state = excluded.state",
    )
    .bind(table_id)
    .bind(tenant_id)
    .bind(branch_id)
    .bind(state)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Stores the POS's or host's mark on a table (`None` clears it); the table as it is now.
async fn mark(
    store: &Store,
    tenant: &Tenant,
    branch_id: i64,
    table_id: i64,
    mark: Option<Mark>,
    now: i64,
) -> Result<BoardTable> {
    let mut conn = store.begin().await?;
    if mark != Some(Mark::Open) {
        // Closed or marked free: a walk-in's hold ends.
        end_walk_in(&mut conn, tenant.id, table_id).await?;
    }
    match mark {
        Some(m) => set_mark_in(&mut conn, tenant.id, branch_id, table_id, m, now).await?,
        None => {
            sqlx::query("DELETE FROM table_states WHERE tenant_id = $1 AND resource_id = $2")
                .bind(tenant.id)
                .bind(table_id)
                .execute(&mut *conn)
                .await?;
        }
    }
    conn.commit().await?;
    one(store, tenant, branch_id, table_id, now).await
}

/// The POS opened the table (guests sat down and ordered). Opening an open table is a
/// no-op. With no seated booking on it, the guests are a walk-in: the table is held
/// against new bookings (see `hold_walk_in`) until the POS closes it.
pub async fn open(
    store: &Store,
    tenant: &Tenant,
    branch_id: i64,
    table_id: i64,
    now: i64,
) -> Result<BoardTable> {
    let table = one(store, tenant, branch_id, table_id, now).await?;
    if !table
        .booking
        .as_ref()
        .is_some_and(|b| b.status == Status::Seated)
    {
        hold_walk_in(store, tenant, branch_id, table_id, now).await?;
    }
    mark(store, tenant, branch_id, table_id, Some(Mark::Open), now).await
}

/// Holds a table opened by the POS without a booking: a `walk_ins` row owning the
/// table's `booking_slots` rows from now for the stay of a party as big as the table,
/// plus the buffer — the same primary key that keeps bookings apart, so a booking being
/// saved for this table now is refused (or gets another table) whichever commits
/// first. If a booking already holds the table later on, the walk-in holds up to its
/// start. A table already held by a walk-in is left as it is (a retried open); the
/// worker extends the holds of tables still open (`extend_walk_ins`).
async fn hold_walk_in(
    store: &Store,
    tenant: &Tenant,
    branch_id: i64,
    table_id: i64,
    now: i64,
) -> Result<()> {
    let span = walk_in_span(store, tenant, branch_id, table_id, now).await?;
    // A booking committing between the read and the insert makes the insert fail:
    // read again and hold what is left.
    for _ in 0..5 {
        let mut tx = store.begin().await?;
        // The write first: SQLite takes its lock before anything is read.
        let Some(walk_in) = sqlx::query_scalar::<_, i64>(
            "INSERT INTO walk_ins (tenant_id, branch_id, resource_id, opened_at, held_until) \
             VALUES ($1, $2, $3, $4, $4) ON CONFLICT (resource_id) DO NOTHING RETURNING id",
        )
        .bind(tenant.id)
        .bind(branch_id)
        .bind(table_id)
        .bind(now)
        .fetch_optional(&mut *tx)
        .await?
        else {
            return Ok(());
        };
        if hold_free_prefix(&mut tx, walk_in, table_id, span.clone()).await? {
            tx.commit().await?;
            return Ok(());
        }
    }
    Err(Error::Conflict(format!(
        "table #{table_id} kept changing; try again"
    )))
}

/// The slot units a walk-in on `table_id` holds from `from`: the branch's stay for a
/// party as big as the table, then the buffer.
async fn walk_in_span(
    store: &Store,
    tenant: &Tenant,
    branch_id: i64,
    table_id: i64,
    from: i64,
) -> Result<std::ops::Range<i64>> {
    let branch = branches::by_id(store, tenant, branch_id).await?;
    let rules = settings::rules(store, tenant, &branch).await?;
    let party: i64 = sqlx::query_scalar(
        "SELECT max_party FROM reservation_resources WHERE tenant_id = $1 AND id = $2",
    )
    .bind(tenant.id)
    .bind(table_id)
    .fetch_one(store.pool())
    .await?;
    let (stay, buffer) = rules.hold_secs(party);
    Ok(units(from, from + stay + buffer))
}

/// Inside `tx`: gives walk-in `walk_in` the units of `span` up to the first one held
/// by something else, and records until when it holds. `false` when a booking took a
/// unit meanwhile (the transaction is spoiled: start again).
async fn hold_free_prefix(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    walk_in: i64,
    table_id: i64,
    span: std::ops::Range<i64>,
) -> Result<bool> {
    let taken: Vec<(i64, Option<i64>)> = sqlx::query_as(
        "SELECT slot, walk_in_id FROM booking_slots WHERE resource_id = $1 AND slot >= $2 AND slot < $3",
    )
    .bind(table_id)
    .bind(span.start)
    .bind(span.end)
    .fetch_all(&mut **tx)
    .await?;
    // Units it holds already are skipped, not a stop.
    let mine = |u: i64| taken.iter().any(|&(s, w)| s == u && w == Some(walk_in));
    let other = |u: i64| taken.iter().any(|&(s, w)| s == u && w != Some(walk_in));
    let end = span.clone().find(|&u| other(u)).unwrap_or(span.end);
    let first = span.clone().find(|&u| !mine(u)).unwrap_or(end).min(end);
    match insert_slots(
        tx,
        "INSERT INTO booking_slots (resource_id, slot, walk_in_id)",
        table_id,
        first..end,
        walk_in,
        Hold::TableTaken,
    )
    .await
    {
        Ok(()) => {}
        Err(Hold::TableTaken | Hold::GuestBusy) => return Ok(false),
        Err(Hold::Failed(e)) => return Err(e),
    }
    sqlx::query("UPDATE walk_ins SET held_until = $2 WHERE id = $1 AND held_until < $2")
        .bind(walk_in)
        .bind(end * UNIT)
        .execute(&mut **tx)
        .await?;
    Ok(true)
}

/// Tables still open as walk-ins stay held: each hold running out within the next
/// `margin` seconds is extended to a full stay from `now` (up to the next booking of
/// that table). The worker calls it every minute; returns how many were extended.
pub async fn extend_walk_ins(store: &Store, now: i64, margin: i64) -> Result<usize> {
    let due: Vec<(i64, i64, i64, i64)> = sqlx::query_as(
        "SELECT id, tenant_id, branch_id, resource_id FROM walk_ins WHERE held_until < $1 \
         ORDER BY id LIMIT 500",
    )
    .bind(now + margin)
    .fetch_all(store.pool())
    .await?;
    let mut extended = 0;
    for (walk_in, tenant_id, branch_id, table_id) in due {
        let tenant = crate::tenants::by_id(store, tenant_id).await?;
        let span = walk_in_span(store, &tenant, branch_id, table_id, now).await?;
        for _ in 0..3 {
            let mut tx = store.begin().await?;
            // The write first (SQLite's lock); gone = closed meanwhile.
            let still = sqlx::query("UPDATE walk_ins SET held_until = held_until WHERE id = $1")
                .bind(walk_in)
                .execute(&mut *tx)
                .await?;
            if still.rows_affected() == 0 {
                break;
            }
            if hold_free_prefix(&mut tx, walk_in, table_id, span.clone()).await? {
                tx.commit().await?;
                extended += 1;
                break;
            }
        }
    }
    Ok(extended)
}

/// The walk-in on a table (if any) leaves: its row and slot rows go.
async fn end_walk_in(conn: &mut AnyConnection, tenant_id: i64, table_id: i64) -> Result<()> {
    // Slot rows first: SQLite may run without cascading deletes in tools.
    sqlx::query(
        "DELETE FROM booking_slots WHERE walk_in_id IN \
         (SELECT id FROM walk_ins WHERE tenant_id = $1 AND resource_id = $2)",
    )
    .bind(tenant_id)
    .bind(table_id)
    .execute(&mut *conn)
    .await?;
    sqlx::query("DELETE FROM walk_ins WHERE tenant_id = $1 AND resource_id = $2")
        .bind(tenant_id)
        .bind(table_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// The POS closed the table (the bill is paid): a seated booking on it is finished and
/// the table needs cleaning until a host marks it free. Closing again is a no-op.
pub async fn close(
    store: &Store,
    tenant: &Tenant,
    branch_id: i64,
    table_id: i64,
    now: i64,
) -> Result<BoardTable> {
    let table = one(store, tenant, branch_id, table_id, now).await?;
    if let Some(b) = table.booking.filter(|b| b.status == Status::Seated) {
        match bookings::set_status(store, tenant, b.id, Status::Finished, now).await {
            // A host finished it meanwhile: the table is being left all the same.
            Ok(_) | Err(Error::Conflict(_)) | Err(Error::Invalid(_)) => {}
            Err(e) => return Err(e),
        }
    }
    mark(
        store,
        tenant,
        branch_id,
        table_id,
        Some(Mark::Cleaning),
        now,
    )
    .await
}

/// A host marked the table clean and free (the POS's open mark goes too).
pub async fn mark_free(
    store: &Store,
    tenant: &Tenant,
    branch_id: i64,
    table_id: i64,
    now: i64,
) -> Result<BoardTable> {
    one(store, tenant, branch_id, table_id, now).await?;
    mark(store, tenant, branch_id, table_id, None, now).await
}

/// A booking was seated: its tables are no longer waiting to be cleaned.
pub(crate) async fn seated_in(
    conn: &mut AnyConnection,
    tenant_id: i64,
    booking_id: i64,
) -> Result<()> {
    sqlx::query(
        "DELETE FROM table_states WHERE tenant_id = $1 AND state = 'cleaning' AND resource_id IN \
         (SELECT resource_id FROM booking_resources WHERE booking_id = $2)",
    )
    .bind(tenant_id)
    .bind(booking_id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A seated booking's guests left: its tables need cleaning.
pub(crate) async fn left_in(
    conn: &mut AnyConnection,
    tenant_id: i64,
    booking_id: i64,
    now: i64,
) -> Result<()> {
    let tables: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT br.resource_id, b.branch_id FROM booking_resources br \
         JOIN bookings b ON b.id = br.booking_id WHERE b.tenant_id = $1 AND b.id = $2",
    )
    .bind(tenant_id)
    .bind(booking_id)
    .fetch_all(&mut *conn)
    .await?;
    for (table, branch) in tables {
        set_mark_in(conn, tenant_id, branch, table, Mark::Cleaning, now).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_precedence() {
        let now = 1_000_000;
        assert_eq!(state_of(None, false, None, now), TableState::Free);
        assert_eq!(
            state_of(None, false, Some(now + SOON + 1), now),
            TableState::Free
        );
        assert_eq!(
            state_of(None, false, Some(now + SOON), now),
            TableState::ReservedSoon
        );
        // A late guest's table stays reserved.
        assert_eq!(
            state_of(None, false, Some(now - 600), now),
            TableState::ReservedSoon
        );
        assert_eq!(
            state_of(Some(Mark::Cleaning), false, Some(now), now),
            TableState::NeedsCleaning
        );
        assert_eq!(
            state_of(Some(Mark::Cleaning), true, None, now),
            TableState::Occupied
        );
        assert_eq!(
            state_of(Some(Mark::Open), false, None, now),
            TableState::Occupied
        );
    }
}
