//! SQL for sync: the per-dealer change log, document snapshots and lead
//! summaries.
//!
//! The log is the truth. A document's snapshot covers its changes up to
//! `snapshot_seq`; opening it applies the changes after that (and any still
//! waiting for a dependency). Writes come from the writer (`crate::writer`)
//! as whole groups: a few multi-row statements per transaction, whatever the
//! number of changes, with the Automerge work done before the transaction.

use std::collections::HashMap;

use showroom_shared::domain::summary::LeadSummary;
use showroom_shared::domain::{DealerId, DeviceId, DocId, DocKind, Lead};
use showroom_shared::sync::{DocChanges, DocState};
use showroom_shared::visibility::{Reader, may_see};

use super::{Db, with_pool};

/// Rows per multi-row statement (at most 9 bound values each: well under
/// SQLite's and PostgreSQL's limits on bound parameters).
pub(super) const ROWS_PER_STATEMENT: usize = 500;

/// A page of the change log after a cursor.
#[derive(Debug, Default)]
pub struct Page {
    /// The last sequence number looked at (the device's next cursor).
    pub to: i64,
    /// Whether the log holds nothing after `to`.
    pub complete: bool,
    /// How many sequence numbers the log held after `to` (0 when complete):
    /// the device's progress.
    pub remaining: u64,
    pub docs: Vec<DocChanges>,
    /// Documents the reader lost in the page (see `db::access`).
    pub removed: Vec<DocId>,
    /// The floor rows of the page's documents the reader does not see.
    pub floor: Vec<showroom_shared::domain::floor::FloorRow>,
    /// Of `removed`, the leads a colleague holds as of the page's end.
    pub taken: Vec<showroom_shared::sync::Taken>,
}

/// A document as stored: its snapshot and the changes to apply on top.
#[derive(Debug)]
pub struct StoredDocument {
    pub doc: DocId,
    pub snapshot: Vec<u8>,
    pub snapshot_seq: i64,
    pub last_seq: i64,
    pub history_bytes: i64,
    /// Changes after the snapshot, and any still waiting, in log order, each
    /// with whether it was applied when stored.
    pub tail: Vec<(Vec<u8>, bool)>,
}

/// The stored documents among `docs` of `dealer` (missing ones are absent).
pub async fn load_documents(
    db: &Db,
    dealer: DealerId,
    docs: &[DocId],
) -> Result<Vec<StoredDocument>, sqlx::Error> {
    let dealer_text = dealer.to_string();
    let mut out: Vec<StoredDocument> = Vec::new();
    for chunk in docs.chunks(ROWS_PER_STATEMENT) {
        let ids: Vec<String> = chunk.iter().map(ToString::to_string).collect();
        let (rows, tails): (
            Vec<(String, Vec<u8>, i64, i64, i64)>,
            Vec<(String, Vec<u8>, bool)>,
        ) = with_pool!(db, pool => {
            let mut q = sqlx::QueryBuilder::new(
                "SELECT doc_id, snapshot, snapshot_seq, last_seq, history_bytes FROM documents WHERE dealer_id = ",
            );
            q.push_bind(dealer_text.clone());
            q.push(" AND doc_id IN (");
            let mut ids_list = q.separated(", ");
            for id in &ids {
                ids_list.push_bind(id.clone());
            }
            q.push(")");
            let rows: Vec<(String, Vec<u8>, i64, i64, i64)> = q.build_query_as().fetch_all(pool).await?;
            let tails: Vec<(String, Vec<u8>, bool)> = if rows.is_empty() {
                Vec::new()
            } else {
                let mut q = sqlx::QueryBuilder::new(
                    "SELECT c.doc_id, c.bytes, c.applied FROM changes c JOIN documents d \
                     ON d.dealer_id = c.dealer_id AND d.doc_id = c.doc_id WHERE c.dealer_id = ",
                );
                q.push_bind(dealer_text.clone());
                q.push(" AND (c.seq > d.snapshot_seq OR c.applied = FALSE) AND c.doc_id IN (");
                let mut ids_list = q.separated(", ");
                for (id, ..) in &rows {
                    ids_list.push_bind(id.clone());
                }
                q.push(") ORDER BY c.seq");
                q.build_query_as().fetch_all(pool).await?
            };
            (rows, tails)
        });
        let mut by_doc: HashMap<String, Vec<(Vec<u8>, bool)>> = HashMap::new();
        for (doc, bytes, applied) in tails {
            by_doc.entry(doc).or_default().push((bytes, applied));
        }
        for (doc_text, snapshot, snapshot_seq, last_seq, history_bytes) in rows {
            let Ok(doc) = doc_text.parse::<DocId>() else {
                continue;
            };
            out.push(StoredDocument {
                doc,
                snapshot,
                snapshot_seq,
                last_seq,
                history_bytes,
                tail: by_doc.remove(&doc_text).unwrap_or_default(),
            });
        }
    }
    Ok(out)
}

