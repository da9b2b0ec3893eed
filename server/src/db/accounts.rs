//! SQL for dealers, users and sessions (signed-in devices).

use showroom_shared::domain::{DealerId, DeviceId, Role, UserId};

use super::{Db, with_pool};

/// A user as stored, with their dealer's name (every caller needs it).
#[derive(Clone, Debug)]
pub struct UserRow {
    pub id: UserId,
    pub dealer_id: DealerId,
    pub dealer_name: String,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub password_hash: String,
    pub active: bool,
    pub must_change_password: bool,
}

/// A session as stored, joined with its user and dealer.
#[derive(Clone, Debug)]
pub struct SessionRow {
    pub id: DeviceId,
    pub user: UserRow,
    pub device_name: String,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub revoked_at: Option<i64>,
}

pub struct NewUser<'a> {
    pub id: UserId,
    pub dealer_id: DealerId,
    pub username: &'a str,
    pub display_name: &'a str,
    pub role: Role,
    pub password_hash: &'a str,
    /// The password was chosen for them (a temporary one).
    pub must_change_password: bool,
    pub now: i64,
}

pub struct NewSession<'a> {
    pub id: DeviceId,
    pub user_id: UserId,
    pub dealer_id: DealerId,
    pub token_hash: &'a str,
    pub device_name: &'a str,
    pub now: i64,
}

type UserTuple = (
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    bool,
    bool,
);

/// The select list and joins every user query shares, as a literal so the
/// queries below can be built with `concat!` at compile time.
macro_rules! select_user {
    () => {
        "SELECT u.id, u.dealer_id, d.name, u.username, u.display_name, u.role, u.password_hash, u.active, \
         u.must_change_password FROM users u JOIN dealers d ON d.id = u.dealer_id "
    };
}

/// The insert of a new user, on any executor (a pool or a transaction).
macro_rules! insert_user_sql {
    ($executor:expr, $user:expr) => {
        sqlx::query(
            "INSERT INTO users (id, dealer_id, username, display_name, role, password_hash, active, created_at, must_change_password) \
             VALUES ($1, $2, $3, $4, $5, $6, TRUE, $7, $8)",
        )
        .bind($user.id.to_string())
        .bind($user.dealer_id.to_string())
        .bind($user.username)
        .bind($user.display_name)
        .bind($user.role.as_str())
        .bind($user.password_hash)
        .bind($user.now)
        .bind($user.must_change_password)
        .execute($executor)
    };
}

fn user_from_tuple(t: UserTuple) -> Result<UserRow, sqlx::Error> {
    let (id, dealer_id, dealer_name, username, display_name, role, password_hash, active, must) = t;
    let decode = |e: &dyn std::fmt::Display| sqlx::Error::Decode(e.to_string().into());
    Ok(UserRow {
        id: id.parse().map_err(|e| decode(&e))?,
        dealer_id: dealer_id.parse().map_err(|e| decode(&e))?,
        dealer_name,
        username,
        display_name,
        role: role.parse().map_err(|e| decode(&e))?,
        password_hash,
        active,
        must_change_password: must,
    })
}

pub async fn count_dealers(db: &Db) -> Result<i64, sqlx::Error> {
    with_pool!(db, pool => {
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM dealers").fetch_one(pool).await?;
        Ok(n)
    })
}

pub async fn insert_dealer(db: &Db, id: DealerId, name: &str, now: i64) -> Result<(), sqlx::Error> {
    with_pool!(db, pool => {
        sqlx::query("INSERT INTO dealers (id, name, created_at) VALUES ($1, $2, $3)")
            .bind(id.to_string())
            .bind(name)
            .bind(now)
            .execute(pool)
            .await
            .map(|_| ())
    })
}

pub async fn insert_user(db: &Db, user: &NewUser<'_>) -> Result<(), sqlx::Error> {
    with_pool!(db, pool => insert_user_sql!(pool, user).await.map(|_| ()))
}

/// The user with this login name, active or not, with their dealer.
pub async fn find_user_for_login(db: &Db, username: &str) -> Result<Option<UserRow>, sqlx::Error> {
    let sql = concat!(select_user!(), "WHERE u.username = $1");
    with_pool!(db, pool => {
        let row: Option<UserTuple> = sqlx::query_as(sql).bind(username).fetch_optional(pool).await?;
        row.map(user_from_tuple).transpose()
    })
}

