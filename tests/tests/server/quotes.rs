//! Quotes over the real sync endpoint, on both backends: a manager's
//! approval is accepted only from a manager's session, holds only for the
//! exact terms it was given for, and a version shown to the customer
//! never changes.

use showroom_server::{dealer_doc, demo};
use showroom_shared::doc::{Document, LeadDoc, actor_from_bytes};
use showroom_shared::domain::catalogue::Dealer;
use showroom_shared::domain::quote::{
    Approval, ApprovalId, QuoteId, QuoteState, QuoteStatus, QuoteVersion, VersionId,
};
use showroom_shared::domain::{Date, DocId, Lead, Money, Stage, UserId};
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

fn open(docs: &[DocChanges], id: DocId, actor: u8) -> Document {
    let mut doc = Document::empty(actor_from_bytes([actor; 16]));
    for d in docs.iter().filter(|d| d.doc == id) {
        doc.apply_bytes(d.changes.iter().map(Vec::as_slice))
            .expect("applies");
    }
    doc
}

fn today() -> Date {
    Date::from_ymd(2026, 12, 1).expect("a date")
}

/// A version of RULES.md's worked example car (¥200,000) with `discount`:
/// over the demo dealer's 3 % limit above ¥6,000.
fn version(dealer: &Dealer, n: u128, number: u32, discount: i64, by: UserId) -> QuoteVersion {
    let trim = dealer
        .trims
        .iter()
        .find(|t| t.list_price == Money::yuan(200_000))
        .expect("the demo catalogue has the worked example's trim");
    let mut v = QuoteVersion::draft(
        VersionId::from_uuid(Uuid::from_u128(n)),
        QuoteId::from_uuid(Uuid::from_u128(1)),
        dealer,
        trim,
        today(),
        by,
        1_000,
    );
    v.number = number;
    v.discount = Money::yuan(discount);
    v.recompute(&dealer.settings.quote);
    v
}

fn approval(v: &QuoteVersion, n: u128, by: UserId, approved: bool) -> Approval {
    Approval {
        id: ApprovalId::from_uuid(Uuid::from_u128(n)),
        version: v.id,
        digest: v.digest(),
        approved,
        comment: "同意 OK".into(),
        decided_by: by,
        decided_at: 5_000,
    }
}

/// The demo dealer's catalogue as sales1's device has it, and a lead of
/// sales1's with v1 of a quote requested for approval (¥10,000 off: 5 %).
async fn setup(
    sales: &mut Device,
    login: &showroom_shared::api::LoginResponse,
) -> (Dealer, Lead, LeadDoc) {
    let (_, docs) = sales.caught_up().await;
    let dealer = open(&docs, DocId::dealer(login.session.dealer.id), 9)
        .read_dealer()
        .expect("the dealer's document");
    let mut lead = lead_for(login, 40, "钱女士");
    let mut v1 = version(&dealer, 41, 1, 10_000, login.session.user.id);
    v1.status = QuoteStatus::Requested;
    v1.requested_at = Some(2_000);
    lead.quotes = vec![v1];
    let doc = LeadDoc::create(actor_from_bytes([1; 16]), &lead).expect("doc");
    (dealer, lead, doc)
}

/// What another device of sales1 sees of the lead.
async fn seen_by_another_tablet(
    app: &TestApp,
    addr: std::net::SocketAddr,
    lead: &Lead,
    tablet: &str,
) -> Lead {
    let other = app.login_on("sales1", tablet).await;
    let mut d = Device::hello(addr, &other.token, 0).await;
    let (_, docs) = d.caught_up().await;
    open(&docs, DocId::lead(lead.id), 7)
        .read_lead()
        .expect("reads")
}

/// The manager's device decides on `v` and pushes it; returns the lead's
/// document with the decision, as sales1's device will have it after sync.
async fn manager_decides(
    app: &TestApp,
    addr: std::net::SocketAddr,
    lead: &Lead,
    v: &QuoteVersion,
    n: u128,
) -> LeadDoc {
    let manager = app.login("manager").await;
    let mut m = Device::hello(addr, &manager.token, 0).await;
    let (_, docs) = m.caught_up().await;
    let mut theirs = LeadDoc::from(open(&docs, DocId::lead(lead.id), 2));
    theirs
        .put_approval(&approval(v, n, manager.session.user.id, true), 7_000)
        .expect("writes")
        .expect("a change");
    m.send(push(1, lead.id, raw_changes(&mut theirs))).await;
    assert_eq!(m.ack().await, ok_ack(1), "a manager's approval is stored");
    LeadDoc::load(&theirs.save(), actor_from_bytes([1; 16])).expect("opens")
}

