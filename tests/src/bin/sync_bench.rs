//! The sync benchmark behind `cargo xtask bench sync`: prints tables of what
//! a reconnect costs, measured over a real WebSocket on loopback against the
//! real server, on SQLite and (when given a cluster) PostgreSQL.
//!
//! A device holds N leads, changes k of them offline and reconnects. Counted:
//! round trips (times the device waits for an answer), bytes on the wire
//! (TCP payload both ways, WebSocket framing included, the HTTP upgrade left
//! out and shown apart), the raw Automerge change bytes, their ratio, and the
//! reconnect wall time on loopback (the server's time plus two socket hops).
//! The same reconnect is then costed with Automerge's own per-document sync
//! protocol (`automerge::sync`), which has to visit every document.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use automerge::sync::SyncDoc;
use clap::Parser;
use futures_util::{SinkExt, StreamExt};
use showroom_server::auth::SessionToken;
use showroom_server::clock::Clock;
use showroom_server::config::Config;
use showroom_server::db::{self, Db, NewSession};
use showroom_server::{AppState, app, demo};
use showroom_shared::doc::{LeadDoc, actor_from_bytes};
use showroom_shared::domain::{DealerId, DeviceId, Grade, Lead, LeadId, Stage, UserId};
use showroom_shared::sync::{ClientEvent, DocChanges, ServerMsg, SyncClient};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use uuid::Uuid;

