//! Visibility inside the dealer (`shared::visibility`), over real
//! WebSockets on both databases, with the server's per-user visibility on:
//! a salesperson's devices receive only their own leads and the pool's, a
//! reassigned lead moves whole, the old owner's devices remove it after
//! sending what they wrote, and a push to a lead one may not see is
//! answered exactly as a push to a lead that does not exist.

use showroom_shared::api::LoginResponse;
use showroom_shared::doc::{LeadDoc, actor_from_bytes};
use showroom_shared::domain::{DocId, DocKind, Lead, LeadId, Note};
use showroom_shared::sync::{ClientMsg, DocChanges, ServerMsg};
use uuid::Uuid;

use crate::support::{Backend, TestApp};
use crate::sync::{Device, lead_for, ok_ack, push, raw_changes};

/// The demo dealer with its own document (catalogue and settings), as a
/// started server has it.
pub(crate) async fn app(backend: Backend) -> TestApp {
    let app = TestApp::new(backend).await;
    showroom_server::dealer_doc::ensure_all(&app.state, showroom_server::demo::catalogue)
        .await
        .expect("the dealer's document");
    app
}

/// The leads among documents.
fn leads(docs: &[DocChanges]) -> Vec<DocId> {
    docs.iter()
        .filter(|d| d.doc.kind == DocKind::Lead)
        .map(|d| d.doc)
        .collect()
}

/// A note by `login`'s user, as one change on top of `doc`.
fn note_change(doc: &mut LeadDoc, login: &LoginResponse, n: u128, text: &str) -> Vec<Vec<u8>> {
    let heads = doc.heads();
    doc.add_note(&Note {
        author: login.session.user.id,
        at: 10 + n as i64,
        text: text.into(),
    })
    .expect("note");
    doc.changes_since(&heads)
        .iter()
        .map(|c| c.raw_bytes().to_vec())
        .collect()
}

/// A copy of a lead's document from its changes, written by `actor`.
fn copy_of(changes: &[Vec<u8>], actor: u8) -> LeadDoc {
    let mut copy = LeadDoc::empty(actor_from_bytes([actor; 16]));
    copy.apply_bytes(changes.iter().map(Vec::as_slice))
        .expect("applies");
    copy
}

/// Pushes a new lead as `username` from another device of theirs (so the
/// devices under test receive it) and waits for its ack.
async fn create(
    app: &TestApp,
    addr: std::net::SocketAddr,
    username: &str,
    lead: &Lead,
) -> Vec<Vec<u8>> {
    let login = app.login_on(username, "desk").await;
    let mut doc =
        LeadDoc::create(actor_from_bytes([lead.id.0.as_bytes()[15]; 16]), lead).expect("doc");
    let changes = raw_changes(&mut doc);
    let mut d = Device::hello(addr, &login.token, 0).await;
    d.caught_up().await;
    d.send(push(1, lead.id, changes.clone())).await;
    assert_eq!(d.ack().await, ok_ack(1));
    changes
}

async fn a_salesperson_receives_own_leads_and_the_pool_never_a_colleagues(app: TestApp) {
    let addr = app.serve().await;
    let sales1 = app.login("sales1").await;
    let sales2 = app.login("sales2").await;
    let manager = app.login("manager").await;
    let own = lead_for(&sales1, 1, "周女士");
    let mut pool = lead_for(&manager, 2, "Mr Pool");
    pool.owner = None;
    create(&app, addr, "sales1", &own).await;
    create(&app, addr, "manager", &pool).await;

    let mut s2 = Device::hello(addr, &sales2.token, 0).await;
    let (cursor, docs) = s2.caught_up().await;
    assert_eq!(
        leads(&docs),
        vec![pool.id.into()],
        "the pool, not sales1's lead"
    );
    assert!(
        docs.iter().any(|d| d.doc.kind == DocKind::Dealer),
        "the dealer's document reaches everyone"
    );
    let mut m = Device::hello(addr, &manager.token, 0).await;
    let (_, all) = m.caught_up().await;
    let mut seen = leads(&all);
    seen.sort_by_key(ToString::to_string);
    let mut both: Vec<DocId> = vec![own.id.into(), pool.id.into()];
    both.sort_by_key(ToString::to_string);
    assert_eq!(seen, both, "a manager receives every lead");

    // Live: sales1's edit reaches the manager, not sales2 (whose cursor
    // still moves past it).
    let mut s1 = Device::hello(addr, &sales1.token, 0).await;
    let (_, mine) = s1.caught_up().await;
    let own_changes = mine
        .iter()
        .find(|d| d.doc == own.id.into())
        .map(|d| d.changes.clone())
        .expect("sales1 holds its lead");
    let mut copy = copy_of(&own_changes, 31);
    s1.send(push(
        1,
        own.id,
        note_change(&mut copy, &sales1, 1, "called"),
    ))
    .await;
    assert_eq!(s1.ack().await, ok_ack(1));
    match m.recv().await {
        Some(ServerMsg::Changes { docs, .. }) => assert_eq!(leads(&docs), vec![own.id.into()]),
        other => panic!("the manager expected the live edit, got {other:?}"),
    }
    match s2.recv().await {
        Some(ServerMsg::Changes { docs, to, .. }) => {
            assert_eq!(leads(&docs), vec![], "nothing of sales1's lead");
            assert!(to > cursor, "the cursor moves past what it may not see");
        }
        other => panic!("sales2 expected a page, got {other:?}"),
    }
    // A forged cursor (from 0 again) brings nothing more.
    let mut again = Device::hello(addr, &sales2.token, 0).await;
    let (_, docs) = again.caught_up().await;
    assert_eq!(leads(&docs), vec![pool.id.into()]);
}

