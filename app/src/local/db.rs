//! The device database on `indexed_db_futures`: its stores, the upgrade that creates them, the tab's one connection, and transactions.
//!
//! The crate opens the database, runs the upgrade, builds transactions
//! (aborted when dropped uncommitted) and turns requests into futures.
//! `web_sys` remains in two places, named where they are: a queued read's
//! result is read straight from its request once a later request of the
//! same transaction has settled (one wait for many reads, see
//! [`Tx::queue_get`]), and version 3's key move walks a cursor inside the
//! upgrade's own transaction (`kind_the_keys`).

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::rc::Rc;

use futures::future::{FutureExt, LocalBoxFuture, Shared};
use gloo_events::EventListener;
use indexed_db_futures::KeyRange;
pub use indexed_db_futures::database::Database;
use indexed_db_futures::internals::SystemRepr;
use indexed_db_futures::prelude::*;
use indexed_db_futures::transaction::{Transaction, TransactionMode};
use js_sys::Uint8Array;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

pub use crate::local::session::{DB_NAME, DB_VERSION, SESSION_STORE};

/// Lead id → compacted Automerge snapshot (`Uint8Array`).
pub const DOCS: &str = "docs";
/// `"<lead>:<hash>"` → change bytes kept beside the snapshot: local edits
/// since the last compaction and received changes whose dependencies are
/// missing.
pub const DOC_CHANGES: &str = "doc_changes";
/// Lead id → JSON text of a `LeadSummary`: what the list reads.
pub const SUMMARIES: &str = "summaries";
/// `"<lead>:<hash>"` → change bytes the server has not acknowledged.
pub const OUTBOX: &str = "outbox";
/// `"cursor"`, `"last_sync"`, `"refusal"`, `"refused_docs"`, `"register:<date>"`.
pub const META: &str = "meta";
/// `"visit:<id>"` / `"drive:<id>"` → JSON `local::floor::FloorRow`: the
/// visits and test drives of every document, for the showroom floor.
pub const RECORDS: &str = "records";

/// Every store, in creation order.
pub const STORES: [&str; 7] = [
    SESSION_STORE,
    DOCS,
    DOC_CHANGES,
    SUMMARIES,
    OUTBOX,
    META,
    RECORDS,
];

/// Why the device database refused an operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DbError {
    /// The browser's storage quota is used up: nothing of this save was kept.
    Quota,
    /// Anything else (blocked upgrade, private mode, a bug), with its message.
    Other(String),
}

impl std::fmt::Display for DbError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DbError::Quota => f.write_str("device storage is full"),
            DbError::Other(m) => write!(f, "device storage failed: {m}"),
        }
    }
}

impl std::error::Error for DbError {}

impl DbError {
    /// Reads a `DOMException` (or any thrown value) as an error.
    pub fn from_js(value: &JsValue) -> DbError {
        if let Some(e) = value.dyn_ref::<web_sys::DomException>() {
            if e.name() == "QuotaExceededError" {
                return DbError::Quota;
            }
            return DbError::Other(format!("{}: {}", e.name(), e.message()));
        }
        if let Some(e) = value.dyn_ref::<js_sys::Error>() {
            let name = String::from(e.name());
            if name == "QuotaExceededError" {
                return DbError::Quota;
            }
            return DbError::Other(format!("{name}: {}", String::from(e.message())));
        }
        DbError::Other(format!("{value:?}"))
    }
}

impl From<indexed_db_futures::error::Error> for DbError {
    fn from(e: indexed_db_futures::error::Error) -> DbError {
        use indexed_db_futures::error::Error;
        match e {
            Error::DomException(e) => DbError::from_js(e.as_ref()),
            other => DbError::Other(other.to_string()),
        }
    }
}

impl From<indexed_db_futures::error::OpenDbError> for DbError {
    fn from(e: indexed_db_futures::error::OpenDbError) -> DbError {
        match e {
            indexed_db_futures::error::OpenDbError::Base(e) => e.into(),
            other => DbError::Other(other.to_string()),
        }
    }
}

