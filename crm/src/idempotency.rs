//! Idempotent API writes: the reply to a request carrying an `Idempotency-Key` is stored
//! in the same transaction as what the request did, so a retry gets the stored reply
//! and never does the work twice.
//!
//! The key is claimed with an insert before the work: on PostgreSQL a concurrent retry
//! waits on the unique index until the first commits (then replays) or rolls back (then
//! does the work itself); SQLite has one writer anyway. Failed requests store nothing,
//! so a corrected retry with the same key is judged afresh.

use sha2::{Digest, Sha256};
use sqlx::{AnyConnection, Row};

use crate::clock;
use crate::error::{Error, Result};

/// A request that may be a retry.
#[derive(Debug, Clone)]
pub struct IdempotentRequest {
    /// Whose keys these are (e.g. `pos-branch:3`): keys of different callers never meet.
    pub scope: String,
    pub key: String,
    /// Hash of what was asked; the same key with a different request is refused.
    pub fingerprint: String,
}

impl IdempotentRequest {
    /// Checks the key (1 to 200 visible ASCII characters) and fingerprints the request.
    pub fn new(scope: String, key: &str, method: &str, path: &str, body: &[u8]) -> Result<Self> {
        let key = key.trim();
        if key.is_empty() || key.len() > 200 || !key.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(Error::invalid(
                "Idempotency-Key must be 1 to 200 visible ASCII characters",
            ));
        }
        let digest = Sha256::new()
            .chain_update(method.as_bytes())
            .chain_update(b" ")
            .chain_update(path.as_bytes())
            .chain_update(b"\n")
            .chain_update(body)
            .finalize();
        Ok(IdempotentRequest {
            scope,
            key: key.to_string(),
            fingerprint: digest.iter().map(|b| format!("{b:02x}")).collect(),
        })
    }
}

/// An API reply as sent (and stored for retries).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub status: u16,
    pub body: String,
    /// `true` when this is the stored reply to an earlier request with the same key.
    pub replayed: bool,
}

/// Claims the key inside the caller's transaction; `Some` is the stored reply of an
/// earlier request with this key.
pub(crate) async fn claim(
    conn: &mut AnyConnection,
    req: &IdempotentRequest,
) -> Result<Option<Reply>> {
    let claimed = sqlx::query(
        "INSERT INTO api_idempotency (scope, key, fingerprint, status, body, created_at) \
         VALUES ($1, $2, $3, 0, '', $4) ON CONFLICT (scope, key) DO NOTHING",
    )
    .bind(&req.scope)
    .bind(&req.key)
    .bind(&req.fingerprint)
    .bind(clock::now())
    .execute(&mut *conn)
    .await?;
    if claimed.rows_affected() == 1 {
        return Ok(None);
    }
    let row = sqlx::query(
        "SELECT fingerprint, status, body FROM api_idempotency WHERE scope = $1 AND key = $2",
    )
    .bind(&req.scope)
    .bind(&req.key)
    .fetch_one(&mut *conn)
    .await?;
    if row.try_get::<String, _>("fingerprint")? != req.fingerprint {
        return Err(Error::invalid(
            "this Idempotency-Key was already used for a different request",
        ));
    }
    Ok(Some(Reply {
        status: u16::try_from(row.try_get::<i64, _>("status")?).unwrap_or(500),
        body: row.try_get("body")?,
        replayed: true,
    }))
}

/// Stores the reply for the claimed key, inside the same transaction as the work.
pub(crate) async fn record(
    conn: &mut AnyConnection,
    req: &IdempotentRequest,
    reply: &Reply,
) -> Result<()> {
    sqlx::query("UPDATE api_idempotency SET status = $3, body = $4 WHERE scope = $1 AND key = $2")
        .bind(&req.scope)
        .bind(&req.key)
        .bind(i64::from(reply.status))
        .bind(&reply.body)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Forgets stored replies older than `max_age` seconds (retries come within minutes).
pub async fn purge(store: &crate::Store, max_age: i64) -> Result<u64> {
    let done = sqlx::query("DELETE FROM api_idempotency WHERE created_at < $1")
        .bind(clock::now() - max_age)
        .execute(store.pool())
        .await?;
    Ok(done.rows_affected())
}