async fn a_push_to_a_colleagues_lead_is_answered_as_for_one_that_does_not_exist(app: TestApp) {
    let addr = app.serve().await;
    let sales1 = app.login("sales1").await;
    let sales2 = app.login("sales2").await;
    let manager = app.login("manager").await;
    let own = lead_for(&sales1, 3, "Ms Hidden");
    let changes = create(&app, addr, "sales1", &own).await;

    // sales2 forges a note on sales1's lead (it learnt the lead's changes
    // somehow), and the same note on a lead nobody has.
    let mut forged = copy_of(&changes, 41);
    let on_hidden = note_change(&mut forged, &sales2, 7, "mine now");
    let nowhere = LeadId::from_uuid(Uuid::from_u128(999));
    let mut d = Device::hello(addr, &sales2.token, 0).await;
    d.caught_up().await;
    d.send(push(1, own.id, on_hidden.clone())).await;
    let hidden_answer = d.ack().await;
    d.send(push(2, nowhere, on_hidden.clone())).await;
    let missing_answer = d.ack().await;
    assert_eq!(
        hidden_answer.encode()[..],
        {
            let ServerMsg::Ack { refused, .. } = &missing_answer else {
                panic!("an ack, got {missing_answer:?}")
            };
            ServerMsg::Ack {
                batch: 1,
                refused: refused.clone(),
            }
            .encode()
        }[..]
    );

    // The lead is unchanged for those who may see it.
    let mut m = Device::hello(addr, &manager.token, 0).await;
    let (_, docs) = m.caught_up().await;
    let held = docs
        .iter()
        .find(|d| d.doc == own.id.into())
        .expect("the manager holds the lead");
    assert_eq!(held.changes, changes, "the forged note never reached it");
}

