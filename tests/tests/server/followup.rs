//! Lost requests over the real sync endpoint, on both backends: only a
//! manager's session decides; a lead becomes lost only with an approved
//! request (its open tasks closed, grade F); a rejection reaches the
//! salesperson with the manager's comment and a new task.

use showroom_shared::doc::{Document, LeadDoc, actor_from_bytes};
use showroom_shared::domain::followup::{
    LostDecision, LostDecisionId, LostRequest, LostRequestId, LostState, Task, TaskId, TaskKind,
};
use showroom_shared::domain::{DocId, Grade, Lead, Stage, UserId};
use showroom_shared::sync::{DocChanges, ServerMsg, SyncErrorCode};
use uuid::Uuid;

use crate::support::{TestApp, both_backends};
use crate::sync::{Device, lead_for, ok_ack, push, raw_changes};

fn refused_codes(msg: &ServerMsg) -> Vec<(DocId, SyncErrorCode)> {
    match msg {
        ServerMsg::Ack { refused, .. } => refused.iter().map(|r| (r.doc, r.code)).collect(),
        other => panic!("expected an ack, got {other:?}"),
    }
}

fn open(docs: &[DocChanges], id: DocId, actor: u8) -> LeadDoc {
    let mut doc = Document::empty(actor_from_bytes([actor; 16]));
    for d in docs.iter().filter(|d| d.doc == id) {
        doc.apply_bytes(d.changes.iter().map(Vec::as_slice))
            .expect("applies");
    }
    LeadDoc::from(doc)
}

fn task(n: u128, assignee: UserId, by: UserId) -> Task {
    Task {
        id: TaskId::from_uuid(Uuid::from_u128(n)),
        kind: TaskKind::Call,
        due: 1_000,
        assignee,
        note: "首次回访".into(),
        car: None,
        completion: None,
        cancelled: false,
        created_by: by,
        created_at: 500,
    }
}

fn decision(request: &LostRequest, n: u128, by: UserId, approved: bool) -> LostDecision {
    LostDecision {
        id: LostDecisionId::from_uuid(Uuid::from_u128(n)),
        request: request.id,
        approved,
        comment: "再跟进一次".into(),
        decided_by: by,
        decided_at: 3_000,
    }
}

/// A lead of sales1's with an open task and a lost request, stored.
async fn requested(
    addr: std::net::SocketAddr,
    login: &showroom_shared::api::LoginResponse,
) -> (Lead, LostRequest, Device, LeadDoc) {
    let me = login.session.user.id;
    let mut lead = lead_for(login, 70, "孙先生");
    lead.tasks = vec![task(71, me, me)];
    let request = LostRequest {
        id: LostRequestId::from_uuid(Uuid::from_u128(72)),
        reason: "competitor".into(),
        competitor: "Brand X Model Y".into(),
        note: "已在别家下定".into(),
        requested_by: me,
        requested_at: 2_000,
        reopened_at: None,
    };
    lead.lost_requests = vec![request.clone()];
    let mut doc = LeadDoc::create(actor_from_bytes([1; 16]), &lead).expect("doc");
    let mut s = Device::hello(addr, &login.token, 0).await;
    s.caught_up().await;
    s.send(push(1, lead.id, raw_changes(&mut doc))).await;
    assert_eq!(s.ack().await, ok_ack(1), "the request is stored");
    (lead, request, s, doc)
}

async fn seen(app: &TestApp, addr: std::net::SocketAddr, lead: &Lead, tablet: &str) -> Lead {
    let other = app.login_on("sales1", tablet).await;
    let mut d = Device::hello(addr, &other.token, 0).await;
    let (_, docs) = d.caught_up().await;
    open(&docs, DocId::lead(lead.id), 7).read().expect("reads")
}

