//! SQL for visibility inside the dealer (`showroom_shared::visibility`):
//! each document's owner (`doc_access`), every change of owner as a move in
//! the log's order (`access_moves`), the removals each device owes a receipt
//! for (`removals`), changes pushed to documents their pusher may not see
//! (`quarantined_changes`), and a salesperson's page of the log.

use std::collections::{BTreeMap, HashMap, HashSet};

use showroom_shared::domain::{DealerId, DeviceId, DocId, UserId};
use showroom_shared::sync::group_by_doc;
use showroom_shared::visibility::{Access, Reader, Shift, may_see, shift};

use super::sync::Page;
use super::{Db, with_pool};

/// A document's owner as stored (`None`: the pool, or nobody).
fn owner_of(text: Option<String>) -> Option<UserId> {
    text.and_then(|t| t.parse().ok())
}

/// The owners of these documents now, for those the dealer holds (a
/// document missing from the map does not exist yet).
pub async fn owners(
    db: &Db,
    dealer: DealerId,
    docs: &[DocId],
) -> Result<HashMap<DocId, Access>, sqlx::Error> {
    let mut out = HashMap::new();
    for chunk in docs.chunks(500) {
        let ids: Vec<String> = chunk.iter().map(ToString::to_string).collect();
        let rows: Vec<(String, Option<String>)> = with_pool!(db, pool => {
            let mut q = sqlx::QueryBuilder::new(
                "SELECT doc_id, owner_id FROM doc_access WHERE dealer_id = ",
            );
            q.push_bind(dealer.to_string()).push(" AND doc_id IN (");
            let mut list = q.separated(", ");
            for id in &ids {
                list.push_bind(id.clone());
            }
            q.push(")");
            q.build_query_as().fetch_all(pool).await
        })?;
        for (doc, owner) in rows {
            if let Ok(doc) = doc.parse::<DocId>() {
                out.insert(doc, Access::new(doc.kind, owner_of(owner)));
            }
        }
    }
    Ok(out)
}

/// The dealers with leads in the open pool, and up to `limit` of each's
/// pool leads: what the server looks at for leads nobody claimed in time.
pub async fn pool_leads(db: &Db, limit: usize) -> Result<Vec<(DealerId, Vec<DocId>)>, sqlx::Error> {
    let rows: Vec<(String, String)> = with_pool!(db, pool => {
        sqlx::query_as(
            "SELECT dealer_id, doc_id FROM doc_access WHERE owner_id IS NULL AND doc_id LIKE 'lead:%' \
             ORDER BY dealer_id, doc_id",
        )
        .fetch_all(pool)
        .await
    })?;
    let mut out: Vec<(DealerId, Vec<DocId>)> = Vec::new();
    for (dealer, doc) in rows {
        let (Ok(dealer), Ok(doc)) = (dealer.parse::<DealerId>(), doc.parse::<DocId>()) else {
            continue;
        };
        match out.last_mut() {
            Some((d, docs)) if *d == dealer => {
                if docs.len() < limit {
                    docs.push(doc);
                }
            }
            _ => out.push((dealer, vec![doc])),
        }
    }
    Ok(out)
}

/// Of these documents, those `device` still owes a removal receipt for: it
/// may still push what it wrote in them before it knew.
pub async fn removals_owed(
    db: &Db,
    dealer: DealerId,
    device: DeviceId,
    docs: &[DocId],
) -> Result<HashSet<DocId>, sqlx::Error> {
    let mut out = HashSet::new();
    for chunk in docs.chunks(500) {
        let ids: Vec<String> = chunk.iter().map(ToString::to_string).collect();
        let rows: Vec<(String,)> = with_pool!(db, pool => {
            let mut q = sqlx::QueryBuilder::new(
                "SELECT doc_id FROM removals WHERE removed_at IS NULL AND dealer_id = ",
            );
            q.push_bind(dealer.to_string())
                .push(" AND device_id = ")
                .push_bind(device.to_string())
                .push(" AND doc_id IN (");
            let mut list = q.separated(", ");
            for id in &ids {
                list.push_bind(id.clone());
            }
            q.push(")");
            q.build_query_as().fetch_all(pool).await
        })?;
        out.extend(rows.into_iter().filter_map(|(d,)| d.parse::<DocId>().ok()));
    }
    Ok(out)
}

