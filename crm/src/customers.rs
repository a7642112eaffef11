//! Customers: every phone number that logs in or is added becomes one, per tenant.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::error::{Error, Result, conflict_if_unique};
use crate::generations::{self, Generation};
use crate::phone::Phone;
use crate::store::{Store, flag};
use crate::{clock, groups, tenants::Tenant, text};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Customer {
    pub id: i64,
    pub tenant_id: i64,
    /// E.164, `+989XXXXXXXXX`.
    pub phone: String,
    pub name: Option<String>,
    pub group_id: Option<i64>,
    pub group_name: Option<String>,
    pub disabled: bool,
    pub visits: i64,
    pub created_at: i64,
    pub last_seen_at: Option<i64>,
}

macro_rules! select {
    () => {
        "SELECT c.id, c.tenant_id, c.phone, c.name, c.group_id, g.name AS group_name, \
    c.disabled, c.visits, c.created_at, c.last_seen_at \
    FROM customers c LEFT JOIN groups g ON g.id = c.group_id"
    };
}

impl Customer {
    fn from_row(row: &AnyRow) -> Result<Customer, sqlx::Error> {
        Ok(Customer {
            id: row.try_get("id")?,
            tenant_id: row.try_get("tenant_id")?,
            phone: row.try_get("phone")?,
            name: row.try_get("name")?,
            group_id: row.try_get("group_id")?,
            group_name: row.try_get("group_name")?,
            disabled: flag(row, "disabled")?,
            visits: row.try_get("visits")?,
            created_at: row.try_get("created_at")?,
            last_seen_at: row.try_get("last_seen_at")?,
        })
    }
}

/// Adds a customer; without a group they join the tenant's default guest group.
pub async fn add(
    store: &Store,
    tenant: &Tenant,
    phone: &str,
    name: Option<&str>,
    group: Option<&str>,
) -> Result<Customer> {
    let phone = Phone::parse(phone)?;
    let name = name.map(text::normalize_name).filter(|n| !n.is_empty());
    let group = match group {
        Some(g) => groups::by_name(store, tenant, g).await?,
        None => groups::default_group(store, tenant).await?,
    };
    let mut tx = store.pool().begin().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO customers (tenant_id, phone, name, group_id, created_at) \
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(tenant.id)
    .bind(phone.e164())
    .bind(name)
    .bind(group.id)
    .bind(clock::now())
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| conflict_if_unique(e, || format!("customer {phone} already exists")))?;
    generations::bump(&mut *tx, Generation::Subscribers).await?;
    tx.commit().await?;
    by_id(store, tenant, id).await
}

pub async fn by_id(store: &Store, tenant: &Tenant, id: i64) -> Result<Customer> {
    let sql = concat!(select!(), " WHERE c.tenant_id = $1 AND c.id = $2");
    let row = sqlx::query(sql)
        .bind(tenant.id)
        .bind(id)
        .fetch_optional(store.pool())
        .await?
        .ok_or_else(|| Error::NotFound(format!("customer #{id}")))?;
    Ok(Customer::from_row(&row)?)
}

pub async fn by_phone(store: &Store, tenant: &Tenant, phone: &str) -> Result<Customer> {
    let phone = Phone::parse(phone)?;
    let sql = concat!(select!(), " WHERE c.tenant_id = $1 AND c.phone = $2");
    let row = sqlx::query(sql)
        .bind(tenant.id)
        .bind(phone.e164())
        .fetch_optional(store.pool())
        .await?
        .ok_or_else(|| Error::NotFound(format!("customer {phone}")))?;
    Ok(Customer::from_row(&row)?)
}

/// A page of customers, newest first, optionally filtered by phone digits or name.
#[derive(Debug, Clone, Default)]
pub struct CustomerQuery {
    pub search: Option<String>,
    pub limit: i64,
    pub offset: i64,
}

pub async fn list(store: &Store, tenant: &Tenant, query: &CustomerQuery) -> Result<Vec<Customer>> {
    let limit = query.limit.clamp(1, 1000);
    let offset = query.offset.max(0);
    let rows = match query
        .search
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        None => {
            let sql = concat!(
                select!(),
                " WHERE c.tenant_id = $1 ORDER BY c.id DESC LIMIT $2 OFFSET $3"
            );
            sqlx::query(sql)
                .bind(tenant.id)
                .bind(limit)
                .bind(offset)
                .fetch_all(store.pool())
                .await?
        }
        Some(term) => {
            // A full number matches exactly; otherwise a prefix of the phone or name.
            let digits = Phone::digits_only(term);
            let phone_prefix = match Phone::parse(term) {
                Ok(p) => p.e164().to_string(),
                // No digits: a pattern no stored phone can match.
                Err(_) if digits.is_empty() => "-".to_string(),
                Err(_) => format!("+98{}", digits.trim_start_matches('0')),
            };
            let sql = concat!(
                select!(),
                " WHERE c.tenant_id = $1 AND (c.phone LIKE $2 OR c.name LIKE $3) \
                 ORDER BY c.id DESC LIMIT $4 OFFSET $5"
            );
            sqlx::query(sql)
                .bind(tenant.id)
                .bind(format!("{}%", escape_like(&phone_prefix)))
                .bind(format!("{}%", escape_like(&text::normalize_name(term))))
                .bind(limit)
                .bind(offset)
                .fetch_all(store.pool())
                .await?
        }
    };
    Ok(rows
        .iter()
        .map(Customer::from_row)
        .collect::<Result<_, _>>()?)
}

