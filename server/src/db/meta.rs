//! SQL for the server's own facts: the identity of the change log, and
//! SQLite's online backup.

use super::{Db, with_pool};

/// The identity of this database's change log (positive, below 2^53 so it is
/// exact in JavaScript). A device keeps it with its cursor.
pub async fn log_id(db: &Db) -> Result<u64, sqlx::Error> {
    with_pool!(db, pool => {
        let (id,): (i64,) = sqlx::query_as("SELECT log_id FROM server_meta WHERE id = 1")
            .fetch_one(pool)
            .await?;
        u64::try_from(id).map_err(|e| sqlx::Error::Decode(e.to_string().into()))
    })
}

/// The last sequence number the dealer's log has handed out (0: none).
pub async fn log_head(
    db: &Db,
    dealer: showroom_shared::domain::DealerId,
) -> Result<u64, sqlx::Error> {
    with_pool!(db, pool => {
        let row: Option<(i64,)> = sqlx::query_as("SELECT next_seq FROM dealers WHERE id = $1")
            .bind(dealer.to_string())
            .fetch_optional(pool)
            .await?;
        Ok(row.map_or(0, |(n,)| u64::try_from(n).unwrap_or(0)))
    })
}

/// Gives the log a new identity: after a restore, every device's cursor
/// names the old log, so each starts over and re-sends what it holds.
pub async fn set_log_id(db: &Db, id: u64) -> Result<(), sqlx::Error> {
    let id = i64::try_from(id).map_err(|e| sqlx::Error::Encode(e.to_string().into()))?;
    with_pool!(db, pool => {
        sqlx::query("UPDATE server_meta SET log_id = $1 WHERE id = 1")
            .bind(id)
            .execute(pool)
            .await
            .map(|_| ())
    })
}

/// Writes a consistent copy of the SQLite database to `path` (which must not
/// exist) while it stays in use: `VACUUM INTO` reads in one transaction, so
/// writers carry on and the copy is compact and complete. Not for PostgreSQL
/// (use `pg_dump`).
pub async fn vacuum_into(db: &Db, path: &str) -> Result<(), sqlx::Error> {
    match db {
        Db::Sqlite(pool) => sqlx::query("VACUUM INTO $1")
            .bind(path)
            .execute(pool)
            .await
            .map(|_| ()),
        Db::Postgres(_) => Err(sqlx::Error::Configuration(
            "an online file backup is for SQLite; back PostgreSQL up with pg_dump".into(),
        )),
    }
}

/// SQLite's own check of a database file: `ok`, or what is wrong.
pub async fn integrity_check(db: &Db) -> Result<String, sqlx::Error> {
    match db {
        Db::Sqlite(pool) => {
            let rows: Vec<(String,)> = sqlx::query_as("PRAGMA integrity_check")
                .fetch_all(pool)
                .await?;
            Ok(rows
                .into_iter()
                .map(|(r,)| r)
                .collect::<Vec<_>>()
                .join("; "))
        }
        Db::Postgres(_) => Ok("ok".to_owned()),
    }
}

/// Folds SQLite's write-ahead log into the database file (nothing on PostgreSQL).
pub async fn checkpoint(db: &Db) -> Result<(), sqlx::Error> {
    match db {
        Db::Sqlite(pool) => sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(pool)
            .await
            .map(|_| ()),
        Db::Postgres(_) => Ok(()),
    }
}
