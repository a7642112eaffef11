//! Bookable resources of a branch: tables (number, party range, zone, which tables they
//! join with) and, for appointments, staff, chairs and rooms with working hours.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use sqlx::Row;
use sqlx::any::AnyRow;

use serde_json::json;

use super::availability::Table;
use crate::audit::{self, Actor, Change};
use crate::branches::Branch;
use crate::error::{Error, Result, conflict_if_unique};
use crate::groups::AllowedHours;
use crate::store::{Store, flag};
use crate::tenants::Tenant;
use crate::{clock, text};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Table,
    Staff,
    Chair,
    Room,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Table => "table",
            Kind::Staff => "staff",
            Kind::Chair => "chair",
            Kind::Room => "room",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Kind {
    type Err = Error;
    fn from_str(s: &str) -> Result<Kind> {
        [Kind::Table, Kind::Staff, Kind::Chair, Kind::Room]
            .into_iter()
            .find(|k| k.as_str() == s.trim())
            .ok_or_else(|| {
                Error::invalid(format!(
                    "unknown resource kind {s:?}: expected table, staff, chair or room"
                ))
            })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resource {
    pub id: i64,
    pub branch_id: i64,
    pub kind: Kind,
    /// Table number or name, unique in the branch.
    pub name: String,
    pub min_party: i64,
    pub max_party: i64,
    /// Where it is: a floor, the terrace…
    pub zone: Option<String>,
    pub working_hours: Option<String>,
    pub active: bool,
    /// Ids of the resources it joins with.
    pub joinable: Vec<i64>,
    /// Its own closed local dates (`YYYYMMDD`), e.g. a staff member's days off.
    pub closed: BTreeSet<i64>,
}

impl Resource {
    fn from_row(row: &AnyRow) -> Result<Resource, sqlx::Error> {
        let kind: String = row.try_get("kind")?;
        Ok(Resource {
            id: row.try_get("id")?,
            branch_id: row.try_get("branch_id")?,
            kind: kind
                .parse()
                .map_err(|e: Error| sqlx::Error::Decode(e.to_string().into()))?,
            name: row.try_get("name")?,
            min_party: row.try_get("min_party")?,
            max_party: row.try_get("max_party")?,
            zone: row.try_get("zone")?,
            working_hours: row.try_get("working_hours")?,
            active: flag(row, "active")?,
            joinable: Vec::new(),
            closed: BTreeSet::new(),
        })
    }

    /// What availability needs of it.
    pub fn table(&self) -> Result<Table> {
        Ok(Table {
            id: self.id,
            min_party: self.min_party,
            max_party: self.max_party,
            joinable: self.joinable.clone(),
            hours: self
                .working_hours
                .as_deref()
                .map(str::parse::<AllowedHours>)
                .transpose()?,
            closed: self.closed.clone(),
        })
    }

    /// What the audit log keeps of it.
    fn shape(&self) -> serde_json::Value {
        json!({
            "name": self.name, "min": self.min_party, "max": self.max_party, "zone": self.zone,
            "working_hours": self.working_hours, "joins": self.joinable, "closed": self.closed,
        })
    }
}

/// A resource to add; `joinable` names existing resources of the same branch.
#[derive(Debug, Clone)]
pub struct NewResource {
    pub kind: Kind,
    pub name: String,
    pub min_party: i64,
    pub max_party: i64,
    pub zone: Option<String>,
    pub working_hours: Option<String>,
    pub joinable: Vec<String>,
}

/// A resource's fields checked and normalised, joins resolved to ids.
struct Checked {
    name: String,
    zone: Option<String>,
    working_hours: Option<String>,
    joins: Vec<i64>,
}

/// Checks `new` against the branch's other resources (`except` = the one being edited).
fn check(
    new: &NewResource,
    existing: &[Resource],
    branch: &Branch,
    except: Option<i64>,
) -> Result<Checked> {
    let name = new.name.trim();
    if name.is_empty() || name.chars().count() > 50 {
        return Err(Error::invalid(
            "a table name or number must be 1 to 50 characters",
        ));
    }
    if new.min_party < 1 || new.max_party < new.min_party || new.max_party > 100 {
        return Err(Error::invalid(format!(
            "party range {}-{} is not valid: 1 ≤ min ≤ max ≤ 100",
            new.min_party, new.max_party
        )));
    }
    let working_hours = new
        .working_hours
        .as_deref()
        .map(str::trim)
        .filter(|h| !h.is_empty())
        .map(|h| {
            h.parse::<AllowedHours>().map(|h| h.to_string()).map_err(|e| {
                Error::invalid(format!(
                    "working hours {h:?}: {e} (e.g. \"sat-wed 09:00-13:00; sat-wed 14:00-18:00\")"
                ))
            })
        })
        .transpose()?;
    let zone = new
        .zone
        .as_deref()
        .map(text::normalize_name)
        .filter(|z| !z.is_empty());
    let mut joins = Vec::new();
    for other in new
        .joinable
        .iter()
        .map(|o| o.trim())
        .filter(|o| !o.is_empty())
    {
        let found = existing
            .iter()
            .find(|r| r.name == other)
            .ok_or_else(|| Error::NotFound(format!("table {other:?} in {}", branch.name)))?;
        if Some(found.id) == except {
            return Err(Error::invalid(format!("{other:?} cannot join itself")));
        }
        if !joins.contains(&found.id) {
            joins.push(found.id);
        }
    }
    Ok(Checked {
        name: name.to_string(),
        zone,
        working_hours,
        joins,
    })
}

pub async fn add(
    store: &Store,
    tenant: &Tenant,
    branch: &Branch,
    new: &NewResource,
) -> Result<Resource> {
    let existing = list(store, tenant, branch).await?;
    let Checked {
        name,
        zone,
        working_hours,
        joins,
    } = check(new, &existing, branch, None)?;
    let name = name.as_str();
    let mut tx = store.begin().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO reservation_resources (tenant_id, branch_id, kind, name, min_party, \
         max_party, zone, working_hours, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
    )
    .bind(tenant.id)
    .bind(branch.id)
    .bind(new.kind.as_str())
    .bind(name)
    .bind(new.min_party)
    .bind(new.max_party)
    .bind(zone)
    .bind(working_hours)
    .bind(clock::now())
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| conflict_if_unique(e, || format!("{name:?} already exists in {}", branch.name)))?;
    for other in joins {
        sqlx::query(
            "INSERT INTO reservation_joins (tenant_id, a_id, b_id) VALUES ($1, $2, $3) \
             ON CONFLICT (a_id, b_id) DO NOTHING",
        )
        .bind(tenant.id)
        .bind(id.min(other))
        .bind(id.max(other))
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    list(store, tenant, branch)
        .await?
        .into_iter()
        .find(|r| r.id == id)
        .ok_or_else(|| Error::NotFound(format!("resource #{id}")))
}

/// The branch's resources (active or not) by name, with whom each joins.
pub async fn list(store: &Store, tenant: &Tenant, branch: &Branch) -> Result<Vec<Resource>> {
    let rows = sqlx::query(
        "SELECT id, branch_id, kind, name, min_party, max_party, zone, working_hours, active \
         FROM reservation_resources WHERE tenant_id = $1 AND branch_id = $2 ORDER BY id",
    )
    .bind(tenant.id)
    .bind(branch.id)
    .fetch_all(store.pool())
    .await?;
    let mut resources = rows
        .iter()
        .map(Resource::from_row)
        .collect::<Result<Vec<_>, _>>()?;
    let pairs: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT j.a_id, j.b_id FROM reservation_joins j \
         JOIN reservation_resources r ON r.id = j.a_id \
         WHERE j.tenant_id = $1 AND r.branch_id = $2",
    )
    .bind(tenant.id)
    .bind(branch.id)
    .fetch_all(store.pool())
    .await?;
    let closed: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT c.resource_id, c.day FROM reservation_resource_closed_dates c \
         JOIN reservation_resources r ON r.id = c.resource_id \
         WHERE c.tenant_id = $1 AND r.branch_id = $2",
    )
    .bind(tenant.id)
    .bind(branch.id)
    .fetch_all(store.pool())
    .await?;
    for r in &mut resources {
        r.closed = closed
            .iter()
            .filter(|(id, _)| *id == r.id)
            .map(|&(_, day)| day)
            .collect();
        r.joinable = pairs
            .iter()
            .filter_map(|&(a, b)| match r.id {
                id if id == a => Some(b),
                id if id == b => Some(a),
                _ => None,
            })
            .collect();
    }
    Ok(resources)
}

