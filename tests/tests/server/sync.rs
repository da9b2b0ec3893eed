//! The sync endpoint over a real WebSocket: pushes, pulls, live fan-out, and
//! every kind of bad input a device or an attacker can send.

use std::net::SocketAddr;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use showroom_shared::api::LoginResponse;
use showroom_shared::doc::{LeadDoc, actor_from_bytes};
use showroom_shared::domain::{Customer, DealerId, Grade, Lead, LeadId, Note, Source, Stage};
use showroom_shared::sync::{
    ClientMsg, DocChanges, PROTOCOL_VERSION, ServerMsg, SyncErrorCode, limits,
};
use tokio_tungstenite::tungstenite::Message;
use uuid::Uuid;

use crate::support::{TestApp, both_backends};

pub(crate) type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// One device's sync connection.
pub(crate) struct Device {
    pub(crate) socket: Socket,
    /// The server log, once the server said it.
    pub(crate) log: u64,
    /// How many times the server told this connection to start over.
    pub(crate) resets: u32,
}

impl Device {
    pub(crate) async fn open(addr: SocketAddr) -> Device {
        let (socket, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/sync"))
            .await
            .expect("websocket connects");
        Device {
            socket,
            log: 0,
            resets: 0,
        }
    }

    /// Opens a connection and says Hello with `token` and `cursor`, naming
    /// no log (the server tells it, and [`Device::recv`] takes that in).
    pub(crate) async fn hello(addr: SocketAddr, token: &str, cursor: u64) -> Device {
        Device::hello_in(addr, token, cursor, 0).await
    }

    /// Says Hello with a cursor that counts in the server log `log`.
    pub(crate) async fn hello_in(addr: SocketAddr, token: &str, cursor: u64, log: u64) -> Device {
        let mut d = Device::open(addr).await;
        d.send(ClientMsg::Hello {
            protocol: PROTOCOL_VERSION,
            token: token.to_owned(),
            cursor,
            log,
        })
        .await;
        d
    }

    pub(crate) async fn send(&mut self, msg: ClientMsg) {
        self.send_raw(msg.encode()).await;
    }

    pub(crate) async fn send_raw(&mut self, bytes: Vec<u8>) {
        self.socket
            .send(Message::Binary(bytes.into()))
            .await
            .expect("send");
    }

    /// The next protocol message, or `None` when the server closed the socket.
    pub(crate) async fn recv(&mut self) -> Option<ServerMsg> {
        loop {
            let next = tokio::time::timeout(Duration::from_secs(10), self.socket.next())
                .await
                .expect("server answers in time");
            match next {
                Some(Ok(Message::Binary(b))) => {
                    match ServerMsg::decode(&b).expect("server message decodes") {
                        // A device that named no log learns it first; the
                        // tests of restores read `log` and `resets`.
                        ServerMsg::Log { log, reset } => {
                            self.log = log;
                            self.resets += u32::from(reset);
                        }
                        msg => return Some(msg),
                    }
                }
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return None,
                Some(Ok(_)) => continue,
            }
        }
    }

    /// Reads until the initial catch-up page arrives; returns its documents.
    pub(crate) async fn caught_up(&mut self) -> (u64, Vec<DocChanges>) {
        let mut docs = Vec::new();
        loop {
            match self.recv().await {
                Some(ServerMsg::Changes {
                    to,
                    complete,
                    docs: d,
                    ..
                }) => {
                    docs.extend(d);
                    if complete {
                        return (to, docs);
                    }
                }
                other => panic!("expected changes, got {other:?}"),
            }
        }
    }

    pub(crate) async fn ack(&mut self) -> ServerMsg {
        loop {
            match self.recv().await {
                Some(ServerMsg::Changes { .. }) => continue,
                Some(msg) => return msg,
                None => panic!("closed before the ack"),
            }
        }
    }
}

pub(crate) fn lead_for(login: &LoginResponse, n: u128, name: &str) -> Lead {
    lead_of(&login.session, LeadId::from_uuid(Uuid::from_u128(n)), name)
}

/// A lead of the signed-in user's dealer, owned by them.
pub(crate) fn lead_of(session: &showroom_shared::api::SessionInfo, id: LeadId, name: &str) -> Lead {
    let user = session.user.id;
    Lead {
        id,
        dealer: session.dealer.id,
        customer: Customer {
            name: name.into(),
            // A number of its own: two test leads are two customers (the
            // same number would be a collision the server records).
            mobile: format!("139{:08}", id.0.as_u128() % 100_000_000)
                .parse()
                .ok(),
            ..Customer::default()
        },
        source: Source::WalkIn,
        models: vec!["Model Y".into()],
        grade: Grade::A,
        stage: Stage::New,
        owner: Some(user),
        next_follow_up: None,
        notes: vec![],
        created_by: user,
        created_at: 1,
        updated_by: user,
        updated_at: 1,
        ..Lead::new(id, session.dealer.id, user, 1)
    }
}

pub(crate) fn raw_changes(doc: &mut LeadDoc) -> Vec<Vec<u8>> {
    doc.changes_since(&[])
        .iter()
        .map(|c| c.raw_bytes().to_vec())
        .collect()
}

pub(crate) fn push(batch: u64, doc: LeadId, changes: Vec<Vec<u8>>) -> ClientMsg {
    ClientMsg::Push {
        batch,
        docs: vec![DocChanges {
            doc: doc.into(),
            changes,
        }],
    }
}

pub(crate) fn ok_ack(batch: u64) -> ServerMsg {
    ServerMsg::Ack {
        batch,
        refused: vec![],
    }
}

async fn a_lead_pushed_by_one_device_reaches_another(app: TestApp) {
    let addr = app.serve().await;
    let sales1 = app.login("sales1").await;
    let manager = app.login("manager").await;
    let lead = lead_for(&sales1, 1, "周女士");
    let mut doc = LeadDoc::create(actor_from_bytes([1; 16]), &lead).expect("doc");

    let mut a = Device::hello(addr, &sales1.token, 0).await;
    a.send(push(1, lead.id, raw_changes(&mut doc))).await;
    assert_eq!(a.caught_up().await.1, vec![], "nothing to pull yet");
    assert_eq!(a.ack().await, ok_ack(1));

    let mut b = Device::hello(addr, &manager.token, 0).await;
    let (cursor, docs) = b.caught_up().await;
    assert_eq!(cursor, 1);
    assert_eq!(docs.len(), 1);
    let mut copy = LeadDoc::empty(actor_from_bytes([2; 16]));
    copy.apply_bytes(docs[0].changes.iter().map(Vec::as_slice))
        .expect("applies");
    assert_eq!(copy.read().expect("reads"), lead);
    assert_eq!(copy.heads(), doc.heads());

    // Reconnecting with that cursor costs nothing: no documents come again.
    let mut again = Device::hello(addr, &manager.token, cursor).await;
    assert_eq!(again.caught_up().await, (cursor, vec![]));
}

async fn a_change_reaches_a_connected_device_live(app: TestApp) {
    let addr = app.serve().await;
    let sales1 = app.login("sales1").await;
    let manager = app.login("manager").await;
    let mut watcher = Device::hello(addr, &manager.token, 0).await;
    watcher.caught_up().await;

    let lead = lead_for(&sales1, 2, "Mr Zhou");
    let mut doc = LeadDoc::create(actor_from_bytes([1; 16]), &lead).expect("doc");
    let mut writer = Device::hello(addr, &sales1.token, 0).await;
    writer.caught_up().await;
    let started = std::time::Instant::now();
    writer.send(push(1, lead.id, raw_changes(&mut doc))).await;
    match watcher.recv().await {
        Some(ServerMsg::Changes { docs, .. }) => {
            assert_eq!(docs.first().map(|d| d.doc), Some(lead.id.into()))
        }
        other => panic!("expected the live change, got {other:?}"),
    }
    eprintln!("live fan-out took {:?}", started.elapsed());
}

async fn retransmitted_and_reordered_batches_store_each_change_once(app: TestApp) {
    let addr = app.serve().await;
    let sales1 = app.login("sales1").await;
    let lead = lead_for(&sales1, 3, "Ms Qian");
    let mut doc = LeadDoc::create(actor_from_bytes([1; 16]), &lead).expect("doc");
    let mut edited = lead.clone();
    edited.stage = Stage::Contacted;
    doc.update(&edited, sales1.session.user.id, 5)
        .expect("edit");
    doc.add_note(&Note {
        author: sales1.session.user.id,
        at: 6,
        text: "回访".into(),
    })
    .expect("note");
    let changes = raw_changes(&mut doc);
    assert_eq!(changes.len(), 3);

    let mut a = Device::hello(addr, &sales1.token, 0).await;
    a.caught_up().await;
    // The later changes first: their dependency has not arrived; they are kept.
    a.send(push(1, lead.id, changes[1..].to_vec())).await;
    assert_eq!(a.ack().await, ok_ack(1));
    a.send(push(2, lead.id, changes.clone())).await;
    assert_eq!(a.ack().await, ok_ack(2));
    // The connection drops; the device did not see the acks and sends it all again.
    drop(a);
    let mut a = Device::hello(addr, &sales1.token, 0).await;
    a.send(push(1, lead.id, changes.clone())).await;
    a.send(push(1, lead.id, changes.clone())).await;
    assert_eq!(a.ack().await, ok_ack(1));
    assert_eq!(a.ack().await, ok_ack(1));

    let dealer = sales1.session.dealer.id;
    assert_eq!(
        showroom_server::db::sync_counts(&app.db, dealer)
            .await
            .expect("counts"),
        (3, 1)
    );
    let snapshot = showroom_server::db::document_snapshot(&app.db, dealer, lead.id.into())
        .await
        .expect("read")
        .expect("stored");
    let stored = LeadDoc::load(&snapshot, actor_from_bytes([9; 16])).expect("loads");
    assert_eq!(
        stored.read().map(|l| (l.stage, l.notes.len())).ok(),
        Some((Stage::Contacted, 1))
    );
}

/// The tenant wall on the sync path: rival1 can neither write into nor read
/// from Demo Motors, and the answers do not tell it whether a lead exists.
async fn another_dealer_can_neither_write_nor_read_a_lead(app: TestApp) {
    let addr = app.serve().await;
    let sales1 = app.login("sales1").await;
    let rival = app.login("rival1").await;
    let lead = lead_for(&sales1, 4, "Demo's customer");
    let mut doc = LeadDoc::create(actor_from_bytes([1; 16]), &lead).expect("doc");
    let mut a = Device::hello(addr, &sales1.token, 0).await;
    a.send(push(1, lead.id, raw_changes(&mut doc))).await;
    assert_eq!(a.ack().await, ok_ack(1));

    // An edit forged on a copy of Demo's lead, pushed under its real id.
    let mut forged = LeadDoc::load(&doc.save(), actor_from_bytes([6; 16])).expect("copy");
    let mut edit = lead.clone();
    edit.customer.name = "stolen".into();
    forged
        .update(&edit, rival.session.user.id, 9)
        .expect("edit");
    let forged_edit = forged
        .changes_since(&doc.heads())
        .iter()
        .map(|c| c.raw_bytes().to_vec())
        .collect::<Vec<_>>();
    let missing = LeadId::from_uuid(Uuid::from_u128(999));

    let mut r = Device::hello(addr, &rival.token, 0).await;
    assert_eq!(
        r.caught_up().await,
        (0, vec![]),
        "rival sees nothing of Demo Motors"
    );
    r.send(push(1, lead.id, forged_edit.clone())).await;
    let existing = r.ack().await;
    r.send(push(2, missing, forged_edit)).await;
    let nothing = r.ack().await;
    assert_eq!(existing, ok_ack(1));
    assert_eq!(
        nothing,
        ok_ack(2),
        "an existing lead of another dealer and no lead at all look alike"
    );

    // A whole lead claiming to belong to Demo Motors is refused.
    let mut stolen = lead_for(&sales1, 5, "x");
    stolen.dealer = sales1.session.dealer.id;
    let mut stolen_doc = LeadDoc::create(actor_from_bytes([6; 16]), &stolen).expect("doc");
    r.send(push(3, stolen.id, raw_changes(&mut stolen_doc)))
        .await;
    match r.ack().await {
        ServerMsg::Ack { batch: 3, refused } => assert_eq!(
            refused.iter().map(|x| x.code).collect::<Vec<_>>(),
            [SyncErrorCode::Invalid]
        ),
        other => panic!("{other:?}"),
    }
    // Demo's lead is untouched, and Demo never hears of the rival's writes.
    let snapshot =
        showroom_server::db::document_snapshot(&app.db, sales1.session.dealer.id, lead.id.into())
            .await
            .expect("read")
            .expect("stored");
    let stored = LeadDoc::load(&snapshot, actor_from_bytes([9; 16])).expect("loads");
    assert_eq!(
        stored.read().map(|l| l.customer.name).ok().as_deref(),
        Some("Demo's customer")
    );
    let mut b = Device::hello(addr, &sales1.token, 1).await;
    assert_eq!(b.caught_up().await.1, vec![]);
    let rival_dealer: DealerId = rival.session.dealer.id;
    assert_eq!(
        showroom_server::db::document_snapshot(&app.db, rival_dealer, stolen.id.into())
            .await
            .expect("read"),
        None
    );
}

async fn malformed_and_oversized_input_gets_a_clear_error_and_breaks_nothing(app: TestApp) {
    let addr = app.serve().await;
    let sales1 = app.login("sales1").await;

    let mut garbage = Device::open(addr).await;
    garbage.send_raw(b"\x00\x01garbage".to_vec()).await;
    assert!(matches!(
        garbage.recv().await,
        Some(ServerMsg::Error {
            code: SyncErrorCode::Malformed,
            ..
        })
    ));
    assert_eq!(
        garbage.recv().await,
        None,
        "the socket is closed after the error"
    );

    let mut text = Device::open(addr).await;
    text.socket
        .send(Message::Text("hello".into()))
        .await
        .expect("send");
    assert!(matches!(
        text.recv().await,
        Some(ServerMsg::Error {
            code: SyncErrorCode::Malformed,
            ..
        })
    ));

    let mut first = Device::open(addr).await;
    first
        .send(push(1, LeadId::from_uuid(Uuid::from_u128(1)), vec![]))
        .await;
    assert!(
        matches!(
            first.recv().await,
            Some(ServerMsg::Error {
                code: SyncErrorCode::Malformed,
                ..
            })
        ),
        "Hello must come first"
    );

    let mut big = Device::hello(addr, &sales1.token, 0).await;
    big.caught_up().await;
    big.send_raw(vec![0x02; limits::MESSAGE_BYTES + 10]).await;
    assert!(matches!(
        big.recv().await,
        Some(ServerMsg::Error {
            code: SyncErrorCode::TooLarge,
            ..
        })
    ));

    // A corrupted change is refused for its document only; a good one in the same batch lands.
    let good = lead_for(&sales1, 6, "Good");
    let bad = lead_for(&sales1, 7, "Bad");
    let mut good_doc = LeadDoc::create(actor_from_bytes([1; 16]), &good).expect("doc");
    let mut bad_doc = LeadDoc::create(actor_from_bytes([1; 16]), &bad).expect("doc");
    let mut corrupted = raw_changes(&mut bad_doc);
    let last = corrupted[0].len() - 1;
    corrupted[0][last] ^= 0x55;
    let mut d = Device::hello(addr, &sales1.token, 0).await;
    d.send(ClientMsg::Push {
        batch: 1,
        docs: vec![
            DocChanges {
                doc: bad.id.into(),
                changes: corrupted,
            },
            DocChanges {
                doc: good.id.into(),
                changes: raw_changes(&mut good_doc),
            },
        ],
    })
    .await;
    match d.ack().await {
        ServerMsg::Ack { batch: 1, refused } => {
            assert_eq!(refused.len(), 1);
            assert_eq!(
                (refused[0].doc, refused[0].code),
                (bad.id.into(), SyncErrorCode::Malformed)
            );
        }
        other => panic!("{other:?}"),
    }
    // The bad document can still be written correctly afterwards.
    d.send(push(2, bad.id, raw_changes(&mut bad_doc))).await;
    assert_eq!(d.ack().await, ok_ack(2));

    // A lead grown past the document cap is refused and stays as it was.
    let mut huge = lead_for(&sales1, 8, "Huge");
    huge.notes = (0..5)
        .map(|i| Note {
            author: sales1.session.user.id,
            at: i,
            text: "长".repeat(4000),
        })
        .collect();
    let mut huge_doc = LeadDoc::create(actor_from_bytes([1; 16]), &huge).expect("doc");
    d.send(push(3, huge.id, raw_changes(&mut huge_doc))).await;
    assert_eq!(d.ack().await, ok_ack(3));
    let mut grow = Vec::new();
    let mut heads = huge_doc.heads();
    // Text that does not compress, as Automerge compresses its snapshots.
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    let mut noise = |len: usize| -> String {
        (0..len)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                char::from(b'!' + (seed % 90) as u8)
            })
            .collect()
    };
    // Notes of 64 KB that do not compress, until the lead's changes add up
    // past the document cap: pushed in batches under the message cap.
    let mut batch = 4;
    let mut total = 0usize;
    for i in 0..80 {
        huge_doc
            .add_note(&Note {
                author: sales1.session.user.id,
                at: 100 + i,
                text: noise(64 * 1024),
            })
            .expect("note");
        grow.extend(
            huge_doc
                .changes_since(&heads)
                .iter()
                .map(|c| c.raw_bytes().to_vec()),
        );
        heads = huge_doc.heads();
        if grow.iter().map(Vec::len).sum::<usize>() > 2 * 1024 * 1024 {
            total += grow.iter().map(Vec::len).sum::<usize>();
            d.send(push(batch, huge.id, std::mem::take(&mut grow)))
                .await;
            let refused = match d.ack().await {
                ServerMsg::Ack { refused, .. } => refused,
                other => panic!("{other:?}"),
            };
            if total <= limits::DOCUMENT_BYTES {
                assert_eq!(refused, vec![], "under the cap ({total} bytes)");
            } else {
                assert_eq!(
                    refused.iter().map(|r| r.code).collect::<Vec<_>>(),
                    [SyncErrorCode::TooLarge],
                    "past the cap ({total} bytes)"
                );
                break;
            }
            batch += 1;
        }
    }
    assert!(
        total > limits::DOCUMENT_BYTES,
        "the test grew the lead past the cap"
    );
}