/// One change to log, numbered at commit time (`base + index + 1`).
#[derive(Debug)]
pub struct ChangeRow {
    pub doc: DocId,
    pub hash: String,
    pub bytes: Vec<u8>,
    pub origin: DeviceId,
    pub applied: bool,
}

/// A document row to write after its changes.
#[derive(Debug)]
pub struct DocumentRow {
    pub doc: DocId,
    /// Index in the dealer's `changes` of this document's last change.
    pub last_index: usize,
    /// A new snapshot, when the document was compacted in this group.
    pub snapshot: Option<Snapshot>,
    pub history_bytes: i64,
}

/// A document's saved state and the log position it covers. A group may hold
/// several batches of one document and compact it after any of them: the
/// snapshot covers the log up to **that** batch's last change, not the
/// group's (issue 18), and that is the position stored as `snapshot_seq`.
#[derive(Debug)]
pub struct Snapshot {
    pub bytes: Vec<u8>,
    /// Index in the dealer's `changes` of the last change the snapshot covers.
    pub last_index: usize,
}

/// Everything one group writes for one dealer.
#[derive(Debug)]
pub struct DealerWrite {
    pub dealer: DealerId,
    pub changes: Vec<ChangeRow>,
    pub documents: Vec<DocumentRow>,
    /// Stored changes that were waiting and are applied now.
    pub now_applied: Vec<(DocId, String)>,
    pub summaries: Vec<Lead>,
    /// The floor rows of the leads and registers written (their visits and
    /// test drives).
    pub floor: Vec<showroom_shared::domain::floor::FloorRow>,
    /// The documents' `last_seq` as they were read (`None`: not stored), to
    /// detect another server process writing them meanwhile.
    pub expected: Vec<(DocId, Option<i64>)>,
    /// The dealer's `next_seq` after this process's last commit, if known.
    pub known_seq: Option<i64>,
    /// Owners that changed (new documents' first owners included).
    pub moves: Vec<super::access::Move>,
    /// Changes to documents their pushers may not see, kept aside.
    pub quarantined: Vec<super::access::Quarantined>,
    /// The leads written with a mobile number, `(lead id, E.164)`, absorbed
    /// ones left out: where collisions are looked for.
    pub mobiles: Vec<(String, String)>,
    /// Collisions this group wrote into their leads.
    pub recorded: Vec<showroom_shared::domain::collision::CollisionId>,
}

/// What a committed group found: each dealer's sequence number before it,
/// and the collisions found, `(dealer, id, lead a, lead b)`.
#[derive(Debug, Default)]
pub struct CommitOutcome {
    pub bases: Vec<i64>,
    pub collisions: Vec<(DealerId, String, String, String)>,
}

