//! The sync writer: every pushed batch of every connection is stored here.
//!
//! Why one place: SQLite has one writer at a time, and a burst of one dealer
//! must not stall another (issue 6). Connections hand their batches to a
//! writer task and wait for its answer; the task
//! - takes whatever is queued, **one batch per dealer in turn** (round robin),
//!   up to a budget of changes and bytes, so one dealer's burst of pushes
//!   never queues another dealer's small write behind all of it;
//! - does the Automerge work (parse, apply, validate) on a blocking thread
//!   **before** any transaction, against documents it keeps in memory (an
//!   LRU cache; a miss opens the snapshot and applies the log's tail);
//! - writes the whole group in **one short transaction** of a few multi-row
//!   statements, snapshots only every [`SNAPSHOT_EVERY`] changes of a
//!   document (the log is the truth), then acks every batch in it and hands
//!   the committed changes to the hub, which delivers them to the dealer's
//!   other connections without a database read per connection.
//!
//! On SQLite there is one writer task; on PostgreSQL a few, each owning a
//! share of the dealers (different dealers write in parallel, one dealer's
//! writes stay in order). Another server process on the same PostgreSQL
//! database may write the same dealer: the dealer's row lock orders the
//! commits, and a commit that finds a document changed since it was read is
//! redone from the database.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use std::collections::HashSet;

use showroom_shared::doc::{ActorId, Content};
use showroom_shared::domain::catalogue::CollisionRule;
use showroom_shared::domain::collision::{Absorbed, Collision, CollisionId, Outcome, Resolution};
use showroom_shared::domain::floor;
use showroom_shared::domain::{DealerId, DeviceId, DocId, DocKind, Lead, LeadId, Role, UserId};
use showroom_shared::rules::{Author, Policy};
use showroom_shared::sync::{
    DocChanges, DocState, Refused, ServerMsg, SyncErrorCode, ingest, limits,
};
use showroom_shared::visibility::{Access, Reader, may_see};
use tokio::sync::{mpsc, oneshot};

use crate::clock::Clock;
use crate::db::access::{Move, Quarantined};
use crate::db::{self, ChangeRow, CommitError, Db, DealerWrite, DocumentRow, Snapshot};
use crate::hub::{Commit, Hub};

/// A document's snapshot is rewritten once this many changes are stored
/// after it: the shared rule (`doc::COMPACT_AT`).
pub const SNAPSHOT_EVERY: usize = showroom_shared::doc::COMPACT_AT;
/// What one group (one transaction) may hold; a single batch bigger than
/// this still goes, alone.
const GROUP_CHANGES: usize = 4_000;
const GROUP_BYTES: usize = 4 * 1024 * 1024;
/// Tries of a group whose documents another server process changed meanwhile.
const CONFLICT_TRIES: usize = 4;

/// What storing a batch did: the documents refused, with why (the rest is
/// committed).
#[derive(Debug, Default)]
pub struct BatchOutcome {
    pub refused: Vec<Refused>,
}

#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("the database failed: {0}")]
    Db(String),
    #[error("the server is shutting down")]
    Closed,
}

struct Request {
    dealer: DealerId,
    device: DeviceId,
    /// The session's user and role: the author of every change in the batch.
    author: Author,
    /// What the session may see (`AppState::reader`).
    reader: Reader,
    docs: Vec<DocChanges>,
    /// What the server writes in its own name instead of pushed changes
    /// (`docs` then names the documents, with no changes).
    job: Option<Job>,
    reply: oneshot::Sender<Result<BatchOutcome, WriteError>>,
}

/// What the server writes in its own name, queued and committed like a
/// push (in turn with the dealer's other batches, one transaction, fanned
/// out to every device that may see the documents).
#[derive(Clone, Debug)]
pub enum Job {
    /// Two leads share a mobile number (`docs`: both): each records the
    /// other — its id, whose it is, since when — never its contents.
    Collide { id: CollisionId, found_at: i64 },
    /// A decision on a collision (`docs`: its two leads; for a merge, the
    /// survivor first).
    Resolve { id: CollisionId, outcome: Outcome },
    /// What a device wrote in a lead after a merge absorbed it (it did not
    /// know yet), carried into the survivor (`docs`: the survivor alone):
    /// its new or changed records and new notes, each in its author's name.
    Carry { news: Box<Lead> },
    /// Pool leads nobody claimed within their first-contact target
    /// (`docs`: the pool's leads), under the dealer's rule "go to the next
    /// salesperson in rotation": each goes to the next of `line` (those on
    /// the floor, next first, none passed by), in turn.
    Unclaimed { line: Vec<UserId> },
}

impl Request {
    fn size(&self) -> (usize, usize) {
        let changes = self.docs.iter().map(|d| d.changes.len()).sum::<usize>();
        let bytes = self
            .docs
            .iter()
            .flat_map(|d| d.changes.iter())
            .map(Vec::len)
            .sum::<usize>();
        (changes.max(1), bytes)
    }
}

/// The handle connections use.
#[derive(Clone, Debug)]
pub struct Writer {
    shards: Arc<Vec<mpsc::UnboundedSender<Request>>>,
}

impl Writer {
    /// Starts the writer tasks (call inside the Tokio runtime).
    pub fn start(db: Db, hub: Arc<Hub>, clock: Clock, cache_docs: usize) -> Writer {
        let shards = match db {
            Db::Sqlite(_) => 1,
            Db::Postgres(_) => 4,
        };
        let per_shard = (cache_docs / shards).max(16);
        let senders = (0..shards)
            .map(|_| {
                let (tx, rx) = mpsc::unbounded_channel();
                let task = Task {
                    out: Out {
                        db: db.clone(),
                        hub: hub.clone(),
                        clock: clock.clone(),
                        actor: server_actor(),
                    },
                    cache: Cache::new(per_shard),
                    known_seq: HashMap::new(),
                    queues: Queues::default(),
                };
                tokio::spawn(task.run(rx));
                tx
            })
            .collect();
        Writer {
            shards: Arc::new(senders),
        }
    }

    /// Queues a batch and returns where its answer will come: a connection
    /// may have several batches queued (they are stored in order), so the
    /// writer can take them into one transaction.
    pub fn enqueue(
        &self,
        dealer: DealerId,
        device: DeviceId,
        author: Author,
        reader: Reader,
        docs: Vec<DocChanges>,
    ) -> Result<Pending, WriteError> {
        self.send(Request::new(dealer, device, author, reader, docs, None))
    }

    /// Queues what the server writes in its own name about `docs`.
    pub fn job(&self, dealer: DealerId, docs: &[DocId], job: Job) -> Result<Pending, WriteError> {
        self.send(Request::job(dealer, docs, job))
    }

    fn send(&self, (request, answer): (Request, Pending)) -> Result<Pending, WriteError> {
        let shard = (request.dealer.0.as_u128() % self.shards.len() as u128) as usize;
        self.shards[shard]
            .send(request)
            .map_err(|_| WriteError::Closed)?;
        Ok(answer)
    }
}

impl Request {
    fn new(
        dealer: DealerId,
        device: DeviceId,
        author: Author,
        reader: Reader,
        docs: Vec<DocChanges>,
        job: Option<Job>,
    ) -> (Request, Pending) {
        let (reply, answer) = oneshot::channel();
        let request = Request {
            dealer,
            device,
            author,
            reader,
            docs,
            job,
            reply,
        };
        (request, answer)
    }

