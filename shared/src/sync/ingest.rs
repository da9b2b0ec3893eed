//! What the server does with a document's incoming changes, without the
//! storage: parse them within the caps, drop duplicates, apply them (keeping
//! changes whose dependencies are missing), and check that the document is
//! still a valid document of this dealer. The server keeps a [`DocState`]
//! per document (cached in memory, rebuilt from its snapshot and the log's
//! tail when it is not); the tests keep them in a map.
//!
//! A refused document is left exactly as it was: nothing of the refused
//! changes is stored, and the in-memory state is rebuilt from what was.

use std::collections::HashSet;

use super::wire::{SyncErrorCode, limits};
use crate::doc::{
    ActorId, Change, ChangeHash, Content, DocError, Document, MAX_CHANGE_OPS, SCHEMA_VERSION,
    parse_change,
};
use crate::domain::{DealerId, DocId, DocKind, Lead};
use crate::rules::{self, Author, Breach};

/// A change the server had not seen before, to be logged with a sequence number.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewChange {
    pub hash: ChangeHash,
    pub bytes: Vec<u8>,
    /// Applied now; `false` while a dependency has not arrived.
    pub applied: bool,
}

/// What one accepted ingest did.
#[derive(Debug, Default)]
pub struct Accepted {
    /// In arrival order; empty when everything was a duplicate.
    pub new_changes: Vec<NewChange>,
    /// Changes stored earlier that were waiting for a dependency and are
    /// applied now.
    pub now_applied: Vec<ChangeHash>,
    /// The document as it reads now, when changes were new and it can be
    /// read (its creation has arrived). A lead's owner is the one the
    /// server decided when it was in conflict (`settle_owner`).
    pub content: Option<Content>,
    /// The owner the server decided for a lead the changes left with
    /// conflicting owners: the caller writes it back as the server's own
    /// change ([`DocState::settle_owner`]), so every replica reads it.
    pub settle_owner: Option<Option<crate::domain::UserId>>,
}

impl Accepted {
    /// The lead, when the document is one that reads.
    pub fn lead(&self) -> Option<&Lead> {
        self.content.as_ref().and_then(Content::as_lead)
    }
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

/// One document as the server holds it: a snapshot (`base`, the output of a
/// save, possibly empty) and the changes stored since (`tail`, including
/// those still waiting for a dependency), with the document they make.
#[derive(Debug)]
pub struct DocState {
    doc: Document,
    /// What the document read as after the last accepted ingest: the
    /// "before" of the next one's write rules (`None` until read once).
    content: Option<Content>,
    base: Vec<u8>,
    tail: Vec<(ChangeHash, Vec<u8>)>,
    /// Tail changes not applied to `doc` yet ([`DocState::open`] defers them
    /// to the next apply: one Automerge apply instead of two), and which of
    /// the tail was stored as waiting for a dependency.
    deferred: Vec<Change>,
    stored_waiting: HashSet<ChangeHash>,
    /// Every stored change's bytes, added up: what the document is once parsed.
    history_bytes: usize,
    /// A lead's owner as stored, when known (the server keeps it beside the
    /// document, see [`DocState::know_owner`]): the owner rule
    /// (`rules::owner_move`) needs no read of the document before.
    owner: Option<Option<crate::domain::UserId>>,
}

fn server_actor() -> ActorId {
    ActorId::from(&[0u8; 16][..])
}

impl DocState {
    /// A document nothing is stored of yet.
    pub fn new() -> DocState {
        DocState {
            doc: Document::empty(server_actor()),
            content: None,
            base: Vec::new(),
            tail: Vec::new(),
            deferred: Vec::new(),
            stored_waiting: HashSet::new(),
            history_bytes: 0,
            owner: None,
        }
    }

    /// Like [`DocState::load`], but the tail is applied only with the next
    /// ingest's changes (or when the document is read): `tail` holds each
    /// stored change with whether it was applied when stored.
    pub fn open(
        base: Vec<u8>,
        tail: Vec<(Vec<u8>, bool)>,
        history_bytes: usize,
    ) -> Result<DocState, Refusal> {
        let doc = if base.is_empty() {
            Document::empty(server_actor())
        } else {
            Document::load(&base, server_actor()).map_err(|e| stored_damaged(&e))?
        };
        let mut deferred = Vec::with_capacity(tail.len());
        let mut kept = Vec::with_capacity(tail.len());
        let mut stored_waiting = HashSet::new();
        for (bytes, applied) in tail {
            let change = parse_change(&bytes).map_err(|e| stored_damaged(&e))?;
            if !applied {
                stored_waiting.insert(change.hash());
            }
            kept.push((change.hash(), bytes));
            deferred.push(change);
        }
        Ok(DocState {
            doc,
            content: None,
            base,
            tail: kept,
            deferred,
            stored_waiting,
            history_bytes,
            owner: None,
        })
    }

    /// Applies what `open` deferred.
    fn settle(&mut self) -> Result<(), Refusal> {
        if !self.deferred.is_empty() {
            let deferred = std::mem::take(&mut self.deferred);
            self.doc.apply(deferred).map_err(|e| stored_damaged(&e))?;
        }
        Ok(())
    }

    /// Rebuilds a stored document from its snapshot (empty for none) and the
    /// changes stored after it or still waiting; `history_bytes` is the
    /// stored total of its change bytes.
    pub fn load(
        base: Vec<u8>,
        tail: Vec<Vec<u8>>,
        history_bytes: usize,
    ) -> Result<DocState, Refusal> {
        let tail = tail.into_iter().map(|bytes| (bytes, true)).collect();
        let mut state = DocState::open(base, tail, history_bytes)?;
        state.settle()?;
        Ok(state)
    }

    /// The total bytes of the document's changes.
    pub fn history_bytes(&self) -> usize {
        self.history_bytes
    }

    /// Stored changes still waiting for a dependency.
    pub fn waiting(&mut self) -> usize {
        if self.settle().is_err() {
            return self.tail.len();
        }
        let hashes: Vec<ChangeHash> = self.tail.iter().map(|(h, _)| *h).collect();
        hashes.iter().filter(|h| !self.doc.has_change(h)).count()
    }

    /// Changes stored since the snapshot.
    /// The lead's owner as stored (what the server keeps beside it).
    pub fn know_owner(&mut self, owner: Option<crate::domain::UserId>) {
        self.owner = Some(owner);
    }

    pub fn tail_len(&self) -> usize {
        self.tail.len()
    }

    /// Folds the tail into a new snapshot and returns it; changes still
    /// waiting for a dependency stay in the tail (and `applied = false` in
    /// storage, so a rebuild finds them). `None` when the stored tail cannot
    /// be applied: the old snapshot does not cover the tail, so it must not
    /// be stored as if it did.
    pub fn compact(&mut self) -> Option<Vec<u8>> {
        self.settle().ok()?;
        self.base = self.doc.save();
        let tail = std::mem::take(&mut self.tail);
        self.tail = tail
            .into_iter()
            .filter(|(hash, _)| !self.doc.has_change(hash))
            .collect();
        Some(self.base.clone())
    }

