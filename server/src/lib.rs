//! Showroom's server: accounts and sessions over an HTTP API, storage in
//! SQLite or PostgreSQL, and the built PWA served with an SPA fallback.
//!
//! `main.rs` only parses [`config::Config`] and calls [`run`]; tests build the
//! router with [`app`] and drive it in-process.

pub mod admin;
pub mod auth;
pub mod backup;
pub mod check;
pub mod clock;
pub mod cluster;
pub mod config;
pub mod db;
pub mod dealer_doc;
pub mod demo;
pub mod demo_month;
pub mod http;
pub mod hub;
pub mod state;
pub mod tls;
pub mod writer;

use std::io::Write;

use tokio::net::TcpListener;
use tracing_subscriber::EnvFilter;

pub use http::app;
pub use state::AppState;

/// Logs to stderr; `RUST_LOG` overrides the default filter.
pub fn init_tracing() {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_http=info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Db(#[from] db::DbError),
    #[error("seeding the demo data: {0}")]
    Seed(#[from] demo::SeedError),
    #[error("creating the dealers' documents: {0}")]
    DealerDoc(#[from] dealer_doc::EnsureError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: std::net::SocketAddr,
        source: std::io::Error,
    },
    #[error("server: {0}")]
    Serve(std::io::Error),
    #[error("{0}")]
    Tls(#[from] tls::TlsError),
    #[error("{0}")]
    Backup(#[from] backup::BackupError),
    #[error("{0}")]
    Admin(#[from] admin::AdminError),
    #[error("{0}")]
    Usage(String),
    #[error("storage check: {0}")]
    Check(#[from] check::CheckError),
}

/// Runs what the command line asks: serving (the default) or a command.
pub async fn main(cli: config::Cli) -> Result<(), RunError> {
    use config::{AdminCommand, BackupCommand, Command, TlsCommand};
    let config = cli.config;
    match cli.command {
        None | Some(Command::Serve) => run(config).await,
        Some(Command::Admin(cmd)) => {
            let (state, db) = command_state(&config).await?;
            let result = match cmd {
                AdminCommand::CreateDealer {
                    name,
                    time_zone,
                    currency,
                    admin_username,
                    admin_name,
                    password_stdin,
                } => {
                    let password = stdin_password(password_stdin)?;
                    let new = admin::NewDealer {
                        name,
                        time_zone,
                        currency,
                        admin_username,
                        admin_display_name: admin_name,
                        admin_password: password,
                    };
                    admin::create_dealer(&state, &new, false)
                        .await
                        .map(|c| print_created("dealer and admin", &c))
                }
                AdminCommand::CreateUser {
                    dealer,
                    username,
                    name,
                    role,
                    password_stdin,
                } => {
                    let password = stdin_password(password_stdin)?;
                    match find_dealer(&db, &dealer).await {
                        Ok(id) => admin::create_user(
                            &state,
                            id,
                            &username,
                            &name,
                            role.into(),
                            password.as_deref(),
                        )
                        .await
                        .map(|c| print_created("user", &c)),
                        Err(e) => Err(e),
                    }
                }
                AdminCommand::ResetPassword { username } => {
                    let name = username.trim().to_ascii_lowercase();
                    match db::find_user_for_login(&db, &name).await {
                        Ok(Some(user)) => admin::reset_password(&state, user.dealer_id, user.id)
                            .await
                            .map(|temp| {
                                println!(
                                    "Password of {name} reset; every device of theirs is signed out.\n\
                                     Temporary password (shown once; they choose their own at the next sign-in):\n  {temp}"
                                );
                            }),
                        Ok(None) => Err(admin::AdminError::NoUser(name)),
                        Err(e) => Err(e.into()),
                    }
                }
                AdminCommand::ListDealers => db::list_dealers(&db)
                    .await
                    .map(|dealers| {
                        for d in dealers {
                            println!("{}  {}  ({} users)", d.id, d.name, d.users);
                        }
                    })
                    .map_err(Into::into),
            };
            // Let the writer finish before the database closes.
            drop(state);
            db.close().await;
            Ok(result?)
        }
        Some(Command::Tls(TlsCommand::Init { dir, names, ips })) => {
            // The names given first, then this machine's, `localhost` last:
            // the CA is named after the first ("Showroom local CA (showroom.local)"),
            // which is what a tablet shows when asked to trust it.
            let (lan, mut all_ips) = tls::lan_names();
            let mut all_names: Vec<String> = Vec::new();
            let (local, others): (Vec<String>, Vec<String>) =
                lan.into_iter().partition(|n| n == "localhost");
            for n in names.into_iter().chain(others).chain(local) {
                if !all_names.contains(&n) {
                    all_names.push(n);
                }
            }
            for ip in ips {
                if !all_ips.contains(&ip) {
                    all_ips.push(ip);
                }
            }
            let report = tls::init(&tls::InitOptions {
                dir,
                names: all_names,
                ips: all_ips,
            })?;
            print_tls_report(&report);
            Ok(())
        }
        Some(Command::Backup(BackupCommand::Now)) => {
            let file =
                backup::sqlite_path(&config.database_url).ok_or(backup::BackupError::NotSqlite)?;
            let db = db::Db::connect(&config.database_url).await?;
            let dir = backup::folder(config.backup_dir.as_deref(), &file);
            let written =
                backup::write(&db, &dir, &clock::Clock::system(), config.backup_keep_days).await;
            db.close().await;
            let written = written?;
            println!(
                "Backup written: {} ({} bytes); {} older backup(s) removed.",
                written.path.display(),
                written.bytes,
                written.removed
            );
            Ok(())
        }
        Some(Command::Restore { file }) => {
            let restored =
                backup::restore(&config.database_url, &file, &clock::Clock::system()).await?;
            println!(
                "Restored {} from {}.",
                restored.database.display(),
                file.display()
            );
            if let Some(previous) = restored.previous {
                println!(
                    "The database it replaced is kept as {}.",
                    previous.display()
                );
            }
            println!(
                "The change log has a new identity: each device re-sends what it holds when it next connects.\n\
                 Start the server again."
            );
            Ok(())
        }
        Some(Command::CopyTo { postgres_url }) => {
            let file = backup::sqlite_path(&config.database_url).ok_or_else(|| {
                RunError::Usage(
                    "copy-to copies from SQLite: DATABASE_URL must be sqlite://…".into(),
                )
            })?;
            if !(postgres_url.starts_with("postgres:") || postgres_url.starts_with("postgresql:")) {
                return Err(RunError::Usage(
                    "copy-to copies into PostgreSQL: give a postgres://… URL".into(),
                ));
            }
            // No server may write while the copy runs.
            let _lock = backup::lock(&file)?;
            let from = db::Db::connect(&config.database_url).await?;
            let to = db::Db::connect(&postgres_url).await?;
            let result = match (&from, &to) {
                (db::Db::Sqlite(f), db::Db::Postgres(t)) => db::copy::sqlite_to_postgres(f, t)
                    .await
                    .map_err(|e| RunError::Usage(e.to_string())),
                _ => Err(RunError::Usage(
                    "copy-to copies from SQLite into PostgreSQL".into(),
                )),
            };
            from.close().await;
            to.close().await;
            let c = result?;
            println!(
                "Copied {} dealers, {} users, {} sessions, {} documents, {} changes and {} lead summaries.\n\
                 Set DATABASE_URL to the PostgreSQL URL and start the server; the devices carry on where they were.\n\
                 The SQLite file is left as it was.",
                c.dealers, c.users, c.sessions, c.documents, c.changes, c.summaries
            );
            Ok(())
        }
        Some(Command::Check { repair }) => {
            // A repair rewrites documents: no server may write them meanwhile.
            let sqlite_file = backup::sqlite_path(&config.database_url);
            let _lock = if repair {
                sqlite_file.as_deref().map(backup::lock).transpose()?
            } else {
                None
            };
            let db = db::Db::connect(&config.database_url).await?;
            let report = check::run(&db, repair).await;
            db.close().await;
            let report = report?;
            for f in &report.findings {
                println!("{f}");
            }
            println!(
                "Checked {} documents of {} dealers: {} damaged, {} repaired.",
                report.documents,
                report.dealers,
                report.findings.len(),
                report.repaired()
            );
            if report.unrepaired() > 0 {
                return Err(RunError::Usage(if repair {
                    "some documents could not be repaired (see above)".to_owned()
                } else {
                    "damaged documents found: stop the server and run `showroom-server check --repair` \
                     (a server also repairs them when it starts on a database it has not checked)"
                        .to_owned()
                }));
            }
            Ok(())
        }
        Some(Command::MarkRestored) => {
            let db = db::Db::connect(&config.database_url).await?;
            let id = backup::new_log_id()?;
            let done = db::set_log_id(&db, id).await;
            db.close().await;
            done.map_err(db::DbError::from)?;
            println!(
                "The change log has a new identity: each device re-sends what it holds when it next connects."
            );
            Ok(())
        }
    }
}

/// The state a command works through (the sync writer writes a new dealer's
/// document), on the database the server uses.
async fn command_state(config: &config::Config) -> Result<(AppState, db::Db), RunError> {
    let db = db::Db::connect_with(&config.database_url, config.sqlite_synchronous).await?;
    let state = AppState::new(db.clone(), clock::Clock::system(), config);
    Ok((state, db))
}

fn stdin_password(read: bool) -> Result<Option<String>, RunError> {
    if !read {
        return Ok(None);
    }
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .map_err(|e| RunError::Usage(format!("cannot read the password from stdin: {e}")))?;
    let line = line.trim_end_matches(['\r', '\n']).to_owned();
    Ok(Some(line))
}

async fn find_dealer(
    db: &db::Db,
    name_or_id: &str,
) -> Result<showroom_shared::domain::DealerId, admin::AdminError> {
    let dealers = db::list_dealers(db).await?;
    let wanted = name_or_id.trim();
    let matches: Vec<_> = dealers
        .iter()
        .filter(|d| d.id.to_string() == wanted || d.name == wanted)
        .collect();
    match matches.as_slice() {
        [one] => Ok(one.id),
        [] => Err(admin::AdminError::NoDealer(wanted.to_owned())),
        _ => Err(admin::AdminError::Invalid(format!(
            "several dealers are called {wanted:?}: give the id (admin list-dealers)"
        ))),
    }
}

fn print_created(what: &str, c: &admin::Created) {
    println!(
        "Created the {what}: {} (dealer {}, user {}).",
        c.username, c.dealer, c.user
    );
    if let Some(temp) = &c.temporary_password {
        println!(
            "Temporary password (shown once; they choose their own at the first sign-in):\n  {temp}"
        );
    }
}

fn print_tls_report(r: &tls::InitReport) {
    println!(
        "{} the local certificate authority: {}",
        if r.ca_created { "Created" } else { "Reused" },
        r.ca_cert.display()
    );
    println!("  SHA-256 fingerprint: {}", r.ca_sha256);
    println!(
        "Server certificate: {} (valid until {})",
        r.server_cert.display(),
        r.not_after
    );
    let names: Vec<String> = r
        .names
        .iter()
        .cloned()
        .chain(r.ips.iter().map(ToString::to_string))
        .collect();
    println!("  for: {}", names.join(", "));
    println!("Serve HTTPS with:");
    println!("  SHOWROOM_TLS_CERT={}", r.server_cert.display());
    println!("  SHOWROOM_TLS_KEY={}", r.server_key.display());
    println!("  SHOWROOM_TLS_CA={}", r.ca_cert.display());
    println!(
        "Then install the CA on each tablet: open http://<this machine>:<port>/showroom-ca.crt \
         and follow docs/DEPLOY.md (iPad: Settings → General → About → Certificate Trust Settings)."
    );
}

impl From<config::RoleArg> for showroom_shared::domain::Role {
    fn from(r: config::RoleArg) -> Self {
        match r {
            config::RoleArg::Salesperson => Self::Salesperson,
            config::RoleArg::Manager => Self::Manager,
            config::RoleArg::Admin => Self::Admin,
        }
    }
}

/// Opens the database, seeds demo data if asked, listens, and serves until
/// SIGINT or SIGTERM, then finishes the requests in flight and closes the database.
pub async fn run(config: config::Config) -> Result<(), RunError> {
    // One server per SQLite file: a second one (or a restore) is refused.
    let sqlite_file = backup::sqlite_path(&config.database_url);
    let _lock = sqlite_file.as_deref().map(backup::lock).transpose()?;
    let db = db::Db::connect_with(&config.database_url, config.sqlite_synchronous).await?;
    tracing::info!(
        backend = db.backend(),
        synchronous = ?config.sqlite_synchronous,
        "database ready"
    );
    // Before anything is written: a database that has not been through this
    // version's storage check is checked, and repaired from its log, once.
    check::at_startup(&db).await?;
    let clock = clock::Clock::system();
    let seeded = config.seed_demo && demo::seed_if_empty(&db, &clock).await?;
    if !config.static_dir.join("index.html").is_file() {
        tracing::warn!(
            dir = %config.static_dir.display(),
            "no built app found: run `cargo xtask build` (the API works without it)"
        );
    }
    let tls_config = match (&config.tls_cert, &config.tls_key) {
        (Some(cert), Some(key)) => Some(tls::load_server_config(cert, key)?),
        _ => None,
    };
    let listener = TcpListener::bind(config.addr)
        .await
        .map_err(|source| RunError::Bind {
            addr: config.addr,
            source,
        })?;
    let addr = listener.local_addr().map_err(RunError::Serve)?;
    let state = AppState::new(db.clone(), clock.clone(), &config);
    let created = dealer_doc::ensure_all(&state, demo::catalogue).await?;
    if created > 0 {
        tracing::info!(
            created,
            "created the dealers' catalogue and settings documents"
        );
    }
    // Collisions found just before the server last stopped, not yet
    // written into their leads.
    let pending = writer::record_unrecorded(&state.db, &state.writer)
        .await
        .map_err(db::DbError::from)?;
    if pending > 0 {
        tracing::info!(pending, "writing collisions found before the last stop");
    }
    // Pool leads nobody claimed in time go to the next salesperson on the
    // floor, where the dealer's rule says so: looked at every minute.
    {
        let (db, writer, clock) = (state.db.clone(), state.writer.clone(), state.clock.clone());
        tokio::spawn(async move {
            let mut every = tokio::time::interval(std::time::Duration::from_secs(60));
            loop {
                every.tick().await;
                if let Err(e) = writer::sweep_unclaimed(&db, &writer, clock.now()).await {
                    tracing::warn!(%e, "could not look at the pool's unclaimed leads");
                }
            }
        });
    }
    if seeded && config.demo_month {
        let leads = demo_month::seed_demo_motors(&state).await?;
        tracing::info!(leads, "seeded the demo dealer's month");
    }
    if let (Some(file), true) = (&sqlite_file, config.backup_every_hours > 0) {
        let dir = backup::folder(config.backup_dir.as_deref(), file);
        let every = std::time::Duration::from_secs(u64::from(config.backup_every_hours) * 3600);
        tracing::info!(dir = %dir.display(), hours = config.backup_every_hours, keep_days = config.backup_keep_days, "backups scheduled");
        backup::schedule(
            db.clone(),
            dir,
            clock.clone(),
            every,
            config.backup_keep_days,
        );
    }
    let scheme = if tls_config.is_some() {
        "https"
    } else {
        "http"
    };
    let base = config
        .public_url
        .clone()
        .unwrap_or_else(|| format!("{scheme}://{}", printable(addr)));
    let setup_code = if db::count_dealers(&db).await.map_err(db::DbError::from)? == 0 {
        Some(
            state
                .setup
                .open()
                .map_err(|e| RunError::Usage(format!("no randomness: {e}")))?,
        )
    } else {
        None
    };
    if tls_config.is_none() && !addr.ip().is_loopback() {
        tracing::warn!(
            %addr,
            "serving plain HTTP beyond this machine: tablets will not install the app or work offline \
             (a service worker needs HTTPS off loopback). Run `showroom-server tls init` or put a \
             reverse proxy with TLS in front (docs/DEPLOY.md)."
        );
    }
    {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "Showroom listening on {scheme}://{addr}");
        if config.seed_demo {
            let _ = writeln!(out, "{}", demo::LOGINS_TEXT);
        }
        if let Some(code) = &setup_code {
            let _ = writeln!(
                out,
                "This server has no dealer yet. Open the set-up link (one-time) to create yours:\n  {base}/setup#{code}\n\
                 (or use `showroom-server admin create-dealer`; see docs/DEPLOY.md)"
            );
        }
        let _ = out.flush();
    }
    let router = app(state);
    match tls_config {
        Some(tls) => {
            serve(
                tls::DualListener::new(listener, tls),
                router,
                shutdown_signal(),
            )
            .await
        }
        None => serve(tls::PlainListener(listener), router, shutdown_signal()).await,
    }
    .map_err(RunError::Serve)?;
    tracing::info!("shutting down");
    db.close().await;
    Ok(())
}

/// The listening address as a person would type it: an unspecified address
/// (`0.0.0.0`) becomes this machine's LAN address.
fn printable(addr: std::net::SocketAddr) -> String {
    if addr.ip().is_unspecified() {
        let (names, ips) = tls::lan_names();
        let host = ips
            .iter()
            .find(|ip| ip.is_ipv4() && !ip.is_loopback())
            .map(ToString::to_string)
            .or_else(|| names.into_iter().find(|n| n != "localhost"))
            .unwrap_or_else(|| "localhost".to_owned());
        return format!("{host}:{}", addr.port());
    }
    addr.to_string()
}

/// Serves `router` on `listener` until `shutdown` completes. The listeners
/// turn off Nagle's algorithm: sync answers are small messages that must not
/// wait ~40 ms for the peer's delayed ACK. Each request carries its
/// connection's [`tls::Peer`] (address, TLS or not), which the login throttle
/// counts by and the security headers read.
pub async fn serve<L: tls::PeerListener>(
    listener: L,
    router: axum::Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<tls::Peer>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(err) = tokio::signal::ctrl_c().await {
            tracing::error!(%err, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(err) => {
                tracing::error!(%err, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
