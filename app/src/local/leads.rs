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

use std::cell::OnceCell;

use showroom_shared::doc::{
    ActorId, Change, LeadDoc, SCHEMA_VERSION, actor_from_bytes, parse_change,
};
use showroom_shared::domain::{Lead, LeadId, Note, UserId};
use showroom_shared::sync::DocChanges;
use wasm_bindgen::JsValue;
use web_sys::IdbDatabase;

use crate::local::db::{self, DOC_CHANGES, DOCS, DbError, META, OUTBOX, SUMMARIES, Tx, bytes_of};
use crate::local::summary::LeadSummary;

/// A document with more incremental changes than this is compacted into a
/// new snapshot on its next save.
pub const COMPACT_AFTER: usize = 20;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LeadStoreError {
    Db(DbError),
    /// The lead's stored document cannot be read.
    Damaged(String),
    NotFound,
    /// Written by a newer version of Showroom: this build does not edit it.
    ReadOnly,
}

impl std::fmt::Display for LeadStoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LeadStoreError::Db(e) => e.fmt(f),
            LeadStoreError::Damaged(m) => write!(f, "the stored lead is damaged: {m}"),
            LeadStoreError::NotFound => f.write_str("no such lead on this device"),
            LeadStoreError::ReadOnly => f.write_str("written by a newer version of Showroom"),
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

