//! The seeding device of `cargo xtask bench device` (`tests/bench/device.mjs`):
//! one device of the dealer, signed in through the API, that pushes leads and
//! live edits over one sync WebSocket while the measured page looks on.
//!
//! It reads one command a line on stdin and answers one line on stdout:
//!
//! - `seed N` pushes N new leads in pushes of at most 400 documents and waits
//!   for every ack: `seeded N <ms>`. Leads `0..HOT` (the first 100) have the
//!   earliest follow-up date, so they are the first page of the list (sorted by
//!   follow-up date); the others have dates spread over a year, a few none.
//! - `edit K INTERVAL_MS START` makes K single-lead edits, one push each,
//!   INTERVAL_MS apart. Edit number `e = START + j` renames lead `e % HOT` to
//!   `Edited-<e>-<tag>` (ASCII, so the page finds it in the bytes it receives
//!   and in the DOM). When every edit is acked:
//!   `edited K <last ack> <push 1>,<push 2>,…`, times in Unix ms.
//! - `tag` answers `tag <tag>`: the run's random marker tag.
//! - `forge-approval LEAD VERSION` pushes an approval of a quote version in
//!   this session's name (a salesperson's: the server must refuse it),
//!   answering `refused <code>` or `accepted`;
//! - `forge-catalogue` pushes a change to the dealer's catalogue (a trim at
//!   ¥1) in this session's name: `refused <code>` (a salesperson's session:
//!   `refused forbidden`) or `accepted`. The e2e tests use it.
//! - `quit` (or the end of stdin) closes the connection and exits.
//!
//! Errors go to stderr and end the process with a non-zero status.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use clap::Parser;
use futures_util::{SinkExt, StreamExt};
use showroom_shared::doc::{LeadDoc, actor_from_bytes};
use showroom_shared::domain::{Date, DealerId, Lead, LeadId, UserId};
use showroom_shared::sync::{ClientEvent, ClientMsg, DocChanges, ServerMsg, SyncClient};
use showroom_tests::{bench_lead, changes_of};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use uuid::Uuid;

#[derive(Parser, Debug)]
#[command(about = "A seeding device for the device benchmark: reads commands on stdin")]
struct Args {
    /// The server, e.g. http://127.0.0.1:8080.
    #[arg(long)]
    url: String,
    /// The bearer token of this device's session (from POST /api/v1/auth/login).
    #[arg(long)]
    token: String,
    /// The dealer of the signed-in user (session.dealer.id).
    #[arg(long)]
    dealer: DealerId,
    /// The signed-in user (session.user.id): owner and author of the leads.
    #[arg(long)]
    user: UserId,
}

/// Leads with the earliest follow-up date: the list's first page, the ones edited.
const HOT: usize = 100;
/// Documents in one push while seeding.
const SEED_PUSH: usize = 400;
/// The longest wait for any answer of the server.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(300);