#[derive(Debug, thiserror::Error)]
pub enum CommitError {
    /// Another writer changed one of the documents after they were read.
    #[error("documents of dealer {0} changed meanwhile")]
    Conflict(DealerId),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// Commits a group's writes in one transaction and returns each dealer's
/// sequence number before it (its changes are numbered from there).
///
/// Each dealer's row is written first, in a fixed order: on PostgreSQL this
/// takes its row lock, so writers of one dealer (in any server process) take
/// sequence numbers one after the other and commit in sequence order, and a
/// reader asking for `seq > cursor` never skips a row committed late.
pub async fn commit_writes(
    db: &Db,
    writes: &[DealerWrite],
    now: i64,
) -> Result<CommitOutcome, CommitError> {
    let mut order: Vec<usize> = (0..writes.len()).collect();
    order.sort_by_key(|i| writes[*i].dealer.to_string());
    let mut bases = vec![0i64; writes.len()];
    let mut collisions = Vec::new();
    with_pool!(db, pool => {
        let mut tx = pool.begin().await?;
        for i in order {
            let w = &writes[i];
            let dealer_text = w.dealer.to_string();
            let (base,): (i64,) = sqlx::query_as(
                "UPDATE dealers SET next_seq = next_seq + $2 WHERE id = $1 RETURNING next_seq - $2",
            )
            .bind(&dealer_text)
            .bind(w.changes.len() as i64)
            .fetch_one(&mut *tx)
            .await?;
            bases[i] = base;
            if w.known_seq != Some(base) && !w.expected.is_empty() {
                let mut stored: HashMap<String, i64> = HashMap::new();
                for chunk in w.expected.chunks(ROWS_PER_STATEMENT) {
                    let mut q = sqlx::QueryBuilder::new(
                        "SELECT doc_id, last_seq FROM documents WHERE dealer_id = ",
                    );
                    q.push_bind(dealer_text.clone());
                    q.push(" AND doc_id IN (");
                    let mut ids = q.separated(", ");
                    for (doc, _) in chunk {
                        ids.push_bind(doc.to_string());
                    }
                    q.push(")");
                    let rows: Vec<(String, i64)> = q.build_query_as().fetch_all(&mut *tx).await?;
                    stored.extend(rows);
                }
                if w.expected.iter().any(|(doc, seq)| stored.get(&doc.to_string()).copied() != *seq) {
                    return Err(CommitError::Conflict(w.dealer));
                }
            }
            for (n, chunk) in w.changes.chunks(ROWS_PER_STATEMENT).enumerate() {
                let first = base + (n * ROWS_PER_STATEMENT) as i64 + 1;
                let mut q = sqlx::QueryBuilder::new(
                    "INSERT INTO changes (dealer_id, seq, doc_id, hash, bytes, size_bytes, origin_device, applied, created_at) ",
                );
                q.push_values(chunk.iter().enumerate(), |mut row, (j, c)| {
                    row.push_bind(dealer_text.clone())
                        .push_bind(first + j as i64)
                        .push_bind(c.doc.to_string())
                        .push_bind(c.hash.clone())
                        .push_bind(c.bytes.clone())
                        .push_bind(c.bytes.len() as i64)
                        .push_bind(c.origin.to_string())
                        .push_bind(c.applied)
                        .push_bind(now);
                });
                q.build().execute(&mut *tx).await?;
            }
            for chunk in w.documents.chunks(ROWS_PER_STATEMENT) {
                let mut q = sqlx::QueryBuilder::new(
                    "INSERT INTO documents (dealer_id, doc_id, snapshot, size_bytes, snapshot_seq, last_seq, history_bytes, updated_at) ",
                );
                q.push_values(chunk, |mut row, d| {
                    let last_seq = base + d.last_index as i64 + 1;
                    let (snapshot, snapshot_seq) = match &d.snapshot {
                        Some(s) => (s.bytes.clone(), base + s.last_index as i64 + 1),
                        None => (Vec::new(), 0),
                    };
                    row.push_bind(dealer_text.clone())
                        .push_bind(d.doc.to_string())
                        .push_bind(snapshot.clone())
                        .push_bind(snapshot.len() as i64)
                        .push_bind(snapshot_seq)
                        .push_bind(last_seq)
                        .push_bind(d.history_bytes)
                        .push_bind(now);
                });
                q.push(
                    " ON CONFLICT (dealer_id, doc_id) DO UPDATE SET \
                     snapshot = CASE WHEN excluded.snapshot_seq > documents.snapshot_seq THEN excluded.snapshot ELSE documents.snapshot END, \
                     size_bytes = CASE WHEN excluded.snapshot_seq > documents.snapshot_seq THEN excluded.size_bytes ELSE documents.size_bytes END, \
                     snapshot_seq = CASE WHEN excluded.snapshot_seq > documents.snapshot_seq THEN excluded.snapshot_seq ELSE documents.snapshot_seq END, \
                     last_seq = excluded.last_seq, history_bytes = excluded.history_bytes, updated_at = excluded.updated_at",
                );
                q.build().execute(&mut *tx).await?;
            }
            for (doc, hash) in &w.now_applied {
                sqlx::query("UPDATE changes SET applied = TRUE WHERE dealer_id = $1 AND doc_id = $2 AND hash = $3")
                    .bind(&dealer_text)
                    .bind(doc.to_string())
                    .bind(hash)
                    .execute(&mut *tx)
                    .await?;
            }
            for chunk in w.summaries.chunks(ROWS_PER_STATEMENT) {
                let rows: Vec<(String, SummaryRow)> = chunk
                    .iter()
                    .map(|lead| (lead.id.to_string(), SummaryRow::of(lead)))
                    .collect();
                upsert_summaries!(tx, dealer_text.as_str(), &rows);
            }
            super::floor::upsert_floor!(tx, dealer_text.as_str(), &w.floor);
            super::access::write_access!(tx, dealer_text.as_str(), base, &w.moves, &w.quarantined, now);
            if !w.mobiles.is_empty() {
                let found = super::collisions::find!(tx, dealer_text.as_str(), &w.mobiles, now);
                collisions.extend(found.into_iter().map(|(id, a, b)| (w.dealer, id, a, b)));
            }
            super::collisions::mark_recorded!(tx, dealer_text.as_str(), &w.recorded, now);
        }
        tx.commit().await?;
        Ok(CommitOutcome { bases, collisions })
    })
}

/// A lead's row in `lead_summaries`: the columns of the shared projection
/// (`domain::summary::LeadSummary`) the server keeps, the one definition the
/// writer stores and the storage check compares. Its follow-up date is the
/// one set on the lead (`follow_up_on`), the same in every time zone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SummaryRow {
    pub customer_name: String,
    pub mobile: Option<String>,
    pub grade: String,
    pub stage: String,
    pub owner_id: Option<String>,
    pub next_follow_up: Option<String>,
    pub updated_at: i64,
}

