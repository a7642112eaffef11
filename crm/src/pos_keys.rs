//! POS API keys: each belongs to one branch; the key is shown once and only its SHA-256
//! is stored (keys are 192 random bits, so a plain hash cannot be brute-forced).

use rand::Rng;
use sha2::{Digest, Sha256};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::error::{Error, Result};
use crate::secret::Secret;
use crate::store::Store;
use crate::tenants::Tenant;
use crate::{branches, clock};

/// Every key starts with this, so a leaked one is recognisable in logs and code scans.
pub const PREFIX: &str = "sxp_";
const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PosKey {
    pub id: i64,
    pub tenant_id: i64,
    pub branch_id: i64,
    /// The key's first characters (`sxp_AbCd`), to tell keys apart.
    pub prefix: String,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
}

impl PosKey {
    fn from_row(r: &AnyRow) -> Result<PosKey, sqlx::Error> {
        Ok(PosKey {
            id: r.try_get("id")?,
            tenant_id: r.try_get("tenant_id")?,
            branch_id: r.try_get("branch_id")?,
            prefix: r.try_get("prefix")?,
            created_at: r.try_get("created_at")?,
            revoked_at: r.try_get("revoked_at")?,
        })
    }
}

fn hash(key: &str) -> String {
    Sha256::digest(key.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A branch by id (digits) or name.
async fn branch(store: &Store, tenant: &Tenant, branch: &str) -> Result<branches::Branch> {
    let branch = branch.trim();
    if let Ok(id) = branch.parse::<i64>() {
        if let Some(b) = branches::list(store, tenant)
            .await?
            .into_iter()
            .find(|b| b.id == id)
        {
            return Ok(b);
        }
    }
    branches::by_name(store, tenant, branch).await
}

/// Creates a key for a branch (its id or name); the key itself is returned only here.
pub async fn create(store: &Store, tenant: &Tenant, branch_ref: &str) -> Result<(PosKey, Secret)> {
    let branch = branch(store, tenant, branch_ref).await?;
    let mut rng = rand::rng();
    let key: String = PREFIX
        .chars()
        .chain((0..32).map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char))
        .collect();
    let prefix: String = key.chars().take(PREFIX.len() + 4).collect();
    let row = sqlx::query(
        "INSERT INTO pos_keys (tenant_id, branch_id, key_hash, prefix, created_at) VALUES ($1, $2, $3, $4, $5) \
         RETURNING id, tenant_id, branch_id, prefix, created_at, revoked_at",
    )
    .bind(tenant.id)
    .bind(branch.id)
    .bind(hash(&key))
    .bind(&prefix)
    .bind(clock::now())
    .fetch_one(store.pool())
    .await?;
    Ok((PosKey::from_row(&row)?, Secret::new(key)))
}

/// The live key `presented` is, if any (a revoked or unknown key is `None`).
pub async fn authenticate(store: &Store, presented: &str) -> Result<Option<PosKey>> {
    let presented = presented.trim();
    if !presented.starts_with(PREFIX) || presented.len() > 100 {
        return Ok(None);
    }
    // Looked up by hash: equal hashes mean equal keys, and the lookup time does not
    // depend on how much of a guessed key is right.
    let row = sqlx::query(
        "SELECT id, tenant_id, branch_id, prefix, created_at, revoked_at FROM pos_keys \
         WHERE key_hash = $1 AND revoked_at IS NULL",
    )
    .bind(hash(presented))
    .fetch_optional(store.pool())
    .await?;
    Ok(row.as_ref().map(PosKey::from_row).transpose()?)
}

pub async fn list(store: &Store, tenant: &Tenant) -> Result<Vec<PosKey>> {
    let rows = sqlx::query(
        "SELECT id, tenant_id, branch_id, prefix, created_at, revoked_at FROM pos_keys \
         WHERE tenant_id = $1 ORDER BY id",
    )
    .bind(tenant.id)
    .fetch_all(store.pool())
    .await?;
    Ok(rows
        .iter()
        .map(PosKey::from_row)
        .collect::<Result<_, _>>()?)
}

/// Revokes a key at once; the POS using it gets 401 from then on.
pub async fn revoke(store: &Store, tenant: &Tenant, id: i64) -> Result<()> {
    let done = sqlx::query(
        "UPDATE pos_keys SET revoked_at = $3 WHERE tenant_id = $1 AND id = $2 AND revoked_at IS NULL",
    )
    .bind(tenant.id)
    .bind(id)
    .bind(clock::now())
    .execute(store.pool())
    .await?;
    if done.rows_affected() == 0 {
        return Err(Error::NotFound(format!("live POS key #{id}")));
    }
    Ok(())
}