pub type DbResult<T> = Result<T, DbError>;

/// Creates whatever stores the database does not have yet. Called from both
/// openers' upgrade handlers.
pub fn missing_stores(existing: impl Fn(&str) -> bool) -> Vec<&'static str> {
    STORES.into_iter().filter(|s| !existing(s)).collect()
}

thread_local! {
    /// This tab's one connection (opening, or open), shared by every store.
    static CONNECTION: RefCell<Option<Shared<LocalBoxFuture<'static, DbResult<Database>>>>> =
        const { RefCell::new(None) };
    /// Keeps the open connection's `versionchange`/`close` listeners alive.
    static CONNECTION_LISTENERS: RefCell<Vec<EventListener>> = const { RefCell::new(Vec::new()) };
    /// How many connections this tab has opened (the benchmark and tests read it).
    static OPENED: Cell<u32> = const { Cell::new(0) };
}

/// The tab's connection to the device database, opened on first use and
/// reused by every later transaction. It is closed (and the next use opens a
/// new one) when another tab upgrades or deletes the database, when the
/// browser closes it, and by [`close_connection`].
pub async fn connection() -> DbResult<Database> {
    let opening = CONNECTION.with(|c| {
        c.borrow_mut()
            .get_or_insert_with(|| open().boxed_local().shared())
            .clone()
    });
    let result = opening.clone().await;
    if result.is_err() {
        // Let the next use try again, unless a newer attempt replaced it.
        CONNECTION.with(|c| {
            let mut c = c.borrow_mut();
            if c.as_ref().is_some_and(|f| f.ptr_eq(&opening)) {
                *c = None;
            }
        });
    }
    result
}

/// Closes the tab's connection, if one is open (before deleting the
/// database: an open connection would hold the deletion up).
pub fn close_connection() {
    let opening = CONNECTION.with(|c| c.borrow_mut().take());
    CONNECTION_LISTENERS.with(|l| l.borrow_mut().clear());
    if let Some(Some(Ok(db))) = opening.map(|f| f.peek().cloned()) {
        db.close();
    }
}

/// How many connections this tab has opened so far.
pub fn connections_opened() -> u32 {
    OPENED.with(Cell::get)
}

/// Opens the device database, creating or upgrading its stores.
async fn open() -> DbResult<Database> {
    let db = Database::open(DB_NAME)
        .with_version(DB_VERSION)
        .with_on_upgrade_needed(|event, db| {
            let mut created = Vec::new();
            for store in missing_stores(|s| db.object_store_names().any(|n| n == s)) {
                created.push(db.create_object_store(store).build()?);
            }
            let old = event.old_version();
            if (1.0..3.0).contains(&old) {
                // Version 3's key move runs in the upgrade's transaction,
                // which the crate hands out only through a store created in
                // it: `records` came after version 3, so every database
                // older than 3 has it created here.
                match created.first() {
                    Some(store) => {
                        let tx = store.transaction();
                        for name in [DOCS, DOC_CHANGES, OUTBOX] {
                            kind_the_keys(tx.object_store(name)?.as_sys());
                        }
                    }
                    None => web_sys::console::error_1(
                        &"device database upgrade: no store created, keys not moved".into(),
                    ),
                }
            }
            Ok(())
        })
        .await?;
    OPENED.with(|n| n.set(n.get() + 1));
    // Another tab upgrading or deleting the database (sign-out) asks open
    // connections to close; without this it would wait for this page. The
    // browser may also close a connection itself (storage cleared). The
    // crate's listener for these needs a stream per connection; two plain
    // listeners do.
    let sys: &web_sys::IdbDatabase = db.as_sys();
    let on_version_change = EventListener::new(sys, "versionchange", {
        let db = db.clone();
        move |_| {
            db.as_sys().close();
            forget_connection(&db);
        }
    });
    let on_close = EventListener::new(sys, "close", {
        let db = db.clone();
        move |_| forget_connection(&db)
    });
    CONNECTION_LISTENERS.with(|l| *l.borrow_mut() = vec![on_version_change, on_close]);
    Ok(db)
}