/// Takes a resource out of (or back into) service; its bookings stay as they are.
pub async fn set_active(
    store: &Store,
    tenant: &Tenant,
    branch: &Branch,
    name: &str,
    active: bool,
) -> Result<()> {
    let done = sqlx::query(
        "UPDATE reservation_resources SET active = $4 WHERE tenant_id = $1 AND branch_id = $2 AND name = $3",
    )
    .bind(tenant.id)
    .bind(branch.id)
    .bind(name.trim())
    .bind(active)
    .execute(store.pool())
    .await?;
    if done.rows_affected() == 0 {
        return Err(Error::NotFound(format!(
            "table {:?} in {}",
            name.trim(),
            branch.name
        )));
    }
    Ok(())
}

/// A live booking a change to a resource would break: it could no longer hold it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Blocked {
    pub booking_id: i64,
    pub name: Option<String>,
    pub party: i64,
    pub starts_at: i64,
    pub time_zone: String,
}

impl Blocked {
    fn error(&self) -> Error {
        Error::Conflict(format!(
            "booking #{} ({} people at {} {}) could no longer have this table; move or \
             cancel it first",
            self.booking_id,
            self.party,
            clock::Zone::named(&self.time_zone)
                .map(|z| {
                    let day = z.day_key(self.starts_at);
                    format!(
                        "{:04}-{:02}-{:02} {}",
                        day / 10_000,
                        day / 100 % 100,
                        day % 100,
                        z.hh_mm(self.starts_at)
                    )
                })
                .unwrap_or_else(|_| self.starts_at.to_string()),
            self.time_zone,
        ))
    }
}