async fn only_a_manager_decides_a_lost_request(app: TestApp) {
    let addr = app.serve().await;
    let sales = app.login("sales1").await;
    let me = sales.session.user.id;
    let (lead, request, mut s, mut doc) = requested(addr, &sales).await;

    // The salesperson's device forges an approval: refused.
    let mut forged = LeadDoc::load(&doc.save(), actor_from_bytes([1; 16])).expect("opens");
    forged
        .decide_lost(&decision(&request, 80, me, true), None, 3_000)
        .expect("writes");
    s.send(push(2, lead.id, raw_changes(&mut forged))).await;
    assert_eq!(
        refused_codes(&s.ack().await),
        [(DocId::lead(lead.id), SyncErrorCode::Forbidden)]
    );
    // Setting the stage to lost by hand: refused too.
    let mut by_hand = LeadDoc::load(&doc.save(), actor_from_bytes([1; 16])).expect("opens");
    let mut edited = by_hand.read().expect("reads");
    edited.stage = Stage::Lost;
    by_hand.update(&edited, me, 3_500).expect("writes");
    s.send(push(3, lead.id, raw_changes(&mut by_hand))).await;
    assert_eq!(
        refused_codes(&s.ack().await),
        [(DocId::lead(lead.id), SyncErrorCode::NotDecided)]
    );
    let still = seen(&app, addr, &lead, "Tablet B").await;
    assert_eq!(still.stage, lead.stage, "the lead is still open");
    assert_eq!(
        still.lost_requests[0].state(&still.lost_decisions),
        LostState::Pending
    );

    // The manager approves: lost, grade F, the open task closed.
    let manager = app.login("manager").await;
    let mut m = Device::hello(addr, &manager.token, 0).await;
    let (_, docs) = m.caught_up().await;
    let mut theirs = open(&docs, DocId::lead(lead.id), 2);
    theirs
        .decide_lost(
            &decision(&request, 81, manager.session.user.id, true),
            None,
            4_000,
        )
        .expect("writes");
    m.send(push(1, lead.id, raw_changes(&mut theirs))).await;
    assert_eq!(m.ack().await, ok_ack(1), "a manager's decision is stored");
    let lost = seen(&app, addr, &lead, "Tablet C").await;
    assert_eq!(lost.stage, Stage::Lost);
    assert_eq!(lost.grade, Grade::F);
    assert!(lost.tasks.iter().all(|t| !t.is_open()), "open tasks closed");
    assert!(matches!(
        lost.lost_requests[0].state(&lost.lost_decisions),
        LostState::Approved(_)
    ));
}

async fn a_rejection_reaches_the_salesperson_with_a_comment_and_a_task(app: TestApp) {
    let addr = app.serve().await;
    let sales = app.login("sales1").await;
    let me = sales.session.user.id;
    let (lead, request, _s, _doc) = requested(addr, &sales).await;
    let manager = app.login("manager").await;
    let mut m = Device::hello(addr, &manager.token, 0).await;
    let (_, docs) = m.caught_up().await;
    let mut theirs = open(&docs, DocId::lead(lead.id), 2);
    let follow = task(90, me, manager.session.user.id);
    theirs
        .decide_lost(
            &decision(&request, 91, manager.session.user.id, false),
            Some(&follow),
            4_000,
        )
        .expect("writes");
    m.send(push(1, lead.id, raw_changes(&mut theirs))).await;
    assert_eq!(m.ack().await, ok_ack(1));
    let back = seen(&app, addr, &lead, "Tablet B").await;
    assert_eq!(back.stage, lead.stage, "not lost");
    match back.lost_requests[0].state(&back.lost_decisions) {
        LostState::Rejected(d) => assert_eq!(d.comment, "再跟进一次"),
        other => panic!("rejected, got {other:?}"),
    }
    assert!(
        back.tasks
            .iter()
            .any(|t| t.id == follow.id && t.assignee == me && t.is_open()),
        "the manager's new task for the salesperson"
    );
}

both_backends!(
    only_a_manager_decides_a_lost_request,
    a_rejection_reaches_the_salesperson_with_a_comment_and_a_task,
);