    /// The server's own request: its changes come from no device.
    fn job(dealer: DealerId, docs: &[DocId], job: Job) -> (Request, Pending) {
        let docs = docs
            .iter()
            .map(|doc| DocChanges {
                doc: *doc,
                changes: Vec::new(),
            })
            .collect();
        Request::new(
            dealer,
            SERVER_ORIGIN,
            Author {
                user: UserId::SERVER,
                role: Role::Admin,
            },
            Reader::Dealer,
            docs,
            Some(job),
        )
    }
}

/// Queues the writing of every collision found but not written into its
/// leads (the server stopped in between); returns how many.
pub async fn record_unrecorded(db: &Db, writer: &Writer) -> Result<usize, sqlx::Error> {
    let rows = db::collisions::unrecorded(db).await?;
    for c in &rows {
        // Written in turn; nobody waits for the answer.
        let _ = writer.job(
            c.dealer,
            &[c.a.into(), c.b.into()],
            Job::Collide {
                id: c.id,
                found_at: c.found_at,
            },
        );
    }
    Ok(rows.len())
}

/// The answer to a queued batch.
pub type Pending = oneshot::Receiver<Result<BatchOutcome, WriteError>>;

/// Batches waiting, one queue per dealer, taken in turn.
#[derive(Default)]
struct Queues {
    by_dealer: HashMap<DealerId, VecDeque<Request>>,
    turn: VecDeque<DealerId>,
}

impl Queues {
    fn push(&mut self, r: Request) {
        let q = self.by_dealer.entry(r.dealer).or_default();
        if q.is_empty() {
            self.turn.push_back(r.dealer);
        }
        q.push_back(r);
    }

    fn is_empty(&self) -> bool {
        self.turn.is_empty()
    }

    /// One batch per dealer in turn, until the budget is spent (at least one).
    fn take_group(&mut self) -> Vec<Request> {
        let mut group = Vec::new();
        let (mut changes, mut bytes) = (0usize, 0usize);
        while let Some(dealer) = self.turn.pop_front() {
            let Some(q) = self.by_dealer.get_mut(&dealer) else {
                continue;
            };
            let Some(next) = q.front() else {
                self.by_dealer.remove(&dealer);
                continue;
            };
            let (c, b) = next.size();
            if !group.is_empty() && (changes + c > GROUP_CHANGES || bytes + b > GROUP_BYTES) {
                self.turn.push_front(dealer);
                break;
            }
            changes += c;
            bytes += b;
            if let Some(r) = q.pop_front() {
                group.push(r);
            }
            if q.is_empty() {
                self.by_dealer.remove(&dealer);
            } else {
                self.turn.push_back(dealer);
            }
        }
        group
    }
}

struct Entry {
    state: DocState,
    /// `documents.last_seq` as this process last saw or wrote it (`None`: not stored).
    last_seq: Option<i64>,
    /// Who may see the document (`None`: it does not exist for anyone yet).
    /// An owner changes only with a change of the document, so it is as
    /// fresh as `last_seq`.
    access: Option<Access>,
    used: u64,
}

/// Documents kept open between batches, least recently used dropped first.
struct Cache {
    entries: HashMap<(DealerId, DocId), Entry>,
    capacity: usize,
    clock: u64,
    /// Each dealer's approval policy (its discount limits), read from its
    /// document: kept up to date by `put`, the one way a committed dealer
    /// document comes back.
    policies: HashMap<DealerId, Policy>,
}

impl Cache {
    fn new(capacity: usize) -> Cache {
        Cache {
            entries: HashMap::new(),
            capacity,
            clock: 0,
            policies: HashMap::new(),
        }
    }

    /// The approval policies of `dealers`: kept, read from a cached dealer
    /// document, or loaded from the database once.
    async fn policies(
        &mut self,
        db: &Db,
        dealers: impl IntoIterator<Item = DealerId>,
    ) -> Result<HashMap<DealerId, Policy>, String> {
        let mut out = HashMap::new();
        for dealer in dealers {
            if out.contains_key(&dealer) {
                continue;
            }
            if !self.policies.contains_key(&dealer) {
                let key = (dealer, DocId::dealer(dealer));
                let read = match self.entries.get_mut(&key) {
                    Some(entry) => entry.state.dealer(),
                    None => stored_dealer(db, dealer).await.map_err(|e| e.to_string())?,
                };
                // A dealer without a document yet has the default limits.
                let policy = read
                    .map(|d| showroom_shared::rules::policy(&d))
                    .unwrap_or_default();
                self.policies.insert(dealer, policy);
            }
            if let Some(p) = self.policies.get(&dealer) {
                out.insert(dealer, p.clone());
            }
        }
        Ok(out)
    }

    fn take(&mut self, key: &(DealerId, DocId)) -> Option<Entry> {
        self.entries.remove(key)
    }

    fn put(&mut self, key: (DealerId, DocId), mut entry: Entry) {
        if key.1.kind == DocKind::Dealer
            && let Some(dealer) = entry.state.dealer()
        {
            self.policies
                .insert(key.0, showroom_shared::rules::policy(&dealer));
        }
        self.clock += 1;
        entry.used = self.clock;
        self.entries.insert(key, entry);
        if self.entries.len() > self.capacity {
            // Drop the oldest tenth at once: amortised O(1) per insert.
            let mut ages: Vec<u64> = self.entries.values().map(|e| e.used).collect();
            let cut = self.entries.len() - self.capacity * 9 / 10;
            let (_, nth, _) = ages.select_nth_unstable(cut.saturating_sub(1));
            let oldest = *nth;
            self.entries.retain(|_, e| e.used > oldest);
        }
    }
}

struct Task {
    out: Out,
    cache: Cache,
    known_seq: HashMap<DealerId, i64>,
    queues: Queues,
}

/// Where a committed group goes: the database, the hub (its connections),
/// the clock of its rows.
struct Out {
    db: Db,
    hub: Arc<Hub>,
    clock: Clock,
    /// The Automerge actor of this writer's own changes (`server_actor`).
    actor: ActorId,
}

/// Where a change the server wrote itself comes from: no device.
pub const SERVER_ORIGIN: DeviceId = DeviceId::from_uuid(uuid::Uuid::nil());

/// A fresh actor for each writer task: the server's own changes (an owner
/// conflict settled) never reuse an (actor, seq) pair, whatever another
/// task or process writes.
fn server_actor() -> ActorId {
    showroom_shared::doc::actor_from_bytes(*uuid::Uuid::new_v4().as_bytes())
}

/// What the server writes in its own name during a group: its actor and
/// the time of its changes.
#[derive(Clone)]
struct ServerPen {
    actor: ActorId,
    now: i64,
}

/// What the blocking step did for one request: the documents it refused.
struct Applied {
    refused: Vec<Refused>,
    /// What it wrote in leads a merge absorbed, for their survivors.
    carries: Vec<(LeadId, Box<Lead>)>,
}

