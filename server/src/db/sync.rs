//! SQL for sync: the per-dealer change log, document snapshots and lead
//! summaries. A pushed batch is stored in one transaction; only what it
//! committed is acknowledged.

use showroom_shared::doc::parse_change;
use showroom_shared::domain::{DealerId, DeviceId, Lead, LeadId};
use showroom_shared::sync::{DocChanges, Refused, StoredDoc, ingest};

use super::{Db, with_pool};

/// What storing a batch did.
#[derive(Debug, Default)]
pub struct BatchOutcome {
    pub refused: Vec<Refused>,
    /// Changes new to the server (0 when the batch was a retransmission).
    pub new_changes: usize,
    /// The dealer's last sequence number after the batch.
    pub last_seq: i64,
}

/// A page of the change log after a cursor.
#[derive(Debug, Default)]
pub struct Page {
    /// The last sequence number looked at (the device's next cursor).
    pub to: i64,
    /// Whether the log holds nothing after `to`.
    pub complete: bool,
    pub docs: Vec<DocChanges>,
}

/// Stores a batch of changes from `device` of `dealer`, in one transaction.
///
/// The dealer row is written first: on PostgreSQL this takes its row lock,
/// so writers of one dealer take sequence numbers one after the other and
/// commit in sequence order (a reader asking for `seq > cursor` can never
/// skip a row committed late). SQLite has one writer at a time anyway.
pub async fn store_batch(
    db: &Db,
    dealer: DealerId,
    device: DeviceId,
    docs: &[DocChanges],
    now: i64,
) -> Result<BatchOutcome, sqlx::Error> {
    let dealer_text = dealer.to_string();
    let device_text = device.to_string();
    with_pool!(db, pool => {
        let mut tx = pool.begin().await?;
        let (mut seq,): (i64,) =
            sqlx::query_as("UPDATE dealers SET next_seq = next_seq WHERE id = $1 RETURNING next_seq")
                .bind(&dealer_text)
                .fetch_one(&mut *tx)
                .await?;
        let mut outcome = BatchOutcome::default();
        for DocChanges { doc, changes } in docs {
            let doc_text = doc.to_string();
            // A document row exists as soon as any change of it was stored;
            // waiting changes are read only when there are some.
            let row: Option<(Vec<u8>, bool)> = sqlx::query_as(
                "SELECT snapshot, EXISTS (SELECT 1 FROM changes c WHERE c.dealer_id = $1 AND c.doc_id = $2 \
                 AND c.applied = FALSE) FROM documents WHERE dealer_id = $1 AND doc_id = $2",
            )
            .bind(&dealer_text)
            .bind(&doc_text)
            .fetch_optional(&mut *tx)
            .await?;
            let had_pending = row.as_ref().is_some_and(|(_, p)| *p);
            let pending: Vec<(Vec<u8>,)> = if had_pending {
                sqlx::query_as(
                    "SELECT bytes FROM changes WHERE dealer_id = $1 AND doc_id = $2 AND applied = FALSE ORDER BY seq",
                )
                .bind(&dealer_text)
                .bind(&doc_text)
                .fetch_all(&mut *tx)
                .await?
            } else {
                Vec::new()
            };
            let stored = row.map(|(snapshot, _)| StoredDoc {
                snapshot,
                pending: pending.into_iter().map(|(b,)| b).collect(),
            });
            let result = ingest(dealer, *doc, stored.as_ref(), changes);
            let ingested = match result {
                Ok(ingested) => ingested,
                Err(refusal) => {
                    outcome.refused.push(Refused { doc: *doc, code: refusal.code, message: refusal.message });
                    continue;
                }
            };
            let still_pending: Vec<String> = ingested
                .stored
                .pending
                .iter()
                .filter_map(|b| parse_change(b).ok().map(|c| c.hash().to_string()))
                .collect();
            for change in &ingested.new_changes {
                seq += 1;
                let hash = change.hash.to_string();
                sqlx::query(
                    "INSERT INTO changes (dealer_id, seq, doc_id, hash, bytes, origin_device, applied, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                )
                .bind(&dealer_text)
                .bind(seq)
                .bind(&doc_text)
                .bind(&hash)
                .bind(&change.bytes)
                .bind(&device_text)
                .bind(!still_pending.contains(&hash))
                .bind(now)
                .execute(&mut *tx)
                .await?;
            }
            outcome.new_changes += ingested.new_changes.len();
            if ingested.new_changes.is_empty() {
                continue;
            }
            // Changes that were waiting and are applied now.
            if !had_pending {
                // Nothing was waiting before this batch.
            } else if still_pending.is_empty() {
                sqlx::query("UPDATE changes SET applied = TRUE WHERE dealer_id = $1 AND doc_id = $2 AND applied = FALSE")
                    .bind(&dealer_text)
                    .bind(&doc_text)
                    .execute(&mut *tx)
                    .await?;
            } else {
                let waiting: Vec<(String,)> = sqlx::query_as(
                    "SELECT hash FROM changes WHERE dealer_id = $1 AND doc_id = $2 AND applied = FALSE",
                )
                .bind(&dealer_text)
                .bind(&doc_text)
                .fetch_all(&mut *tx)
                .await?;
                for (hash,) in waiting.into_iter().filter(|(h,)| !still_pending.contains(h)) {
                    sqlx::query("UPDATE changes SET applied = TRUE WHERE dealer_id = $1 AND doc_id = $2 AND hash = $3")
                        .bind(&dealer_text)
                        .bind(&doc_text)
                        .bind(&hash)
                        .execute(&mut *tx)
                        .await?;
                }
            }
            let snapshot = &ingested.stored.snapshot;
            sqlx::query(
                "INSERT INTO documents (dealer_id, doc_id, snapshot, size_bytes, last_seq, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6) \
                 ON CONFLICT (dealer_id, doc_id) DO UPDATE SET snapshot = excluded.snapshot, \
                 size_bytes = excluded.size_bytes, last_seq = excluded.last_seq, updated_at = excluded.updated_at",
            )
            .bind(&dealer_text)
            .bind(&doc_text)
            .bind(snapshot)
            .bind(snapshot.len() as i64)
            .bind(seq)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            if let Some(lead) = &ingested.lead {
                upsert_summary(&mut tx, &dealer_text, lead).await?;
            }
        }
        sqlx::query("UPDATE dealers SET next_seq = $1 WHERE id = $2")
            .bind(seq)
            .bind(&dealer_text)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        outcome.last_seq = seq;
        Ok(outcome)
    })
}

/// Writes the summary row of a lead. Generic over the connection type so one
/// body serves both backends inside their transactions.
async fn upsert_summary<'c, DB>(
    tx: &mut sqlx::Transaction<'c, DB>,
    dealer: &str,
    lead: &Lead,
) -> Result<(), sqlx::Error>
where
    DB: sqlx::Database,
    for<'a> &'a mut DB::Connection: sqlx::Executor<'a, Database = DB>,
    for<'q> <DB as sqlx::Database>::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
    for<'q> String: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> Option<String>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> &'q str: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> i64: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    sqlx::query(
        "INSERT INTO lead_summaries (dealer_id, doc_id, customer_name, mobile, grade, stage, owner_id, next_follow_up, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
         ON CONFLICT (dealer_id, doc_id) DO UPDATE SET customer_name = excluded.customer_name, mobile = excluded.mobile, \
         grade = excluded.grade, stage = excluded.stage, owner_id = excluded.owner_id, \
         next_follow_up = excluded.next_follow_up, updated_at = excluded.updated_at",
    )
    .bind(dealer)
    .bind(lead.id.to_string())
    .bind(lead.customer.name.clone())
    .bind(lead.customer.mobile.as_ref().map(|m| m.to_string()))
    .bind(lead.grade.as_str())
    .bind(lead.stage.as_str())
    .bind(lead.owner.map(|o| o.to_string()))
    .bind(lead.next_follow_up.map(|d| d.to_string()))
    .bind(lead.updated_at)
    .execute(&mut **tx)
    .await
    .map(|_| ())
}

