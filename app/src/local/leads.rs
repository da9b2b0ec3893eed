//! The leads on this device: Automerge documents (snapshot plus incremental changes), their summaries, the outbox and the sync cursor, each logical save one IndexedDB transaction.
//!
//! Stores (see `db.rs`): `docs` lead → snapshot; `doc_changes`
//! `"<lead>:<hash>"` → change bytes not in the snapshot yet (local edits, and
//! received changes still waiting for their dependencies); `summaries` lead →
//! JSON `LeadSummary`; `outbox` `"<lead>:<hash>"` → change bytes the server
//! has not acknowledged; `meta` `cursor`, `last_sync`, `refusal`.
//!
//! Every save reads the document and writes its results inside one readwrite
//! transaction, so two tabs saving the same lead are serialised by IndexedDB
//! and a reload part-way leaves the old or the new state.

use std::cell::{Cell, OnceCell, RefCell};
use std::collections::HashSet;
use std::rc::Rc;

use showroom_shared::doc::{
    ActorId, Change, ChangeHash, Content, DocError, Document, LeadDoc, SCHEMA_VERSION,
    actor_from_bytes, parse_change,
};
use showroom_shared::domain::followup::{Consent, LostDecision, LostRequest, Task};
use showroom_shared::domain::quote::{Approval, QuoteVersion};
use showroom_shared::domain::record::Record;
use showroom_shared::domain::showroom::TestDrive;
use showroom_shared::domain::{DocId, DocKind, Lead, LeadId, Note, UserId};
use showroom_shared::sync::DocChanges;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::IdbDatabase;

use crate::local::db::{
    self, DOC_CHANGES, DOCS, DbError, META, OUTBOX, RECORDS, Read, SUMMARIES, Tx, bytes_of,
};
use crate::local::floor::{self, FloorRow};
use crate::local::judge::{self, Verdict};
use crate::local::summary::LeadSummary;

/// A document with this many incremental changes is compacted into a new
/// snapshot on its next save: the shared rule (`doc::compaction_due`).
pub const COMPACT_AFTER: usize = showroom_shared::doc::COMPACT_AT;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LeadStoreError {
    Db(DbError),
    /// The lead's stored document cannot be read.
    Damaged(String),
    NotFound,
    /// Written by a newer version of Showroom: this build does not edit it.
    ReadOnly,
    /// The change breaks a write rule (`local::judge`): it was not made.
    Refused(Verdict),
}

impl std::fmt::Display for LeadStoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LeadStoreError::Db(e) => e.fmt(f),
            LeadStoreError::Damaged(m) => write!(f, "the stored lead is damaged: {m}"),
            LeadStoreError::NotFound => f.write_str("no such lead on this device"),
            LeadStoreError::ReadOnly => f.write_str("written by a newer version of Showroom"),
            LeadStoreError::Refused(v) => write!(f, "not allowed: {v}"),
        }
    }
}

impl std::error::Error for LeadStoreError {}

impl From<DbError> for LeadStoreError {
    fn from(e: DbError) -> Self {
        LeadStoreError::Db(e)
    }
}

impl LeadStoreError {
    pub fn is_quota(&self) -> bool {
        matches!(self, LeadStoreError::Db(DbError::Quota))
    }
}

pub type Result<T> = std::result::Result<T, LeadStoreError>;

/// Runs `f` on the tab's one connection to the device database
/// (`db::connection`: opened once, reused).
async fn with_db<T>(f: impl AsyncFnOnce(&IdbDatabase) -> Result<T>) -> Result<T> {
    let db = db::connection().await?;
    f(&db).await
}

/// Where a change to the store came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// Saved on this tab (a new lead, an edit, a note): sync pushes it.
    Saved,
    /// Applied from a page the server sent.
    Received,
    /// Another tab wrote it; this tab re-read what it needs.
    OtherTab,
}

/// What a committed write changed: told to every subscriber after the
/// transaction commits, in commit order.
#[derive(Clone, Debug)]
pub struct StoreChange {
    pub origin: Origin,
    /// Every lead the write changed.
    pub leads: Vec<LeadId>,
    /// Every document of another kind it changed (the dealer's catalogue,
    /// a showroom register).
    pub others: Vec<DocId>,
    /// Their new summaries (a lead that cannot be read has none).
    pub summaries: Vec<LeadSummary>,
    /// The floor rows (visits, test drives) of the documents it changed.
    pub rows: Vec<FloorRow>,
    /// What a save put in the outbox (empty for other origins): sync pushes
    /// these as they are, without reading the outbox again.
    pub outbox: Vec<Pending>,
    /// Leads no longer on this device (a lead the server never had, whose
    /// refused changes were discarded): lists drop them.
    pub removed: Vec<LeadId>,
}

type Listener = Rc<dyn Fn(&StoreChange)>;

thread_local! {
    static LISTENERS: RefCell<Vec<(u64, Listener)>> = const { RefCell::new(Vec::new()) };
    static NEXT_LISTENER: Cell<u64> = const { Cell::new(0) };
    /// The leads this device holds (snapshot, incremental changes or
    /// summary), read once per tab before the first page is applied and kept
    /// current by this tab's writes, by what it pushes (a lead created in
    /// another tab reaches the server — and so can come back changed by
    /// another device — only through the syncing tab's push) and by what
    /// it receives. `None` until read.
    static KNOWN: RefCell<Option<HashSet<DocId>>> = const { RefCell::new(None) };
}

/// Calls `f` after every committed write of this tab, until the returned
/// subscription is dropped.
pub fn subscribe(f: impl Fn(&StoreChange) + 'static) -> Subscription {
    let id = NEXT_LISTENER.with(|n| {
        let id = n.get();
        n.set(id + 1);
        id
    });
    LISTENERS.with(|l| l.borrow_mut().push((id, Rc::new(f))));
    Subscription(id)
}

/// Ends a [`subscribe`] when dropped.
pub struct Subscription(u64);

impl Drop for Subscription {
    fn drop(&mut self) {
        LISTENERS.with(|l| l.borrow_mut().retain(|(id, _)| *id != self.0));
    }
}

fn notify(change: StoreChange) {
    if change.leads.is_empty() && change.others.is_empty() && change.rows.is_empty() {
        return;
    }
    let listeners: Vec<Listener> =
        LISTENERS.with(|l| l.borrow().iter().map(|(_, f)| f.clone()).collect());
    for f in listeners {
        f(&change);
    }
}

fn know(leads: impl IntoIterator<Item = DocId>) {
    KNOWN.with(|k| {
        if let Some(k) = k.borrow_mut().as_mut() {
            k.extend(leads);
        }
    });
}

