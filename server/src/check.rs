//! The storage check: the server's own view of every document must be what
//! its log holds.
//!
//! The log is the truth; a document's snapshot and the log's tail after it
//! are how the server opens it (`db::load_documents` + `DocState::open`, the
//! writer's own path), and `lead_summaries` is what the lists read. This
//! replays each document's whole log independently and compares:
//! - the heads of the document as the server opens it and of the replay;
//! - each change's `applied` flag and whether the replay holds the change;
//! - the lead's stored summary and the summary of the lead the replay reads.
//!
//! A damaged document is repaired from its log: a snapshot of the whole log
//! (covering its last change), the flags as the replay says, the summary.
//! The server runs the check with repair once at start-up on a database that
//! has not been through it (issue 18: snapshots that claimed more of the log
//! than they held); `showroom-server check` runs it on demand, and the e2e
//! suite runs it against every server it stopped.
//!
//! Findings name dealers, documents and fields, never their content: what a
//! customer said stays out of logs.

use std::collections::HashMap;
use std::fmt;

use showroom_shared::doc::{ActorId, ChangeHash, Content, Document, parse_change};
use showroom_shared::domain::floor::{self, FloorRow};
use showroom_shared::domain::{DealerId, DocId};
use showroom_shared::sync::DocState;

use crate::db::check::{self as sql, LoggedDocument, Repair};
use crate::db::{self, Db, SummaryRow};

/// Documents read per round trip.
const CHUNK: usize = 200;
/// Reads of one document while a server writes it meanwhile.
const TRIES: usize = 3;

/// What is wrong with one stored document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Problem {
    /// Opened from its snapshot and tail, it lacks changes its log holds (or
    /// holds others): the view the write rules judge is stale.
    StaleView,
    /// Changes whose `applied` flag disagrees with the replay (how many).
    AppliedFlags(usize),
    /// The stored lead summary differs from the lead the log reads as (the fields).
    Summary(Vec<&'static str>),
    /// The lead reads from its log but has no stored summary.
    NoSummary,
    /// `history_bytes` is not the sum of its changes' sizes.
    HistoryBytes,
    /// Its floor rows (visits, test drives) are missing or differ (how many).
    Floor(usize),
    /// The log or the snapshot cannot be read: nothing is repaired.
    Unreadable(String),
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::StaleView => {
                f.write_str("its snapshot and tail do not reach the heads of its log")
            }
            Problem::AppliedFlags(n) => write!(f, "{n} change(s) flagged applied wrongly"),
            Problem::Summary(fields) => write!(f, "its summary differs in {}", fields.join(", ")),
            Problem::NoSummary => f.write_str("it has no summary"),
            Problem::HistoryBytes => f.write_str("its history size is wrong"),
            Problem::Floor(n) => write!(f, "{n} floor row(s) missing or different"),
            Problem::Unreadable(why) => write!(f, "it cannot be read: {why}"),
        }
    }
}

/// One damaged document.
#[derive(Clone, Debug)]
pub struct Finding {
    pub dealer: DealerId,
    pub doc: DocId,
    pub problems: Vec<Problem>,
    /// Whether the repair was written.
    pub repaired: bool,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let problems: Vec<String> = self.problems.iter().map(ToString::to_string).collect();
        write!(
            f,
            "dealer {} document {}: {}{}",
            self.dealer,
            self.doc,
            problems.join("; "),
            if self.repaired { " (repaired)" } else { "" }
        )
    }
}

/// What a check found.
#[derive(Debug, Default)]
pub struct Report {
    pub dealers: usize,
    pub documents: usize,
    pub findings: Vec<Finding>,
}

impl Report {
    pub fn repaired(&self) -> usize {
        self.findings.iter().filter(|f| f.repaired).count()
    }