    /// The document's heads as the server holds it (its snapshot and tail
    /// applied): what a replay of its whole log must reach.
    pub fn heads(&mut self) -> Result<Vec<ChangeHash>, Refusal> {
        self.settle()?;
        let mut heads = self.doc.heads();
        heads.sort();
        Ok(heads)
    }

    /// The document saved, for reading it elsewhere.
    pub fn save(&mut self) -> Vec<u8> {
        let _ = self.settle();
        self.doc.save()
    }

    /// The lead, when the document reads as one.
    pub fn lead(&mut self) -> Option<Lead> {
        self.settle().ok()?;
        crate::doc::read_lead(&self.doc).ok()
    }

    /// The dealer's catalogue and settings, when the document reads as them.
    pub fn dealer(&mut self) -> Option<crate::domain::catalogue::Dealer> {
        if let Some(Content::Dealer(d)) = &self.content {
            return Some((**d).clone());
        }
        self.settle().ok()?;
        self.doc.read_dealer().ok()
    }

    /// Writes the owner the server decided (`Accepted::settle_owner`) as
    /// one change by the server's `actor` at `now`, stored like any other:
    /// added to the tail, returned to be logged and sent.
    pub fn settle_owner(
        &mut self,
        owner: Option<crate::domain::UserId>,
        actor: ActorId,
        now: i64,
    ) -> Result<Option<NewChange>, Refusal> {
        self.settle()?;
        let bytes = crate::doc::settle_owner(&mut self.doc, owner, actor, now)
            .map_err(|e| Refusal::new(SyncErrorCode::Internal, e.to_string()))?;
        let change = self.stored_own(bytes)?;
        self.owner = Some(owner);
        if let Some(Content::Lead(l)) = &mut self.content {
            l.owner = owner;
        }
        Ok(change)
    }

    /// A change the server writes to a lead in its own name (a collision
    /// recorded, a merge, a decision): `write` edits the lead, then it is
    /// one change by `actor` at `now`, stored like any other. `None` when
    /// it wrote nothing. No rule judges it: only the server calls this.
    pub fn write_lead(
        &mut self,
        actor: ActorId,
        now: i64,
        what: &str,
        write: impl FnOnce(&mut crate::doc::LeadDoc) -> Result<(), DocError>,
    ) -> Result<Option<NewChange>, Refusal> {
        self.settle()?;
        let internal = |e: DocError| Refusal::new(SyncErrorCode::Internal, e.to_string());
        let doc = std::mem::replace(&mut self.doc, Document::empty(server_actor()));
        let mut lead = crate::doc::LeadDoc::from(doc);
        let kept = lead.am.get_actor().clone();
        lead.am.set_actor(actor);
        let written = write(&mut lead);
        let hash = written.map(|()| lead.commit(what, now));
        lead.am.set_actor(kept);
        self.doc = lead.into();
        let hash = hash.map_err(internal)?;
        let bytes = hash
            .and_then(|h| self.doc.am.get_change_by_hash(&h))
            .map(|c| c.raw_bytes().to_vec());
        let change = self.stored_own(bytes)?;
        if change.is_some() {
            let lead = crate::doc::read_lead(&self.doc).map_err(internal)?;
            self.owner = Some(lead.owner);
            self.content = Some(Content::Lead(Box::new(lead)));
        }
        Ok(change)
    }

    /// The server's own change, added to the tail.
    fn stored_own(&mut self, bytes: Option<Vec<u8>>) -> Result<Option<NewChange>, Refusal> {
        let Some(bytes) = bytes else {
            return Ok(None);
        };
        let hash = parse_change(&bytes)
            .map_err(|e| Refusal::new(SyncErrorCode::Internal, e.to_string()))?
            .hash();
        self.history_bytes += bytes.len();
        self.tail.push((hash, bytes.clone()));
        Ok(Some(NewChange {
            hash,
            bytes,
            applied: true,
        }))
    }

    /// Opens the document again from its snapshot and tail (after a panic
    /// inside Automerge left it in an unknown state).
    pub fn reopen(&mut self) -> Result<(), Refusal> {
        self.rebuild()
    }

