//! Server-side sessions of the owners' panel. The browser holds a random token in a
//! cookie; the database holds only its SHA-256, so a leaked table cannot be replayed.
//! A session expires (absolute lifetime), can be revoked (logout, or an operator), and
//! remembers which tenant its user is working in.

use rand::Rng;
use sha2::{Digest, Sha256};
use sqlx::Row;

use crate::clock;
use crate::error::Result;
use crate::store::Store;

/// How long a sign-in lasts; after that the panel asks for a new SMS code.
pub const LIFETIME: i64 = 12 * 3600;
/// `last_seen_at` is written at most this often, not on every click.
const TOUCH_EVERY: i64 = 60;

/// A live session, as the panel sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebSession {
    pub id: i64,
    pub user_id: i64,
    pub tenant_id: Option<i64>,
    pub created_at: i64,
    pub expires_at: i64,
    pub last_seen_at: i64,
}

fn hash(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Starts a session; returns it and the token for the cookie (never stored).
pub async fn create(
    store: &Store,
    user_id: i64,
    tenant_id: Option<i64>,
    now: i64,
) -> Result<(WebSession, String)> {
    let token: String = {
        let mut rng = rand::rng();
        (0..32)
            .map(|_| format!("{:02x}", rng.random::<u8>()))
            .collect()
    };
    let expires_at = now + LIFETIME;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO panel_sessions (token_hash, user_id, tenant_id, created_at, expires_at, last_seen_at) \
         VALUES ($1, $2, $3, $4, $5, $4) RETURNING id",
    )
    .bind(hash(&token))
    .bind(user_id)
    .bind(tenant_id)
    .bind(now)
    .bind(expires_at)
    .fetch_one(store.pool())
    .await?;
    Ok((
        WebSession {
            id,
            user_id,
            tenant_id,
            created_at: now,
            expires_at,
            last_seen_at: now,
        },
        token,
    ))
}

/// The live session a cookie token names: not expired, not revoked.
pub async fn lookup(store: &Store, token: &str, now: i64) -> Result<Option<WebSession>> {
    // Malformed cookies never reach the database.
    if token.len() != 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(None);
    }
    let row = sqlx::query(
        "SELECT id, user_id, tenant_id, created_at, expires_at, last_seen_at FROM panel_sessions \
         WHERE token_hash = $1 AND revoked_at IS NULL AND expires_at > $2",
    )
    .bind(hash(token))
    .bind(now)
    .fetch_optional(store.pool())
    .await?;
    let Some(row) = row else { return Ok(None) };
    let mut session = WebSession {
        id: row.try_get("id")?,
        user_id: row.try_get("user_id")?,
        tenant_id: row.try_get("tenant_id")?,
        created_at: row.try_get("created_at")?,
        expires_at: row.try_get("expires_at")?,
        last_seen_at: row.try_get("last_seen_at")?,
    };
    if now - session.last_seen_at >= TOUCH_EVERY {
        sqlx::query("UPDATE panel_sessions SET last_seen_at = $2 WHERE id = $1")
            .bind(session.id)
            .bind(now)
            .execute(store.pool())
            .await?;
        session.last_seen_at = now;
    }
    Ok(Some(session))
}

/// Points the session at another tenant (the caller checked the user may work there).
pub async fn set_tenant(store: &Store, session_id: i64, tenant_id: i64) -> Result<()> {
    sqlx::query("UPDATE panel_sessions SET tenant_id = $2 WHERE id = $1")
        .bind(session_id)
        .bind(tenant_id)
        .execute(store.pool())
        .await?;
    Ok(())
}

/// Ends one session (logout).
pub async fn revoke(store: &Store, session_id: i64) -> Result<()> {
    sqlx::query("UPDATE panel_sessions SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL")
        .bind(session_id)
        .bind(clock::now())
        .execute(store.pool())
        .await?;
    Ok(())
}

/// Ends every session of a user (a lost phone, a removed person); returns how many.
pub async fn revoke_all(store: &Store, user_id: i64) -> Result<u64> {
    let done = sqlx::query(
        "UPDATE panel_sessions SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL",
    )
    .bind(user_id)
    .bind(clock::now())
    .execute(store.pool())
    .await?;
    Ok(done.rows_affected())
}
