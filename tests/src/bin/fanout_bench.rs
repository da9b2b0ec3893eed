//! The fan-out benchmark behind `cargo xtask bench sync` (it runs after
//! sync-bench): many devices of one dealer online at once, some of them
//! pushing, against the real server binary in a child process.
//!
//! Per backend (SQLite, and PostgreSQL when given a cluster):
//! 1. sessions are created directly in the database (one per socket, so every
//!    socket is its own device; logging in 2,200 times would spend ~100 s in
//!    argon2), then `showroom-server` starts on that database;
//! 2. `--idle` sockets connect, say Hello and read their first `Changes` page
//!    (complete), then `--active` ones do the same. Memory per socket is the
//!    growth of the server's VmRSS over that, divided by the sockets;
//! 3. each active device pushes `--pushes` single-lead batches (one new lead,
//!    then one edit per push), one every `--min-interval-ms`..`--max-interval-ms`
//!    (jittered, open loop: a device does not wait for its ack to push again).
//!    Measured: ack latency (push sent → its `Ack`), delivery latency (push
//!    sent → the change in a `Changes` message at each of `--observers` idle
//!    sockets, matched by the change's bytes), throughput, and `GET /api/v1/me`
//!    latency sampled during the load.
//!
//! Multi-instance (PostgreSQL only): two server processes on one fresh
//! database; devices on each; server 1's devices push while devices on both
//! servers watch, then server 2's. A change that has not arrived within
//! `--timeout-secs` counts as "not delivered" (cross-instance delivery needs
//! LISTEN/NOTIFY between the processes).

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use clap::Parser;
use futures_util::{SinkExt, StreamExt};
use showroom_server::auth::SessionToken;
use showroom_server::clock::Clock;
use showroom_server::db::{self, Db, NewSession};
use showroom_server::demo;
use showroom_shared::api::paths;
use showroom_shared::doc::{LeadDoc, actor_from_bytes};
use showroom_shared::domain::{DealerId, DeviceId, Grade, Lead, LeadId, Stage, UserId};
use showroom_shared::sync::{ClientMsg, DocChanges, PROTOCOL_VERSION, ServerMsg};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{Semaphore, oneshot, watch};
use tokio::task::JoinSet;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use uuid::Uuid;

