//! NAS: the routers allowed to talk RADIUS to us, each known by its source address.

use std::net::IpAddr;
use std::str::FromStr;

use ipnetwork::IpNetwork;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::audit::{self, Actor, Change};
use crate::branches::{self, Scope};
use crate::error::{Error, Result, conflict_if_unique};
use crate::generations::{self, Generation};
use crate::secret::Secret;
use crate::store::{Store, flag};
use crate::{clock, tenants::Tenant};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Nas {
    pub id: i64,
    pub tenant_id: i64,
    pub branch_id: Option<i64>,
    pub name: String,
    /// Source addresses this router's requests come from.
    pub address: IpNetwork,
    pub secret: Secret,
    /// Drop requests from this router that lack a Message-Authenticator (BlastRADIUS).
    pub require_message_authenticator: bool,
    /// Port of the router's `/radius incoming` (Disconnect/CoA).
    pub coa_port: u16,
}

/// What `add` needs; the address may be a bare IP (`/32` or `/128` is implied).
#[derive(Debug, Clone)]
pub struct NewNas {
    pub name: String,
    pub address: String,
    pub secret: Secret,
    pub require_message_authenticator: bool,
    pub branch: Option<String>,
    pub coa_port: Option<u16>,
}

macro_rules! columns {
    () => {
        "id, tenant_id, branch_id, name, address, secret, require_message_authenticator, coa_port"
    };
}

impl Nas {
    fn from_row(row: &AnyRow) -> Result<Nas> {
        let address: String = row.try_get("address")?;
        Ok(Nas {
            id: row.try_get("id")?,
            tenant_id: row.try_get("tenant_id")?,
            branch_id: row.try_get("branch_id")?,
            name: row.try_get("name")?,
            address: parse_address(&address)?,
            secret: Secret::new(row.try_get::<String, _>("secret")?),
            require_message_authenticator: flag(row, "require_message_authenticator")?,
            coa_port: u16::try_from(row.try_get::<i64, _>("coa_port")?).unwrap_or(3799),
        })
    }
}

/// `10.0.0.1` → `10.0.0.1/32`; `10.0.0.7/24` → `10.0.0.0/24` (one spelling per network,
/// so the uniqueness constraint catches duplicates however they are written).
pub fn parse_address(text: &str) -> Result<IpNetwork> {
    let text = text.trim();
    let bad = || {
        Error::invalid(format!(
            "{text:?} is not an IP address or CIDR (e.g. 192.0.2.10 or 192.0.2.0/24)"
        ))
    };
    let net = match IpAddr::from_str(text) {
        Ok(ip) => IpNetwork::from(ip),
        Err(_) => IpNetwork::from_str(text).map_err(|_| bad())?,
    };
    IpNetwork::new(net.network(), net.prefix()).map_err(|_| bad())
}

pub async fn add(store: &Store, tenant: &Tenant, new: NewNas) -> Result<Nas> {
    add_by(store, tenant, new, None).await
}

/// [`add`], recording in the audit log who did it.
pub async fn add_audited(store: &Store, tenant: &Tenant, new: NewNas, actor: Actor) -> Result<Nas> {
    add_by(store, tenant, new, Some(actor)).await
}

/// A router's name, trimmed, if it is one we accept.
pub fn check_name(name: &str) -> Result<&str> {
    let name = name.trim();
    if name.is_empty() || name.len() > 64 {
        return Err(Error::invalid("NAS name must be 1 to 64 characters"));
    }
    Ok(name)
}

/// Refuses a shared secret RADIUS cannot use.
pub fn check_secret(secret: &Secret) -> Result<()> {
    let len = secret.expose().len();
    if len == 0 || len > 128 {
        return Err(Error::invalid("shared secret must be 1 to 128 characters"));
    }
    if len < 12 {
        tracing::warn!("a shared secret is shorter than 12 characters");
    }
    Ok(())
}

/// A unique-constraint failure as the duplicate it is.
fn taken(e: sqlx::Error, name: &str, address: &IpNetwork) -> Error {
    conflict_if_unique(e, || {
        format!("a NAS named {name:?} or with address {address} already exists")
    })
}