/// Records the device's receipts: it removed these documents. A receipt
/// for a removal the device does not owe changes nothing.
pub async fn record_receipts(
    db: &Db,
    dealer: DealerId,
    device: DeviceId,
    docs: &[DocId],
    now: i64,
) -> Result<(), sqlx::Error> {
    for chunk in docs.chunks(500) {
        let ids: Vec<String> = chunk.iter().map(ToString::to_string).collect();
        with_pool!(db, pool => {
            let mut q = sqlx::QueryBuilder::new("UPDATE removals SET removed_at = ");
            q.push_bind(now)
                .push(" WHERE removed_at IS NULL AND dealer_id = ")
                .push_bind(dealer.to_string())
                .push(" AND device_id = ")
                .push_bind(device.to_string())
                .push(" AND doc_id IN (");
            let mut list = q.separated(", ");
            for id in &ids {
                list.push_bind(id.clone());
            }
            q.push(")");
            q.build().execute(pool).await.map(drop)
        })?;
    }
    Ok(())
}

/// Every move of these documents, oldest first: (seq, owner from then on).
async fn moves_of(
    db: &Db,
    dealer: DealerId,
    docs: &[DocId],
) -> Result<HashMap<DocId, Vec<(i64, Option<UserId>)>>, sqlx::Error> {
    let mut out: HashMap<DocId, Vec<(i64, Option<UserId>)>> = HashMap::new();
    for chunk in docs.chunks(500) {
        let ids: Vec<String> = chunk.iter().map(ToString::to_string).collect();
        let rows: Vec<(String, i64, Option<String>)> = with_pool!(db, pool => {
            let mut q = sqlx::QueryBuilder::new(
                "SELECT doc_id, seq, owner_id FROM access_moves WHERE dealer_id = ",
            );
            q.push_bind(dealer.to_string()).push(" AND doc_id IN (");
            let mut list = q.separated(", ");
            for id in &ids {
                list.push_bind(id.clone());
            }
            q.push(") ORDER BY seq");
            q.build_query_as().fetch_all(pool).await
        })?;
        for (doc, seq, owner) in rows {
            if let Ok(doc) = doc.parse::<DocId>() {
                out.entry(doc).or_default().push((seq, owner_of(owner)));
            }
        }
    }
    Ok(out)
}

/// A document's access as of `seq` from its moves (`None`: it did not
/// exist yet).
fn access_at(doc: DocId, moves: &[(i64, Option<UserId>)], seq: i64) -> Option<Access> {
    moves
        .iter()
        .take_while(|(at, _)| *at <= seq)
        .last()
        .map(|(_, owner)| Access::new(doc.kind, *owner))
}