/// Runs `f` on the open device database and closes it afterwards, whatever
/// `f` returned (an open connection would block the next version upgrade).
async fn with_db<T>(f: impl AsyncFnOnce(&IdbDatabase) -> Result<T>) -> Result<T> {
    let db = db::open().await?;
    let result = f(&db).await;
    db.close();
    result
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

/// A new random (v4) lead id.
pub fn new_lead_id() -> LeadId {
    LeadId::from_uuid(uuid::Builder::from_random_bytes(random_bytes()).into_uuid())
}

thread_local! {
    static ACTOR: OnceCell<ActorId> = const { OnceCell::new() };
}

/// This page load's Automerge actor. Fresh per tab: two tabs writing with
/// one actor would corrupt the documents they share.
pub fn actor() -> ActorId {
    ACTOR.with(|a| a.get_or_init(|| actor_from_bytes(random_bytes())).clone())
}

fn change_key(lead: LeadId, change: &Change) -> String {
    format!("{lead}:{}", change.hash())
}

fn prefix(lead: LeadId) -> String {
    format!("{lead}:")
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
    doc: LeadDoc,
    /// The keys of its incremental changes, with the changes' hashes.
    changes: Vec<(String, showroom_shared::doc::ChangeHash)>,
    snapshot_ok: bool,
}

async fn load_in(tx: &Tx, lead: LeadId) -> Result<Option<Loaded>> {
    let snapshot = tx.get(DOCS, &lead.to_string()).await?;
    let entries = tx.entries(DOC_CHANGES, &prefix(lead)).await?;
    if snapshot.is_none() && entries.is_empty() {
        return Ok(None);
    }
    let mut snapshot_ok = true;
    let mut doc = match snapshot.as_ref().and_then(bytes_of) {
        Some(bytes) => match LeadDoc::load(&bytes, actor()) {
            Ok(doc) => doc,
            Err(e) => {
                warn(&format!("lead {lead}: the snapshot cannot be read ({e})"));
                snapshot_ok = false;
                LeadDoc::empty(actor())
            }
        },
        None => {
            if snapshot.is_some() {
                snapshot_ok = false;
            }
            LeadDoc::empty(actor())
        }
    };
    let mut changes = Vec::with_capacity(entries.len());
    for (key, value) in entries {
        let Some(change) = bytes_of(&value).and_then(|b| parse_change(&b).ok()) else {
            warn(&format!("lead {lead}: skipping an unreadable change {key}"));
            continue;
        };
        changes.push((key, change.hash()));
        if let Err(e) = doc.apply([change]) {
            warn(&format!(
                "lead {lead}: a stored change does not apply ({e})"
            ));
        }
    }
    Ok(Some(Loaded {
        doc,
        changes,
        snapshot_ok,
    }))
}

/// Writes what a save produced: the new changes (beside the snapshot and in
/// the outbox), the summary, and a compaction when the document has many
/// incremental changes.
fn write_after_save(tx: &Tx, lead: LeadId, loaded: &mut Loaded, new: &[Change]) -> Result<()> {
    for change in new {
        let key = change_key(lead, change);
        tx.put_bytes(DOC_CHANGES, &key, change.raw_bytes())?;
        tx.put_bytes(OUTBOX, &key, change.raw_bytes())?;
        loaded.changes.push((key, change.hash()));
    }
    finish_doc(tx, lead, loaded)
}

/// Summary and compaction for a document that changed.
fn finish_doc(tx: &Tx, lead: LeadId, loaded: &mut Loaded) -> Result<()> {
    if let Ok(read) = loaded.doc.read() {
        put_summary(tx, &LeadSummary::of(&read))?;
    }
    if loaded.changes.len() > COMPACT_AFTER && loaded.snapshot_ok {
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
    Ok(())
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
    let mut doc =
        LeadDoc::create(actor(), lead).map_err(|e| LeadStoreError::Damaged(e.to_string()))?;
    let changes = doc.changes_since(&[]);
    let snapshot = doc.save();
    with_db(async |db: &IdbDatabase| {
        let tx = Tx::write(&db, &[DOCS, OUTBOX, SUMMARIES])?;
        tx.put_bytes(DOCS, &lead.id.to_string(), &snapshot)?;
        for change in &changes {
            tx.put_bytes(OUTBOX, &change_key(lead.id, change), change.raw_bytes())?;
        }
        put_summary(&tx, &LeadSummary::of(lead))?;
        tx.commit().await?;
        Ok(())
    })
    .await
}

/// Opens a lead: its snapshot plus its incremental changes.
pub async fn load(lead: LeadId) -> Result<OpenLead> {
    with_db(async |db: &IdbDatabase| {
        let tx = Tx::read(&db, &[DOCS, DOC_CHANGES])?;
        let loaded = load_in(&tx, lead).await?;
        tx.commit().await?;
        let Some(loaded) = loaded else {
            return Err(LeadStoreError::NotFound);
        };
        let read = loaded
            .doc
            .read()
            .map_err(|e| LeadStoreError::Damaged(e.to_string()))?;
        Ok(OpenLead {
            lead: read,
            read_only: loaded.doc.schema_version() > SCHEMA_VERSION,
        })
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
    let lead = original.id;
    with_db(async |db: &IdbDatabase| {
        let tx = Tx::write(&db, &[DOCS, DOC_CHANGES, OUTBOX, SUMMARIES])?;
        let mut loaded = load_in(&tx, lead).await?.ok_or(LeadStoreError::NotFound)?;
        if loaded.doc.schema_version() > SCHEMA_VERSION {
            return Err(LeadStoreError::ReadOnly);
        }
        let current = loaded
            .doc
            .read()
            .map_err(|e| LeadStoreError::Damaged(e.to_string()))?;
        let after = merge_edit(original, edited, &current);
        let heads = loaded.doc.heads();
        let changed = loaded
            .doc
            .update(&after, editor, now)
            .map_err(|e| LeadStoreError::Damaged(e.to_string()))?;
        if changed.is_none() {
            return Ok(false);
        }
        let new = loaded.doc.changes_since(&heads);
        write_after_save(&tx, lead, &mut loaded, &new)?;
        tx.commit().await?;
        Ok(true)
    })
    .await
}

/// Adds a note as one change.
pub async fn add_note(lead: LeadId, note: &Note) -> Result<()> {
    with_db(async |db: &IdbDatabase| {
        let tx = Tx::write(&db, &[DOCS, DOC_CHANGES, OUTBOX, SUMMARIES])?;
        let mut loaded = load_in(&tx, lead).await?.ok_or(LeadStoreError::NotFound)?;
        if loaded.doc.schema_version() > SCHEMA_VERSION {
            return Err(LeadStoreError::ReadOnly);
        }
        let heads = loaded.doc.heads();
        loaded
            .doc
            .add_note(note)
            .map_err(|e| LeadStoreError::Damaged(e.to_string()))?;
        let new = loaded.doc.changes_since(&heads);
        write_after_save(&tx, lead, &mut loaded, &new)?;
        tx.commit().await?;
        Ok(())
    })
    .await
}

/// Every summary on the device. An unreadable one is skipped (and logged):
/// a damaged record never stops the list.
pub async fn summaries() -> Result<Vec<LeadSummary>> {
    with_db(async |db: &IdbDatabase| {
        let tx = Tx::read(&db, &[SUMMARIES])?;
        let values = tx.values(SUMMARIES).await?;
        tx.commit().await?;
        let mut out = Vec::with_capacity(values.length() as usize);
        let mut damaged = 0;
        for value in values.iter() {
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
        Ok(out)
    })
    .await
}

/// Writes summaries directly (tests and bulk imports), in one transaction.
pub async fn put_summaries(summaries: &[LeadSummary]) -> Result<()> {
    with_db(async |db: &IdbDatabase| {
        let tx = Tx::write(&db, &[SUMMARIES])?;
        for s in summaries {
            put_summary(&tx, s)?;
        }
        tx.commit().await?;
        Ok(())
    })
    .await
}

/// Writes any value under a key (tests plant damaged records with it).
pub async fn write_raw(store: &str, key: &str, value: &JsValue) -> Result<()> {
    with_db(async |db: &IdbDatabase| {
        let tx = Tx::write(&db, &[store])?;
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
    pub lead: LeadId,
    pub bytes: Vec<u8>,
}

/// Everything in the outbox, oldest key order.
pub async fn outbox() -> Result<Vec<Pending>> {
    with_db(async |db: &IdbDatabase| {
        let tx = Tx::read(&db, &[OUTBOX])?;
        let entries = tx.entries(OUTBOX, "").await?;
        tx.commit().await?;
        Ok(entries
            .into_iter()
            .filter_map(|(key, value)| {
                let lead = key.split(':').next()?.parse().ok()?;
                Some(Pending {
                    bytes: bytes_of(&value)?,
                    key,
                    lead,
                })
            })
            .collect())
    })
    .await
}

/// Outbox entries grouped by document, as the sync client sends them.
pub fn group(pending: &[Pending]) -> Vec<DocChanges> {
    let mut out: Vec<DocChanges> = Vec::new();
    for p in pending {
        match out.iter_mut().find(|d| d.doc == p.lead) {
            Some(d) => d.changes.push(p.bytes.clone()),
            None => out.push(DocChanges {
                doc: p.lead,
                changes: vec![p.bytes.clone()],
            }),
        }
    }
    out
}

/// How many changes wait in the outbox.
pub async fn outbox_count() -> Result<u32> {
    with_db(async |db: &IdbDatabase| {
        let tx = Tx::read(&db, &[OUTBOX])?;
        let n = tx.count(OUTBOX).await?;
        tx.commit().await?;
        Ok(n)
    })
    .await
}

/// Removes every outbox entry of one lead, so its changes are no longer
/// pushed (the server refused them and would refuse them again). The lead's
/// own document keeps them: the edits stay visible on this device. Returns
/// how many entries went.
pub async fn discard_outbox(lead: LeadId) -> Result<u32> {
    with_db(async |db: &IdbDatabase| {
        let tx = Tx::write(&db, &[OUTBOX])?;
        let entries = tx.entries(OUTBOX, &prefix(lead)).await?;
        for (key, _) in &entries {
            tx.delete(OUTBOX, key)?;
        }
        tx.commit().await?;
        Ok(u32::try_from(entries.len()).unwrap_or(u32::MAX))
    })
    .await
}

/// The server stored these changes: they leave the outbox (exactly these;
/// a change saved after the push stays).
pub async fn acked(docs: &[DocChanges]) -> Result<()> {
    with_db(async |db: &IdbDatabase| {
        let tx = Tx::write(&db, &[OUTBOX])?;
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

/// Applies a page of changes from the server and, in the same transaction,
/// stores the cursor (when given). Returns the leads that changed.
pub async fn apply_page(docs: &[DocChanges], cursor: Option<u64>) -> Result<Vec<LeadId>> {
    with_db(async |db: &IdbDatabase| {
        let tx = Tx::write(&db, &[DOCS, DOC_CHANGES, SUMMARIES, META])?;
        let mut changed = Vec::new();
        for incoming in docs {
            let lead = incoming.doc;
            let mut loaded = match load_in(&tx, lead).await? {
                Some(l) => l,
                None => Loaded {
                    doc: LeadDoc::empty(actor()),
                    changes: Vec::new(),
                    // No snapshot yet: compaction writes the first one.
                    snapshot_ok: true,
                },
            };
            let mut any = false;
            for bytes in &incoming.changes {
                let change = match parse_change(bytes) {
                    Ok(c) => c,
                    Err(e) => {
                        warn(&format!("lead {lead}: ignoring a malformed change ({e})"));
                        continue;
                    }
                };
                let hash = change.hash();
                if loaded.doc.has_change(&hash) || loaded.changes.iter().any(|(_, h)| *h == hash) {
                    continue;
                }
                let key = change_key(lead, &change);
                tx.put_bytes(DOC_CHANGES, &key, change.raw_bytes())?;
                loaded.changes.push((key, hash));
                if let Err(e) = loaded.doc.apply([change]) {
                    warn(&format!(
                        "lead {lead}: a received change does not apply ({e})"
                    ));
                }
                any = true;
            }
            if any {
                finish_doc(&tx, lead, &mut loaded)?;
                changed.push(lead);
            }
        }
        if let Some(cursor) = cursor {
            tx.put(META, "cursor", &JsValue::from_f64(cursor as f64))?;
        }
        tx.commit().await?;
        Ok(changed)
    })
    .await
}

/// The sync cursor stored with the last applied page (0 before the first).
pub async fn cursor() -> Result<u64> {
    Ok(meta(META_CURSOR)
        .await?
        .and_then(|v| v.as_f64())
        .unwrap_or(0.0) as u64)
}

pub const META_CURSOR: &str = "cursor";
pub const META_LAST_SYNC: &str = "last_sync";
pub const META_REFUSAL: &str = "refusal";
/// The documents the server refused on the current connection and why, as
/// JSON text of `[[lead id, message], …]`.
pub const META_REFUSED_DOCS: &str = "refused_docs";

pub async fn meta(key: &str) -> Result<Option<JsValue>> {
    with_db(async |db: &IdbDatabase| {
        let tx = Tx::read(&db, &[META])?;
        let v = tx.get(META, key).await?;
        tx.commit().await?;
        Ok(v)
    })
    .await
}

/// Sets (or, with `None`, deletes) a meta value.
pub async fn set_meta(key: &str, value: Option<JsValue>) -> Result<()> {
    with_db(async |db: &IdbDatabase| {
        let tx = Tx::write(&db, &[META])?;
        match value {
            Some(v) => tx.put(META, key, &v)?,
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
        let tx = Tx::read(&db, &[DOC_CHANGES])?;
        let n = tx.entries(DOC_CHANGES, &prefix(lead)).await?.len();
        tx.commit().await?;
        Ok(n)
    })
    .await
}

fn warn(message: &str) {
    web_sys::console::warn_1(&JsValue::from_str(message));
}
