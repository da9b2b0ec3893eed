//! What the server does with a document's incoming changes, without the
//! storage: dedupe, apply (keeping changes whose dependencies are missing),
//! check size and identity, and produce the new snapshot. The server adapter
//! wraps it in one SQL transaction per batch; the tests wrap it in memory.

use std::collections::HashSet;

use super::wire::{SyncErrorCode, limits};
use crate::doc::{ActorId, Change, ChangeHash, DocError, LeadDoc, parse_change};
use crate::domain::{DealerId, Lead, LeadId};

/// A document as the server stores it.
#[derive(Clone, Debug, Default)]
pub struct StoredDoc {
    /// `LeadDoc::save()` of every applied change.
    pub snapshot: Vec<u8>,
    /// Stored changes not applied yet because a dependency has not arrived.
    pub pending: Vec<Vec<u8>>,
}

/// A change the server had not seen before, to be logged with a sequence number.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewChange {
    pub hash: ChangeHash,
    pub bytes: Vec<u8>,
}

#[derive(Debug)]
pub struct IngestOutcome {
    pub stored: StoredDoc,
    /// In arrival order; empty when everything was a duplicate.
    pub new_changes: Vec<NewChange>,
    /// The lead as it reads now, when it can be read (its creation has arrived).
    pub lead: Option<Lead>,
}

/// Why a document's changes were refused. Nothing of the batch for that
/// document is stored, and the stored document is unchanged.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    pub code: SyncErrorCode,
    pub message: String,
}

impl Refusal {
    fn new(code: SyncErrorCode, message: impl Into<String>) -> Self {
        Refusal {
            code,
            message: message.into(),
        }
    }
}

/// Merges `incoming` into the document `doc` of `dealer`.
pub fn ingest(
    dealer: DealerId,
    doc: LeadId,
    existing: Option<&StoredDoc>,
    incoming: &[Vec<u8>],
) -> Result<IngestOutcome, Refusal> {
    let mut parsed: Vec<Change> = Vec::with_capacity(incoming.len());
    for bytes in incoming {
        if bytes.len() > limits::CHANGE_BYTES {
            return Err(Refusal::new(
                SyncErrorCode::TooLarge,
                format!("A change is larger than {} bytes.", limits::CHANGE_BYTES),
            ));
        }
        parsed.push(
            parse_change(bytes)
                .map_err(|e| Refusal::new(SyncErrorCode::Malformed, e.to_string()))?,
        );
    }
    let actor = ActorId::from(&[0u8; 16][..]);
    let mut lead_doc = match existing {
        Some(stored) if !stored.snapshot.is_empty() => {
            LeadDoc::load(&stored.snapshot, actor).map_err(|e| internal(doc, &e))?
        }
        _ => LeadDoc::empty(actor),
    };
    let mut pending: Vec<Change> = Vec::new();
    if let Some(stored) = existing {
        for bytes in &stored.pending {
            pending.push(parse_change(bytes).map_err(|e| internal(doc, &e))?);
        }
    }
    let known_pending: HashSet<ChangeHash> = pending.iter().map(Change::hash).collect();
    let mut seen = HashSet::new();
    let mut new_changes = Vec::new();
    let mut fresh: Vec<Change> = Vec::new();
    for change in parsed {
        let hash = change.hash();
        if known_pending.contains(&hash) || !seen.insert(hash) || lead_doc.has_change(&hash) {
            continue;
        }
        new_changes.push(NewChange {
            hash,
            bytes: change.raw_bytes().to_vec(),
        });
        fresh.push(change);
    }
    let all: Vec<Change> = pending.into_iter().chain(fresh).collect();
    if !all.is_empty() {
        lead_doc.apply(all.clone()).map_err(|e| {
            Refusal::new(
                SyncErrorCode::Malformed,
                format!("The changes cannot be applied: {e}"),
            )
        })?;
    }
    let snapshot = lead_doc.save();
    if snapshot.len() > limits::DOCUMENT_BYTES {
        return Err(Refusal::new(
            SyncErrorCode::TooLarge,
            format!(
                "The lead would grow past {} KB; the change was not stored.",
                limits::DOCUMENT_BYTES / 1024
            ),
        ));
    }
    match lead_doc.identity() {
        Ok((id, owner)) if id == doc && owner == dealer => {}
        Ok(_) => {
            return Err(Refusal::new(
                SyncErrorCode::Invalid,
                "The document names another lead or another dealer.",
            ));
        }
        // Not readable yet: its creation is still on the way.
        Err(DocError::Missing(_)) => {}
        Err(e) => return Err(Refusal::new(SyncErrorCode::Invalid, e.to_string())),
    }
    let still_pending: Vec<Vec<u8>> = all
        .iter()
        .filter(|c| !lead_doc.has_change(&c.hash()))
        .map(|c| c.raw_bytes().to_vec())
        .collect();
    let lead = lead_doc.read().ok();
    Ok(IngestOutcome {
        stored: StoredDoc {
            snapshot,
            pending: still_pending,
        },
        new_changes,
        lead,
    })
}

