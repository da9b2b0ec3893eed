//! The open pool (issue 22): two salespeople claim one pool lead offline;
//! the first claim to reach the server wins, whatever the order inside one
//! writer group, the loser's device removes the lead and is told who has
//! it, and what the loser wrote before knowing stays in the lead in their
//! name. On both databases, over real WebSockets and through the writer.

use showroom_shared::api::LoginResponse;
use showroom_shared::doc::{LeadDoc, actor_from_bytes};
use showroom_shared::domain::{DocId, Lead, Note, UserId};
use showroom_shared::rules::Author;
use showroom_shared::sync::{ClientMsg, DocChanges, ServerMsg, Taken};
use showroom_shared::visibility::Reader;

use crate::support::TestApp;
use crate::sync::{Device, lead_for, ok_ack, push, raw_changes};

visible_on_both!(
    the_first_claim_in_a_writer_group_wins_in_either_order,
    a_claim_that_arrives_second_loses_and_its_device_is_told_who_won,
    a_pool_lead_nobody_claims_in_time_goes_to_the_next_on_the_floor_when_the_rule_says_so,
);

/// A pool lead created by the manager's desk: its creation's changes.
async fn pool_lead(app: &TestApp, addr: std::net::SocketAddr, n: u128) -> (Lead, Vec<Vec<u8>>) {
    let manager = app.login_on("manager", "desk").await;
    let mut lead = lead_for(&manager, n, "池中客户");
    lead.owner = None;
    let mut doc = LeadDoc::create(actor_from_bytes([n as u8; 16]), &lead).expect("doc");
    let changes = raw_changes(&mut doc);
    let mut d = Device::hello(addr, &manager.token, 0).await;
    d.caught_up().await;
    d.send(push(1, lead.id, changes.clone())).await;
    assert_eq!(d.ack().await, ok_ack(1));
    (lead, changes)
}

/// `who`'s offline claim of the lead (a copy of `created` as their device
/// holds it), then a note they add before they know: the changes to push.
fn claim_and_note(created: &[Vec<u8>], who: &LoginResponse, actor: u8) -> Vec<Vec<u8>> {
    let mut copy = LeadDoc::empty(actor_from_bytes([actor; 16]));
    copy.apply_bytes(created.iter().map(Vec::as_slice))
        .expect("applies");
    let mut claimed = copy.read().expect("reads");
    claimed.owner = Some(who.session.user.id);
    copy.update(&claimed, who.session.user.id, 100 + i64::from(actor))
        .expect("claim");
    copy.add_note(&Note {
        author: who.session.user.id,
        at: 200 + i64::from(actor),
        text: format!("claimed by {}", who.session.user.username),
    })
    .expect("note");
    let mut all = raw_changes(&mut copy);
    all.drain(..created.len());
    all
}

/// The lead as the manager's devices receive it whole.
async fn as_stored(app: &TestApp, addr: std::net::SocketAddr, lead: &Lead) -> Lead {
    let manager = app.login_on("manager", "laptop").await;
    let mut d = Device::hello(addr, &manager.token, 0).await;
    let (_, docs) = d.caught_up().await;
    let mut copy = LeadDoc::empty(actor_from_bytes([99; 16]));
    for doc in docs.iter().filter(|d| d.doc == DocId::from(lead.id)) {
        copy.apply_bytes(doc.changes.iter().map(Vec::as_slice))
            .expect("applies");
    }
    copy.read().expect("the lead reads")
}

fn noted_by(lead: &Lead, user: UserId) -> bool {
    lead.notes.iter().any(|n| n.author == user)
}

async fn the_first_claim_in_a_writer_group_wins_in_either_order(app: TestApp) {
    let addr = app.serve().await;
    let sales1 = app.login("sales1").await;
    let sales2 = app.login("sales2").await;
    for (n, first, second) in [(61u128, &sales1, &sales2), (62, &sales2, &sales1)] {
        let (lead, created) = pool_lead(&app, addr, n).await;
        let claims = [
            (first, claim_and_note(&created, first, 1)),
            (second, claim_and_note(&created, second, 2)),
        ];
        // Both queued before the writer takes its next group.
        let pending: Vec<_> = claims
            .into_iter()
            .map(|(who, changes)| {
                app.state
                    .writer
                    .enqueue(
                        who.session.dealer.id,
                        who.session.device.id,
                        Author {
                            user: who.session.user.id,
                            role: who.session.user.role,
                        },
                        Reader::Seller(who.session.user.id),
                        vec![DocChanges {
                            doc: lead.id.into(),
                            changes,
                        }],
                    )
                    .expect("queued")
            })
            .collect();
        for p in pending {
            let outcome = p.await.expect("answered").expect("stored");
            assert!(outcome.refused.is_empty(), "{:?}", outcome.refused);
        }
        let stored = as_stored(&app, addr, &lead).await;
        assert_eq!(
            stored.owner,
            Some(first.session.user.id),
            "the first claim in the group wins"
        );
        assert!(
            noted_by(&stored, second.session.user.id),
            "the loser's note stays in the lead"
        );
        let owners = showroom_server::db::access::owners(
            &app.state.db,
            sales1.session.dealer.id,
            &[lead.id.into()],
        )
        .await
        .expect("reads");
        assert_eq!(
            owners.get(&lead.id.into()).and_then(|a| a.owner),
            Some(first.session.user.id),
            "the server's record of the owner agrees"
        );
    }
}

