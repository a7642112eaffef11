//! The one error type of the domain layer.

use crate::phone::PhoneError;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Input that breaks a rule; the message says which and why.
    #[error("{0}")]
    Invalid(String),
    #[error("{0} not found")]
    NotFound(String),
    /// The change would duplicate something that must be unique.
    #[error("{0}")]
    Conflict(String),
    #[error(transparent)]
    Phone(#[from] PhoneError),
    #[error("cannot reach database {url}: {source}")]
    Unreachable {
        url: String,
        #[source]
        source: sqlx::Error,
    },
    #[error(
        "database schema is at version {database}, newer than this smartx binary knows ({binary}); \
         run a newer smartx against this database"
    )]
    SchemaTooNew { database: i64, binary: i64 },
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
}

impl Error {
    pub(crate) fn invalid(msg: impl Into<String>) -> Self {
        Error::Invalid(msg.into())
    }
}

/// Maps a unique-constraint violation to a `Conflict` with a message that names the
/// duplicate; any other database error passes through unchanged.
pub(crate) fn conflict_if_unique(err: sqlx::Error, msg: impl FnOnce() -> String) -> Error {
    match &err {
        sqlx::Error::Database(db) if db.is_unique_violation() => Error::Conflict(msg()),
        _ => Error::Database(err),
    }
}