/// Version 3 (documents of several kinds): every key of a store written by
/// version 2 names a lead by its bare id (`<lead>` or `<lead>:<hash>`); it
/// becomes `lead:<lead>…`. Runs inside the upgrade's transaction, so the
/// database opens only once every key is moved (or not at all). The new keys
/// sort after the old ones (`l` after every hex digit), so the cursor meets
/// them last and leaves them as they are. The cursor's listener is dropped
/// when the cursor ends (or fails), from a task of its own, not from inside
/// its own callback.
fn kind_the_keys(store: &web_sys::IdbObjectStore) {
    let Ok(request) = store.open_cursor() else {
        return;
    };
    let store = store.clone();
    // The two listeners, kept until the cursor ends.
    let slot: Rc<RefCell<Vec<EventListener>>> = Rc::new(RefCell::new(Vec::new()));
    let done = {
        let slot = slot.clone();
        move || {
            let slot = slot.clone();
            wasm_bindgen_futures::spawn_local(async move {
                slot.borrow_mut().clear();
            });
        }
    };
    let on_error = EventListener::new(&request, "error", {
        let done = done.clone();
        move |_| done()
    });
    let on_success = EventListener::new(&request.clone(), "success", move |_| {
        let cursor = request
            .result()
            .ok()
            .and_then(|c| c.dyn_into::<web_sys::IdbCursorWithValue>().ok());
        let Some(cursor) = cursor else {
            done(); // null: every key visited
            return;
        };
        if let (Some(key), Ok(value)) = (
            cursor.key().ok().and_then(|k| k.as_string()),
            cursor.value(),
        ) {
            let kinded = showroom_shared::domain::DocKind::ALL.iter().any(|k| {
                key.strip_prefix(k.as_str())
                    .is_some_and(|r| r.starts_with(':'))
            });
            if !kinded {
                let moved = JsValue::from_str(&format!("lead:{key}"));
                if store.put_with_key(&value, &moved).is_ok() {
                    let _ = cursor.delete();
                }
            }
        }
        let _ = cursor.continue_();
    });
    slot.borrow_mut().extend([on_success, on_error]);
}

/// Drops the cached connection if it is `db` (the next use opens a new one).
fn forget_connection(db: &Database) {
    let cached = CONNECTION.with(|c| {
        let mut c = c.borrow_mut();
        let same = c
            .as_ref()
            .and_then(|f| f.peek())
            .is_some_and(|r| r.as_ref().is_ok_and(|open| open.as_sys() == db.as_sys()));
        if same { c.take() } else { None }
    });
    if cached.is_some() {
        // Not from inside the listener being dropped: later, on its own.
        wasm_bindgen_futures::spawn_local(async {
            CONNECTION_LISTENERS.with(|l| l.borrow_mut().clear());
        });
    }
}

/// A transaction over some stores. Writes are committed by [`Tx::commit`];
/// dropping a `Tx` without committing aborts it (the crate's rule), so an
/// error part-way through a save leaves the old state.
pub struct Tx<'db> {
    tx: Transaction<'db>,
}