/// Whether `set` (the tables one booking holds) can still seat `party`: a single table
/// whose range holds it, or joined tables (each joined to another of them) whose
/// capacities add up.
fn still_seats(set: &[&Table], party: i64) -> bool {
    match set {
        [] => false,
        [one] => (one.min_party..=one.max_party).contains(&party),
        many => {
            many.iter().map(|t| t.max_party).sum::<i64>() >= party
                && many.iter().all(|t| {
                    many.iter().any(|o| {
                        o.id != t.id && (t.joinable.contains(&o.id) || o.joinable.contains(&t.id))
                    })
                })
        }
    }
}

/// The first live booking (not over at `now`) on resource `id` that the branch's
/// resources as `after` could no longer hold: party outside the range, a join it
/// uses gone, outside the new working hours or on a day off.
async fn first_broken(
    conn: &mut sqlx::AnyConnection,
    tenant: &Tenant,
    after: &[Table],
    id: i64,
    now: i64,
) -> Result<Option<Blocked>> {
    let rows: Vec<(i64, Option<String>, i64, i64, i64, String)> = sqlx::query_as(
        "SELECT b.id, b.name, b.party, b.starts_at, b.ends_at, b.time_zone FROM bookings b \
         JOIN booking_resources br ON br.booking_id = b.id \
         WHERE b.tenant_id = $1 AND br.resource_id = $2 AND b.ends_at > $3 \
         AND b.status IN ('booked', 'confirmed', 'seated') ORDER BY b.starts_at, b.id",
    )
    .bind(tenant.id)
    .bind(id)
    .bind(now)
    .fetch_all(&mut *conn)
    .await?;
    let Some(edited) = after.iter().find(|t| t.id == id) else {
        return Ok(None);
    };
    for (booking, name, party, starts_at, ends_at, zone) in rows {
        let held: Vec<i64> =
            sqlx::query_scalar("SELECT resource_id FROM booking_resources WHERE booking_id = $1")
                .bind(booking)
                .fetch_all(&mut *conn)
                .await?;
        let set: Vec<&Table> = after.iter().filter(|t| held.contains(&t.id)).collect();
        let zone_of = clock::Zone::named(&zone)?;
        if !still_seats(&set, party) || !edited.works(&zone_of, starts_at, ends_at - starts_at) {
            return Ok(Some(Blocked {
                booking_id: booking,
                name,
                party,
                starts_at,
                time_zone: zone,
            }));
        }
    }
    Ok(None)
}

