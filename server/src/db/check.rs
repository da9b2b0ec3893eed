//! SQL for the storage check (`crate::check`): a document's whole log read
//! beside what the server stores of it, and the repair of one document.

use showroom_shared::domain::floor::FloorRow;
use showroom_shared::domain::{DealerId, DocId};

use super::sync::{SummaryRow, upsert_summaries};
use super::{Db, with_pool};

/// The version of the check a server runs at start-up (`server_meta.storage_checked`).
/// Raise it when a fix needs databases already written to be checked again.
/// 2: the floor rows (`floor_rows`) are compared, and written for documents
/// stored before the server kept them.
pub const STORAGE_CHECK_VERSION: i64 = 2;

/// One change of a document's log.
#[derive(Debug)]
pub struct LoggedChange {
    pub seq: i64,
    pub hash: String,
    pub bytes: Vec<u8>,
    pub applied: bool,
}

/// A document's row, its whole log in order, and its lead summary if any.
#[derive(Debug)]
pub struct LoggedDocument {
    pub doc: DocId,
    pub snapshot_seq: i64,
    pub last_seq: i64,
    pub history_bytes: i64,
    pub log: Vec<LoggedChange>,
    pub summary: Option<SummaryRow>,
    /// The floor rows stored as this document's.
    pub floor: Vec<FloorRow>,
}

/// Every dealer's id.
pub async fn dealer_ids(db: &Db) -> Result<Vec<DealerId>, sqlx::Error> {
    let rows: Vec<(String,)> = with_pool!(db, pool => {
        sqlx::query_as("SELECT id FROM dealers ORDER BY id").fetch_all(pool).await
    })?;
    Ok(rows
        .into_iter()
        .filter_map(|(id,)| id.parse().ok())
        .collect())
}

/// The next `limit` document ids of `dealer` after `after` (in id order).
pub async fn document_ids(
    db: &Db,
    dealer: DealerId,
    after: &str,
    limit: usize,
) -> Result<Vec<String>, sqlx::Error> {
    let rows: Vec<(String,)> = with_pool!(db, pool => {
        sqlx::query_as(
            "SELECT doc_id FROM documents WHERE dealer_id = $1 AND doc_id > $2 ORDER BY doc_id LIMIT $3",
        )
        .bind(dealer.to_string())
        .bind(after)
        .bind(limit as i64)
        .fetch_all(pool)
        .await
    })?;
    Ok(rows.into_iter().map(|(d,)| d).collect())
}

/// The documents `docs` of `dealer` with their whole logs, read in one
/// transaction (a consistent view even while a server writes).
pub async fn logged_documents(
    db: &Db,
    dealer: DealerId,
    docs: &[String],
) -> Result<Vec<LoggedDocument>, sqlx::Error> {
    let dealer_text = dealer.to_string();
    let postgres = matches!(db, Db::Postgres(_));
    let (rows, changes, summaries, floor): (
        Vec<(String, i64, i64, i64)>,
        Vec<(String, i64, String, Vec<u8>, bool)>,
        Vec<SummaryTuple>,
        Vec<(String, String)>,
    ) = with_pool!(db, pool => {
        let mut tx = pool.begin().await?;
        if postgres {
            sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                .execute(&mut *tx)
                .await?;
        }
        let mut q = sqlx::QueryBuilder::new(
            "SELECT doc_id, snapshot_seq, last_seq, history_bytes FROM documents WHERE dealer_id = ",
        );
        q.push_bind(dealer_text.clone());
        q.push(" AND doc_id IN (");
        let mut list = q.separated(", ");
        for id in docs {
            list.push_bind(id.clone());
        }
        q.push(")");
        let rows: Vec<(String, i64, i64, i64)> = q.build_query_as().fetch_all(&mut *tx).await?;
        let mut q = sqlx::QueryBuilder::new(
            "SELECT doc_id, seq, hash, bytes, applied FROM changes WHERE dealer_id = ",
        );
        q.push_bind(dealer_text.clone());
        q.push(" AND doc_id IN (");
        let mut list = q.separated(", ");
        for id in docs {
            list.push_bind(id.clone());
        }
        q.push(") ORDER BY seq");
        let changes: Vec<(String, i64, String, Vec<u8>, bool)> =
            q.build_query_as().fetch_all(&mut *tx).await?;
        let mut q = sqlx::QueryBuilder::new(
            "SELECT doc_id, customer_name, mobile, grade, stage, owner_id, next_follow_up, updated_at \
             FROM lead_summaries WHERE dealer_id = ",
        );
        q.push_bind(dealer_text.clone());
        q.push(" AND doc_id IN (");
        let mut list = q.separated(", ");
        for id in docs {
            // Lead summaries are keyed by the lead's own id.
            list.push_bind(id.strip_prefix("lead:").unwrap_or(id).to_owned());
        }
        q.push(")");
        let summaries: Vec<SummaryTuple> = q.build_query_as().fetch_all(&mut *tx).await?;
        let mut q = sqlx::QueryBuilder::new("SELECT doc_id, row_json FROM floor_rows WHERE dealer_id = ");
        q.push_bind(dealer_text.clone());
        q.push(" AND doc_id IN (");
        let mut list = q.separated(", ");
        for id in docs {
            list.push_bind(id.clone());
        }
        q.push(") ORDER BY row_key");
        let floor: Vec<(String, String)> = q.build_query_as().fetch_all(&mut *tx).await?;
        tx.commit().await?;
        (rows, changes, summaries, floor)
    });
    let mut floor_of: std::collections::HashMap<String, Vec<FloorRow>> = Default::default();
    for (doc, json) in floor {
        if let Some(row) = FloorRow::from_json(&json) {
            floor_of.entry(doc).or_default().push(row);
        }
    }
    let mut logs: std::collections::HashMap<String, Vec<LoggedChange>> = Default::default();
    for (doc, seq, hash, bytes, applied) in changes {
        logs.entry(doc).or_default().push(LoggedChange {
            seq,
            hash,
            bytes,
            applied,
        });
    }
    let mut summary_of: std::collections::HashMap<String, SummaryRow> = summaries
        .into_iter()
        .map(
            |(doc, customer_name, mobile, grade, stage, owner_id, next_follow_up, updated_at)| {
                (
                    format!("lead:{doc}"),
                    SummaryRow {
                        customer_name,
                        mobile,
                        grade,
                        stage,
                        owner_id,
                        next_follow_up,
                        updated_at,
                    },
                )
            },
        )
        .collect();
    Ok(rows
        .into_iter()
        .filter_map(|(doc_text, snapshot_seq, last_seq, history_bytes)| {
            let doc = doc_text.parse::<DocId>().ok()?;
            Some(LoggedDocument {
                doc,
                snapshot_seq,
                last_seq,
                history_bytes,
                log: logs.remove(&doc_text).unwrap_or_default(),
                summary: summary_of.remove(&doc_text),
                floor: floor_of.remove(&doc_text).unwrap_or_default(),
            })
        })
        .collect())
}

