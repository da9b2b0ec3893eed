//! Showroom's server: accounts and sessions over an HTTP API, storage in
//! SQLite or PostgreSQL, and the built PWA served with an SPA fallback.
//!
//! `main.rs` only parses [`config::Config`] and calls [`run`]; tests build the
//! router with [`app`] and drive it in-process.

pub mod auth;
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
}

/// Opens the database, seeds demo data if asked, listens, and serves until
/// SIGINT or SIGTERM, then finishes the requests in flight and closes the database.
pub async fn run(config: config::Config) -> Result<(), RunError> {
    let db = db::Db::connect(&config.database_url).await?;
    tracing::info!(backend = db.backend(), "database ready");
    let clock = clock::Clock::system();
    let seeded = config.seed_demo && demo::seed_if_empty(&db, &clock).await?;
    if !config.static_dir.join("index.html").is_file() {
        tracing::warn!(
            dir = %config.static_dir.display(),
            "no built app found: run `cargo xtask build` (the API works without it)"
        );
    }
    let listener = TcpListener::bind(config.addr)
        .await
        .map_err(|source| RunError::Bind {
            addr: config.addr,
            source,
        })?;
    let addr = listener.local_addr().map_err(RunError::Serve)?;
    let state = AppState::new(db.clone(), clock, &config);
    let created = dealer_doc::ensure_all(&state, demo::catalogue).await?;
    if created > 0 {
        tracing::info!(
            created,
            "created the dealers' catalogue and settings documents"
        );
    }
    if seeded && config.demo_month {
        let leads = demo_month::seed_demo_motors(&state).await?;
        tracing::info!(leads, "seeded the demo dealer's month");
    }
    {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "Showroom listening on http://{addr}");
        if config.seed_demo {
            let _ = writeln!(out, "{}", demo::LOGINS_TEXT);
        }
        let _ = out.flush();
    }
    serve(listener, app(state), shutdown_signal())
        .await
        .map_err(RunError::Serve)?;
    tracing::info!("shutting down");
    db.close().await;
    Ok(())
}

/// Serves `router` on `listener` until `shutdown` completes. Nagle's
/// algorithm is off: sync answers are small messages that must not wait ~40 ms
/// for the peer's delayed ACK. Each request carries its TCP peer address
/// (`ConnectInfo<SocketAddr>`), which the login throttle counts by.
pub async fn serve(
    listener: TcpListener,
    router: axum::Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    use axum::serve::ListenerExt;
    let listener = listener.tap_io(|tcp| {
        if let Err(err) = tcp.set_nodelay(true) {
            tracing::debug!(%err, "cannot turn off Nagle's algorithm");
        }
    });
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
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