#[derive(Parser, Debug, Clone)]
#[command(about = "Measure live fan-out: many sockets of one dealer, some pushing")]
struct Args {
    /// Sockets that only listen.
    #[arg(long, default_value_t = 2000)]
    idle: usize,
    /// Sockets that push.
    #[arg(long, default_value_t = 200)]
    active: usize,
    /// Pushes per active socket (the first creates a lead, the others edit it).
    #[arg(long, default_value_t = 20)]
    pushes: usize,
    /// Idle sockets whose arrivals are timed (delivery latency).
    #[arg(long, default_value_t = 20)]
    observers: usize,
    /// Shortest pause between two pushes of one device.
    #[arg(long, default_value_t = 50)]
    min_interval_ms: u64,
    /// Longest pause between two pushes of one device.
    #[arg(long, default_value_t = 100)]
    max_interval_ms: u64,
    /// Multi-instance: a change not delivered within this long counts as "not delivered".
    #[arg(long, default_value_t = 5)]
    timeout_secs: u64,
    /// Fan-out: how long after its last push a device waits for its acks, and
    /// the observers for the last changes, before they count as lost.
    #[arg(long, default_value_t = 60)]
    drain_secs: u64,
    /// Multi-instance: pushing devices per server.
    #[arg(long, default_value_t = 20)]
    multi_active: usize,
    /// Multi-instance: observing devices per server.
    #[arg(long, default_value_t = 10)]
    multi_observers: usize,
    /// Skip the fan-out on SQLite.
    #[arg(long)]
    no_sqlite: bool,
    /// Skip the multi-instance measurement.
    #[arg(long)]
    no_multi: bool,
    /// The server binary (default: `showroom-server` next to this binary).
    #[arg(long)]
    server_bin: Option<PathBuf>,
    /// An admin URL of a PostgreSQL cluster to also measure on (fresh databases are created).
    #[arg(long, env = "SHOWROOM_BENCH_PG_URL")]
    postgres: Option<String>,
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;
type Ws = WebSocketStream<TcpStream>;

fn main() -> std::process::ExitCode {
    let args = Args::parse();
    // Two workers: the server runs beside us on the same cores.
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("fanout-bench: cannot start a runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(args)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("fanout-bench: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<(), BoxError> {
    if args.min_interval_ms > args.max_interval_ms {
        return Err("--min-interval-ms is larger than --max-interval-ms".into());
    }
    let observers = args.observers.min(args.idle);
    let server_bin = match &args.server_bin {
        Some(p) => p.clone(),
        None => std::env::current_exe()?
            .parent()
            .ok_or("this binary has no directory")?
            .join("showroom-server"),
    };
    if !server_bin.is_file() {
        return Err(format!(
            "no server binary at {} (build it: cargo build --release -p showroom-server, or pass --server-bin)",
            server_bin.display()
        )
        .into());
    }
    // Client and server each hold one descriptor per socket, plus some slack.
    ensure_open_files(
        args.idle + args.active + 2 * (args.multi_active + args.multi_observers) + 256,
    )?;

    let dir = std::env::temp_dir().join(format!("showroom-fanout-{}", Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir)?;
    println!(
        "# Fan-out benchmark: {} idle + {} active sockets of one dealer, {} pushes per active socket every {}–{} ms\n",
        args.idle, args.active, args.pushes, args.min_interval_ms, args.max_interval_ms
    );
    let mut failures = Vec::new();
    if !args.no_sqlite {
        let url = format!("sqlite://{}", dir.join("fanout.db").display());
        if let Err(e) = fanout(&args, "SQLite", &url, &server_bin, observers).await {
            println!("**SQLite fan-out failed:** {e}\n");
            failures.push(format!("SQLite fan-out: {e}"));
        }
    }
    match &args.postgres {
        Some(admin) => {
            match fresh_pg_database(admin).await {
                Ok((url, name)) => {
                    if let Err(e) = fanout(&args, "PostgreSQL", &url, &server_bin, observers).await
                    {
                        println!("**PostgreSQL fan-out failed:** {e}\n");
                        failures.push(format!("PostgreSQL fan-out: {e}"));
                    }
                    drop_pg_database(admin, &name).await;
                }
                Err(e) => failures.push(format!("creating a PostgreSQL database: {e}")),
            }
            if !args.no_multi {
                match fresh_pg_database(admin).await {
                    Ok((url, name)) => {
                        if let Err(e) = multi_instance(&args, &url, &server_bin).await {
                            println!("**Multi-instance measurement failed:** {e}\n");
                            failures.push(format!("multi-instance: {e}"));
                        }
                        drop_pg_database(admin, &name).await;
                    }
                    Err(e) => failures.push(format!("creating a PostgreSQL database: {e}")),
                }
            }
        }
        None => println!(
            "PostgreSQL and multi-instance figures skipped: no cluster (set SHOWROOM_BENCH_PG_URL or run `cargo xtask bench sync`).\n"
        ),
    }
    let _ = std::fs::remove_dir_all(&dir);
    if failures.is_empty() {
        Ok(())
    } else {
        Err(failures.join("; ").into())
    }
}

// ---------------------------------------------------------------- fan-out

async fn fanout(
    args: &Args,
    name: &str,
    url: &str,
    server_bin: &Path,
    observers: usize,
) -> Result<(), BoxError> {
    let sockets = args.idle + args.active;
    let fx = prepare_db(url, sockets + 1)
        .await
        .map_err(|e| format!("preparing the database: {e}"))?;
    let server = ServerProc::start(server_bin, url, "server")?;
    let addr = server.addr;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let rss_before = server.rss_kib()?;
    let me_token = fx.sessions[sockets].token.clone();
    let me_idle = sample_me(addr, &me_token, 20, Duration::from_millis(20)).await;

    // Phase 1: idle sockets, each with its own reader task (they must keep
    // reading: every push fans out to them).
    let (stop_tx, stop_rx) = watch::channel(false);
    let opening = Instant::now();
    let received = Arc::new(AtomicU64::new(0));
    let (idle_tasks, observer_logs) = open_idle(
        addr,
        &fx.sessions[..args.idle],
        observers,
        stop_rx.clone(),
        1,
        received.clone(),
    )
    .await
    .map_err(|e| format!("opening the idle sockets: {e}"))?;
    let idle_open = opening.elapsed();
    let opening = Instant::now();
    let active_ws = open_many(addr, &fx.sessions[args.idle..sockets])
        .await
        .map_err(|e| format!("opening the active sockets: {e}"))?;
    let active_open = opening.elapsed();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let rss_open = server.rss_kib()?;

    // Phase 2: the active devices push.
    let plans = make_plans(&fx, &fx.sessions[args.idle..sockets], args.pushes)?;
    let groups: HashMap<u64, usize> = plans
        .iter()
        .flat_map(|p| p.pushes.iter().flatten().map(|c| (key(c), 0)))
        .collect();
    let expected = groups.len();
    for o in &observer_logs {
        o.expect(Arc::new(groups.clone()), 1);
    }
    let cpu0 = (server.cpu_secs(), cpu_secs("self"));
    let received0 = received.load(Ordering::Relaxed);
    let load_started = Instant::now();
    let drain = Duration::from_secs(args.drain_secs);
    let load = PushLoad::start(active_ws, plans, drain, args, stop_rx.clone());
    let me_stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let me_task = tokio::spawn(sample_me_until(addr, me_token.clone(), me_stop.clone()));
    let mut pushed = load.results().await;
    wait_delivered(&observer_logs, 0, expected, pushed.last_event() + drain).await;
    let load_wall = load_started.elapsed();
    let cpu1 = (server.cpu_secs(), cpu_secs("self"));
    let received_bytes = received.load(Ordering::Relaxed) - received0;
    me_stop.store(true, Ordering::Relaxed);
    let me_load = me_task.await.unwrap_or_default();
    let rss_after = server.rss_kib()?;
    let hwm = server.hwm_kib()?;

    let _ = stop_tx.send(true);
    let sent = pushed.sent_by_key();
    let mut dropped = Vec::new();
    for t in [idle_tasks, std::mem::take(&mut pushed.tasks)] {
        dropped.extend(collect_drops(t).await);
    }
    let arrivals: Vec<Vec<(u64, Instant)>> = observer_logs.iter().map(|o| o.take()).collect();
    let log_lines = server.stop();

    // Figures.
    let (delivery, lost) = deliveries(&sent, &arrivals, drain);
    let acked_changes: usize = pushed.devices.iter().map(|d| d.changes_acked).sum();
    let span = pushed.span();
    println!(
        "## {name}: fan-out to {sockets} sockets of one dealer ({} idle, {} active)\n",
        args.idle, args.active
    );
    println!("| what | figure |");
    println!("|---|---:|");
    println!(
        "| {} idle sockets open and authenticated (Hello → first page, 64 at a time) | {:.2} s ({:.0}/s) |",
        args.idle,
        idle_open.as_secs_f64(),
        args.idle as f64 / idle_open.as_secs_f64().max(1e-9)
    );
    println!(
        "| {} active sockets open and authenticated | {:.2} s |",
        args.active,
        active_open.as_secs_f64()
    );
    println!("| server RSS before the sockets | {} |", mib(rss_before));
    println!(
        "| server RSS with {sockets} sockets open | {} |",
        mib(rss_open)
    );
    println!(
        "| **memory per socket** | **{:.1} KiB** |",
        (rss_open as f64 - rss_before as f64) / sockets.max(1) as f64
    );
    println!(
        "| server RSS after the load / peak (VmHWM) | {} / {} |",
        mib(rss_after),
        mib(hwm)
    );
    println!(
        "| pushes sent / acked / refused | {} / {} / {} |",
        pushed.pushes_sent(),
        pushed.acks().len(),
        pushed
            .devices
            .iter()
            .map(|d| d.refused.len())
            .sum::<usize>()
    );
    println!(
        "| throughput (changes acked ÷ first push to last ack) | {:.0} changes/s over {:.2} s |",
        acked_changes as f64 / span.as_secs_f64().max(1e-9),
        span.as_secs_f64()
    );
    println!(
        "| deliveries timed ({} observers × {expected} changes) / not delivered within {} s of the last ack | {} / {} |",
        observer_logs.len(),
        args.drain_secs,
        delivery.len(),
        lost
    );
    println!(
        "| bytes read by the other {} idle sockets during the load | {:.1} MB ({:.1} MB/s) |",
        args.idle - observer_logs.len(),
        received_bytes as f64 / 1e6,
        received_bytes as f64 / 1e6 / load_wall.as_secs_f64().max(1e-9)
    );
    println!(
        "| CPU time during the load ({:.2} s wall, 2 cores): server / this benchmark's clients | {} / {} |",
        load_wall.as_secs_f64(),
        cpu_delta(cpu0.0, cpu1.0),
        cpu_delta(cpu0.1, cpu1.1)
    );
    println!();
    println!("| latency | samples | p50 | p95 | p99 | max | ≤ 250 ms |");
    println!("|---|---:|---:|---:|---:|---:|---:|");
    latency_row("ack (push sent → its Ack)", &pushed.acks());
    latency_row(
        &format!(
            "delivery (push sent → Changes at {} other online devices)",
            observer_logs.len()
        ),
        &delivery,
    );
    latency_row("GET /api/v1/me, before the load", &me_idle.0);
    latency_row("GET /api/v1/me, during the load", &me_load.0);
    println!();
    let me_errors = me_idle.1 + me_load.1;
    let mut notes = Vec::new();
    for d in &pushed.devices {
        if let Some(e) = &d.error {
            notes.push(format!("an active device failed: {e}"));
        }
        if d.unacked > 0 {
            notes.push(format!(
                "an active device had {} pushes unacknowledged {} s after its last push",
                d.unacked, args.drain_secs
            ));
        }
        notes.extend(d.refused.iter().map(|r| format!("refused: {r}")));
    }
    notes.extend(dropped);
    if me_errors > 0 {
        notes.push(format!("{me_errors} GET /api/v1/me requests failed"));
    }
    for (kind, n) in log_lines {
        notes.push(format!("the server logged {n} × `{kind}`"));
    }
    print_notes(&notes);
    Ok(())
}

fn print_notes(notes: &[String]) {
    if notes.is_empty() {
        println!("No socket dropped, no push refused, no server warnings.\n");
        return;
    }
    let mut counted: Vec<(String, usize)> = Vec::new();
    for n in notes {
        match counted.iter_mut().find(|(m, _)| m == n) {
            Some((_, c)) => *c += 1,
            None => counted.push((n.clone(), 1)),
        }
    }
    println!("Problems seen:\n");
    for (n, c) in counted.iter().take(20) {
        if *c > 1 {
            println!("- {n} (×{c})");
        } else {
            println!("- {n}");
        }
    }
    if counted.len() > 20 {
        println!("- … and {} more kinds", counted.len() - 20);
    }
    println!();
}

// ---------------------------------------------------------- multi-instance

async fn multi_instance(args: &Args, url: &str, server_bin: &Path) -> Result<(), BoxError> {
    let (na, no) = (args.multi_active, args.multi_observers);
    let per_server = na + no;
    let fx = prepare_db(url, 2 * per_server)
        .await
        .map_err(|e| format!("preparing the database: {e}"))?;
    // One after the other: the first one runs the migrations.
    let s1 = ServerProc::start(server_bin, url, "server 1")?;
    let s2 = ServerProc::start(server_bin, url, "server 2")?;
    let servers = [s1.addr, s2.addr];
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut idle_tasks = Vec::new();
    let mut observers: Vec<Vec<Arc<ObserverLog>>> = Vec::new();
    let mut pushers = Vec::new();
    for (i, addr) in servers.iter().enumerate() {
        let base = i * per_server;
        let (tasks, logs) = open_idle(
            *addr,
            &fx.sessions[base..base + no],
            no,
            stop_rx.clone(),
            2,
            Arc::new(AtomicU64::new(0)),
        )
        .await
        .map_err(|e| format!("opening observers on server {}: {e}", i + 1))?;
        idle_tasks.push(tasks);
        observers.push(logs);
        let ws = open_many(*addr, &fx.sessions[base + no..base + per_server])
            .await
            .map_err(|e| format!("opening pushing devices on server {}: {e}", i + 1))?;
        let plans = make_plans(&fx, &fx.sessions[base + no..base + per_server], args.pushes)?;
        pushers.push((ws, plans));
    }
    let mut groups = HashMap::new();
    let mut expected = [0usize; 2];
    for (g, (_, plans)) in pushers.iter().enumerate() {
        for c in plans.iter().flat_map(|p| p.pushes.iter().flatten()) {
            groups.insert(key(c), g);
            expected[g] += 1;
        }
    }
    let groups = Arc::new(groups);
    let all_observers: Vec<Arc<ObserverLog>> = observers.iter().flatten().cloned().collect();
    for o in &all_observers {
        o.expect(groups.clone(), 2);
    }
    let mut loads = Vec::new();
    let mut tasks = idle_tasks;
    for (g, (ws, plans)) in pushers.into_iter().enumerate() {
        let timeout = Duration::from_secs(args.timeout_secs);
        let load = PushLoad::start(ws, plans, timeout, args, stop_rx.clone())
            .results()
            .await;
        let deadline = load.last_event() + Duration::from_secs(args.timeout_secs);
        wait_delivered(&all_observers, g, expected[g], deadline).await;
        loads.push(load);
    }
    let _ = stop_tx.send(true);
    let mut dropped = Vec::new();
    for load in &mut loads {
        tasks.push(std::mem::take(&mut load.tasks));
    }
    for t in tasks {
        dropped.extend(collect_drops(t).await);
    }
    let arrivals: Vec<Vec<Vec<(u64, Instant)>>> = observers
        .iter()
        .map(|logs| logs.iter().map(|o| o.take()).collect())
        .collect();
    let logs1 = s1.stop();
    let logs2 = s2.stop();

    let timeout = Duration::from_secs(args.timeout_secs);
    println!(
        "## PostgreSQL: two server processes on one database ({na} pushing + {no} observing devices on each, {} pushes per device)\n",
        args.pushes
    );
    println!(
        "| pushed on | observed on | deliveries expected | delivered within {} s | p50 | p95 | p99 | max |",
        args.timeout_secs
    );
    println!("|---|---|---:|---:|---:|---:|---:|---:|");
    for (g, load) in loads.iter().enumerate() {
        let sent = load.sent_by_key();
        for (o, arr) in arrivals.iter().enumerate() {
            let (lat, lost) = deliveries(&sent, arr, timeout);
            let what = if g == o {
                "same instance"
            } else {
                "the other instance"
            };
            let expected = lat.len() + lost;
            if lat.is_empty() {
                println!(
                    "| server {} | server {} ({what}) | {expected} | 0 | not delivered | not delivered | not delivered | not delivered |",
                    g + 1,
                    o + 1
                );
            } else {
                let p = Percentiles::of(&lat);
                println!(
                    "| server {} | server {} ({what}) | {expected} | {} | {} | {} | {} | {} |",
                    g + 1,
                    o + 1,
                    lat.len(),
                    ms(p.p50),
                    ms(p.p95),
                    ms(p.p99),
                    ms(p.max)
                );
            }
        }
    }
    println!();
    println!("| ack latency | samples | p50 | p95 | p99 | max | ≤ 250 ms |");
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for (g, load) in loads.iter().enumerate() {
        latency_row(&format!("pushes on server {}", g + 1), &load.acks());
    }
    println!();
    let mut notes = Vec::new();
    for load in &loads {
        for d in &load.devices {
            if let Some(e) = &d.error {
                notes.push(format!("a pushing device failed: {e}"));
            }
            if d.unacked > 0 {
                notes.push(format!(
                    "a pushing device had {} pushes unacknowledged",
                    d.unacked
                ));
            }
            notes.extend(d.refused.iter().map(|r| format!("refused: {r}")));
        }
    }
    notes.extend(dropped);
    for (i, lines) in [logs1, logs2].into_iter().enumerate() {
        for (kind, n) in lines {
            notes.push(format!("server {} logged {n} × `{kind}`", i + 1));
        }
    }
    print_notes(&notes);
    Ok(())
}

// ------------------------------------------------------------ the database

struct Session {
    token: String,
    user: UserId,
    index: usize,
}

struct Fixture {
    dealer: DealerId,
    sessions: Vec<Session>,
}

/// Migrates and seeds the database, and creates `n` sessions (devices) of
/// the demo dealer's users directly in it.
async fn prepare_db(url: &str, n: usize) -> Result<Fixture, BoxError> {
    let db = Db::connect(url).await?;
    let clock = Clock::system();
    demo::seed_if_empty(&db, &clock).await?;
    let mut users = Vec::new();
    for name in ["sales1", "sales2", "manager"] {
        let user = db::find_user_for_login(&db, name)
            .await?
            .ok_or_else(|| format!("demo user {name} missing"))?;
        users.push(user);
    }
    let dealer = users[0].dealer_id;
    let mut sessions = Vec::with_capacity(n);
    for index in 0..n {
        let user = &users[index % users.len()];
        let token = SessionToken::generate()?;
        db::insert_session(
            &db,
            &NewSession {
                id: DeviceId::from_uuid(Uuid::new_v4()),
                user_id: user.id,
                dealer_id: user.dealer_id,
                token_hash: &token.hash(),
                device_name: "Fan-out bench tablet",
                now: clock.now(),
            },
        )
        .await?;
        sessions.push(Session {
            token: token.expose().to_owned(),
            user: user.id,
            index,
        });
    }
    db.close().await;
    Ok(Fixture { dealer, sessions })
}

async fn fresh_pg_database(admin: &str) -> Result<(String, String), BoxError> {
    use sqlx::Connection;
    let name = format!("showroom_fanout_{}", Uuid::new_v4().simple());
    let mut conn = sqlx::PgConnection::connect(admin).await?;
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await?;
    let _ = conn.close().await;
    let base = admin.split('?').next().unwrap_or(admin);
    let (server, _) = base
        .rsplit_once('/')
        .ok_or("the PostgreSQL URL has no database part")?;
    Ok((format!("{server}/{name}"), name))
}

/// Best effort: a throwaway cluster is deleted anyway, a kept one should not fill up.
async fn drop_pg_database(admin: &str, name: &str) {
    use sqlx::Connection;
    if let Ok(mut conn) = sqlx::PgConnection::connect(admin).await {
        let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .execute(&mut conn)
            .await;
        let _ = conn.close().await;
    }
}

// -------------------------------------------------------------- the server

struct ServerProc {
    child: Child,
    addr: SocketAddr,
    pid: u32,
    /// (warning/error lines, the first of them)
    log: Arc<std::sync::Mutex<Vec<(String, usize)>>>,
}

impl ServerProc {
    /// Starts the release server on `url` on a free port and waits for its
    /// "listening" line. Its stderr is passed through (the first lines only)
    /// and its warnings are counted.
    fn start(bin: &Path, url: &str, label: &str) -> Result<ServerProc, BoxError> {
        let mut child = Command::new(bin)
            .env("DATABASE_URL", url)
            .env("SHOWROOM_ADDR", "127.0.0.1:0")
            .env("SHOWROOM_SEED_DEMO", "1")
            .env("SHOWROOM_STATIC_DIR", "/nonexistent")
            .env("RUST_LOG", "warn,showroom_server=warn")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", bin.display()))?;
        let pid = child.id();
        let log = Arc::new(std::sync::Mutex::new(Vec::<(String, usize)>::new()));
        if let Some(stderr) = child.stderr.take() {
            let log = log.clone();
            let label = label.to_owned();
            std::thread::spawn(move || {
                for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                    // "no built app found" is expected: the bench serves no PWA.
                    if line.contains("no built app found") {
                        continue;
                    }
                    let (kind, short) = log_kind(&line);
                    if let Ok(mut l) = log.lock() {
                        if l.iter().map(|(_, n)| n).sum::<usize>() < 5 {
                            eprintln!("[{label}] {short}");
                        }
                        match l.iter_mut().find(|(k, _)| *k == kind) {
                            Some((_, n)) => *n += 1,
                            None => l.push((kind, 1)),
                        }
                    }
                }
            });
        }
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            let mut sent = false;
            for line in lines.by_ref().map_while(Result::ok) {
                if !sent && let Some((_, rest)) = line.split_once("Showroom listening on http://") {
                    let _ = tx.send(rest.trim().to_owned());
                    sent = true;
                }
            }
        });
        let mut server = ServerProc {
            child,
            addr: "127.0.0.1:0".parse()?,
            pid,
            log,
        };
        match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(addr) => {
                server.addr = addr
                    .parse()
                    .map_err(|e| format!("{label} printed an odd address {addr:?}: {e}"))?;
                Ok(server)
            }
            Err(_) => {
                let status = server.child.try_wait().ok().flatten();
                Err(format!(
                    "{label} did not say it was listening within 60 s (exit status: {status:?})"
                )
                .into())
            }
        }
    }

