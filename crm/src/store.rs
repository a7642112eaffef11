//! Opening, migrating and checking the database.
//!
//! Why `Any` and not two typed back ends: the schema and queries are plain portable SQL
//! (BIGINT/TEXT columns, `$n` placeholders — which sqlx's SQLite driver also accepts —,
//! `RETURNING`, `ON CONFLICT`), so one implementation serves both and cannot drift.
//! The price is that `Any` decodes only primitive types: timestamps are unix seconds,
//! flags go through [`flag`], and aggregates are `CAST(... AS BIGINT)`.

use std::path::{Path, PathBuf};
use std::sync::Once;
use std::time::Duration;

use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::migrate::Migrator;
use sqlx::{AnyPool, Executor, Row};

use crate::error::{Error, Result};

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("../migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("../migrations/postgres");

/// Which database the store talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Where the database is: a PostgreSQL URL, or else an SQLite file under `data_dir`.
#[derive(Debug, Clone)]
pub struct StoreConfig {
    pub database_url: Option<String>,
    pub data_dir: PathBuf,
    /// How long to wait for a connection before saying the database is unreachable.
    pub connect_timeout: Duration,
}

impl StoreConfig {
    pub fn new(data_dir: impl Into<PathBuf>, database_url: Option<String>) -> Self {
        StoreConfig {
            database_url,
            data_dir: data_dir.into(),
            connect_timeout: Duration::from_secs(5),
        }
    }
}

/// The connection pool plus what kind of database is behind it. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
}

/// What `migrate` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationReport {
    pub applied: Vec<i64>,
    pub version: i64,
}

impl Store {
    /// Connects (creating the SQLite file and its directory if needed) without migrating.
    pub async fn connect(config: &StoreConfig) -> Result<Store> {
        static DRIVERS: Once = Once::new();
        DRIVERS.call_once(sqlx::any::install_default_drivers);

        let (url, backend) = match &config.database_url {
            Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
                (url.clone(), Backend::Postgres)
            }
            Some(url) if url.starts_with("sqlite:") => (url.clone(), Backend::Sqlite),
            Some(url) => {
                return Err(Error::invalid(format!(
                    "unsupported database URL {}: use postgres://… or sqlite:…",
                    redact(url)
                )));
            }
            None => (sqlite_url(&config.data_dir)?, Backend::Sqlite),
        };
        let options = AnyPoolOptions::new()
            .acquire_timeout(config.connect_timeout)
            .max_connections(if backend == Backend::Sqlite { 4 } else { 16 });
        let options = match backend {
            // WAL lets readers run beside the writer; FULL makes every commit survive
            // power loss, which accounting relies on (it acks only after commit).
            Backend::Sqlite => options.after_connect(|conn, _| {
                Box::pin(async move {
                    conn.execute(
                        "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
                         PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000;",
                    )
                    .await?;
                    Ok(())
                })
            }),
            Backend::Postgres => options,
        };
        let pool = options
            .connect(&url)
            .await
            .map_err(|source| Error::Unreachable {
                url: redact(&url),
                source,
            })?;
        Ok(Store { pool, backend })
    }

    /// Connects and brings the schema up to date: what `smartx serve` does on start.
    pub async fn open(config: &StoreConfig) -> Result<Store> {
        let store = Store::connect(config).await?;
        store.migrate().await?;
        Ok(store)
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// A transaction. On SQLite it begins `IMMEDIATE`, taking the write lock up front: a
    /// deferred transaction that reads, then writes after another connection committed,
    /// fails at once with `SQLITE_BUSY` (its snapshot is stale, so `busy_timeout` cannot
    /// help) — seen as a POS request answered 503 while the worker wrote. Waiting for the
    /// lock at `BEGIN` goes through `busy_timeout` instead. SQLite has one writer anyway.
    pub async fn begin(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>, sqlx::Error> {
        match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await,
            Backend::Postgres => self.pool.begin().await,
        }
    }

    fn migrator(&self) -> &'static Migrator {
        match self.backend {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        }
    }

    /// Newest schema version this binary carries.
    pub fn binary_schema_version(&self) -> i64 {
        self.migrator().iter().map(|m| m.version).max().unwrap_or(0)
    }

    /// Applies pending migrations; a no-op when up to date; refuses a newer schema.
    pub async fn migrate(&self) -> Result<MigrationReport> {
        let before = self.applied_versions().await?;
        let binary = self.binary_schema_version();
        if let Some(&database) = before.iter().max() {
            if database > binary {
                return Err(Error::SchemaTooNew { database, binary });
            }
        }
        self.migrator().run(&self.pool).await?;
        let after = self.applied_versions().await?;
        let applied = after
            .iter()
            .copied()
            .filter(|v| !before.contains(v))
            .collect();
        Ok(MigrationReport {
            applied,
            version: after.into_iter().max().unwrap_or(0),
        })
    }

    async fn applied_versions(&self) -> Result<Vec<i64>> {
        let exists_sql = match self.backend {
            Backend::Sqlite => {
                "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'"
            }
            Backend::Postgres => {
                "SELECT COUNT(*) FROM information_schema.tables \
                 WHERE table_schema = current_schema() AND table_name = '_sqlx_migrations'"
            }
        };
        let exists: i64 = sqlx::query_scalar(exists_sql).fetch_one(&self.pool).await?;
        if exists == 0 {
            return Ok(Vec::new());
        }
        Ok(sqlx::query_scalar(
            "SELECT version FROM _sqlx_migrations WHERE success = TRUE ORDER BY version",
        )
        .fetch_all(&self.pool)
        .await?)
    }

    /// Readiness: the database answers a trivial query.
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

fn sqlite_url(data_dir: &Path) -> Result<String> {
    std::fs::create_dir_all(data_dir).map_err(|e| {
        Error::invalid(format!(
            "cannot create data directory {}: {e}",
            data_dir.display()
        ))
    })?;
    let path = data_dir.join("smartx.db");
    let path = path
        .to_str()
        .ok_or_else(|| Error::invalid("data directory path is not valid UTF-8"))?;
    Ok(format!("sqlite://{path}?mode=rwc"))
}

/// The URL without its password, for messages and logs.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            match userinfo.find(':') {
                Some(colon) => format!(
                    "{}{}:***{}",
                    &url[..scheme_end + 3],
                    &userinfo[..colon],
                    &url[at..]
                ),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

/// Reads a boolean column: BOOLEAN on PostgreSQL, INTEGER 0/1 on SQLite.
pub(crate) fn flag(row: &AnyRow, column: &str) -> Result<bool, sqlx::Error> {
    match row.try_get::<bool, _>(column) {
        Ok(b) => Ok(b),
        Err(_) => row.try_get::<i64, _>(column).map(|v| v != 0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_password_only() {
        assert_eq!(
            redact("postgres://u:secret@h:5432/db"),
            "postgres://u:***@h:5432/db"
        );
        assert_eq!(redact("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(redact("sqlite://x.db"), "sqlite://x.db");
    }
}