type SummaryTuple = (
    String,
    String,
    Option<String>,
    String,
    String,
    Option<String>,
    Option<String>,
    i64,
);

/// What a repair writes for one document: a snapshot of its whole log, the
/// applied flag of each change that had the wrong one, its summary.
#[derive(Debug)]
pub struct Repair {
    pub doc: DocId,
    /// `documents.last_seq` as read: the repair is skipped if a server wrote
    /// the document since (its writer then holds the right view).
    pub expected_last_seq: i64,
    pub snapshot: Vec<u8>,
    /// The log position the snapshot covers (the document's last change).
    pub snapshot_seq: i64,
    pub history_bytes: i64,
    pub flags: Vec<(String, bool)>,
    /// The lead's summary, for a lead that reads.
    pub summary: Option<SummaryRow>,
    /// The floor rows of a lead or a register that reads.
    pub floor: Vec<FloorRow>,
}

/// Writes one document's repair in one transaction. `Ok(false)`: the
/// document changed since it was read, nothing was written.
pub async fn repair_document(db: &Db, dealer: DealerId, r: &Repair) -> Result<bool, sqlx::Error> {
    let dealer_text = dealer.to_string();
    let doc_text = r.doc.to_string();
    with_pool!(db, pool => {
        let mut tx = pool.begin().await?;
        let updated = sqlx::query(
            "UPDATE documents SET snapshot = $1, size_bytes = $2, snapshot_seq = $3, history_bytes = $4 \
             WHERE dealer_id = $5 AND doc_id = $6 AND last_seq = $7",
        )
        .bind(&r.snapshot)
        .bind(r.snapshot.len() as i64)
        .bind(r.snapshot_seq)
        .bind(r.history_bytes)
        .bind(&dealer_text)
        .bind(&doc_text)
        .bind(r.expected_last_seq)
        .execute(&mut *tx)
        .await?;
        if updated.rows_affected() != 1 {
            tx.rollback().await?;
            return Ok(false);
        }
        for (hash, applied) in &r.flags {
            sqlx::query("UPDATE changes SET applied = $1 WHERE dealer_id = $2 AND doc_id = $3 AND hash = $4")
                .bind(*applied)
                .bind(&dealer_text)
                .bind(&doc_text)
                .bind(hash)
                .execute(&mut *tx)
                .await?;
        }
        if let Some(summary) = &r.summary {
            let key = r.doc.id.to_string();
            upsert_summaries!(tx, dealer_text.as_str(), &[(key, summary.clone())]);
        }
        super::floor::upsert_floor!(tx, dealer_text.as_str(), &r.floor);
        tx.commit().await?;
        Ok(true)
    })
}

/// The storage check version this database has been through.
pub async fn storage_checked(db: &Db) -> Result<i64, sqlx::Error> {
    with_pool!(db, pool => {
        let (v,): (i64,) = sqlx::query_as("SELECT storage_checked FROM server_meta WHERE id = 1")
            .fetch_one(pool)
            .await?;
        Ok(v)
    })
}

/// Records that the database has been through the check of `version`.
pub async fn set_storage_checked(db: &Db, version: i64) -> Result<(), sqlx::Error> {
    with_pool!(db, pool => {
        sqlx::query("UPDATE server_meta SET storage_checked = $1 WHERE id = 1")
            .bind(version)
            .execute(pool)
            .await
            .map(|_| ())
    })
}