/// The user with this id *inside this dealer*. A user of another dealer is
/// `None`, exactly like a user that does not exist.
pub async fn find_user_in_dealer(
    db: &Db,
    dealer: DealerId,
    id: UserId,
) -> Result<Option<UserRow>, sqlx::Error> {
    let sql = concat!(select_user!(), "WHERE u.id = $1 AND u.dealer_id = $2");
    with_pool!(db, pool => {
        let row: Option<UserTuple> = sqlx::query_as(sql)
            .bind(id.to_string())
            .bind(dealer.to_string())
            .fetch_optional(pool)
            .await?;
        row.map(user_from_tuple).transpose()
    })
}

pub async fn list_users_of_dealer(db: &Db, dealer: DealerId) -> Result<Vec<UserRow>, sqlx::Error> {
    let sql = concat!(
        select_user!(),
        "WHERE u.dealer_id = $1 ORDER BY u.active DESC, u.display_name, u.username"
    );
    with_pool!(db, pool => {
        let rows: Vec<UserTuple> = sqlx::query_as(sql).bind(dealer.to_string()).fetch_all(pool).await?;
        rows.into_iter().map(user_from_tuple).collect()
    })
}

pub async fn insert_session(db: &Db, s: &NewSession<'_>) -> Result<(), sqlx::Error> {
    with_pool!(db, pool => {
        sqlx::query(
            "INSERT INTO sessions (id, user_id, dealer_id, token_hash, device_name, created_at, last_seen_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $6)",
        )
        .bind(s.id.to_string())
        .bind(s.user_id.to_string())
        .bind(s.dealer_id.to_string())
        .bind(s.token_hash)
        .bind(s.device_name)
        .bind(s.now)
        .execute(pool)
        .await
        .map(|_| ())
    })
}

type SessionTuple = (String, String, i64, i64, Option<i64>);

fn session_from_tuples(s: SessionTuple, user: UserRow) -> Result<SessionRow, sqlx::Error> {
    let (id, device_name, created_at, last_seen_at, revoked_at) = s;
    Ok(SessionRow {
        id: id
            .parse()
            .map_err(|e: uuid::Error| sqlx::Error::Decode(e.to_string().into()))?,
        user,
        device_name,
        created_at,
        last_seen_at,
        revoked_at,
    })
}

/// The session whose token hashes to `token_hash`, revoked or not.
pub async fn find_session_by_token_hash(
    db: &Db,
    token_hash: &str,
) -> Result<Option<SessionRow>, sqlx::Error> {
    let sql = "SELECT s.id, s.device_name, s.created_at, s.last_seen_at, s.revoked_at, \
               u.id, u.dealer_id, d.name, u.username, u.display_name, u.role, u.password_hash, u.active, \
               u.must_change_password FROM sessions s JOIN users u ON u.id = s.user_id JOIN dealers d ON d.id = u.dealer_id \
               WHERE s.token_hash = $1";
    with_pool!(db, pool => {
        let row: Option<(String, String, i64, i64, Option<i64>, String, String, String, String, String, String, String, bool, bool)> =
            sqlx::query_as(sql).bind(token_hash).fetch_optional(pool).await?;
        match row {
            None => Ok(None),
            Some((sid, dname, created, seen, revoked, uid, did, dealer_name, username, display, role, hash, active, must)) => {
                let user = user_from_tuple((uid, did, dealer_name, username, display, role, hash, active, must))?;
                session_from_tuples((sid, dname, created, seen, revoked), user).map(Some)
            }
        }
    })
}

/// The reasons a session ends that leave it a last delivery (see
/// `migrations/*/0010_last_delivery.sql`): the server or a manager ended
/// it, not its own device and not as lost or stolen.
pub const LAST_DELIVERY_REASONS: &[&str] = &[
    "revoked_by_manager",
    "revoked_by_user",
    "user_deactivated",
    "password_reset",
    "password_changed",
    "expired",
];

/// How long after its end a session may still make its last delivery.
pub const LAST_DELIVERY_MS: i64 = 14 * 24 * 60 * 60 * 1000;

