//! Rate limits that survive restarts and hold across processes: fixed-window counters
//! in the database, one row per key per window.

use crate::error::Result;
use crate::store::Store;

/// What a `hit` decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Allowed,
    /// Over the limit; the window ends in this many seconds.
    Limited {
        retry_after: i64,
    },
}

/// A limit: at most `max` hits per `window` seconds for one key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    pub max: i64,
    pub window: i64,
}

/// Counts one hit on `key` and says whether it is within `limit`. Hits over the limit
/// are counted too, so hammering does not reset anything.
pub async fn hit(store: &Store, key: &str, limit: Limit, now: i64) -> Result<Verdict> {
    let window = limit.window.max(1);
    let start = now - now.rem_euclid(window);
    let count: i64 = sqlx::query_scalar(
        "INSERT INTO rate_counters (key, window_start, count) VALUES ($1, $2, 1) \
         ON CONFLICT (key, window_start) DO UPDATE SET count = rate_counters.count + 1 \
         RETURNING count",
    )
    .bind(key)
    .bind(start)
    .fetch_one(store.pool())
    .await?;
    Ok(if count > limit.max {
        Verdict::Limited {
            retry_after: start + window - now,
        }
    } else {
        Verdict::Allowed
    })
}

/// Hits of `key` in the current window, without counting one.
pub async fn current(store: &Store, key: &str, window: i64, now: i64) -> Result<i64> {
    let start = now - now.rem_euclid(window.max(1));
    Ok(sqlx::query_scalar(
        "SELECT COALESCE(MAX(count), 0) FROM rate_counters WHERE key = $1 AND window_start = $2",
    )
    .bind(key)
    .bind(start)
    .fetch_one(store.pool())
    .await?)
}

/// Deletes windows that ended more than a day ago.
pub async fn purge(store: &Store, now: i64) -> Result<u64> {
    Ok(
        sqlx::query("DELETE FROM rate_counters WHERE window_start < $1")
            .bind(now - 2 * 86_400)
            .execute(store.pool())
            .await?
            .rows_affected(),
    )
}
