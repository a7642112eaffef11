//! Services of appointment businesses: a haircut lasting 30 minutes that two of the
//! barbers perform. A booking for a service holds one of its resources for the
//! service's duration (plus the branch's buffer) instead of the stay by party size.

use serde_json::json;

use super::resources::{self, Resource};
use crate::audit::{self, Actor, Change};
use crate::branches::Branch;
use crate::error::{Error, Result, conflict_if_unique};
use crate::store::Store;
use crate::tenants::Tenant;
use crate::{clock, text};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Service {
    pub id: i64,
    pub branch_id: i64,
    /// The Persian name (unique in the branch).
    pub name: String,
    pub name_en: Option<String>,
    /// Minutes, a multiple of 5.
    pub duration: i64,
    /// Rials; `None` = not shown.
    pub price: Option<i64>,
    /// Ids of the resources that perform it.
    pub resources: Vec<i64>,
}

impl Service {
    /// The name in `lang` (`en` falls back to the Persian name).
    pub fn label(&self, lang: &str) -> &str {
        match (lang, &self.name_en) {
            ("en", Some(en)) => en,
            _ => &self.name,
        }
    }

    fn shape(&self) -> serde_json::Value {
        json!({
            "name": self.name, "name_en": self.name_en, "duration": self.duration,
            "price": self.price, "resources": self.resources,
        })
    }
}

/// A service to add or the new values of one; `resources` are resource names.
#[derive(Debug, Clone, Default)]
pub struct NewService {
    pub name: String,
    pub name_en: Option<String>,
    pub duration: i64,
    pub price: Option<i64>,
    pub resources: Vec<String>,
}

/// `new` checked against the branch's resources: names normalised, resources resolved.
fn check(new: &NewService, existing: &[Resource], branch: &Branch) -> Result<Service> {
    let name = text::normalize_name(&new.name);
    let name_en = new
        .name_en
        .as_deref()
        .map(text::normalize_name)
        .filter(|n| !n.is_empty());
    if name.is_empty()
        || name.chars().count() > 60
        || name_en.as_ref().is_some_and(|n| n.chars().count() > 60)
    {
        return Err(Error::invalid("a service name must be 1 to 60 characters"));
    }
    if !(5..=1440).contains(&new.duration) || new.duration % 5 != 0 {
        return Err(Error::invalid(format!(
            "a service lasts a multiple of 5 minutes between 5 and 1440, not {}",
            new.duration
        )));
    }
    if new
        .price
        .is_some_and(|p| !(0..=1_000_000_000_000).contains(&p))
    {
        return Err(Error::invalid("the price must be 0 or more rials"));
    }
    let mut ids = Vec::new();
    for wanted in new
        .resources
        .iter()
        .map(|n| n.trim())
        .filter(|n| !n.is_empty())
    {
        let found = existing
            .iter()
            .find(|r| r.name == wanted)
            .ok_or_else(|| Error::NotFound(format!("{wanted:?} in {}", branch.name)))?;
        if found.kind == resources::Kind::Table {
            return Err(Error::invalid(format!(
                "{wanted:?} is a table: services are performed by staff, chairs or rooms"
            )));
        }
        if !ids.contains(&found.id) {
            ids.push(found.id);
        }
    }
    if ids.is_empty() {
        return Err(Error::invalid(
            "name at least one staff member, chair or room who performs the service",
        ));
    }
    Ok(Service {
        id: 0,
        branch_id: branch.id,
        name,
        name_en,
        duration: new.duration,
        price: new.price,
        resources: ids,
    })
}

/// A service row: id, name, English name, minutes, price.
type Row = (i64, String, Option<String>, i64, Option<i64>);

/// The branch's services by name, with who performs each.
pub async fn list(store: &Store, tenant: &Tenant, branch: &Branch) -> Result<Vec<Service>> {
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT id, name, name_en, duration, price FROM reservation_services \
         WHERE tenant_id = $1 AND branch_id = $2 ORDER BY name, id",
    )
    .bind(tenant.id)
    .bind(branch.id)
    .fetch_all(store.pool())
    .await?;
    let performers: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT sr.service_id, sr.resource_id FROM reservation_service_resources sr \
         JOIN reservation_services s ON s.id = sr.service_id \
         WHERE sr.tenant_id = $1 AND s.branch_id = $2 ORDER BY sr.resource_id",
    )
    .bind(tenant.id)
    .bind(branch.id)
    .fetch_all(store.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, name, name_en, duration, price)| Service {
            id,
            branch_id: branch.id,
            name,
            name_en,
            duration,
            price,
            resources: performers
                .iter()
                .filter(|(s, _)| *s == id)
                .map(|&(_, r)| r)
                .collect(),
        })
        .collect())
}

