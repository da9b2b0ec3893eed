//! The document store on this device: Automerge documents of every kind (a
//! lead, the dealer's catalogue, a showroom register) as a snapshot plus
//! incremental changes, what lists need of them, the outbox and the sync
//! cursor — each logical save one IndexedDB transaction.
//!
//! Stores (see `db.rs`): `docs` document → snapshot; `doc_changes`
//! `"<doc>:<hash>"` → change bytes not in the snapshot yet (local edits, and
//! received changes still waiting for their dependencies); `summaries` lead →
//! JSON `LeadSummary`; `records` the floor rows (visits, test drives);
//! `outbox` `"<doc>:<hash>"` → change bytes the server has not acknowledged;
//! `meta` `cursor`, `log`, `last_sync`, `refusal`, `actor:<hex>`.
//!
//! Every save reads the document and writes its results inside one readwrite
//! transaction, so two tabs saving the same document are serialised by
//! IndexedDB and a reload part-way leaves the old or the new state; a page
//! received from the server stores its new documents and the cursor in one
//! transaction.
//!
//! Its parts, each in its own file, all used through `store::…`: `bus.rs`
//! (what a committed write tells the subscribers), `ids.rs` (new ids, this
//! page load's actor, the stores' keys), `docs.rs` (open, save, derive and
//! compact a document of any kind; `create_doc`, `load_doc`, `change_doc` —
//! the one way a document is changed), `reads.rs` (summaries and floor rows
//! for lists), `outbox.rs` (what waits for the server, and re-sending it
//! after a restore), `receive.rs` (pages from the server, the cursor and
//! the other meta values). The lead's own writes and reads are built on it
//! in `local::leads`.

mod bus;
mod docs;
mod ids;
mod outbox;
mod reads;
mod receive;
mod removal;

use crate::local::db::Database;
use wasm_bindgen::JsValue;

use crate::local::db::{self, DbError};
use crate::local::judge::Verdict;

pub use bus::{Origin, StoreChange, Subscription, subscribe};
pub use docs::{COMPACT_AFTER, change_doc, create_doc, load_doc};
pub use ids::{actor, new_lead_id, new_uuid, random_bytes};
pub use outbox::{Pending, acked, discard_outbox, group, outbox, outbox_count, resend_own};
pub use reads::{floor_rows, incremental_count, put_summaries, summaries, write_raw};
pub use receive::{
    META_AUDITED, META_CURSOR, META_LAST_SYNC, META_LOG, META_REFUSAL, META_REFUSED_DOCS, Slice,
    apply_page, changed_elsewhere, cursor, forget_device, held_docs, log, meta, put_floor,
    set_meta, yield_now,
};
pub use removal::{
    MovedAway, claimed, dismiss_moved, moved_away, receipted, receipts_due, remove_docs,
    settle_claims,
};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreError {
    Db(DbError),
    /// The stored document cannot be read.
    Damaged(String),
    NotFound,
    /// Written by a newer version of Showroom: this build does not edit it.
    ReadOnly,
    /// The change breaks a write rule (`local::judge`): it was not made.
    Refused(Verdict),
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreError::Db(e) => e.fmt(f),
            StoreError::Damaged(m) => write!(f, "the stored lead is damaged: {m}"),
            StoreError::NotFound => f.write_str("no such lead on this device"),
            StoreError::ReadOnly => f.write_str("written by a newer version of Showroom"),
            StoreError::Refused(v) => write!(f, "not allowed: {v}"),
        }
    }
}

impl std::error::Error for StoreError {}

impl From<DbError> for StoreError {
    fn from(e: DbError) -> Self {
        StoreError::Db(e)
    }
}

impl StoreError {
    pub fn is_quota(&self) -> bool {
        matches!(self, StoreError::Db(DbError::Quota))
    }
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// Runs `f` on the tab's one connection to the device database
/// (`db::connection`: opened once, reused).
async fn with_db<T>(f: impl AsyncFnOnce(&Database) -> Result<T>) -> Result<T> {
    let db = db::connection().await?;
    f(&db).await
}

fn warn(message: &str) {
    web_sys::console::warn_1(&JsValue::from_str(message));
}
