//! Throwaway databases for tests: a fresh SQLite file, or a fresh PostgreSQL schema in
//! the local `test` database, so parallel tests and parallel runs never collide.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::store::{Store, StoreConfig};

/// The PostgreSQL every storage test also runs against; override with `SMARTX_TEST_PG`.
pub fn postgres_admin_url() -> String {
    std::env::var("SMARTX_TEST_PG")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_string())
}

/// A database that exists for one test; dropped (PostgreSQL schema) or deleted
/// (SQLite directory) by `cleanup`.
pub struct TestDb {
    pub store: Store,
    pub config: StoreConfig,
    schema: Option<String>,
    dir: std::path::PathBuf,
}

/// Both back ends, migrated and empty, for tests that must pass on each.
pub async fn both() -> Vec<TestDb> {
    vec![sqlite().await, postgres().await]
}

fn unique_name() -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!(
        "t{}_{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed),
        nanos
    )
}

pub async fn sqlite() -> TestDb {
    let dir = std::env::temp_dir().join(format!("smartx-{}", unique_name()));
    let config = StoreConfig::new(&dir, None);
    let store = Store::open(&config).await.expect("open test SQLite");
    TestDb {
        store,
        config,
        schema: None,
        dir,
    }
}

/// A URL for a new, empty schema (created here) in the test PostgreSQL database.
pub async fn postgres_schema_url() -> (String, String) {
    let admin_url = postgres_admin_url();
    let schema = unique_name();
    let admin = Store::connect(&StoreConfig::new(
        std::env::temp_dir(),
        Some(admin_url.clone()),
    ))
    .await
    .expect("PostgreSQL for tests at 127.0.0.1:5432 (set SMARTX_TEST_PG to change)");
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
        .execute(admin.pool())
        .await
        .expect("create test schema");
    admin.close().await;
    let sep = if admin_url.contains('?') { '&' } else { '?' };
    (
        format!("{admin_url}{sep}options=-c%20search_path%3D{schema}"),
        schema,
    )
}

pub async fn postgres() -> TestDb {
    let (url, schema) = postgres_schema_url().await;
    let config = StoreConfig::new(std::env::temp_dir(), Some(url));
    let store = Store::open(&config).await.expect("open test PostgreSQL");
    TestDb {
        store,
        config,
        schema: Some(schema),
        dir: std::env::temp_dir(),
    }
}

/// Removes a schema made by `postgres_schema_url` (for tests that ran a binary on it).
pub async fn drop_postgres_schema(schema: &str) {
    let admin = Store::connect(&StoreConfig::new(
        std::env::temp_dir(),
        Some(postgres_admin_url()),
    ))
    .await
    .expect("PostgreSQL for tests");
    let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
        "DROP SCHEMA IF EXISTS {schema} CASCADE"
    )))
    .execute(admin.pool())
    .await;
    admin.close().await;
}

impl TestDb {
    pub fn label(&self) -> &'static str {
        if self.schema.is_some() {
            "postgres"
        } else {
            "sqlite"
        }
    }

    pub async fn cleanup(self) {
        self.store.close().await;
        match &self.schema {
            Some(schema) => drop_postgres_schema(schema).await,
            None => {
                let _ = std::fs::remove_dir_all(&self.dir);
            }
        }
    }
}

/// Runs `test` on a fresh SQLite and a fresh PostgreSQL database in turn; the test hands
/// the database back so it can be cleaned up.
pub async fn on_both<F, Fut>(test: F)
where
    F: Fn(TestDb) -> Fut,
    Fut: std::future::Future<Output = TestDb>,
{
    for db in both().await {
        eprintln!("-- backend: {}", db.label());
        test(db).await.cleanup().await;
    }
}