    fn status_field(&self, field: &str) -> Result<u64, BoxError> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid))?;
        status
            .lines()
            .find_map(|l| l.strip_prefix(field))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .ok_or_else(|| format!("no {field} in /proc/{}/status", self.pid).into())
    }

    fn cpu_secs(&self) -> Option<f64> {
        cpu_secs(&self.pid.to_string())
    }

    fn rss_kib(&self) -> Result<u64, BoxError> {
        self.status_field("VmRSS:")
    }

    fn hwm_kib(&self) -> Result<u64, BoxError> {
        self.status_field("VmHWM:")
    }

    /// Kills the server; returns what it logged.
    fn stop(mut self) -> Vec<(String, usize)> {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.log.lock().map(|l| l.clone()).unwrap_or_default()
    }
}

impl Drop for ServerProc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A server log line without colours and timestamp, cut short (sqlx logs
/// whole statements), and its kind for counting: the same text with the
/// numbers taken out.
fn log_kind(line: &str) -> (String, String) {
    let mut plain = String::with_capacity(line.len());
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            // CSI: ESC [ … letter
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            plain.push(c);
        }
    }
    let text = match plain.split_once(' ') {
        Some((first, rest)) if first.starts_with(|c: char| c.is_ascii_digit()) => rest.trim(),
        _ => plain.trim(),
    };
    let short: String = text.chars().take(160).collect();
    let kind: String = text
        .chars()
        .filter(|c| !c.is_ascii_digit())
        .take(90)
        .collect();
    (kind.trim().to_owned(), short)
}