/// One service of the branch.
pub async fn get(store: &Store, tenant: &Tenant, branch: &Branch, id: i64) -> Result<Service> {
    list(store, tenant, branch)
        .await?
        .into_iter()
        .find(|s| s.id == id)
        .ok_or_else(|| Error::NotFound(format!("service #{id} in {}", branch.name)))
}

async fn write_performers(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    tenant: &Tenant,
    id: i64,
    resources: &[i64],
) -> Result<()> {
    sqlx::query("DELETE FROM reservation_service_resources WHERE service_id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    for &r in resources {
        sqlx::query(
            "INSERT INTO reservation_service_resources (service_id, resource_id, tenant_id) \
             VALUES ($1, $2, $3)",
        )
        .bind(id)
        .bind(r)
        .bind(tenant.id)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// Writes the audit entry of a change to service `id` inside its transaction.
async fn audited(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    tenant: &Tenant,
    actor: Actor,
    action: &str,
    id: i64,
    before: Option<&Service>,
    after: Option<&Service>,
) -> Result<()> {
    let change = Change {
        tenant_id: Some(tenant.id),
        action,
        entity: "service",
        entity_id: Some(id),
        before: before.map(Service::shape),
        after: after.map(Service::shape),
    };
    audit::record(&mut **tx, actor, &change).await
}

/// Adds a service (audited).
pub async fn add(
    store: &Store,
    tenant: &Tenant,
    branch: &Branch,
    actor: Actor,
    new: &NewService,
) -> Result<Service> {
    let existing = resources::list(store, tenant, branch).await?;
    let mut service = check(new, &existing, branch)?;
    let mut tx = store.begin().await?;
    service.id = sqlx::query_scalar(
        "INSERT INTO reservation_services (tenant_id, branch_id, name, name_en, duration, price, \
         created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(tenant.id)
    .bind(branch.id)
    .bind(&service.name)
    .bind(&service.name_en)
    .bind(service.duration)
    .bind(service.price)
    .bind(clock::now())
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| {
        conflict_if_unique(e, || {
            format!(
                "service {:?} already exists in {}",
                service.name, branch.name
            )
        })
    })?;
    write_performers(&mut tx, tenant, service.id, &service.resources).await?;
    audited(
        &mut tx,
        tenant,
        actor,
        "service.add",
        service.id,
        None,
        Some(&service),
    )
    .await?;
    tx.commit().await?;
    Ok(service)
}

/// Changes a service (audited). Bookings already made keep their times and resources.
pub async fn update(
    store: &Store,
    tenant: &Tenant,
    branch: &Branch,
    actor: Actor,
    id: i64,
    new: &NewService,
) -> Result<Service> {
    let before = get(store, tenant, branch, id).await?;
    let existing = resources::list(store, tenant, branch).await?;
    let service = Service {
        id,
        ..check(new, &existing, branch)?
    };
    let mut tx = store.begin().await?;
    sqlx::query(
        "UPDATE reservation_services SET name = $4, name_en = $5, duration = $6, price = $7 \
         WHERE tenant_id = $1 AND branch_id = $2 AND id = $3",
    )
    .bind(tenant.id)
    .bind(branch.id)
    .bind(id)
    .bind(&service.name)
    .bind(&service.name_en)
    .bind(service.duration)
    .bind(service.price)
    .execute(&mut *tx)
    .await
    .map_err(|e| {
        conflict_if_unique(e, || {
            format!(
                "service {:?} already exists in {}",
                service.name, branch.name
            )
        })
    })?;
    write_performers(&mut tx, tenant, id, &service.resources).await?;
    audited(
        &mut tx,
        tenant,
        actor,
        "service.update",
        id,
        Some(&before),
        Some(&service),
    )
    .await?;
    tx.commit().await?;
    Ok(service)
}

/// Removes a service (audited); its bookings stay, without a service.
pub async fn remove(
    store: &Store,
    tenant: &Tenant,
    branch: &Branch,
    actor: Actor,
    id: i64,
) -> Result<()> {
    let before = get(store, tenant, branch, id).await?;
    let mut tx = store.begin().await?;
    sqlx::query(
        "DELETE FROM reservation_services WHERE tenant_id = $1 AND branch_id = $2 AND id = $3",
    )
    .bind(tenant.id)
    .bind(branch.id)
    .bind(id)
    .execute(&mut *tx)
    .await?;
    audited(
        &mut tx,
        tenant,
        actor,
        "service.remove",
        id,
        Some(&before),
        None,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