/// The device database is gone (sign-out): forget what it held.
pub fn forget_device() {
    KNOWN.with(|k| *k.borrow_mut() = None);
}

/// Reads which leads the device holds, once per tab.
async fn known_leads(db: &IdbDatabase) -> Result<()> {
    if KNOWN.with(|k| k.borrow().is_some()) {
        return Ok(());
    }
    let tx = Tx::read(db, &[DOCS, DOC_CHANGES, SUMMARIES])?;
    let reads = [
        tx.queue_keys(DOCS)?,
        tx.queue_keys(DOC_CHANGES)?,
        tx.queue_keys(SUMMARIES)?,
    ];
    tx.settle(reads[2].request()).await?;
    tx.commit().await?;
    let mut known = HashSet::new();
    let keys: Vec<JsValue> = reads
        .iter()
        .filter_map(Read::value)
        .flat_map(|a| {
            a.unchecked_into::<js_sys::Array>()
                .iter()
                .collect::<Vec<_>>()
        })
        .collect();
    for key in keys {
        if let Some(doc) = key.as_string().as_deref().and_then(doc_of_key) {
            known.insert(doc);
        }
    }
    KNOWN.with(|k| {
        let mut k = k.borrow_mut();
        // A write of this tab while reading is in `known` or in `k` already.
        match k.as_mut() {
            Some(k) => k.extend(known),
            None => *k = Some(known),
        }
    });
    Ok(())
}

/// 16 random bytes from the browser.
pub fn random_bytes() -> [u8; 16] {
    let mut bytes = [0u8; 16];
    let filled = web_sys::window()
        .and_then(|w| w.crypto().ok())
        .and_then(|c| c.get_random_values_with_u8_array(&mut bytes).ok())
        .is_some();
    if !filled {
        // No Web Crypto (never in a supported browser): still unique enough
        // for an actor, as it mixes the clock in.
        for (i, b) in bytes.iter_mut().enumerate() {
            *b = (js_sys::Math::random() * 256.0) as u8
                ^ (js_sys::Date::now() as u64 >> (i % 8)) as u8;
        }
    }
    bytes
}

/// A new random (v4) id: of a lead, a record, a quote …
pub fn new_uuid() -> uuid::Uuid {
    uuid::Builder::from_random_bytes(random_bytes()).into_uuid()
}

/// A new random (v4) lead id.
pub fn new_lead_id() -> LeadId {
    LeadId::from_uuid(new_uuid())
}

thread_local! {
    static ACTOR: OnceCell<ActorId> = const { OnceCell::new() };
}

/// This page load's Automerge actor. Fresh per tab: two tabs writing with
/// one actor would corrupt the documents they share.
pub fn actor() -> ActorId {
    ACTOR.with(|a| a.get_or_init(|| actor_from_bytes(random_bytes())).clone())
}

/// Notes, in the save's transaction, that this page load's actor wrote on
/// this device (`meta` `actor:<hex>`): after a restore of the server, the
/// device re-sends exactly the changes it made ([`resend_own`]).
fn remember_actor(tx: &Tx) -> Result<()> {
    let key = format!("{ACTOR_PREFIX}{}", actor().to_hex_string());
    tx.put(META, &key, &JsValue::TRUE)?;
    Ok(())
}

const ACTOR_PREFIX: &str = "actor:";

/// The server was restored from a backup and lost what came after it: puts
/// every change this device made (by any of its page loads' actors) back in
/// the outbox, then stores the server's new log with cursor 0 — last, so an
/// interrupted re-send is asked for again at the next connection. Changes
/// others made are theirs to re-send: the server takes a change only in its
/// author's name. Returns how many changes were queued.
pub async fn resend_own(log: u64) -> Result<u32> {
    let db = db::connection().await?;
    let (own, docs) = {
        let tx = Tx::read(&db, &[META, DOCS, DOC_CHANGES])?;
        let actors = tx.entries(META, ACTOR_PREFIX).await?;
        let reads = [tx.queue_keys(DOCS)?, tx.queue_keys(DOC_CHANGES)?];
        tx.settle(reads[1].request()).await?;
        tx.commit().await?;
        let own: HashSet<String> = actors
            .into_iter()
            .filter_map(|(k, _)| k.strip_prefix(ACTOR_PREFIX).map(str::to_owned))
            .collect();
        let mut docs: Vec<DocId> = reads
            .iter()
            .filter_map(Read::value)
            .flat_map(|a| {
                a.unchecked_into::<js_sys::Array>()
                    .iter()
                    .collect::<Vec<_>>()
            })
            .filter_map(|k| k.as_string().as_deref().and_then(doc_of_key))
            .collect();
        docs.sort_by_key(ToString::to_string);
        docs.dedup();
        (own, docs)
    };
    let mut queued = 0u32;
    for chunk in docs.chunks(KNOWN_PER_TX) {
        let tx = Tx::write(&db, &[DOCS, DOC_CHANGES, OUTBOX])?;
        for id in chunk {
            let Some(mut loaded) = load_in(&tx, *id).await? else {
                continue;
            };
            for change in loaded.doc.changes_since(&[]) {
                if own.contains(&change.actor_id().to_hex_string()) {
                    tx.put_bytes(OUTBOX, &change_key(*id, &change), change.raw_bytes())?;
                    queued = queued.saturating_add(1);
                }
            }
        }
        tx.commit().await?;
        yield_now().await;
    }
    let tx = Tx::write(&db, &[META])?;
    tx.put(META, META_LOG, &JsValue::from_f64(log as f64))?;
    tx.put(META, META_CURSOR, &JsValue::from_f64(0.0))?;
    tx.commit().await?;
    Ok(queued)
}

/// The server log the stored cursor counts in (0: not known yet).
pub async fn log() -> Result<u64> {
    meta_number(META_LOG).await
}

/// The server log the cursor counts in, below 2^53 (exact as a JS number).
pub const META_LOG: &str = "log";

fn change_key(doc: DocId, change: &Change) -> String {
    format!("{doc}:{}", change.hash())
}

fn prefix(doc: DocId) -> String {
    format!("{doc}:")
}

/// The document a store key names: a document id (`lead:…`), a change key
/// (`lead:…:<hash>`) or a summary's bare lead id.
fn doc_of_key(key: &str) -> Option<DocId> {
    if let Ok(doc) = key.parse::<DocId>() {
        return Some(doc);
    }
    if let Some(doc) = key
        .rsplit_once(':')
        .and_then(|(d, _)| d.parse::<DocId>().ok())
    {
        return Some(doc);
    }
    key.parse::<LeadId>().ok().map(DocId::lead)
}

