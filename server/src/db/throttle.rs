//! SQL for the login throttle: failure counts per (kind, key), kept in the
//! database so every server process on it sees the same counts. The rules
//! (how many failures are free, how long a lock lasts) are in `auth::throttle`.

use super::{Db, with_pool};

/// One throttle row. All zero means "nothing counted" and is never stored.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ThrottleCount {
    pub failures: i64,
    /// Unix ms of the last counted failure.
    pub last_failure_at: i64,
    /// Unix ms until which attempts are refused; 0 when never locked.
    pub blocked_until: i64,
}

/// Which row: `kind` is `"username"` or `"address"` (the table checks it).
#[derive(Clone, Copy, Debug)]
pub struct ThrottleKey<'a> {
    pub kind: &'static str,
    pub key: &'a str,
}

/// Locks the row of each key (in the order given; a missing row reads as all
/// zero), lets `decide` change the counts, and stores what it changed, all in
/// one transaction. Callers on the same key, in this process or another on
/// the same database, wait for each other, so no update is lost and a check
/// cannot race the count it guards. Callers must list kinds in one fixed
/// order (address before username) so two transactions never wait on each other.
pub async fn update_throttle<T>(
    db: &Db,
    keys: &[ThrottleKey<'_>],
    decide: impl FnOnce(&mut [ThrottleCount]) -> T,
) -> Result<T, sqlx::Error> {
    // The no-op DO UPDATE is what takes the row lock on PostgreSQL (and the
    // write lock on SQLite) before anything is read: a portable SELECT … FOR UPDATE.
    const LOCK_ROW: &str = "INSERT INTO login_throttle (kind, key, failures, last_failure_at, blocked_until) \
         VALUES ($1, $2, 0, 0, 0) \
         ON CONFLICT (kind, key) DO UPDATE SET failures = login_throttle.failures \
         RETURNING failures, last_failure_at, blocked_until";
    const STORE_ROW: &str = "UPDATE login_throttle SET failures = $3, last_failure_at = $4, blocked_until = $5 \
         WHERE kind = $1 AND key = $2";
    const DELETE_ROW: &str = "DELETE FROM login_throttle WHERE kind = $1 AND key = $2";
    with_pool!(db, pool => {
        let mut tx = pool.begin().await?;
        let mut counts = Vec::with_capacity(keys.len());
        for k in keys {
            let (failures, last_failure_at, blocked_until): (i64, i64, i64) = sqlx::query_as(LOCK_ROW)
                .bind(k.kind)
                .bind(k.key)
                .fetch_one(&mut *tx)
                .await?;
            counts.push(ThrottleCount { failures, last_failure_at, blocked_until });
        }
        let before = counts.clone();
        let out = decide(&mut counts);
        for ((k, new), old) in keys.iter().zip(&counts).zip(&before) {
            if *new == ThrottleCount::default() {
                sqlx::query(DELETE_ROW).bind(k.kind).bind(k.key).execute(&mut *tx).await?;
            } else if new != old {
                sqlx::query(STORE_ROW)
                    .bind(k.kind)
                    .bind(k.key)
                    .bind(new.failures)
                    .bind(new.last_failure_at)
                    .bind(new.blocked_until)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        tx.commit().await?;
        Ok(out)
    })
}

/// Deletes rows that no longer count: last failure at or before
/// `forget_before` and no lock in force at `now`. Returns how many.
pub async fn sweep_throttle(db: &Db, forget_before: i64, now: i64) -> Result<u64, sqlx::Error> {
    with_pool!(db, pool => {
        let done = sqlx::query(
            "DELETE FROM login_throttle WHERE last_failure_at <= $1 AND blocked_until <= $2",
        )
        .bind(forget_before)
        .bind(now)
        .execute(pool)
        .await?;
        Ok(done.rows_affected())
    })
}
