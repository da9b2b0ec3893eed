//! The signed-in session kept on this device in IndexedDB, so the app opens signed in with no network.
//!
//! Layout: database [`DB_NAME`] (version [`DB_VERSION`]), object store
//! [`SESSION_STORE`], one record under [`SESSION_KEY`] whose value is the JSON
//! text of a [`StoredSession`]. Storing JSON text rather than a structured
//! clone keeps the format explicit and lets a damaged record be recognised and
//! dropped instead of half-read. It is read and written over the tab's one
//! connection (`local::db::connection`); `indexed_db_futures` deletes the
//! database at sign-out.

use indexed_db_futures::database::Database;
use serde::{Deserialize, Serialize};
use showroom_shared::api::SessionInfo;
use wasm_bindgen::JsValue;

use crate::local::db::{Tx, connection};

/// The device's database. Later stores (leads, outbox) join this database, so
/// deleting it wipes everything the app keeps on the device.
pub const DB_NAME: &str = "showroom";
/// Version 1: the session store. Version 2 adds the lead stores (see
/// `local::db::STORES`).
pub const DB_VERSION: u32 = 3;
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

/// The stored session, if any. A record that cannot be read as a session
/// (corrupt, from an incompatible version) counts as none and is logged: the
/// person signs in again rather than the app failing to start.
pub async fn load() -> Result<Option<StoredSession>, StoreError> {
    let Some(value) = read_raw().await? else {
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
    let db = connection().await.map_err(store_error)?;
    let tx = Tx::write(&db, &[SESSION_STORE]).map_err(store_error)?;
    tx.put(SESSION_STORE, SESSION_KEY, &value)
        .map_err(store_error)?;
    tx.commit().await.map_err(store_error)
}

/// Deletes only the session record: the device keeps its documents and
/// outbox (the server no longer knows the session, see `Auth`).
pub async fn forget() -> Result<(), StoreError> {
    let db = connection().await.map_err(store_error)?;
    let tx = Tx::write(&db, &[SESSION_STORE]).map_err(store_error)?;
    tx.delete(SESSION_STORE, SESSION_KEY).map_err(store_error)?;
    tx.commit().await.map_err(store_error)
}

/// Wipes everything this app keeps on the device: the whole database goes.
pub async fn clear_device() -> Result<(), StoreError> {
    crate::local::db::close_connection();
    crate::local::store::forget_device();
    Database::delete_by_name(DB_NAME)
        .map_err(store_error)?
        .await
        .map_err(store_error)
}

async fn read_raw() -> Result<Option<JsValue>, StoreError> {
    let db = connection().await.map_err(store_error)?;
    let tx = Tx::read(&db, &[SESSION_STORE]).map_err(store_error)?;
    let value = tx
        .get(SESSION_STORE, SESSION_KEY)
        .await
        .map_err(store_error)?;
    tx.commit().await.map_err(store_error)?;
    Ok(value)
}

fn log_corrupt(why: &str) {
    web_sys::console::warn_1(
        &format!("Ignoring the stored session, which cannot be read: {why}").into(),
    );
}