/// The page of the log after `after` that a salesperson's device is sent:
/// the changes of the documents its user may see, each document the user
/// gained in the page whole (its history up to the page's end), and the
/// documents the user lost named in `removed`. The page ends, like every
/// page, at `max_rows` log rows or `max_bytes` of what it sends.
#[allow(clippy::too_many_arguments)]
pub async fn seller_page(
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
    let dealer_text = dealer.to_string();
    let device_text = device.map(|d| d.to_string()).unwrap_or_default();
    let plan: Vec<(i64, i64, String, String)> = with_pool!(db, pool => {
        sqlx::query_as(
            "SELECT seq, size_bytes, origin_device, doc_id FROM changes \
             WHERE dealer_id = $1 AND seq > $2 AND seq <= $3 ORDER BY seq LIMIT $4",
        )
        .bind(&dealer_text)
        .bind(after)
        .bind(until)
        .bind(max_rows as i64 + 1)
        .fetch_all(pool)
        .await
    })?;
    let plan: Vec<(i64, usize, bool, DocId)> = plan
        .into_iter()
        .filter_map(|(seq, size, origin, doc)| {
            let doc = doc.parse::<DocId>().ok()?;
            let size = usize::try_from(size).unwrap_or(usize::MAX);
            Some((seq, size, origin == device_text, doc))
        })
        .collect();
    let docs: Vec<DocId> = plan
        .iter()
        .map(|(_, _, _, d)| *d)
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let moves = moves_of(db, dealer, &docs).await?;
    let no_moves = Vec::new();
    let moves_for = |doc: DocId| moves.get(&doc).unwrap_or(&no_moves);
    let visible_at = |doc: DocId, seq: i64| {
        access_at(doc, moves_for(doc), seq).is_some_and(|a| may_see(reader, a))
    };

    // Where the page ends: rows in order, each one that will be sent
    // counted against the budget; a document gained at a row counts its
    // whole history there.
    let mut to = after;
    let mut bytes = 0usize;
    let mut sending = 0usize;
    let mut taken = 0usize;
    for (seq, size, own, doc) in &plan {
        if taken == max_rows {
            break;
        }
        let (was, is) = (visible_at(*doc, *seq - 1), visible_at(*doc, *seq));
        let cost = match (was, is) {
            (false, true) => Some(history_bytes(db, dealer, *doc, *seq).await?),
            (true, true) if !own => Some(*size),
            _ => None,
        };
        if let Some(cost) = cost {
            if sending > 0 && bytes.saturating_add(cost) > max_bytes {
                break;
            }
            bytes = bytes.saturating_add(cost);
            sending += 1;
        }
        to = *seq;
        taken += 1;
    }
    let complete = taken == plan.len();
    let remaining = super::sync::remaining_after(db, &dealer_text, complete, to, until).await?;

    // What each document of the page does for this reader between the
    // cursor and the page's end.
    let mut removed = Vec::new();
    let mut taken_by = Vec::new();
    let mut whole = Vec::new();
    let mut visible = HashSet::new();
    // Documents the reader does not see at the page's end: their floor
    // rows go in the page, without the customer.
    let mut hidden = Vec::new();
    let mut seen = HashSet::new();
    for (_, _, _, doc) in plan.iter().take(taken) {
        if !seen.insert(*doc) {
            continue;
        }
        let moves = moves_for(*doc);
        match shift(
            reader,
            access_at(*doc, moves, after),
            access_at(*doc, moves, to),
        ) {
            Shift::Lost => {
                removed.push(*doc);
                hidden.push(*doc);
                // A colleague holds it now (not the server: a merge absorbed it).
                if let Some(by) = access_at(*doc, moves, to)
                    .and_then(|a| a.owner)
                    .filter(|o| *o != showroom_shared::domain::UserId::SERVER)
                {
                    taken_by.push(showroom_shared::sync::Taken { doc: *doc, by });
                }
            }
            Shift::Gained => whole.push(*doc),
            Shift::Same if visible_at(*doc, to) => {
                visible.insert(*doc);
            }
            Shift::Same => hidden.push(*doc),
        }
    }
    let floor = super::floor::rows_of(db, dealer, &hidden, floor_since).await?;
    let send: Vec<i64> = plan
        .iter()
        .take(taken)
        .filter(|(_, _, own, doc)| !own && visible.contains(doc))
        .map(|(seq, ..)| *seq)
        .collect();
    let mut rows: BTreeMap<i64, (DocId, Vec<u8>)> = BTreeMap::new();
    for chunk in send.chunks(500) {
        let found: Vec<(i64, String, Vec<u8>)> = with_pool!(db, pool => {
            let mut q = sqlx::QueryBuilder::new("SELECT seq, doc_id, bytes FROM changes WHERE dealer_id = ");
            q.push_bind(dealer_text.clone()).push(" AND seq IN (");
            let mut list = q.separated(", ");
            for seq in chunk {
                list.push_bind(*seq);
            }
            q.push(")");
            q.build_query_as().fetch_all(pool).await
        })?;
        for (seq, doc, bytes) in found {
            if let Ok(doc) = doc.parse::<DocId>() {
                rows.insert(seq, (doc, bytes));
            }
        }
    }
    for doc in &whole {
        let history: Vec<(i64, Vec<u8>)> = with_pool!(db, pool => {
            sqlx::query_as(
                "SELECT seq, bytes FROM changes WHERE dealer_id = $1 AND doc_id = $2 AND seq <= $3 ORDER BY seq",
            )
            .bind(&dealer_text)
            .bind(doc.to_string())
            .bind(to)
            .fetch_all(pool)
            .await
        })?;
        for (seq, bytes) in history {
            rows.insert(seq, (*doc, bytes));
        }
    }
    Ok(Page {
        to,
        complete,
        remaining,
        docs: group_by_doc(rows.into_values()),
        removed,
        floor,
        taken: taken_by,
    })
}