async fn a_claim_that_arrives_second_loses_and_its_device_is_told_who_won(app: TestApp) {
    let addr = app.serve().await;
    let sales1 = app.login("sales1").await;
    let sales2 = app.login("sales2").await;
    let (lead, created) = pool_lead(&app, addr, 63).await;
    // Both tablets hold the pool lead, then go offline.
    let mut s2 = Device::hello(addr, &sales2.token, 0).await;
    let (s2_cursor, docs) = s2.caught_up().await;
    assert!(docs.iter().any(|d| d.doc == lead.id.into()), "in the pool");
    drop(s2);
    let wang = claim_and_note(&created, &sales1, 1);
    let li = claim_and_note(&created, &sales2, 2);

    // sales1's claim reaches the server first.
    let mut s1 = Device::hello(addr, &sales1.token, 0).await;
    s1.caught_up().await;
    s1.send(push(1, lead.id, wang.clone())).await;
    assert_eq!(s1.ack().await, ok_ack(1));

    // sales2 comes back and pushes its claim and note: stored, not refused.
    let mut s2 = Device::hello(addr, &sales2.token, s2_cursor).await;
    s2.send(push(1, lead.id, li.clone())).await;
    let mut removed = Vec::new();
    let mut taken = Vec::new();
    let mut acked = false;
    while !(acked && !removed.is_empty()) {
        match s2.recv().await {
            Some(ServerMsg::Changes {
                removed: r,
                taken: t,
                docs,
                ..
            }) => {
                assert!(
                    !docs.iter().any(|d| d.doc == lead.id.into()),
                    "nothing of the lead comes back to the loser"
                );
                removed.extend(r);
                taken.extend(t);
            }
            Some(msg) => {
                assert_eq!(msg, ok_ack(1), "the loser's work is stored");
                acked = true;
            }
            None => panic!("closed"),
        }
    }
    assert_eq!(removed, vec![DocId::from(lead.id)]);
    assert_eq!(
        taken,
        vec![Taken {
            doc: lead.id.into(),
            by: sales1.session.user.id,
        }],
        "the loser's device learns who claimed first"
    );
    s2.send(ClientMsg::Removed {
        batch: 2,
        docs: vec![lead.id.into()],
    })
    .await;
    assert_eq!(s2.ack().await, ok_ack(2));

    // The winner's tablet receives the loser's note and the server's
    // settling change: its copy still reads as its own.
    let mut got = Vec::new();
    while got.len() < li.len() + 1 {
        match s1.recv().await {
            Some(ServerMsg::Changes { docs, .. }) => {
                for d in docs.into_iter().filter(|d| d.doc == lead.id.into()) {
                    got.extend(d.changes);
                }
            }
            other => panic!("sales1 expected the lead's changes, got {other:?}"),
        }
    }
    let mut tablet = LeadDoc::empty(actor_from_bytes([71; 16]));
    for changes in [&created, &wang, &got] {
        tablet
            .apply_bytes(changes.iter().map(Vec::as_slice))
            .expect("applies");
    }
    let held = tablet.read().expect("reads");
    assert_eq!(
        held.owner,
        Some(sales1.session.user.id),
        "the winner keeps it"
    );
    assert!(
        noted_by(&held, sales2.session.user.id),
        "with the loser's note"
    );
    assert_eq!(
        showroom_shared::doc::owner_values(&tablet),
        vec![Some(sales1.session.user.id)],
        "no conflict is left"
    );
    let stored = as_stored(&app, addr, &lead).await;
    assert_eq!(stored, held, "the server and the winner agree");
}

/// Says `who` is on the floor at `since`: an `up` in their register.
async fn on_floor(addr: std::net::SocketAddr, who: &LoginResponse, n: u128, since: i64) {
    use showroom_shared::doc::RegisterDoc;
    use showroom_shared::domain::showroom::{Register, Up};
    use showroom_shared::domain::{Date, RegisterId};
    let register = Register {
        id: RegisterId::from_uuid(uuid::Uuid::from_u128(n)),
        dealer: who.session.dealer.id,
        date: Date::from_unix_ms(since, 480),
        visits: Vec::new(),
        ups: vec![Up {
            salesperson: who.session.user.id,
            since,
            overdue: 0,
        }],
    };
    let mut doc =
        RegisterDoc::create(actor_from_bytes([n as u8; 16]), &register, since).expect("doc");
    let changes: Vec<Vec<u8>> = doc
        .changes_since(&[])
        .iter()
        .map(|c| c.raw_bytes().to_vec())
        .collect();
    let mut d = Device::hello(addr, &who.token, 0).await;
    d.caught_up().await;
    d.send(ClientMsg::Push {
        batch: 1,
        docs: vec![DocChanges {
            doc: DocId::register(register.id),
            changes,
        }],
    })
    .await;
    assert_eq!(d.ack().await, ok_ack(1));
}

