//! The server's stored view of a document is what its log holds (issue 18).
//!
//! The writer keeps documents open in memory and stores a snapshot now and
//! then; whenever a document is opened again from the database (after a
//! restart, or when it left the cache), its snapshot and the log's tail
//! must make the same document as a replay of the whole log, or the write
//! rules, the lead summaries and everything built on them judge a stale
//! lead. These tests reopen documents from storage through the server's own
//! code (a new writer on the same database) and compare with a replay.

use proptest::prelude::*;
use showroom_server::check;
use showroom_server::db::{self, Db};
use showroom_server::writer::{BatchOutcome, SNAPSHOT_EVERY};
use showroom_shared::api::LoginResponse;
use showroom_shared::doc::{LeadDoc, actor_from_bytes};
use showroom_shared::domain::{DocId, Grade, Lead, LeadId};
use showroom_shared::rules::Author;
use showroom_shared::sync::DocChanges;
use uuid::Uuid;

use crate::support::{Backend, TestApp, both_backends};
use crate::sync::lead_of;

both_backends!(
    batches_of_one_lead_in_one_group_reopen_as_their_log,
    changes_that_waited_across_a_snapshot_reopen_with_it,
    a_database_the_old_writer_damaged_is_repaired_at_start_up,
);

/// A device's copy of one lead, making one change per edit.
struct Local {
    doc: LeadDoc,
    lead: Lead,
    /// Every change made so far, in order.
    changes: Vec<Vec<u8>>,
    edits: u32,
}

impl Local {
    fn new(login: &LoginResponse, id: LeadId, actor: u8) -> Local {
        let lead = lead_of(&login.session, id, "Snapshot 0");
        let mut doc = LeadDoc::create(actor_from_bytes([actor; 16]), &lead).expect("doc");
        let changes = doc
            .changes_since(&[])
            .iter()
            .map(|c| c.raw_bytes().to_vec())
            .collect();
        Local {
            doc,
            lead,
            changes,
            edits: 0,
        }
    }

    /// One edit (a new name and grade): one change, returned.
    fn edit(&mut self, login: &LoginResponse) -> Vec<u8> {
        self.edits += 1;
        let n = self.edits;
        self.lead.customer.name = format!("Snapshot {n}");
        self.lead.grade = [Grade::H, Grade::A, Grade::B, Grade::C][n as usize % 4];
        self.lead.updated_at = i64::from(n) + 1;
        let before = self.doc.heads();
        self.doc
            .update(&self.lead, login.session.user.id, i64::from(n) + 1)
            .expect("edit")
            .expect("a change");
        let change = self.doc.changes_since(&before);
        assert_eq!(change.len(), 1);
        let bytes = change[0].raw_bytes().to_vec();
        self.changes.push(bytes.clone());
        bytes
    }

    fn id(&self) -> DocId {
        DocId::lead(self.lead.id)
    }
}

fn author(login: &LoginResponse) -> Author {
    Author {
        user: login.session.user.id,
        role: login.session.user.role,
    }
}

/// Queues each of `batches` (one document's changes each) with the writer
/// of `app` before waiting for any: on the test's single-threaded runtime
/// the writer takes them all into one group.
async fn push_in_one_group(
    app: &TestApp,
    login: &LoginResponse,
    doc: DocId,
    batches: Vec<Vec<Vec<u8>>>,
) -> Vec<BatchOutcome> {
    let pending: Vec<_> = batches
        .into_iter()
        .map(|changes| {
            app.state
                .writer
                .enqueue(
                    login.session.dealer.id,
                    login.session.device.id,
                    author(login),
                    showroom_shared::visibility::Reader::Dealer,
                    vec![DocChanges { doc, changes }],
                )
                .expect("writer running")
        })
        .collect();
    let mut outcomes = Vec::new();
    for p in pending {
        outcomes.push(p.await.expect("answered").expect("stored"));
    }
    outcomes
}

/// Pushes batches one at a time (each its own group).
async fn push_one_by_one(
    app: &TestApp,
    login: &LoginResponse,
    doc: DocId,
    batches: Vec<Vec<Vec<u8>>>,
) {
    for b in batches {
        let out = push_in_one_group(app, login, doc, vec![b]).await;
        assert!(out[0].refused.is_empty(), "{:?}", out[0].refused);
    }
}

