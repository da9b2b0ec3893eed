//! The signed-in session kept on this device in IndexedDB, so the app opens signed in with no network.
//!
//! Layout: database [`DB_NAME`] (version [`DB_VERSION`]), object store
//! [`SESSION_STORE`], one record under [`SESSION_KEY`] whose value is the JSON
//! text of a [`StoredSession`]. Storing JSON text rather than a structured
//! clone keeps the format explicit and lets a damaged record be recognised and
//! dropped instead of half-read.

use indexed_db_futures::database::Database;
use indexed_db_futures::prelude::*;
use indexed_db_futures::transaction::TransactionMode;
use serde::{Deserialize, Serialize};
use showroom_shared::api::SessionInfo;
use wasm_bindgen::JsValue;

/// The device's database. Later stores (leads, outbox) join this database, so
/// deleting it wipes everything the app keeps on the device.
pub const DB_NAME: &str = "showroom";
/// Version 1: the session store. Version 2 adds the lead stores (see
/// `local::db::STORES`).
pub const DB_VERSION: u32 = 2;
pub const SESSION_STORE: &str = "session";
pub const SESSION_KEY: &str = "current";

/// What the device remembers about its sign-in.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StoredSession {
    /// The bearer token the server gave at sign-in.
    pub token: String,
    /// Who is signed in, as last confirmed by the server.
    pub session: SessionInfo,
    /// When this record was written (Unix milliseconds).
    pub saved_at: f64,
}

/// IndexedDB refused an operation (private mode, quota, a blocked upgrade…).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreError(pub String);

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "device storage failed: {}", self.0)
    }
}

impl std::error::Error for StoreError {}

fn store_error(e: impl std::fmt::Display) -> StoreError {
    StoreError(e.to_string())
}

/// Opens the device database, creating its stores on first use.
pub async fn open() -> Result<Database, StoreError> {
    Database::open(DB_NAME)
        .with_version(DB_VERSION)
        .with_on_upgrade_needed(|_event, db| {
            // Every version's stores are plain key-value stores, so an
            // upgrade creates whichever are missing (`local::db` does the same).
            let existing: Vec<String> = db.object_store_names().collect();
            for store in crate::local::db::missing_stores(|s| existing.iter().any(|e| e == s)) {
                db.create_object_store(store).build()?;
            }
            Ok(())
        })
        .await
        .map_err(store_error)
}

/// The stored session, if any. A record that cannot be read as a session
/// (corrupt, from an incompatible version) counts as none and is logged: the
/// person signs in again rather than the app failing to start.
pub async fn load() -> Result<Option<StoredSession>, StoreError> {
    let db = open().await?;
    let raw = read_raw(&db).await;
    db.close();
    let Some(value) = raw? else {
        return Ok(None);
    };
    let Some(text) = value.as_string() else {
        log_corrupt("the stored value is not text");
        return Ok(None);
    };
    match serde_json::from_str::<StoredSession>(&text) {
        Ok(session) => Ok(Some(session)),
        Err(e) => {
            log_corrupt(&e.to_string());
            Ok(None)
        }
    }
}

/// Replaces the stored session.
pub async fn save(session: &StoredSession) -> Result<(), StoreError> {
    let text = serde_json::to_string(session).map_err(store_error)?;
    write_raw(JsValue::from_str(&text)).await
}

/// Writes any value as the session record. Public so tests can plant a
/// damaged record; the app itself only writes through [`save`].
pub async fn write_raw(value: JsValue) -> Result<(), StoreError> {
    let db = open().await?;
    let result = write_in(&db, value).await;
    db.close();
    result
}

/// Wipes everything this app keeps on the device: the whole database goes.
pub async fn clear_device() -> Result<(), StoreError> {
    Database::delete_by_name(DB_NAME)
        .map_err(store_error)?
        .await
        .map_err(store_error)
}

async fn read_raw(db: &Database) -> Result<Option<JsValue>, StoreError> {
    let tx = db.transaction(SESSION_STORE).build().map_err(store_error)?;
    let store = tx.object_store(SESSION_STORE).map_err(store_error)?;
    let value: Option<JsValue> = store
        .get(SESSION_KEY)
        .primitive()
        .map_err(store_error)?
        .await
        .map_err(store_error)?;
    // A structured clone of `undefined` reads back as "no record" too.
    Ok(value.filter(|v| !v.is_undefined() && !v.is_null()))
}

async fn write_in(db: &Database, value: JsValue) -> Result<(), StoreError> {
    let tx = db
        .transaction(SESSION_STORE)
        .with_mode(TransactionMode::Readwrite)
        .build()
        .map_err(store_error)?;
    let store = tx.object_store(SESSION_STORE).map_err(store_error)?;
    store
        .put(value)
        .with_key(SESSION_KEY)
        .primitive()
        .map_err(store_error)?
        .await
        .map_err(store_error)?;
    // indexed_db_futures rolls a transaction back unless it is committed.
    tx.commit().await.map_err(store_error)
}

fn log_corrupt(why: &str) {
    web_sys::console::warn_1(
        &format!("Ignoring the stored session, which cannot be read: {why}").into(),
    );
}
