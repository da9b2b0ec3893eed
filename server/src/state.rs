//! What every request handler shares.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::auth::LoginThrottle;
use crate::clock::Clock;
use crate::config::Config;
use crate::db::Db;
use crate::hub::Hub;

#[derive(Clone, Debug)]
pub struct AppState {
    pub db: Db,
    pub clock: Clock,
    pub throttle: Arc<LoginThrottle>,
    pub hub: Arc<Hub>,
    pub session_idle_ms: i64,
    pub request_timeout: Duration,
    pub static_dir: PathBuf,
}

impl AppState {
    pub fn new(db: Db, clock: Clock, config: &Config) -> Self {
        AppState {
            db,
            clock,
            throttle: Arc::new(LoginThrottle::default()),
            hub: Arc::new(Hub::default()),
            session_idle_ms: i64::from(config.session_idle_days) * 24 * 60 * 60 * 1000,
            request_timeout: Duration::from_secs(config.request_timeout_secs),
            static_dir: config.static_dir.clone(),
        }
    }
}