impl<'db> Tx<'db> {
    pub fn read(db: &'db Database, stores: &[&str]) -> DbResult<Tx<'db>> {
        Self::new(db, stores, TransactionMode::Readonly)
    }

    pub fn write(db: &'db Database, stores: &[&str]) -> DbResult<Tx<'db>> {
        Self::new(db, stores, TransactionMode::Readwrite)
    }

    fn new(db: &'db Database, stores: &[&str], mode: TransactionMode) -> DbResult<Tx<'db>> {
        let tx = db.transaction(stores).with_mode(mode).build()?;
        Ok(Tx { tx })
    }

    fn store(&self, name: &str) -> DbResult<indexed_db_futures::object_store::ObjectStore<'_>> {
        Ok(self.tx.object_store(name)?)
    }

    pub async fn get(&self, store: &str, key: &str) -> DbResult<Option<JsValue>> {
        let value: Option<JsValue> = self.store(store)?.get(key).primitive()?.await?;
        Ok(value.filter(|v| !v.is_undefined() && !v.is_null()))
    }

    /// Queues a read of one key; its value is [`Read::value`] once the last
    /// request queued after it has settled (requests of a transaction
    /// complete in order, so one wait covers many reads).
    pub fn queue_get(&self, store: &str, key: &str) -> DbResult<Read> {
        let request = self.store(store)?.get::<JsValue, _, _>(key).primitive()?;
        Ok(Read::one(request))
    }

    /// Queues a read of the keys and the values under `prefix` (see [`Tx::queue_get`]).
    pub fn queue_entries(&self, store: &str, prefix: &str) -> DbResult<(Read, Read)> {
        let s = self.store(store)?;
        Ok(match prefix_range(prefix) {
            Some(range) => (
                Read::many(
                    s.get_all_keys::<JsValue>()
                        .with_query::<String, _>(range.clone())
                        .primitive()?,
                ),
                Read::many(
                    s.get_all::<JsValue>()
                        .with_query::<String, _>(range)
                        .primitive()?,
                ),
            ),
            None => (
                Read::many(s.get_all_keys::<JsValue>().primitive()?),
                Read::many(s.get_all::<JsValue>().primitive()?),
            ),
        })
    }

    /// Queues a read of every key of a store (see [`Tx::queue_get`]).
    pub fn queue_keys(&self, store: &str) -> DbResult<Read> {
        let request = self.store(store)?.get_all_keys::<JsValue>().primitive()?;
        Ok(Read::many(request))
    }

    /// Every (key, value) of a store whose keys start with `prefix` (all for "").
    pub async fn entries(&self, store: &str, prefix: &str) -> DbResult<Vec<(String, JsValue)>> {
        let (mut keys, mut values) = self.queue_entries(store, prefix)?;
        self.settle(&mut values).await?;
        Ok(Read::entries(&mut keys, &mut values))
    }

    /// Every value of a store (no keys): the summaries list.
    pub async fn values(&self, store: &str) -> DbResult<Vec<JsValue>> {
        let mut read = Read::many(self.store(store)?.get_all::<JsValue>().primitive()?);
        self.settle(&mut read).await?;
        Ok(read.list())
    }

    pub async fn count(&self, store: &str) -> DbResult<u32> {
        Ok(self.store(store)?.count().primitive()?.await?)
    }

    /// Queues a put; its success is known at [`Tx::commit`]. The request is
    /// returned so a long run of puts can wait for one (see [`Tx::settle`]).
    pub fn put(&self, store: &str, key: &str, value: &JsValue) -> DbResult<Read> {
        let request = self
            .store(store)?
            .put(value.clone())
            .with_key(key)
            .without_key_type()
            .primitive()?;
        Ok(Read::write(request))
    }

    pub fn put_bytes(&self, store: &str, key: &str, bytes: &[u8]) -> DbResult<Read> {
        self.put(store, key, &Uint8Array::from(bytes).into())
    }

    /// Waits until `request` — the last one queued — has run. Queuing many
    /// writes in one go holds the main thread; queuing a few hundred, then
    /// settling, lets the page render meanwhile while the transaction stays
    /// open (it continues from the request's success, when it is active).
    pub async fn settle(&self, request: &mut Read) -> DbResult<()> {
        request.wait().await
    }

    pub fn delete(&self, store: &str, key: &str) -> DbResult<()> {
        // The delete's own future is not needed: its failure aborts the
        // transaction, which `commit` reports.
        drop(self.store(store)?.delete(key).primitive()?);
        Ok(())
    }

    /// Waits until everything queued is durably written (or the transaction fails).
    pub async fn commit(self) -> DbResult<()> {
        Ok(self.tx.commit().await?)
    }
}

/// A queued request (see [`Tx::queue_get`]): the crate's future for it,
/// and what it read once settled. A request whose transaction has run past
/// it is already done, so its future is ready at once: one wait for the
/// last request of a run gives every earlier one's value.
pub struct Read {
    pending: Option<LocalBoxFuture<'static, DbResult<Vec<JsValue>>>>,
    got: Vec<JsValue>,
}

impl Read {
    fn new(pending: impl Future<Output = DbResult<Vec<JsValue>>> + 'static) -> Read {
        Read {
            pending: Some(pending.boxed_local()),
            got: Vec::new(),
        }
    }

    /// A read of one key: zero or one value.
    fn one(
        request: impl Future<Output = indexed_db_futures::Result<Option<JsValue>>> + 'static,
    ) -> Read {
        Read::new(async move {
            let value = request.await?;
            Ok(value
                .filter(|v| !v.is_undefined() && !v.is_null())
                .into_iter()
                .collect())
        })
    }

    /// A read of many keys or values.
    fn many<I: Iterator<Item = indexed_db_futures::Result<JsValue>>>(
        request: impl Future<Output = indexed_db_futures::Result<I>> + 'static,
    ) -> Read {
        Read::new(async move {
            let items = request.await?;
            Ok(items.filter_map(Result::ok).collect())
        })
    }

    /// A write: nothing to read back.
    fn write(request: impl Future<Output = indexed_db_futures::Result<()>> + 'static) -> Read {
        Read::new(async move {
            request.await?;
            Ok(Vec::new())
        })
    }

    async fn wait(&mut self) -> DbResult<()> {
        if let Some(pending) = self.pending.take() {
            self.got = pending.await?;
        }
        Ok(())
    }

    /// Takes the result if the request has run (it has, once it or a later
    /// request of its transaction has settled).
    fn poll_now(&mut self) {
        if let Some(pending) = self.pending.as_mut()
            && let Some(result) = pending.now_or_never()
        {
            self.pending = None;
            // A failed read aborts its transaction, which `commit` reports.
            self.got = result.unwrap_or_default();
        }
    }

    /// The value read (`None` for a missing key). Only after the read, or a
    /// request queued after it, has settled.
    pub fn value(&mut self) -> Option<JsValue> {
        self.poll_now();
        self.got.first().cloned()
    }

    /// The keys or values a list read found (see [`Read::value`]).
    pub fn list(&mut self) -> Vec<JsValue> {
        self.poll_now();
        std::mem::take(&mut self.got)
    }

    /// The `(key, value)` pairs of a [`Tx::queue_entries`] read.
    pub fn entries(keys: &mut Read, values: &mut Read) -> Vec<(String, JsValue)> {
        keys.list()
            .into_iter()
            .zip(values.list())
            .filter_map(|(k, v)| k.as_string().map(|k| (k, v)))
            .collect()
    }
}

/// The key range of keys starting with `prefix` (`None` for all keys). The
/// keys this app writes are `"<kind>:<uuid>:<hex hash>"`, so
/// `prefix + '\u{ffff}'` bounds them.
fn prefix_range(prefix: &str) -> Option<KeyRange<String>> {
    if prefix.is_empty() {
        return None;
    }
    Some(KeyRange::Bound(
        prefix.to_owned(),
        false,
        format!("{prefix}\u{ffff}"),
        false,
    ))
}

/// Bytes stored as a `Uint8Array` (or an `ArrayBuffer`), if that is what the value is.
pub fn bytes_of(value: &JsValue) -> Option<Vec<u8>> {
    if let Some(a) = value.dyn_ref::<Uint8Array>() {
        return Some(a.to_vec());
    }
    if let Some(b) = value.dyn_ref::<js_sys::ArrayBuffer>() {
        return Some(Uint8Array::new(b).to_vec());
    }
    None
}
