//! The device database opened directly through `web_sys`: its stores, the upgrade that creates them, and requests and transactions as futures.
//!
//! The session store (`session.rs`) opens the same database with
//! `indexed_db_futures`; both use [`DB_VERSION`] and [`upgrade`]'s store list,
//! so whichever opens first creates everything.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use futures::future::{FutureExt, LocalBoxFuture, Shared};
use gloo_events::{EventListener, EventListenerOptions};
use js_sys::{Array, Uint8Array};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{IdbDatabase, IdbObjectStore, IdbRequest, IdbTransaction, IdbTransactionMode};

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

pub type DbResult<T> = Result<T, DbError>;

/// Creates whatever stores the database does not have yet. Called from both
/// openers' upgrade handlers.
pub fn missing_stores(existing: impl Fn(&str) -> bool) -> Vec<&'static str> {
    STORES.into_iter().filter(|s| !existing(s)).collect()
}

thread_local! {
    /// This tab's one connection (opening, or open), shared by every store.
    static CONNECTION: RefCell<Option<Shared<LocalBoxFuture<'static, DbResult<IdbDatabase>>>>> =
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
pub async fn connection() -> DbResult<IdbDatabase> {
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
async fn open() -> DbResult<IdbDatabase> {
    let factory = web_sys::window()
        .ok_or_else(|| DbError::Other("no window".into()))?
        .indexed_db()
        .map_err(|e| DbError::from_js(&e))?
        .ok_or_else(|| DbError::Other("IndexedDB is not available".into()))?;
    let request = factory
        .open_with_u32(DB_NAME, DB_VERSION)
        .map_err(|e| DbError::from_js(&e))?;
    let upgrade = EventListener::new(&request, "upgradeneeded", |event| {
        let Some(req) = event
            .target()
            .and_then(|t| t.dyn_into::<web_sys::IdbOpenDbRequest>().ok())
        else {
            return;
        };
        let Ok(db) = req.result().and_then(|r| r.dyn_into::<IdbDatabase>()) else {
            return;
        };
        let names = db.object_store_names();
        for store in missing_stores(|s| names.contains(s)) {
            if let Err(e) = db.create_object_store(store) {
                web_sys::console::error_1(&e);
            }
        }
        let old = event
            .dyn_ref::<web_sys::IdbVersionChangeEvent>()
            .map_or(0.0, web_sys::IdbVersionChangeEvent::old_version);
        if old >= 1.0 && old < 3.0 {
            if let Some(tx) = req.transaction() {
                for store in [DOCS, DOC_CHANGES, OUTBOX] {
                    if let Ok(store) = tx.object_store(store) {
                        kind_the_keys(&store);
                    }
                }
            }
        }
    });
    let result = request_future(&request).await;
    drop(upgrade);
    let db: IdbDatabase = result?
        .dyn_into()
        .map_err(|_| DbError::Other("open returned no database".into()))?;
    OPENED.with(|n| n.set(n.get() + 1));
    // Another tab upgrading or deleting the database (sign-out) asks open
    // connections to close; without this it would wait for this page. The
    // browser may also close a connection itself (storage cleared).
    let on_version_change = EventListener::new(&db, "versionchange", {
        let db = db.clone();
        move |_| {
            db.close();
            forget_connection(&db);
        }
    });
    let on_close = EventListener::new(&db, "close", {
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
fn forget_connection(db: &IdbDatabase) {
    let cached = CONNECTION.with(|c| {
        let mut c = c.borrow_mut();
        let same = c
            .as_ref()
            .and_then(|f| f.peek())
            .is_some_and(|r| r.as_ref().is_ok_and(|open| open == db));
        if same { c.take() } else { None }
    });
    if cached.is_some() {
        // Not from inside the listener being dropped: later, on its own.
        wasm_bindgen_futures::spawn_local(async {
            CONNECTION_LISTENERS.with(|l| l.borrow_mut().clear());
        });
    }
}

/// A result that an event handler fills in once and a future waits for
/// (a single-threaded one-shot: the page has one thread).
struct Slot<T> {
    inner: Rc<RefCell<(Option<T>, Option<std::task::Waker>)>>,
}

impl<T> Clone for Slot<T> {
    fn clone(&self) -> Self {
        Slot {
            inner: self.inner.clone(),
        }
    }
}

impl<T> Slot<T> {
    fn new() -> Slot<T> {
        Slot {
            inner: Rc::new(RefCell::new((None, None))),
        }
    }

    /// Fills the slot (the first fill wins) and wakes the waiter.
    fn fill(&self, value: T) {
        let waker = {
            let mut inner = self.inner.borrow_mut();
            if inner.0.is_some() {
                return;
            }
            inner.0 = Some(value);
            inner.1.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
    }

    async fn wait(&self) -> T {
        futures::future::poll_fn(|cx| {
            let mut inner = self.inner.borrow_mut();
            match inner.0.take() {
                Some(v) => std::task::Poll::Ready(v),
                None => {
                    inner.1 = Some(cx.waker().clone());
                    std::task::Poll::Pending
                }
            }
        })
        .await
    }
}

/// Resolves with a request's result, or its error. The listeners are
/// removed (and their closures freed) when this future ends or is dropped,
/// so nothing of the request — or its result — stays referenced.
pub async fn request_future(request: &IdbRequest) -> DbResult<JsValue> {
    let slot = Slot::<DbResult<JsValue>>::new();
    let _ok = EventListener::once(request, "success", {
        let slot = slot.clone();
        let request = request.clone();
        move |_| slot.fill(Ok(request.result().unwrap_or(JsValue::UNDEFINED)))
    });
    let _err = EventListener::once_with_options(
        request,
        "error",
        EventListenerOptions::enable_prevent_default(),
        {
            let request = request.clone();
            let slot = slot.clone();
            move |event| {
                // The error is reported by the transaction as well; keep it
                // from also surfacing as an uncaught event.
                event.prevent_default();
                let error = request
                    .error()
                    .ok()
                    .flatten()
                    .map(|e| DbError::from_js(&e.into()))
                    .unwrap_or_else(|| DbError::Other("request failed".into()));
                slot.fill(Err(error));
            }
        },
    );
    slot.wait().await
}

/// A transaction over some stores. Writes are committed by [`Tx::commit`];
/// dropping a readwrite `Tx` without committing aborts it, so an error
/// part-way through a save leaves the old state.
pub struct Tx {
    tx: IdbTransaction,
    done: Option<Slot<DbResult<()>>>,
    /// `complete` and `abort` listeners, removed when the `Tx` goes.
    _listeners: [EventListener; 2],
    committed: bool,
    writable: bool,
}

impl Tx {
    /// A readonly transaction on the tab's connection.
    pub async fn read_on(stores: &[&str]) -> DbResult<Tx> {
        Self::new(&connection().await?, stores, IdbTransactionMode::Readonly)
    }

    /// A readwrite transaction on the tab's connection.
    pub async fn write_on(stores: &[&str]) -> DbResult<Tx> {
        Self::new(&connection().await?, stores, IdbTransactionMode::Readwrite)
    }

    pub fn read(db: &IdbDatabase, stores: &[&str]) -> DbResult<Tx> {
        Self::new(db, stores, IdbTransactionMode::Readonly)
    }

    pub fn write(db: &IdbDatabase, stores: &[&str]) -> DbResult<Tx> {
        Self::new(db, stores, IdbTransactionMode::Readwrite)
    }

    fn new(db: &IdbDatabase, stores: &[&str], mode: IdbTransactionMode) -> DbResult<Tx> {
        let names: Array = stores.iter().map(|s| JsValue::from_str(s)).collect();
        let tx = db
            .transaction_with_str_sequence_and_mode(&names, mode)
            .map_err(|e| DbError::from_js(&e))?;
        // Listen for the end from the start, so a completion is never missed.
        let done = Slot::<DbResult<()>>::new();
        let complete = EventListener::once(&tx, "complete", {
            let done = done.clone();
            move |_| done.fill(Ok(()))
        });
        let aborted = EventListener::once(&tx, "abort", {
            let tx = tx.clone();
            let done = done.clone();
            move |_| {
                let error = tx
                    .error()
                    .map(|e| DbError::from_js(&e.into()))
                    .unwrap_or_else(|| DbError::Other("transaction aborted".into()));
                done.fill(Err(error));
            }
        });
        Ok(Tx {
            tx,
            done: Some(done),
            _listeners: [complete, aborted],
            committed: false,
            writable: mode == IdbTransactionMode::Readwrite,
        })
    }

    pub fn store(&self, name: &str) -> DbResult<IdbObjectStore> {
        self.tx.object_store(name).map_err(|e| DbError::from_js(&e))
    }

    pub async fn get(&self, store: &str, key: &str) -> DbResult<Option<JsValue>> {
        let read = self.queue_get(store, key)?;
        self.settle(read.request()).await?;
        Ok(read.value())
    }

    /// Queues a read of one key; its value is [`Read::value`] once the last
    /// request queued after it has settled (requests of a transaction
    /// complete in order, so one wait covers many reads).
    pub fn queue_get(&self, store: &str, key: &str) -> DbResult<Read> {
        self.store(store)?
            .get(&JsValue::from_str(key))
            .map(Read)
            .map_err(|e| DbError::from_js(&e))
    }

    /// Queues a read of the keys and the values under `prefix` (see [`Tx::queue_get`]).
    pub fn queue_entries(&self, store: &str, prefix: &str) -> DbResult<(Read, Read)> {
        let s = self.store(store)?;
        let range = prefix_range(prefix)?;
        let (keys, values) = match &range {
            Some(range) => (s.get_all_keys_with_key(range), s.get_all_with_key(range)),
            None => (s.get_all_keys(), s.get_all()),
        };
        Ok((
            Read(keys.map_err(|e| DbError::from_js(&e))?),
            Read(values.map_err(|e| DbError::from_js(&e))?),
        ))
    }

    /// Queues a read of every key of a store (see [`Tx::queue_get`]).
    pub fn queue_keys(&self, store: &str) -> DbResult<Read> {
        self.store(store)?
            .get_all_keys()
            .map(Read)
            .map_err(|e| DbError::from_js(&e))
    }

    /// Every (key, value) of a store whose keys start with `prefix` (all for "").
    pub async fn entries(&self, store: &str, prefix: &str) -> DbResult<Vec<(String, JsValue)>> {
        let (keys, values) = self.queue_entries(store, prefix)?;
        self.settle(values.request()).await?;
        Ok(Read::entries(&keys, &values))
    }

    /// Every value of a store (no keys): the summaries list.
    pub async fn values(&self, store: &str) -> DbResult<Array> {
        let req = self
            .store(store)?
            .get_all()
            .map_err(|e| DbError::from_js(&e))?;
        Ok(request_future(&req).await?.unchecked_into())
    }

    pub async fn count(&self, store: &str) -> DbResult<u32> {
        let req = self
            .store(store)?
            .count()
            .map_err(|e| DbError::from_js(&e))?;
        Ok(request_future(&req).await?.as_f64().unwrap_or(0.0) as u32)
    }

    /// Queues a put; its success is known at [`Tx::commit`]. The request is
    /// returned so a long run of puts can wait for one (see [`Tx::settle`]).
    pub fn put(&self, store: &str, key: &str, value: &JsValue) -> DbResult<IdbRequest> {
        self.store(store)?
            .put_with_key(value, &JsValue::from_str(key))
            .map_err(|e| DbError::from_js(&e))
    }

    pub fn put_bytes(&self, store: &str, key: &str, bytes: &[u8]) -> DbResult<IdbRequest> {
        self.put(store, key, &Uint8Array::from(bytes).into())
    }

    /// Waits until `request` — the last one queued — has run. Queuing many
    /// writes in one go holds the main thread; queuing a few hundred, then
    /// settling, lets the page render meanwhile while the transaction stays
    /// open (it continues from the request's success, when it is active).
    pub async fn settle(&self, request: &IdbRequest) -> DbResult<()> {
        request_future(request).await.map(|_| ())
    }

    pub fn delete(&self, store: &str, key: &str) -> DbResult<()> {
        self.store(store)?
            .delete(&JsValue::from_str(key))
            .map_err(|e| DbError::from_js(&e))?;
        Ok(())
    }

    /// Waits until everything queued is durably written (or the transaction fails).
    pub async fn commit(mut self) -> DbResult<()> {
        self.committed = true;
        if self.writable {
            // Chromium's `commit()` ends the transaction without waiting for
            // the idle auto-commit; where it is missing, auto-commit happens.
            if let Ok(commit) = js_sys::Reflect::get(&self.tx, &"commit".into())
                && let Some(f) = commit.dyn_ref::<js_sys::Function>()
            {
                let _ = f.call0(&self.tx);
            }
        }
        match self.done.take() {
            Some(done) => done.wait().await,
            None => Ok(()),
        }
    }
}

impl Drop for Tx {
    fn drop(&mut self) {
        if self.writable && !self.committed {
            let _ = self.tx.abort();
        }
    }
}

/// A queued read (see [`Tx::queue_get`]).
pub struct Read(IdbRequest);

impl Read {
    pub fn request(&self) -> &IdbRequest {
        &self.0
    }

    /// The value read (`None` for a missing key). Only after the read, or a
    /// request queued after it, has settled.
    pub fn value(&self) -> Option<JsValue> {
        self.0
            .result()
            .ok()
            .filter(|v| !v.is_undefined() && !v.is_null())
    }

    /// The `(key, value)` pairs of a [`Tx::queue_entries`] read.
    pub fn entries(keys: &Read, values: &Read) -> Vec<(String, JsValue)> {
        let (Some(keys), Some(values)) = (keys.value(), values.value()) else {
            return Vec::new();
        };
        let (keys, values): (Array, Array) = (keys.unchecked_into(), values.unchecked_into());
        keys.iter()
            .zip(values.iter())
            .filter_map(|(k, v)| k.as_string().map(|k| (k, v)))
            .collect()
    }
}

/// The key range of keys starting with `prefix` (`None` for all keys). The
/// keys this app writes are `"<uuid>:<hex hash>"`, so `prefix + '\u{ffff}'`
/// bounds them.
fn prefix_range(prefix: &str) -> DbResult<Option<web_sys::IdbKeyRange>> {
    if prefix.is_empty() {
        return Ok(None);
    }
    let upper = format!("{prefix}\u{ffff}");
    web_sys::IdbKeyRange::bound(&JsValue::from_str(prefix), &JsValue::from_str(&upper))
        .map(Some)
        .map_err(|e| DbError::from_js(&e))
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