type BoxError = Box<dyn std::error::Error + Send + Sync>;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let args = Args::parse();
    match run(args).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("device-seed: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// The one sync connection and what it has in flight.
struct Conn {
    ws: Ws,
    client: SyncClient,
    /// Unix ms of the last ack received.
    last_ack: f64,
    /// Refusals kept for the command that expects them (`forge-catalogue`);
    /// `None`: a refusal is an error.
    refusals: Option<Vec<showroom_shared::sync::Refused>>,
}

impl Conn {
    async fn open(url: &str, token: &str) -> Result<Conn, BoxError> {
        let ws_url = if let Some(rest) = url.strip_prefix("http://") {
            format!("ws://{}/sync", rest.trim_end_matches('/'))
        } else {
            return Err(format!("--url must start with http:// (got {url:?})").into());
        };
        let (ws, _) =
            tokio::time::timeout(ANSWER_TIMEOUT, tokio_tungstenite::connect_async(&ws_url))
                .await
                .map_err(|_| format!("connecting to {ws_url} timed out"))?
                .map_err(|e| format!("could not open the sync WebSocket {ws_url}: {e}"))?;
        let mut conn = Conn {
            ws,
            client: SyncClient::new(0, 0),
            last_ack: 0.0,
            refusals: None,
        };
        let hello = conn.client.connect(token, Vec::new());
        conn.send(hello).await?;
        Ok(conn)
    }

    async fn send(&mut self, msgs: Vec<ClientMsg>) -> Result<(), BoxError> {
        for m in msgs {
            self.ws
                .feed(Message::Binary(m.encode().into()))
                .await
                .map_err(|e| format!("sending to the server failed: {e}"))?;
        }
        self.ws
            .flush()
            .await
            .map_err(|e| format!("sending to the server failed: {e}"))?;
        Ok(())
    }

    /// Handles one frame read from the socket.
    fn on_frame(
        &mut self,
        frame: Option<Result<Message, tokio_tungstenite::tungstenite::Error>>,
    ) -> Result<(), BoxError> {
        let bytes = match frame {
            Some(Ok(Message::Binary(b))) => b,
            Some(Ok(Message::Close(c))) => {
                return Err(format!("the server closed the sync connection: {c:?}").into());
            }
            Some(Ok(_)) => return Ok(()),
            Some(Err(e)) => return Err(format!("the sync connection failed: {e}").into()),
            None => return Err("the server closed the sync connection".into()),
        };
        let msg = ServerMsg::decode(&bytes)
            .map_err(|e| format!("could not decode a message of the server: {e}"))?;
        for event in self.client.on_message(msg) {
            match event {
                ClientEvent::Acked { .. } => self.last_ack = now_ms(),
                ClientEvent::Refused(r) if self.refusals.is_some() => {
                    if let Some(list) = self.refusals.as_mut() {
                        list.push(r);
                    }
                }
                ClientEvent::Refused(r) => {
                    return Err(format!(
                        "the server refused lead {}: {:?} {}",
                        r.doc, r.code, r.message
                    )
                    .into());
                }
                ClientEvent::Fatal { code, message } => {
                    return Err(
                        format!("the server ended the connection: {code:?} {message}").into(),
                    );
                }
                ClientEvent::Apply { .. }
                | ClientEvent::CaughtUp { .. }
                | ClientEvent::Receipted { .. }
                | ClientEvent::Audited
                | ClientEvent::Ended
                | ClientEvent::Log { .. } => {}
            }
        }
        Ok(())
    }

    /// Reads (handling what arrives) until `deadline`; a passed deadline still takes what is ready.
    async fn read_until(&mut self, deadline: tokio::time::Instant) -> Result<(), BoxError> {
        loop {
            match tokio::time::timeout_at(deadline, self.ws.next()).await {
                Ok(frame) => self.on_frame(frame)?,
                Err(_) => return Ok(()),
            }
        }
    }

    /// Reads until every pushed batch is acknowledged.
    async fn drain(&mut self) -> Result<(), BoxError> {
        while self.client.in_flight() > 0 {
            let frame = tokio::time::timeout(ANSWER_TIMEOUT, self.ws.next())
                .await
                .map_err(|_| {
                    format!(
                        "no answer from the server within {} s ({} batches not acked)",
                        ANSWER_TIMEOUT.as_secs(),
                        self.client.in_flight()
                    )
                })?;
            self.on_frame(frame)?;
        }
        Ok(())
    }
}

fn now_ms() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64() * 1000.0)
        .unwrap_or(0.0)
}

const SURNAMES: [&str; 10] = [
    "Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Huang", "Zhao", "Wu", "Zhou",
];
const GIVEN: [&str; 10] = [
    "Wei", "Fang", "Xiaoming", "Jing", "Lei", "Min", "Jianguo", "Yan", "Hao", "Xiu",
];

/// Lead number `i` of the benchmark dealer: a name like "Zhang Xiaoming 01234"
/// (every pair of surname and given name about equally often), and a follow-up
/// date: the earliest for the first [`HOT`], spread over a year for the rest,
/// none for one in twenty.
fn seed_lead(dealer: DealerId, user: UserId, i: usize) -> Result<Lead, BoxError> {
    let id = LeadId::from_uuid(Uuid::from_u128(0xde71_0000_0000 + i as u128));
    let mut lead = bench_lead(id, dealer, user, i);
    let pick = i.wrapping_mul(7919) % 100;
    lead.customer.name = format!("{} {} {i:05}", SURNAMES[pick / 10], GIVEN[pick % 10]);
    let first = Date::from_ymd(2026, 1, 5).map_err(|_| "bad date")?;
    lead.next_follow_up = if i < HOT {
        Some(first)
    } else if i % 20 == 7 {
        None
    } else {
        Some(first.add_days(1 + (i.wrapping_mul(37) % 365) as i32))
    };
    Ok(lead)
}