fn internal(doc: LeadId, err: &DocError) -> Refusal {
    Refusal::new(
        SyncErrorCode::Internal,
        format!("The stored lead {doc} cannot be opened: {err}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doc::actor_from_bytes;
    use crate::domain::{Customer, Grade, Source, Stage, UserId};
    use uuid::Uuid;

    fn lead(dealer: u128) -> Lead {
        let user = UserId::from_uuid(Uuid::from_u128(5));
        Lead {
            id: LeadId::from_uuid(Uuid::from_u128(7)),
            dealer: DealerId::from_uuid(Uuid::from_u128(dealer)),
            customer: Customer {
                name: "Li".into(),
                ..Customer::default()
            },
            source: Source::Phone,
            models: vec![],
            grade: Grade::B,
            stage: Stage::New,
            owner: None,
            next_follow_up: None,
            notes: vec![],
            created_by: user,
            created_at: 1,
            updated_by: user,
            updated_at: 1,
        }
    }

    fn changes_of(l: &Lead, edits: usize) -> Vec<Vec<u8>> {
        let mut doc =
            LeadDoc::create(actor_from_bytes([3; 16]), l).unwrap_or_else(|e| panic!("{e}"));
        for i in 0..edits {
            let mut next = doc.read().unwrap_or_else(|e| panic!("{e}"));
            next.customer.name = format!("Li {i}");
            let _ = doc.update(&next, l.created_by, 10 + i as i64);
        }
        doc.changes_since(&[])
            .iter()
            .map(|c| c.raw_bytes().to_vec())
            .collect()
    }

    const D1: u128 = 1;

    #[test]
    fn duplicates_are_not_new_and_order_does_not_matter() {
        let l = lead(D1);
        let changes = changes_of(&l, 3);
        let dealer = l.dealer;
        let first = ingest(dealer, l.id, None, &changes[2..]).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(first.new_changes.len(), 2);
        assert_eq!(
            first.stored.pending.len(),
            2,
            "held until the creation arrives"
        );
        assert!(first.lead.is_none());
        let second =
            ingest(dealer, l.id, Some(&first.stored), &changes).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(second.new_changes.len(), 2, "only the two not seen before");
        assert!(second.stored.pending.is_empty());
        assert_eq!(
            second.lead.map(|l| l.customer.name),
            Some("Li 2".to_owned())
        );
        let again = ingest(dealer, l.id, Some(&second.stored), &changes)
            .unwrap_or_else(|e| panic!("{e:?}"));
        assert!(again.new_changes.is_empty());
    }

    #[test]
    fn a_document_of_another_dealer_or_id_is_refused() {
        let l = lead(D1);
        let changes = changes_of(&l, 0);
        let other = DealerId::from_uuid(Uuid::from_u128(2));
        assert_eq!(
            ingest(other, l.id, None, &changes)
                .map(|_| ())
                .map_err(|r| r.code),
            Err(SyncErrorCode::Invalid)
        );
        let wrong_id = LeadId::from_uuid(Uuid::from_u128(8));
        assert_eq!(
            ingest(l.dealer, wrong_id, None, &changes)
                .map(|_| ())
                .map_err(|r| r.code),
            Err(SyncErrorCode::Invalid)
        );
    }

    #[test]
    fn malformed_bytes_are_refused_and_poison_nothing() {
        let l = lead(D1);
        let changes = changes_of(&l, 1);
        let stored = ingest(l.dealer, l.id, None, &changes[..1])
            .unwrap_or_else(|e| panic!("{e:?}"))
            .stored;
        let mut bad = changes[1].clone();
        let last = bad.len() - 1;
        bad[last] ^= 0xff;
        let refused = ingest(l.dealer, l.id, Some(&stored), &[bad, b"junk".to_vec()]);
        assert_eq!(
            refused.map(|_| ()).map_err(|r| r.code),
            Err(SyncErrorCode::Malformed)
        );
        let ok = ingest(l.dealer, l.id, Some(&stored), &changes[1..])
            .unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(ok.lead.map(|l| l.customer.name), Some("Li 0".to_owned()));
    }
}
