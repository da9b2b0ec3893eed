//! Documents of several kinds and their write rules, over the real sync
//! endpoint: the dealer's catalogue (created by the server, changed only by
//! a manager or an admin) and records that name their author.

use showroom_server::{dealer_doc, demo};
use showroom_shared::doc::{DealerDoc, Document, LeadDoc, actor_from_bytes};
use showroom_shared::domain::catalogue::Trim;
use showroom_shared::domain::showroom::{
    DriveId, DriveStatus, Signature, Strokes, TestDrive, Visit, VisitId, VisitKind, VisitOutcome,
    VisitSteps,
};
use showroom_shared::domain::{DocId, DocKind, Money};
use showroom_shared::sync::{ClientMsg, DocChanges, ServerMsg, SyncErrorCode};
use uuid::Uuid;

use crate::support::{TestApp, both_backends};
use crate::sync::{Device, lead_for, ok_ack, push, raw_changes};

fn push_doc(batch: u64, doc: DocId, changes: Vec<Vec<u8>>) -> ClientMsg {
    ClientMsg::Push {
        batch,
        docs: vec![DocChanges { doc, changes }],
    }
}

fn refused_codes(msg: &ServerMsg) -> Vec<(DocId, SyncErrorCode)> {
    match msg {
        ServerMsg::Ack { refused, .. } => refused.iter().map(|r| (r.doc, r.code)).collect(),
        other => panic!("expected an ack, got {other:?}"),
    }
}

/// The dealer document a device received, opened.
fn dealer_doc_of(docs: &[DocChanges], dealer: DocId, actor: u8) -> DealerDoc {
    let d = docs
        .iter()
        .find(|d| d.doc == dealer)
        .expect("the dealer's document reached the device");
    let mut doc = DealerDoc::empty(actor_from_bytes([actor; 16]));
    doc.apply_bytes(d.changes.iter().map(Vec::as_slice))
        .expect("applies");
    doc
}

fn visit(by: showroom_shared::domain::UserId, n: u128) -> Visit {
    Visit {
        id: VisitId::from_uuid(Uuid::from_u128(n)),
        arrived_at: 1_000,
        left_at: None,
        salesperson: by,
        party_size: 2,
        kind: VisitKind::First,
        outcome: VisitOutcome::Lead,
        lead: None,
        steps: VisitSteps::default(),
        created_by: by,
    }
}

async fn the_dealer_document_is_made_once_and_reaches_every_device(app: TestApp) {
    assert_eq!(
        dealer_doc::ensure_all(&app.state, demo::catalogue)
            .await
            .expect("made"),
        2,
        "one per demo dealer"
    );
    assert_eq!(
        dealer_doc::ensure_all(&app.state, demo::catalogue)
            .await
            .expect("checked"),
        0,
        "never twice"
    );
    let addr = app.serve().await;
    let sales = app.login("sales1").await;
    let dealer = DocId::dealer(sales.session.dealer.id);
    let mut d = Device::hello(addr, &sales.token, 0).await;
    let (_, docs) = d.caught_up().await;
    assert_eq!(docs.len(), 1, "only its own dealer's document: {docs:?}");
    let read = dealer_doc_of(&docs, dealer, 1).read().expect("reads");
    assert_eq!(read.id, Some(sales.session.dealer.id));
    assert_eq!(read.models.len(), 3);
    assert!(read.trims.iter().any(|t| t.powertrain.is_nev()));
    assert_eq!(read.cars.len(), 3, "three demo cars with valid VINs");
    assert_eq!(read.settings.time_zone, "Asia/Shanghai");
}

async fn only_a_manager_or_admin_changes_the_catalogue(app: TestApp) {
    dealer_doc::ensure_all(&app.state, demo::catalogue)
        .await
        .expect("made");
    let addr = app.serve().await;
    let sales = app.login("sales1").await;
    let manager = app.login("manager").await;
    let dealer = DocId::dealer(sales.session.dealer.id);

    // A salesperson's device forges a price cut: refused, with its code.
    let mut s = Device::hello(addr, &sales.token, 0).await;
    let (_, docs) = s.caught_up().await;
    let mut forged = dealer_doc_of(&docs, dealer, 1);
    let heads = forged.heads();
    let mut trim: Trim = forged.read().expect("reads").trims[0].clone();
    trim.list_price = Money::yuan(1);
    forged.put(&trim, 2_000).expect("edits").expect("a change");
    let changes = forged
        .changes_since(&heads)
        .iter()
        .map(|c| c.raw_bytes().to_vec())
        .collect();
    s.send(push_doc(1, dealer, changes)).await;
    assert_eq!(
        refused_codes(&s.ack().await),
        [(dealer, SyncErrorCode::Forbidden)]
    );

    // The manager's edit of the same trim is stored.
    let mut m = Device::hello(addr, &manager.token, 0).await;
    let (_, docs) = m.caught_up().await;
    let mut edited = dealer_doc_of(&docs, dealer, 2);
    let heads = edited.heads();
    let mut trim: Trim = edited.read().expect("reads").trims[0].clone();
    let original = trim.list_price;
    trim.list_price = Money(original.0 - 500_000);
    edited.put(&trim, 3_000).expect("edits").expect("a change");
    let changes = edited
        .changes_since(&heads)
        .iter()
        .map(|c| c.raw_bytes().to_vec())
        .collect();
    m.send(push_doc(1, dealer, changes)).await;
    assert_eq!(m.ack().await, ok_ack(1));

    // Another device sees the manager's price, never the forged one.
    let other = app.login_on("sales2", "Tablet B").await;
    let mut o = Device::hello(addr, &other.token, 0).await;
    let (_, docs) = o.caught_up().await;
    let seen = dealer_doc_of(&docs, dealer, 3).read().expect("reads");
    let price = seen
        .trims
        .iter()
        .find(|t| t.id == trim.id)
        .map(|t| t.list_price);
    assert_eq!(price, Some(Money(original.0 - 500_000)));
}

