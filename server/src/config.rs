//! The server's configuration: one clap struct, every field settable by flag or environment.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Parser;

#[derive(Clone, Debug, Parser)]
#[command(
    name = "showroom-server",
    version,
    about = "Showroom: the offline-first showroom CRM server"
)]
pub struct Config {
    /// Address to listen on; port 0 picks a free port (the chosen one is printed).
    #[arg(long, env = "SHOWROOM_ADDR", default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,

    /// `sqlite://path/to/file.db` (created if missing) or `postgres://user@host/db`.
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "sqlite://data/showroom.db"
    )]
    pub database_url: String,

    /// The built PWA (`cargo xtask build` writes it to `dist/`).
    #[arg(long, env = "SHOWROOM_STATIC_DIR", default_value = "dist")]
    pub static_dir: PathBuf,

    /// Seed the demo dealers and users when the database has no dealer yet.
    #[arg(long, env = "SHOWROOM_SEED_DEMO", value_parser = clap::builder::BoolishValueParser::new(),
          default_value_t = false, num_args = 0..=1, default_missing_value = "true")]
    pub seed_demo: bool,

    /// With the demo data: a month of the demo dealer's work (leads, visits,
    /// test drives, quotes, follow-ups, a lost request). Off leaves the demo
    /// dealers empty (the end-to-end tests start from there).
    #[arg(long, env = "SHOWROOM_DEMO_MONTH", value_parser = clap::builder::BoolishValueParser::new(),
          default_value_t = true, num_args = 0..=1, default_missing_value = "true")]
    pub demo_month: bool,

    /// A session unused for this many days expires.
    #[arg(long, env = "SHOWROOM_SESSION_IDLE_DAYS", default_value_t = 30)]
    pub session_idle_days: u32,

    /// Seconds an API request may take before it is answered with a timeout error.
    #[arg(long, env = "SHOWROOM_REQUEST_TIMEOUT_SECS", default_value_t = 30)]
    pub request_timeout_secs: u64,

    /// Sync documents the server keeps open in memory between batches (the
    /// most recently written); the others are opened from their snapshot.
    #[arg(long, env = "SHOWROOM_DOC_CACHE", default_value_t = 4096)]
    pub doc_cache: usize,

    /// Milliseconds a sync connection may take to say Hello before it is closed.
    #[arg(long, env = "SHOWROOM_SYNC_HELLO_TIMEOUT_MS", default_value_t = 10_000)]
    pub sync_hello_timeout_ms: u64,
}
