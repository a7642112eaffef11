//! Hotspot logins: who a RADIUS User-Name is, and the single-use credentials the
//! portal mints after a verified OTP.
//!
//! A User-Name is looked up, in this order, as a static account, a portal token, or
//! a remembered device's MAC (MikroTik `login-by=mac` sends the MAC as User-Name).

use rand::Rng;
use sqlx::Row;

use crate::devices::normalize_mac;
use crate::error::{Error, Result, conflict_if_unique};
use crate::secret::Secret;
use crate::store::{Store, flag};
use crate::{clock, tenants::Tenant};

/// Whose usage a session counts against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Subject {
    Customer(i64),
    Account(i64),
}

impl Subject {
    pub fn kind(self) -> &'static str {
        match self {
            Subject::Customer(_) => "customer",
            Subject::Account(_) => "account",
        }
    }

    pub fn id(self) -> i64 {
        match self {
            Subject::Customer(id) | Subject::Account(id) => id,
        }
    }

    /// The subject of a row with `customer_id` and `account_id` columns (sessions).
    pub fn of_row(row: &sqlx::any::AnyRow) -> Result<Option<Subject>, sqlx::Error> {
        use sqlx::Row;
        let customer: Option<i64> = row.try_get("customer_id")?;
        let account: Option<i64> = row.try_get("account_id")?;
        Ok(customer
            .map(Subject::Customer)
            .or(account.map(Subject::Account)))
    }

    /// The (`customer_id`, `account_id`) columns for a subject.
    pub fn columns(subject: Option<Subject>) -> (Option<i64>, Option<i64>) {
        match subject {
            Some(Subject::Customer(id)) => (Some(id), None),
            Some(Subject::Account(id)) => (None, Some(id)),
            None => (None, None),
        }
    }

    pub fn from_parts(kind: &str, id: i64) -> Option<Subject> {
        match kind {
            "customer" => Some(Subject::Customer(id)),
            "account" => Some(Subject::Account(id)),
            _ => None,
        }
    }
}

/// How the user proves who they are, and what limits the proof itself carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    /// A static account's or voucher's password (PAP or CHAP). `expires_at` is when it
    /// stops working as known now; `valid_for` is set while a voucher's validity has
    /// not started: the first accepted login starts it.
    Account {
        password: Secret,
        expires_at: Option<i64>,
        valid_for: Option<i64>,
    },
    /// A portal token: password once, before it expires, optionally from one MAC only.
    Token {
        id: i64,
        password: Secret,
        expires_at: i64,
        used: bool,
        mac: Option<String>,
    },
    /// A remembered device: the request must come from that MAC.
    Device {
        mac: String,
        remembered_until: Option<i64>,
    },
}

/// Everything a login decision needs about one User-Name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Login {
    pub tenant_id: i64,
    pub subject: Subject,
    pub group_id: i64,
    pub disabled: bool,
    pub credential: Credential,
}