/// When the session ended, if it may still make its last delivery at `now`:
/// ended for one of [`LAST_DELIVERY_REASONS`], less than
/// [`LAST_DELIVERY_MS`] ago, and not delivered yet.
pub async fn last_delivery(db: &Db, id: DeviceId, now: i64) -> Result<Option<i64>, sqlx::Error> {
    let row: Option<(Option<i64>, Option<String>, Option<i64>)> = with_pool!(db, pool => {
        sqlx::query_as("SELECT revoked_at, revoked_reason, delivered_at FROM sessions WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional(pool)
            .await
    })?;
    Ok(match row {
        Some((Some(ended), Some(reason), None))
            if LAST_DELIVERY_REASONS.contains(&reason.as_str())
                && now - ended < LAST_DELIVERY_MS =>
        {
            Some(ended)
        }
        _ => None,
    })
}

/// The session's last delivery is over: it accepts nothing more.
pub async fn close_delivery(db: &Db, id: DeviceId, now: i64) -> Result<(), sqlx::Error> {
    with_pool!(db, pool => {
        sqlx::query("UPDATE sessions SET delivered_at = $1 WHERE id = $2 AND revoked_at IS NOT NULL AND delivered_at IS NULL")
            .bind(now)
            .bind(id.to_string())
            .execute(pool)
            .await
            .map(|_| ())
    })
}

/// Records that the session was used. Callers throttle this to about once a
/// minute so reads do not turn into writes.
pub async fn touch_session(db: &Db, id: DeviceId, now: i64) -> Result<(), sqlx::Error> {
    with_pool!(db, pool => {
        sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE id = $2 AND revoked_at IS NULL")
            .bind(now)
            .bind(id.to_string())
            .execute(pool)
            .await
            .map(|_| ())
    })
}

/// Every session of a user, newest first.
pub async fn list_sessions_of_user(
    db: &Db,
    user: &UserRow,
) -> Result<Vec<SessionRow>, sqlx::Error> {
    with_pool!(db, pool => {
        let rows: Vec<SessionTuple> = sqlx::query_as(
            "SELECT id, device_name, created_at, last_seen_at, revoked_at FROM sessions \
             WHERE user_id = $1 ORDER BY created_at DESC, id",
        )
        .bind(user.id.to_string())
        .fetch_all(pool)
        .await?;
        rows.into_iter().map(|r| session_from_tuples(r, user.clone())).collect()
    })
}

/// Revokes one session by id. Revoking twice keeps the first time and reason.
pub async fn revoke_session(
    db: &Db,
    id: DeviceId,
    reason: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    with_pool!(db, pool => {
        sqlx::query("UPDATE sessions SET revoked_at = $1, revoked_reason = $2 WHERE id = $3 AND revoked_at IS NULL")
            .bind(now)
            .bind(reason)
            .bind(id.to_string())
            .execute(pool)
            .await
            .map(|_| ())
    })
}

/// Revokes the session `device` if it belongs to `user`. Returns whether such a
/// session exists (revoked before or now).
pub async fn revoke_session_of_user(
    db: &Db,
    user: UserId,
    device: DeviceId,
    reason: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    with_pool!(db, pool => {
        let mut tx = pool.begin().await?;
        let found: Option<(String,)> = sqlx::query_as("SELECT id FROM sessions WHERE id = $1 AND user_id = $2")
            .bind(device.to_string())
            .bind(user.to_string())
            .fetch_optional(&mut *tx)
            .await?;
        if found.is_some() {
            sqlx::query("UPDATE sessions SET revoked_at = $1, revoked_reason = $2 WHERE id = $3 AND revoked_at IS NULL")
                .bind(now)
                .bind(reason)
                .bind(device.to_string())
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(found.is_some())
    })
}

/// Deactivates a user and revokes every live session of theirs, atomically.
pub async fn deactivate_user(db: &Db, user: UserId, now: i64) -> Result<(), sqlx::Error> {
    with_pool!(db, pool => {
        let mut tx = pool.begin().await?;
        sqlx::query("UPDATE users SET active = FALSE, deactivated_at = $1 WHERE id = $2 AND active = TRUE")
            .bind(now)
            .bind(user.to_string())
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "UPDATE sessions SET revoked_at = $1, revoked_reason = 'user_deactivated' \
             WHERE user_id = $2 AND revoked_at IS NULL",
        )
        .bind(now)
        .bind(user.to_string())
        .execute(&mut *tx)
        .await?;
        tx.commit().await
    })
}

/// Lets a deactivated user sign in again. Their old sessions stay revoked.
pub async fn reactivate_user(db: &Db, user: UserId) -> Result<(), sqlx::Error> {
    with_pool!(db, pool => {
        sqlx::query("UPDATE users SET active = TRUE, deactivated_at = NULL WHERE id = $1")
            .bind(user.to_string())
            .execute(pool)
            .await
            .map(|_| ())
    })
}

/// Creates a dealer and its first user in one transaction. With `only_first`,
/// nothing is created (and `false` returned) when the server already has a
/// dealer: the one-time set-up of a fresh install, safe against a second
/// set-up racing it. A taken username is [`CreateError::UsernameTaken`].
pub async fn insert_dealer_with_user(
    db: &Db,
    dealer: DealerId,
    name: &str,
    user: &NewUser<'_>,
    only_first: bool,
) -> Result<bool, CreateError> {
    with_pool!(db, pool => {
        let mut tx = pool.begin().await?;
        // Serialise set-ups on PostgreSQL as SQLite's single writer does.
        if only_first {
            let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM dealers").fetch_one(&mut *tx).await?;
            if n > 0 {
                return Ok(false);
            }
        }
        sqlx::query("INSERT INTO dealers (id, name, created_at) VALUES ($1, $2, $3)")
            .bind(dealer.to_string())
            .bind(name)
            .bind(user.now)
            .execute(&mut *tx)
            .await?;
        insert_user_sql!(&mut *tx, user).await?;
        tx.commit().await?;
        Ok(true)
    })
}

/// Why a dealer or user was not created.
#[derive(Debug, thiserror::Error)]
pub enum CreateError {
    #[error("this username is taken")]
    UsernameTaken,
    #[error(transparent)]
    Sqlx(sqlx::Error),
}

/// The only unique key a new user can clash on is the username (ids are
/// fresh UUIDs): the database's own constraint decides, so two creations
/// racing for one name cannot both succeed.
impl From<sqlx::Error> for CreateError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::Database(d) if d.is_unique_violation() => CreateError::UsernameTaken,
            _ => CreateError::Sqlx(e),
        }
    }
}