async fn a_reassigned_lead_moves_whole_and_the_old_owner_removes_it_after_sending_its_work(
    app: TestApp,
) {
    let addr = app.serve().await;
    let sales1 = app.login("sales1").await;
    let sales2 = app.login("sales2").await;
    let manager = app.login("manager").await;
    let lead = lead_for(&sales1, 4, "Mr Moving");
    let created = create(&app, addr, "sales1", &lead).await;

    // sales1's tablet holds it; sales2's does not, and is connected.
    let mut s1 = Device::hello(addr, &sales1.token, 0).await;
    let (s1_cursor, _) = s1.caught_up().await;
    drop(s1);
    let mut s2 = Device::hello(addr, &sales2.token, 0).await;
    s2.caught_up().await;

    // Offline, sales1 adds a note (not pushed yet).
    let mut tablet = copy_of(&created, 51);
    let offline_note = note_change(&mut tablet, &sales1, 2, "test drive Saturday");

    // The manager hands the lead to sales2.
    let mut desk = copy_of(&created, 52);
    let heads = desk.heads();
    let mut moved = desk.read().expect("reads");
    moved.owner = Some(sales2.session.user.id);
    desk.update(&moved, manager.session.user.id, 20)
        .expect("update");
    let handover: Vec<Vec<u8>> = desk
        .changes_since(&heads)
        .iter()
        .map(|c| c.raw_bytes().to_vec())
        .collect();
    let mut m = Device::hello(addr, &manager.token, 0).await;
    m.caught_up().await;
    m.send(push(1, lead.id, handover.clone())).await;
    assert_eq!(m.ack().await, ok_ack(1));

    // sales2 receives the lead whole: its creation and the hand-over.
    let mut got = Vec::new();
    while got.len() < created.len() + handover.len() {
        match s2.recv().await {
            Some(ServerMsg::Changes { docs, .. }) => {
                for d in docs.into_iter().filter(|d| d.doc == lead.id.into()) {
                    got.extend(d.changes);
                }
            }
            other => panic!("sales2 expected the lead, got {other:?}"),
        }
    }
    let received = copy_of(&got, 53).read().expect("reads");
    assert_eq!(received.owner, Some(sales2.session.user.id));

    // sales1 comes back: it pushes its offline note first (stored: it was
    // written before the tablet knew), and is told to remove the lead.
    let mut s1 = Device::hello(addr, &sales1.token, s1_cursor).await;
    s1.send(push(1, lead.id, offline_note.clone())).await;
    let mut removed = Vec::new();
    let mut acked = false;
    while !(acked && !removed.is_empty()) {
        match s1.recv().await {
            Some(ServerMsg::Changes {
                removed: r, docs, ..
            }) => {
                assert_eq!(leads(&docs), vec![], "nothing of the lead comes back");
                removed.extend(r);
            }
            Some(msg) => {
                assert_eq!(msg, ok_ack(1), "the offline note is stored");
                acked = true;
            }
            None => panic!("closed"),
        }
    }
    assert_eq!(removed, vec![DocId::from(lead.id)]);
    // The note reaches the new owner.
    match s2.recv().await {
        Some(ServerMsg::Changes { docs, .. }) => {
            let d = docs
                .iter()
                .find(|d| d.doc == lead.id.into())
                .expect("the note");
            assert_eq!(d.changes, offline_note);
        }
        other => panic!("sales2 expected sales1's note, got {other:?}"),
    }
    // The manager sees the tablet has not confirmed yet; a salesperson may
    // not ask.
    let receipts = |token: String| {
        let path = showroom_shared::api::paths::lead_removals(lead.id);
        let app = &app;
        async move { app.get(&path, &token).await }
    };
    // sales1's two devices (the desk that created it, the tablet) owe it.
    let tablet_id = sales1.session.device.id.to_string();
    let of_tablet = |list: &serde_json::Value| {
        list["devices"]
            .as_array()
            .and_then(|d| {
                d.iter()
                    .find(|d| d["device"] == tablet_id.as_str())
                    .cloned()
            })
            .unwrap_or_default()
    };
    let waiting = receipts(manager.token.clone()).await.json();
    assert_eq!(
        waiting["devices"].as_array().map(Vec::len),
        Some(2),
        "{waiting}"
    );
    assert!(
        of_tablet(&waiting).is_object(),
        "the tablet is listed: {waiting}"
    );
    assert!(
        of_tablet(&waiting)["removed_at"].is_null(),
        "not yet: {waiting}"
    );
    assert_eq!(
        receipts(sales2.token.clone()).await.status.as_u16(),
        403,
        "a salesperson may not ask"
    );
    // The receipt is recorded.
    s1.send(ClientMsg::Removed {
        batch: 2,
        docs: vec![lead.id.into()],
    })
    .await;
    assert_eq!(s1.ack().await, ok_ack(2));
    let done = receipts(manager.token.clone()).await.json();
    assert!(of_tablet(&done)["removed_at"].is_i64(), "confirmed: {done}");
    let owed = showroom_server::db::access::removals_owed(
        &app.state.db,
        sales1.session.dealer.id,
        sales1.session.device.id,
        &[lead.id.into()],
    )
    .await
    .expect("reads");
    assert!(owed.is_empty(), "the removal is confirmed");

    // After the receipt, what the tablet still writes is kept aside: the
    // new owner never receives it.
    let late = note_change(&mut tablet, &sales1, 3, "after the receipt");
    s1.send(push(3, lead.id, late)).await;
    assert_eq!(s1.ack().await, ok_ack(3));
    let mut again = Device::hello(addr, &sales2.token, 0).await;
    let (_, docs) = again.caught_up().await;
    let held: usize = docs
        .iter()
        .filter(|d| d.doc == lead.id.into())
        .map(|d| d.changes.len())
        .sum();
    assert_eq!(
        held,
        created.len() + handover.len() + offline_note.len(),
        "creation, hand-over and the offline note; not the late one"
    );
}