/// A lead as opened for the detail page.
#[derive(Clone, Debug, PartialEq)]
pub struct OpenLead {
    pub lead: Lead,
    /// Written by a newer version of Showroom: shown, not edited.
    pub read_only: bool,
}

/// A document read inside a transaction.
struct Loaded {
    doc: Document,
    /// The keys of its incremental changes, with the changes' hashes.
    changes: Vec<(String, showroom_shared::doc::ChangeHash)>,
    snapshot_ok: bool,
}

/// The reads that open one document, queued.
struct LoadReads {
    lead: DocId,
    snapshot: Read,
    keys: Read,
    values: Read,
}

fn queue_load(tx: &Tx, lead: DocId) -> Result<LoadReads> {
    let snapshot = tx.queue_get(DOCS, &lead.to_string())?;
    let (keys, values) = tx.queue_entries(DOC_CHANGES, &prefix(lead))?;
    Ok(LoadReads {
        lead,
        snapshot,
        keys,
        values,
    })
}

async fn load_in(tx: &Tx, lead: DocId) -> Result<Option<Loaded>> {
    let reads = queue_load(tx, lead)?;
    tx.settle(reads.values.request()).await?;
    Ok(loaded_from(&reads))
}

/// Builds the document from its settled reads.
fn loaded_from(reads: &LoadReads) -> Option<Loaded> {
    let lead = reads.lead;
    let snapshot = reads.snapshot.value();
    let entries = Read::entries(&reads.keys, &reads.values);
    if snapshot.is_none() && entries.is_empty() {
        return None;
    }
    let mut snapshot_ok = true;
    let mut doc = match snapshot.as_ref().and_then(bytes_of) {
        Some(bytes) => match Document::load(&bytes, actor()) {
            Ok(doc) => doc,
            Err(e) => {
                warn(&format!("{lead}: the snapshot cannot be read ({e})"));
                snapshot_ok = false;
                Document::empty(actor())
            }
        },
        None => {
            if snapshot.is_some() {
                snapshot_ok = false;
            }
            Document::empty(actor())
        }
    };
    let mut changes = Vec::with_capacity(entries.len());
    for (key, value) in entries {
        let Some(change) = bytes_of(&value).and_then(|b| parse_change(&b).ok()) else {
            warn(&format!("{lead}: skipping an unreadable change {key}"));
            continue;
        };
        changes.push((key, change.hash()));
        if let Err(e) = doc.apply([change]) {
            warn(&format!("{lead}: a stored change does not apply ({e})"));
        }
    }
    Some(Loaded {
        doc,
        changes,
        snapshot_ok,
    })
}

/// Writes what a save produced: the new changes (beside the snapshot and in
/// the outbox), the summary, and a compaction when the document has many
/// incremental changes.
/// `content`: the document as the judge read it after the change (then it
/// is not read again).
fn write_after_save(
    tx: &Tx,
    lead: DocId,
    loaded: &mut Loaded,
    new: &[Change],
    content: Option<Content>,
) -> Result<Derived> {
    remember_actor(tx)?;
    for change in new {
        let key = change_key(lead, change);
        tx.put_bytes(DOC_CHANGES, &key, change.raw_bytes())?;
        tx.put_bytes(OUTBOX, &key, change.raw_bytes())?;
        loaded.changes.push((key, change.hash()));
    }
    finish_doc(tx, lead, loaded, content)
}

/// What lists need of a document, kept beside it: a lead's summary, and
/// the floor rows of its visits and test drives (or of a register's visits).
#[derive(Default)]
struct Derived {
    summary: Option<LeadSummary>,
    rows: Vec<FloorRow>,
}

/// What lists need of `doc`, from `content` when it was already read.
fn derive(id: DocId, doc: &Document, content: Option<Content>) -> Derived {
    match content {
        Some(Content::Lead(lead)) => {
            return Derived {
                summary: Some(crate::local::summary::of(&lead)),
                rows: floor::rows_of_lead(&lead),
            };
        }
        Some(Content::Register(r)) => {
            return Derived {
                summary: None,
                rows: floor::rows_of_register(&r),
            };
        }
        Some(Content::Dealer(_)) | None => {}
    }
    match id.kind {
        DocKind::Lead => match doc.read_lead() {
            Ok(lead) => Derived {
                summary: Some(crate::local::summary::of(&lead)),
                rows: floor::rows_of_lead(&lead),
            },
            Err(_) => Derived::default(),
        },
        DocKind::Register => Derived {
            summary: None,
            rows: doc
                .read_register()
                .map(|r| floor::rows_of_register(&r))
                .unwrap_or_default(),
        },
        DocKind::Dealer => Derived::default(),
    }
}

fn put_derived(tx: &Tx, derived: &Derived) -> Result<()> {
    if let Some(summary) = &derived.summary {
        put_summary(tx, summary)?;
    }
    for row in &derived.rows {
        let text = serde_json::to_string(row)
            .map_err(|e| LeadStoreError::Db(DbError::Other(e.to_string())))?;
        tx.put(RECORDS, &row.key(), &JsValue::from_str(&text))?;
    }
    Ok(())
}

/// Summary, floor rows and compaction for a document that changed.
fn finish_doc(
    tx: &Tx,
    lead: DocId,
    loaded: &mut Loaded,
    content: Option<Content>,
) -> Result<Derived> {
    let derived = derive(lead, &loaded.doc, content);
    put_derived(tx, &derived)?;
    if showroom_shared::doc::compaction_due(loaded.changes.len()) && loaded.snapshot_ok {
        tx.put_bytes(DOCS, &lead.to_string(), &loaded.doc.save())?;
        let mut kept = Vec::new();
        for (key, hash) in loaded.changes.drain(..) {
            if loaded.doc.has_change(&hash) {
                tx.delete(DOC_CHANGES, &key)?;
            } else {
                // Still waiting for its dependencies: not in the snapshot.
                kept.push((key, hash));
            }
        }
        loaded.changes = kept;
    }
    Ok(derived)
}

fn put_summary(tx: &Tx, summary: &LeadSummary) -> Result<()> {
    let text = serde_json::to_string(summary)
        .map_err(|e| LeadStoreError::Db(DbError::Other(e.to_string())))?;
    tx.put(
        SUMMARIES,
        &summary.id.to_string(),
        &JsValue::from_str(&text),
    )?;
    Ok(())
}

/// Saves a new lead: its document, its first change in the outbox and its summary.
pub async fn create(lead: &Lead) -> Result<()> {
    let doc = LeadDoc::create(actor(), lead).map_err(|e| LeadStoreError::Damaged(e.to_string()))?;
    create_doc(DocId::lead(lead.id), doc.into()).await
}

