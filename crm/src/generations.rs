//! Change counters that keep in-memory caches (the RADIUS hot path) coherent with the
//! database, across processes and hosts.
//!
//! Every write that changes what RADIUS would answer bumps a counter in the same
//! transaction; RADIUS polls the counters (one tiny query a second) and drops the
//! matching cache when one moved. Polling works the same on SQLite and PostgreSQL
//! and across many `smartx` nodes, which is why it was chosen over LISTEN/NOTIFY.

use std::collections::HashMap;

use sqlx::{Any, Executor, Row};

use crate::error::Result;
use crate::store::Store;

/// Which cache a change invalidates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Generation {
    /// Routers and their secrets.
    Nas,
    /// Anything a login decision reads: groups, accounts, customers, devices.
    Subscribers,
    /// Sessions closed other than by accounting (as stale), which live-session counts
    /// (simultaneous-device limits) must forget.
    Sessions,
}

impl Generation {
    fn name(self) -> &'static str {
        match self {
            Generation::Nas => "nas",
            Generation::Subscribers => "subscribers",
            Generation::Sessions => "sessions",
        }
    }
}

pub(crate) async fn bump<'e, E>(executor: E, which: Generation) -> Result<()>
where
    E: Executor<'e, Database = Any>,
{
    sqlx::query("UPDATE cache_generations SET generation = generation + 1 WHERE name = $1")
        .bind(which.name())
        .execute(executor)
        .await?;
    Ok(())
}

/// The current counters.
pub async fn current(store: &Store) -> Result<HashMap<Generation, i64>> {
    let rows = sqlx::query("SELECT name, generation FROM cache_generations")
        .fetch_all(store.pool())
        .await?;
    let mut out = HashMap::new();
    for row in rows {
        let name: String = row.try_get("name")?;
        let which = match name.as_str() {
            "nas" => Generation::Nas,
            "subscribers" => Generation::Subscribers,
            "sessions" => Generation::Sessions,
            _ => continue,
        };
        out.insert(which, row.try_get("generation")?);
    }
    Ok(out)
}