/// Resolves `username` within a tenant; `None` if nobody has it.
pub async fn find_login(store: &Store, tenant_id: i64, username: &str) -> Result<Option<Login>> {
    let account = sqlx::query(
        "SELECT id, password, group_id, disabled, expires_at, valid_for, first_used_at \
         FROM hotspot_accounts WHERE tenant_id = $1 AND username = $2",
    )
    .bind(tenant_id)
    .bind(username)
    .fetch_optional(store.pool())
    .await?;
    if let Some(row) = account {
        return Ok(Some(Login {
            tenant_id,
            subject: Subject::Account(row.try_get("id")?),
            group_id: row.try_get("group_id")?,
            disabled: flag(&row, "disabled")?,
            credential: {
                let valid_for: Option<i64> = row.try_get("valid_for")?;
                let first_used_at: Option<i64> = row.try_get("first_used_at")?;
                Credential::Account {
                    password: Secret::new(row.try_get::<String, _>("password")?),
                    expires_at: crate::vouchers::expiry(
                        row.try_get("expires_at")?,
                        valid_for,
                        first_used_at,
                    ),
                    valid_for: valid_for.filter(|_| first_used_at.is_none()),
                }
            },
        }));
    }
    // The customer's group, or the tenant's default group when they have none.
    const CUSTOMER_GROUP: &str = "COALESCE(c.group_id, (SELECT g.id FROM groups g \
        WHERE g.tenant_id = c.tenant_id AND g.is_default = TRUE ORDER BY g.id LIMIT 1))";
    let token = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT t.id, t.password, t.expires_at, t.used_at, t.mac, c.id AS customer_id, \
         c.disabled, {CUSTOMER_GROUP} AS group_id \
         FROM hotspot_tokens t JOIN customers c ON c.id = t.customer_id \
         WHERE t.tenant_id = $1 AND t.username = $2"
    )))
    .bind(tenant_id)
    .bind(username)
    .fetch_optional(store.pool())
    .await?;
    if let Some(row) = token {
        return Ok(Some(Login {
            tenant_id,
            subject: Subject::Customer(row.try_get("customer_id")?),
            group_id: row.try_get("group_id")?,
            disabled: flag(&row, "disabled")?,
            credential: Credential::Token {
                id: row.try_get("id")?,
                password: Secret::new(row.try_get::<String, _>("password")?),
                expires_at: row.try_get("expires_at")?,
                used: row.try_get::<Option<i64>, _>("used_at")?.is_some(),
                mac: row.try_get("mac")?,
            },
        }));
    }
    let Ok(mac) = normalize_mac(username) else {
        return Ok(None);
    };
    let device = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT d.remembered_until, c.id AS customer_id, c.disabled, {CUSTOMER_GROUP} AS group_id \
         FROM devices d JOIN customers c ON c.id = d.customer_id \
         WHERE d.tenant_id = $1 AND d.mac = $2"
    )))
    .bind(tenant_id)
    .bind(&mac)
    .fetch_optional(store.pool())
    .await?;
    match device {
        Some(row) => Ok(Some(Login {
            tenant_id,
            subject: Subject::Customer(row.try_get("customer_id")?),
            group_id: row.try_get("group_id")?,
            disabled: flag(&row, "disabled")?,
            credential: Credential::Device {
                mac,
                remembered_until: row.try_get("remembered_until")?,
            },
        })),
        None => Ok(None),
    }
}

/// Marks a token used; `false` if it was already used (by a retransmission that
/// reached another node, or a replay). The conditional update makes this atomic.
pub async fn consume_token(store: &Store, token_id: i64) -> Result<bool> {
    let done =
        sqlx::query("UPDATE hotspot_tokens SET used_at = $2 WHERE id = $1 AND used_at IS NULL")
            .bind(token_id)
            .bind(clock::now())
            .execute(store.pool())
            .await?;
    Ok(done.rows_affected() == 1)
}

/// A freshly minted portal credential.
#[derive(Debug, Clone)]
pub struct MintedToken {
    pub username: String,
    pub password: Secret,
    pub expires_at: i64,
}

const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyz23456789";

fn random_word(len: usize) -> String {
    let mut rng = rand::rng();
    (0..len)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

/// Mints a single-use login for a customer, valid `ttl_secs`, bound to `mac` if given.
pub async fn mint_token(
    store: &Store,
    tenant: &Tenant,
    customer_id: i64,
    mac: Option<&str>,
    ttl_secs: i64,
) -> Result<MintedToken> {
    if !(10..=3600).contains(&ttl_secs) {
        return Err(Error::invalid(
            "token lifetime must be between 10 seconds and 1 hour",
        ));
    }
    let mac = mac.map(normalize_mac).transpose()?;
    let now = clock::now();
    let owned: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM customers WHERE id = $1 AND tenant_id = $2")
            .bind(customer_id)
            .bind(tenant.id)
            .fetch_one(store.pool())
            .await?;
    if owned == 0 {
        return Err(Error::NotFound(format!("customer #{customer_id}")));
    }
    let username = format!("t-{}", random_word(12));
    let password = Secret::new(random_word(16));
    sqlx::query(
        "INSERT INTO hotspot_tokens (tenant_id, customer_id, username, password, mac, expires_at, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(tenant.id)
    .bind(customer_id)
    .bind(&username)
    .bind(password.expose())
    .bind(mac)
    .bind(now + ttl_secs)
    .bind(now)
    .execute(store.pool())
    .await
    .map_err(|e| conflict_if_unique(e, || "token clash, try again".into()))?;
    Ok(MintedToken {
        username,
        password,
        expires_at: now + ttl_secs,
    })
}

/// Deletes tokens that expired more than a day ago (kept a day for support questions).
pub async fn purge_expired_tokens(store: &Store) -> Result<u64> {
    let done = sqlx::query("DELETE FROM hotspot_tokens WHERE expires_at < $1")
        .bind(clock::now() - 86_400)
        .execute(store.pool())
        .await?;
    Ok(done.rows_affected())
}
