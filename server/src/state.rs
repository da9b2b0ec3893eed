//! What every request handler shares.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::auth::LoginThrottle;
use crate::clock::Clock;
use crate::config::Config;
use crate::db::Db;
use crate::hub::Hub;
use crate::writer::Writer;

/// Counters of what sync connections cost the database, for tests and benchmarks.
#[derive(Debug, Default)]
pub struct SyncStats {
    /// Reads of the change log by connections (catch-up pages, gaps).
    pub log_reads: std::sync::atomic::AtomicU64,
    /// Session checks by connections after their Hello.
    pub session_checks: std::sync::atomic::AtomicU64,
}

#[derive(Clone, Debug)]
pub struct AppState {
    pub db: Db,
    pub clock: Clock,
    pub throttle: Arc<LoginThrottle>,
    pub hub: Arc<Hub>,
    /// Stores every pushed sync batch (`crate::writer`).
    pub writer: Writer,
    pub sync_stats: Arc<SyncStats>,
    pub session_idle_ms: i64,
    /// A sync connection that has not said Hello by then is closed.
    pub hello_timeout: Duration,
    pub request_timeout: Duration,
    pub static_dir: PathBuf,
}

impl AppState {
    /// Builds the state and starts its background tasks (the sync writer,
    /// and on PostgreSQL the bridge to other server processes); call it
    /// inside the Tokio runtime.
    pub fn new(db: Db, clock: Clock, config: &Config) -> Self {
        let hub = Arc::new(Hub::default());
        crate::cluster::start(&db, hub.clone());
        let writer = Writer::start(db.clone(), hub.clone(), clock.clone(), config.doc_cache);
        AppState {
            db,
            clock,
            throttle: Arc::new(LoginThrottle::default()),
            hub,
            writer,
            sync_stats: Arc::default(),
            session_idle_ms: i64::from(config.session_idle_days) * 24 * 60 * 60 * 1000,
            hello_timeout: Duration::from_millis(config.sync_hello_timeout_ms),
            request_timeout: Duration::from_secs(config.request_timeout_secs),
            static_dir: config.static_dir.clone(),
        }
    }
}