impl SummaryRow {
    pub fn of(lead: &Lead) -> SummaryRow {
        let s = LeadSummary::of(lead);
        SummaryRow {
            customer_name: s.name,
            mobile: s.mobile,
            grade: s.grade.as_str().to_owned(),
            stage: s.stage.as_str().to_owned(),
            owner_id: s.owner.map(|o| o.to_string()),
            next_follow_up: s.follow_up_on.map(|d| d.to_string()),
            updated_at: s.updated_at,
        }
    }
}

/// Writes lead summaries (`rows`: `(doc_id, SummaryRow)`) of one dealer in
/// the transaction `tx`, replacing any. A macro, not a function: it expands
/// inside `with_pool!`, once per backend.
macro_rules! upsert_summaries {
    ($tx:expr, $dealer_text:expr, $rows:expr) => {{
        let rows: &[(String, $crate::db::SummaryRow)] = $rows;
        if !rows.is_empty() {
            let mut q = sqlx::QueryBuilder::new(
                "INSERT INTO lead_summaries (dealer_id, doc_id, customer_name, mobile, grade, stage, owner_id, next_follow_up, updated_at) ",
            );
            q.push_values(rows, |mut row, (doc, s)| {
                row.push_bind($dealer_text.to_owned())
                    .push_bind(doc.clone())
                    .push_bind(s.customer_name.clone())
                    .push_bind(s.mobile.clone())
                    .push_bind(s.grade.clone())
                    .push_bind(s.stage.clone())
                    .push_bind(s.owner_id.clone())
                    .push_bind(s.next_follow_up.clone())
                    .push_bind(s.updated_at);
            });
            q.push(
                " ON CONFLICT (dealer_id, doc_id) DO UPDATE SET customer_name = excluded.customer_name, \
                 mobile = excluded.mobile, grade = excluded.grade, stage = excluded.stage, \
                 owner_id = excluded.owner_id, next_follow_up = excluded.next_follow_up, \
                 updated_at = excluded.updated_at",
            );
            q.build().execute(&mut *$tx).await?;
        }
    }};
}
pub(super) use upsert_summaries;