async fn add_by(store: &Store, tenant: &Tenant, new: NewNas, actor: Option<Actor>) -> Result<Nas> {
    let name = check_name(&new.name)?;
    let address = parse_address(&new.address)?;
    check_secret(&new.secret)?;
    let secret = new.secret.expose();
    let branch_id = match &new.branch {
        Some(b) => Some(branches::by_name(store, tenant, b).await?.id),
        None => None,
    };
    let sql = concat!(
        "INSERT INTO nas (tenant_id, branch_id, name, address, secret, \
         require_message_authenticator, coa_port, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING ",
        columns!(),
        ""
    );
    let mut tx = store.begin().await?;
    let row = sqlx::query(sql)
        .bind(tenant.id)
        .bind(branch_id)
        .bind(name)
        .bind(address.to_string())
        .bind(secret)
        .bind(new.require_message_authenticator)
        .bind(i64::from(new.coa_port.unwrap_or(3799)))
        .bind(clock::now())
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| taken(e, name, &address))?;
    generations::bump(&mut *tx, Generation::Nas).await?;
    let nas = Nas::from_row(&row)?;
    if let Some(actor) = actor {
        let change = Change {
            tenant_id: Some(tenant.id),
            action: "nas.add",
            entity: "nas",
            entity_id: Some(nas.id),
            before: None,
            after: Some(nas.audited()),
        };
        audit::record(&mut *tx, actor, &change).await?;
    }
    tx.commit().await?;
    Ok(nas)
}

impl Nas {
    /// The router as the audit log shows it: the secret stays out of the log.
    fn audited(&self) -> serde_json::Value {
        serde_json::json!({
            "name": self.name,
            "address": self.address.to_string(),
            "branch_id": self.branch_id,
            "coa_port": self.coa_port,
            "require_message_authenticator": self.require_message_authenticator,
        })
    }
}

/// What the panel may change on a router.
#[derive(Debug, Clone)]
pub struct NasChange {
    pub name: String,
    pub address: String,
    /// A new shared secret; `None` keeps the old one.
    pub secret: Option<Secret>,
    pub require_message_authenticator: bool,
    /// One of the tenant's branches, or none.
    pub branch_id: Option<i64>,
}

/// Changes a router of this tenant; RADIUS nodes reload routers within a second (the
/// NAS generation moves in the same transaction).
pub async fn update(
    store: &Store,
    tenant: &Tenant,
    id: i64,
    change: &NasChange,
    actor: Actor,
) -> Result<Nas> {
    let before = in_tenant(store, tenant, id).await?;
    let name = check_name(&change.name)?;
    let address = parse_address(&change.address)?;
    if let Some(secret) = &change.secret {
        check_secret(secret)?;
    }
    if let Some(branch) = change.branch_id {
        branches::by_id(store, tenant, branch).await?;
    }
    let secret = change.secret.as_ref().unwrap_or(&before.secret).expose();
    let mut tx = store.begin().await?;
    sqlx::query(
        "UPDATE nas SET name = $1, address = $2, secret = $3, require_message_authenticator = $4, \
         branch_id = $5 WHERE id = $6 AND tenant_id = $7",
    )
    .bind(name)
    .bind(address.to_string())
    .bind(secret)
    .bind(change.require_message_authenticator)
    .bind(change.branch_id)
    .bind(id)
    .bind(tenant.id)
    .execute(&mut *tx)
    .await
    .map_err(|e| taken(e, name, &address))?;
    generations::bump(&mut *tx, Generation::Nas).await?;
    let after = Nas {
        name: name.to_string(),
        address,
        secret: Secret::new(secret),
        require_message_authenticator: change.require_message_authenticator,
        branch_id: change.branch_id,
        ..before.clone()
    };
    let mut after_json = after.audited();
    after_json["secret_rotated"] = change.secret.is_some().into();
    let record = Change {
        tenant_id: Some(tenant.id),
        action: "nas.update",
        entity: "nas",
        entity_id: Some(id),
        before: Some(before.audited()),
        after: Some(after_json),
    };
    audit::record(&mut *tx, actor, &record).await?;
    tx.commit().await?;
    Ok(after)
}