impl Task {
    /// Takes groups one after the other; while one group commits, the next
    /// (when it touches other documents) is already being prepared, so the
    /// Automerge work and the database write overlap.
    async fn run(mut self, mut rx: mpsc::UnboundedReceiver<Request>) {
        let mut ready: Option<Prepared> = None;
        loop {
            if ready.is_none() && self.queues.is_empty() {
                match rx.recv().await {
                    Some(r) => self.queues.push(r),
                    None => return,
                }
            }
            while let Ok(more) = rx.try_recv() {
                self.queues.push(more);
            }
            let next = (!self.queues.is_empty()).then(|| self.queues.take_group());
            match (ready.take(), next) {
                (None, None) => {}
                (None, Some(group)) => ready = self.prepare_or_fail(group).await,
                (Some(p), None) => self.commit_or_retry(p).await,
                (Some(p), Some(group)) if overlaps(&p, &group) => {
                    self.commit_or_retry(p).await;
                    ready = self.prepare_or_fail(group).await;
                }
                (Some(p), Some(group)) => {
                    let (committed, prepared) = tokio::join!(
                        commit(&self.out, &mut self.known_seq, p),
                        prepare(&self.out, &mut self.cache, group),
                    );
                    self.settle(committed).await;
                    ready = match prepared {
                        Ok(p) => Some(p),
                        Err((group, err)) => {
                            self.retry_alone(group, err).await;
                            None
                        }
                    };
                }
            }
        }
    }

    async fn prepare_or_fail(&mut self, group: Vec<Request>) -> Option<Prepared> {
        match prepare(&self.out, &mut self.cache, group).await {
            Ok(p) => Some(p),
            Err((group, err)) => {
                self.retry_alone(group, err).await;
                None
            }
        }
    }

    async fn commit_or_retry(&mut self, p: Prepared) {
        let done = commit(&self.out, &mut self.known_seq, p).await;
        self.settle(done).await;
    }

    /// After a commit: its documents go back to the cache; a group that
    /// failed is tried again alone.
    async fn settle(&mut self, done: Committed) {
        match done {
            Ok(done) => self.keep(done),
            Err((group, err)) => self.retry_alone(group, err).await,
        }
    }

    /// After a commit: its documents go back to the cache, and each
    /// collision it found is written into its two leads next (a job in
    /// the dealer's queue: its answer goes nowhere).
    fn keep(&mut self, done: Done) {
        for (key, entry) in done.entries {
            self.cache.put(key, entry);
        }
        let now = self.out.clock.now();
        for (dealer, id, a, b) in done.collisions {
            let (Ok(id), Ok(a), Ok(b)) = (
                id.parse::<CollisionId>(),
                a.parse::<LeadId>(),
                b.parse::<LeadId>(),
            ) else {
                continue;
            };
            let (request, _) = Request::job(
                dealer,
                &[a.into(), b.into()],
                Job::Collide { id, found_at: now },
            );
            self.queues.push(request);
        }
        for (dealer, survivor, news) in done.carries {
            let (request, _) = Request::job(dealer, &[survivor.into()], Job::Carry { news });
            self.queues.push(request);
        }
    }

    /// A group whose documents another server process changed is redone from
    /// the database (a few times); any other failure is answered as such.
    async fn retry_alone(&mut self, mut group: Vec<Request>, mut err: AttemptError) {
        let mut tries = 1;
        loop {
            if !matches!(err, AttemptError::Conflict) || tries >= CONFLICT_TRIES {
                let message = match err {
                    AttemptError::Conflict => "documents kept changing under the writer".to_owned(),
                    AttemptError::Db(e) => e,
                };
                for r in group {
                    let _ = r.reply.send(Err(WriteError::Db(message.clone())));
                }
                return;
            }
            tracing::debug!("a document changed in another server process; redoing the group");
            tries += 1;
            let attempt = match prepare(&self.out, &mut self.cache, group).await {
                Ok(p) => commit(&self.out, &mut self.known_seq, p).await,
                Err(e) => Err(e),
            };
            match attempt {
                Ok(done) => {
                    self.keep(done);
                    return;
                }
                Err((back, e)) => {
                    group = back;
                    err = e;
                }
            }
        }
    }
}

type Key = (DealerId, DocId);

/// A group whose Automerge work is done, ready to be written.
struct Prepared {
    group: Vec<Request>,
    entries: HashMap<Key, Entry>,
    writes: Vec<DealerWrite>,
    applied: Vec<Applied>,
}

/// On success, the documents to keep; on failure nothing was committed and
/// the requests come back.
type Committed = Result<Done, (Vec<Request>, AttemptError)>;

/// A committed group: its documents to keep, and the collisions it found
/// (`(dealer, id, lead a, lead b)`), to be written into their leads next.
struct Done {
    entries: Vec<(Key, Entry)>,
    /// What devices wrote in leads a merge absorbed, for the survivors.
    carries: Vec<(DealerId, LeadId, Box<Lead>)>,
    collisions: Vec<(DealerId, String, String, String)>,
}

/// Whether `group` touches a document `p` holds (it must then wait for `p`'s
/// commit, or it would open the document as it was before `p`).
fn overlaps(p: &Prepared, group: &[Request]) -> bool {
    group.iter().any(|r| {
        r.docs
            .iter()
            .any(|d| p.entries.contains_key(&(r.dealer, d.doc)))
    })
}

/// Opens every document the group touches (from the cache or the database)
/// and does the Automerge work off the async threads. On `Err` the
/// documents it took from the cache are dropped (reopened next time).
async fn prepare(
    out: &Out,
    cache: &mut Cache,
    group: Vec<Request>,
) -> Result<Prepared, (Vec<Request>, AttemptError)> {
    let db = &out.db;
    let pen = ServerPen {
        actor: out.actor.clone(),
        now: out.clock.now(),
    };
    let t0 = std::time::Instant::now();
    let mut entries: HashMap<Key, Entry> = HashMap::new();
    let mut missing: HashMap<DealerId, Vec<DocId>> = HashMap::new();
    for r in &group {
        for d in &r.docs {
            let key = (r.dealer, d.doc);
            if entries.contains_key(&key) {
                continue;
            }
            match cache.take(&key) {
                Some(e) => {
                    entries.insert(key, e);
                }
                None => {
                    let list = missing.entry(r.dealer).or_default();
                    if !list.contains(&d.doc) {
                        list.push(d.doc);
                    }
                }
            }
        }
    }
    // The discount limits of every dealer whose leads change judge their
    // quotes (`rules::check`).
    let dealers = group
        .iter()
        .filter(|r| r.docs.iter().any(|d| d.doc.kind == DocKind::Lead))
        .map(|r| r.dealer);
    let policies = match cache.policies(db, dealers.collect::<Vec<_>>()).await {
        Ok(p) => p,
        Err(e) => return Err((group, AttemptError::Db(e))),
    };
    let mut loaded = Vec::new();
    for (dealer, docs) in missing {
        let rows = db::load_documents(db, dealer, &docs).await;
        let owners = db::access::owners(db, dealer, &docs).await;
        match (rows, owners) {
            (Ok(rows), Ok(owners)) => loaded.push((dealer, docs, rows, owners)),
            (Err(e), _) | (_, Err(e)) => return Err((group, AttemptError::Db(e.to_string()))),
        }
    }
    let quarantine = match quarantined_items(db, &group, &entries, &loaded).await {
        Ok(q) => q,
        Err(e) => return Err((group, AttemptError::Db(e.to_string()))),
    };
    let t1 = std::time::Instant::now();
    let work = tokio::task::spawn_blocking(move || {
        apply_group(group, entries, loaded, &policies, &quarantine, &pen)
    })
    .await;
    match work {
        Ok((group, entries, writes, applied)) => {
            tracing::debug!(
                batches = group.len(),
                load = ?(t1 - t0),
                apply = ?t1.elapsed(),
                "sync writer prepared a group"
            );
            Ok(Prepared {
                group,
                entries,
                writes,
                applied,
            })
        }
        Err(e) => {
            // Each document's ingest catches its own panics, so this is a
            // bug of the writer itself. The requests are gone with the
            // task; their connections see the answer dropped and retry.
            tracing::error!(%e, "the sync writer's blocking step failed");
            Err((Vec::new(), AttemptError::Db("the writer failed".to_owned())))
        }
    }
}

