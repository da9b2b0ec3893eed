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

/// The one-time set-up link of a fresh install: open while the server has no
/// dealer, closed by the set-up (or at start when a dealer exists). Only the
/// code's SHA-256 is kept.
#[derive(Debug, Default)]
pub struct SetupGate {
    code_hash: std::sync::Mutex<Option<String>>,
}

impl SetupGate {
    /// Opens the gate with a fresh code and returns it (for the link).
    pub fn open(&self) -> Result<String, getrandom::Error> {
        let token = crate::auth::SessionToken::generate()?;
        let code = token.expose().trim_start_matches("shr_").to_owned();
        if let Ok(mut slot) = self.code_hash.lock() {
            *slot = Some(crate::auth::hash_token(&code));
        }
        Ok(code)
    }

    pub fn is_open(&self) -> bool {
        self.code_hash.lock().is_ok_and(|s| s.is_some())
    }

    /// Takes the gate if `code` is its code: the set-up that holds it is
    /// the only one running. Give it back ([`SetupGate::release`]) when that
    /// set-up fails, so the person can correct the form and try again.
    pub fn claim(&self, code: &str) -> Option<String> {
        if code.is_empty() || code.len() > 256 {
            return None;
        }
        let hash = crate::auth::hash_token(code.trim());
        let mut slot = self.code_hash.lock().ok()?;
        if slot.as_deref().is_some_and(|h| constant_time_eq(h, &hash)) {
            slot.take()
        } else {
            None
        }
    }

    /// Opens the gate again with the code a failed set-up had claimed.
    pub fn release(&self, claimed: String) {
        if let Ok(mut slot) = self.code_hash.lock() {
            *slot = Some(claimed);
        }
    }
}

fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

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
    /// The first-run set-up link's gate.
    pub setup: Arc<SetupGate>,
    /// Serving HTTPS: plain HTTP from other machines is redirected.
    pub tls_enabled: bool,
    /// The local CA's certificate served at `/showroom-ca.crt`.
    pub tls_ca: Option<PathBuf>,
    /// Reverse proxies whose `X-Forwarded-For`/`-Proto` are believed.
    pub trusted_proxies: Arc<Vec<std::net::IpAddr>>,
    /// The identity of the database's change log, read once.
    log_id: Arc<tokio::sync::OnceCell<u64>>,
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
            setup: Arc::default(),
            tls_enabled: config.tls_cert.is_some(),
            tls_ca: config.tls_ca.clone(),
            trusted_proxies: Arc::new(config.trusted_proxies.clone()),
            log_id: Arc::default(),
        }
    }

    /// The identity of the change log (a restore changes it, with the
    /// server stopped, so it is read once per process).
    pub async fn log_id(&self) -> Result<u64, sqlx::Error> {
        self.log_id
            .get_or_try_init(|| crate::db::log_id(&self.db))
            .await
            .copied()
    }
}
