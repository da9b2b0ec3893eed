//! The server's configuration: one clap struct, every field settable by flag or environment.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

/// The command line: serving (the default) or one of the operator's commands.
#[derive(Clone, Debug, Parser)]
#[command(
    name = "showroom-server",
    version,
    about = "Showroom: the offline-first showroom CRM server",
    after_help = "Without a command it serves. Every option is also an environment variable \
                  (shown in brackets); the commands read the same ones, so they act on the \
                  database the server uses."
)]
pub struct Cli {
    #[command(flatten)]
    pub config: Config,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Clone, Debug, Subcommand)]
pub enum Command {
    /// Serve the app and the API (the default).
    Serve,
    /// Dealers and their users, for scripted installs and for the operator of
    /// a server that hosts several dealers.
    #[command(subcommand)]
    Admin(AdminCommand),
    /// HTTPS on the showroom network without a public name.
    #[command(subcommand)]
    Tls(TlsCommand),
    /// Backups of the SQLite database.
    #[command(subcommand)]
    Backup(BackupCommand),
    /// Replace the SQLite database with a backup (the server must be stopped).
    /// The log gets a new identity, so every device re-sends what it holds.
    Restore {
        /// A backup written by the server (`showroom-YYYYMMDD-HHMMSS.db`).
        file: PathBuf,
    },
    /// After restoring a PostgreSQL dump with pg_restore: give the log a new
    /// identity, so every device re-sends what the restored database lacks.
    MarkRestored,
    /// Check that every stored document holds what its change log holds
    /// (its snapshot, its changes' flags, its lead summary), as a server
    /// opens it. Read-only, safe while a server runs; exits non-zero when
    /// something is damaged.
    Check {
        /// Rewrite each damaged document from its log (stop the server first).
        #[arg(long)]
        repair: bool,
    },
    /// Move to PostgreSQL: copy the SQLite database (DATABASE_URL; the
    /// server must be stopped) into a new, empty PostgreSQL database. The
    /// devices carry on from where they were.
    CopyTo {
        /// `postgres://user@host/db` (created beforehand, empty; the schema
        /// is made here).
        postgres_url: String,
    },
}

#[derive(Clone, Debug, Subcommand)]
pub enum AdminCommand {
    /// Create a dealer and its first admin. Without --password-stdin a
    /// temporary password is printed, to be replaced at the first sign-in.
    CreateDealer {
        #[arg(long)]
        name: String,
        #[arg(long, default_value = "Asia/Shanghai")]
        time_zone: String,
        #[arg(long, default_value = "CNY")]
        currency: String,
        #[arg(long)]
        admin_username: String,
        #[arg(long)]
        admin_name: String,
        /// Read the admin's password from the first line of stdin.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Add a user to a dealer, with a temporary password.
    CreateUser {
        /// The dealer's name or id (`admin list-dealers`).
        #[arg(long)]
        dealer: String,
        #[arg(long)]
        username: String,
        #[arg(long)]
        name: String,
        #[arg(long, value_enum)]
        role: RoleArg,
        /// Read the password from the first line of stdin instead.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Give a user a temporary password and sign out their devices.
    ResetPassword {
        #[arg(long)]
        username: String,
    },
    /// The dealers of this server and how many users each has.
    ListDealers,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum RoleArg {
    Salesperson,
    Manager,
    Admin,
}

#[derive(Clone, Debug, Subcommand)]
pub enum TlsCommand {
    /// Create a local certificate authority (once) and a server certificate
    /// for this machine's names and addresses on the showroom network.
    Init {
        /// Where the CA and the certificate go.
        #[arg(long, default_value = "data/tls")]
        dir: PathBuf,
        /// Extra DNS names (repeat); this machine's own are always included.
        #[arg(long = "name")]
        names: Vec<String>,
        /// Extra IP addresses (repeat); this machine's LAN address is included.
        #[arg(long = "ip")]
        ips: Vec<IpAddr>,
    },
}

#[derive(Clone, Debug, Subcommand)]
pub enum BackupCommand {
    /// Write a backup now (safe while the server runs).
    Now,
}

/// SQLite's `synchronous` setting (in WAL mode).
///
/// The default is FULL: the one file holds the dealer's business on a
/// back-office machine that often has no UPS, a device deletes what the
/// server acknowledged, and the writer commits a group of batches per
/// transaction, so the fsync per commit costs little (docs/BENCHMARKS.md).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum Synchronous {
    /// WAL + NORMAL: a commit survives a crash of the server (kill -9); a
    /// power cut may lose the last commits (never corrupts; devices whose
    /// cursor is then past the log's end start over and re-send).
    Normal,
    /// WAL + FULL: every commit is on disk before it is acknowledged, at
    /// the price of an fsync per transaction.
    #[default]
    Full,
}

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
        default_value = "sqlite://data/showroom.db",
        global = true
    )]
    pub database_url: String,

    /// SQLite durability: `full` (the default: an fsync per commit, nothing
    /// acknowledged is lost to a power cut) or `normal` (safe against a crash
    /// of the server; a power cut may lose the last commits).
    #[arg(
        long,
        env = "SHOWROOM_SQLITE_SYNCHRONOUS",
        value_enum,
        default_value_t,
        global = true
    )]
    pub sqlite_synchronous: Synchronous,

    /// Where SQLite backups go (default: `backups/` beside the database).
    #[arg(long, env = "SHOWROOM_BACKUP_DIR", global = true)]
    pub backup_dir: Option<PathBuf>,

    /// Hours between automatic backups of the SQLite database; 0 turns them off.
    #[arg(long, env = "SHOWROOM_BACKUP_EVERY_HOURS", default_value_t = 24)]
    pub backup_every_hours: u32,

    /// Days a backup is kept (the newest one is always kept).
    #[arg(
        long,
        env = "SHOWROOM_BACKUP_KEEP_DAYS",
        default_value_t = 14,
        global = true
    )]
    pub backup_keep_days: u32,

    /// The server's certificate chain (PEM) for HTTPS; with SHOWROOM_TLS_KEY.
    /// Plain HTTP from other machines is then redirected to HTTPS.
    #[arg(long, env = "SHOWROOM_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,

    /// The private key (PEM) of SHOWROOM_TLS_CERT.
    #[arg(long, env = "SHOWROOM_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,

    /// The local CA's certificate (`tls init` writes it), served at
    /// /showroom-ca.crt for tablets to install.
    #[arg(long, env = "SHOWROOM_TLS_CA")]
    pub tls_ca: Option<PathBuf>,

    /// Reverse proxies (IP addresses, comma-separated) whose X-Forwarded-For
    /// and X-Forwarded-Proto headers are believed. Nobody else's are.
    #[arg(long, env = "SHOWROOM_TRUSTED_PROXIES", value_delimiter = ',')]
    pub trusted_proxies: Vec<IpAddr>,

    /// The address people open (`https://showroom.local:8443`), for the links
    /// the server prints; default: made from the listening address.
    #[arg(long, env = "SHOWROOM_PUBLIC_URL")]
    pub public_url: Option<String>,

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
