//! Moving a server from SQLite to PostgreSQL (`showroom-server copy-to`):
//! every table copied row for row, in one PostgreSQL transaction, into a
//! database that has the schema (migrated) and no dealer yet. The change
//! log keeps its sequence numbers and its identity, so the devices carry on
//! from their cursors as if nothing happened. The login throttle's counts
//! are not copied (they are forgotten within minutes anyway).

use sqlx::postgres::PgPool;
use sqlx::sqlite::SqlitePool;

/// How many rows went, per table.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Copied {
    pub dealers: u64,
    pub users: u64,
    pub sessions: u64,
    pub documents: u64,
    pub changes: u64,
    pub summaries: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    #[error("the PostgreSQL database already has dealers: copy only into a new, empty one")]
    NotEmpty,
    #[error("the database failed: {0}")]
    Sqlx(#[from] sqlx::Error),
}

/// Rows read per query from the big tables.
const CHUNK: i64 = 500;

type DocumentRow = (String, String, Vec<u8>, i64, i64, i64, i64, i64);
type ChangeRow = (String, i64, String, String, Vec<u8>, String, bool, i64, i64);

/// Copies everything from `from` into `to` (see the module's header).
pub async fn sqlite_to_postgres(from: &SqlitePool, to: &PgPool) -> Result<Copied, CopyError> {
    let (existing,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM dealers")
        .fetch_one(to)
        .await?;
    if existing > 0 {
        return Err(CopyError::NotEmpty);
    }
    let mut copied = Copied::default();
    let mut tx = to.begin().await?;

    let dealers: Vec<(String, String, i64, i64)> =
        sqlx::query_as("SELECT id, name, created_at, next_seq FROM dealers ORDER BY id")
            .fetch_all(from)
            .await?;
    for (id, name, created_at, next_seq) in dealers {
        sqlx::query("INSERT INTO dealers (id, name, created_at, next_seq) VALUES ($1, $2, $3, $4)")
            .bind(id)
            .bind(name)
            .bind(created_at)
            .bind(next_seq)
            .execute(&mut *tx)
            .await?;
        copied.dealers += 1;
    }

    type UserRow = (
        String,
        String,
        String,
        String,
        String,
        String,
        bool,
        i64,
        Option<i64>,
        bool,
    );
    let users: Vec<UserRow> = sqlx::query_as(
        "SELECT id, dealer_id, username, display_name, role, password_hash, active, created_at, \
         deactivated_at, must_change_password FROM users ORDER BY id",
    )
    .fetch_all(from)
    .await?;
    for (id, dealer, username, display, role, hash, active, created, deactivated, must) in users {
        sqlx::query(
            "INSERT INTO users (id, dealer_id, username, display_name, role, password_hash, active, \
             created_at, deactivated_at, must_change_password) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(id)
        .bind(dealer)
        .bind(username)
        .bind(display)
        .bind(role)
        .bind(hash)
        .bind(active)
        .bind(created)
        .bind(deactivated)
        .bind(must)
        .execute(&mut *tx)
        .await?;
        copied.users += 1;
    }

    type SessionRow = (
        String,
        String,
        String,
        String,
        String,
        i64,
        i64,
        Option<i64>,
        Option<String>,
    );
    let sessions: Vec<SessionRow> = sqlx::query_as(
        "SELECT id, user_id, dealer_id, token_hash, device_name, created_at, last_seen_at, \
         revoked_at, revoked_reason FROM sessions ORDER BY id",
    )
    .fetch_all(from)
    .await?;
    for (id, user, dealer, token, device, created, seen, revoked, reason) in sessions {
        sqlx::query(
            "INSERT INTO sessions (id, user_id, dealer_id, token_hash, device_name, created_at, \
             last_seen_at, revoked_at, revoked_reason) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(id)
        .bind(user)
        .bind(dealer)
        .bind(token)
        .bind(device)
        .bind(created)
        .bind(seen)
        .bind(revoked)
        .bind(reason)
        .execute(&mut *tx)
        .await?;
        copied.sessions += 1;
    }

    // Documents and changes page by key, so a big database never sits in
    // memory whole.
    let (mut dealer_after, mut doc_after) = (String::new(), String::new());
    loop {
        let rows: Vec<DocumentRow> = sqlx::query_as(
            "SELECT dealer_id, doc_id, snapshot, size_bytes, last_seq, updated_at, snapshot_seq, \
             history_bytes FROM documents WHERE (dealer_id, doc_id) > ($1, $2) \
             ORDER BY dealer_id, doc_id LIMIT $3",
        )
        .bind(&dealer_after)
        .bind(&doc_after)
        .bind(CHUNK)
        .fetch_all(from)
        .await?;
        let Some(last) = rows.last() else {
            break;
        };
        (dealer_after, doc_after) = (last.0.clone(), last.1.clone());
        for (dealer, doc, snapshot, size, last_seq, updated, snapshot_seq, history) in rows {
            sqlx::query(
                "INSERT INTO documents (dealer_id, doc_id, snapshot, size_bytes, last_seq, \
                 updated_at, snapshot_seq, history_bytes) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(dealer)
            .bind(doc)
            .bind(snapshot)
            .bind(size)
            .bind(last_seq)
            .bind(updated)
            .bind(snapshot_seq)
            .bind(history)
            .execute(&mut *tx)
            .await?;
            copied.documents += 1;
        }
    }

    let (mut dealer_after, mut seq_after) = (String::new(), -1_i64);
    loop {
        let rows: Vec<ChangeRow> = sqlx::query_as(
            "SELECT dealer_id, seq, doc_id, hash, bytes, origin_device, applied, created_at, \
             size_bytes FROM changes WHERE (dealer_id, seq) > ($1, $2) \
             ORDER BY dealer_id, seq LIMIT $3",
        )
        .bind(&dealer_after)
        .bind(seq_after)
        .bind(CHUNK)
        .fetch_all(from)
        .await?;
        let Some(last) = rows.last() else {
            break;
        };
        (dealer_after, seq_after) = (last.0.clone(), last.1);
        for (dealer, seq, doc, hash, bytes, origin, applied, created, size) in rows {
            sqlx::query(
                "INSERT INTO changes (dealer_id, seq, doc_id, hash, bytes, origin_device, applied, \
                 created_at, size_bytes) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(dealer)
            .bind(seq)
            .bind(doc)
            .bind(hash)
            .bind(bytes)
            .bind(origin)
            .bind(applied)
            .bind(created)
            .bind(size)
            .execute(&mut *tx)
            .await?;
            copied.changes += 1;
        }
    }

    type SummaryRow = (
        String,
        String,
        String,
        Option<String>,
        String,
        String,
        Option<String>,
        Option<String>,
        i64,
    );
    let summaries: Vec<SummaryRow> = sqlx::query_as(
        "SELECT dealer_id, doc_id, customer_name, mobile, grade, stage, owner_id, next_follow_up, \
         updated_at FROM lead_summaries ORDER BY dealer_id, doc_id",
    )
    .fetch_all(from)
    .await?;
    for (dealer, doc, name, mobile, grade, stage, owner, next, updated) in summaries {
        sqlx::query(
            "INSERT INTO lead_summaries (dealer_id, doc_id, customer_name, mobile, grade, stage, \
             owner_id, next_follow_up, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(dealer)
        .bind(doc)
        .bind(name)
        .bind(mobile)
        .bind(grade)
        .bind(stage)
        .bind(owner)
        .bind(next)
        .bind(updated)
        .execute(&mut *tx)
        .await?;
        copied.summaries += 1;
    }

    // The same log: the devices' cursors stay valid.
    let (log_id,): (i64,) = sqlx::query_as("SELECT log_id FROM server_meta WHERE id = 1")
        .fetch_one(from)
        .await?;
    sqlx::query("UPDATE server_meta SET log_id = $1 WHERE id = 1")
        .bind(log_id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(copied)
}