async fn an_approval_from_a_salesperson_is_refused(app: TestApp) {
    dealer_doc::ensure_all(&app.state, demo::catalogue)
        .await
        .expect("made");
    let addr = app.serve().await;
    let sales = app.login("sales1").await;
    let me = sales.session.user.id;
    let mut s = Device::hello(addr, &sales.token, 0).await;
    let (dealer, lead, mut doc) = setup(&mut s, &sales).await;
    s.send(push(1, lead.id, raw_changes(&mut doc))).await;
    assert_eq!(
        s.ack().await,
        ok_ack(1),
        "the request for approval is stored"
    );

    // The salesperson's device forges the approval: refused.
    let v1 = lead.quotes[0].clone();
    let mut forged = LeadDoc::load(&doc.save(), actor_from_bytes([1; 16])).expect("opens");
    forged
        .put_approval(&approval(&v1, 50, me, true), 5_000)
        .expect("writes")
        .expect("a change");
    s.send(push(2, lead.id, raw_changes(&mut forged))).await;
    assert_eq!(
        refused_codes(&s.ack().await),
        [(DocId::lead(lead.id), SyncErrorCode::Forbidden)]
    );
    // Presenting it without an approval: refused too.
    let mut presented = v1.clone();
    presented.present(6_000);
    doc.put_quote(&presented, me, 6_000).expect("writes");
    s.send(push(3, lead.id, raw_changes(&mut doc))).await;
    assert_eq!(
        refused_codes(&s.ack().await),
        [(DocId::lead(lead.id), SyncErrorCode::NotApproved)]
    );

    // Everywhere else the quote is still pending: no approval landed.
    let seen = seen_by_another_tablet(&app, addr, &lead, "Tablet B").await;
    assert!(seen.approvals.is_empty(), "{:?}", seen.approvals);
    assert_eq!(
        seen.quotes[0].state(&seen.approvals, today()),
        QuoteState::Pending
    );
    assert_eq!(seen.stage, lead.stage, "not quoted yet");

    // The manager approves from their own session; the salesperson's
    // device, synced, presents it.
    let mut mine = manager_decides(&app, addr, &lead, &v1, 51).await;
    let read = mine.read().expect("reads");
    assert!(matches!(
        read.quotes[0].state(&read.approvals, today()),
        QuoteState::Approved(_)
    ));
    mine.put_quote(&presented, me, 8_000).expect("writes");
    s.send(push(4, lead.id, raw_changes(&mut mine))).await;
    assert_eq!(s.ack().await, ok_ack(4), "an approved quote is presented");

    // Presented, it is frozen: a change of its terms is refused.
    let mut cheaper = presented.clone();
    cheaper.discount = Money::yuan(12_000);
    cheaper.recompute(&dealer.settings.quote);
    let mut edit = LeadDoc::load(&mine.save(), actor_from_bytes([1; 16])).expect("opens");
    edit.put_quote(&cheaper, me, 9_000).expect("writes");
    s.send(push(5, lead.id, raw_changes(&mut edit))).await;
    assert_eq!(
        refused_codes(&s.ack().await),
        [(DocId::lead(lead.id), SyncErrorCode::Frozen)]
    );
    let seen = seen_by_another_tablet(&app, addr, &lead, "Tablet C").await;
    assert_eq!(seen.quotes, vec![presented]);
    assert_eq!(seen.stage, Stage::Quoted, "the first presented quote");
}

async fn an_approval_for_an_older_version_does_not_approve_the_new_one(app: TestApp) {
    dealer_doc::ensure_all(&app.state, demo::catalogue)
        .await
        .expect("made");
    let addr = app.serve().await;
    let sales = app.login("sales1").await;
    let me = sales.session.user.id;
    let mut s = Device::hello(addr, &sales.token, 0).await;
    let (dealer, lead, mut doc) = setup(&mut s, &sales).await;
    s.send(push(1, lead.id, raw_changes(&mut doc))).await;
    assert_eq!(s.ack().await, ok_ack(1));
    let v1 = lead.quotes[0].clone();
    let synced = manager_decides(&app, addr, &lead, &v1, 60).await.save();

    // v2, a new version with a bigger discount, presented on v1's approval.
    let mut v2 = v1.next_version(
        VersionId::from_uuid(Uuid::from_u128(42)),
        2,
        &dealer.settings.quote,
        today(),
        me,
        8_000,
    );
    v2.discount = Money::yuan(12_000);
    v2.recompute(&dealer.settings.quote);
    v2.present(8_000);
    let mut mine = LeadDoc::load(&synced, actor_from_bytes([1; 16])).expect("opens");
    mine.put_quote(&v2, me, 8_000).expect("writes");
    let read = mine.read().expect("reads");
    assert_eq!(
        read.quotes
            .iter()
            .find(|q| q.id == v2.id)
            .map(|q| q.decision(&read.approvals).is_some()),
        Some(false),
        "v1's approval is not v2's"
    );
    s.send(push(2, lead.id, raw_changes(&mut mine))).await;
    assert_eq!(
        refused_codes(&s.ack().await),
        [(DocId::lead(lead.id), SyncErrorCode::NotApproved)]
    );

    // v1 itself, its terms edited after the approval, then presented.
    let mut edited = v1.clone();
    edited.discount = Money::yuan(11_000);
    edited.recompute(&dealer.settings.quote);
    edited.present(8_500);
    let mut mine = LeadDoc::load(&synced, actor_from_bytes([1; 16])).expect("opens");
    mine.put_quote(&edited, me, 8_500).expect("writes");
    s.send(push(3, lead.id, raw_changes(&mut mine))).await;
    assert_eq!(
        refused_codes(&s.ack().await),
        [(DocId::lead(lead.id), SyncErrorCode::NotApproved)]
    );

    // v1 as approved is presented; the server holds it, and no v2.
    let mut presented = v1.clone();
    presented.present(9_000);
    let mut mine = LeadDoc::load(&synced, actor_from_bytes([1; 16])).expect("opens");
    mine.put_quote(&presented, me, 9_000).expect("writes");
    s.send(push(4, lead.id, raw_changes(&mut mine))).await;
    assert_eq!(s.ack().await, ok_ack(4));
    let seen = seen_by_another_tablet(&app, addr, &lead, "Tablet B").await;
    assert_eq!(seen.quotes, vec![presented]);
    assert_eq!(seen.approvals.len(), 1);
}

both_backends!(
    an_approval_from_a_salesperson_is_refused,
    an_approval_for_an_older_version_does_not_approve_the_new_one,
);
