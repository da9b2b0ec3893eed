//! Receiving from the server: applying a page of changes (new documents in
//! one transaction with the cursor, held ones merged a few to a
//! transaction), what another tab received, the set of documents this device
//! holds, work in slices that yield to the page, and the cursor, the server
//! log and the other `meta` values.

use std::cell::RefCell;
use std::collections::HashSet;

use crate::local::db::Database;
use showroom_shared::doc::{Change, Document, parse_change};
use showroom_shared::domain::{DocId, DocKind, LeadId};
use showroom_shared::sync::DocChanges;
use wasm_bindgen::{JsCast, JsValue};

use super::bus::{Origin, StoreChange, notify};
use super::docs::{Derived, Loaded, derive, finish_doc, loaded_from, queue_load};
use super::ids::{actor, change_key, doc_of_key};
use super::reads::{floor_rows, parse_summaries};
use super::{Result, warn, with_db};
use crate::local::db::{self, DOC_CHANGES, DOCS, META, RECORDS, Read, SUMMARIES, Tx};
use crate::local::floor::FloorRow;
use crate::local::summary::LeadSummary;

thread_local! {
    /// The leads this device holds (snapshot, incremental changes or
    /// summary), read once per tab before the first page is applied and kept
    /// current by this tab's writes, by what it pushes (a lead created in
    /// another tab reaches the server — and so can come back changed by
    /// another device — only through the syncing tab's push) and by what
    /// it receives. `None` until read.
    static KNOWN: RefCell<Option<HashSet<DocId>>> = const { RefCell::new(None) };
}

/// Adds documents to the set this device holds (once it has been read).
pub(super) fn know(leads: impl IntoIterator<Item = DocId>) {
    KNOWN.with(|k| {
        if let Some(k) = k.borrow_mut().as_mut() {
            k.extend(leads);
        }
    });
}

/// These documents left the device (see `removal`).
pub(super) fn forget(docs: &[DocId]) {
    KNOWN.with(|k| {
        if let Some(k) = k.borrow_mut().as_mut() {
            for doc in docs {
                k.remove(doc);
            }
        }
    });
}

/// The device database is gone (sign-out): forget what it held.
pub fn forget_device() {
    KNOWN.with(|k| *k.borrow_mut() = None);
}

/// Reads which leads the device holds, once per tab.
async fn known_leads(db: &Database) -> Result<()> {
    if KNOWN.with(|k| k.borrow().is_some()) {
        return Ok(());
    }
    let tx = Tx::read(db, &[DOCS, DOC_CHANGES, SUMMARIES])?;
    let mut reads = [
        tx.queue_keys(DOCS)?,
        tx.queue_keys(DOC_CHANGES)?,
        tx.queue_keys(SUMMARIES)?,
    ];
    tx.settle(&mut reads[2]).await?;
    tx.commit().await?;
    let mut known = HashSet::new();
    let keys: Vec<JsValue> = reads.iter_mut().flat_map(Read::list).collect();
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
    let summaries = with_db(async |db: &Database| {
        let tx = Tx::read(db, &[SUMMARIES])?;
        let mut reads = leads
            .iter()
            .map(|lead| tx.queue_get(SUMMARIES, &lead.to_string()))
            .collect::<db::DbResult<Vec<Read>>>()?;
        if let Some(last) = reads.last_mut() {
            tx.settle(last).await?;
        }
        tx.commit().await?;
        Ok(parse_summaries(reads.iter_mut().filter_map(Read::value)))
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

/// Documents the device already holds are merged this many to a
/// transaction (their reads are issued together), so no transaction keeps
/// the main thread long.
pub(super) const KNOWN_PER_TX: usize = 32;

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

/// Stores the floor rows a page brought of documents the device does not
/// hold (a colleague's leads and registers, without their customer), in
/// one transaction, before the page's documents: a row of a document the
/// device holds, or receives in the same page, is its own to derive.
pub async fn put_floor(rows: Vec<FloorRow>, page: &[DocChanges]) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let db = db::connection().await?;
    known_leads(&db).await?;
    let rows: Vec<FloorRow> = KNOWN.with(|k| {
        let k = k.borrow();
        rows.into_iter()
            .filter(|r| {
                let doc = r.doc();
                !k.as_ref().is_some_and(|k| k.contains(&doc)) && !page.iter().any(|d| d.doc == doc)
            })
            .collect()
    });
    if rows.is_empty() {
        return Ok(());
    }
    let tx = Tx::write(&db, &[RECORDS])?;
    for row in &rows {
        tx.put(RECORDS, &row.key(), &JsValue::from_str(&row.to_json()))?;
    }
    tx.commit().await?;
    notify(StoreChange {
        origin: Origin::Received,
        leads: Vec::new(),
        others: Vec::new(),
        summaries: Vec::new(),
        rows,
        outbox: Vec::new(),
        removed: Vec::new(),
    });
    Ok(())
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
    db: &Database,
    docs: &[&DocChanges],
    cursor: Option<u64>,
    got: &mut Received,
) -> Result<()> {
    let tx = Tx::write(db, &[DOCS, DOC_CHANGES, SUMMARIES, RECORDS, META])?;
    // Every read queued at once; one wait covers them (they complete in order).
    let mut reads = docs
        .iter()
        .map(|d| queue_load(&tx, d.doc))
        .collect::<Result<Vec<_>>>()?;
    if let Some(last) = reads.last_mut() {
        tx.settle(&mut last.values).await?;
    }
    let mut changed = Vec::new();
    for (incoming, reads) in docs.iter().zip(&mut reads) {
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
    let snapshot =
        showroom_shared::doc::compaction_due(kept.len()).then(|| doc.save_uncompressed());
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
    db: &Database,
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
        if let Some(mut last) = last {
            tx.settle(&mut last).await?;
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
    with_db(async |db: &Database| {
        let tx = Tx::read(db, &[META])?;
        let v = tx.get(META, key).await?;
        tx.commit().await?;
        Ok(v)
    })
    .await
}

/// Sets (or, with `None`, deletes) a meta value.
pub async fn set_meta(key: &str, value: Option<JsValue>) -> Result<()> {
    with_db(async |db: &Database| {
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

/// The server log the stored cursor counts in (0: not known yet).
pub async fn log() -> Result<u64> {
    meta_number(META_LOG).await
}

/// The server log the cursor counts in, below 2^53 (exact as a JS number).
pub const META_LOG: &str = "log";
/// The protocol whose `Holding` the server answered: a device signed in
/// before salespeople saw only their own leads says once what it holds.
pub const META_AUDITED: &str = "held_audit";

/// Every document the device holds (its stores' keys).
pub async fn held_docs() -> Result<Vec<DocId>> {
    let db = db::connection().await?;
    known_leads(&db).await?;
    Ok(KNOWN.with(|k| {
        let mut docs: Vec<DocId> = k.borrow().iter().flatten().copied().collect();
        docs.sort_by_key(|d| d.to_string());
        docs
    }))
}