struct Device {
    args: Args,
    conn: Conn,
    actor: [u8; 16],
    tag: String,
    /// The first [`HOT`] leads, as this device holds them.
    hot: Vec<(Lead, LeadDoc)>,
    seeded: usize,
}

impl Device {
    async fn seed(&mut self, n: usize) -> Result<String, BoxError> {
        if self.seeded > 0 {
            return Err("seed may be given only once".into());
        }
        let started = Instant::now();
        let mut pending = Vec::with_capacity(SEED_PUSH);
        for i in 0..n {
            let lead = seed_lead(self.args.dealer, self.args.user, i)?;
            let mut doc = LeadDoc::create(actor_from_bytes(self.actor), &lead)
                .map_err(|e| format!("could not build lead {i}: {e}"))?;
            pending.push(DocChanges {
                doc: lead.id.into(),
                changes: changes_of(&mut doc, &[]),
            });
            if i < HOT {
                self.hot.push((lead, doc));
            }
            if pending.len() == SEED_PUSH || i + 1 == n {
                let msgs = self.conn.client.push(std::mem::take(&mut pending));
                self.conn.send(msgs).await?;
                // Keep reading so that acks do not pile up in the socket.
                let now = tokio::time::Instant::now();
                self.conn.read_until(now).await?;
            }
        }
        self.conn.drain().await?;
        self.seeded = n;
        Ok(format!("seeded {n} {}", started.elapsed().as_millis()))
    }

    /// Pushes a change to the dealer's catalogue (a trim at ¥1) as this
    /// device's session: answers `refused <code>` or `accepted`.
    async fn forge_catalogue(&mut self) -> Result<String, BoxError> {
        use showroom_shared::domain::catalogue::{ModelId, Powertrain, Transmission, Trim, TrimId};
        let mut doc = showroom_shared::doc::DealerDoc::empty(actor_from_bytes(self.actor));
        let trim = Trim {
            id: TrimId::from_uuid(uuid::Uuid::new_v4()),
            model: ModelId::from_uuid(uuid::Uuid::new_v4()),
            name: "Forged".into(),
            list_price: showroom_shared::domain::Money(100),
            powertrain: Powertrain::Petrol,
            gearbox: Transmission::Manual,
            seats: 5,
            displacement_cc: 1_000,
            archived: false,
            cost: None,
            max_discount: None,
        };
        doc.put(&trim, now_ms() as i64)
            .map_err(|e| format!("could not forge: {e}"))?;
        let changes = doc
            .changes_since(&[])
            .iter()
            .map(|c| c.raw_bytes().to_vec())
            .collect();
        self.push_forged(
            showroom_shared::domain::DocId::dealer(self.args.dealer),
            changes,
        )
        .await
    }

    /// Pushes a manager's approval of quote version `version` of lead
    /// `lead` as this device's session (a salesperson's: forged): answers
    /// `refused <code>` or `accepted`.
    async fn forge_approval(&mut self, lead: &str, version: &str) -> Result<String, BoxError> {
        use showroom_shared::domain::quote::{Approval, ApprovalId};
        let lead: showroom_shared::domain::LeadId = lead.parse().map_err(|_| "a lead id")?;
        let mut doc = LeadDoc::empty(actor_from_bytes(self.actor));
        let approval = Approval {
            id: ApprovalId::from_uuid(uuid::Uuid::new_v4()),
            version: version.parse().map_err(|_| "a version id")?,
            digest: "forged".into(),
            approved: true,
            comment: "forged".into(),
            decided_by: self.args.user,
            decided_at: now_ms() as i64,
        };
        doc.put_approval(&approval, now_ms() as i64)
            .map_err(|e| format!("could not forge: {e}"))?;
        let changes = changes_of(&mut doc, &[]);
        self.push_forged(lead.into(), changes).await
    }