/// The changes of `dealer` in `(after, until]`: at most `max_rows` log rows and,
/// beyond the first change sent, at most `max_bytes` of change bytes, with
/// the bytes of `device`'s own changes left out (it has them). A change
/// larger than the budget still goes, alone, so a page always makes progress.
///
/// The page is planned from the `changes_page` index (sizes, no bytes), then
/// only the bytes to send are read.
///
/// Visibility: a manager's or an admin's device is sent everything; a
/// salesperson's what its user may see, with gains and losses
/// (`db::access::seller_page`).
#[allow(clippy::too_many_arguments)]
pub async fn changes_after(
    db: &Db,
    dealer: DealerId,
    device: Option<DeviceId>,
    reader: Reader,
    after: i64,
    until: i64,
    max_rows: usize,
    max_bytes: usize,
    floor_since: i64,
) -> Result<Page, sqlx::Error> {
    if !reader.sees_everything() {
        return super::access::seller_page(
            db,
            dealer,
            device,
            reader,
            after,
            until,
            max_rows,
            max_bytes,
            floor_since,
        )
        .await;
    }
    let dealer_text = dealer.to_string();
    let device_text = device.map(|d| d.to_string()).unwrap_or_default();
    let plan: Vec<(i64, i64, String)> = with_pool!(db, pool => {
        sqlx::query_as(
            "SELECT seq, size_bytes, origin_device FROM changes WHERE dealer_id = $1 AND seq > $2 AND seq <= $3 \
             ORDER BY seq LIMIT $4",
        )
        .bind(&dealer_text)
        .bind(after)
        .bind(until)
        .bind(max_rows as i64 + 1)
        .fetch_all(pool)
        .await
    })?;
    let mut to = after;
    let mut bytes = 0usize;
    let mut sending = 0usize;
    let mut taken = 0usize;
    for (seq, size, origin) in &plan {
        if taken == max_rows {
            break;
        }
        if *origin != device_text {
            let size = usize::try_from(*size).unwrap_or(usize::MAX);
            if sending > 0 && bytes.saturating_add(size) > max_bytes {
                break;
            }
            bytes = bytes.saturating_add(size);
            sending += 1;
        }
        to = *seq;
        taken += 1;
    }
    let complete = taken == plan.len();
    let remaining = remaining_after(db, &dealer_text, complete, to, until).await?;
    let mut page = Page {
        to,
        complete,
        remaining,
        docs: Vec::new(),
        removed: Vec::new(),
        floor: Vec::new(),
        taken: Vec::new(),
    };
    if sending == 0 {
        return Ok(page);
    }
    let rows: Vec<(String, Vec<u8>)> = with_pool!(db, pool => {
        sqlx::query_as(
            "SELECT doc_id, bytes FROM changes WHERE dealer_id = $1 AND seq > $2 AND seq <= $3 \
             AND origin_device <> $4 ORDER BY seq",
        )
        .bind(&dealer_text)
        .bind(after)
        .bind(to)
        .bind(&device_text)
        .fetch_all(pool)
        .await
    })?;
    let rows: Vec<(DocId, Vec<u8>)> = rows
        .into_iter()
        .filter_map(|(doc, bytes)| doc.parse::<DocId>().ok().map(|doc| (doc, bytes)))
        .collect();
    // A lead a merge absorbed leaves every device, a manager's too, and
    // nothing more of it is sent (`visibility::may_see`).
    let docs: Vec<DocId> = rows
        .iter()
        .map(|(d, _)| *d)
        .filter(|d| d.kind == DocKind::Lead)
        .collect::<std::collections::HashSet<_>>()
        .into_iter()
        .collect();
    let owners = super::access::owners(db, dealer, &docs).await?;
    let fenced: Vec<DocId> = docs
        .into_iter()
        .filter(|d| owners.get(d).is_some_and(|a| !may_see(reader, *a)))
        .collect();
    page.docs = showroom_shared::sync::group_by_doc(
        rows.into_iter().filter(|(doc, _)| !fenced.contains(doc)),
    );
    page.removed = fenced;
    Ok(page)
}

/// How many sequence numbers the dealer's log holds after a page that
/// ends at `to` (0 when the page was `complete`): a device's progress.
pub(super) async fn remaining_after(
    db: &Db,
    dealer_text: &str,
    complete: bool,
    to: i64,
    until: i64,
) -> Result<u64, sqlx::Error> {
    if complete {
        return Ok(0);
    }
    let head: Option<i64> = with_pool!(db, pool => {
        sqlx::query_scalar("SELECT MAX(seq) FROM changes WHERE dealer_id = $1")
            .bind(dealer_text)
            .fetch_one(pool)
            .await
    })?;
    Ok(u64::try_from(head.unwrap_or(to).min(until).saturating_sub(to)).unwrap_or(0))
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

/// The stored document of the dealer, saved whole (its snapshot with the
/// changes after it applied), if the dealer has it.
pub async fn document_snapshot(
    db: &Db,
    dealer: DealerId,
    doc: DocId,
) -> Result<Option<Vec<u8>>, sqlx::Error> {
    let Some(stored) = load_documents(db, dealer, &[doc]).await?.into_iter().next() else {
        return Ok(None);
    };
    let history = usize::try_from(stored.history_bytes).unwrap_or(0);
    let tail = stored.tail.into_iter().map(|(bytes, _)| bytes).collect();
    match DocState::load(stored.snapshot, tail, history) {
        Ok(mut state) => Ok(Some(state.save())),
        Err(refusal) => Err(sqlx::Error::Decode(refusal.message.into())),
    }
}

/// Dealers whose own document (catalogue and settings) has no change in
/// the log yet, with their names.
pub async fn dealers_without_document(db: &Db) -> Result<Vec<(DealerId, String)>, sqlx::Error> {
    let rows: Vec<(String, String)> = with_pool!(db, pool => {
        sqlx::query_as(
            "SELECT d.id, d.name FROM dealers d WHERE NOT EXISTS \
             (SELECT 1 FROM changes c WHERE c.dealer_id = d.id AND c.doc_id = 'dealer:' || d.id) \
             ORDER BY d.created_at, d.id",
        )
        .fetch_all(pool)
        .await
    })?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, name)| id.parse().ok().map(|id| (id, name)))
        .collect())
}
