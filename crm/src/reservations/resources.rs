//! Bookable resources of a branch: tables (number, party range, zone, which tables they
//! join with) and, for appointments, staff, chairs and rooms with working hours.

use std::fmt;
use std::str::FromStr;

use sqlx::Row;
use sqlx::any::AnyRow;

use super::availability::Table;
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

pub async fn add(
    store: &Store,
    tenant: &Tenant,
    branch: &Branch,
    new: &NewResource,
) -> Result<Resource> {
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
        .map(|h| h.parse::<AllowedHours>().map(|h| h.to_string()))
        .transpose()?;
    let zone = new
        .zone
        .as_deref()
        .map(text::normalize_name)
        .filter(|z| !z.is_empty());
    let existing = list(store, tenant, branch).await?;
    let mut joins = Vec::new();
    for other in &new.joinable {
        let found = existing
            .iter()
            .find(|r| r.name == other.trim())
            .ok_or_else(|| {
                Error::NotFound(format!("table {:?} in {}", other.trim(), branch.name))
            })?;
        joins.push(found.id);
    }
    let mut tx = store.pool().begin().await?;
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
    for r in &mut resources {
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