/// The (batch, document) items of the group pushed to a document their
/// pusher may not see and owes no removal receipt for: they are ingested as
/// if the document did not exist, and kept aside (`db::access`).
async fn quarantined_items(
    db: &Db,
    group: &[Request],
    entries: &HashMap<Key, Entry>,
    loaded: &Loaded,
) -> Result<HashSet<ItemKey>, sqlx::Error> {
    let access_of = |dealer: DealerId, doc: DocId| -> Option<Access> {
        if let Some(e) = entries.get(&(dealer, doc)) {
            return e.access;
        }
        loaded
            .iter()
            .find(|(d, ..)| *d == dealer)
            .and_then(|(_, _, _, owners)| owners.get(&doc).copied())
    };
    let mut out = HashSet::new();
    for (ri, r) in group.iter().enumerate() {
        let reader = r.reader;
        let hidden: Vec<(usize, DocId)> = r
            .docs
            .iter()
            .enumerate()
            .filter(|(_, d)| access_of(r.dealer, d.doc).is_some_and(|a| !may_see(reader, a)))
            .map(|(di, d)| (di, d.doc))
            .collect();
        if hidden.is_empty() {
            continue;
        }
        let ids: Vec<DocId> = hidden.iter().map(|(_, d)| *d).collect();
        let owed = db::access::removals_owed(db, r.dealer, r.device, &ids).await?;
        out.extend(
            hidden
                .into_iter()
                .filter(|(_, doc)| !owed.contains(doc))
                .map(|(di, _)| (ri, di)),
        );
    }
    Ok(out)
}

/// Writes a prepared group in one transaction, then acks each batch and
/// hands its changes to the hub, in commit order.
async fn commit(out: &Out, known_seq: &mut HashMap<DealerId, i64>, p: Prepared) -> Committed {
    let Out { db, hub, clock, .. } = out;
    let t0 = std::time::Instant::now();
    let Prepared {
        group,
        mut entries,
        writes,
        applied,
    } = p;
    let mut writes: Vec<DealerWrite> = writes
        .into_iter()
        .filter(|w| !w.changes.is_empty() || !w.quarantined.is_empty() || !w.recorded.is_empty())
        .collect();
    for w in &mut writes {
        w.known_seq = known_seq.get(&w.dealer).copied();
    }
    let (bases, found) = if writes.is_empty() {
        (Vec::new(), Vec::new())
    } else {
        match db::commit_writes(db, &writes, clock.now()).await {
            Ok(outcome) => (outcome.bases, outcome.collisions),
            Err(err) => {
                for w in &writes {
                    known_seq.remove(&w.dealer);
                }
                // What was applied in memory is not in the database: the
                // documents are dropped (`entries`) and reopened next time.
                let err = match err {
                    CommitError::Conflict(_) => AttemptError::Conflict,
                    CommitError::Db(e) => AttemptError::Db(e.to_string()),
                };
                return Err((group, err));
            }
        }
    };
    let base_of: HashMap<DealerId, i64> = writes
        .iter()
        .zip(&bases)
        .map(|(w, b)| (w.dealer, *b))
        .collect();
    for w in &writes {
        let base = base_of.get(&w.dealer).copied().unwrap_or(0);
        known_seq.insert(w.dealer, base + w.changes.len() as i64);
        for d in &w.documents {
            if let Some(e) = entries.get_mut(&(w.dealer, d.doc)) {
                e.last_seq = Some(base + d.last_index as i64 + 1);
            }
        }
    }
    tracing::debug!(batches = group.len(), commit = ?t0.elapsed(), "sync writer committed a group");
    // One event per dealer for the whole group (split at the page budget):
    // every connection of the dealer is sent one page, however many batches
    // the group held.
    for w in &writes {
        let base = base_of.get(&w.dealer).copied().unwrap_or(0);
        let mut start = 0usize;
        while start < w.changes.len() {
            let mut end = start;
            let mut bytes = 0usize;
            while end < w.changes.len()
                && (end == start || bytes + w.changes[end].bytes.len() <= limits::PAGE_BYTES)
            {
                bytes += w.changes[end].bytes.len();
                end += 1;
            }
            let rows = &w.changes[start..end];
            let from = base + start as i64;
            let to = base + end as i64;
            let mut origins: Vec<DeviceId> = Vec::new();
            for c in rows {
                if !origins.contains(&c.origin) {
                    origins.push(c.origin);
                }
            }
            hub.committed(Commit {
                dealer: w.dealer,
                from: from as u64,
                to: to as u64,
                origins,
                // A lead absorbed in these rows leaves every device: each
                // connection reads the log, which says so.
                page: (!fences(w, start..end)).then(|| page_of(rows, from, to)),
                rows: rows
                    .iter()
                    .map(|c| (c.origin, c.doc, c.bytes.clone()))
                    .collect(),
                access: cut_access(w, start..end, &entries),
                floor: floor_of(w, rows),
            });
            start = end;
        }
    }
    let mut carries = Vec::new();
    for (r, a) in group.into_iter().zip(applied) {
        carries.extend(a.carries.into_iter().map(|(s, news)| (r.dealer, s, news)));
        let _ = r.reply.send(Ok(BatchOutcome { refused: a.refused }));
    }
    Ok(Done {
        carries,
        entries: entries.drain().collect(),
        collisions: found,
    })
}

/// Who may see each document of the committed rows `range` of `w`, for
/// salespeople's pages; `None` when a document moved from one owner to
/// another in them, or was created with changes stored before (its history
/// is not all in the rows): their connections read the log.
fn cut_access(
    w: &DealerWrite,
    range: std::ops::Range<usize>,
    entries: &HashMap<Key, Entry>,
) -> Option<HashMap<DocId, Access>> {
    let stored_before = |doc: DocId| {
        w.expected
            .iter()
            .any(|(d, last_seq)| *d == doc && last_seq.is_some())
    };
    let moved = w
        .moves
        .iter()
        .filter(|m| range.contains(&m.index))
        .any(|m| m.before.is_some() || stored_before(m.doc));
    if moved {
        return None;
    }
    let mut access = HashMap::new();
    for c in &w.changes[range] {
        if let Some(a) = entries.get(&(w.dealer, c.doc)).and_then(|e| e.access) {
            access.insert(c.doc, a);
        }
    }
    Some(access)
}