fn escape_like(s: &str) -> String {
    s.replace(['%', '_'], "")
}

pub async fn count(store: &Store, tenant: &Tenant) -> Result<i64> {
    Ok(
        sqlx::query_scalar("SELECT COUNT(*) FROM customers WHERE tenant_id = $1")
            .bind(tenant.id)
            .fetch_one(store.pool())
            .await?,
    )
}

/// A verified phone came online: creates the customer in the default guest group, or
/// counts a visit for an existing one (whose group stays as it is). `true` = new customer.
pub async fn record_visit(
    store: &Store,
    tenant: &Tenant,
    phone: &Phone,
    now: i64,
) -> Result<(Customer, bool)> {
    let existing: Option<i64> =
        sqlx::query_scalar("SELECT id FROM customers WHERE tenant_id = $1 AND phone = $2")
            .bind(tenant.id)
            .bind(phone.e164())
            .fetch_optional(store.pool())
            .await?;
    if let Some(id) = existing {
        sqlx::query("UPDATE customers SET visits = visits + 1, last_seen_at = $2 WHERE id = $1")
            .bind(id)
            .bind(now)
            .execute(store.pool())
            .await?;
        return Ok((by_id(store, tenant, id).await?, false));
    }
    // Two first logins of one phone at once: the loser of the insert counts a visit.
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO customers (tenant_id, phone, group_id, visits, created_at, last_seen_at) \
         VALUES ($1, $2, (SELECT id FROM groups WHERE tenant_id = $1 AND is_default = TRUE ORDER BY id LIMIT 1), \
                 1, $3, $3) \
         ON CONFLICT (tenant_id, phone) DO UPDATE SET visits = customers.visits + 1, \
             last_seen_at = excluded.last_seen_at \
         RETURNING id",
    )
    .bind(tenant.id)
    .bind(phone.e164())
    .bind(now)
    .fetch_one(store.pool())
    .await?;
    Ok((by_id(store, tenant, id).await?, true))
}

/// The customer with this phone, created in the default guest group if new (a POS
/// invoice, an SMS to the club line), inside the caller's transaction. Returns the id.
pub(crate) async fn upsert_in(
    conn: &mut sqlx::AnyConnection,
    tenant_id: i64,
    phone: &Phone,
    now: i64,
) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO customers (tenant_id, phone, group_id, created_at, last_seen_at) \
         VALUES ($1, $2, (SELECT id FROM groups WHERE tenant_id = $1 AND is_default = TRUE ORDER BY id LIMIT 1), $3, $3) \
         ON CONFLICT (tenant_id, phone) DO UPDATE SET last_seen_at = excluded.last_seen_at \
         RETURNING id",
    )
    .bind(tenant_id)
    .bind(phone.e164())
    .bind(now)
    .fetch_one(&mut *conn)
    .await?)
}

/// Moves a customer to another group (manual membership: staff, managers…).
pub async fn set_group(
    store: &Store,
    tenant: &Tenant,
    phone: &str,
    group: &str,
) -> Result<Customer> {
    let customer = by_phone(store, tenant, phone).await?;
    let group = groups::by_name(store, tenant, group).await?;
    let mut tx = store.pool().begin().await?;
    sqlx::query("UPDATE customers SET group_id = $2 WHERE id = $1")
        .bind(customer.id)
        .bind(group.id)
        .execute(&mut *tx)
        .await?;
    generations::bump(&mut *tx, Generation::Subscribers).await?;
    tx.commit().await?;
    by_id(store, tenant, customer.id).await
}

/// Blocks (or unblocks) a customer's internet access.
pub async fn set_disabled(
    store: &Store,
    tenant: &Tenant,
    phone: &str,
    disabled: bool,
) -> Result<Customer> {
    let customer = by_phone(store, tenant, phone).await?;
    let mut tx = store.pool().begin().await?;
    sqlx::query("UPDATE customers SET disabled = $2 WHERE id = $1")
        .bind(customer.id)
        .bind(disabled)
        .execute(&mut *tx)
        .await?;
    generations::bump(&mut *tx, Generation::Subscribers).await?;
    tx.commit().await?;
    by_id(store, tenant, customer.id).await
}