/// Saves a new document of any kind: its snapshot, its changes in the
/// outbox, what lists need of it; then tells the subscribers.
pub async fn create_doc(id: DocId, mut doc: Document) -> Result<()> {
    let judge = judge::current().ok_or(LeadStoreError::Refused(Verdict::NoSession))?;
    judge.may_change(id).map_err(LeadStoreError::Refused)?;
    let content = judge
        .check(None, &mut doc, id)
        .map_err(LeadStoreError::Refused)?;
    let changes = doc.changes_since(&[]);
    let snapshot = doc.save();
    let derived = derive(id, &doc, content);
    let pending = pending_of(id, &changes);
    with_db(async |db: &IdbDatabase| {
        let tx = Tx::write(db, &[DOCS, OUTBOX, SUMMARIES, RECORDS, META])?;
        remember_actor(&tx)?;
        tx.put_bytes(DOCS, &id.to_string(), &snapshot)?;
        for change in &changes {
            tx.put_bytes(OUTBOX, &change_key(id, change), change.raw_bytes())?;
        }
        put_derived(&tx, &derived)?;
        tx.commit().await?;
        Ok(())
    })
    .await?;
    know([id]);
    notify(saved_change(id, derived, pending));
    Ok(())
}

/// What a save of `id` tells the subscribers.
fn saved_change(id: DocId, derived: Derived, outbox: Vec<Pending>) -> StoreChange {
    StoreChange {
        origin: Origin::Saved,
        leads: id.as_lead().into_iter().collect(),
        others: if id.kind == DocKind::Lead {
            Vec::new()
        } else {
            vec![id]
        },
        summaries: derived.summary.into_iter().collect(),
        rows: derived.rows,
        outbox,
        removed: Vec::new(),
    }
}

/// The outbox entries of a save's new changes.
fn pending_of(doc: DocId, changes: &[Change]) -> Vec<Pending> {
    changes
        .iter()
        .map(|c| Pending {
            key: change_key(doc, c),
            doc,
            bytes: c.raw_bytes().to_vec(),
        })
        .collect()
}

/// Opens a lead: its snapshot plus its incremental changes.
pub async fn load(lead: LeadId) -> Result<OpenLead> {
    with_db(async |db: &IdbDatabase| {
        let tx = Tx::read(db, &[DOCS, DOC_CHANGES])?;
        let loaded = load_in(&tx, DocId::lead(lead)).await?;
        tx.commit().await?;
        let Some(loaded) = loaded else {
            return Err(LeadStoreError::NotFound);
        };
        let read = loaded
            .doc
            .read_lead()
            .map_err(|e| LeadStoreError::Damaged(e.to_string()))?;
        Ok(OpenLead {
            lead: read,
            read_only: loaded.doc.schema_version() > SCHEMA_VERSION,
        })
    })
    .await
}

/// Opens any document the device holds (`None` when it holds nothing of it).
pub async fn load_doc(doc: DocId) -> Result<Option<Document>> {
    with_db(async |db: &IdbDatabase| {
        let tx = Tx::read(db, &[DOCS, DOC_CHANGES])?;
        let loaded = load_in(&tx, doc).await?;
        tx.commit().await?;
        Ok(loaded.map(|l| l.doc))
    })
    .await
}

/// `edited` with every field the person did not touch (equal in `original`
/// and `edited`) taken from `current`, so a change that arrived while the
/// form was open is not overwritten with the old value.
pub fn merge_edit(original: &Lead, edited: &Lead, current: &Lead) -> Lead {
    fn pick<T: Clone + PartialEq>(original: &T, edited: &T, current: &T) -> T {
        if edited != original {
            edited.clone()
        } else {
            current.clone()
        }
    }
    let (o, e, c) = (original, edited, current);
    let mut after = current.clone();
    after.customer.name = pick(&o.customer.name, &e.customer.name, &c.customer.name);
    after.customer.mobile = pick(&o.customer.mobile, &e.customer.mobile, &c.customer.mobile);
    after.customer.wechat = pick(&o.customer.wechat, &e.customer.wechat, &c.customer.wechat);
    after.customer.city = pick(&o.customer.city, &e.customer.city, &c.customer.city);
    after.source = pick(&o.source, &e.source, &c.source);
    after.models = pick(&o.models, &e.models, &c.models);
    after.grade = pick(&o.grade, &e.grade, &c.grade);
    after.stage = pick(&o.stage, &e.stage, &c.stage);
    after.owner = pick(&o.owner, &e.owner, &c.owner);
    after.next_follow_up = pick(&o.next_follow_up, &e.next_follow_up, &c.next_follow_up);
    after
}

/// Saves an edit as one change: the fields changed between `original` (what
/// the form started from) and `edited`. Returns whether anything changed.
pub async fn edit(original: &Lead, edited: &Lead, editor: UserId, now: i64) -> Result<bool> {
    change_lead(original.id, |doc| {
        let current = doc.read()?;
        let after = merge_edit(original, edited, &current);
        doc.update(&after, editor, now)
    })
    .await
}

/// Adds a note as one change.
pub async fn add_note(lead: LeadId, note: &Note) -> Result<()> {
    change_lead(lead, |doc| doc.add_note(note))
        .await
        .map(|_| ())
}

/// Adds or edits one record of the lead of any kind (a visit, a test
/// drive's booking, a task), as one change.
pub async fn put_record<R: Record>(
    lead: LeadId,
    record: &R,
    editor: UserId,
    now: i64,
) -> Result<bool> {
    change_lead(lead, |doc| doc.put_record(record, editor, now)).await
}

/// Records a test drive leaving or returning, as one change (the lead's
/// stage moves to test drive if it was earlier).
pub async fn drive_happened(
    lead: LeadId,
    drive: &TestDrive,
    editor: UserId,
    now: i64,
) -> Result<bool> {
    change_lead(lead, |doc| doc.drive_happened(drive, editor, now)).await
}

/// Adds or edits a quote version, as one change (presenting it moves the
/// lead to quoted, accepting it to ordered).
pub async fn put_quote(
    lead: LeadId,
    version: &QuoteVersion,
    editor: UserId,
    now: i64,
) -> Result<bool> {
    change_lead(lead, |doc| doc.put_quote(version, editor, now)).await
}

/// Records a manager's decision on a quote version, as one change.
pub async fn put_approval(lead: LeadId, approval: &Approval, now: i64) -> Result<bool> {
    change_lead(lead, |doc| doc.put_approval(approval, now)).await
}