/// Whether a lead moves out of everyone's sight (a merge absorbed it) in
/// the rows `range` of `w`.
fn fences(w: &DealerWrite, range: std::ops::Range<usize>) -> bool {
    w.moves
        .iter()
        .any(|m| range.contains(&m.index) && m.after.owner == Some(UserId::SERVER))
}

/// The floor rows of the documents in `rows`, without their customer: what
/// a salesperson who may not see those documents is sent with them.
fn floor_of(w: &DealerWrite, rows: &[ChangeRow]) -> Vec<floor::FloorRow> {
    let docs: std::collections::HashSet<DocId> = rows.iter().map(|c| c.doc).collect();
    w.floor
        .iter()
        .filter(|r| docs.contains(&r.doc()))
        .map(|r| r.clone().anonymous())
        .collect()
}

enum AttemptError {
    Conflict,
    Db(String),
}

/// The encoded `Changes` page of committed rows, shared by every connection
/// that is not one of their origins.
fn page_of(rows: &[ChangeRow], from: i64, to: i64) -> axum::body::Bytes {
    let docs = showroom_shared::sync::group_by_doc(rows.iter().map(|c| (c.doc, c.bytes.clone())));
    let msg = ServerMsg::Changes {
        from: from as u64,
        to: to as u64,
        complete: true,
        remaining: 0,
        docs,
        removed: Vec::new(),
        floor: Vec::new(),
        taken: Vec::new(),
    };
    msg.encode().into()
}

/// `ingest`, with a panic inside Automerge (its parser and merge panic on
/// some malformed input, found by `shared/tests/fuzz.rs`) turned into a
/// refusal of that document alone, and the document reopened as it was.
fn guarded_ingest(
    dealer: DealerId,
    doc: DocId,
    author: &Author,
    policy: &Policy,
    state: &mut DocState,
    changes: &[Vec<u8>],
    poisoned: &mut bool,
) -> Result<showroom_shared::sync::Accepted, showroom_shared::sync::Refusal> {
    let attempt = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        ingest(dealer, doc, author, policy, state, changes)
    }));
    match attempt {
        Ok(result) => result,
        Err(_) => {
            tracing::warn!(%doc, "a change made Automerge panic; refused");
            let reopened =
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| state.reopen()));
            *poisoned = !matches!(reopened, Ok(Ok(())));
            Err(showroom_shared::sync::Refusal {
                code: SyncErrorCode::Malformed,
                message: "The change could not be read.".to_owned(),
            })
        }
    }
}

/// Per dealer: the documents asked for, the stored ones, and who may see them.
type Loaded = Vec<(
    DealerId,
    Vec<DocId>,
    Vec<db::StoredDocument>,
    HashMap<DocId, Access>,
)>;

/// The blocking step: opens what was loaded, ingests every request in
/// order, and lays out what to write. Returns the requests, the documents
/// (to keep in the cache once committed), the writes, and per request what
/// it did.
fn apply_group(
    group: Vec<Request>,
    mut entries: HashMap<(DealerId, DocId), Entry>,
    loaded: Loaded,
    policies: &HashMap<DealerId, Policy>,
    quarantine: &HashSet<ItemKey>,
    pen: &ServerPen,
) -> (
    Vec<Request>,
    HashMap<(DealerId, DocId), Entry>,
    Vec<DealerWrite>,
    Vec<Applied>,
) {
    let mut failed_load: HashMap<(DealerId, DocId), String> = HashMap::new();
    for (dealer, asked, rows, owners) in loaded {
        let mut found: HashMap<DocId, db::StoredDocument> =
            rows.into_iter().map(|r| (r.doc, r)).collect();
        for doc in asked {
            let entry = match found.remove(&doc) {
                None => Entry {
                    state: DocState::new(),
                    last_seq: None,
                    access: owners.get(&doc).copied(),
                    used: 0,
                },
                Some(row) => {
                    let history = usize::try_from(row.history_bytes).unwrap_or(usize::MAX);
                    let opened = std::panic::catch_unwind(move || {
                        DocState::open(row.snapshot, row.tail, history)
                    })
                    .unwrap_or_else(|_| {
                        Err(showroom_shared::sync::Refusal {
                            code: SyncErrorCode::Internal,
                            message: "The stored lead could not be opened.".to_owned(),
                        })
                    });
                    match opened {
                        Ok(mut state) => {
                            let access = owners.get(&doc).copied();
                            if doc.kind == DocKind::Lead
                                && let Some(a) = access
                            {
                                state.know_owner(a.owner);
                            }
                            Entry {
                                state,
                                last_seq: Some(row.last_seq),
                                access,
                                used: 0,
                            }
                        }
                        Err(refusal) => {
                            tracing::error!(%doc, message = %refusal.message, "a stored document cannot be opened");
                            failed_load.insert((dealer, doc), refusal.message);
                            continue;
                        }
                    }
                }
            };
            entries.insert((dealer, doc), entry);
        }
    }
    let mut outs = ingest_items(
        &group,
        &mut entries,
        &failed_load,
        policies,
        quarantine,
        pen,
    );
    for (ri, r) in group.iter().enumerate() {
        match &r.job {
            Some(Job::Unclaimed { line }) => {
                if let Some(policy) = policies.get(&r.dealer) {
                    outs.extend(apply_unclaimed(ri, r, line, policy, &mut entries, pen));
                }
            }
            Some(job) => {
                let rule = policies
                    .get(&r.dealer)
                    .map(|p| p.pool.collisions)
                    .unwrap_or(CollisionRule::ManagerDecides);
                outs.extend(apply_job(ri, r, job, rule, &mut entries, pen));
            }
            None => {}
        }
    }
    let mut writes: Vec<DealerWrite> = Vec::new();
    let mut doc_index: HashMap<(DealerId, DocId), usize> = HashMap::new();
    let mut summary_index: HashMap<(DealerId, DocId), usize> = HashMap::new();
    let mut floor_index: HashMap<(DealerId, String), usize> = HashMap::new();
    let mut expected_seen: std::collections::HashSet<(DealerId, DocId)> = Default::default();
    let mut applied = Vec::with_capacity(group.len());
    for (ri, r) in group.iter().enumerate() {
        let wi = match writes.iter().position(|w| w.dealer == r.dealer) {
            Some(i) => i,
            None => {
                writes.push(DealerWrite {
                    dealer: r.dealer,
                    changes: Vec::new(),
                    documents: Vec::new(),
                    now_applied: Vec::new(),
                    summaries: Vec::new(),
                    floor: Vec::new(),
                    expected: Vec::new(),
                    known_seq: None,
                    moves: Vec::new(),
                    quarantined: Vec::new(),
                    mobiles: Vec::new(),
                    recorded: Vec::new(),
                });
                writes.len() - 1
            }
        };
        let mut refused = Vec::new();
        let mut carries = Vec::new();
        for (di, DocChanges { doc, .. }) in r.docs.iter().enumerate() {
            let key = (r.dealer, *doc);
            if let Some(message) = failed_load.get(&key) {
                refused.push(Refused {
                    doc: *doc,
                    code: SyncErrorCode::Internal,
                    message: message.clone(),
                });
                continue;
            }
            let Some(mut out) = outs.remove(&(ri, di)) else {
                continue;
            };
            carries.extend(out.carry.take());
            let accepted = match out.result {
                Ok(a) => a,
                Err(refusal) => {
                    refused.push(Refused {
                        doc: *doc,
                        code: refusal.code,
                        message: refusal.message,
                    });
                    continue;
                }
            };
            if accepted.new_changes.is_empty() {
                continue;
            }
            let w = &mut writes[wi];
            if out.quarantined {
                // Kept aside, never applied or sent; answered as for a
                // document the server does not hold.
                w.quarantined
                    .extend(accepted.new_changes.into_iter().map(|c| Quarantined {
                        doc: *doc,
                        hash: c.hash.to_string(),
                        bytes: c.bytes,
                        origin: r.device,
                    }));
                continue;
            }
            if expected_seen.insert(key) {
                w.expected.push((*doc, out.expected));
            }
            let origins = std::iter::repeat(r.device)
                .zip(accepted.new_changes)
                .chain(std::iter::repeat(SERVER_ORIGIN).zip(out.server));
            for (origin, c) in origins {
                w.changes.push(ChangeRow {
                    doc: *doc,
                    hash: c.hash.to_string(),
                    bytes: c.bytes,
                    origin,
                    applied: c.applied,
                });
            }
            w.now_applied
                .extend(accepted.now_applied.iter().map(|h| (*doc, h.to_string())));
            let last_index = w.changes.len() - 1;
            // The snapshot covers the log up to this batch's last change,
            // whatever the group's later batches of the document add.
            let snapshot = out.snapshot.map(|bytes| Snapshot { bytes, last_index });
            match doc_index.get(&key) {
                Some(i) => {
                    let row = &mut w.documents[*i];
                    row.last_index = last_index;
                    row.history_bytes = out.history_bytes;
                    if snapshot.is_some() {
                        row.snapshot = snapshot;
                    }
                }
                None => {
                    doc_index.insert(key, w.documents.len());
                    w.documents.push(DocumentRow {
                        doc: *doc,
                        last_index,
                        snapshot,
                        history_bytes: out.history_bytes,
                    });
                }
            }
            if let Some(entry) = entries.get_mut(&key) {
                let before = entry.access;
                if let Some(after) = access_now(*doc, before, accepted.content.as_ref(), &r.author)
                    && before != Some(after)
                {
                    entry.access = Some(after);
                    w.moves.push(Move {
                        doc: *doc,
                        before,
                        after,
                        index: last_index,
                    });
                }
            }
            match accepted.content {
                Some(Content::Lead(lead)) => {
                    if let Some(mobile) = &lead.customer.mobile
                        && absorbed_into(&lead).is_none()
                    {
                        w.mobiles
                            .push((lead.id.to_string(), mobile.as_str().to_owned()));
                    }
                    let rows = floor::rows_of_lead(&lead);
                    upsert_floor_rows(&mut w.floor, &mut floor_index, r.dealer, rows);
                    upsert_summary(&mut w.summaries, &mut summary_index, key, *lead);
                }
                Some(Content::Register(register)) => {
                    let rows = floor::rows_of_register(&register);
                    upsert_floor_rows(&mut w.floor, &mut floor_index, r.dealer, rows);
                }
                _ => {}
            }
        }
        if let Some(Job::Collide { id, .. }) = &r.job {
            writes[wi].recorded.push(*id);
        }
        applied.push(Applied { refused, carries });
    }
    (group, entries, writes, applied)
}

