//! PostgreSQL's NOTIFY, for the server processes sharing one database
//! (`crate::cluster` listens and decides what a notice means).

use sqlx::PgPool;

/// Sends `payload` on `channel` to every process listening.
pub async fn notify(pool: &PgPool, channel: &str, payload: &str) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT pg_notify($1, $2)")
        .bind(channel)
        .bind(payload)
        .execute(pool)
        .await
        .map(drop)
}