/// The shared floor: a colleague's test drive reaches sales2 as a floor row
/// without the customer — the car, the times, whose customer — on the
/// first pull and live, never with the lead itself.
async fn a_colleagues_test_drive_reaches_the_floor_without_the_customer(app: TestApp) {
    let addr = app.serve().await;
    let sales1 = app.login("sales1").await;
    let sales2 = app.login("sales2").await;
    let now = app.state.clock.now();
    let car = showroom_shared::domain::catalogue::CarId::from_uuid(Uuid::from_u128(77));
    let drive = |n: u128, start: i64| {
        showroom_shared::domain::showroom::TestDrive::booked(
            showroom_shared::domain::showroom::DriveId::from_uuid(Uuid::from_u128(n)),
            car,
            start,
            start + 45 * 60_000,
            sales1.session.user.id,
            now,
        )
    };
    let mut booked = lead_for(&sales1, 11, "祝女士");
    booked.drives.push(drive(501, now + 3_600_000));
    // A drive long past the floor's horizon stays out of a new tablet's floor.
    let mut old = lead_for(&sales1, 12, "Mr Long Ago");
    old.drives.push(drive(502, now - 60 * 86_400_000));
    create(&app, addr, "sales1", &booked).await;
    create(&app, addr, "sales1", &old).await;

    let mut s2 = Device::hello(addr, &sales2.token, 0).await;
    let mut floor = Vec::new();
    let mut docs = Vec::new();
    loop {
        match s2.recv().await {
            Some(ServerMsg::Changes {
                docs: d,
                floor: f,
                complete,
                ..
            }) => {
                docs.extend(d);
                floor.extend(f);
                if complete {
                    break;
                }
            }
            Some(ServerMsg::Log { .. }) => {}
            other => panic!("sales2 expected pages, got {other:?}"),
        }
    }
    assert_eq!(leads(&docs), vec![], "no lead of sales1's");
    let drives: Vec<_> = floor
        .iter()
        .filter_map(|r| match r {
            showroom_shared::domain::floor::FloorRow::Drive(d) => Some(d.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(drives.len(), 1, "the booking within the horizon: {floor:?}");
    assert_eq!(drives[0].car, car);
    assert_eq!(drives[0].lead, booked.id);
    assert_eq!(
        drives[0].salesperson, sales1.session.user.id,
        "whose customer"
    );
    assert_eq!(drives[0].customer, None, "never the customer's name");
    let wire = format!("{floor:?}");
    let mobile = booked
        .customer
        .mobile
        .as_ref()
        .map(|m| m.as_str()[3..].to_owned())
        .unwrap_or_default();
    assert!(!wire.contains("祝女士") && !wire.contains(&mobile));

    // Live: sales1 books another drive on the same lead.
    let s1_login = app.login_on("sales1", "tablet").await;
    let mut s1 = Device::hello(addr, &s1_login.token, 0).await;
    let (_, mine) = s1.caught_up().await;
    let changes = mine
        .iter()
        .find(|d| d.doc == booked.id.into())
        .map(|d| d.changes.clone())
        .expect("sales1 holds its lead");
    let mut copy = copy_of(&changes, 51);
    let heads = copy.heads();
    let mut edited = booked.clone();
    edited.drives.push(drive(503, now + 7_200_000));
    copy.update(&edited, sales1.session.user.id, now)
        .expect("booked");
    let more: Vec<Vec<u8>> = copy
        .changes_since(&heads)
        .iter()
        .map(|c| c.raw_bytes().to_vec())
        .collect();
    s1.send(push(1, booked.id, more)).await;
    assert_eq!(s1.ack().await, ok_ack(1));
    match s2.recv().await {
        Some(ServerMsg::Changes { docs, floor, .. }) => {
            assert_eq!(leads(&docs), vec![], "still no lead");
            assert!(
                floor.iter().any(|r| matches!(r, showroom_shared::domain::floor::FloorRow::Drive(d)
                    if d.id == showroom_shared::domain::showroom::DriveId::from_uuid(Uuid::from_u128(503))
                        && d.customer.is_none())),
                "the new booking, anonymous: {floor:?}"
            );
        }
        other => panic!("sales2 expected the live floor, got {other:?}"),
    }
}

/// A lead with a test drive written by two entries of one batch (one writer
/// group): its floor row is written once (one statement may not write a
/// row twice on PostgreSQL), and the batch is stored.
async fn a_lead_written_twice_in_one_group_keeps_one_floor_row(app: TestApp) {
    let addr = app.serve().await;
    let sales1 = app.login("sales1").await;
    let now = app.state.clock.now();
    let mut lead = lead_for(&sales1, 41, "Twice");
    lead.drives
        .push(showroom_shared::domain::showroom::TestDrive::booked(
            showroom_shared::domain::showroom::DriveId::from_uuid(Uuid::from_u128(601)),
            showroom_shared::domain::catalogue::CarId::from_uuid(Uuid::from_u128(77)),
            now,
            now + 45 * 60_000,
            sales1.session.user.id,
            now,
        ));
    let mut doc = LeadDoc::create(actor_from_bytes([41; 16]), &lead).expect("doc");
    let created = raw_changes(&mut doc);
    let note = note_change(&mut doc, &sales1, 1, "again");
    let mut d = Device::hello(addr, &sales1.token, 0).await;
    d.caught_up().await;
    d.send(ClientMsg::Push {
        batch: 1,
        docs: vec![
            DocChanges {
                doc: lead.id.into(),
                changes: created,
            },
            DocChanges {
                doc: lead.id.into(),
                changes: note,
            },
        ],
    })
    .await;
    assert_eq!(d.ack().await, ok_ack(1), "stored");
    let rows = showroom_server::db::floor::rows_of(
        &app.state.db,
        sales1.session.dealer.id,
        &[lead.id.into()],
        0,
    )
    .await
    .expect("reads");
    assert_eq!(rows.len(), 1, "one row for its one drive: {rows:?}");
}

/// A tab signed in before salespeople saw only their own leads says what it
/// holds; the answer removes a colleague's lead and keeps its own, the
/// pool's and one the server does not know (not pushed yet).
async fn a_device_from_before_is_told_to_remove_a_colleagues_lead_it_holds(app: TestApp) {
    let addr = app.serve().await;
    let sales1 = app.login("sales1").await;
    let sales2 = app.login("sales2").await;
    let manager = app.login("manager").await;
    let theirs = lead_for(&sales1, 21, "Ms Theirs");
    let mine = lead_for(&sales2, 22, "Mr Mine");
    let mut pool = lead_for(&manager, 23, "Mr Pool");
    pool.owner = None;
    create(&app, addr, "sales1", &theirs).await;
    create(&app, addr, "sales2", &mine).await;
    create(&app, addr, "manager", &pool).await;
    let unpushed: DocId = LeadId::from_uuid(Uuid::from_u128(24)).into();

    let mut d = Device::hello(addr, &sales2.token, 0).await;
    let (cursor, _) = d.caught_up().await;
    d.send(ClientMsg::Holding {
        batch: 5,
        docs: vec![theirs.id.into(), mine.id.into(), pool.id.into(), unpushed],
    })
    .await;
    match d.recv().await {
        Some(ServerMsg::Changes {
            from,
            to,
            removed,
            docs,
            ..
        }) => {
            assert_eq!((from, to), (cursor, cursor), "a page at the cursor");
            assert_eq!(
                removed,
                vec![DocId::from(theirs.id)],
                "only the colleague's lead"
            );
            assert!(docs.is_empty());
        }
        other => panic!("expected the removal page, got {other:?}"),
    }
    assert_eq!(d.ack().await, ok_ack(5));
    // A manager's device holds everything it may: nothing to remove.
    let mut m = Device::hello(addr, &manager.token, 0).await;
    m.caught_up().await;
    m.send(ClientMsg::Holding {
        batch: 1,
        docs: vec![theirs.id.into(), mine.id.into()],
    })
    .await;
    assert_eq!(m.ack().await, ok_ack(1));
}

/// Issue 21 §3: a session a manager ends still delivers what its device
/// wrote before the end (offline, days earlier), then clears itself; what
/// it wrote after the end is kept aside, never applied; once delivered, or
/// for a device ended as lost or stolen, nothing more is accepted.
async fn an_ended_session_delivers_what_it_wrote_before_the_end_and_nothing_after(app: TestApp) {
    use axum::http::Method;
    let addr = app.serve().await;
    let sales1 = app.login_on("sales1", "tablet").await;
    let lost = app.login_on("sales1", "phone").await;
    let manager = app.login("manager").await;
    let lead = lead_for(&sales1, 31, "Mr Before");
    let mut doc = LeadDoc::create(actor_from_bytes([31; 16]), &lead).expect("doc");
    let mut d = Device::hello(addr, &sales1.token, 0).await;
    d.caught_up().await;
    d.send(push(1, lead.id, raw_changes(&mut doc))).await;
    assert_eq!(d.ack().await, ok_ack(1));
    drop(d);

    // Offline: a note before the end.
    let before = note_change(&mut doc, &sales1, 1, "written before the end");
    // The manager ends both sessions: the tablet's, and the phone's as lost.
    let user = sales1.session.user.id;
    let revoke = |device: String, lost: bool| {
        let path = format!(
            "/api/v1/users/{user}/devices/{device}{}",
            if lost { "?lost=true" } else { "" }
        );
        let token = manager.token.clone();
        let app = &app;
        async move { app.call(Method::DELETE, &path, Some(&token), None).await }
    };
    assert_eq!(
        revoke(sales1.session.device.id.to_string(), false)
            .await
            .status
            .as_u16(),
        204
    );
    assert_eq!(
        revoke(lost.session.device.id.to_string(), true)
            .await
            .status
            .as_u16(),
        204
    );
    let me = app
        .get(showroom_shared::api::paths::ME, &sales1.token)
        .await;
    assert_eq!(
        me.code(),
        "session_ending",
        "the tablet is told to deliver first"
    );
    // Still offline, after the end: another note (the device did not know).
    let heads = doc.heads();
    doc.add_note(&Note {
        author: user,
        at: app.state.clock.now() + 3_600_000,
        text: "written after the end".into(),
    })
    .expect("note");
    let after: Vec<Vec<u8>> = doc
        .changes_since(&heads)
        .iter()
        .map(|c| c.raw_bytes().to_vec())
        .collect();

    // The tablet connects: it is told its session ended, and delivers.
    let mut d = Device::hello(addr, &sales1.token, 0).await;
    assert_eq!(d.recv().await, Some(ServerMsg::Ended));
    d.send(push(2, lead.id, before)).await;
    assert_eq!(d.ack().await, ok_ack(2));
    d.send(push(3, lead.id, after)).await;
    assert_eq!(d.ack().await, ok_ack(3), "acknowledged alike, kept aside");
    d.send(ClientMsg::Delivered).await;
    assert_eq!(d.recv().await, None, "the connection closes");

    // The lead has the note written before the end, not the one after.
    let mut m = Device::hello(addr, &manager.token, 0).await;
    let (_, docs) = m.caught_up().await;
    let held = docs
        .iter()
        .find(|c| c.doc == lead.id.into())
        .expect("the manager holds the lead");
    let notes: Vec<String> = copy_of(&held.changes, 32)
        .read()
        .expect("reads")
        .notes
        .into_iter()
        .map(|n| n.text)
        .collect();
    assert_eq!(notes, vec!["written before the end".to_owned()]);

    // Delivered: the session accepts nothing more. Lost: never did.
    for token in [&sales1.token, &lost.token] {
        let mut again = Device::hello(addr, token, 0).await;
        match again.recv().await {
            Some(ServerMsg::Error { code, .. }) => {
                assert_eq!(code, showroom_shared::sync::SyncErrorCode::Unauthorized)
            }
            other => panic!("expected the session refused, got {other:?}"),
        }
    }
    // The API says so too: the lost phone's app clears at once; a tablet
    // whose session ended is told to deliver first (until it has).
    let me = app.get(showroom_shared::api::paths::ME, &lost.token).await;
    assert_eq!(me.code(), "unauthorized");
}

visible_on_both!(
    a_lead_written_twice_in_one_group_keeps_one_floor_row,
    an_ended_session_delivers_what_it_wrote_before_the_end_and_nothing_after,
    a_colleagues_test_drive_reaches_the_floor_without_the_customer,
    a_device_from_before_is_told_to_remove_a_colleagues_lead_it_holds,
    a_salesperson_receives_own_leads_and_the_pool_never_a_colleagues,
    a_push_to_a_colleagues_lead_is_answered_as_for_one_that_does_not_exist,
    a_reassigned_lead_moves_whole_and_the_old_owner_removes_it_after_sending_its_work,
);