/// The lead a merge absorbed this one into, if it was.
fn absorbed_into(lead: &Lead) -> Option<LeadId> {
    lead.collisions
        .iter()
        .find_map(|c| c.absorbed_into(lead.id))
}

/// What the server writes for a job, per document of its request, as if
/// the changes had been pushed. Leads that do not read (a creation not
/// arrived yet) get nothing.
fn apply_job(
    ri: usize,
    r: &Request,
    job: &Job,
    rule: CollisionRule,
    entries: &mut HashMap<Key, Entry>,
    pen: &ServerPen,
) -> Vec<(ItemKey, ItemOut)> {
    let leads: Vec<Option<Lead>> = r
        .docs
        .iter()
        .map(|d| {
            entries
                .get_mut(&(r.dealer, d.doc))
                .and_then(|e| e.state.lead())
        })
        .collect();
    let (a, b) = match (leads.as_slice(), job) {
        ([Some(a), Some(b)], _) => (a, b),
        // A carry has one lead: the survivor, "other" to itself.
        ([Some(a)], Job::Carry { .. }) => (a, a),
        _ => return Vec::new(),
    };
    // "First captured wins": the earlier lead absorbs the later at once,
    // with its owner; the manager reads it in both leads.
    let (job, survivor_first) = match job {
        Job::Collide { id, found_at } if rule == CollisionRule::FirstCapturedWins => {
            let a_first = (a.created_at, a.id) <= (b.created_at, b.id);
            let survivor = if a_first { a } else { b };
            let merge = Job::Resolve {
                id: *id,
                outcome: Outcome {
                    how: Resolution::Merged,
                    survivor: Some(survivor.id),
                    owner: survivor.owner,
                    by: UserId::SERVER,
                    at: *found_at,
                },
            };
            (merge, a_first)
        }
        Job::Resolve { outcome, .. } => {
            let first = outcome.survivor.is_none_or(|s| s == a.id);
            (job.clone(), first)
        }
        other => (other.clone(), true),
    };
    let mut out = Vec::new();
    for (di, d) in r.docs.iter().enumerate() {
        // `me` and the other lead; the survivor of a merge writes first.
        let (me, other) = if di == 0 { (a, b) } else { (b, a) };
        let place = if (di == 0) == survivor_first { 0 } else { 1 };
        let job = &job;
        let Some(entry) = entries.get_mut(&(r.dealer, d.doc)) else {
            continue;
        };
        let expected = entry.last_seq;
        let written = entry
            .state
            .write_lead(pen.actor.clone(), pen.now, "server", |doc| {
                job_writes(job, place, me, other, doc)
            });
        let result = match written {
            Ok(change) => Ok(showroom_shared::sync::Accepted {
                new_changes: change.into_iter().collect(),
                now_applied: Vec::new(),
                content: entry.state.lead().map(|l| Content::Lead(Box::new(l))),
                settle_owner: None,
            }),
            Err(refusal) => {
                tracing::error!(doc = %d.doc, message = %refusal.message, "the server could not write its own change");
                Err(refusal)
            }
        };
        out.push(((ri, di), ItemOut::of(entry, result, expected)));
    }
    out
}