/// The bytes of a document's changes up to `seq`: what receiving it whole costs.
async fn history_bytes(
    db: &Db,
    dealer: DealerId,
    doc: DocId,
    seq: i64,
) -> Result<usize, sqlx::Error> {
    let total: Option<i64> = with_pool!(db, pool => {
        sqlx::query_scalar(
            "SELECT CAST(SUM(size_bytes) AS BIGINT) FROM changes WHERE dealer_id = $1 AND doc_id = $2 AND seq <= $3",
        )
        .bind(dealer.to_string())
        .bind(doc.to_string())
        .bind(seq)
        .fetch_one(pool)
        .await
    })?;
    Ok(usize::try_from(total.unwrap_or(0)).unwrap_or(usize::MAX))
}

/// Keeps one change aside: never applied, never sent (binds: dealer, doc,
/// hash, bytes, origin device, time).
pub(crate) const KEEP_ASIDE: &str = "INSERT INTO quarantined_changes (dealer_id, doc_id, hash, bytes, origin_device, created_at) \
     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (dealer_id, doc_id, hash) DO NOTHING";

/// Keeps changes aside (`quarantined_changes`): never applied, never sent.
pub async fn keep_aside(
    db: &Db,
    dealer: DealerId,
    changes: &[Quarantined],
    now: i64,
) -> Result<(), sqlx::Error> {
    with_pool!(db, pool => {
        for c in changes {
            sqlx::query(KEEP_ASIDE)
            .bind(dealer.to_string())
            .bind(c.doc.to_string())
            .bind(&c.hash)
            .bind(&c.bytes)
            .bind(c.origin.to_string())
            .bind(now)
            .execute(pool)
            .await?;
        }
        Ok(())
    })
}

/// A device that had to remove a document: (device, device name, user,
/// user's name, confirmed at, last seen).
pub type RemovalRow = (String, String, String, String, Option<i64>, i64);

/// The devices that had to remove `doc` (the last move that took it from
/// them), with their receipts, oldest first.
pub async fn removals_of(
    db: &Db,
    dealer: DealerId,
    doc: DocId,
) -> Result<Vec<RemovalRow>, sqlx::Error> {
    with_pool!(db, pool => {
        sqlx::query_as(
            "SELECT r.device_id, s.device_name, u.id, u.display_name, r.removed_at, s.last_seen_at \
             FROM removals r JOIN sessions s ON s.id = r.device_id JOIN users u ON u.id = s.user_id \
             WHERE r.dealer_id = $1 AND r.doc_id = $2 ORDER BY r.move_seq, s.created_at",
        )
        .bind(dealer.to_string())
        .bind(doc.to_string())
        .fetch_all(pool)
        .await
    })
}

/// A change of a document's owner the writer found (a new document's first
/// owner included), to be stored with the group's changes.
#[derive(Clone, Debug)]
pub struct Move {
    pub doc: DocId,
    /// The document's access before (`None`: it did not exist).
    pub before: Option<Access>,
    pub after: Access,
    /// Index in the dealer's `changes` of the change that made the move: the
    /// move takes its sequence number.
    pub index: usize,
}

/// A change pushed to a document its pusher may not see: kept aside.
#[derive(Clone, Debug)]
pub struct Quarantined {
    pub doc: DocId,
    pub hash: String,
    pub bytes: Vec<u8>,
    pub origin: DeviceId,
}

