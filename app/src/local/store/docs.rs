//! Documents of any kind: opening one inside a transaction (snapshot plus
//! incremental changes), saving a change beside it and in the outbox, what
//! lists need of it (a lead's summary, floor rows), compaction into a new
//! snapshot — and the public ways in: [`create_doc`], [`load_doc`] and
//! [`change_doc`], the one way a document is changed on the device.

use crate::local::db::Database;
use showroom_shared::doc::{
    Change, ChangeHash, Content, DocError, Document, SCHEMA_VERSION, parse_change,
};
use showroom_shared::domain::{DocId, DocKind};
use wasm_bindgen::JsValue;

use super::bus::{Origin, StoreChange, notify};
use super::ids::{actor, change_key, prefix, remember_actor};
use super::outbox::Pending;
use super::receive::know;
use super::{Result, StoreError, warn, with_db};
use crate::local::db::{
    DOC_CHANGES, DOCS, DbError, META, OUTBOX, RECORDS, Read, SUMMARIES, Tx, bytes_of,
};
use crate::local::floor::{self, FloorRow};
use crate::local::judge::{self, Verdict};
use crate::local::summary::LeadSummary;

/// A document with this many incremental changes is compacted into a new
/// snapshot on its next save: the shared rule (`doc::compaction_due`).
pub const COMPACT_AFTER: usize = showroom_shared::doc::COMPACT_AT;

/// A document read inside a transaction.
pub(super) struct Loaded {
    pub(super) doc: Document,
    /// The keys of its incremental changes, with the changes' hashes.
    pub(super) changes: Vec<(String, showroom_shared::doc::ChangeHash)>,
    pub(super) snapshot_ok: bool,
}

/// The reads that open one document, queued.
pub(super) struct LoadReads {
    lead: DocId,
    snapshot: Read,
    keys: Read,
    pub(super) values: Read,
}

pub(super) fn queue_load(tx: &Tx<'_>, lead: DocId) -> Result<LoadReads> {
    let snapshot = tx.queue_get(DOCS, &lead.to_string())?;
    let (keys, values) = tx.queue_entries(DOC_CHANGES, &prefix(lead))?;
    Ok(LoadReads {
        lead,
        snapshot,
        keys,
        values,
    })
}

pub(super) async fn load_in(tx: &Tx<'_>, lead: DocId) -> Result<Option<Loaded>> {
    let mut reads = queue_load(tx, lead)?;
    tx.settle(&mut reads.values).await?;
    Ok(loaded_from(&mut reads))
}

/// Builds the document from its settled reads.
pub(super) fn loaded_from(reads: &mut LoadReads) -> Option<Loaded> {
    let lead = reads.lead;
    let snapshot = reads.snapshot.value();
    let entries = Read::entries(&mut reads.keys, &mut reads.values);
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
    tx: &Tx<'_>,
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
pub(super) struct Derived {
    pub(super) summary: Option<LeadSummary>,
    pub(super) rows: Vec<FloorRow>,
}

/// What lists need of `doc`, from `content` when it was already read.
pub(super) fn derive(id: DocId, doc: &Document, content: Option<Content>) -> Derived {
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

pub(super) fn put_derived(tx: &Tx<'_>, derived: &Derived) -> Result<()> {
    if let Some(summary) = &derived.summary {
        put_summary(tx, summary)?;
    }
    for row in &derived.rows {
        let text = serde_json::to_string(row)
            .map_err(|e| StoreError::Db(DbError::Other(e.to_string())))?;
        tx.put(RECORDS, &row.key(), &JsValue::from_str(&text))?;
    }
    Ok(())
}

/// Summary, floor rows and compaction for a document that changed.
pub(super) fn finish_doc(
    tx: &Tx<'_>,
    lead: DocId,
    loaded: &mut Loaded,
    content: Option<Content>,
) -> Result<Derived> {
    let derived = derive(lead, &loaded.doc, content);
    put_derived(tx, &derived)?;
    if showroom_shared::doc::compaction_due(loaded.changes.len()) && loaded.snapshot_ok {
        tx.put_bytes(DOCS, &lead.to_string(), &loaded.doc.save_uncompressed())?;
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

pub(super) fn put_summary(tx: &Tx<'_>, summary: &LeadSummary) -> Result<()> {
    let text = serde_json::to_string(summary)
        .map_err(|e| StoreError::Db(DbError::Other(e.to_string())))?;
    tx.put(
        SUMMARIES,
        &summary.id.to_string(),
        &JsValue::from_str(&text),
    )?;
    Ok(())
}

/// Saves a new document of any kind: its snapshot, its changes in the
/// outbox, what lists need of it; then tells the subscribers.
pub async fn create_doc(id: DocId, mut doc: Document) -> Result<()> {
    let judge = judge::current().ok_or(StoreError::Refused(Verdict::NoSession))?;
    judge.may_change(id).map_err(StoreError::Refused)?;
    let content = judge
        .check(None, &mut doc, id)
        .map_err(StoreError::Refused)?;
    let changes = doc.changes_since(&[]);
    let snapshot = doc.save_uncompressed();
    let derived = derive(id, &doc, content);
    let pending = pending_of(id, &changes);
    with_db(async |db: &Database| {
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

/// Opens any document the device holds (`None` when it holds nothing of it).
pub async fn load_doc(doc: DocId) -> Result<Option<Document>> {
    with_db(async |db: &Database| {
        let tx = Tx::read(db, &[DOCS, DOC_CHANGES])?;
        let loaded = load_in(&tx, doc).await?;
        tx.commit().await?;
        Ok(loaded.map(|l| l.doc))
    })
    .await
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
    let judge = judge::current().ok_or(StoreError::Refused(Verdict::NoSession))?;
    judge.may_change(id).map_err(StoreError::Refused)?;
    with_db(async |db: &Database| {
        let tx = Tx::write(db, &[DOCS, DOC_CHANGES, OUTBOX, SUMMARIES, RECORDS, META])?;
        let Loaded {
            mut doc,
            changes,
            snapshot_ok,
        } = load_in(&tx, id).await?.ok_or(StoreError::NotFound)?;
        if doc.schema_version() > SCHEMA_VERSION {
            return Err(StoreError::ReadOnly);
        }
        let before = judge.read(&mut doc, id);
        let mut doc = D::from(doc);
        let heads = doc.heads();
        let changed = write(&mut doc).map_err(|e| StoreError::Damaged(e.to_string()))?;
        if changed.is_none() {
            return Ok(false);
        }
        // Dropping the transaction uncommitted stores nothing.
        let after = judge
            .check(before.as_ref(), &mut doc, id)
            .map_err(StoreError::Refused)?;
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