async fn bad_expired_and_revoked_sessions_are_refused(app: TestApp) {
    let addr = app.serve().await;
    let mut forged = Device::hello(addr, "shr_not-a-real-token", 0).await;
    assert!(matches!(
        forged.recv().await,
        Some(ServerMsg::Error {
            code: SyncErrorCode::Unauthorized,
            ..
        })
    ));

    let sales1 = app.login_on("sales1", "Tablet").await;
    let manager = app.login("manager").await;
    let mut live = Device::hello(addr, &sales1.token, 0).await;
    live.caught_up().await;
    // The manager revokes the tablet: its open connection ends at once.
    let reply = app
        .call(
            axum::http::Method::DELETE,
            &showroom_shared::api::paths::user_device(
                sales1.session.user.id,
                sales1.session.device.id,
            ),
            Some(&manager.token),
            None,
        )
        .await;
    assert_eq!(reply.status, axum::http::StatusCode::NO_CONTENT);
    // Its open connection is told at once: it may deliver what it wrote
    // (issue 21), then nothing more.
    assert_eq!(live.recv().await, Some(ServerMsg::Ended));
    live.send(ClientMsg::Delivered).await;
    assert_eq!(live.recv().await, None, "closed after the last delivery");
    let mut again = Device::hello(addr, &sales1.token, 0).await;
    assert!(matches!(
        again.recv().await,
        Some(ServerMsg::Error {
            code: SyncErrorCode::Unauthorized,
            ..
        })
    ));

    let idle = app.login("sales2").await;
    app.advance(31 * 24 * 60 * 60 * 1000);
    let mut expired = Device::hello(addr, &idle.token, 0).await;
    match expired.recv().await {
        Some(ServerMsg::Error {
            code: SyncErrorCode::Unauthorized,
            message,
        }) => assert!(message.contains("expired"), "{message}"),
        other => panic!("{other:?}"),
    }
}

