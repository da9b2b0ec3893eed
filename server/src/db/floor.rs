//! The showroom floor the server keeps (`floor_rows`): one row per visit and
//! per test drive of every lead and register, without the customer
//! (`shared::domain::floor`). The writer keeps them with their documents;
//! a salesperson's page carries the rows of the documents they may not see.

use showroom_shared::domain::floor::FloorRow;
use showroom_shared::domain::{DealerId, DocId};

use super::{Db, with_pool};

/// Writes floor rows of one dealer in the transaction `tx`, each replacing
/// the row of its visit or drive — except that a visit's row from a lead
/// is not replaced by one from a register (the register's entry stops
/// changing once the visit is linked; the lead's is the visit's from then
/// on, as on the devices: `FloorIndex::upsert`). The rows are stored
/// anonymous, whatever they carried. A macro: it expands inside
/// `with_pool!`, once per backend.
macro_rules! upsert_floor {
    ($tx:expr, $dealer_text:expr, $rows:expr) => {{
        let rows: &[showroom_shared::domain::floor::FloorRow] = $rows;
        for chunk in rows.chunks($crate::db::sync::ROWS_PER_STATEMENT) {
            let mut q = sqlx::QueryBuilder::new(
                "INSERT INTO floor_rows (dealer_id, row_key, doc_id, until_at, row_json) ",
            );
            q.push_values(chunk, |mut b, row| {
                b.push_bind($dealer_text.to_owned())
                    .push_bind(row.key())
                    .push_bind(row.doc().to_string())
                    .push_bind(row.until())
                    .push_bind(row.clone().anonymous().to_json());
            });
            q.push(
                " ON CONFLICT (dealer_id, row_key) DO UPDATE SET doc_id = excluded.doc_id, \
                 until_at = excluded.until_at, row_json = excluded.row_json \
                 WHERE floor_rows.doc_id NOT LIKE 'lead:%' OR excluded.doc_id LIKE 'lead:%'",
            );
            q.build().execute(&mut *$tx).await?;
        }
    }};
}
pub(crate) use upsert_floor;

/// The floor rows of `docs` that still matter at `since` (their visit or
/// drive ended at or after it, `FloorRow::until`), by document.
pub async fn rows_of(
    db: &Db,
    dealer: DealerId,
    docs: &[DocId],
    since: i64,
) -> Result<Vec<FloorRow>, sqlx::Error> {
    let mut rows = Vec::new();
    let dealer_text = dealer.to_string();
    for chunk in docs.chunks(super::sync::ROWS_PER_STATEMENT) {
        let found: Vec<(String,)> = with_pool!(db, pool => {
            let mut q = sqlx::QueryBuilder::new("SELECT row_json FROM floor_rows WHERE dealer_id = ");
            q.push_bind(dealer_text.clone());
            q.push(" AND until_at >= ");
            q.push_bind(since);
            q.push(" AND doc_id IN (");
            let mut ids = q.separated(", ");
            for doc in chunk {
                ids.push_bind(doc.to_string());
            }
            q.push(") ORDER BY doc_id, row_key");
            q.build_query_as().fetch_all(pool).await
        })?;
        rows.extend(found.iter().filter_map(|(json,)| FloorRow::from_json(json)));
    }
    Ok(rows)
}

/// Every floor row of the dealer that still matters at `since` (the
/// day's visits and who is on the floor: the walk-in rotation's line).
pub async fn rows_since(
    db: &Db,
    dealer: DealerId,
    since: i64,
) -> Result<Vec<FloorRow>, sqlx::Error> {
    let found: Vec<(String,)> = with_pool!(db, pool => {
        sqlx::query_as("SELECT row_json FROM floor_rows WHERE dealer_id = $1 AND until_at >= $2")
            .bind(dealer.to_string())
            .bind(since)
            .fetch_all(pool)
            .await
    })?;
    Ok(found
        .into_iter()
        .filter_map(|(json,)| FloorRow::from_json(&json))
        .collect())
}