/// The manager sets the dealer's rule for unclaimed pool leads.
async fn unclaimed_rule(
    app: &TestApp,
    addr: std::net::SocketAddr,
    rule: showroom_shared::domain::catalogue::Unclaimed,
) {
    use showroom_shared::doc::DealerDoc;
    let manager = app.login_on("manager", "rules").await;
    let mut d = Device::hello(addr, &manager.token, 0).await;
    let (_, docs) = d.caught_up().await;
    let id = DocId::dealer(manager.session.dealer.id);
    let mut doc = DealerDoc::empty(actor_from_bytes([55; 16]));
    for held in docs.iter().filter(|x| x.doc == id) {
        doc.apply_bytes(held.changes.iter().map(Vec::as_slice))
            .expect("applies");
    }
    let heads = doc.heads();
    let mut settings = doc.read_dealer().expect("the dealer").settings;
    settings.pool.unclaimed = rule;
    doc.set_settings(&settings, 1).expect("settings");
    let changes: Vec<Vec<u8>> = doc
        .changes_since(&heads)
        .iter()
        .map(|c| c.raw_bytes().to_vec())
        .collect();
    d.send(ClientMsg::Push {
        batch: 1,
        docs: vec![DocChanges { doc: id, changes }],
    })
    .await;
    assert_eq!(d.ack().await, ok_ack(1));
}

async fn a_pool_lead_nobody_claims_in_time_goes_to_the_next_on_the_floor_when_the_rule_says_so(
    app: TestApp,
) {
    use showroom_shared::domain::catalogue::Unclaimed;
    let addr = app.serve().await;
    let sales1 = app.login("sales1").await;
    let sales2 = app.login("sales2").await;
    let now = app.state.clock.now();
    // Two pool leads: one waiting past the 24 h target, one not yet.
    let manager = app.login_on("manager", "desk").await;
    let mut late = lead_for(&manager, 91, "等了很久");
    late.owner = None;
    late.created_at = now - 25 * 3_600_000;
    let mut fresh = lead_for(&manager, 92, "刚进来");
    fresh.owner = None;
    fresh.created_at = now - 3_600_000;
    let mut d = Device::hello(addr, &manager.token, 0).await;
    d.caught_up().await;
    for (batch, lead) in [(1u64, &late), (2, &fresh)] {
        let mut doc =
            LeadDoc::create(actor_from_bytes([lead.id.0.as_bytes()[15]; 16]), lead).expect("doc");
        d.send(push(batch, lead.id, raw_changes(&mut doc))).await;
        assert_eq!(d.ack().await, ok_ack(batch));
    }
    // Zhang Min is on the floor first, then Li Wei.
    on_floor(addr, &sales2, 301, now - 2 * 3_600_000).await;
    on_floor(addr, &sales1, 302, now - 3_600_000).await;
    let owner_of = |lead: &Lead| {
        let app = &app;
        let id: DocId = lead.id.into();
        async move {
            showroom_server::db::access::owners(&app.state.db, sales1.session.dealer.id, &[id])
                .await
                .expect("reads")
                .get(&id)
                .and_then(|a| a.owner)
        }
    };
    // The rule is "stay in the pool" by default: nothing moves.
    showroom_server::writer::sweep_unclaimed(&app.state.db, &app.state.writer, now)
        .await
        .expect("sweeps");
    assert_eq!(owner_of(&late).await, None, "it stays in the pool");
    // "Go to the next in rotation": the late one goes to Zhang Min, the
    // fresh one stays.
    unclaimed_rule(&app, addr, Unclaimed::Rotate).await;
    let waited = showroom_server::writer::sweep_unclaimed(&app.state.db, &app.state.writer, now)
        .await
        .expect("sweeps");
    assert_eq!(waited, 1, "one dealer with a pool and someone on the floor");
    assert_eq!(
        owner_of(&late).await,
        Some(sales2.session.user.id),
        "to the next in line"
    );
    assert_eq!(owner_of(&fresh).await, None, "not past its target yet");
    // Zhang Min's tablet receives it whole.
    let mut s2 = Device::hello(addr, &sales2.token, 0).await;
    let (_, docs) = s2.caught_up().await;
    assert!(docs.iter().any(|x| x.doc == DocId::from(late.id)));
}
