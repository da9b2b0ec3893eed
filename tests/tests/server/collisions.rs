//! Lead collisions (撞单, issue 22) on both databases: two leads of one
//! dealer with the same mobile number, however it was typed, are found by
//! the server whichever arrives first — even when both were captured
//! offline — and recorded in both leads without the other's contents; a
//! manager merges them (nothing of either is lost, the absorbed lead
//! leaves every device), keeps both or assigns both.

use std::time::Duration;

use showroom_shared::api::{CollisionDecision, LoginResponse};
use showroom_shared::doc::{LeadDoc, actor_from_bytes};
use showroom_shared::domain::collision::Resolution;
use showroom_shared::domain::showroom::{Visit, VisitId};
use showroom_shared::domain::{DocId, Lead, LeadId, Note, UserId};
use showroom_shared::sync::ServerMsg;
use uuid::Uuid;

use crate::support::TestApp;
use crate::sync::{Device, lead_for, ok_ack, push, raw_changes};

visible_on_both!(
    a_collision_is_found_whichever_arrives_first_however_the_number_was_typed,
    a_merge_keeps_everything_of_both_and_the_absorbed_lead_leaves_every_device,
    keeping_both_or_assigning_both_is_written_into_both_leads,
    the_demo_month_has_pool_leads_and_a_collision_waiting,
);

/// A lead of `who` with `mobile` as typed, a note and (optionally) a visit:
/// created on their tablet, its changes.
fn captured(who: &LoginResponse, n: u128, name: &str, mobile: &str) -> (Lead, Vec<Vec<u8>>) {
    let mut lead = lead_for(who, n, name);
    lead.customer.mobile = Some(mobile.parse().expect("a phone"));
    lead.notes.push(Note {
        author: who.session.user.id,
        at: 5,
        text: format!("{name} 周六来看车"),
    });
    let mut visit = Visit::walk_in(
        VisitId::from_uuid(Uuid::from_u128(n + 1000)),
        10,
        who.session.user.id,
    );
    visit.lead = Some(lead.id);
    lead.visits.push(visit);
    let mut doc = LeadDoc::create(actor_from_bytes([n as u8; 16]), &lead).expect("doc");
    let changes = raw_changes(&mut doc);
    (lead, changes)
}

/// Pushes as `who` from a fresh connection.
async fn push_as(
    addr: std::net::SocketAddr,
    who: &LoginResponse,
    lead: LeadId,
    changes: Vec<Vec<u8>>,
) {
    let mut d = Device::hello(addr, &who.token, 0).await;
    d.caught_up().await;
    d.send(push(1, lead, changes)).await;
    assert_eq!(d.ack().await, ok_ack(1));
}