/// The lead as the server opens it from the database, with its heads.
async fn as_stored(db: &Db, login: &LoginResponse, doc: DocId) -> (Lead, Vec<String>) {
    let saved = db::document_snapshot(db, login.session.dealer.id, doc)
        .await
        .expect("reads")
        .expect("stored");
    let mut copy = LeadDoc::load(&saved, actor_from_bytes([9; 16])).expect("loads");
    let mut heads: Vec<String> = copy.heads().iter().map(ToString::to_string).collect();
    heads.sort();
    (copy.read().expect("reads as a lead"), heads)
}

fn heads_of(local: &mut Local) -> Vec<String> {
    let mut heads: Vec<String> = local.doc.heads().iter().map(ToString::to_string).collect();
    heads.sort();
    heads
}

/// The storage check finds nothing wrong.
async fn assert_storage_true(db: &Db) {
    let report = check::run(db, false).await.expect("check runs");
    let findings: Vec<String> = report.findings.iter().map(ToString::to_string).collect();
    assert!(findings.is_empty(), "{findings:#?}");
    assert!(report.documents > 0);
}

/// Issue 18's reproduction: edits of one lead, one per batch, several of
/// them in one writer group that crosses the snapshot threshold part-way;
/// then the document is opened again from the database by a new writer (a
/// restarted server) and one more edit is pushed.
async fn batches_of_one_lead_in_one_group_reopen_as_their_log(app: TestApp) {
    let sales1 = app.login("sales1").await;
    let mut local = Local::new(&sales1, LeadId::from_uuid(Uuid::new_v4()), 1);
    let doc = local.id();
    // The creation and 20 edits one by one: 21 changes after the snapshot.
    let mut first = vec![local.changes.clone()];
    first.extend((0..20).map(|_| vec![local.edit(&sales1)]));
    push_one_by_one(&app, &sales1, doc, first).await;
    // 20 more in one group: the tail reaches SNAPSHOT_EVERY at the 11th.
    assert!(21 + 20 > SNAPSHOT_EVERY && 21 + 1 < SNAPSHOT_EVERY);
    let group: Vec<Vec<Vec<u8>>> = (0..20).map(|_| vec![local.edit(&sales1)]).collect();
    let outcomes = push_in_one_group(&app, &sales1, doc, group).await;
    assert!(outcomes.iter().all(|o| o.refused.is_empty()));

    // Opened from the database: the whole log, not the snapshot's part of it.
    let (stored, heads) = as_stored(&app.db, &sales1, doc).await;
    assert_eq!(stored.customer.name, "Snapshot 40");
    assert_eq!(
        heads,
        heads_of(&mut local),
        "the stored document reaches the log's heads"
    );
    assert_storage_true(&app.db).await;

    // A restarted server (a new writer, nothing cached) takes the next edit
    // on the document it opens from the database.
    let restarted = app.second_server().await;
    let edit = local.edit(&sales1);
    let out = push_in_one_group(&restarted, &sales1, doc, vec![vec![edit]]).await;
    assert!(out[0].refused.is_empty(), "{:?}", out[0].refused);
    let (stored, heads) = as_stored(&restarted.db, &sales1, doc).await;
    assert_eq!(stored.customer.name, "Snapshot 41");
    assert_eq!(stored.grade, local.lead.grade);
    assert_eq!(heads, heads_of(&mut local));
    // The summary moved forward with it, and the new change is not left
    // waiting (the check compares both with a replay of the log).
    assert_storage_true(&restarted.db).await;
}