/// The branch's resources as availability sees them, with resource `id` as `checked`.
fn tables_after(
    existing: &[Resource],
    id: i64,
    checked: &Checked,
    new: &NewResource,
) -> Result<Vec<Table>> {
    existing
        .iter()
        .map(|r| {
            let mut t = r.table()?;
            if r.id == id {
                t.min_party = new.min_party;
                t.max_party = new.max_party;
                t.joinable = checked.joins.clone();
                t.hours = checked
                    .working_hours
                    .as_deref()
                    .map(str::parse::<AllowedHours>)
                    .transpose()?;
            } else {
                // Joins are symmetric: the others lose or gain the edited one too.
                t.joinable.retain(|&j| j != id);
                if checked.joins.contains(&r.id) {
                    t.joinable.push(id);
                }
            }
            Ok(t)
        })
        .collect()
}

fn find(existing: &[Resource], branch: &Branch, id: i64) -> Result<Resource> {
    existing
        .iter()
        .find(|r| r.id == id)
        .cloned()
        .ok_or_else(|| Error::NotFound(format!("resource #{id} in {}", branch.name)))
}

/// Edits resource `id` of the branch (name, party range, zone, working hours with
/// breaks as gaps, the tables it joins), audited (`table.update`) in the same
/// transaction. Refused (`Conflict`, naming the booking) when a live booking not over
/// at `now` could no longer hold it. Availability uses the edit at once.
pub async fn update(
    store: &Store,
    tenant: &Tenant,
    branch: &Branch,
    actor: Actor,
    id: i64,
    new: &NewResource,
    now: i64,
) -> Result<Resource> {
    let existing = list(store, tenant, branch).await?;
    let before = find(&existing, branch, id)?;
    let checked = check(new, &existing, branch, Some(id))?;
    let after = tables_after(&existing, id, &checked, new)?;
    let mut tx = store.begin().await?;
    // The write first: SQLite takes its lock before the bookings are read.
    sqlx::query(
        "UPDATE reservation_resources SET name = $4, min_party = $5, max_party = $6, zone = $7, \
         working_hours = $8 WHERE tenant_id = $1 AND branch_id = $2 AND id = $3",
    )
    .bind(tenant.id)
    .bind(branch.id)
    .bind(id)
    .bind(&checked.name)
    .bind(new.min_party)
    .bind(new.max_party)
    .bind(&checked.zone)
    .bind(&checked.working_hours)
    .execute(&mut *tx)
    .await
    .map_err(|e| {
        conflict_if_unique(e, || {
            format!("{:?} already exists in {}", checked.name, branch.name)
        })
    })?;
    if let Some(blocked) = first_broken(&mut tx, tenant, &after, id, now).await? {
        return Err(blocked.error());
    }
    sqlx::query("DELETE FROM reservation_joins WHERE tenant_id = $1 AND (a_id = $2 OR b_id = $2)")
        .bind(tenant.id)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    for &other in &checked.joins {
        sqlx::query("INSERT INTO reservation_joins (tenant_id, a_id, b_id) VALUES ($1, $2, $3)")
            .bind(tenant.id)
            .bind(id.min(other))
            .bind(id.max(other))
            .execute(&mut *tx)
            .await?;
    }
    let updated = Resource {
        name: checked.name.clone(),
        min_party: new.min_party,
        max_party: new.max_party,
        zone: checked.zone.clone(),
        working_hours: checked.working_hours.clone(),
        joinable: checked.joins.clone(),
        ..before.clone()
    };
    let change = Change {
        tenant_id: Some(tenant.id),
        action: "table.update",
        entity: "table",
        entity_id: Some(id),
        before: Some(before.shape()),
        after: Some(updated.shape()),
    };
    audit::record(&mut *tx, actor, &change).await?;
    tx.commit().await?;
    find(&list(store, tenant, branch).await?, branch, id)
}