/// Every lead as the manager's laptop receives them, once `until` holds
/// (the server writes collisions just after the commit that found them).
async fn manager_view(
    app: &TestApp,
    addr: std::net::SocketAddr,
    until: impl Fn(&[Lead]) -> bool,
) -> Vec<Lead> {
    let manager = app.login_on("manager", "laptop").await;
    for _ in 0..50 {
        let mut d = Device::hello(addr, &manager.token, 0).await;
        let (_, docs) = d.caught_up().await;
        let leads: Vec<Lead> = docs
            .iter()
            .filter(|d| d.doc.as_lead().is_some())
            .map(|d| {
                let mut copy = LeadDoc::empty(actor_from_bytes([99; 16]));
                copy.apply_bytes(d.changes.iter().map(Vec::as_slice))
                    .expect("applies");
                copy.read().expect("reads")
            })
            .collect();
        if until(&leads) {
            return leads;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the manager's view never got there");
}

fn lead_in(leads: &[Lead], id: LeadId) -> Lead {
    leads
        .iter()
        .find(|l| l.id == id)
        .cloned()
        .unwrap_or_else(|| panic!("lead {id} missing"))
}

fn collides(l: &Lead, other: LeadId) -> bool {
    l.collisions.iter().any(|c| c.other == other)
}

async fn a_collision_is_found_whichever_arrives_first_however_the_number_was_typed(app: TestApp) {
    let addr = app.serve().await;
    let sales1 = app.login("sales1").await;
    let sales2 = app.login("sales2").await;
    // Both captured offline, the same customer typed three ways.
    let (one, one_changes) = captured(&sales1, 81, "王先生", "138 0013 8000");
    let (two, two_changes) = captured(&sales2, 82, "王建国", "+86 13800138000");
    let (three, three_changes) = captured(&sales1, 83, "老王", "8613800138000");
    // sales1's tablet, online, waits for what reaches its leads.
    let mut tablet = Device::hello(addr, &sales1.token, 0).await;
    tablet.caught_up().await;
    push_as(addr, &sales2, two.id, two_changes).await;
    push_as(addr, &sales1, one.id, one_changes).await;
    let leads = manager_view(&app, addr, |l| {
        l.len() >= 2 && l.iter().filter(|l| !l.collisions.is_empty()).count() == 2
    })
    .await;
    let (a, b) = (lead_in(&leads, one.id), lead_in(&leads, two.id));
    assert!(
        collides(&a, two.id) && collides(&b, one.id),
        "both leads hold it"
    );
    let seen_by_one = a
        .collisions
        .iter()
        .find(|c| c.other == two.id)
        .expect("held");
    assert_eq!(
        seen_by_one.other_owner,
        Some(sales2.session.user.id),
        "whose"
    );
    assert_eq!(seen_by_one.other_since, two.created_at, "since when");
    assert!(seen_by_one.is_open());

    // sales1's tablet receives the record in its own lead, and nothing of
    // the colleague's lead: not its changes, not the customer's name.
    let mut got_record = false;
    while !got_record {
        match tablet.recv().await {
            Some(ServerMsg::Changes { docs, floor, .. }) => {
                assert!(
                    docs.iter().all(|d| d.doc != DocId::from(two.id)),
                    "the colleague's lead never reaches the tablet"
                );
                for d in &docs {
                    for c in &d.changes {
                        assert!(
                            !c.windows("王建国".len()).any(|w| w == "王建国".as_bytes()),
                            "the colleague's customer never reaches the tablet"
                        );
                    }
                }
                let _ = floor;
                got_record = docs.iter().any(|d| d.doc == DocId::from(one.id));
            }
            other => panic!("expected changes, got {other:?}"),
        }
    }

    // A third lead with the number written another way collides with both.
    push_as(addr, &sales1, three.id, three_changes).await;
    let leads = manager_view(&app, addr, |l| {
        l.iter()
            .find(|x| x.id == three.id)
            .is_some_and(|x| x.collisions.len() == 2)
    })
    .await;
    let c = lead_in(&leads, three.id);
    assert!(collides(&c, one.id) && collides(&c, two.id));
    assert_eq!(lead_in(&leads, one.id).collisions.len(), 2);
    let rows = showroom_server::db::collisions::unrecorded(&app.state.db)
        .await
        .expect("reads");
    assert!(
        rows.is_empty(),
        "every collision found is written: {rows:?}"
    );
}

async fn a_merge_keeps_everything_of_both_and_the_absorbed_lead_leaves_every_device(app: TestApp) {
    let addr = app.serve().await;
    let sales1 = app.login("sales1").await;
    let sales2 = app.login("sales2").await;
    let manager = app.login("manager").await;
    let (one, one_changes) = captured(&sales1, 84, "王先生", "13800138001");
    let (two, two_changes) = captured(&sales2, 85, "王建国", "13800138001");
    push_as(addr, &sales1, one.id, one_changes).await;
    push_as(addr, &sales2, two.id, two_changes).await;
    let leads = manager_view(&app, addr, |l| {
        l.iter().filter(|l| !l.collisions.is_empty()).count() == 2
    })
    .await;
    let id = lead_in(&leads, one.id).collisions[0].id;
    // sales2's tablet holds its lead, online.
    let mut s2 = Device::hello(addr, &sales2.token, 0).await;
    let (_, docs) = s2.caught_up().await;
    assert!(docs.iter().any(|d| d.doc == DocId::from(two.id)));
    // Only a manager decides.
    let path = showroom_shared::api::paths::collision(id);
    let merge = CollisionDecision::Merged { survivor: one.id };
    let refused = app.post_json(&path, &sales1.token, &merge).await;
    assert_eq!(refused.status.as_u16(), 403);
    let done = app.post_json(&path, &manager.token, &merge).await;
    assert_eq!(done.status.as_u16(), 200, "{}", done.text());
    let again = app.post_json(&path, &manager.token, &merge).await;
    assert_eq!(again.status.as_u16(), 409, "decided once");

    // The survivor holds both histories, each record in its author's name.
    let leads = manager_view(&app, addr, |l| l.iter().all(|x| x.id != two.id)).await;
    let survivor = lead_in(&leads, one.id);
    assert_eq!(survivor.visits.len(), 2, "both visits");
    assert!(
        survivor
            .visits
            .iter()
            .any(|v| v.created_by == sales2.session.user.id)
    );
    assert!(
        survivor
            .notes
            .iter()
            .any(|n| n.author == sales2.session.user.id)
    );
    assert!(
        survivor
            .notes
            .iter()
            .any(|n| n.author == sales1.session.user.id)
    );
    let absorbed = survivor
        .absorbed
        .iter()
        .find(|a| a.lead == two.id)
        .expect("kept");
    assert_eq!(
        absorbed.name, "王建国",
        "the other salesperson's name for the customer"
    );
    assert_eq!(absorbed.owner, Some(sales2.session.user.id));
    assert_eq!(
        survivor.owner,
        Some(sales1.session.user.id),
        "the survivor's owner stays"
    );
    let outcome = survivor.collisions[0].outcome.clone().expect("decided");
    assert_eq!(
        (outcome.how, outcome.survivor),
        (Resolution::Merged, Some(one.id))
    );

    // The absorbed lead leaves sales2's tablet and the manager's devices.
    let mut removed = Vec::new();
    while removed.is_empty() {
        match s2.recv().await {
            Some(ServerMsg::Changes { removed: r, .. }) => removed.extend(r),
            other => panic!("expected the removal, got {other:?}"),
        }
    }
    assert_eq!(removed, vec![DocId::from(two.id)]);
    let owners = showroom_server::db::access::owners(
        &app.state.db,
        sales1.session.dealer.id,
        &[two.id.into()],
    )
    .await
    .expect("reads");
    assert_eq!(
        owners.get(&two.id.into()).and_then(|a| a.owner),
        Some(UserId::SERVER),
        "fenced"
    );

    // sales2's tablet had written on, offline, before it knew: its note
    // is stored (no receipt yet) and the server carries it into the
    // survivor, in sales2's name.
    let mut tablet = LeadDoc::empty(actor_from_bytes([77; 16]));
    tablet
        .apply_bytes(two_changes_again(&sales2, 85).iter().map(Vec::as_slice))
        .expect("applies");
    let heads = tablet.heads();
    tablet
        .add_note(&Note {
            author: sales2.session.user.id,
            at: 99,
            text: "offline after the merge".into(),
        })
        .expect("note");
    let late: Vec<Vec<u8>> = tablet
        .changes_since(&heads)
        .iter()
        .map(|c| c.raw_bytes().to_vec())
        .collect();
    s2.send(push(7, two.id, late)).await;
    assert_eq!(s2.ack().await, ok_ack(7), "stored, not refused");
    let leads = manager_view(&app, addr, |l| {
        l.iter().any(|x| {
            x.id == one.id
                && x.notes.iter().any(|n| {
                    n.text == "offline after the merge" && n.author == sales2.session.user.id
                })
        })
    })
    .await;
    assert!(
        leads.iter().all(|x| x.id != two.id),
        "the absorbed lead stays gone"
    );
}

/// The changes of `captured(who, n, ..)` again (the same actor and time
/// give the same bytes): what the tablet held.
fn two_changes_again(who: &LoginResponse, n: u128) -> Vec<Vec<u8>> {
    captured(who, n, "王建国", "13800138001").1
}

async fn keeping_both_or_assigning_both_is_written_into_both_leads(app: TestApp) {
    let addr = app.serve().await;
    let sales1 = app.login("sales1").await;
    let sales2 = app.login("sales2").await;
    let manager = app.login("manager").await;
    for (n, decision) in [
        (86u128, CollisionDecision::KeptBoth),
        (
            88,
            CollisionDecision::Assigned {
                owner: sales2.session.user.id,
            },
        ),
    ] {
        let mobile = format!("1390013{n:04}");
        let (one, c1) = captured(&sales1, n, "甲", &mobile);
        let (two, c2) = captured(&sales2, n + 1, "乙", &mobile);
        push_as(addr, &sales1, one.id, c1).await;
        push_as(addr, &sales2, two.id, c2).await;
        let leads = manager_view(&app, addr, |l| {
            l.iter()
                .filter(|x| x.id == one.id || x.id == two.id)
                .all(|x| !x.collisions.is_empty())
                && l.iter().any(|x| x.id == two.id)
        })
        .await;
        let id = lead_in(&leads, one.id).collisions[0].id;
        let path = showroom_shared::api::paths::collision(id);
        let done = app.post_json(&path, &manager.token, &decision).await;
        assert_eq!(done.status.as_u16(), 200, "{}", done.text());
        let leads = manager_view(&app, addr, |l| {
            l.iter()
                .filter(|x| x.id == one.id || x.id == two.id)
                .all(|x| x.collisions.iter().all(|c| c.outcome.is_some()))
        })
        .await;
        let (a, b) = (lead_in(&leads, one.id), lead_in(&leads, two.id));
        match decision {
            CollisionDecision::Assigned { owner } => {
                assert_eq!(
                    (a.owner, b.owner),
                    (Some(owner), Some(owner)),
                    "both to one"
                );
            }
            _ => {
                assert_eq!(a.owner, Some(sales1.session.user.id));
                assert_eq!(b.owner, Some(sales2.session.user.id));
            }
        }
    }
}

async fn the_demo_month_has_pool_leads_and_a_collision_waiting(app: TestApp) {
    let addr = app.serve().await;
    let made = showroom_server::demo_month::seed_demo_motors(&app.state)
        .await
        .expect("the demo month");
    assert_eq!(made, 36);
    let leads = manager_view(&app, addr, |l| {
        l.len() == 36 && l.iter().filter(|x| !x.collisions.is_empty()).count() == 2
    })
    .await;
    let pool: Vec<&Lead> = leads.iter().filter(|l| l.owner.is_none()).collect();
    assert_eq!(pool.len(), 3, "three leads wait in the pool");
    assert!(
        pool.iter()
            .any(|l| l.source == showroom_shared::domain::Source::Manufacturer)
    );
    let twice: Vec<&Lead> = leads.iter().filter(|l| !l.collisions.is_empty()).collect();
    assert_ne!(
        twice[0].owner, twice[1].owner,
        "captured by both salespeople"
    );
    assert!(
        twice.iter().all(|l| l.collisions[0].is_open()),
        "waiting for the manager"
    );
}