/// Writes a dealer's moves (each document's owner, the move in the log's
/// order, the removals the devices that lose a document owe, and forgets
/// those of devices that gain it back) and its quarantined changes, inside
/// the group's transaction (`$tx`).
macro_rules! write_access {
    ($tx:ident, $dealer:expr, $base:expr, $moves:expr, $quarantined:expr, $now:expr) => {{
        let dealer_text: &str = $dealer;
        let base: i64 = $base;
        let moves: &[$crate::db::access::Move] = $moves;
        if moves.iter().any(|m| m.before.is_some()) {
            // Who holds what: every session of the dealer that has not
            // ended, or that may still make its last delivery (what it
            // wrote in a lead that moves away is still stored).
            let sql = format!(
                "SELECT s.id, s.user_id, u.role FROM sessions s JOIN users u ON u.id = s.user_id \
                 WHERE s.dealer_id = $1 AND (s.revoked_at IS NULL OR (s.delivered_at IS NULL \
                 AND s.revoked_at > $2 AND s.revoked_reason IN ({})))",
                $crate::db::LAST_DELIVERY_REASONS
                    .iter()
                    .map(|r| format!("'{r}'"))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            let sessions: Vec<(String, String, String)> = sqlx::query_as(&sql)
            .bind(dealer_text)
            .bind($now - $crate::db::LAST_DELIVERY_MS)
            .fetch_all(&mut *$tx)
            .await?;
            let readers: Vec<(String, showroom_shared::visibility::Reader)> = sessions
                .into_iter()
                .filter_map(|(device, user, role)| {
                    let user = user.parse().ok()?;
                    let role: showroom_shared::domain::Role = role.parse().ok()?;
                    Some((device, showroom_shared::visibility::Reader::of(role, user)))
                })
                .collect();
            for m in moves.iter().filter(|m| m.before.is_some()) {
                let seq = base + m.index as i64 + 1;
                for (device, reader) in &readers {
                    match showroom_shared::visibility::shift(*reader, m.before, Some(m.after)) {
                        showroom_shared::visibility::Shift::Lost => {
                            sqlx::query(
                                "INSERT INTO removals (dealer_id, device_id, doc_id, move_seq, removed_at) \
                                 VALUES ($1, $2, $3, $4, NULL) ON CONFLICT (dealer_id, device_id, doc_id) \
                                 DO UPDATE SET move_seq = excluded.move_seq, removed_at = NULL",
                            )
                            .bind(dealer_text)
                            .bind(device)
                            .bind(m.doc.to_string())
                            .bind(seq)
                            .execute(&mut *$tx)
                            .await?;
                        }
                        showroom_shared::visibility::Shift::Gained => {
                            sqlx::query(
                                "DELETE FROM removals WHERE dealer_id = $1 AND device_id = $2 AND doc_id = $3",
                            )
                            .bind(dealer_text)
                            .bind(device)
                            .bind(m.doc.to_string())
                            .execute(&mut *$tx)
                            .await?;
                        }
                        showroom_shared::visibility::Shift::Same => {}
                    }
                }
            }
        }
        // Multi-row statements, like the group's other writes: a first
        // upload gives every new document its first owner. A document that
        // moved twice in the group keeps its last owner.
        for chunk in moves.chunks(super::sync::ROWS_PER_STATEMENT) {
            let mut q = sqlx::QueryBuilder::new(
                "INSERT INTO access_moves (dealer_id, seq, doc_id, owner_id) ",
            );
            q.push_values(chunk, |mut row, m| {
                row.push_bind(dealer_text)
                    .push_bind(base + m.index as i64 + 1)
                    .push_bind(m.doc.to_string())
                    .push_bind(m.after.owner.map(|o| o.to_string()));
            });
            q.build().execute(&mut *$tx).await?;
        }
        let mut seen = std::collections::HashSet::with_capacity(moves.len());
        let last: Vec<&$crate::db::access::Move> =
            moves.iter().rev().filter(|m| seen.insert(m.doc)).collect();
        for chunk in last.chunks(super::sync::ROWS_PER_STATEMENT) {
            let mut q = sqlx::QueryBuilder::new("INSERT INTO doc_access (dealer_id, doc_id, owner_id) ");
            q.push_values(chunk, |mut row, m| {
                row.push_bind(dealer_text)
                    .push_bind(m.doc.to_string())
                    .push_bind(m.after.owner.map(|o| o.to_string()));
            });
            q.push(" ON CONFLICT (dealer_id, doc_id) DO UPDATE SET owner_id = excluded.owner_id");
            q.build().execute(&mut *$tx).await?;
        }
        for q in $quarantined.iter() {
            let q: &$crate::db::access::Quarantined = q;
            sqlx::query($crate::db::access::KEEP_ASIDE)
            .bind(dealer_text)
            .bind(q.doc.to_string())
            .bind(&q.hash)
            .bind(&q.bytes)
            .bind(q.origin.to_string())
            .bind($now)
            .execute(&mut *$tx)
            .await?;
        }
    }};
}
pub(crate) use write_access;