    fn rebuild(&mut self) -> Result<(), Refusal> {
        let tail = self.tail.iter().map(|(_, b)| b.clone()).collect();
        let owner = self.owner;
        *self = DocState::load(std::mem::take(&mut self.base), tail, self.history_bytes)?;
        // What was stored, its owner included, is what it was.
        self.owner = owner;
        Ok(())
    }
}

impl Default for DocState {
    fn default() -> Self {
        DocState::new()
    }
}

/// Merges `incoming` into the document `doc` of `dealer`, judged by the
/// rules (`crate::rules`) for `author` under the dealer's approval `policy`
/// (its discount limits). On `Err` the state is as it was before the call.
pub fn ingest(
    dealer: DealerId,
    doc: DocId,
    author: &Author,
    policy: &rules::Policy,
    state: &mut DocState,
    incoming: &[Vec<u8>],
) -> Result<Accepted, Refusal> {
    let mut parsed: Vec<Change> = Vec::with_capacity(incoming.len());
    for bytes in incoming {
        parsed.push(parse_change(bytes).map_err(|e| match e {
            DocError::TooLarge(max) => Refusal::new(
                SyncErrorCode::TooLarge,
                format!(
                    "A change is larger than {} KB; it was not stored.",
                    max / 1024
                ),
            ),
            other => Refusal::new(SyncErrorCode::Malformed, other.to_string()),
        })?);
    }
    // What was waiting for a dependency before these changes; with a tail
    // not applied yet, the storage said so.
    let waiting: HashSet<ChangeHash> = if state.deferred.is_empty() {
        state
            .tail
            .iter()
            .map(|(h, _)| *h)
            .filter(|h| !state.doc.has_change(h))
            .collect()
    } else {
        state.stored_waiting.clone()
    };
    let stored: HashSet<ChangeHash> = state.tail.iter().map(|(h, _)| *h).collect();
    let mut seen = HashSet::new();
    let mut fresh: Vec<Change> = Vec::new();
    let mut added = 0usize;
    for change in parsed {
        let hash = change.hash();
        if stored.contains(&hash) || !seen.insert(hash) || state.doc.has_change(&hash) {
            continue;
        }
        added += change.raw_bytes().len();
        fresh.push(change);
    }
    if fresh.is_empty() {
        // Nothing new: nothing to store, and the summary is as it was.
        return Ok(Accepted::default());
    }
    // Each change describes at most `MAX_CHANGE_OPS` operations
    // (`parse_change`), but a few of them, a few dozen bytes each, could
    // still make automerge build hundreds of thousands before the rules see
    // any. A push of one document may describe at most `MAX_CHANGE_OPS`
    // plus one per byte it holds: a real change spends several bytes on
    // each operation, so only changes that repeat one operation by run
    // lengths come near it.
    let ops: usize = fresh.iter().map(Change::len).sum();
    if ops > MAX_CHANGE_OPS.saturating_add(added) {
        return Err(Refusal::new(
            SyncErrorCode::Malformed,
            format!(
                "These changes describe {ops} operations in {added} bytes, more than their bytes can hold; none was stored."
            ),
        ));
    }
    // Before anything is applied: a document whose content does not read
    // (a newer schema's) is not judged by `rules::check` below.
    rules::may_change(doc.kind, author).map_err(|b| refused(&b))?;
    if state.history_bytes + added > limits::DOCUMENT_BYTES {
        return Err(Refusal::new(
            SyncErrorCode::TooLarge,
            format!(
                "The lead would grow past {} MB; the change was not stored.",
                limits::DOCUMENT_BYTES / (1024 * 1024)
            ),
        ));
    }
    let new: Vec<(ChangeHash, Vec<u8>)> = fresh
        .iter()
        .map(|c| (c.hash(), c.raw_bytes().to_vec()))
        .collect();
    let was_new = state.base.is_empty() && state.tail.is_empty();
    // The deferred tail and the new changes in one apply.
    let mut to_apply = std::mem::take(&mut state.deferred);
    to_apply.extend(fresh);
    let checked = state
        .doc
        .apply(to_apply)
        .map_err(|e| {
            Refusal::new(
                SyncErrorCode::Malformed,
                format!("The changes cannot be applied: {e}"),
            )
        })
        .and_then(|()| check(&mut state.doc, dealer, doc));
    let mut settled = None;
    let checked = checked.and_then(|mut after| {
        let Some(content) = &mut after else {
            return Ok(after);
        };
        // Concurrent changes left the owner in conflict (two claims of a
        // pool lead made offline, a claim and a manager's assignment): the
        // server decides, and the rules judge what it decided.
        let conflict = match content {
            Content::Lead(_) => crate::doc::owner_values(&state.doc),
            _ => Vec::new(),
        };
        let conflict = (conflict.len() > 1).then_some(conflict);
        // A salesperson's lead whose stored owner is not known is judged
        // against the document before: who may set its owner depends on it.
        let owner_unknown = matches!(content, Content::Lead(_))
            && (!rules::may_decide(author.role) || conflict.is_some())
            && state.owner.is_none();
        let before = if was_new || (!rules::needs_before(content, author) && !owner_unknown) {
            None
        } else {
            // Taken, not copied: a successful ingest replaces it, and a
            // refused one rebuilds the state without it.
            match state.content.take() {
                Some(c) => Some(c),
                None => state.read_stored(dealer, doc)?,
            }
        };
        let stored = state
            .owner
            .or_else(|| before.as_ref().and_then(Content::as_lead).map(|b| b.owner));
        if let (Some(values), Content::Lead(l)) = (&conflict, &mut *content) {
            let owner = rules::settle_owner(stored.flatten(), values, author);
            l.owner = owner;
            settled = Some(owner);
        }
        if before.is_none()
            && !was_new
            && let (Content::Lead(l), Some(owner)) = (&*content, state.owner)
        {
            rules::owner_move(Some(owner), l.owner, author).map_err(|b| refused(&b))?;
        }
        match rules::check(before.as_ref(), content, author, policy) {
            Ok(()) => Ok(after),
            Err(breach) => Err(refused(&breach)),
        }
    });
    let content = match checked {
        Ok(content) => content,
        Err(refusal) => {
            // Automerge cannot take changes back: start again from what was stored.
            state.rebuild()?;
            return Err(refusal);
        }
    };
    let now_applied: Vec<ChangeHash> = waiting
        .into_iter()
        .filter(|h| state.doc.has_change(h))
        .collect();
    let new_changes: Vec<NewChange> = new
        .iter()
        .map(|(hash, bytes)| NewChange {
            hash: *hash,
            bytes: bytes.clone(),
            applied: state.doc.has_change(hash),
        })
        .collect();
    state.history_bytes += added;
    state.tail.extend(new);
    if let Some(Content::Lead(l)) = &content {
        state.owner = Some(l.owner);
    }
    state.content.clone_from(&content);
    Ok(Accepted {
        new_changes,
        now_applied,
        content,
        settle_owner: settled,
    })
}

fn refused(breach: &Breach) -> Refusal {
    Refusal::new(breach.code(), breach.to_string())
}

impl DocState {
    /// The document as stored before this ingest (snapshot and tail), read:
    /// the "before" of the write rules when it was not kept in memory.
    /// The document as stored, read: `None` when nothing of it is readable
    /// yet (its creation is still on the way), which the rules judge as a
    /// new document.
    fn read_stored(&self, dealer: DealerId, id: DocId) -> Result<Option<Content>, Refusal> {
        let tail = self.tail.iter().map(|(_, b)| b.clone()).collect();
        let mut stored = DocState::load(self.base.clone(), tail, self.history_bytes)?;
        check(&mut stored.doc, dealer, id)
    }
}

/// The document after the changes: nothing applied yet (its creation is
/// still on the way), or a document of this id, kind and dealer that reads.
/// A document written by a newer schema than this build knows is checked for
/// its identity only: its new fields are the newer version's to validate.
fn check(doc: &mut Document, dealer: DealerId, id: DocId) -> Result<Option<Content>, Refusal> {
    if doc.is_empty() {
        return Ok(None);
    }
    let other = || {
        Refusal::new(
            SyncErrorCode::Invalid,
            "The document names another document or another dealer.",
        )
    };
    if doc.schema_version() > SCHEMA_VERSION {
        return match doc.identity_as(id.kind) {
            Ok((doc_id, owner)) if doc_id == id.id && owner == dealer => {
                Ok(doc.read_as(id, dealer).ok().flatten())
            }
            Ok(_) => Err(other()),
            Err(e) => Err(Refusal::new(SyncErrorCode::Invalid, invalid(id.kind, &e))),
        };
    }
    // The whole document is read once: it is the validation, the identity
    // check and the summary's source.
    match doc.read_as(id, dealer) {
        Ok(content) => Ok(content),
        Err(DocError::Foreign) => Err(other()),
        Err(e) => Err(Refusal::new(SyncErrorCode::Invalid, invalid(id.kind, &e))),
    }
}

fn invalid(kind: DocKind, err: &DocError) -> String {
    format!("The document is not a valid {}: {err}.", kind.as_str())
}

fn stored_damaged(err: &DocError) -> Refusal {
    Refusal::new(
        SyncErrorCode::Internal,
        format!("The stored document cannot be opened: {err}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doc::{DealerDoc, LeadDoc, RegisterDoc, actor_from_bytes};
    use crate::domain::catalogue::{
        CarId, Dealer, Model, ModelId, Powertrain, Settings, Transmission, Trim, TrimId,
    };
    use crate::domain::showroom::{
        DriveBack, DriveId, DriveOut, DriveStatus, Register, Signature, Strokes, TestDrive, Visit,
        VisitId, VisitKind, VisitOutcome, VisitSteps,
    };
    use crate::domain::{
        Customer, Grade, LeadId, Money, Note, RegisterId, Role, Source, Stage, UserId,
    };
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
            ..Lead::new(
                LeadId::from_uuid(Uuid::from_u128(7)),
                DealerId::from_uuid(Uuid::from_u128(dealer)),
                user,
                1,
            )
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

    /// The creator of `lead()`, as the session that sends its changes.
    fn salesperson() -> Author {
        Author {
            user: UserId::from_uuid(Uuid::from_u128(5)),
            role: Role::Salesperson,
        }
    }

    fn name(state: &mut DocState) -> Option<String> {
        state.lead().map(|l| l.customer.name)
    }

    /// A lead a manager (user 9) created for `owner`, its changes, and a
    /// salesperson's (user 5) change on top setting the owner to `to`.
    fn owned_then_moved(owner: Option<u128>, to: Option<u128>) -> (Vec<Vec<u8>>, Vec<Vec<u8>>) {
        let manager = UserId::from_uuid(Uuid::from_u128(9));
        let mut l = lead(D1);
        l.created_by = manager;
        l.updated_by = manager;
        l.owner = owner.map(|n| UserId::from_uuid(Uuid::from_u128(n)));
        let mut doc =
            LeadDoc::create(actor_from_bytes([3; 16]), &l).unwrap_or_else(|e| panic!("{e}"));
        let created: Vec<Vec<u8>> = doc
            .changes_since(&[])
            .iter()
            .map(|c| c.raw_bytes().to_vec())
            .collect();
        let heads = doc.heads();
        let mut next = l.clone();
        next.owner = to.map(|n| UserId::from_uuid(Uuid::from_u128(n)));
        doc.update(&next, salesperson().user, 20)
            .unwrap_or_else(|e| panic!("{e}"));
        let moved = doc
            .changes_since(&heads)
            .iter()
            .map(|c| c.raw_bytes().to_vec())
            .collect();
        (created, moved)
    }

    #[test]
    fn a_salesperson_takes_from_the_pool_but_never_a_colleagues_lead() {
        let manager = Author {
            user: UserId::from_uuid(Uuid::from_u128(9)),
            role: Role::Manager,
        };
        let id = DocId::lead(lead(D1).id);
        let dealer = lead(D1).dealer;
        for (owner, to, allowed) in [
            (None, Some(5), true),     // from the pool, for themselves
            (Some(5), None, true),     // their own, back to the pool
            (Some(6), Some(5), false), // a colleague's, for themselves
            (None, Some(6), false),    // from the pool, for a colleague
            (Some(5), Some(6), false), // their own, to a colleague
        ] {
            let (created, moved) = owned_then_moved(owner, to);
            // Kept open with its owner known (the writer's cache), and
            // opened cold from storage with the owner the server keeps
            // beside it, and without it (read from the document before).
            for how in ["warm", "known", "cold"] {
                let mut state = DocState::new();
                ingest(
                    dealer,
                    id,
                    &manager,
                    &Default::default(),
                    &mut state,
                    &created,
                )
                .unwrap_or_else(|e| panic!("{e:?}"));
                if how != "warm" {
                    let saved = state.save();
                    state = DocState::open(saved, Vec::new(), state.history_bytes())
                        .unwrap_or_else(|e| panic!("{e:?}"));
                    if how == "known" {
                        state.know_owner(owner.map(|n| UserId::from_uuid(Uuid::from_u128(n))));
                    }
                }
                let result = ingest(
                    dealer,
                    id,
                    &salesperson(),
                    &Default::default(),
                    &mut state,
                    &moved,
                );
                match (allowed, result) {
                    (true, Ok(_)) => {}
                    (false, Err(r)) => assert_eq!(r.code, SyncErrorCode::Forbidden),
                    (allowed, other) => {
                        panic!("{owner:?} → {to:?} ({how}): allowed {allowed}, got {other:?}")
                    }
                }
            }
        }
    }

    /// The case only the stored owner catches without a read: the lead
    /// is the salesperson's own creation, a manager gave it to a
    /// colleague, and the salesperson takes it back.
    #[test]
    fn a_salesperson_cannot_take_back_a_lead_a_manager_gave_away() {
        let seller = salesperson();
        let manager = Author {
            user: UserId::from_uuid(Uuid::from_u128(9)),
            role: Role::Manager,
        };
        let colleague = UserId::from_uuid(Uuid::from_u128(6));
        let mut l = lead(D1);
        l.owner = Some(seller.user);
        let mut doc =
            LeadDoc::create(actor_from_bytes([3; 16]), &l).unwrap_or_else(|e| panic!("{e}"));
        let bytes = |doc: &mut LeadDoc, heads: &[ChangeHash]| -> Vec<Vec<u8>> {
            doc.changes_since(heads)
                .iter()
                .map(|c| c.raw_bytes().to_vec())
                .collect()
        };
        let created = bytes(&mut doc, &[]);
        let heads = doc.heads();
        let mut given = l.clone();
        given.owner = Some(colleague);
        doc.update(&given, manager.user, 20)
            .unwrap_or_else(|e| panic!("{e}"));
        let handed = bytes(&mut doc, &heads);
        let heads = doc.heads();
        let mut taken = given.clone();
        taken.owner = Some(seller.user);
        doc.update(&taken, seller.user, 30)
            .unwrap_or_else(|e| panic!("{e}"));
        let back = bytes(&mut doc, &heads);
        let id = DocId::lead(l.id);
        let mut state = DocState::new();
        ingest(
            l.dealer,
            id,
            &seller,
            &Default::default(),
            &mut state,
            &created,
        )
        .unwrap_or_else(|e| panic!("{e:?}"));
        ingest(
            l.dealer,
            id,
            &manager,
            &Default::default(),
            &mut state,
            &handed,
        )
        .unwrap_or_else(|e| panic!("{e:?}"));
        // Opened cold, as after a restart: the owner is read from storage
        // (the server's `doc_access`) or, unknown, from the document before.
        for known in [true, false] {
            let saved = state.save();
            let mut cold = DocState::open(saved, Vec::new(), state.history_bytes())
                .unwrap_or_else(|e| panic!("{e:?}"));
            if known {
                cold.know_owner(Some(colleague));
            }
            let refused = ingest(l.dealer, id, &seller, &Default::default(), &mut cold, &back)
                .map(|_| ())
                .map_err(|r| r.code);
            assert_eq!(refused, Err(SyncErrorCode::Forbidden), "known: {known}");
        }
    }

    #[test]
    fn duplicates_are_not_new_and_order_does_not_matter() {
        let l = lead(D1);
        let changes = changes_of(&l, 3);
        let dealer = l.dealer;
        let mut state = DocState::new();
        let first = ingest(
            dealer,
            DocId::lead(l.id),
            &salesperson(),
            &Default::default(),
            &mut state,
            &changes[2..],
        )
        .unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(first.new_changes.len(), 2);
        assert!(
            first.new_changes.iter().all(|c| !c.applied),
            "held until the creation arrives"
        );
        assert!(first.lead().is_none());
        let second = ingest(
            dealer,
            DocId::lead(l.id),
            &salesperson(),
            &Default::default(),
            &mut state,
            &changes,
        )
        .unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(second.new_changes.len(), 2, "only the two not seen before");
        assert_eq!(second.now_applied.len(), 2, "the waiting ones apply now");
        assert_eq!(
            second.lead().map(|l| l.customer.name.clone()),
            Some("Li 2".to_owned())
        );
        let again = ingest(
            dealer,
            DocId::lead(l.id),
            &salesperson(),
            &Default::default(),
            &mut state,
            &changes,
        )
        .unwrap_or_else(|e| panic!("{e:?}"));
        assert!(again.new_changes.is_empty());
        // Compacted and rebuilt, it is the same document.
        let base = state.compact().expect("the tail applies");
        assert_eq!(state.tail_len(), 0);
        let mut rebuilt =
            DocState::load(base, vec![], state.history_bytes()).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(name(&mut rebuilt), Some("Li 2".to_owned()));
    }

    #[test]
    fn a_document_opened_lazily_ingests_like_one_loaded() {
        let l = lead(D1);
        let changes = changes_of(&l, 3);
        // Stored: the creation and the first edit; the third change waits for the second.
        let stored = vec![
            (changes[0].clone(), true),
            (changes[1].clone(), true),
            (changes[3].clone(), false),
        ];
        let mut lazy = DocState::open(Vec::new(), stored, 0).unwrap_or_else(|e| panic!("{e:?}"));
        let again = ingest(
            l.dealer,
            DocId::lead(l.id),
            &salesperson(),
            &Default::default(),
            &mut lazy,
            &changes[..2],
        )
        .unwrap_or_else(|e| panic!("{e:?}"));
        assert!(again.new_changes.is_empty(), "what is stored is not new");
        let done = ingest(
            l.dealer,
            DocId::lead(l.id),
            &salesperson(),
            &Default::default(),
            &mut lazy,
            &changes[2..3],
        )
        .unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(done.new_changes.len(), 1);
        assert_eq!(done.now_applied.len(), 1, "the waiting change applies now");
        assert_eq!(
            done.lead().map(|l| l.customer.name.clone()),
            Some("Li 2".to_owned())
        );
        assert_eq!(lazy.waiting(), 0);
    }

    #[test]
    fn a_document_of_another_dealer_or_id_is_refused() {
        let l = lead(D1);
        let changes = changes_of(&l, 0);
        let other = DealerId::from_uuid(Uuid::from_u128(2));
        assert_eq!(
            ingest(
                other,
                DocId::lead(l.id),
                &salesperson(),
                &Default::default(),
                &mut DocState::new(),
                &changes
            )
            .map(|_| ())
            .map_err(|r| r.code),
            Err(SyncErrorCode::Invalid)
        );
        let wrong_id = LeadId::from_uuid(Uuid::from_u128(8));
        assert_eq!(
            ingest(
                l.dealer,
                DocId::lead(wrong_id),
                &salesperson(),
                &Default::default(),
                &mut DocState::new(),
                &changes
            )
            .map(|_| ())
            .map_err(|r| r.code),
            Err(SyncErrorCode::Invalid)
        );
    }

    #[test]
    fn malformed_bytes_are_refused_and_poison_nothing() {
        let l = lead(D1);
        let changes = changes_of(&l, 1);
        let mut state = DocState::new();
        ingest(
            l.dealer,
            DocId::lead(l.id),
            &salesperson(),
            &Default::default(),
            &mut state,
            &changes[..1],
        )
        .unwrap_or_else(|e| panic!("{e:?}"));
        let mut bad = changes[1].clone();
        let last = bad.len() - 1;
        bad[last] ^= 0xff;
        let refused = ingest(
            l.dealer,
            DocId::lead(l.id),
            &salesperson(),
            &Default::default(),
            &mut state,
            &[bad, b"junk".to_vec()],
        );
        assert_eq!(
            refused.map(|_| ()).map_err(|r| r.code),
            Err(SyncErrorCode::Malformed)
        );
        let ok = ingest(
            l.dealer,
            DocId::lead(l.id),
            &salesperson(),
            &Default::default(),
            &mut state,
            &changes[1..],
        )
        .unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(
            ok.lead().map(|l| l.customer.name.clone()),
            Some("Li 0".to_owned())
        );
    }

    #[test]
    fn a_document_that_is_not_a_valid_lead_is_refused_and_left_as_it_was() {
        use automerge::transaction::Transactable;
        let l = lead(D1);
        let mut state = DocState::new();
        ingest(
            l.dealer,
            DocId::lead(l.id),
            &salesperson(),
            &Default::default(),
            &mut state,
            &changes_of(&l, 0),
        )
        .unwrap_or_else(|e| panic!("{e:?}"));
        // A grade of "Z", written on a copy of the stored document.
        let mut raw = automerge::AutoCommit::load(&state.save())
            .unwrap_or_else(|e| panic!("{e}"))
            .with_actor(actor_from_bytes([4; 16]));
        let heads = raw.get_heads();
        raw.put(automerge::ROOT, "grade", "Z")
            .unwrap_or_else(|e| panic!("{e}"));
        raw.commit();
        let edit: Vec<Vec<u8>> = raw
            .get_changes(&heads)
            .iter()
            .map(|c| c.raw_bytes().to_vec())
            .collect();
        let refused = ingest(
            l.dealer,
            DocId::lead(l.id),
            &salesperson(),
            &Default::default(),
            &mut state,
            &edit,
        );
        assert_eq!(
            refused.map(|_| ()).map_err(|r| r.code),
            Err(SyncErrorCode::Invalid)
        );
        assert_eq!(
            state.lead().map(|l| l.grade),
            Some(Grade::B),
            "the stored lead is unchanged"
        );
        // A document with no type at all.
        let mut untyped = automerge::AutoCommit::new().with_actor(actor_from_bytes([5; 16]));
        untyped
            .put(automerge::ROOT, "hello", "world")
            .unwrap_or_else(|e| panic!("{e}"));
        untyped.commit();
        let junk: Vec<Vec<u8>> = untyped
            .get_changes(&[])
            .iter()
            .map(|c| c.raw_bytes().to_vec())
            .collect();
        let other = LeadId::from_uuid(Uuid::from_u128(99));
        assert_eq!(
            ingest(
                l.dealer,
                DocId::lead(other),
                &salesperson(),
                &Default::default(),
                &mut DocState::new(),
                &junk
            )
            .map(|_| ())
            .map_err(|r| r.code),
            Err(SyncErrorCode::Invalid)
        );
    }

    #[test]
    fn a_change_over_its_cap_or_a_document_past_its_cap_is_too_large() {
        let l = lead(D1);
        let mut state = DocState::new();
        let big = vec![0u8; limits::CHANGE_BYTES + 1];
        assert_eq!(
            ingest(
                l.dealer,
                DocId::lead(l.id),
                &salesperson(),
                &Default::default(),
                &mut state,
                &[big]
            )
            .map(|_| ())
            .map_err(|r| r.code),
            Err(SyncErrorCode::TooLarge)
        );
        let mut full = DocState::load(Vec::new(), Vec::new(), limits::DOCUMENT_BYTES - 10)
            .unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(
            ingest(
                l.dealer,
                DocId::lead(l.id),
                &salesperson(),
                &Default::default(),
                &mut full,
                &changes_of(&l, 0)
            )
            .map(|_| ())
            .map_err(|r| r.code),
            Err(SyncErrorCode::TooLarge)
        );
    }

    // The write rules (`crate::rules`), as `ingest` applies them.

    fn user(n: u128) -> UserId {
        UserId::from_uuid(Uuid::from_u128(n))
    }

    fn as_(n: u128, role: Role) -> Author {
        Author {
            user: user(n),
            role,
        }
    }

    fn raw(changes: Vec<crate::doc::Change>) -> Vec<Vec<u8>> {
        changes.iter().map(|c| c.raw_bytes().to_vec()).collect()
    }

    fn code(result: Result<Accepted, Refusal>) -> Result<(), SyncErrorCode> {
        result.map(|_| ()).map_err(|r| r.code)
    }

    /// A change made on a device that holds what the server stores.
    fn edit<D: From<Document> + std::ops::DerefMut<Target = Document>>(
        state: &mut DocState,
        actor: u8,
        f: impl FnOnce(&mut D),
    ) -> Vec<Vec<u8>> {
        let doc = Document::load(&state.save(), actor_from_bytes([actor; 16]))
            .unwrap_or_else(|e| panic!("{e}"));
        let mut doc = D::from(doc);
        let heads = doc.heads();
        f(&mut doc);
        raw(doc.changes_since(&heads))
    }

    fn trim(n: u128) -> Trim {
        Trim {
            id: TrimId::from_uuid(Uuid::from_u128(n)),
            model: ModelId::from_uuid(Uuid::from_u128(1)),
            name: format!("Trim {n}"),
            list_price: Money::yuan(200_000),
            powertrain: Powertrain::Petrol,
            gearbox: Transmission::Manual,
            seats: 5,
            displacement_cc: 1_498,
            archived: false,
            cost: None,
            max_discount: None,
        }
    }

    /// The dealer document as the server creates it, stored.
    fn dealer_state() -> (DocState, DocId) {
        let dealer = DealerId::from_uuid(Uuid::from_u128(D1));
        let catalogue = Dealer {
            id: Some(dealer),
            settings: Settings::default(),
            models: vec![Model {
                id: ModelId::from_uuid(Uuid::from_u128(1)),
                name: "Lavida".into(),
                archived: false,
            }],
            trims: vec![trim(2), trim(3)],
            ..Dealer::default()
        };
        let mut doc = DealerDoc::create(actor_from_bytes([9; 16]), dealer, &catalogue, 1)
            .unwrap_or_else(|e| panic!("{e}"));
        let mut state = DocState::new();
        let id = DocId::dealer(dealer);
        let created = ingest(
            dealer,
            id,
            &as_(1, Role::Admin),
            &Default::default(),
            &mut state,
            &raw(doc.changes_since(&[])),
        );
        assert_eq!(code(created), Ok(()));
        (state, id)
    }

    fn catalogue(state: &mut DocState) -> Dealer {
        let doc = DealerDoc::load(&state.save(), actor_from_bytes([8; 16]))
            .unwrap_or_else(|e| panic!("{e}"));
        doc.read().unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn only_a_manager_or_an_admin_changes_the_dealer_document() {
        let (mut state, id) = dealer_state();
        let dealer = DealerId(id.id);
        let stored = state.save();
        let cheaper = edit(&mut state, 4, |d: &mut DealerDoc| {
            let mut t = trim(2);
            t.list_price = Money::yuan(1);
            assert!(d.put(&t, 5).ok().flatten().is_some());
        });
        let refused = ingest(
            dealer,
            id,
            &as_(5, Role::Salesperson),
            &Default::default(),
            &mut state,
            &cheaper,
        );
        assert_eq!(code(refused), Err(SyncErrorCode::Forbidden));
        assert_eq!(state.save(), stored, "the refused change left no trace");
        assert_eq!(state.history_bytes(), raw_len(&stored_changes(&mut state)));
        // The same change from a manager's session is accepted, and an
        // admin's settings edit after it.
        let accepted = ingest(
            dealer,
            id,
            &as_(6, Role::Manager),
            &Default::default(),
            &mut state,
            &cheaper,
        )
        .unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(accepted.new_changes.len(), 1);
        let Some(Content::Dealer(read)) = accepted.content else {
            panic!("the dealer document reads")
        };
        assert_eq!(
            read.trim(trim(2).id).map(|t| t.list_price),
            Some(Money::yuan(1))
        );
        let slower = edit(&mut state, 7, |d: &mut DealerDoc| {
            let mut s = Settings::default();
            s.cadence.c = 21;
            assert!(d.set_settings(&s, 6).ok().flatten().is_some());
        });
        assert_eq!(
            code(ingest(
                dealer,
                id,
                &as_(5, Role::Salesperson),
                &Default::default(),
                &mut state,
                &slower
            )),
            Err(SyncErrorCode::Forbidden)
        );
        assert_eq!(
            code(ingest(
                dealer,
                id,
                &as_(7, Role::Admin),
                &Default::default(),
                &mut state,
                &slower
            )),
            Ok(())
        );
        let now = catalogue(&mut state);
        assert_eq!(now.settings.cadence.c, 21);
        assert_eq!(
            now.trim(trim(2).id).map(|t| t.list_price),
            Some(Money::yuan(1))
        );
    }

    /// Issue 20 §6: a manager's settings naming no IANA zone are refused
    /// through sync (the device would fall back to China time).
    #[test]
    fn a_misspelled_time_zone_is_refused() {
        let (mut state, id) = dealer_state();
        let dealer = DealerId(id.id);
        let stored = state.save();
        let with_zone = |state: &mut DocState, zone: &'static str| {
            edit(state, 4, move |d: &mut DealerDoc| {
                let mut s = Settings::default();
                s.time_zone = zone.into();
                assert!(d.set_settings(&s, 6).ok().flatten().is_some());
            })
        };
        let typo = with_zone(&mut state, "Asia/Shangai");
        let refused = ingest(
            dealer,
            id,
            &as_(6, Role::Manager),
            &Default::default(),
            &mut state,
            &typo,
        );
        assert_eq!(code(refused), Err(SyncErrorCode::Invalid));
        assert_eq!(state.save(), stored, "the refused change left no trace");
        let urumqi = with_zone(&mut state, "Asia/Urumqi");
        assert_eq!(
            code(ingest(
                dealer,
                id,
                &as_(6, Role::Manager),
                &Default::default(),
                &mut state,
                &urumqi,
            )),
            Ok(())
        );
        assert_eq!(catalogue(&mut state).settings.time_zone, "Asia/Urumqi");
    }

    fn stored_changes(state: &mut DocState) -> Vec<Vec<u8>> {
        let mut doc = Document::load(&state.save(), actor_from_bytes([8; 16]))
            .unwrap_or_else(|e| panic!("{e}"));
        raw(doc.changes_since(&[]))
    }

    fn raw_len(changes: &[Vec<u8>]) -> usize {
        changes.iter().map(Vec::len).sum()
    }

    #[test]
    fn a_dealer_document_of_a_newer_schema_is_still_only_a_managers() {
        use automerge::transaction::Transactable;
        let (mut state, id) = dealer_state();
        let dealer = DealerId(id.id);
        // A forged change: a newer schema, and an entry this build cannot
        // read, so that the document has no content to judge.
        let mut raw_doc = automerge::AutoCommit::load(&state.save())
            .unwrap_or_else(|e| panic!("{e}"))
            .with_actor(actor_from_bytes([4; 16]));
        let heads = raw_doc.get_heads();
        let put = |d: &mut automerge::AutoCommit| -> Result<(), automerge::AutomergeError> {
            d.put(automerge::ROOT, "schema", 2_u64)?;
            let t = d.put_object(automerge::ROOT, "trim:forged", automerge::ObjType::Map)?;
            d.put(&t, "name", 7_i64)?;
            Ok(())
        };
        put(&mut raw_doc).unwrap_or_else(|e| panic!("{e}"));
        raw_doc.commit();
        let forged = raw(raw_doc.get_changes(&heads));
        let stored = state.save();
        assert_eq!(
            code(ingest(
                dealer,
                id,
                &as_(5, Role::Salesperson),
                &Default::default(),
                &mut state,
                &forged
            )),
            Err(SyncErrorCode::Forbidden)
        );
        assert_eq!(state.save(), stored);
        assert_eq!(
            code(ingest(
                dealer,
                id,
                &as_(6, Role::Manager),
                &Default::default(),
                &mut state,
                &forged
            )),
            Ok(()),
            "a newer schema's document is a manager's to change"
        );
    }

    fn visit(n: u128, by: UserId) -> Visit {
        Visit {
            id: VisitId::from_uuid(Uuid::from_u128(n)),
            arrived_at: 100,
            left_at: None,
            salesperson: by,
            party_size: 2,
            kind: VisitKind::First,
            outcome: VisitOutcome::Lead,
            lead: Some(LeadId::from_uuid(Uuid::from_u128(7))),
            steps: VisitSteps::default(),
            created_by: by,
        }
    }

    fn drive(n: u128, by: UserId) -> TestDrive {
        TestDrive {
            id: DriveId::from_uuid(Uuid::from_u128(n)),
            car: CarId::from_uuid(Uuid::from_u128(40)),
            start: 1_000,
            end: 2_000,
            status: DriveStatus::Booked,
            licence: None,
            signature: None,
            out: None,
            back: None,
            created_by: by,
            created_at: 900,
        }
    }

    fn signature(by: UserId) -> Option<Signature> {
        Some(Signature {
            strokes: Strokes::encode(&[vec![(1, 1), (40, 30)]]),
            typed_name: String::new(),
            agreement_version: 1,
            language: "zh".into(),
            signed_at: 950,
            captured_by: by,
        })
    }

    /// The lead of `lead()` (created by user 5), stored.
    fn lead_state() -> (DocState, DocId, DealerId) {
        let l = lead(D1);
        let mut state = DocState::new();
        let id = DocId::lead(l.id);
        assert_eq!(
            code(ingest(
                l.dealer,
                id,
                &salesperson(),
                &Default::default(),
                &mut state,
                &changes_of(&l, 0)
            )),
            Ok(())
        );
        (state, id, l.dealer)
    }

    #[test]
    fn a_lead_created_in_another_users_name_is_refused() {
        let l = lead(D1);
        assert_eq!(
            code(ingest(
                l.dealer,
                DocId::lead(l.id),
                &as_(6, Role::Manager),
                &Default::default(),
                &mut DocState::new(),
                &changes_of(&l, 0),
            )),
            Err(SyncErrorCode::NotAuthor)
        );
    }

    #[test]
    fn a_lead_rewritten_in_another_users_name_is_refused() {
        let (mut state, id, dealer) = lead_state();
        let me = salesperson();
        // Claiming someone else created it, or last edited it.
        let recreated = edit(&mut state, 31, |d: &mut LeadDoc| {
            use automerge::transaction::Transactable;
            let _ =
                d.0.am
                    .put(automerge::ROOT, "created_by", user(6).to_string());
            let _ = d.0.commit("forge", 9);
        });
        assert_eq!(
            code(ingest(
                dealer,
                id,
                &me,
                &Default::default(),
                &mut state,
                &recreated
            )),
            Err(SyncErrorCode::NotAuthor)
        );
        let edited_as_other = edit(&mut state, 32, |d: &mut LeadDoc| {
            let mut l = d.read().unwrap_or_else(|e| panic!("{e}"));
            l.grade = crate::domain::Grade::H;
            let _ = d.update(&l, user(6), 9);
        });
        assert_eq!(
            code(ingest(
                dealer,
                id,
                &me,
                &Default::default(),
                &mut state,
                &edited_as_other
            )),
            Err(SyncErrorCode::NotAuthor)
        );
        // The same edit in the session's own name is fine.
        let mine = edit(&mut state, 33, |d: &mut LeadDoc| {
            let mut l = d.read().unwrap_or_else(|e| panic!("{e}"));
            l.grade = crate::domain::Grade::H;
            let _ = d.update(&l, me.user, 9);
        });
        assert_eq!(
            code(ingest(
                dealer,
                id,
                &me,
                &Default::default(),
                &mut state,
                &mine
            )),
            Ok(())
        );
    }

    #[test]
    fn notes_and_records_in_another_users_name_are_refused() {
        let (mut state, id, dealer) = lead_state();
        let (me, other) = (salesperson(), user(6));
        let forged: Vec<(&str, Vec<Vec<u8>>)> = vec![
            (
                "note",
                edit(&mut state, 11, |d: &mut LeadDoc| {
                    let note = Note {
                        author: other,
                        at: 5,
                        text: "called".into(),
                    };
                    assert!(d.add_note(&note).ok().flatten().is_some());
                }),
            ),
            (
                "visit",
                edit(&mut state, 12, |d: &mut LeadDoc| {
                    let _ = d.put_record(&visit(20, other), me.user, 5);
                }),
            ),
            (
                "test drive",
                edit(&mut state, 13, |d: &mut LeadDoc| {
                    let _ = d.put_record(&drive(21, other), me.user, 5);
                }),
            ),
            (
                "signature",
                edit(&mut state, 14, |d: &mut LeadDoc| {
                    let mut signed = drive(22, me.user);
                    signed.signature = signature(other);
                    let _ = d.put_record(&signed, me.user, 5);
                }),
            ),
            (
                "visit through an edit of the lead",
                edit(&mut state, 15, |d: &mut LeadDoc| {
                    let mut l = d.read().unwrap_or_else(|e| panic!("{e}"));
                    l.grade = Grade::H;
                    l.visits.push(visit(23, other));
                    let _ = d.update(&l, me.user, 5);
                }),
            ),
        ];
        // (Each made on its own device: two changes of one actor with the
        // same sequence number are malformed.)
        let stored = state.save();
        for (what, change) in &forged {
            assert!(!change.is_empty(), "{what}: a change was made");
            assert_eq!(
                code(ingest(
                    dealer,
                    id,
                    &me,
                    &Default::default(),
                    &mut state,
                    change
                )),
                Err(SyncErrorCode::NotAuthor),
                "{what}"
            );
            assert_eq!(
                state.save(),
                stored,
                "{what}: the refused change left no trace"
            );
        }
        // The next good change still applies: the same kinds, in my name.
        let good = edit(&mut state, 4, |d: &mut LeadDoc| {
            let note = Note {
                author: me.user,
                at: 6,
                text: "visited".into(),
            };
            let _ = d.add_note(&note);
            let _ = d.put_record(&visit(30, me.user), me.user, 6);
            let mut signed = drive(31, me.user);
            signed.signature = signature(me.user);
            let _ = d.put_record(&signed, me.user, 6);
        });
        let accepted = ingest(dealer, id, &me, &Default::default(), &mut state, &good)
            .unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(accepted.new_changes.len(), 3);
        let lead = accepted.lead().unwrap_or_else(|| panic!("the lead reads"));
        assert_eq!(lead.notes.len(), 1);
        assert_eq!(
            lead.visits.iter().map(|v| v.id).collect::<Vec<_>>(),
            [visit(30, me.user).id]
        );
        assert_eq!(lead.drives.len(), 1);
        assert_eq!(
            lead.drives[0].signature.as_ref().map(|s| s.captured_by),
            Some(me.user)
        );
        // And the forged changes stay refused after it.
        for (what, change) in &forged {
            assert_eq!(
                code(ingest(
                    dealer,
                    id,
                    &me,
                    &Default::default(),
                    &mut state,
                    change
                )),
                Err(SyncErrorCode::NotAuthor),
                "{what}, again"
            );
        }
    }

    #[test]
    fn records_another_user_wrote_earlier_stay_acceptable_when_i_edit_them() {
        let (mut state, id, dealer) = lead_state();
        let (five, six) = (salesperson(), as_(6, Role::Salesperson));
        // User 6 logs a visit on user 5's lead, books a drive and has the
        // agreement signed, and adds a note.
        let by_six = edit(&mut state, 6, |d: &mut LeadDoc| {
            let _ = d.put_record(&visit(40, six.user), six.user, 10);
            let mut signed = drive(41, six.user);
            signed.signature = signature(six.user);
            let _ = d.put_record(&signed, six.user, 10);
            let note = Note {
                author: six.user,
                at: 10,
                text: "booked a drive".into(),
            };
            let _ = d.add_note(&note);
        });
        assert_eq!(
            code(ingest(
                dealer,
                id,
                &six,
                &Default::default(),
                &mut state,
                &by_six
            )),
            Ok(())
        );
        // User 5 edits other fields of both, by record and through an edit
        // of the lead: the records still name user 6, and that is fine.
        let by_five = edit(&mut state, 5, |d: &mut LeadDoc| {
            let mut l = d.read().unwrap_or_else(|e| panic!("{e}"));
            let mut v = l.visits[0].clone();
            v.left_at = Some(500);
            v.steps.quote = true;
            assert!(d.put_record(&v, five.user, 11).ok().flatten().is_some());
            l = d.read().unwrap_or_else(|e| panic!("{e}"));
            l.grade = Grade::H;
            l.drives[0].status = DriveStatus::Out;
            l.drives[0].out = Some(DriveOut {
                at: 1_000,
                odometer_km: 12,
                fuel_pct: 90,
                route: "West Lake".into(),
                companion: Some(six.user),
                recorded_by: five.user,
            });
            assert!(d.update(&l, five.user, 12).ok().flatten().is_some());
        });
        let accepted = ingest(dealer, id, &five, &Default::default(), &mut state, &by_five)
            .unwrap_or_else(|e| panic!("{e:?}"));
        let lead = accepted.lead().unwrap_or_else(|| panic!("the lead reads"));
        assert_eq!(lead.visits[0].left_at, Some(500));
        assert_eq!(lead.visits[0].created_by, six.user);
        assert_eq!(lead.drives[0].status, DriveStatus::Out);
        assert_eq!(lead.drives[0].created_by, six.user);
        assert_eq!(
            lead.drives[0].signature.as_ref().map(|s| s.captured_by),
            Some(six.user)
        );
        assert_eq!(lead.notes.len(), 1);
        // But user 5 may not record the return in user 6's name, although
        // user 6 is named by the drive already, nor hand its own record of
        // the car leaving to user 6.
        let stored = state.save();
        let forged = [
            edit(&mut state, 5, |d: &mut LeadDoc| {
                let mut dr = d.read().unwrap_or_else(|e| panic!("{e}")).drives[0].clone();
                dr.status = DriveStatus::Returned;
                dr.back = Some(DriveBack {
                    at: 2_000,
                    odometer_km: 30,
                    fuel_pct: 80,
                    damage: String::new(),
                    rating: Some(5),
                    comment: String::new(),
                    recorded_by: six.user,
                });
                let _ = d.put_record(&dr, five.user, 13);
            }),
            edit(&mut state, 5, |d: &mut LeadDoc| {
                let mut dr = d.read().unwrap_or_else(|e| panic!("{e}")).drives[0].clone();
                if let Some(out) = &mut dr.out {
                    out.recorded_by = six.user;
                }
                let _ = d.put_record(&dr, five.user, 13);
            }),
        ];
        for change in &forged {
            assert_eq!(
                code(ingest(
                    dealer,
                    id,
                    &five,
                    &Default::default(),
                    &mut state,
                    change
                )),
                Err(SyncErrorCode::NotAuthor)
            );
            assert_eq!(state.save(), stored);
        }
    }

    #[test]
    fn a_register_takes_only_its_own_users_visits() {
        let dealer = DealerId::from_uuid(Uuid::from_u128(D1));
        let register = |visits| Register {
            id: RegisterId::from_uuid(Uuid::from_u128(60)),
            dealer,
            date: "2026-12-01".parse().unwrap_or_else(|e| panic!("{e:?}")),
            ups: Vec::new(),
            visits,
        };
        let changes = |r: &Register| {
            let mut doc = RegisterDoc::create(actor_from_bytes([6; 16]), r, 1)
                .unwrap_or_else(|e| panic!("{e}"));
            raw(doc.changes_since(&[]))
        };
        let id = DocId::register(RegisterId::from_uuid(Uuid::from_u128(60)));
        let me = salesperson();
        let mut visit_of_another = visit(61, user(6));
        visit_of_another.lead = None;
        visit_of_another.outcome = VisitOutcome::Open;
        let mut state = DocState::new();
        assert_eq!(
            code(ingest(
                dealer,
                id,
                &me,
                &Default::default(),
                &mut state,
                &changes(&register(vec![visit_of_another]))
            )),
            Err(SyncErrorCode::NotAuthor)
        );
        let mine = register(vec![visit(62, me.user)]);
        let accepted = ingest(
            dealer,
            id,
            &me,
            &Default::default(),
            &mut state,
            &changes(&mine),
        )
        .unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(accepted.content, Some(Content::Register(Box::new(mine))));
    }
}