    /// Pushes one document's changes and reports the server's answer.
    async fn push_forged(
        &mut self,
        doc: showroom_shared::domain::DocId,
        changes: Vec<Vec<u8>>,
    ) -> Result<String, BoxError> {
        self.conn.refusals = Some(Vec::new());
        let msgs = self.conn.client.push(vec![DocChanges { doc, changes }]);
        self.conn.send(msgs).await?;
        let drained = self.conn.drain().await;
        let refusals = self.conn.refusals.take().unwrap_or_default();
        drained?;
        Ok(match refusals.first() {
            Some(r) => format!("refused {}", r.code.as_str()),
            None => "accepted".to_owned(),
        })
    }

    async fn edit(&mut self, k: usize, interval: u64, start: usize) -> Result<String, BoxError> {
        if self.hot.is_empty() {
            return Err("edit before seed".into());
        }
        let begin = tokio::time::Instant::now();
        let mut pushed = Vec::with_capacity(k);
        for j in 0..k {
            let due = begin + Duration::from_millis(interval * j as u64);
            self.conn.read_until(due).await?;
            let number = start + j;
            let slot = number % self.hot.len();
            let (lead, doc) = &mut self.hot[slot];
            let heads = doc.heads();
            lead.customer.name = format!("Edited-{number}-{}", self.tag);
            let now = now_ms();
            doc.update(lead, self.args.user, now as i64)
                .map_err(|e| format!("could not edit lead {slot}: {e}"))?;
            let changes = changes_of(doc, &heads);
            let msgs = self.conn.client.push(vec![DocChanges {
                doc: lead.id.into(),
                changes,
            }]);
            self.conn.send(msgs).await?;
            pushed.push(format!("{now:.1}"));
        }
        self.conn.drain().await?;
        Ok(format!(
            "edited {k} {:.1} {}",
            self.conn.last_ack,
            pushed.join(",")
        ))
    }
}

fn number(word: Option<&str>, what: &str) -> Result<usize, BoxError> {
    word.ok_or_else(|| format!("missing {what}"))?
        .parse()
        .map_err(|_| format!("{what} is not a number").into())
}

async fn run(args: Args) -> Result<(), BoxError> {
    let conn = Conn::open(&args.url, &args.token).await?;
    let tag = Uuid::new_v4().simple().to_string()[..8].to_owned();
    let mut device = Device {
        args,
        conn,
        actor: Uuid::new_v4().into_bytes(),
        tag,
        hot: Vec::new(),
        seeded: 0,
    };
    // Stdin on a thread of its own (the workspace's tokio has no io-std).
    let (tx, mut lines) = tokio::sync::mpsc::unbounded_channel::<String>();
    std::thread::spawn(move || {
        for line in std::io::stdin().lines() {
            match line {
                Ok(l) => {
                    if tx.send(l).is_err() {
                        break;
                    }
                }
                Err(_) => break,
            }
        }
    });
    loop {
        let line = tokio::select! {
            line = lines.recv() => line,
            frame = device.conn.ws.next() => {
                device.conn.on_frame(frame)?;
                continue;
            }
        };
        let Some(line) = line else { break };
        let mut words = line.split_whitespace();
        let answer = match words.next() {
            None => continue,
            Some("seed") => device.seed(number(words.next(), "N")?).await?,
            Some("edit") => {
                let k = number(words.next(), "K")?;
                let interval = number(words.next(), "INTERVAL_MS")? as u64;
                let start = match words.next() {
                    Some(w) => number(Some(w), "START")?,
                    None => 0,
                };
                device.edit(k, interval, start).await?
            }
            Some("tag") => format!("tag {}", device.tag),
            Some("forge-catalogue") => device.forge_catalogue().await?,
            Some("forge-approval") => {
                let lead = words.next().ok_or("forge-approval LEAD VERSION")?;
                let version = words.next().ok_or("forge-approval LEAD VERSION")?;
                device.forge_approval(lead, version).await?
            }
            Some("quit") => break,
            Some(other) => {
                return Err(format!("unknown command {other:?} (seed, edit, tag, quit)").into());
            }
        };
        println!("{answer}");
    }
    let _ = device.conn.ws.close(None).await;
    Ok(())
}