/// User + system CPU seconds of a process (`self` or a pid), from /proc.
fn cpu_secs(pid: &str) -> Option<f64> {
    static TICKS: std::sync::OnceLock<f64> = std::sync::OnceLock::new();
    let ticks = *TICKS.get_or_init(|| {
        Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
            .unwrap_or(100.0)
    });
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // "pid (comm) state ppid …": utime and stime are the 12th and 13th fields after ")".
    let after = &stat[stat.rfind(')')? + 1..];
    let mut fields = after.split_whitespace().skip(11);
    let utime: f64 = fields.next()?.parse().ok()?;
    let stime: f64 = fields.next()?.parse().ok()?;
    Some((utime + stime) / ticks)
}

fn cpu_delta(before: Option<f64>, after: Option<f64>) -> String {
    match (before, after) {
        (Some(b), Some(a)) => format!("{:.2} s", a - b),
        _ => "?".into(),
    }
}

/// Raises the soft open-file limit to the hard one if it is below `needed`.
fn ensure_open_files(needed: usize) -> Result<(), BoxError> {
    let read = || -> Option<(u64, u64)> {
        let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
        let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
        let mut nums = line["Max open files".len()..].split_whitespace();
        let soft = nums.next()?.parse().unwrap_or(u64::MAX);
        let hard = nums.next()?.parse().unwrap_or(u64::MAX);
        Some((soft, hard))
    };
    let Some((soft, hard)) = read() else {
        return Ok(());
    };
    if soft >= needed as u64 {
        return Ok(());
    }
    // No unsafe code in this workspace (so no setrlimit): util-linux's prlimit does it.
    let _ = Command::new("prlimit")
        .arg("--pid")
        .arg(std::process::id().to_string())
        .arg(format!("--nofile={hard}:{hard}"))
        .status();
    match read() {
        Some((soft, _)) if soft >= needed as u64 => Ok(()),
        Some((soft, hard)) => Err(format!(
            "{needed} open files are needed but the limit is {soft} (hard {hard}): raise it with `ulimit -n {needed}`"
        )
        .into()),
        None => Ok(()),
    }
}