#[derive(Parser, Debug)]
#[command(about = "Measure what a sync reconnect costs")]
struct Args {
    /// Leads on the device.
    #[arg(long, default_value_t = 10_000)]
    leads: usize,
    /// Numbers of leads changed offline before each reconnect.
    #[arg(long, value_delimiter = ',', default_value = "1,100,1000")]
    changed: Vec<usize>,
    /// Leads the salesperson of the visibility figures owns.
    #[arg(long, default_value_t = 300)]
    theirs: usize,
    /// Leads the manager hands over in the visibility figures.
    #[arg(long, default_value_t = 100)]
    handed: usize,
    /// An admin URL of a PostgreSQL cluster to also measure on (a fresh database is created).
    #[arg(long, env = "SHOWROOM_BENCH_PG_URL")]
    postgres: Option<String>,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let args = Args::parse();
    match run(args).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("sync-bench: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

async fn run(args: Args) -> Result<(), BoxError> {
    let dir = std::env::temp_dir().join(format!("showroom-bench-{}", Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir)?;
    let mut backends = vec![(
        "SQLite".to_owned(),
        format!("sqlite://{}", dir.join("bench.db").display()),
    )];
    if let Some(admin) = &args.postgres {
        backends.push(("PostgreSQL".to_owned(), fresh_pg_database(admin).await?));
    }
    println!(
        "# Sync benchmark: N = {} leads on the device, k = {:?} changed offline (SQLite synchronous = {:?})\n",
        args.leads,
        args.changed,
        synchronous()
    );
    let mut comparison_done = false;
    for (name, url) in backends {
        let result = bench_backend(&name, &url, &args, !comparison_done).await;
        comparison_done = true;
        result?;
    }
    // Per-user visibility, on a database of its own (SQLite).
    let url = format!("sqlite://{}", dir.join("visibility.db").display());
    bench_visibility("SQLite", &url, args.leads, args.theirs, args.handed).await?;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

struct Fixture {
    addr: SocketAddr,
    dealer: DealerId,
    sales1: (UserId, String),
    manager: String,
}

async fn bench_backend(name: &str, url: &str, args: &Args, compare: bool) -> Result<(), BoxError> {
    let fx = fixture(url).await?;
    let n = args.leads;
    let (user, token_a) = fx.sales1.clone();

    // The device's leads, created offline and pushed in one go: the ingest figure.
    let mut saved: Vec<Vec<u8>> = Vec::with_capacity(n);
    let mut pending = Vec::with_capacity(n);
    for i in 0..n {
        let lead = lead(fx.dealer, user, i);
        let mut doc = LeadDoc::create(actor_from_bytes([1; 16]), &lead)?;
        pending.push(DocChanges {
            doc: lead.id.into(),
            changes: changes_of(&mut doc, &[]),
        });
        saved.push(doc.save());
    }
    let ingest = reconnect(fx.addr, &token_a, (0, 0), pending).await?;
    println!("## {name}: server ingest\n");
    println!("| what | changes | wall time | changes/s |");
    println!("|---|---:|---:|---:|");
    println!(
        "| first upload of {n} new leads ({} batches) | {n} | {:.2} s | {:.0} |\n",
        ingest.batches,
        ingest.elapsed.as_secs_f64(),
        n as f64 / ingest.elapsed.as_secs_f64()
    );
    let mut cursor_a = (ingest.cursor, ingest.log);
    let pulled = reconnect(fx.addr, &fx.manager, (0, 0), vec![]).await?;
    let mut cursor_b = (pulled.cursor, pulled.log);
    println!(
        "A second device's first sync of all {n} leads: {} bytes down, {:.2} s.\n",
        pulled.down,
        pulled.elapsed.as_secs_f64()
    );

    println!("## {name}: reconnect after k leads changed offline (N = {n})\n");
    println!(
        "| k | direction | round trips | wire bytes up | wire bytes down | raw change bytes | wire / raw | wire − raw per changed lead | wall time |"
    );
    println!("|---:|---|---:|---:|---:|---:|---:|---:|---:|");
    let mut comparisons = Vec::new();
    let mut edit_rates: Vec<(usize, f64)> = Vec::new();
    let mut next = 0usize;
    for &k in &args.changed {
        let k = k.min(n);
        let mut changed = Vec::with_capacity(k);
        let mut before_after: HashMap<usize, Vec<u8>> = HashMap::new();
        for _ in 0..k {
            let i = next % n;
            next += 1;
            let mut doc = LeadDoc::load(&saved[i], actor_from_bytes([1; 16]))?;
            let heads = doc.heads();
            let mut edit = doc.read()?;
            edit.grade = Grade::ALL[next % 4];
            edit.stage = Stage::Contacted;
            doc.update(&edit, user, 2_000 + next as i64)?;
            changed.push(DocChanges {
                doc: edit.id.into(),
                changes: changes_of(&mut doc, &heads),
            });
            before_after.insert(i, doc.save());
        }
        let raw: usize = changed
            .iter()
            .flat_map(|d| d.changes.iter())
            .map(Vec::len)
            .sum();
        let push = reconnect(fx.addr, &token_a, cursor_a, changed).await?;
        edit_rates.push((k, k as f64 / push.elapsed.as_secs_f64()));
        cursor_a = (push.cursor, push.log);
        let wire = push.up + push.down;
        row(k, "device pushes", &push, raw, wire);
        let pull = reconnect(fx.addr, &fx.manager, cursor_b, vec![]).await?;
        cursor_b = (pull.cursor, pull.log);
        row(k, "other device pulls", &pull, raw, pull.up + pull.down);
        if compare {
            comparisons.push((k, raw, wire, automerge_sync_cost(&saved, &before_after)?));
        }
        for (i, bytes) in before_after {
            saved[i] = bytes;
        }
    }
    println!();
    // Issue 6's aims for ingest.
    let aim = if name == "SQLite" { 25_000.0 } else { 10_000.0 };
    let upload_rate = n as f64 / ingest.elapsed.as_secs_f64();
    println!("## {name}: ingest against the aim (≥ {aim:.0} changes/s)\n");
    println!("| what | changes/s | aim | met |");
    println!("|---|---:|---:|---|");
    let verdict = |r: f64| if r >= aim { "yes" } else { "no" };
    println!(
        "| first upload of {n} new leads | {upload_rate:.0} | {aim:.0} | {} |",
        verdict(upload_rate)
    );
    for (k, rate) in edit_rates.iter().filter(|(k, _)| *k >= 100) {
        println!(
            "| {k} edits of {k} leads (one reconnect) | {rate:.0} | {aim:.0} | {} |",
            verdict(*rate)
        );
    }
    println!();
    if compare {
        println!("## The same reconnects with Automerge's per-document sync protocol (N = {n})\n");
        println!(
            "| k | messages | round trips | bytes | bytes for unchanged leads | raw change bytes | its bytes / ours |"
        );
        println!("|---:|---:|---:|---:|---:|---:|---:|");
        for (k, raw, ours, am) in comparisons {
            println!(
                "| {k} | {} | {} | {} | {} | {raw} | {:.1}× |",
                am.messages,
                am.round_trips,
                am.bytes,
                am.unchanged_bytes,
                am.bytes as f64 / ours as f64
            );
        }
        println!(
            "\nAutomerge sync is run in memory here (no sockets, no server), one sync state per document, \
             both peers starting from an empty sync state as after a reconnect; its bytes are message bytes \
             without WebSocket framing, ours include it.\n"
        );
    }
    let (changes, docs) = db::sync_counts(&state_db(url).await?, fx.dealer).await?;
    println!("Server holds {changes} changes in {docs} documents for the dealer.\n");
    Ok(())
}

fn row(k: usize, what: &str, m: &Measured, raw: usize, wire: u64) {
    let per_lead = (wire as f64 - raw as f64) / k as f64;
    println!(
        "| {k} | {what} | {} | {} | {} | {raw} | {:.3} | {:.1} B | {:.1} ms |",
        m.round_trips,
        m.up,
        m.down,
        wire as f64 / raw as f64,
        per_lead,
        m.elapsed.as_secs_f64() * 1000.0
    );
}

/// SQLite's durability as the server would run it (`SHOWROOM_SQLITE_SYNCHRONOUS`).
fn synchronous() -> showroom_server::config::Synchronous {
    match std::env::var("SHOWROOM_SQLITE_SYNCHRONOUS").as_deref() {
        Ok("normal") => showroom_server::config::Synchronous::Normal,
        Ok("full") => showroom_server::config::Synchronous::Full,
        _ => showroom_server::config::Synchronous::default(),
    }
}

async fn state_db(url: &str) -> Result<Db, BoxError> {
    Ok(Db::connect_with(url, synchronous()).await?)
}

async fn fixture(url: &str) -> Result<Fixture, BoxError> {
    let served = serve(
        url,
        &[("sales1", "Bench tablet"), ("manager", "Bench tablet")],
    )
    .await?;
    Ok(Fixture {
        addr: served.addr,
        dealer: served.dealer,
        sales1: served.sessions[0].clone(),
        manager: served.sessions[1].1.clone(),
    })
}

/// A server on `url` (demo data seeded) with a session per (user, device).
struct Served {
    addr: SocketAddr,
    dealer: DealerId,
    /// (user, token) per asked session, in order.
    sessions: Vec<(UserId, String)>,
}

async fn serve(url: &str, sessions: &[(&str, &str)]) -> Result<Served, BoxError> {
    let db = Db::connect_with(url, synchronous()).await?;
    let clock = Clock::system();
    demo::seed_if_empty(&db, &clock).await?;
    let mut out = Vec::new();
    let mut dealer = None;
    for (name, device) in sessions {
        let user = db::find_user_for_login(&db, name)
            .await?
            .ok_or("demo user missing")?;
        let token = SessionToken::generate()?;
        db::insert_session(
            &db,
            &NewSession {
                id: DeviceId::from_uuid(Uuid::new_v4()),
                user_id: user.id,
                dealer_id: user.dealer_id,
                token_hash: &token.hash(),
                device_name: device,
                now: clock.now(),
            },
        )
        .await?;
        dealer = Some(user.dealer_id);
        out.push((user.id, token.expose().to_owned()));
    }
    let config = Config::parse_from(["showroom-server", "--static-dir", "/nonexistent"]);
    let state = AppState::new(db, clock, &config);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        let _ = showroom_server::serve(listener, app(state), std::future::pending()).await;
    });
    Ok(Served {
        addr,
        dealer: dealer.ok_or("no dealer")?,
        sessions: out,
    })
}

/// Per-user visibility (issue 21): what a salesperson's device receives on
/// a dealer of `n` leads of which `theirs` are theirs, what a reconnect
/// with nothing new costs, and what a reassignment of `k` leads costs the
/// new owner's and the old owner's devices.
async fn bench_visibility(
    name: &str,
    url: &str,
    n: usize,
    theirs: usize,
    k: usize,
) -> Result<(), BoxError> {
    let served = serve(
        url,
        &[
            ("sales1", "desk"),
            ("sales2", "desk"),
            ("sales1", "tablet"),
            ("sales2", "tablet"),
            ("manager", "laptop"),
        ],
    )
    .await?;
    let [desk1, desk2, tablet1, tablet2, laptop] = &served.sessions[..] else {
        return Err("five sessions".into());
    };
    let theirs = theirs.min(n);
    let mut saved: Vec<(Lead, Vec<u8>)> = Vec::with_capacity(n);
    let (mut one, mut two) = (Vec::new(), Vec::new());
    let mut their_bytes = 0usize;
    for i in 0..n {
        let owner = if i < theirs { desk2.0 } else { desk1.0 };
        let lead = showroom_tests::bench_lead(
            LeadId::from_uuid(Uuid::from_u128(0x5ee0_0000 + i as u128)),
            served.dealer,
            owner,
            i,
        );
        let mut doc = LeadDoc::create(actor_from_bytes([3; 16]), &lead)?;
        let changes = changes_of(&mut doc, &[]);
        if i < theirs {
            their_bytes += changes.iter().map(Vec::len).sum::<usize>();
            two.push(DocChanges {
                doc: lead.id.into(),
                changes,
            });
        } else {
            one.push(DocChanges {
                doc: lead.id.into(),
                changes,
            });
        }
        saved.push((lead, doc.save()));
    }
    reconnect(served.addr, &desk1.1, (0, 0), one).await?;
    reconnect(served.addr, &desk2.1, (0, 0), two).await?;
    let first1 = reconnect(served.addr, &tablet1.1, (0, 0), vec![]).await?;
    let first2 = reconnect(served.addr, &tablet2.1, (0, 0), vec![]).await?;
    let idle = reconnect(served.addr, &tablet2.1, (first2.cursor, first2.log), vec![]).await?;
    println!("## {name}: per-user visibility (N = {n} leads, sales2 owns {theirs})\n");
    println!("| what | wire bytes down | raw change bytes of the leads it may see | wall time |");
    println!("|---|---:|---:|---:|");
    println!(
        "| sales2 signs in on a new tablet | {} | {their_bytes} | {:.2} s |",
        first2.down,
        first2.elapsed.as_secs_f64()
    );
    println!(
        "| sales2 reconnects, nothing new | {} | 0 | {:.1} ms |",
        idle.down,
        idle.elapsed.as_secs_f64() * 1000.0
    );

    // The manager hands k of sales1's leads to sales2.
    let mut handover = Vec::with_capacity(k);
    let mut moved_bytes = 0usize;
    for (lead, bytes) in saved.iter().skip(theirs).take(k) {
        let mut doc = LeadDoc::load(bytes, actor_from_bytes([4; 16]))?;
        let heads = doc.heads();
        let mut edit = lead.clone();
        edit.owner = Some(desk2.0);
        doc.update(&edit, laptop.0, 3_000)?;
        let changes = changes_of(&mut doc, &heads);
        moved_bytes += doc
            .changes_since(&[])
            .iter()
            .map(|c| c.raw_bytes().len())
            .sum::<usize>();
        handover.push(DocChanges {
            doc: lead.id.into(),
            changes,
        });
    }
    let k = handover.len();
    reconnect(served.addr, &laptop.1, (0, 0), handover).await?;
    let gain = reconnect(served.addr, &tablet2.1, (idle.cursor, idle.log), vec![]).await?;
    let loss = reconnect(served.addr, &tablet1.1, (first1.cursor, first1.log), vec![]).await?;
    println!(
        "| sales2 reconnects after {k} leads were handed to them | {} | {moved_bytes} | {:.1} ms |",
        gain.down,
        gain.elapsed.as_secs_f64() * 1000.0
    );
    println!(
        "| sales1 reconnects after losing them (told to remove {k}) | {} | 0 | {:.1} ms |\n",
        loss.down,
        loss.elapsed.as_secs_f64() * 1000.0
    );
    Ok(())
}

fn lead(dealer: DealerId, user: UserId, i: usize) -> Lead {
    showroom_tests::bench_lead(
        LeadId::from_uuid(Uuid::from_u128(0xbe4c_0000 + i as u128)),
        dealer,
        user,
        i,
    )
}

use showroom_tests::changes_of;

struct Measured {
    round_trips: usize,
    up: u64,
    down: u64,
    elapsed: Duration,
    cursor: u64,
    /// The server log the cursor counts in (learnt on the first connection).
    log: u64,
    batches: usize,
}

/// Connects as a device with `cursor` and an outbox of `pending`, sends
/// everything at once, and reads until every batch is acknowledged and the
/// device has caught up.
async fn reconnect(
    addr: SocketAddr,
    token: &str,
    (cursor, log): (u64, u64),
    pending: Vec<DocChanges>,
) -> Result<Measured, BoxError> {
    let counters = Counters::default();
    let tcp = TcpStream::connect(addr).await?;
    tcp.set_nodelay(true)?;
    let stream = Counted {
        inner: tcp,
        counters: counters.clone(),
    };
    let (mut ws, _) = tokio_tungstenite::client_async(format!("ws://{addr}/sync"), stream).await?;
    let (up0, down0) = counters.read();
    let started = Instant::now();
    let mut client = SyncClient::new(cursor, log);
    let msgs = client.connect(token, pending);
    let batches = msgs.len() - 1;
    for m in msgs {
        ws.feed(Message::Binary(m.encode().into())).await?;
    }
    ws.flush().await?;
    let mut caught_up = false;
    while !(caught_up && client.in_flight() == 0) {
        let msg = match tokio::time::timeout(Duration::from_secs(600), ws.next()).await? {
            Some(Ok(Message::Binary(b))) => {
                if std::env::var_os("SYNC_BENCH_TRACE").is_some() {
                    eprintln!(
                        "{:>8.2} ms  {} bytes  {:?}",
                        started.elapsed().as_secs_f64() * 1000.0,
                        b.len(),
                        b.first()
                    );
                }
                ServerMsg::decode(&b)?
            }
            Some(Ok(_)) => continue,
            Some(Err(e)) => return Err(e.into()),
            None => return Err("the server closed the connection".into()),
        };
        for event in client.on_message(msg) {
            match event {
                ClientEvent::CaughtUp { .. } => caught_up = true,
                ClientEvent::Refused(r) => return Err(format!("refused: {r:?}").into()),
                ClientEvent::Fatal { message, .. } => return Err(message.into()),
                _ => {}
            }
        }
    }
    let elapsed = started.elapsed();
    // After its last ack the server moves the device's cursor past the
    // device's own changes with one small message; it is part of the cost.
    while let Ok(Some(Ok(msg))) = tokio::time::timeout(Duration::from_millis(50), ws.next()).await {
        if let Message::Binary(b) = msg {
            client.on_message(ServerMsg::decode(&b)?);
        }
    }
    let (up1, down1) = counters.read();
    let _ = ws.close(None).await;
    Ok(Measured {
        round_trips: 1,
        up: up1 - up0,
        down: down1 - down0,
        elapsed,
        cursor: client.cursor(),
        log: client.log(),
        batches,
    })
}

struct AutomergeCost {
    messages: usize,
    round_trips: usize,
    bytes: usize,
    unchanged_bytes: usize,
}

/// Runs `automerge::sync` for every document between the device's copy and
/// the server's (which lacks the offline edits).
fn automerge_sync_cost(
    saved: &[Vec<u8>],
    changed: &HashMap<usize, Vec<u8>>,
) -> Result<AutomergeCost, BoxError> {
    let mut cost = AutomergeCost {
        messages: 0,
        round_trips: 0,
        bytes: 0,
        unchanged_bytes: 0,
    };
    for (i, server_bytes) in saved.iter().enumerate() {
        let device_bytes = changed.get(&i).unwrap_or(server_bytes);
        let mut device = automerge::AutoCommit::load(device_bytes)?;
        let mut server = automerge::AutoCommit::load(server_bytes)?;
        let (mut ds, mut ss) = (automerge::sync::State::new(), automerge::sync::State::new());
        let (mut messages, mut bytes, mut rounds) = (0usize, 0usize, 0usize);
        loop {
            let mut moved = false;
            if let Some(m) = device.sync().generate_sync_message(&mut ds) {
                let enc = m.encode();
                bytes += enc.len();
                messages += 1;
                server
                    .sync()
                    .receive_sync_message(&mut ss, automerge::sync::Message::decode(&enc)?)?;
                moved = true;
            }
            if let Some(m) = server.sync().generate_sync_message(&mut ss) {
                let enc = m.encode();
                bytes += enc.len();
                messages += 1;
                device
                    .sync()
                    .receive_sync_message(&mut ds, automerge::sync::Message::decode(&enc)?)?;
                moved = true;
            }
            if !moved {
                break;
            }
            rounds += 1;
        }
        if device.get_heads() != server.get_heads() {
            return Err(format!("automerge sync did not converge on lead {i}").into());
        }
        cost.messages += messages;
        cost.bytes += bytes;
        cost.round_trips = cost.round_trips.max(rounds);
        if !changed.contains_key(&i) {
            cost.unchanged_bytes += bytes;
        }
    }
    Ok(cost)
}

#[derive(Clone, Default)]
struct Counters {
    up: Arc<AtomicU64>,
    down: Arc<AtomicU64>,
}

impl Counters {
    fn read(&self) -> (u64, u64) {
        (
            self.up.load(Ordering::Relaxed),
            self.down.load(Ordering::Relaxed),
        )
    }
}

/// A TCP stream that counts the bytes it carries.
struct Counted {
    inner: TcpStream,
    counters: Counters,
}

impl AsyncRead for Counted {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let poll = Pin::new(&mut self.inner).poll_read(cx, buf);
        let read = buf.filled().len() - before;
        self.counters.down.fetch_add(read as u64, Ordering::Relaxed);
        poll
    }
}

impl AsyncWrite for Counted {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let poll = Pin::new(&mut self.inner).poll_write(cx, buf);
        if let Poll::Ready(Ok(n)) = &poll {
            self.counters.up.fetch_add(*n as u64, Ordering::Relaxed);
        }
        poll
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

async fn fresh_pg_database(admin: &str) -> Result<String, BoxError> {
    use sqlx::Connection;
    let name = format!("showroom_bench_{}", Uuid::new_v4().simple());
    let mut conn = sqlx::PgConnection::connect(admin).await?;
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await?;
    let _ = conn.close().await;
    let base = admin.split('?').next().unwrap_or(admin);
    let (server, _) = base
        .rsplit_once('/')
        .ok_or("the PostgreSQL URL has no database part")?;
    Ok(format!("{server}/{name}"))
}