async fn records_in_another_users_name_are_refused(app: TestApp) {
    let addr = app.serve().await;
    let sales1 = app.login("sales1").await;
    let sales2 = app.login("sales2").await;
    let me = sales1.session.user.id;
    let them = sales2.session.user.id;

    // A lead whose visit names another salesperson as its author.
    let mut lead = lead_for(&sales1, 1, "冯先生");
    lead.visits = vec![visit(them, 10)];
    let mut doc = LeadDoc::create(actor_from_bytes([1; 16]), &lead).expect("doc");
    let mut d1 = Device::hello(addr, &sales1.token, 0).await;
    d1.caught_up().await;
    d1.send(push(1, lead.id, raw_changes(&mut doc))).await;
    assert_eq!(
        refused_codes(&d1.ack().await),
        [(DocId::lead(lead.id), SyncErrorCode::NotAuthor)]
    );

    // The same lead with the visit in its own name is stored…
    // (In the pool: another salesperson may see it.)
    let mut lead = lead_for(&sales1, 2, "冯先生");
    lead.owner = None;
    lead.visits = vec![visit(me, 11)];
    let mut mine = LeadDoc::create(actor_from_bytes([2; 16]), &lead).expect("doc");
    d1.send(push(2, lead.id, raw_changes(&mut mine))).await;
    assert_eq!(d1.ack().await, ok_ack(2));

    // …and another salesperson may add their own test drive to it, but not
    // one whose signature says someone else held the tablet.
    let mut d2 = Device::hello(addr, &sales2.token, 0).await;
    let (_, docs) = d2.caught_up().await;
    let mut theirs = Document::empty(actor_from_bytes([3; 16]));
    theirs
        .apply_bytes(docs[0].changes.iter().map(Vec::as_slice))
        .expect("applies");
    let mut theirs = LeadDoc::from(theirs);
    let mut drive = TestDrive {
        id: DriveId::from_uuid(Uuid::from_u128(20)),
        car: showroom_shared::domain::catalogue::CarId::from_uuid(Uuid::from_u128(30)),
        start: 5_000,
        end: 6_000,
        status: DriveStatus::Booked,
        licence: None,
        signature: None,
        out: None,
        back: None,
        created_by: them,
        created_at: 5_000,
    };
    let heads = theirs.heads();
    theirs
        .put_record(&drive, them, 5_000)
        .expect("adds")
        .expect("a change");
    let ok = theirs
        .changes_since(&heads)
        .iter()
        .map(|c| c.raw_bytes().to_vec())
        .collect();
    d2.send(push(1, lead.id, ok)).await;
    assert_eq!(d2.ack().await, ok_ack(1));

    drive.signature = Some(Signature {
        strokes: Strokes::encode(&[vec![(10, 10), (20, 30)]]),
        typed_name: String::new(),
        agreement_version: 1,
        language: "zh-CN".into(),
        signed_at: 5_500,
        captured_by: me,
    });
    let heads = theirs.heads();
    theirs
        .put_record(&drive, them, 5_500)
        .expect("edits")
        .expect("a change");
    let forged = theirs
        .changes_since(&heads)
        .iter()
        .map(|c| c.raw_bytes().to_vec())
        .collect();
    d2.send(push(2, lead.id, forged)).await;
    assert_eq!(
        refused_codes(&d2.ack().await),
        [(DocId::lead(lead.id), SyncErrorCode::NotAuthor)]
    );

    // What sales1 sees has sales2's drive, unsigned.
    // (Another device of sales1: a device is not sent its own changes.)
    let tablet = app.login_on("sales1", "Tablet C").await;
    let mut d3 = Device::hello(addr, &tablet.token, 0).await;
    let (_, docs) = d3.caught_up().await;
    let lead_docs: Vec<_> = docs
        .iter()
        .filter(|d| d.doc.kind == DocKind::Lead)
        .collect();
    let mut seen = Document::empty(actor_from_bytes([4; 16]));
    for d in &lead_docs {
        if d.doc == DocId::lead(lead.id) {
            seen.apply_bytes(d.changes.iter().map(Vec::as_slice))
                .expect("applies");
        }
    }
    let seen = seen.read_lead().expect("reads");
    assert_eq!(seen.drives.len(), 1);
    assert_eq!(
        seen.drives[0].signature, None,
        "the forged signature never landed"
    );
}

both_backends!(
    the_dealer_document_is_made_once_and_reaches_every_device,
    only_a_manager_or_admin_changes_the_catalogue,
    records_in_another_users_name_are_refused,
);