/// Adds a user unless the username is taken.
pub async fn insert_new_user(db: &Db, user: &NewUser<'_>) -> Result<(), CreateError> {
    Ok(insert_user(db, user).await?)
}

/// Sets a user's password hash. `must_change` marks a temporary password.
/// Every live session of the user except `keep` is revoked with `reason`, in
/// the same transaction; returns the revoked devices (their connections are
/// to be closed).
pub async fn set_password(
    db: &Db,
    user: UserId,
    hash: &str,
    must_change: bool,
    keep: Option<DeviceId>,
    reason: &str,
    now: i64,
) -> Result<Vec<DeviceId>, sqlx::Error> {
    let keep = keep.map(|d| d.to_string()).unwrap_or_default();
    with_pool!(db, pool => {
        let mut tx = pool.begin().await?;
        sqlx::query("UPDATE users SET password_hash = $1, must_change_password = $2 WHERE id = $3")
            .bind(hash)
            .bind(must_change)
            .bind(user.to_string())
            .execute(&mut *tx)
            .await?;
        let revoked: Vec<(String,)> = sqlx::query_as(
            "UPDATE sessions SET revoked_at = $1, revoked_reason = $2 \
             WHERE user_id = $3 AND revoked_at IS NULL AND id <> $4 RETURNING id",
        )
        .bind(now)
        .bind(reason)
        .bind(user.to_string())
        .bind(keep)
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        revoked
            .into_iter()
            .map(|(id,)| id.parse().map_err(|e: uuid::Error| sqlx::Error::Decode(e.to_string().into())))
            .collect()
    })
}

/// A dealer as an operator lists them.
#[derive(Clone, Debug)]
pub struct DealerRow {
    pub id: DealerId,
    pub name: String,
    pub users: i64,
}

/// Every dealer of the server, by name (the operator's `admin list-dealers`).
pub async fn list_dealers(db: &Db) -> Result<Vec<DealerRow>, sqlx::Error> {
    with_pool!(db, pool => {
        let rows: Vec<(String, String, i64)> = sqlx::query_as(
            "SELECT d.id, d.name, (SELECT COUNT(*) FROM users u WHERE u.dealer_id = d.id) \
             FROM dealers d ORDER BY d.name, d.id",
        )
        .fetch_all(pool)
        .await?;
        rows.into_iter()
            .map(|(id, name, users)| {
                Ok(DealerRow {
                    id: id.parse().map_err(|e: uuid::Error| sqlx::Error::Decode(e.to_string().into()))?,
                    name,
                    users,
                })
            })
            .collect()
    })
}