/// Completes a task and schedules the next one, as one change.
pub async fn complete_task(
    lead: LeadId,
    done: &Task,
    next: Option<&Task>,
    editor: UserId,
    now: i64,
) -> Result<bool> {
    change_lead(lead, |doc| doc.complete_task(done, next, editor, now)).await
}

/// Requests that the lead be marked lost, as one change.
pub async fn request_lost(lead: LeadId, request: &LostRequest, now: i64) -> Result<bool> {
    change_lead(lead, |doc| doc.request_lost(request, now)).await
}

/// A manager's decision on a lost request, as one change.
pub async fn decide_lost(
    lead: LeadId,
    decision: &LostDecision,
    follow_up: Option<&Task>,
    now: i64,
) -> Result<bool> {
    change_lead(lead, |doc| doc.decide_lost(decision, follow_up, now)).await
}

/// Reopens a lost lead, as one change.
pub async fn reopen(
    lead: LeadId,
    request: &LostRequest,
    stage: showroom_shared::domain::Stage,
    grade: showroom_shared::domain::Grade,
    editor: UserId,
    now: i64,
) -> Result<bool> {
    change_lead(lead, |doc| doc.reopen(request, stage, grade, editor, now)).await
}

/// Records a consent or its withdrawal, as one change.
pub async fn put_consent(lead: LeadId, consent: &Consent) -> Result<bool> {
    change_lead(lead, |doc| doc.put_consent(consent)).await
}

async fn change_lead(
    lead: LeadId,
    write: impl FnOnce(&mut LeadDoc) -> std::result::Result<Option<ChangeHash>, DocError>,
) -> Result<bool> {
    change_doc(DocId::lead(lead), write).await
}

/// The one way a document is changed on the device: in one transaction,
/// open it, let `write` make (at most) one change through the kind's façade
/// `D`, store the change beside the document and in the outbox with what
/// lists need of it, and tell the subscribers (the sync engine pushes the
/// outbox entries it is handed; nobody else has to tell it). Returns whether
/// `write` changed anything.
pub async fn change_doc<D>(
    id: DocId,
    write: impl FnOnce(&mut D) -> std::result::Result<Option<ChangeHash>, DocError>,
) -> Result<bool>
where
    D: From<Document> + Into<Document> + std::ops::DerefMut<Target = Document>,
{
    // One copy of the body per façade, not per call site: the closure is
    // boxed (each `impl FnOnce` would compile the whole transaction again).
    change_boxed::<D>(id, Box::new(write)).await
}

/// A document change's writer, boxed (see [`change_doc`]).
type Write<'a, D> =
    Box<dyn FnOnce(&mut D) -> std::result::Result<Option<ChangeHash>, DocError> + 'a>;

async fn change_boxed<D>(id: DocId, write: Write<'_, D>) -> Result<bool>
where
    D: From<Document> + Into<Document> + std::ops::DerefMut<Target = Document>,
{
    // Judged before anything is stored: a change the server would refuse is
    // never made (fails closed when nobody is signed in).
    let judge = judge::current().ok_or(LeadStoreError::Refused(Verdict::NoSession))?;
    judge.may_change(id).map_err(LeadStoreError::Refused)?;
    with_db(async |db: &IdbDatabase| {
        let tx = Tx::write(db, &[DOCS, DOC_CHANGES, OUTBOX, SUMMARIES, RECORDS, META])?;
        let Loaded {
            mut doc,
            changes,
            snapshot_ok,
        } = load_in(&tx, id).await?.ok_or(LeadStoreError::NotFound)?;
        if doc.schema_version() > SCHEMA_VERSION {
            return Err(LeadStoreError::ReadOnly);
        }
        let before = judge.read(&mut doc, id);
        let mut doc = D::from(doc);
        let heads = doc.heads();
        let changed = write(&mut doc).map_err(|e| LeadStoreError::Damaged(e.to_string()))?;
        if changed.is_none() {
            return Ok(false);
        }
        // Dropping the transaction uncommitted stores nothing.
        let after = judge
            .check(before.as_ref(), &mut doc, id)
            .map_err(LeadStoreError::Refused)?;
        let new = doc.changes_since(&heads);
        let mut loaded = Loaded {
            doc: doc.into(),
            changes,
            snapshot_ok,
        };
        let derived = write_after_save(&tx, id, &mut loaded, &new, after)?;
        tx.commit().await?;
        notify(saved_change(id, derived, pending_of(id, &new)));
        Ok(true)
    })
    .await
}

/// Every summary on the device. An unreadable one is skipped (and logged):
/// a damaged record never stops the list. Parsed in slices that yield to
/// the page between them.
pub async fn summaries() -> Result<Vec<LeadSummary>> {
    let values = with_db(async |db: &IdbDatabase| {
        let tx = Tx::read(db, &[SUMMARIES])?;
        let values = tx.values(SUMMARIES).await?;
        tx.commit().await?;
        Ok(values)
    })
    .await?;
    let mut out = Vec::with_capacity(values.length() as usize);
    let mut slice = Slice::start();
    let n = values.length();
    for start in (0..n).step_by(256) {
        out.extend(parse_summaries(
            (start..n.min(start + 256)).map(|i| values.get(i)),
        ));
        slice.pause_if_due().await;
    }
    Ok(out)
}

fn parse_summaries(values: impl Iterator<Item = JsValue>) -> Vec<LeadSummary> {
    let mut out = Vec::new();
    let mut damaged = 0;
    for value in values {
        match value
            .as_string()
            .map(|t| serde_json::from_str::<LeadSummary>(&t))
        {
            Some(Ok(s)) => out.push(s),
            _ => damaged += 1,
        }
    }
    if damaged > 0 {
        warn(&format!("skipped {damaged} unreadable lead summaries"));
    }
    out
}

/// Another tab wrote these leads: their summaries are re-read and told to
/// this tab's subscribers.
pub async fn changed_elsewhere(docs: Vec<DocId>) -> Result<()> {
    if docs.is_empty() {
        return Ok(());
    }
    know(docs.iter().copied());
    let (leads, others): (Vec<DocId>, Vec<DocId>) =
        docs.into_iter().partition(|d| d.kind == DocKind::Lead);
    let leads: Vec<LeadId> = leads.iter().filter_map(|d| d.as_lead()).collect();
    let summaries = with_db(async |db: &IdbDatabase| {
        let tx = Tx::read(db, &[SUMMARIES])?;
        let reads = leads
            .iter()
            .map(|lead| tx.queue_get(SUMMARIES, &lead.to_string()))
            .collect::<db::DbResult<Vec<Read>>>()?;
        if let Some(last) = reads.last() {
            tx.settle(last.request()).await?;
        }
        tx.commit().await?;
        Ok(parse_summaries(reads.iter().filter_map(Read::value)))
    })
    .await?;
    // Which rows came from these documents is not known without opening
    // them; the floor's rows are few (a day's visits, the bookings), so all
    // are read again.
    let rows = floor_rows().await?;
    notify(StoreChange {
        origin: Origin::OtherTab,
        leads,
        others,
        summaries,
        rows,
        outbox: Vec::new(),
        removed: Vec::new(),
    });
    Ok(())
}

/// Every floor row (visits and test drives) on the device.
pub async fn floor_rows() -> Result<Vec<FloorRow>> {
    let values = with_db(async |db: &IdbDatabase| {
        let tx = Tx::read(db, &[RECORDS])?;
        let values = tx.values(RECORDS).await?;
        tx.commit().await?;
        Ok(values)
    })
    .await?;
    Ok(values
        .iter()
        .filter_map(|v| v.as_string())
        .filter_map(|t| serde_json::from_str::<FloorRow>(&t).ok())
        .collect())
}

/// Writes summaries directly (tests and bulk imports), in one transaction.
pub async fn put_summaries(summaries: &[LeadSummary]) -> Result<()> {
    with_db(async |db: &IdbDatabase| {
        let tx = Tx::write(db, &[SUMMARIES])?;
        for s in summaries {
            put_summary(&tx, s)?;
        }
        tx.commit().await?;
        Ok(())
    })
    .await?;
    know(summaries.iter().map(|s| DocId::lead(s.id)));
    notify(StoreChange {
        origin: Origin::OtherTab,
        others: Vec::new(),
        rows: Vec::new(),
        leads: summaries.iter().map(|s| s.id).collect(),
        summaries: summaries.to_vec(),
        outbox: Vec::new(),
        removed: Vec::new(),
    });
    Ok(())
}

/// Writes any value under a key (tests plant damaged records with it).
pub async fn write_raw(store: &str, key: &str, value: &JsValue) -> Result<()> {
    with_db(async |db: &IdbDatabase| {
        let tx = Tx::write(db, &[store])?;
        tx.put(store, key, value)?;
        tx.commit().await?;
        Ok(())
    })
    .await
}

/// One outbox entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pending {
    pub key: String,
    pub doc: DocId,
    pub bytes: Vec<u8>,
}

