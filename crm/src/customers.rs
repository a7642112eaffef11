//! Customers: every phone number that logs in or is added becomes one, per tenant.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::audit::{self, Actor, Change};
use crate::error::{Error, Result, conflict_if_unique};
use crate::generations::{self, Generation};
use crate::phone::Phone;
use crate::store::{Backend, Store, flag};
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
    let mut tx = store.begin().await?;
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

pub(crate) fn escape_like(s: &str) -> String {
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

/// A phone given for a booking (not a login): creates the customer in the default guest
/// group, or fills in a name the customer did not have yet. Counts no visit.
pub async fn ensure(
    store: &Store,
    tenant: &Tenant,
    phone: &Phone,
    name: Option<&str>,
    now: i64,
) -> Result<Customer> {
    let mut conn = store.pool().acquire().await?;
    let id = upsert_in(&mut conn, tenant.id, phone, Arrival::Named(name), now).await?;
    drop(conn);
    by_id(store, tenant, id).await
}

/// How a phone reached us, for [`upsert_in`].
pub(crate) enum Arrival<'a> {
    /// A POS invoice, a coupon, an SMS to the club line: the customer was seen now.
    Seen,
    /// A booking: not a visit, but it may bring the name the customer did not have yet.
    Named(Option<&'a str>),
}

/// The customer with this phone, created in the default guest group if new, inside the
/// caller's transaction. Returns the id. A name never replaces one already stored.
pub(crate) async fn upsert_in(
    conn: &mut sqlx::AnyConnection,
    tenant_id: i64,
    phone: &Phone,
    arrival: Arrival<'_>,
    now: i64,
) -> Result<i64> {
    let (name, seen) = match arrival {
        Arrival::Seen => (None, Some(now)),
        Arrival::Named(name) => (
            name.map(text::normalize_name).filter(|n| !n.is_empty()),
            None,
        ),
    };
    Ok(sqlx::query_scalar(
        "INSERT INTO customers (tenant_id, phone, name, group_id, created_at, last_seen_at) \
         VALUES ($1, $2, $3, (SELECT id FROM groups WHERE tenant_id = $1 AND is_default = TRUE ORDER BY id LIMIT 1), $4, $5) \
         ON CONFLICT (tenant_id, phone) DO UPDATE SET name = COALESCE(customers.name, excluded.name), \
             last_seen_at = COALESCE(excluded.last_seen_at, customers.last_seen_at) \
         RETURNING id",
    )
    .bind(tenant_id)
    .bind(phone.e164())
    .bind(name)
    .bind(now)
    .bind(seen)
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
    set_group_of(store, tenant, customer.id, group.id, Actor::CLI).await
}

/// Moves customer `id` to group `group_id`, both of this tenant, and records who did.
pub async fn set_group_of(
    store: &Store,
    tenant: &Tenant,
    id: i64,
    group_id: i64,
    actor: Actor,
) -> Result<Customer> {
    let before = by_id(store, tenant, id).await?;
    if before.group_id == Some(group_id) {
        return Ok(before);
    }
    let mut tx = store.begin().await?;
    let done = sqlx::query(
        "UPDATE customers SET group_id = $3 WHERE id = $1 AND tenant_id = $2 \
         AND EXISTS (SELECT 1 FROM groups WHERE id = $3 AND tenant_id = $2)",
    )
    .bind(id)
    .bind(tenant.id)
    .bind(group_id)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() != 1 {
        return Err(Error::NotFound(format!("group #{group_id}")));
    }
    generations::bump(&mut *tx, Generation::Subscribers).await?;
    let change = Change {
        tenant_id: Some(tenant.id),
        action: "customer.group",
        entity: "customer",
        entity_id: Some(id),
        before: Some(serde_json::json!({ "group_id": before.group_id })),
        after: Some(serde_json::json!({ "group_id": group_id })),
    };
    audit::record(&mut *tx, actor, &change).await?;
    tx.commit().await?;
    by_id(store, tenant, id).await
}

/// Blocks (or unblocks) a customer's internet access.
pub async fn set_disabled(
    store: &Store,
    tenant: &Tenant,
    phone: &str,
    disabled: bool,
) -> Result<Customer> {
    let customer = by_phone(store, tenant, phone).await?;
    set_disabled_of(store, tenant, customer.id, disabled, Actor::CLI).await
}

/// Blocks (or unblocks) customer `id` of this tenant and records who did.
pub async fn set_disabled_of(
    store: &Store,
    tenant: &Tenant,
    id: i64,
    disabled: bool,
    actor: Actor,
) -> Result<Customer> {
    let before = by_id(store, tenant, id).await?;
    if before.disabled == disabled {
        return Ok(before);
    }
    let mut tx = store.begin().await?;
    sqlx::query("UPDATE customers SET disabled = $3 WHERE id = $1 AND tenant_id = $2")
        .bind(id)
        .bind(tenant.id)
        .bind(disabled)
        .execute(&mut *tx)
        .await?;
    generations::bump(&mut *tx, Generation::Subscribers).await?;
    let change = Change {
        tenant_id: Some(tenant.id),
        action: if disabled {
            "customer.block"
        } else {
            "customer.unblock"
        },
        entity: "customer",
        entity_id: Some(id),
        before: Some(serde_json::json!({ "disabled": before.disabled })),
        after: Some(serde_json::json!({ "disabled": disabled })),
    };
    audit::record(&mut *tx, actor, &change).await?;
    tx.commit().await?;
    by_id(store, tenant, id).await
}

/// A customer for [`insert_many`] (imports, benchmarks).
#[derive(Debug, Clone)]
pub struct NewCustomer {
    pub phone: Phone,
    pub name: Option<String>,
    pub created_at: i64,
}

/// Inserts customers in the tenant's default group, many rows per statement, all in
/// one transaction; phones already there are skipped. Returns how many were added.
pub async fn insert_many(store: &Store, tenant: &Tenant, rows: &[NewCustomer]) -> Result<u64> {
    let group = groups::default_group(store, tenant).await?;
    let mut added = 0;
    let mut tx = store.begin().await?;
    // 5 parameters a row stays far below SQLite's (32,766) and PostgreSQL's (65,535) limits.
    for chunk in rows.chunks(500) {
        let mut sql = String::from(
            "INSERT INTO customers (tenant_id, phone, name, group_id, created_at) VALUES ",
        );
        crate::accounting::Params::new(store.backend()).push_rows(&mut sql, chunk.len(), 5);
        sql.push_str(" ON CONFLICT (tenant_id, phone) DO NOTHING");
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).persistent(false);
        for row in chunk {
            query = query
                .bind(tenant.id)
                .bind(row.phone.e164().to_string())
                .bind(row.name.as_deref().map(text::normalize_name))
                .bind(group.id)
                .bind(row.created_at);
        }
        added += query.execute(&mut *tx).await?.rows_affected();
    }
    generations::bump(&mut *tx, Generation::Subscribers).await?;
    tx.commit().await?;
    Ok(added)
}

/// One page of the panel's customer list. Without a search: newest first, pages by id.
/// With one: a number searches phones by prefix (ordered by phone), anything else names
/// by prefix (ordered by name). Each walks an index range and stops after `limit` rows,
/// so a page costs the same on a million customers as on a hundred.
#[derive(Debug, Clone, Default)]
pub struct PageQuery {
    pub search: Option<String>,
    /// The `next` of the previous page.
    pub after: Option<String>,
    pub limit: i64,
}

#[derive(Debug, Clone)]
pub struct Page {
    pub customers: Vec<Customer>,
    /// Where the next page starts; `None` on the last page.
    pub next: Option<String>,
}

pub(crate) enum Search {
    Newest,
    Phone(String),
    Name(String),
}

pub(crate) fn classify(term: Option<&str>) -> Search {
    let Some(term) = term.map(str::trim).filter(|s| !s.is_empty()) else {
        return Search::Newest;
    };
    let digits = Phone::digits_only(term);
    if digits.is_empty() {
        return Search::Name(text::normalize_name(term));
    }
    Search::Phone(match Phone::parse(term) {
        Ok(p) => p.e164().to_string(),
        Err(_) => {
            // 0912…, 912…, 98912…, +98912…: all prefixes of +98…
            let national = digits
                .strip_prefix("0098")
                .or_else(|| digits.strip_prefix("98"))
                .unwrap_or(&digits);
            format!("+98{}", national.trim_start_matches('0'))
        }
    })
}

/// The end of a phone prefix's index range: the prefix's number plus one, so every
/// phone starting with it sorts below (digits sort alike in every collation, unlike
/// a sentinel character; and a LIKE would not use the index on SQLite).
pub(crate) fn phone_prefix_end(prefix: &str) -> String {
    let mut digits: Vec<u8> = prefix.bytes().skip(1).collect();
    for d in digits.iter_mut().rev() {
        if *d == b'9' {
            *d = b'0';
        } else {
            *d += 1;
            return format!("+{}", String::from_utf8_lossy(&digits));
        }
    }
    // Only all nines overflow, and every prefix starts with +98.
    "+99".to_string()
}

/// The end of a name prefix's range on SQLite (binary collation): the last character
/// plus one. PostgreSQL sorts names by its collation, where that is not an upper
/// bound, so it filters with LIKE instead.
pub(crate) fn name_prefix_end(prefix: &str) -> String {
    let mut chars: Vec<char> = prefix.chars().collect();
    if let Some(last) = chars.pop() {
        chars.push(char::from_u32(last as u32 + 1).unwrap_or(char::MAX));
    }
    chars.into_iter().collect()
}

/// A name search's cursor, "name<TAB>id" (names repeat, ids break the tie); before the
/// first page (or garbled) `("", 0)`, below every row.
pub(crate) fn name_cursor(after: Option<&str>) -> (String, i64) {
    after
        .and_then(|a| a.split_once('\t'))
        .and_then(|(n, i)| Some((n.to_string(), i.parse::<i64>().ok()?)))
        .unwrap_or_default()
}

pub async fn page(store: &Store, tenant: &Tenant, query: &PageQuery) -> Result<Page> {
    let limit = query.limit.clamp(1, 200);
    let after = query.after.as_deref().filter(|a| !a.is_empty());
    let rows = match classify(query.search.as_deref()) {
        Search::Newest => {
            let before = after
                .and_then(|a| a.parse::<i64>().ok())
                .unwrap_or(i64::MAX);
            let sql = concat!(
                select!(),
                " WHERE c.tenant_id = $1 AND c.id < $2 ORDER BY c.id DESC LIMIT $3"
            );
            sqlx::query(sql)
                .bind(tenant.id)
                .bind(before)
                .bind(limit + 1)
                .fetch_all(store.pool())
                .await?
        }
        Search::Phone(prefix) => {
            let sql = concat!(
                select!(),
                " WHERE c.tenant_id = $1 AND c.phone >= $2 AND c.phone < $3 AND c.phone > $4 \
                 ORDER BY c.phone LIMIT $5"
            );
            sqlx::query(sql)
                .bind(tenant.id)
                .bind(&prefix)
                .bind(phone_prefix_end(&prefix))
                .bind(after.unwrap_or(""))
                .bind(limit + 1)
                .fetch_all(store.pool())
                .await?
        }
        Search::Name(prefix) => {
            // A row-value comparison keeps SQLite walking the index (an OR made it scan
            // the range).
            let (after_name, after_id) = name_cursor(after);
            let sql = match store.backend() {
                Backend::Sqlite => concat!(
                    select!(),
                    " WHERE c.tenant_id = $1 AND c.name >= $2 AND c.name < $3 \
                     AND (c.name, c.id) > ($4, $5) \
                     ORDER BY c.name, c.id LIMIT $6"
                ),
                Backend::Postgres => concat!(
                    select!(),
                    " WHERE c.tenant_id = $1 AND c.name LIKE $2 || '%' AND $3 <> '' \
                     AND (c.name, c.id) > ($4, $5) \
                     ORDER BY c.name, c.id LIMIT $6"
                ),
            };
            sqlx::query(sql)
                .bind(tenant.id)
                .bind(escape_like(&prefix))
                .bind(name_prefix_end(&prefix))
                .bind(&after_name)
                .bind(after_id)
                .bind(limit + 1)
                .fetch_all(store.pool())
                .await?
        }
    };
    let mut customers = rows
        .iter()
        .map(Customer::from_row)
        .collect::<Result<Vec<_>, _>>()?;
    let more = customers.len() as i64 > limit;
    customers.truncate(limit as usize);
    let next = match (more, customers.last()) {
        (true, Some(last)) => Some(match classify(query.search.as_deref()) {
            Search::Newest => last.id.to_string(),
            Search::Phone(_) => last.phone.clone(),
            Search::Name(_) => format!("{}\t{}", last.name.as_deref().unwrap_or(""), last.id),
        }),
        _ => None,
    };
    Ok(Page { customers, next })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_ends_bound_their_prefixes() {
        assert_eq!(phone_prefix_end("+98912"), "+98913");
        assert_eq!(phone_prefix_end("+98919"), "+98920");
        assert_eq!(phone_prefix_end("+98999"), "+99000");
        assert!("+989199999999" < phone_prefix_end("+98919").as_str());
        assert_eq!(name_prefix_end("علی"), "عل\u{06CD}");
    }
}