/// The changes of `dealer` after `after`, at most `limit` log rows, with the
/// bytes of `device`'s own changes left out (it has them).
///
/// Visibility: today every user of a dealer sees all its leads. Per-user
/// visibility (own leads plus the open pool) goes here as a join on
/// `lead_summaries.owner_id`; the protocol does not change.
pub async fn changes_after(
    db: &Db,
    dealer: DealerId,
    device: DeviceId,
    after: i64,
    limit: i64,
) -> Result<Page, sqlx::Error> {
    let rows: Vec<(i64, String, Option<Vec<u8>>)> = with_pool!(db, pool => {
        sqlx::query_as(
            "SELECT seq, doc_id, CASE WHEN origin_device = $3 THEN NULL ELSE bytes END FROM changes \
             WHERE dealer_id = $1 AND seq > $2 ORDER BY seq LIMIT $4",
        )
        .bind(dealer.to_string())
        .bind(after)
        .bind(device.to_string())
        .bind(limit + 1)
        .fetch_all(pool)
        .await
    })?;
    let complete = rows.len() as i64 <= limit;
    let mut page = Page {
        to: after,
        complete,
        docs: Vec::new(),
    };
    for (seq, doc, bytes) in rows.into_iter().take(limit as usize) {
        page.to = seq;
        let Some(bytes) = bytes else { continue };
        let Ok(doc) = doc.parse::<LeadId>() else {
            continue;
        };
        match page.docs.iter_mut().find(|d| d.doc == doc) {
            Some(d) => d.changes.push(bytes),
            None => page.docs.push(DocChanges {
                doc,
                changes: vec![bytes],
            }),
        }
    }
    Ok(page)
}

/// Counts, for tests and the benchmark: (changes, documents) of a dealer.
pub async fn sync_counts(db: &Db, dealer: DealerId) -> Result<(i64, i64), sqlx::Error> {
    with_pool!(db, pool => {
        let (changes,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM changes WHERE dealer_id = $1")
            .bind(dealer.to_string())
            .fetch_one(pool)
            .await?;
        let (docs,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM documents WHERE dealer_id = $1")
            .bind(dealer.to_string())
            .fetch_one(pool)
            .await?;
        Ok((changes, docs))
    })
}

/// The stored snapshot of a document, if the dealer has it.
pub async fn document_snapshot(
    db: &Db,
    dealer: DealerId,
    doc: LeadId,
) -> Result<Option<Vec<u8>>, sqlx::Error> {
    with_pool!(db, pool => {
        let row: Option<(Vec<u8>,)> = sqlx::query_as("SELECT snapshot FROM documents WHERE dealer_id = $1 AND doc_id = $2")
            .bind(dealer.to_string())
            .bind(doc.to_string())
            .fetch_optional(pool)
            .await?;
        Ok(row.map(|(s,)| s))
    })
}