/// Everything in the outbox, oldest key order.
pub async fn outbox() -> Result<Vec<Pending>> {
    with_db(async |db: &IdbDatabase| {
        let tx = Tx::read(db, &[OUTBOX])?;
        let entries = tx.entries(OUTBOX, "").await?;
        tx.commit().await?;
        let pending: Vec<Pending> = entries
            .into_iter()
            .filter_map(|(key, value)| {
                let doc = doc_of_key(&key)?;
                Some(Pending {
                    bytes: bytes_of(&value)?,
                    key,
                    doc,
                })
            })
            .collect();
        // Whatever is pushed can come back changed: the device holds it.
        know(pending.iter().map(|p| p.doc));
        Ok(pending)
    })
    .await
}

/// Outbox entries grouped by document, as the sync client sends them.
pub fn group(pending: &[Pending]) -> Vec<DocChanges> {
    let mut out: Vec<DocChanges> = Vec::new();
    for p in pending {
        match out.iter_mut().find(|d| d.doc == p.doc) {
            Some(d) => d.changes.push(p.bytes.clone()),
            None => out.push(DocChanges {
                doc: p.doc,
                changes: vec![p.bytes.clone()],
            }),
        }
    }
    out
}

/// How many changes wait in the outbox.
pub async fn outbox_count() -> Result<u32> {
    with_db(async |db: &IdbDatabase| {
        let tx = Tx::read(db, &[OUTBOX])?;
        let n = tx.count(OUTBOX).await?;
        tx.commit().await?;
        Ok(n)
    })
    .await
}

/// Discards a document's unsynced changes (the server refused them and
/// would refuse them again): they leave the outbox **and the document**,
/// with anything made on top of them, so the device shows what the server
/// holds. The document is rebuilt from the changes it keeps (Automerge
/// cannot take a change back) and stored as a new snapshot. Returns how
/// many outbox entries went.
pub async fn discard_outbox(lead: DocId) -> Result<u32> {
    let (count, derived) = with_db(async |db: &IdbDatabase| {
        let tx = Tx::write(db, &[DOCS, DOC_CHANGES, OUTBOX, SUMMARIES, RECORDS, META])?;
        let entries = tx.entries(OUTBOX, &prefix(lead)).await?;
        let mut removed: HashSet<ChangeHash> = entries
            .iter()
            .filter_map(|(_, v)| bytes_of(v).and_then(|b| parse_change(&b).ok()))
            .map(|c| c.hash())
            .collect();
        for (key, _) in &entries {
            tx.delete(OUTBOX, key)?;
        }
        let mut derived = None;
        if let Some(mut loaded) = load_in(&tx, lead).await?
            && !removed.is_empty()
        {
            // In causal order: a change on top of a removed one goes too.
            let mut kept = Vec::new();
            for change in loaded.doc.changes_since(&[]) {
                if removed.contains(&change.hash())
                    || change.deps().iter().any(|d| removed.contains(d))
                {
                    removed.insert(change.hash());
                } else {
                    kept.push(change);
                }
            }
            let mut doc = Document::empty(actor());
            doc.apply(kept)
                .map_err(|e| LeadStoreError::Damaged(e.to_string()))?;
            for (key, hash) in &loaded.changes {
                // Changes still waiting for a dependency stay beside it.
                if doc.has_change(hash) || removed.contains(hash) {
                    tx.delete(DOC_CHANGES, key)?;
                }
            }
            if doc.is_empty() {
                // The server never had any of it (its creation was refused):
                // it leaves the device, summary included.
                tx.delete(DOCS, &lead.to_string())?;
                if let Some(id) = lead.as_lead() {
                    tx.delete(SUMMARIES, &id.to_string())?;
                }
                derived = Some(None);
            } else {
                tx.put_bytes(DOCS, &lead.to_string(), &doc.save())?;
                loaded.doc = doc;
                let d = derive(lead, &loaded.doc, None);
                put_derived(&tx, &d)?;
                derived = Some(Some(d));
            }
        }
        tx.commit().await?;
        Ok((u32::try_from(entries.len()).unwrap_or(u32::MAX), derived))
    })
    .await?;
    if let Some(derived) = derived {
        // Told like a change from elsewhere: lists and the open page re-read
        // it, and sync has nothing to push.
        let gone = derived.is_none();
        let derived = derived.unwrap_or_default();
        notify(StoreChange {
            origin: Origin::OtherTab,
            leads: lead.as_lead().into_iter().collect(),
            others: if lead.kind == DocKind::Lead {
                Vec::new()
            } else {
                vec![lead]
            },
            summaries: derived.summary.into_iter().collect(),
            rows: derived.rows,
            outbox: Vec::new(),
            removed: if gone {
                lead.as_lead().into_iter().collect()
            } else {
                Vec::new()
            },
        });
    }
    Ok(count)
}