/// The first live booking a change to resource `id` would break (the panel names it
/// before saving; `update` refuses it at save time all the same).
pub async fn breaking_booking(
    store: &Store,
    tenant: &Tenant,
    branch: &Branch,
    id: i64,
    new: &NewResource,
    now: i64,
) -> Result<Option<Blocked>> {
    let existing = list(store, tenant, branch).await?;
    let checked = check(new, &existing, branch, Some(id))?;
    let after = tables_after(&existing, id, &checked, new)?;
    let mut conn = store.pool().acquire().await?;
    first_broken(&mut conn, tenant, &after, id, now).await
}

/// Closes resource `id` on local date `day` (`YYYYMMDD`; a staff member's day off) or
/// opens it again; audited (`table.closed`). Closing a day a live booking holds it is
/// refused, naming the booking.
#[allow(clippy::too_many_arguments)]
pub async fn set_closed(
    store: &Store,
    tenant: &Tenant,
    branch: &Branch,
    actor: Actor,
    id: i64,
    day: i64,
    closed: bool,
    now: i64,
) -> Result<()> {
    clock::add_days(day, 0)?;
    let existing = list(store, tenant, branch).await?;
    let resource = find(&existing, branch, id)?;
    let mut tx = store.begin().await?;
    // The resource's row first: a booking being saved for it holds this lock, so the
    // check below sees it (or the booking, after us, sees the day off).
    sqlx::query(
        "UPDATE reservation_resources SET active = active WHERE tenant_id = $1 AND id = $2",
    )
    .bind(tenant.id)
    .bind(id)
    .execute(&mut *tx)
    .await?;
    if closed {
        sqlx::query(
            "INSERT INTO reservation_resource_closed_dates (resource_id, tenant_id, day) \
             VALUES ($1, $2, $3) ON CONFLICT (resource_id, day) DO NOTHING",
        )
        .bind(id)
        .bind(tenant.id)
        .bind(day)
        .execute(&mut *tx)
        .await?;
        let after: Vec<Table> = existing
            .iter()
            .map(|r| {
                let mut t = r.table()?;
                if r.id == id {
                    t.closed.insert(day);
                }
                Ok(t)
            })
            .collect::<Result<_>>()?;
        if let Some(blocked) = first_broken(&mut tx, tenant, &after, id, now).await? {
            return Err(blocked.error());
        }
    } else {
        sqlx::query(
            "DELETE FROM reservation_resource_closed_dates WHERE tenant_id = $1 AND resource_id = $2 AND day = $3",
        )
        .bind(tenant.id)
        .bind(id)
        .bind(day)
        .execute(&mut *tx)
        .await?;
    }
    let change = Change {
        tenant_id: Some(tenant.id),
        action: "table.closed",
        entity: "table",
        entity_id: Some(resource.id),
        before: None,
        after: Some(json!({ "name": resource.name, "day": day, "closed": closed })),
    };
    audit::record(&mut *tx, actor, &change).await?;
    tx.commit().await?;
    Ok(())
}

/// The branch of resource `id` of the tenant; `NotFound` for any other id.
pub async fn branch_of(store: &Store, tenant: &Tenant, id: i64) -> Result<i64> {
    sqlx::query_scalar(
        "SELECT branch_id FROM reservation_resources WHERE tenant_id = $1 AND id = $2",
    )
    .bind(tenant.id)
    .bind(id)
    .fetch_optional(store.pool())
    .await?
    .ok_or_else(|| Error::NotFound(format!("resource #{id}")))
}