/// Edits that arrive before the ones they follow wait for them, and a
/// snapshot may be taken while they wait. Once their dependencies arrive
/// they are marked applied, so a reopened document no longer reads them from
/// the log's tail: the snapshot must hold them (Automerge's save keeps the
/// changes waiting in its queue, and loading queues them again).
async fn changes_that_waited_across_a_snapshot_reopen_with_it(app: TestApp) {
    let sales1 = app.login("sales1").await;
    let mut local = Local::new(&sales1, LeadId::from_uuid(Uuid::new_v4()), 4);
    let doc = local.id();
    let mut batches = vec![local.changes.clone()];
    batches.extend((0..(SNAPSHOT_EVERY - 6)).map(|_| vec![local.edit(&sales1)]));
    push_one_by_one(&app, &sales1, doc, batches).await;
    // Eleven edits, the last first: the snapshot is taken at the sixth to
    // arrive, while all six wait.
    let mut late: Vec<Vec<Vec<u8>>> = (0..11).map(|_| vec![local.edit(&sales1)]).collect();
    late.reverse();
    push_one_by_one(&app, &sales1, doc, late).await;
    let restarted = app.second_server().await;
    let (stored, heads) = as_stored(&restarted.db, &sales1, doc).await;
    assert_eq!(
        heads,
        heads_of(&mut local),
        "the stored document reaches the log's heads"
    );
    assert_eq!(stored.customer.name, local.lead.customer.name);
    assert_storage_true(&restarted.db).await;
}

/// A database the old writer wrote: a snapshot that claims to cover the log
/// up to the document's last change but holds less, and a later change left
/// waiting for dependencies the server holds. The start-up check rebuilds it
/// from the log, once.
async fn a_database_the_old_writer_damaged_is_repaired_at_start_up(app: TestApp) {
    let sales1 = app.login("sales1").await;
    let mut local = Local::new(&sales1, LeadId::from_uuid(Uuid::new_v4()), 2);
    let doc = local.id();
    let mut batches = vec![local.changes.clone()];
    batches.extend((0..(SNAPSHOT_EVERY + 5)).map(|_| vec![local.edit(&sales1)]));
    push_one_by_one(&app, &sales1, doc, batches).await;
    assert_storage_true(&app.db).await;
    // The damage the old writer did: the snapshot (taken after the 32nd
    // change) recorded as covering the whole log, and the last change stored
    // as waiting (it came after the server's view went stale).
    let dealer = sales1.session.dealer.id.to_string();
    let doc_text = doc.to_string();
    // The same three statements on either backend's pool.
    macro_rules! damage {
        ($pool:expr) => {{
            sqlx::query("UPDATE documents SET snapshot_seq = last_seq WHERE dealer_id = $1 AND doc_id = $2")
                .bind(&dealer)
                .bind(&doc_text)
                .execute($pool)
                .await
                .expect("damage");
            sqlx::query("UPDATE changes SET applied = FALSE WHERE dealer_id = $1 AND doc_id = $2 AND seq = (SELECT MAX(seq) FROM changes WHERE dealer_id = $1 AND doc_id = $2)")
                .bind(&dealer)
                .bind(&doc_text)
                .execute($pool)
                .await
                .expect("damage");
            sqlx::query("UPDATE server_meta SET storage_checked = 0")
                .execute($pool)
                .await
                .expect("damage");
        }};
    }
    match &app.db {
        Db::Sqlite(pool) => damage!(pool),
        Db::Postgres(pool) => damage!(pool),
    }
    let (stale, heads) = as_stored(&app.db, &sales1, doc).await;
    assert_ne!(
        heads,
        heads_of(&mut local),
        "the damage makes the stored view stale"
    );
    assert_ne!(stale.customer.name, local.lead.customer.name);
    let report = check::run(&app.db, false).await.expect("check runs");
    assert_eq!(report.findings.len(), 1, "{:?}", report.findings);
    assert_eq!(report.findings[0].doc, doc);
    assert_eq!(
        report.repaired(),
        0,
        "a check without repair writes nothing"
    );

    // The start-up check repairs it, and only once.
    let report = check::at_startup(&app.db).await.expect("start-up check");
    assert_eq!(report.repaired(), 1);
    assert_eq!(report.unrepaired(), 0);
    let again = check::at_startup(&app.db).await.expect("start-up check");
    assert_eq!(again.documents, 0, "done once, not at every start");
    let (stored, heads) = as_stored(&app.db, &sales1, doc).await;
    assert_eq!(heads, heads_of(&mut local));
    assert_eq!(stored.customer.name, local.lead.customer.name);
    assert_storage_true(&app.db).await;

    // A restarted server takes the next edit as applied, on the right view.
    let restarted = app.second_server().await;
    let edit = local.edit(&sales1);
    let out = push_in_one_group(&restarted, &sales1, doc, vec![vec![edit]]).await;
    assert!(out[0].refused.is_empty(), "{:?}", out[0].refused);
    assert_storage_true(&restarted.db).await;
}