// -------------------------------------------------------------- the sockets

/// Connects as a device with cursor 0 and reads until the first page says
/// the device is caught up.
async fn open_device(addr: SocketAddr, token: &str) -> Result<Ws, BoxError> {
    let tcp = TcpStream::connect(addr)
        .await
        .map_err(|e| format!("TCP connect: {e}"))?;
    tcp.set_nodelay(true)?;
    let (mut ws, _) = tokio_tungstenite::client_async(format!("ws://{addr}/sync"), tcp)
        .await
        .map_err(|e| format!("WebSocket upgrade: {e}"))?;
    let hello = ClientMsg::Hello {
        protocol: PROTOCOL_VERSION,
        token: token.to_owned(),
        cursor: 0,
        log: 0,
    };
    ws.send(Message::Binary(hello.encode().into()))
        .await
        .map_err(|e| format!("sending Hello: {e}"))?;
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(30), ws.next())
            .await
            .map_err(|_| "no first page within 30 s of Hello")?;
        match msg {
            Some(Ok(Message::Binary(b))) => match ServerMsg::decode(&b) {
                Ok(ServerMsg::Changes { complete: true, .. }) => return Ok(ws),
                Ok(ServerMsg::Changes { .. } | ServerMsg::Log { .. }) => continue,
                Ok(ServerMsg::Error { code, message }) => {
                    return Err(
                        format!("the server refused Hello: {} ({message})", code.as_str()).into(),
                    );
                }
                Ok(other) => return Err(format!("unexpected answer to Hello: {other:?}").into()),
                Err(e) => return Err(format!("undecodable answer to Hello: {e}").into()),
            },
            Some(Ok(_)) => continue,
            Some(Err(e)) => return Err(format!("reading the first page: {e}").into()),
            None => return Err("the server closed the socket after Hello".into()),
        }
    }
}

const OPEN_AT_ONCE: usize = 64;

/// Opens one socket per session, `OPEN_AT_ONCE` at a time, in session order.
async fn open_many(addr: SocketAddr, sessions: &[Session]) -> Result<Vec<Ws>, BoxError> {
    let gate = Arc::new(Semaphore::new(OPEN_AT_ONCE));
    let mut set = JoinSet::new();
    for (i, s) in sessions.iter().enumerate() {
        let gate = gate.clone();
        let token = s.token.clone();
        set.spawn(async move {
            let _permit = gate.acquire_owned().await;
            (i, open_device(addr, &token).await)
        });
    }
    let mut out: Vec<Option<Ws>> = (0..sessions.len()).map(|_| None).collect();
    while let Some(joined) = set.join_next().await {
        let (i, ws) = joined?;
        out[i] = Some(ws.map_err(|e| format!("socket {i}: {e}"))?);
    }
    Ok(out.into_iter().flatten().collect())
}

/// What one observing socket saw: (key of a change, when it arrived).
struct ObserverLog {
    arrivals: std::sync::Mutex<Vec<(u64, Instant)>>,
    groups: std::sync::Mutex<Arc<HashMap<u64, usize>>>,
    counts: std::sync::Mutex<Arc<Vec<AtomicUsize>>>,
}

impl ObserverLog {
    fn new() -> Self {
        ObserverLog {
            arrivals: std::sync::Mutex::new(Vec::new()),
            groups: std::sync::Mutex::new(Arc::new(HashMap::new())),
            counts: std::sync::Mutex::new(Arc::new(Vec::new())),
        }
    }

    /// Which change belongs to which group of pushes, so that progress can be
    /// followed per group while the load runs.
    fn expect(&self, groups: Arc<HashMap<u64, usize>>, n: usize) {
        if let Ok(mut g) = self.groups.lock() {
            *g = groups;
        }
        if let Ok(mut c) = self.counts.lock() {
            *c = Arc::new((0..n).map(|_| AtomicUsize::new(0)).collect());
        }
    }