/// Removes a router of this tenant. Its row stays (renamed, address freed), so the
/// sessions and history that name it survive; its open sessions are closed.
pub async fn remove_by_id(store: &Store, tenant: &Tenant, id: i64, actor: Actor) -> Result<()> {
    let before = in_tenant(store, tenant, id).await?;
    let now = clock::now();
    let mut tx = store.begin().await?;
    // The new name and address carry the row's id, so they clash with nothing: not with
    // another removed router, and `removed-…` is no address a live router can have.
    sqlx::query(
        "UPDATE nas SET removed_at = $3, name = name || ' #' || CAST(id AS TEXT), \
         address = 'removed-' || CAST(id AS TEXT) \
         WHERE tenant_id = $1 AND id = $2 AND removed_at IS NULL",
    )
    .bind(tenant.id)
    .bind(id)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "UPDATE sessions SET stopped_at = $2, updated_at = $2, terminate_cause = 'NAS-Removed' \
         WHERE nas_id = $1 AND stopped_at IS NULL",
    )
    .bind(id)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    generations::bump(&mut *tx, Generation::Nas).await?;
    generations::bump(&mut *tx, Generation::Sessions).await?;
    let record = Change {
        tenant_id: Some(tenant.id),
        action: "nas.remove",
        entity: "nas",
        entity_id: Some(id),
        before: Some(before.audited()),
        after: None,
    };
    audit::record(&mut *tx, actor, &record).await?;
    tx.commit().await?;
    Ok(())
}

/// One of this tenant's routers by id (another tenant's is not found).
pub async fn in_tenant(store: &Store, tenant: &Tenant, id: i64) -> Result<Nas> {
    let sql = concat!(
        "SELECT ",
        columns!(),
        " FROM nas WHERE tenant_id = $1 AND id = $2 AND removed_at IS NULL"
    );
    let row = sqlx::query(sql)
        .bind(tenant.id)
        .bind(id)
        .fetch_optional(store.pool())
        .await?
        .ok_or_else(|| Error::NotFound(format!("NAS #{id}")))?;
    Nas::from_row(&row)
}

pub async fn list(store: &Store, tenant: &Tenant) -> Result<Vec<Nas>> {
    list_in(store, tenant, &Scope::Every).await
}

/// The tenant's routers in the branches of `scope`.
pub async fn list_in(store: &Store, tenant: &Tenant, scope: &Scope) -> Result<Vec<Nas>> {
    let sql = format!(
        concat!(
            "SELECT ",
            columns!(),
            " FROM nas WHERE tenant_id = $1 AND removed_at IS NULL AND {} ORDER BY name"
        ),
        scope.condition("branch_id")
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(tenant.id)
        .fetch_all(store.pool())
        .await?;
    rows.iter().map(Nas::from_row).collect()
}

/// Every tenant's routers: what the RADIUS server loads into its registry.
pub async fn all(store: &Store) -> Result<Vec<Nas>> {
    let sql = concat!(
        "SELECT ",
        columns!(),
        " FROM nas WHERE removed_at IS NULL ORDER BY id"
    );
    let rows = sqlx::query(sql).fetch_all(store.pool()).await?;
    rows.iter().map(Nas::from_row).collect()
}

pub async fn by_name(store: &Store, tenant: &Tenant, name: &str) -> Result<Nas> {
    let sql = concat!(
        "SELECT ",
        columns!(),
        " FROM nas WHERE tenant_id = $1 AND name = $2 AND removed_at IS NULL"
    );
    let row = sqlx::query(sql)
        .bind(tenant.id)
        .bind(name.trim())
        .fetch_optional(store.pool())
        .await?
        .ok_or_else(|| Error::NotFound(format!("NAS {:?}", name.trim())))?;
    Nas::from_row(&row)
}

/// A router by id, whichever tenant (the portal learns the id from the router's page).
pub async fn by_id(store: &Store, id: i64) -> Result<Nas> {
    let sql = concat!(
        "SELECT ",
        columns!(),
        " FROM nas WHERE id = $1 AND removed_at IS NULL"
    );
    let row = sqlx::query(sql)
        .bind(id)
        .fetch_optional(store.pool())
        .await?
        .ok_or_else(|| Error::NotFound(format!("NAS #{id}")))?;
    Nas::from_row(&row)
}

/// [`remove_by_id`] by name, from the command line.
pub async fn remove(store: &Store, tenant: &Tenant, name: &str) -> Result<()> {
    let nas = by_name(store, tenant, name).await?;
    remove_by_id(store, tenant, nas.id, Actor::CLI).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_have_one_spelling() {
        assert_eq!(
            parse_address("10.0.0.1").unwrap().to_string(),
            "10.0.0.1/32"
        );
        assert_eq!(
            parse_address(" 10.0.0.7/24 ").unwrap().to_string(),
            "10.0.0.0/24"
        );
        assert_eq!(
            parse_address("2001:db8::1").unwrap().to_string(),
            "2001:db8::1/128"
        );
        for bad in ["", "10.0.0", "10.0.0.1/33", "router.local", "10.0.0.1/-1"] {
            assert!(parse_address(bad).is_err(), "{bad}");
        }
    }
}