// ---------------------------------------------------------------------------
// Property: whatever the grouping, the order of arrival and the moments the
// server reopens documents from storage, the stored view is the log's.

#[derive(Clone, Debug)]
enum Op {
    /// `edits` new changes of lead `doc`, one per batch: all queued at once
    /// (one writer group) or one by one; delivered in reverse order when
    /// `reverse` (the later ones wait for their dependencies).
    Edit {
        doc: usize,
        edits: usize,
        grouped: bool,
        reverse: bool,
    },
    /// The server restarts: a new writer, nothing cached.
    Reopen,
    /// The storage check, mid-way.
    Check,
}

/// Leads per case: few, so each crosses the snapshot threshold often.
const LEADS: usize = 2;

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (0..LEADS, 1..20usize, any::<bool>(), proptest::bool::weighted(0.4))
            .prop_map(|(doc, edits, grouped, reverse)| Op::Edit { doc, edits, grouped, reverse }),
        1 => Just(Op::Reopen),
        1 => Just(Op::Check),
    ]
}

/// The storage check of this case's leads finds nothing wrong.
async fn assert_leads_true(db: &Db, login: &LoginResponse, locals: &[Option<Local>]) {
    let docs: Vec<DocId> = locals.iter().flatten().map(Local::id).collect();
    let report = check::documents(db, login.session.dealer.id, &docs, false)
        .await
        .expect("check runs");
    let findings: Vec<String> = report.findings.iter().map(ToString::to_string).collect();
    assert!(findings.is_empty(), "{findings:#?}");
}

async fn run_ops(base: &TestApp, login: &LoginResponse, ops: Vec<Op>) {
    let mut server: Option<TestApp> = None;
    let mut locals: Vec<Option<Local>> = (0..LEADS).map(|_| None).collect();
    for op in ops {
        match op {
            Op::Reopen => server = Some(base.second_server().await),
            Op::Check => assert_leads_true(&base.db, login, &locals).await,
            Op::Edit {
                doc,
                edits,
                grouped,
                reverse,
            } => {
                let app = server.as_ref().unwrap_or(base);
                let mut batches: Vec<Vec<Vec<u8>>> = Vec::new();
                let local = locals[doc].get_or_insert_with(|| {
                    let l = Local::new(login, LeadId::from_uuid(Uuid::new_v4()), 3 + doc as u8);
                    batches.push(l.changes.clone());
                    l
                });
                batches.extend((0..edits).map(|_| vec![local.edit(login)]));
                if reverse {
                    batches.reverse();
                }
                let id = local.id();
                if grouped {
                    let outcomes = push_in_one_group(app, login, id, batches).await;
                    assert!(
                        outcomes.iter().all(|o| o.refused.is_empty()),
                        "{outcomes:?}"
                    );
                } else {
                    push_one_by_one(app, login, id, batches).await;
                }
            }
        }
    }
    // Every lead, opened from the database, is the device's lead.
    let db = &server.as_ref().unwrap_or(base).db;
    for local in locals.iter_mut().flatten() {
        let (stored, heads) = as_stored(db, login, local.id()).await;
        assert_eq!(heads, heads_of(local));
        assert_eq!(stored.customer.name, local.lead.customer.name);
    }
    assert_leads_true(db, login, &locals).await;
}

#[test]
fn the_stored_view_is_the_log_whatever_the_grouping_order_and_restarts() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let app = runtime.block_on(TestApp::new(Backend::Sqlite));
    let login = runtime.block_on(app.login("sales1"));
    let cases = std::env::var("SHOWROOM_STORAGE_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(24);
    let config = ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    proptest!(config, |(ops in proptest::collection::vec(op(), 1..24))| {
        runtime.block_on(run_ops(&app, &login, ops));
    });
}