/// The server stored these changes: they leave the outbox (exactly these;
/// a change saved after the push stays).
pub async fn acked(docs: &[DocChanges]) -> Result<()> {
    with_db(async |db: &IdbDatabase| {
        let tx = Tx::write(db, &[OUTBOX])?;
        for doc in docs {
            for bytes in &doc.changes {
                if let Ok(change) = parse_change(bytes) {
                    tx.delete(OUTBOX, &change_key(doc.doc, &change))?;
                }
            }
        }
        tx.commit().await?;
        Ok(())
    })
    .await
}

/// Documents the device already holds are merged this many to a
/// transaction (their reads are issued together), so no transaction keeps
/// the main thread long.
const KNOWN_PER_TX: usize = 32;

/// Applies a page of changes from the server and stores the cursor (when
/// given) with its last part. Returns the leads that changed.
///
/// - Leads new to the device — all of them on a first sync — are built
///   without reading anything, in slices that yield to the page between
///   them, and then stored with the cursor in **one** transaction: a crash
///   (a reload) leaves none or all of them, and the device asks again from
///   the cursor it had.
/// - Leads the device holds are merged a few to a transaction first;
///   applying a change twice does nothing, so a crash part-way only means
///   they are applied again.
pub async fn apply_page(docs: &[DocChanges], cursor: Option<u64>) -> Result<Vec<DocId>> {
    let db = db::connection().await?;
    known_leads(&db).await?;
    let (held, fresh): (Vec<&DocChanges>, Vec<&DocChanges>) = KNOWN.with(|k| {
        let k = k.borrow();
        docs.iter()
            .partition(|d| k.as_ref().is_some_and(|k| k.contains(&d.doc)))
    });
    let mut got = Received::default();
    let chunks: Vec<&[&DocChanges]> = held.chunks(KNOWN_PER_TX).collect();
    let last_chunk = chunks.len().saturating_sub(1);
    for (i, chunk) in chunks.into_iter().enumerate() {
        let cursor_here = if fresh.is_empty() && i == last_chunk {
            cursor
        } else {
            None
        };
        merge_held(&db, chunk, cursor_here, &mut got).await?;
        yield_now().await;
    }
    if !fresh.is_empty() || held.is_empty() {
        store_fresh(&db, &fresh, cursor, &mut got).await?;
    }
    let changed = got.docs.clone();
    let (leads, others): (Vec<DocId>, Vec<DocId>) =
        got.docs.into_iter().partition(|d| d.kind == DocKind::Lead);
    notify(StoreChange {
        origin: Origin::Received,
        leads: leads.iter().filter_map(|d| d.as_lead()).collect(),
        others,
        summaries: got.summaries,
        rows: got.rows,
        outbox: Vec::new(),
        removed: Vec::new(),
    });
    Ok(changed)
}

/// What a page changed, gathered for the subscribers.
#[derive(Default)]
struct Received {
    docs: Vec<DocId>,
    summaries: Vec<LeadSummary>,
    rows: Vec<FloorRow>,
}

impl Received {
    fn add(&mut self, id: DocId, derived: Derived) {
        self.docs.push(id);
        self.summaries.extend(derived.summary);
        self.rows.extend(derived.rows);
    }
}

/// Merges received changes into documents the device holds, in one transaction.
async fn merge_held(
    db: &IdbDatabase,
    docs: &[&DocChanges],
    cursor: Option<u64>,
    got: &mut Received,
) -> Result<()> {
    let tx = Tx::write(db, &[DOCS, DOC_CHANGES, SUMMARIES, RECORDS, META])?;
    // Every read queued at once; one wait covers them (they complete in order).
    let reads = docs
        .iter()
        .map(|d| queue_load(&tx, d.doc))
        .collect::<Result<Vec<_>>>()?;
    if let Some(last) = reads.last() {
        tx.settle(last.values.request()).await?;
    }
    let mut changed = Vec::new();
    for (incoming, reads) in docs.iter().zip(&reads) {
        let lead = incoming.doc;
        let mut loaded = match loaded_from(reads) {
            Some(l) => l,
            None => Loaded {
                doc: Document::empty(actor()),
                changes: Vec::new(),
                // No snapshot yet: compaction writes the first one.
                snapshot_ok: true,
            },
        };
        let mut any = false;
        let mut batch = Vec::new();
        for change in parse_all(lead, &incoming.changes) {
            let hash = change.hash();
            if loaded.doc.has_change(&hash) || loaded.changes.iter().any(|(_, h)| *h == hash) {
                continue;
            }
            let key = change_key(lead, &change);
            tx.put_bytes(DOC_CHANGES, &key, change.raw_bytes())?;
            loaded.changes.push((key, hash));
            batch.push(change);
            any = true;
        }
        if !any {
            continue;
        }
        if let Err(e) = loaded.doc.apply(batch) {
            warn(&format!("{lead}: a received change does not apply ({e})"));
        }
        let derived = finish_doc(&tx, lead, &mut loaded, None)?;
        changed.push((lead, derived));
    }
    if let Some(cursor) = cursor {
        tx.put(META, META_CURSOR, &JsValue::from_f64(cursor as f64))?;
    }
    tx.commit().await?;
    for (lead, derived) in changed {
        got.add(lead, derived);
    }
    Ok(())
}

/// Leads queued in the page's transaction before waiting for their writes
/// (so queuing never holds the main thread long).
const PUTS_BEFORE_SETTLING: usize = 200;

/// A lead new to the device, built in memory and ready to store.
struct Fresh {
    lead: DocId,
    /// A snapshot, for a lead that arrives with many changes.
    snapshot: Option<Vec<u8>>,
    /// `(key, bytes)` of the changes kept beside the snapshot (all of them
    /// when there is no snapshot).
    changes: Vec<(String, Vec<u8>)>,
    /// What lists need of it, with the summary's JSON ready to store.
    derived: Derived,
    summary_text: Option<String>,
}