    /// Damaged documents left as they were.
    pub fn unrepaired(&self) -> usize {
        self.findings.len() - self.repaired()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    #[error("the database failed: {0}")]
    Db(#[from] sqlx::Error),
}

/// Checks every stored document of every dealer; with `repair`, rewrites
/// each damaged one from its log (a document a server wrote meanwhile is
/// read again).
pub async fn run(db: &Db, repair: bool) -> Result<Report, CheckError> {
    let mut report = Report::default();
    for dealer in sql::dealer_ids(db).await? {
        report.dealers += 1;
        let mut after = String::new();
        loop {
            let ids = sql::document_ids(db, dealer, &after, CHUNK).await?;
            let Some(last) = ids.last() else { break };
            after.clone_from(last);
            check_ids(db, dealer, ids, repair, &mut report).await?;
        }
    }
    Ok(report)
}

/// Checks the stored documents `docs` of `dealer` alone (the others are
/// not read), as [`run`] does.
pub async fn documents(
    db: &Db,
    dealer: DealerId,
    docs: &[DocId],
    repair: bool,
) -> Result<Report, CheckError> {
    let mut report = Report {
        dealers: 1,
        ..Report::default()
    };
    for chunk in docs.chunks(CHUNK) {
        let ids = chunk.iter().map(ToString::to_string).collect();
        check_ids(db, dealer, ids, repair, &mut report).await?;
    }
    Ok(report)
}

async fn check_ids(
    db: &Db,
    dealer: DealerId,
    ids: Vec<String>,
    repair: bool,
    report: &mut Report,
) -> Result<(), CheckError> {
    report.documents += ids.len();
    let mut pending = ids;
    for _ in 0..TRIES {
        if pending.is_empty() {
            break;
        }
        pending = check_chunk(db, dealer, &pending, repair, report).await?;
    }
    Ok(())
}

/// Checks `ids`; returns those that changed between the two reads (to read again).
async fn check_chunk(
    db: &Db,
    dealer: DealerId,
    ids: &[String],
    repair: bool,
    report: &mut Report,
) -> Result<Vec<String>, CheckError> {
    let logged = sql::logged_documents(db, dealer, ids).await?;
    let docs: Vec<DocId> = logged.iter().map(|l| l.doc).collect();
    // The server's own way of opening a document.
    let mut stored: HashMap<DocId, db::StoredDocument> = db::load_documents(db, dealer, &docs)
        .await?
        .into_iter()
        .map(|s| (s.doc, s))
        .collect();
    let mut again = Vec::new();
    for logged in logged {
        let Some(opened) = stored.remove(&logged.doc) else {
            continue;
        };
        if opened.last_seq != logged.last_seq {
            again.push(logged.doc.to_string());
            continue;
        }
        let (problems, fix) = examine(dealer, &logged, opened);
        if problems.is_empty() {
            continue;
        }
        let mut repaired = false;
        if repair && let Some(fix) = fix {
            if sql::repair_document(db, dealer, &fix).await? {
                repaired = true;
            } else {
                again.push(logged.doc.to_string());
                continue;
            }
        }
        report.findings.push(Finding {
            dealer,
            doc: logged.doc,
            problems,
            repaired,
        });
    }
    Ok(again)
}

/// Compares one document as the server opens it with a replay of its log;
/// returns what is wrong and, when the log can be read, its repair.
fn examine(
    dealer: DealerId,
    logged: &LoggedDocument,
    opened: db::StoredDocument,
) -> (Vec<Problem>, Option<Repair>) {
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        examine_inner(dealer, logged, opened)
    }));
    match outcome {
        Ok(Ok(found)) => found,
        Ok(Err(why)) => (vec![Problem::Unreadable(why)], None),
        Err(_) => (
            vec![Problem::Unreadable(
                "Automerge failed reading it".to_owned(),
            )],
            None,
        ),
    }
}