/// The dealer's rule for pool leads nobody claimed in time, applied: each
/// such lead (open, nobody reached yet, waiting past the first-contact
/// target of its source) goes to the next salesperson of `line`, in turn.
/// Nothing when the rule is "stay in the pool" or nobody is on the floor.
fn apply_unclaimed(
    ri: usize,
    r: &Request,
    line: &[UserId],
    policy: &Policy,
    entries: &mut HashMap<Key, Entry>,
    pen: &ServerPen,
) -> Vec<(ItemKey, ItemOut)> {
    use showroom_shared::domain::catalogue::Unclaimed;
    use showroom_shared::domain::summary::LeadSummary;
    if policy.pool.unclaimed != Unclaimed::Rotate || line.is_empty() {
        return Vec::new();
    }
    let mut turn = 0usize;
    let mut out = Vec::new();
    for (di, d) in r.docs.iter().enumerate() {
        let Some(entry) = entries.get_mut(&(r.dealer, d.doc)) else {
            continue;
        };
        let Some(lead) = entry.state.lead() else {
            continue;
        };
        let overdue = LeadSummary::of(&lead)
            .pool_wait(&policy.follow_up, pen.now)
            .is_some_and(|w| w.overdue());
        if !overdue {
            continue;
        }
        let to = line[turn % line.len()];
        turn += 1;
        let expected = entry.last_seq;
        let result = entry
            .state
            .write_lead(pen.actor.clone(), pen.now, "server", |doc| {
                doc.server_set_owner(Some(to))
            })
            .map(|change| showroom_shared::sync::Accepted {
                new_changes: change.into_iter().collect(),
                now_applied: Vec::new(),
                content: entry.state.lead().map(|l| Content::Lead(Box::new(l))),
                settle_owner: None,
            });
        out.push(((ri, di), ItemOut::of(entry, result, expected)));
    }
    out
}

/// A dealer's catalogue and settings as stored (`None`: no document yet,
/// or one that does not read — Automerge may panic on a damaged one).
async fn stored_dealer(
    db: &Db,
    dealer: DealerId,
) -> Result<Option<showroom_shared::domain::catalogue::Dealer>, sqlx::Error> {
    let row = db::load_documents(db, dealer, &[DocId::dealer(dealer)])
        .await?
        .into_iter()
        .next();
    Ok(row.and_then(|row| {
        let history = usize::try_from(row.history_bytes).unwrap_or(usize::MAX);
        std::panic::catch_unwind(move || DocState::open(row.snapshot, row.tail, history))
            .ok()?
            .ok()?
            .dealer()
    }))
}

/// Every dealer's pool leads nobody claimed in time, under the rule "go to
/// the next salesperson in rotation" (a dealer whose rule is "stay" is
/// not looked at further): the line is worked out from the
/// floor of the last 16 hours (who said they are on the floor, the
/// walk-ins they took), and a job per dealer assigns the overdue ones.
/// Run every minute; returns how many jobs it waited for.
pub async fn sweep_unclaimed(db: &Db, writer: &Writer, now: i64) -> Result<usize, sqlx::Error> {
    const FLOOR_DAY_MS: i64 = 16 * 3_600_000;
    let mut done = 0;
    for (dealer, docs) in db::access::pool_leads(db, 200).await? {
        // Only where the dealer's rule says so ("stay in the pool" is the
        // default): its settings, read from its document.
        let rotate = stored_dealer(db, dealer).await?.is_some_and(|d| {
            d.settings.pool.unclaimed == showroom_shared::domain::catalogue::Unclaimed::Rotate
        });
        if !rotate {
            continue;
        }
        let floor =
            floor::FloorIndex::new(db::floor::rows_since(db, dealer, now - FLOOR_DAY_MS).await?);
        let line: Vec<UserId> =
            showroom_shared::domain::rotation::line_of(&floor, now - FLOOR_DAY_MS, now + 1, None)
                .into_iter()
                .filter(|p| !p.skipped)
                .map(|p| p.salesperson)
                .collect();
        if line.is_empty() {
            continue;
        }
        if let Ok(pending) = writer.job(dealer, &docs, Job::Unclaimed { line }) {
            let _ = pending.await;
            done += 1;
        }
    }
    Ok(done)
}

/// A job's edit of one of its leads (`place` 0: a merge's survivor): `me`
/// as it reads, `other` the other lead.
fn job_writes(
    job: &Job,
    place: usize,
    me: &Lead,
    other: &Lead,
    doc: &mut showroom_shared::doc::LeadDoc,
) -> Result<(), showroom_shared::doc::DocError> {
    match job {
        Job::Collide { id, found_at } => doc.server_put(&Collision {
            id: *id,
            other: other.id,
            other_owner: other.owner,
            other_since: other.created_at,
            found_at: *found_at,
            outcome: None,
        }),
        Job::Carry { news } => doc.server_merge_in(news),
        Job::Unclaimed { .. } => Ok(()),
        Job::Resolve { id, outcome } => {
            let mut record = me
                .collisions
                .iter()
                .find(|c| c.id == *id)
                .cloned()
                .unwrap_or(Collision {
                    id: *id,
                    other: other.id,
                    other_owner: other.owner,
                    other_since: other.created_at,
                    found_at: outcome.at,
                    outcome: None,
                });
            record.outcome = Some(outcome.clone());
            match outcome.how {
                // The survivor (first) takes in everything of the other.
                Resolution::Merged if place == 0 => {
                    let mut absorbed = other.clone();
                    absorbed.collisions.clear();
                    doc.server_merge_in(&absorbed)?;
                    doc.server_put(&Absorbed {
                        lead: other.id,
                        name: other.customer.name.clone(),
                        wechat: other.customer.wechat.clone(),
                        city: other.customer.city.clone(),
                        source: other.source,
                        models: other.models.clone(),
                        owner: other.owner,
                        created_by: other.created_by,
                        created_at: other.created_at,
                        merged_by: outcome.by,
                        merged_at: outcome.at,
                    })?;
                    if let Some(owner) = outcome.owner {
                        doc.server_set_owner(Some(owner))?;
                    }
                }
                Resolution::Assigned => doc.server_set_owner(outcome.owner)?,
                Resolution::Merged | Resolution::KeptBoth => {}
            }
            doc.server_put(&record)
        }
    }
}

/// Who may see a document after an accepted ingest (`None`: not known yet,
/// its creation has not arrived). A lead is its owner's (none: the pool); a
/// register, the salesperson whose device created it; the dealer's
/// document, everyone's.
fn access_now(
    doc: DocId,
    before: Option<Access>,
    content: Option<&showroom_shared::doc::Content>,
    author: &Author,
) -> Option<Access> {
    let content = content?;
    match doc.kind {
        // A lead a merge absorbed is nobody's: no device may hold it.
        DocKind::Lead => content.as_lead().map(|lead| match absorbed_into(lead) {
            Some(_) => Access::new(DocKind::Lead, Some(UserId::SERVER)),
            None => Access::new(DocKind::Lead, lead.owner),
        }),
        DocKind::Register => {
            Some(before.unwrap_or(Access::new(DocKind::Register, Some(author.user))))
        }
        DocKind::Dealer => Some(Access::new(DocKind::Dealer, None)),
    }
}

/// What ingesting one document of one batch did.
struct ItemOut {
    result: Result<showroom_shared::sync::Accepted, showroom_shared::sync::Refusal>,
    /// A new snapshot, when the document was compacted after it.
    snapshot: Option<Vec<u8>>,
    history_bytes: i64,
    /// The document's `last_seq` before the group (for the conflict check).
    expected: Option<i64>,
    /// Ingested as if the document did not exist, to be kept aside.
    quarantined: bool,
    /// What the server wrote in its own name after the batch (an owner
    /// conflict settled), logged after the batch's changes.
    server: Vec<showroom_shared::sync::NewChange>,
    /// The batch changed a lead a merge absorbed: what to carry into the
    /// survivor once it is committed.
    carry: Option<(LeadId, Box<Lead>)>,
}

type ItemKey = (usize, usize);