    fn record(&self, changes: impl Iterator<Item = u64>, at: Instant) {
        let groups = self.groups.lock().map(|g| g.clone()).ok();
        let counts = self.counts.lock().map(|c| c.clone()).ok();
        if let Ok(mut a) = self.arrivals.lock() {
            for k in changes {
                a.push((k, at));
                if let (Some(groups), Some(counts)) = (&groups, &counts)
                    && let Some(c) = groups.get(&k).and_then(|g| counts.get(*g))
                {
                    c.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
    }

    fn count(&self, group: usize) -> usize {
        self.counts
            .lock()
            .ok()
            .and_then(|c| c.get(group).map(|a| a.load(Ordering::Relaxed)))
            .unwrap_or(0)
    }

    fn take(&self) -> Vec<(u64, Instant)> {
        self.arrivals
            .lock()
            .map(|mut a| std::mem::take(&mut *a))
            .unwrap_or_default()
    }
}

/// Opens idle sockets, each then read by its own task until `stop`; the
/// first `observers` of them time what arrives.
async fn open_idle(
    addr: SocketAddr,
    sessions: &[Session],
    observers: usize,
    stop: watch::Receiver<bool>,
    groups: usize,
    received: Arc<AtomicU64>,
) -> Result<(JoinSet<Option<String>>, Vec<Arc<ObserverLog>>), BoxError> {
    let gate = Arc::new(Semaphore::new(OPEN_AT_ONCE));
    let mut set = JoinSet::new();
    let mut logs = Vec::new();
    let (opened_tx, mut opened_rx) =
        tokio::sync::mpsc::channel::<Result<(), String>>(sessions.len().max(1));
    for (i, s) in sessions.iter().enumerate() {
        let log = (i < observers).then(|| {
            let l = Arc::new(ObserverLog::new());
            l.expect(Arc::new(HashMap::new()), groups);
            logs.push(l.clone());
            l
        });
        let gate = gate.clone();
        let token = s.token.clone();
        let opened = opened_tx.clone();
        let stop = stop.clone();
        let received = received.clone();
        set.spawn(async move {
            let permit = gate.acquire_owned().await;
            let ws = match open_device(addr, &token).await {
                Ok(ws) => {
                    let _ = opened.send(Ok(())).await;
                    ws
                }
                Err(e) => {
                    let _ = opened.send(Err(format!("socket {i}: {e}"))).await;
                    return None;
                }
            };
            drop(permit);
            match log {
                Some(log) => idle_reader(ws, Some(log), stop).await,
                None => discard_reader(ws, received, stop).await,
            }
        });
    }
    drop(opened_tx);
    let mut ok = 0;
    while ok < sessions.len() {
        match opened_rx.recv().await {
            Some(Ok(())) => ok += 1,
            Some(Err(e)) => {
                set.abort_all();
                return Err(e.into());
            }
            None => return Err("an opening task ended without saying".into()),
        }
    }
    Ok((set, logs))
}

/// Reads everything the server sends until `stop`; returns why it ended early.
async fn idle_reader(
    mut ws: Ws,
    log: Option<Arc<ObserverLog>>,
    mut stop: watch::Receiver<bool>,
) -> Option<String> {
    loop {
        tokio::select! {
            _ = stop.changed() => {
                let _ = ws.close(None).await;
                return None;
            }
            msg = ws.next() => match msg {
                Some(Ok(Message::Binary(b))) => {
                    let at = Instant::now();
                    match &log {
                        Some(log) => match ServerMsg::decode(&b) {
                            Ok(ServerMsg::Changes { docs, .. }) => {
                                log.record(docs.iter().flat_map(|d| d.changes.iter()).map(|c| key(c)), at);
                            }
                            Ok(ServerMsg::Error { code, message }) => {
                                return Some(format!("an observer got an error: {} ({message})", code.as_str()));
                            }
                            Ok(ServerMsg::Ack { .. } | ServerMsg::Log { .. }) => {}
                            Ok(ServerMsg::Ended) => return Some("an observer's session ended".to_owned()),
                            Err(e) => return Some(format!("an observer got an undecodable message: {e}")),
                        },
                        None => {
                            // Only errors matter here; skip decoding the changes.
                            if b.first() == Some(&0x83)
                                && let Ok(ServerMsg::Error { code, message }) = ServerMsg::decode(&b)
                            {
                                return Some(format!("an idle socket got an error: {} ({message})", code.as_str()));
                            }
                        }
                    }
                }
                Some(Ok(_)) => {}
                Some(Err(e)) => return Some(format!("an idle socket failed: {e}")),
                None => return Some("the server closed an idle socket".into()),
            }
        }
    }
}

/// An idle socket that is not timed: its bytes are read and dropped without
/// parsing the WebSocket frames, so that 2,000 of them cost the client little
/// and the two cores go to the server. A close or a failure still shows.
async fn discard_reader(
    ws: Ws,
    received: Arc<AtomicU64>,
    mut stop: watch::Receiver<bool>,
) -> Option<String> {
    let mut tcp = ws.into_inner();
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        tokio::select! {
            _ = stop.changed() => return None,
            r = tcp.read(&mut buf) => match r {
                Ok(0) => return Some("the server closed an idle socket".into()),
                Ok(n) => {
                    received.fetch_add(n as u64, Ordering::Relaxed);
                }
                Err(e) => return Some(format!("an idle socket failed: {e}")),
            }
        }
    }
}

async fn collect_drops(mut set: JoinSet<Option<String>>) -> Vec<String> {
    let mut out = Vec::new();
    while let Some(r) = set.join_next().await {
        match r {
            Ok(Some(e)) => out.push(e),
            Ok(None) => {}
            Err(e) => out.push(format!("a socket task failed: {e}")),
        }
    }
    out
}

/// Waits until every observer has seen `expected` changes of `group`, or `deadline`.
async fn wait_delivered(
    observers: &[Arc<ObserverLog>],
    group: usize,
    expected: usize,
    deadline: Instant,
) {
    while Instant::now() < deadline {
        if observers.iter().all(|o| o.count(group) >= expected) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

// ----------------------------------------------------------------- pushing

/// One device's pushes, computed before the load so that the device only sends.
struct Plan {
    doc: LeadId,
    pushes: Vec<Vec<Vec<u8>>>,
    seed: u64,
}

fn make_plans(fx: &Fixture, sessions: &[Session], pushes: usize) -> Result<Vec<Plan>, BoxError> {
    let mut plans = Vec::with_capacity(sessions.len());
    for s in sessions {
        let lead = lead(fx.dealer, s.user, s.index);
        let actor = Uuid::new_v4().into_bytes();
        let mut doc = LeadDoc::create(actor_from_bytes(actor), &lead)?;
        let mut out = vec![changes_of(&mut doc, &[])];
        for k in 1..pushes {
            let heads = doc.heads();
            let mut edit = doc.read()?;
            edit.grade = Grade::ALL[k % 4];
            edit.stage = if k % 2 == 1 {
                Stage::Contacted
            } else {
                Stage::New
            };
            edit.customer.wechat = Some(format!("wx_{}_{k}", s.index));
            doc.update(&edit, s.user, lead.created_at + k as i64 * 1000)?;
            let changes = changes_of(&mut doc, &heads);
            if changes.is_empty() {
                return Err(format!("edit {k} of device {} made no change", s.index).into());
            }
            out.push(changes);
        }
        out.truncate(pushes);
        plans.push(Plan {
            doc: lead.id,
            pushes: out,
            seed: s.index as u64 * 0x9e37_79b9_7f4a_7c15 + 1,
        });
    }
    Ok(plans)
}

fn lead(dealer: DealerId, user: UserId, i: usize) -> Lead {
    showroom_tests::bench_lead(LeadId::from_uuid(Uuid::new_v4()), dealer, user, i)
}

use showroom_tests::changes_of;

/// A change's identity for matching sends with arrivals.
fn key(change: &[u8]) -> u64 {
    let mut h = DefaultHasher::new();
    change.hash(&mut h);
    h.finish()
}

#[derive(Default)]
struct DeviceResult {
    /// Per push: its changes' keys and when it was sent.
    sent: Vec<(Vec<u64>, Instant)>,
    acks: Vec<Duration>,
    first_sent: Option<Instant>,
    last_event: Option<Instant>,
    changes_acked: usize,
    refused: Vec<String>,
    unacked: usize,
    error: Option<String>,
}

struct PushLoad {
    results: Vec<oneshot::Receiver<DeviceResult>>,
    tasks: JoinSet<Option<String>>,
}

struct Pushed {
    devices: Vec<DeviceResult>,
    tasks: JoinSet<Option<String>>,
}

impl PushLoad {
    /// Starts every device's pushes (first ones within one interval of now).
    fn start(
        sockets: Vec<Ws>,
        plans: Vec<Plan>,
        ack_timeout: Duration,
        args: &Args,
        stop: watch::Receiver<bool>,
    ) -> PushLoad {
        let start = Instant::now() + Duration::from_millis(50);
        let mut results = Vec::new();
        let mut tasks = JoinSet::new();

        for (ws, plan) in sockets.into_iter().zip(plans) {
            let mut rng = plan.seed;
            let mut at =
                start + Duration::from_millis(next_rand(&mut rng) % args.max_interval_ms.max(1));
            let mut schedule = Vec::with_capacity(plan.pushes.len());
            for _ in 0..plan.pushes.len() {
                schedule.push(at);
                let spread = args.max_interval_ms - args.min_interval_ms + 1;
                at += Duration::from_millis(args.min_interval_ms + next_rand(&mut rng) % spread);
            }
            let (tx, rx) = oneshot::channel();
            results.push(rx);
            tasks.spawn(pusher(ws, plan, schedule, ack_timeout, tx, stop.clone()));
        }
        PushLoad { results, tasks }
    }

    async fn results(self) -> Pushed {
        let mut devices = Vec::new();
        for rx in self.results {
            devices.push(rx.await.unwrap_or_else(|_| DeviceResult {
                error: Some("the device's task ended without a result".into()),
                ..DeviceResult::default()
            }));
        }
        Pushed {
            devices,
            tasks: self.tasks,
        }
    }
}

impl Pushed {
    fn acks(&self) -> Vec<Duration> {
        self.devices
            .iter()
            .flat_map(|d| d.acks.iter().copied())
            .collect()
    }

    fn pushes_sent(&self) -> usize {
        self.devices.iter().map(|d| d.sent.len()).sum()
    }

    fn span(&self) -> Duration {
        let first = self.devices.iter().filter_map(|d| d.first_sent).min();
        let last = self.devices.iter().filter_map(|d| d.last_event).max();
        match (first, last) {
            (Some(f), Some(l)) => l.saturating_duration_since(f),
            _ => Duration::ZERO,
        }
    }

    fn last_event(&self) -> Instant {
        self.devices
            .iter()
            .filter_map(|d| d.last_event)
            .max()
            .unwrap_or_else(Instant::now)
    }

    fn sent_by_key(&self) -> HashMap<u64, Instant> {
        self.devices
            .iter()
            .flat_map(|d| d.sent.iter())
            .flat_map(|(keys, at)| keys.iter().map(move |k| (*k, *at)))
            .collect()
    }
}

fn next_rand(state: &mut u64) -> u64 {
    // xorshift64*: plenty for jitter, and the same schedule every run.
    let mut x = *state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    x.wrapping_mul(0x2545_f491_4f6c_dd1d)
}

/// Sends the plan's pushes on schedule and reads acks; reports once every
/// push is acked (or `ack_timeout` after the last send), then keeps reading
/// (the device stays online) until `stop`.
async fn pusher(
    mut ws: Ws,
    plan: Plan,
    schedule: Vec<Instant>,
    ack_timeout: Duration,
    done: oneshot::Sender<DeviceResult>,
    stop: watch::Receiver<bool>,
) -> Option<String> {
    let n = plan.pushes.len();
    let mut r = DeviceResult::default();
    let mut acked = vec![false; n];
    let mut n_acked = 0;
    let far = Instant::now() + Duration::from_secs(3600);
    let mut last_sent = Instant::now();
    let mut failed = false;
    while n_acked < n {
        let next = r.sent.len();
        let send_at = schedule.get(next).copied().unwrap_or(far);
        let give_up = if next == n {
            last_sent + ack_timeout
        } else {
            far
        };
        tokio::select! {
            _ = tokio::time::sleep_until(send_at.into()), if next < n => {
                let changes = plan.pushes[next].clone();
                let keys = changes.iter().map(|c| key(c)).collect();
                let msg = ClientMsg::Push {
                    batch: next as u64 + 1,
                    docs: vec![DocChanges { doc: plan.doc.into(), changes }],
                };
                let bytes = msg.encode();
                let at = Instant::now();
                r.first_sent.get_or_insert(at);
                if let Err(e) = ws.send(Message::Binary(bytes.into())).await {
                    r.error = Some(format!("sending push {}: {e}", next + 1));
                    failed = true;
                    break;
                }
                r.sent.push((keys, at));
                last_sent = at;
            }
            _ = tokio::time::sleep_until(give_up.into()), if next == n => {
                break;
            }
            msg = ws.next() => {
                let at = Instant::now();
                match msg {
                    Some(Ok(Message::Binary(b))) => {
                        if b.first() == Some(&0x81) {
                            // Others' changes: a real device would apply them; not timed here.
                            continue;
                        }
                        match ServerMsg::decode(&b) {
                            Ok(ServerMsg::Ack { batch, refused }) => {
                                let i = batch.saturating_sub(1) as usize;
                                if let (Some(false), Some((keys, sent))) = (acked.get(i).copied(), r.sent.get(i)) {
                                    acked[i] = true;
                                    n_acked += 1;
                                    r.acks.push(at.saturating_duration_since(*sent));
                                    r.last_event = Some(at);
                                    if refused.is_empty() {
                                        r.changes_acked += keys.len();
                                    }
                                } else {
                                    r.error = Some(format!("an ack for batch {batch}, which was not sent or already acked"));
                                }
                                for f in refused {
                                    r.refused.push(format!("{} ({})", f.code.as_str(), f.message));
                                }
                            }
                            Ok(ServerMsg::Changes { .. } | ServerMsg::Log { .. }) => {}
                            Ok(ServerMsg::Ended) => {
                                r.error = Some("the session ended".to_owned());
                                failed = true;
                                break;
                            }
                            Ok(ServerMsg::Error { code, message }) => {
                                r.error = Some(format!("the server ended the connection: {} ({message})", code.as_str()));
                                failed = true;
                                break;
                            }
                            Err(e) => {
                                r.error = Some(format!("an undecodable message: {e}"));
                                failed = true;
                                break;
                            }
                        }
                    }
                    Some(Ok(_)) => {}
                    Some(Err(e)) => {
                        r.error = Some(format!("the socket failed: {e}"));
                        failed = true;
                        break;
                    }
                    None => {
                        r.error = Some("the server closed the socket".into());
                        failed = true;
                        break;
                    }
                }
            }
        }
    }
    r.unacked = r.sent.len() - n_acked;
    if r.last_event.is_none() {
        r.last_event = Some(last_sent);
    }
    let _ = done.send(r);
    if failed {
        return None;
    }
    idle_reader(ws, None, stop).await
}

// --------------------------------------------------------------- /api/v1/me

/// `n` requests, `gap` apart: (latencies, failures).
async fn sample_me(
    addr: SocketAddr,
    token: &str,
    n: usize,
    gap: Duration,
) -> (Vec<Duration>, usize) {
    let mut lat = Vec::new();
    let mut failed = 0;
    for _ in 0..n {
        match get_me(addr, token).await {
            Ok(d) => lat.push(d),
            Err(_) => failed += 1,
        }
        tokio::time::sleep(gap).await;
    }
    (lat, failed)
}

/// One request every 100 ms until `stop`.
async fn sample_me_until(
    addr: SocketAddr,
    token: String,
    stop: Arc<std::sync::atomic::AtomicBool>,
) -> (Vec<Duration>, usize) {
    let mut lat = Vec::new();
    let mut failed = 0;
    while !stop.load(Ordering::Relaxed) {
        match get_me(addr, &token).await {
            Ok(d) => lat.push(d),
            Err(e) => {
                if failed == 0 {
                    eprintln!("fanout-bench: GET {} failed: {e}", paths::ME);
                }
                failed += 1;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    (lat, failed)
}

/// A fresh connection, `GET /api/v1/me`, the whole answer read.
async fn get_me(addr: SocketAddr, token: &str) -> Result<Duration, BoxError> {
    let started = Instant::now();
    let mut tcp = TcpStream::connect(addr).await?;
    tcp.set_nodelay(true)?;
    let req = format!(
        "GET {} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n",
        paths::ME
    );
    tcp.write_all(req.as_bytes()).await?;
    let mut reply = Vec::new();
    tokio::time::timeout(Duration::from_secs(30), tcp.read_to_end(&mut reply))
        .await
        .map_err(|_| "no answer within 30 s")??;
    let elapsed = started.elapsed();
    if !reply.starts_with(b"HTTP/1.1 200") {
        let head = String::from_utf8_lossy(&reply[..reply.len().min(80)]).into_owned();
        return Err(format!("answered {head:?}").into());
    }
    Ok(elapsed)
}

// ------------------------------------------------------------------ figures

/// Delivery latencies of every sent change at every observer, and how many
/// did not arrive within `timeout`.
fn deliveries(
    sent: &HashMap<u64, Instant>,
    observers: &[Vec<(u64, Instant)>],
    timeout: Duration,
) -> (Vec<Duration>, usize) {
    let mut lat = Vec::new();
    let mut lost = 0;
    for arrivals in observers {
        let first: HashMap<u64, Instant> = arrivals.iter().rev().map(|(k, t)| (*k, *t)).collect();
        for (k, at) in sent {
            match first.get(k) {
                Some(t) if t.saturating_duration_since(*at) <= timeout => {
                    lat.push(t.saturating_duration_since(*at));
                }
                _ => lost += 1,
            }
        }
    }
    (lat, lost)
}

struct Percentiles {
    p50: Duration,
    p95: Duration,
    p99: Duration,
    max: Duration,
}

impl Percentiles {
    fn of(samples: &[Duration]) -> Percentiles {
        let mut s = samples.to_vec();
        s.sort();
        let at = |p: f64| {
            if s.is_empty() {
                return Duration::ZERO;
            }
            let rank = ((p * s.len() as f64).ceil() as usize).clamp(1, s.len());
            s[rank - 1]
        };
        Percentiles {
            p50: at(0.50),
            p95: at(0.95),
            p99: at(0.99),
            max: s.last().copied().unwrap_or_default(),
        }
    }
}

fn latency_row(what: &str, samples: &[Duration]) {
    if samples.is_empty() {
        println!("| {what} | 0 | – | – | – | – | – |");
        return;
    }
    let p = Percentiles::of(samples);
    let within = samples
        .iter()
        .filter(|d| **d <= Duration::from_millis(250))
        .count();
    println!(
        "| {what} | {} | {} | {} | {} | {} | {:.1} % |",
        samples.len(),
        ms(p.p50),
        ms(p.p95),
        ms(p.p99),
        ms(p.max),
        100.0 * within as f64 / samples.len() as f64
    );
}

fn ms(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1000.0;
    if ms < 10.0 {
        format!("{ms:.2} ms")
    } else {
        format!("{ms:.1} ms")
    }
}

fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}