fn build_fresh(incoming: &DocChanges) -> Fresh {
    let lead = incoming.doc;
    let changes = parse_all(lead, &incoming.changes);
    let mut doc = Document::empty(actor());
    let kept: Vec<(String, Vec<u8>, showroom_shared::doc::ChangeHash)> = changes
        .iter()
        .map(|c| (change_key(lead, c), c.raw_bytes().to_vec(), c.hash()))
        .collect();
    if let Err(e) = doc.apply(changes) {
        warn(&format!("{lead}: a received change does not apply ({e})"));
    }
    let derived = derive(lead, &doc, None);
    let summary_text = derived
        .summary
        .as_ref()
        .and_then(|s| serde_json::to_string(s).ok());
    // Many changes: a snapshot, and beside it only what is still waiting.
    let snapshot = showroom_shared::doc::compaction_due(kept.len()).then(|| doc.save());
    let changes = kept
        .into_iter()
        .filter(|(_, _, hash)| snapshot.is_none() || !doc.has_change(hash))
        .map(|(key, bytes, _)| (key, bytes))
        .collect();
    Fresh {
        lead,
        snapshot,
        changes,
        derived,
        summary_text,
    }
}

/// Builds the leads new to the device (yielding between slices of work) and
/// stores them, with the cursor, in one transaction.
async fn store_fresh(
    db: &IdbDatabase,
    docs: &[&DocChanges],
    cursor: Option<u64>,
    got: &mut Received,
) -> Result<()> {
    let mut built = Vec::with_capacity(docs.len());
    let mut slice = Slice::start();
    for incoming in docs {
        built.push(build_fresh(incoming));
        slice.pause_if_due().await;
    }
    let tx = Tx::write(db, &[DOCS, DOC_CHANGES, SUMMARIES, RECORDS, META])?;
    for chunk in built.chunks(PUTS_BEFORE_SETTLING) {
        let mut last = None;
        for fresh in chunk {
            let id = fresh.lead.to_string();
            if let Some(snapshot) = &fresh.snapshot {
                last = Some(tx.put_bytes(DOCS, &id, snapshot)?);
            }
            for (key, bytes) in &fresh.changes {
                last = Some(tx.put_bytes(DOC_CHANGES, key, bytes)?);
            }
            if let (Some(summary), Some(text)) = (&fresh.derived.summary, &fresh.summary_text) {
                let key = summary.id.to_string();
                last = Some(tx.put(SUMMARIES, &key, &JsValue::from_str(text))?);
            }
            for row in &fresh.derived.rows {
                if let Ok(text) = serde_json::to_string(row) {
                    last = Some(tx.put(RECORDS, &row.key(), &JsValue::from_str(&text))?);
                }
            }
        }
        if let Some(last) = last {
            tx.settle(&last).await?;
        }
    }
    if let Some(cursor) = cursor {
        tx.put(META, META_CURSOR, &JsValue::from_f64(cursor as f64))?;
    }
    tx.commit().await?;
    know(built.iter().map(|f| f.lead));
    for fresh in built {
        got.add(fresh.lead, fresh.derived);
    }
    Ok(())
}

/// The changes of a document that parse; a malformed one is logged and skipped.
fn parse_all(lead: DocId, changes: &[Vec<u8>]) -> Vec<Change> {
    changes
        .iter()
        .filter_map(|bytes| match parse_change(bytes) {
            Ok(c) => Some(c),
            Err(e) => {
                warn(&format!("{lead}: ignoring a malformed change ({e})"));
                None
            }
        })
        .collect()
}

/// Work on the main thread in slices: [`Slice::pause_if_due`] yields to the
/// page (rendering, input, the socket) once a slice has run its budget.
pub struct Slice {
    started: f64,
}

/// How long a slice of background work may hold the main thread.
const SLICE_MS: f64 = 8.0;

impl Slice {
    pub fn start() -> Slice {
        Slice { started: now_ms() }
    }

    pub async fn pause_if_due(&mut self) {
        if now_ms() - self.started >= SLICE_MS {
            yield_now().await;
            self.started = now_ms();
        }
    }
}

fn now_ms() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map(|p| p.now())
        .unwrap_or_else(js_sys::Date::now)
}

/// Lets the page render and handle input before going on: `scheduler.yield()`
/// where the browser has it, else a zero-delay timer.
pub async fn yield_now() {
    let scheduler = web_sys::window()
        .and_then(|w| js_sys::Reflect::get(&w, &"scheduler".into()).ok())
        .filter(|s| !s.is_undefined() && !s.is_null());
    if let Some(scheduler) = scheduler
        && let Ok(f) = js_sys::Reflect::get(&scheduler, &"yield".into())
        && let Some(f) = f.dyn_ref::<js_sys::Function>()
        && let Ok(p) = f.call0(&scheduler)
        && let Ok(p) = p.dyn_into::<js_sys::Promise>()
    {
        let _ = wasm_bindgen_futures::JsFuture::from(p).await;
        return;
    }
    gloo_timers::future::TimeoutFuture::new(0).await;
}

/// The sync cursor stored with the last applied page (0 before the first).
pub async fn cursor() -> Result<u64> {
    meta_number(META_CURSOR).await
}

/// A meta value stored as a number (0 when absent).
async fn meta_number(key: &str) -> Result<u64> {
    Ok(meta(key).await?.and_then(|v| v.as_f64()).unwrap_or(0.0) as u64)
}

pub const META_CURSOR: &str = "cursor";
pub const META_LAST_SYNC: &str = "last_sync";
pub const META_REFUSAL: &str = "refusal";
/// The documents the server refused on the current connection and why, as
/// JSON text of `[[lead id, message], …]`.
pub const META_REFUSED_DOCS: &str = "refused_docs";

pub async fn meta(key: &str) -> Result<Option<JsValue>> {
    with_db(async |db: &IdbDatabase| {
        let tx = Tx::read(db, &[META])?;
        let v = tx.get(META, key).await?;
        tx.commit().await?;
        Ok(v)
    })
    .await
}

/// Sets (or, with `None`, deletes) a meta value.
pub async fn set_meta(key: &str, value: Option<JsValue>) -> Result<()> {
    with_db(async |db: &IdbDatabase| {
        let tx = Tx::write(db, &[META])?;
        match value {
            Some(v) => {
                tx.put(META, key, &v)?;
            }
            None => tx.delete(META, key)?,
        }
        tx.commit().await?;
        Ok(())
    })
    .await
}

/// How many incremental changes a lead keeps beside its snapshot (tests).
pub async fn incremental_count(lead: LeadId) -> Result<usize> {
    with_db(async |db: &IdbDatabase| {
        let tx = Tx::read(db, &[DOC_CHANGES])?;
        let n = tx
            .entries(DOC_CHANGES, &prefix(DocId::lead(lead)))
            .await?
            .len();
        tx.commit().await?;
        Ok(n)
    })
    .await
}

fn warn(message: &str) {
    web_sys::console::warn_1(&JsValue::from_str(message));
}