fn examine_inner(
    dealer: DealerId,
    logged: &LoggedDocument,
    opened: db::StoredDocument,
) -> Result<(Vec<Problem>, Option<Repair>), String> {
    let mut replay = Document::empty(ActorId::from(&[0u8; 16][..]));
    let mut parsed = Vec::with_capacity(logged.log.len());
    let mut history = 0i64;
    for c in &logged.log {
        parsed.push(parse_change(&c.bytes).map_err(|e| format!("change {}: {e}", c.seq))?);
        history += c.bytes.len() as i64;
    }
    replay.apply(parsed).map_err(|e| e.to_string())?;
    let mut replay_heads = replay.heads();
    replay_heads.sort();

    let history_bytes = usize::try_from(opened.history_bytes).unwrap_or(usize::MAX);
    let mut view =
        DocState::open(opened.snapshot, opened.tail, history_bytes).map_err(|r| r.message)?;
    let view_heads = view.heads().map_err(|r| r.message)?;

    let mut problems = Vec::new();
    if view_heads != replay_heads {
        problems.push(Problem::StaleView);
    }
    let mut flags = Vec::new();
    for c in &logged.log {
        let hash: ChangeHash = c
            .hash
            .parse()
            .map_err(|_| format!("change {}: bad hash", c.seq))?;
        let held = replay.has_change(&hash);
        if held != c.applied {
            flags.push((c.hash.clone(), held));
        }
    }
    if !flags.is_empty() {
        problems.push(Problem::AppliedFlags(flags.len()));
    }
    if history != logged.history_bytes {
        problems.push(Problem::HistoryBytes);
    }
    let (summary, floor) = match replay.read_as(logged.doc, dealer) {
        Ok(Some(Content::Lead(lead))) => (Some(SummaryRow::of(&lead)), floor::rows_of_lead(&lead)),
        Ok(Some(Content::Register(r))) => (None, floor::rows_of_register(&r)),
        _ => (None, Vec::new()),
    };
    let floor: Vec<FloorRow> = floor.into_iter().map(FloorRow::anonymous).collect();
    let off = floor_differs(logged.doc, &floor, &logged.floor);
    if off > 0 {
        problems.push(Problem::Floor(off));
    }
    if let Some(want) = &summary {
        match &logged.summary {
            None => problems.push(Problem::NoSummary),
            Some(have) => {
                let fields = differing(have, want);
                if !fields.is_empty() {
                    problems.push(Problem::Summary(fields));
                }
            }
        }
    }
    if problems.is_empty() {
        return Ok((problems, None));
    }
    let snapshot_seq = logged.log.last().map_or(0, |c| c.seq);
    let repair = Repair {
        doc: logged.doc,
        expected_last_seq: logged.last_seq,
        snapshot: replay.save(),
        snapshot_seq,
        history_bytes: history,
        flags,
        summary,
        floor,
    };
    Ok((problems, Some(repair)))
}

/// How many of the rows a document should have are missing from, or differ
/// in, the rows stored as its own. A register's visit that is missing may
/// be held by the lead it was linked to (the lead's row wins, see
/// `db::floor::upsert_floor`), so only a register with none of its rows
/// stored counts (one stored before the server kept rows).
fn floor_differs(doc: DocId, want: &[FloorRow], have: &[FloorRow]) -> usize {
    let have: HashMap<String, &FloorRow> = have.iter().map(|r| (r.key(), r)).collect();
    let register = doc.kind == showroom_shared::domain::DocKind::Register;
    let mut off = 0;
    for row in want {
        match have.get(&row.key()) {
            Some(stored) if *stored == row => {}
            None if register && !have.is_empty() => {}
            _ => off += 1,
        }
    }
    off
}

/// The names of the summary's fields that differ (never their values).
fn differing(have: &SummaryRow, want: &SummaryRow) -> Vec<&'static str> {
    [
        ("name", have.customer_name == want.customer_name),
        ("mobile", have.mobile == want.mobile),
        ("grade", have.grade == want.grade),
        ("stage", have.stage == want.stage),
        ("owner", have.owner_id == want.owner_id),
        ("next follow-up", have.next_follow_up == want.next_follow_up),
        ("updated", have.updated_at == want.updated_at),
    ]
    .into_iter()
    .filter(|(_, same)| !same)
    .map(|(field, _)| field)
    .collect()
}

/// At start-up: a database that has not been through this version's check
/// is checked and repaired once, and says how many documents it repaired.
pub async fn at_startup(db: &Db) -> Result<Report, CheckError> {
    if sql::storage_checked(db).await? >= sql::STORAGE_CHECK_VERSION {
        return Ok(Report::default());
    }
    let started = std::time::Instant::now();
    let report = run(db, true).await?;
    for f in &report.findings {
        tracing::warn!("storage check: {f}");
    }
    tracing::info!(
        documents = report.documents,
        repaired = report.repaired(),
        unrepaired = report.unrepaired(),
        took = ?started.elapsed(),
        "storage check: every document's snapshot and summary compared with a replay of its log"
    );
    sql::set_storage_checked(db, sql::STORAGE_CHECK_VERSION).await?;
    Ok(report)
}
