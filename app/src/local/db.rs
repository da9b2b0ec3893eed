//! The device database opened directly through `web_sys`: its stores, the upgrade that creates them, and requests and transactions as futures.
//!
//! The session store (`session.rs`) opens the same database with
//! `indexed_db_futures`; both use [`DB_VERSION`] and [`upgrade`]'s store list,
//! so whichever opens first creates everything.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Array, Promise, Uint8Array};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
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
/// `"cursor"`, `"last_sync"`, `"refusal"`, `"refused_docs"`.
pub const META: &str = "meta";

/// Every store, in creation order.
pub const STORES: [&str; 6] = [SESSION_STORE, DOCS, DOC_CHANGES, SUMMARIES, OUTBOX, META];

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

/// Opens the device database, creating or upgrading its stores.
pub async fn open() -> DbResult<IdbDatabase> {
    let factory = web_sys::window()
        .ok_or_else(|| DbError::Other("no window".into()))?
        .indexed_db()
        .map_err(|e| DbError::from_js(&e))?
        .ok_or_else(|| DbError::Other("IndexedDB is not available".into()))?;
    let request = factory
        .open_with_u32(DB_NAME, DB_VERSION)
        .map_err(|e| DbError::from_js(&e))?;
    let upgrade = Closure::<dyn FnMut(web_sys::IdbVersionChangeEvent)>::new(
        move |event: web_sys::IdbVersionChangeEvent| {
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
        },
    );
    request.set_onupgradeneeded(Some(upgrade.as_ref().unchecked_ref()));
    let result = request_future(&request).await;
    request.set_onupgradeneeded(None);
    drop(upgrade);
    let db: IdbDatabase = result?
        .dyn_into()
        .map_err(|_| DbError::Other("open returned no database".into()))?;
    // Another tab upgrading or deleting the database (sign-out) asks open
    // connections to close; without this it would wait for this page.
    let on_version_change = Closure::<dyn FnMut(JsValue)>::new({
        let db = db.clone();
        move |_| db.close()
    });
    db.set_onversionchange(Some(on_version_change.as_ref().unchecked_ref()));
    on_version_change.forget();
    Ok(db)
}

/// Resolves with a request's result, or its error.
pub async fn request_future(request: &IdbRequest) -> DbResult<JsValue> {
    let promise = Promise::new(&mut |resolve, reject| {
        let ok = {
            let request = request.clone();
            Closure::once_into_js(move |_: JsValue| {
                let value = request.result().unwrap_or(JsValue::UNDEFINED);
                let _ = resolve.call1(&JsValue::NULL, &value);
            })
        };
        let err = {
            let request = request.clone();
            Closure::once_into_js(move |event: web_sys::Event| {
                // The error is reported by the transaction as well; keep it
                // from also surfacing as an uncaught event.
                event.prevent_default();
                let error = request
                    .error()
                    .ok()
                    .flatten()
                    .map(JsValue::from)
                    .unwrap_or_else(|| JsValue::from_str("request failed"));
                let _ = reject.call1(&JsValue::NULL, &error);
            })
        };
        request.set_onsuccess(Some(ok.unchecked_ref()));
        request.set_onerror(Some(err.unchecked_ref()));
    });
    JsFuture::from(promise)
        .await
        .map_err(|e| DbError::from_js(&e))
}

/// A transaction over some stores. Writes are committed by [`Tx::commit`];
/// dropping a readwrite `Tx` without committing aborts it, so an error
/// part-way through a save leaves the old state.
pub struct Tx {
    tx: IdbTransaction,
    done: Rc<RefCell<Option<Promise>>>,
    committed: bool,
    writable: bool,
}

impl Tx {
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
        let done = Promise::new(&mut |resolve, reject| {
            let complete = Closure::once_into_js(move |_: JsValue| {
                let _ = resolve.call0(&JsValue::NULL);
            });
            let failed = {
                let tx = tx.clone();
                Closure::once_into_js(move |_: JsValue| {
                    let error = tx
                        .error()
                        .map(JsValue::from)
                        .unwrap_or_else(|| JsValue::from_str("transaction aborted"));
                    let _ = reject.call1(&JsValue::NULL, &error);
                })
            };
            tx.set_oncomplete(Some(complete.unchecked_ref()));
            tx.set_onabort(Some(failed.unchecked_ref()));
        });
        Ok(Tx {
            tx,
            done: Rc::new(RefCell::new(Some(done))),
            committed: false,
            writable: mode == IdbTransactionMode::Readwrite,
        })
    }

    pub fn store(&self, name: &str) -> DbResult<IdbObjectStore> {
        self.tx.object_store(name).map_err(|e| DbError::from_js(&e))
    }

    pub async fn get(&self, store: &str, key: &str) -> DbResult<Option<JsValue>> {
        let req = self
            .store(store)?
            .get(&JsValue::from_str(key))
            .map_err(|e| DbError::from_js(&e))?;
        let value = request_future(&req).await?;
        Ok((!value.is_undefined() && !value.is_null()).then_some(value))
    }

    /// Every (key, value) of a store whose keys start with `prefix` (all for "").
    pub async fn entries(&self, store: &str, prefix: &str) -> DbResult<Vec<(String, JsValue)>> {
        let s = self.store(store)?;
        let range = prefix_range(prefix)?;
        let (keys, values) = match &range {
            Some(range) => (s.get_all_keys_with_key(range), s.get_all_with_key(range)),
            None => (s.get_all_keys(), s.get_all()),
        };
        let keys = keys.map_err(|e| DbError::from_js(&e))?;
        let values = values.map_err(|e| DbError::from_js(&e))?;
        let keys: Array = request_future(&keys).await?.unchecked_into();
        let values: Array = request_future(&values).await?.unchecked_into();
        Ok(keys
            .iter()
            .zip(values.iter())
            .filter_map(|(k, v)| k.as_string().map(|k| (k, v)))
            .collect())
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

    /// Queues a put; its success is known at [`Tx::commit`].
    pub fn put(&self, store: &str, key: &str, value: &JsValue) -> DbResult<()> {
        self.store(store)?
            .put_with_key(value, &JsValue::from_str(key))
            .map_err(|e| DbError::from_js(&e))?;
        Ok(())
    }

    pub fn put_bytes(&self, store: &str, key: &str, bytes: &[u8]) -> DbResult<()> {
        self.put(store, key, &Uint8Array::from(bytes).into())
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
        let done = self.done.borrow_mut().take();
        match done {
            Some(done) => JsFuture::from(done)
                .await
                .map(|_| ())
                .map_err(|e| DbError::from_js(&e)),
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