async fn a_session_ended_mid_connection_cannot_push(app: TestApp) {
    let addr = app.serve().await;
    let sales1 = app.login("sales1").await;
    let mut d = Device::hello(addr, &sales1.token, 0).await;
    d.caught_up().await;
    // Logged out from elsewhere (another tab) between two messages.
    app.call(
        axum::http::Method::POST,
        showroom_shared::api::paths::LOGOUT,
        Some(&sales1.token),
        None,
    )
    .await;
    let lead = lead_for(&sales1, 9, "After logout");
    let mut doc = LeadDoc::create(actor_from_bytes([1; 16]), &lead).expect("doc");
    d.send(push(1, lead.id, raw_changes(&mut doc))).await;
    loop {
        match d.recv().await {
            Some(ServerMsg::Error { code, .. }) => {
                assert_eq!(code, SyncErrorCode::Unauthorized);
                break;
            }
            Some(ServerMsg::Ack { .. }) => panic!("a push after logout was acknowledged"),
            Some(_) => continue,
            None => break,
        }
    }
    assert_eq!(
        showroom_server::db::sync_counts(&app.db, sales1.session.dealer.id)
            .await
            .expect("counts"),
        (0, 0)
    );
}

both_backends!(
    a_lead_pushed_by_one_device_reaches_another,
    a_change_reaches_a_connected_device_live,
    retransmitted_and_reordered_batches_store_each_change_once,
    another_dealer_can_neither_write_nor_read_a_lead,
    malformed_and_oversized_input_gets_a_clear_error_and_breaks_nothing,
    bad_expired_and_revoked_sessions_are_refused,
    a_session_ended_mid_connection_cannot_push,
);
