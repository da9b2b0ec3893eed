//! Storage: the only module that holds SQL. One codebase for SQLite and
//! PostgreSQL: every query is written once and run on whichever pool is open.

pub mod access;
mod accounts;
pub mod check;
pub mod collisions;
pub mod copy;
pub mod floor;
mod meta;
pub mod notify;
mod sync;
mod throttle;

pub use accounts::{
    CreateError, DealerRow, NewSession, NewUser, SessionRow, UserRow, count_dealers,
    deactivate_user, find_session_by_token_hash, find_user_for_login, find_user_in_dealer,
    insert_dealer, insert_dealer_with_user, insert_new_user, insert_session, insert_user,
    list_dealers, list_sessions_of_user, list_users_of_dealer, reactivate_user, revoke_session,
    revoke_session_of_user, set_password, touch_session,
};
pub use accounts::{LAST_DELIVERY_MS, LAST_DELIVERY_REASONS, close_delivery, last_delivery};

pub use sync::{
    ChangeRow, CommitError, DealerWrite, DocumentRow, Page, Snapshot, StoredDocument, SummaryRow,
    changes_after, commit_writes, dealers_without_document, document_snapshot, load_documents,
    sync_counts,
};

pub use meta::{checkpoint, integrity_check, log_head, log_id, set_log_id, vacuum_into};

pub use throttle::{ThrottleCount, ThrottleKey, sweep_throttle, update_throttle};

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{ConnectOptions, Connection};
use thiserror::Error;

/// An open database: SQLite (the default, embedded) or PostgreSQL.
#[derive(Clone, Debug)]
pub enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Runs the same block against whichever pool is open. The block is compiled
/// once per backend, so a query that does not type-check on both fails the build.
macro_rules! with_pool {
    ($db:expr, $pool:ident => $body:expr) => {
        match $db {
            $crate::db::Db::Sqlite($pool) => $body,
            $crate::db::Db::Postgres($pool) => $body,
        }
    };
}
pub(crate) use with_pool;

#[derive(Debug, Error)]
pub enum DbError {
    #[error("unsupported DATABASE_URL {0:?}: use sqlite://… or postgres://…")]
    UnsupportedUrl(String),
    #[error("cannot create the database folder {path}: {source}")]
    CreateDir {
        path: String,
        source: std::io::Error,
    },
    #[error("database: {0}")]
    Sqlx(#[from] sqlx::Error),
    #[error("migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

impl Db {
    /// Opens the database named by `url` and brings its schema up to date.
    pub async fn connect(url: &str) -> Result<Db, DbError> {
        Self::connect_with(url, crate::config::Synchronous::default()).await
    }

    /// [`Db::connect`] with SQLite's durability setting.
    pub async fn connect_with(
        url: &str,
        synchronous: crate::config::Synchronous,
    ) -> Result<Db, DbError> {
        if url.starts_with("sqlite:") {
            Self::connect_sqlite(url, synchronous).await
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Self::connect_postgres(url).await
        } else {
            Err(DbError::UnsupportedUrl(url.to_owned()))
        }
    }

    async fn connect_sqlite(
        url: &str,
        synchronous: crate::config::Synchronous,
    ) -> Result<Db, DbError> {
        let synchronous = match synchronous {
            crate::config::Synchronous::Normal => SqliteSynchronous::Normal,
            crate::config::Synchronous::Full => SqliteSynchronous::Full,
        };
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(synchronous)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        if let Some(parent) = Path::new(options.get_filename()).parent() {
            if !parent.as_os_str().is_empty() {
                std::fs::create_dir_all(parent).map_err(|source| DbError::CreateDir {
                    path: parent.display().to_string(),
                    source,
                })?;
            }
        }
        // DDL runs on one dedicated connection: a pooled connection that
        // cached the old schema would otherwise trip over the new one.
        let mut conn = options.clone().connect().await?;
        sqlx::migrate!("./migrations/sqlite").run(&mut conn).await?;
        conn.close().await?;
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options)
            .await?;
        Ok(Db::Sqlite(pool))
    }

    async fn connect_postgres(url: &str) -> Result<Db, DbError> {
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(10))
            .connect(url)
            .await?;
        sqlx::migrate!("./migrations/postgres").run(&pool).await?;
        Ok(Db::Postgres(pool))
    }

    /// Which backend is open, for logs and health checks.
    pub fn backend(&self) -> &'static str {
        match self {
            Db::Sqlite(_) => "sqlite",
            Db::Postgres(_) => "postgres",
        }
    }

    /// A cheap round trip to prove the database answers.
    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        with_pool!(self, pool => sqlx::query("SELECT 1").execute(pool).await.map(|_| ()))
    }

    pub async fn close(&self) {
        with_pool!(self, pool => pool.close().await)
    }
}