impl ItemOut {
    /// What storing an item takes beside its result: a new snapshot when
    /// the document is due one after new changes (the one compaction
    /// rule), its history's size, and what it was read at.
    fn of(
        entry: &mut Entry,
        result: Result<showroom_shared::sync::Accepted, showroom_shared::sync::Refusal>,
        expected: Option<i64>,
    ) -> ItemOut {
        let compact = result.as_ref().is_ok_and(|a| !a.new_changes.is_empty())
            && showroom_shared::doc::compaction_due(entry.state.tail_len());
        let snapshot = compact.then(|| entry.state.compact()).flatten();
        let history_bytes = i64::try_from(entry.state.history_bytes()).unwrap_or(i64::MAX);
        ItemOut {
            result,
            snapshot,
            history_bytes,
            expected,
            quarantined: false,
            server: Vec::new(),
            carry: None,
        }
    }
}

/// Ingests every (batch, document) of the group. Documents are independent:
/// they are spread over the machine's cores, each document's batches in
/// their order on one thread.
fn ingest_items(
    group: &[Request],
    entries: &mut HashMap<(DealerId, DocId), Entry>,
    failed_load: &HashMap<(DealerId, DocId), String>,
    policies: &HashMap<DealerId, Policy>,
    quarantine: &HashSet<ItemKey>,
    pen: &ServerPen,
) -> HashMap<ItemKey, ItemOut> {
    let mut order: Vec<(DealerId, DocId)> = Vec::new();
    let mut items: HashMap<(DealerId, DocId), Vec<ItemKey>> = HashMap::new();
    let mut count = 0usize;
    for (ri, r) in group.iter().enumerate() {
        if r.job.is_some() {
            continue;
        }
        for (di, d) in r.docs.iter().enumerate() {
            let key = (r.dealer, d.doc);
            if failed_load.contains_key(&key) {
                continue;
            }
            let list = items.entry(key).or_default();
            if list.is_empty() {
                order.push(key);
            }
            list.push((ri, di));
            count += 1;
        }
    }
    let fallback = Policy::default();
    let threads = if count < 64 {
        1
    } else {
        std::thread::available_parallelism().map_or(1, |n| n.get().min(4))
    };
    let mut buckets: Vec<Vec<((DealerId, DocId), Entry, Vec<ItemKey>)>> =
        (0..threads).map(|_| Vec::new()).collect();
    for (i, key) in order.into_iter().enumerate() {
        if let (Some(entry), Some(list)) = (entries.remove(&key), items.remove(&key)) {
            buckets[i % threads].push((key, entry, list));
        }
    }
    let run = |bucket: Vec<((DealerId, DocId), Entry, Vec<ItemKey>)>| {
        let mut outs = Vec::new();
        let mut back = Vec::new();
        for (key, mut entry, list) in bucket {
            // A document Automerge could not reopen after a panic is left out
            // of the cache (opened from the database next time) and refuses
            // the rest of this group.
            let mut poisoned = false;
            for (ri, di) in list {
                let d = &group[ri].docs[di];
                if quarantine.contains(&(ri, di)) {
                    let mut scratch = DocState::new();
                    let mut scratch_poisoned = false;
                    let result = guarded_ingest(
                        key.0,
                        d.doc,
                        &group[ri].author,
                        policies.get(&key.0).unwrap_or(&fallback),
                        &mut scratch,
                        &d.changes,
                        &mut scratch_poisoned,
                    );
                    outs.push((
                        (ri, di),
                        ItemOut {
                            result,
                            snapshot: None,
                            history_bytes: 0,
                            expected: None,
                            quarantined: true,
                            server: Vec::new(),
                            carry: None,
                        },
                    ));
                    continue;
                }
                let expected = entry.last_seq;
                // A lead a merge absorbed: what it held before, to carry
                // what the batch adds into the survivor.
                let fenced = entry
                    .access
                    .is_some_and(|a| a.owner == Some(UserId::SERVER));
                let before = fenced.then(|| entry.state.lead()).flatten();
                let result = if poisoned {
                    Err(showroom_shared::sync::Refusal {
                        code: SyncErrorCode::Internal,
                        message: "The document could not be opened; try again.".to_owned(),
                    })
                } else {
                    guarded_ingest(
                        key.0,
                        d.doc,
                        &group[ri].author,
                        policies.get(&key.0).unwrap_or(&fallback),
                        &mut entry.state,
                        &d.changes,
                        &mut poisoned,
                    )
                };
                // An owner left in conflict is settled at once, so the
                // group's next batch of the document sees it settled.
                let mut server = Vec::new();
                if let Ok(accepted) = &result
                    && let Some(owner) = accepted.settle_owner
                {
                    match entry.state.settle_owner(owner, pen.actor.clone(), pen.now) {
                        Ok(change) => server.extend(change),
                        Err(e) => {
                            tracing::error!(doc = %d.doc, message = %e.message, "the server could not settle a lead's owner");
                        }
                    }
                }
                let carry = match (&before, &result) {
                    (Some(before), Ok(accepted)) if !accepted.new_changes.is_empty() => {
                        accepted.lead().and_then(|after| {
                            absorbed_into(after).map(|s| (s, Box::new(after.news_since(before))))
                        })
                    }
                    _ => None,
                };
                outs.push((
                    (ri, di),
                    ItemOut {
                        server,
                        carry,
                        ..ItemOut::of(&mut entry, result, expected)
                    },
                ));
            }
            if !poisoned {
                back.push((key, entry));
            }
        }
        (outs, back)
    };
    let results: Vec<_> = if threads == 1 {
        buckets.into_iter().map(run).collect()
    } else {
        std::thread::scope(|scope| {
            let handles: Vec<_> = buckets
                .into_iter()
                .map(|b| scope.spawn(|| run(b)))
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join()
                        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
                })
                .collect()
        })
    };
    let mut all = HashMap::with_capacity(count);
    for (outs, back) in results {
        all.extend(outs);
        entries.extend(back);
    }
    all
}

/// Keeps one row per visit or drive in a group's floor rows (a document
/// written by several batches of the group gives its rows each time; one
/// statement must not write a row twice): the later row replaces the
/// earlier, except that a visit's row from a lead is not replaced by one
/// from a register (`FloorIndex::upsert`'s rule).
fn upsert_floor_rows(
    rows: &mut Vec<floor::FloorRow>,
    index: &mut HashMap<(DealerId, String), usize>,
    dealer: DealerId,
    new: Vec<floor::FloorRow>,
) {
    for row in new {
        match index.get(&(dealer, row.key())) {
            Some(&i) => {
                let kept_lead = rows[i].doc().kind == DocKind::Lead;
                if !kept_lead || row.doc().kind == DocKind::Lead {
                    rows[i] = row;
                }
            }
            None => {
                index.insert((dealer, row.key()), rows.len());
                rows.push(row);
            }
        }
    }
}

fn upsert_summary(
    summaries: &mut Vec<Lead>,
    index: &mut HashMap<(DealerId, DocId), usize>,
    key: (DealerId, DocId),
    lead: Lead,
) {
    match index.get(&key) {
        Some(i) => summaries[*i] = lead,
        None => {
            index.insert(key, summaries.len());
            summaries.push(lead);
        }
    }
}
