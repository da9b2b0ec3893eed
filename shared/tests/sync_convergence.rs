//! Property test of the whole sync protocol in memory: several devices and
//! the server, random edits, random disconnects, duplicated, reordered and
//! dropped deliveries. At the end every device of the dealer holds the same
//! heads and the same lead as the server, the server holds every change any
//! device made, and a device of another dealer has received none of it.
//!
//! The server here is the shared state machine plus `ingest` over maps; the
//! real server runs the same two over SQL.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};

use proptest::prelude::*;
use showroom_shared::doc::{ActorId, LeadDoc, actor_from_bytes, parse_change};
use showroom_shared::domain::{
    Customer, DealerId, Grade, Lead, LeadId, Note, Source, Stage, UserId,
};
use showroom_shared::sync::{
    ClientEvent, ClientMsg, DocChanges, DocState, Ingested, ServerAction, ServerMsg, ServerSession,
    SyncClient, SyncErrorCode, ingest, limits,
};
use uuid::Uuid;

const PAGE: usize = 4;

fn dealer(n: u128) -> DealerId {
    DealerId::from_uuid(Uuid::from_u128(n))
}

struct LogEntry {
    seq: u64,
    dealer: DealerId,
    doc: LeadId,
    bytes: Vec<u8>,
    origin: usize,
}

struct Conn {
    device: usize,
    session: ServerSession,
    authed: bool,
}

#[derive(Default)]
struct Server {
    docs: HashMap<(DealerId, LeadId), DocState>,
    log: Vec<LogEntry>,
    conns: HashMap<u64, Conn>,
    dealers: Vec<DealerId>,
}

impl Server {
    /// Handles one message from a connection; returns messages per connection.
    fn receive(&mut self, conn: u64, bytes: &[u8]) -> Vec<(u64, ServerMsg)> {
        let Some(c) = self.conns.get_mut(&conn) else {
            return Vec::new();
        };
        let actions = c.session.on_message(bytes);
        self.run(conn, actions)
    }

    fn run(&mut self, conn: u64, actions: Vec<ServerAction>) -> Vec<(u64, ServerMsg)> {
        let mut out = Vec::new();
        let mut queue: VecDeque<ServerAction> = actions.into();
        while let Some(action) = queue.pop_front() {
            let Some(c) = self.conns.get_mut(&conn) else {
                break;
            };
            let device = c.device;
            let dealer = self.dealers[device];
            match action {
                ServerAction::Authenticate { token } => {
                    let ok = token == format!("token-{device}");
                    c.authed = ok;
                    queue.extend(c.session.authenticated(if ok {
                        Ok(())
                    } else {
                        Err((SyncErrorCode::Unauthorized, "bad token".into()))
                    }));
                }
                ServerAction::Ingest { batch, docs } => {
                    let mut refused = Vec::new();
                    let from = self.last_seq(dealer);
                    let mut to = from;
                    for DocChanges { doc, changes } in docs {
                        let state = self.docs.entry((dealer, doc)).or_default();
                        match ingest(dealer, doc, state, &changes) {
                            Ok(outcome) => {
                                for change in outcome.new_changes {
                                    to += 1;
                                    self.log.push(LogEntry {
                                        seq: to,
                                        dealer,
                                        doc,
                                        bytes: change.bytes,
                                        origin: device,
                                    });
                                }
                            }
                            Err(r) => refused.push(showroom_shared::sync::Refused {
                                doc,
                                code: r.code,
                                message: r.message,
                            }),
                        }
                    }
                    let c = self.conns.get_mut(&conn).expect("conn");
                    queue.extend(c.session.ingested(batch, Ok(Ingested { refused })));
                    if to > from {
                        // Every connection of the dealer is handed the commit,
                        // this one included (its cursor moves past its own).
                        queue.extend(c.session.committed(from, to));
                        let others: Vec<u64> = self
                            .conns
                            .iter()
                            .filter(|(id, oc)| {
                                **id != conn && self.dealers[oc.device] == dealer && oc.authed
                            })
                            .map(|(id, _)| *id)
                            .collect();
                        for other in others {
                            let more = self
                                .conns
                                .get_mut(&other)
                                .map(|oc| oc.session.committed(from, to))
                                .unwrap_or_default();
                            out.extend(self.run(other, more));
                        }
                    }
                }
                ServerAction::Deliver { from, to } => {
                    let docs = self.range(dealer, device, from, to);
                    out.push((
                        conn,
                        ServerMsg::Changes {
                            from,
                            to,
                            complete: true,
                            remaining: 0,
                            docs,
                        },
                    ));
                }
                ServerAction::Pull { after } => {
                    let (to, complete, docs) = self.page(dealer, device, after);
                    let c = self.conns.get_mut(&conn).expect("conn");
                    queue.extend(c.session.pulled(to, complete, 0, docs));
                }
                ServerAction::Send(msg) => out.push((conn, msg)),
                ServerAction::Close => {
                    self.conns.remove(&conn);
                }
            }
        }
        out
    }

    /// The dealer's last sequence number (numbered per dealer, as on the real server).
    fn last_seq(&self, dealer: DealerId) -> u64 {
        self.log
            .iter()
            .filter(|e| e.dealer == dealer)
            .map(|e| e.seq)
            .max()
            .unwrap_or(0)
    }

    /// The changes in `(from, to]` as a committed page: what the real
    /// server hands every connection without reading its log.
    fn range(&self, dealer: DealerId, device: usize, from: u64, to: u64) -> Vec<DocChanges> {
        let mut docs: Vec<DocChanges> = Vec::new();
        for r in self
            .log
            .iter()
            .filter(|e| e.dealer == dealer && e.seq > from && e.seq <= to && e.origin != device)
        {
            match docs.iter_mut().find(|d| d.doc == r.doc) {
                Some(d) => d.changes.push(r.bytes.clone()),
                None => docs.push(DocChanges {
                    doc: r.doc,
                    changes: vec![r.bytes.clone()],
                }),
            }
        }
        docs
    }

    fn page(&self, dealer: DealerId, device: usize, after: u64) -> (u64, bool, Vec<DocChanges>) {
        let rows: Vec<&LogEntry> = self
            .log
            .iter()
            .filter(|e| e.dealer == dealer && e.seq > after)
            .take(PAGE)
            .collect();
        let complete = rows.len() < PAGE
            || !self
                .log
                .iter()
                .any(|e| e.dealer == dealer && e.seq > rows.last().map_or(after, |r| r.seq));
        let to = rows.last().map_or(after, |r| r.seq);
        let mut docs: Vec<DocChanges> = Vec::new();
        for r in rows.into_iter().filter(|r| r.origin != device) {
            match docs.iter_mut().find(|d| d.doc == r.doc) {
                Some(d) => d.changes.push(r.bytes.clone()),
                None => docs.push(DocChanges {
                    doc: r.doc,
                    changes: vec![r.bytes.clone()],
                }),
            }
        }
        (to, complete, docs)
    }
}

struct Device {
    id: usize,
    user: UserId,
    dealer: DealerId,
    actor: ActorId,
    docs: BTreeMap<LeadId, LeadDoc>,
    outbox: Vec<(LeadId, Vec<u8>)>,
    cursor: u64,
    client: SyncClient,
    conn: Option<u64>,
    to_server: VecDeque<Vec<u8>>,
    from_server: VecDeque<ServerMsg>,
    made: HashSet<Vec<u8>>,
    acked: HashSet<Vec<u8>>,
}

impl Device {
    fn new(id: usize, dealer: DealerId) -> Self {
        Device {
            id,
            user: UserId::from_uuid(Uuid::from_u128(100 + id as u128)),
            dealer,
            actor: actor_from_bytes([id as u8 + 1; 16]),
            docs: BTreeMap::new(),
            outbox: Vec::new(),
            cursor: 0,
            client: SyncClient::new(0),
            conn: None,
            to_server: VecDeque::new(),
            from_server: VecDeque::new(),
            made: HashSet::new(),
            acked: HashSet::new(),
        }
    }

    fn pending(&self) -> Vec<DocChanges> {
        let mut by_doc: Vec<DocChanges> = Vec::new();
        for (doc, bytes) in &self.outbox {
            match by_doc.iter_mut().find(|d| d.doc == *doc) {
                Some(d) => d.changes.push(bytes.clone()),
                None => by_doc.push(DocChanges {
                    doc: *doc,
                    changes: vec![bytes.clone()],
                }),
            }
        }
        by_doc
    }

    /// A local save: the new changes go to the outbox and, when connected, out.
    fn record(&mut self, doc: LeadId, before: &[showroom_shared::doc::ChangeHash]) {
        let Some(d) = self.docs.get_mut(&doc) else {
            return;
        };
        let new: Vec<Vec<u8>> = d
            .changes_since(before)
            .iter()
            .map(|c| c.raw_bytes().to_vec())
            .collect();
        for bytes in &new {
            self.outbox.push((doc, bytes.clone()));
            self.made.insert(bytes.clone());
        }
        let msgs = self.client.push(vec![DocChanges { doc, changes: new }]);
        self.to_server.extend(msgs.iter().map(ClientMsg::encode));
    }

    fn create(&mut self, n: u128) {
        let id = LeadId::from_uuid(Uuid::from_u128(n));
        if self.docs.contains_key(&id) {
            return;
        }
        let lead = Lead {
            id,
            dealer: self.dealer,
            customer: Customer {
                name: format!("Customer {n}"),
                ..Customer::default()
            },
            source: Source::WalkIn,
            models: vec![],
            grade: Grade::N,
            stage: Stage::New,
            owner: Some(self.user),
            next_follow_up: None,
            notes: vec![],
            created_by: self.user,
            created_at: 1,
            updated_by: self.user,
            updated_at: 1,
        };
        let Ok(doc) = LeadDoc::create(self.actor.clone(), &lead) else {
            return;
        };
        self.docs.insert(id, doc);
        self.record(id, &[]);
    }

    fn edit(&mut self, pick: usize, what: u8, value: u8) {
        let ids: Vec<LeadId> = self.docs.keys().copied().collect();
        if ids.is_empty() {
            return;
        }
        let id = ids[pick % ids.len()];
        let (user, dev) = (self.user, self.id);
        let Some(doc) = self.docs.get_mut(&id) else {
            return;
        };
        let Ok(mut lead) = doc.read() else { return };
        let before = doc.heads();
        match what % 5 {
            0 => lead.grade = Grade::ALL[value as usize % Grade::ALL.len()],
            1 => lead.stage = Stage::ALL[value as usize % Stage::ALL.len()],
            2 => lead.customer.city = Some(format!("City {value} by {dev}")),
            3 => lead.models.push(format!("Model {value}")),
            _ => {
                let note = Note {
                    author: user,
                    at: i64::from(value),
                    text: format!("note {value} by {dev}"),
                };
                let _ = doc.add_note(&note);
                self.record(id, &before);
                return;
            }
        }
        let _ = doc.update(&lead, user, i64::from(value));
        self.record(id, &before);
    }

    fn handle(&mut self, msg: ServerMsg) {
        for event in self.client.on_message(msg) {
            match event {
                ClientEvent::Apply { docs, cursor } => {
                    for DocChanges { doc, changes } in docs {
                        let d = self
                            .docs
                            .entry(doc)
                            .or_insert_with(|| LeadDoc::empty(self.actor.clone()));
                        let parsed: Vec<_> = changes
                            .iter()
                            .filter_map(|b| parse_change(b).ok())
                            .collect();
                        d.apply(parsed).expect("server changes apply");
                    }
                    if let Some(c) = cursor {
                        self.cursor = c;
                    }
                }
                ClientEvent::Acked { docs } => {
                    for DocChanges { changes, .. } in docs {
                        for c in changes {
                            self.outbox.retain(|(_, b)| *b != c);
                            self.acked.insert(c);
                        }
                    }
                }
                ClientEvent::Refused(r) => panic!("honest device {} refused: {r:?}", self.id),
                ClientEvent::CaughtUp { .. } => {}
                ClientEvent::Fatal { code, message } => {
                    // Reordering can put a Push before Hello; the server closes.
                    let _ = (code, message);
                    self.conn = None;
                }
            }
        }
    }
}

struct World {
    server: Server,
    devices: Vec<Device>,
    next_conn: u64,
}

impl World {
    fn new(n: usize) -> Self {
        // Device 0 belongs to a rival dealer; the others to one dealer.
        let dealers: Vec<DealerId> = (0..n)
            .map(|i| if i == 0 { dealer(2) } else { dealer(1) })
            .collect();
        let devices = dealers
            .iter()
            .enumerate()
            .map(|(i, d)| Device::new(i, *d))
            .collect();
        World {
            server: Server {
                dealers,
                ..Server::default()
            },
            devices,
            next_conn: 1,
        }
    }

    fn connect(&mut self, d: usize) {
        if self.devices[d].conn.is_some() {
            return;
        }
        let conn = self.next_conn;
        self.next_conn += 1;
        self.server.conns.insert(
            conn,
            Conn {
                device: d,
                session: ServerSession::new(),
                authed: false,
            },
        );
        let dev = &mut self.devices[d];
        dev.conn = Some(conn);
        dev.client = SyncClient::new(dev.cursor);
        let msgs = dev.client.connect(&format!("token-{d}"), dev.pending());
        dev.to_server = msgs.iter().map(ClientMsg::encode).collect();
        dev.from_server.clear();
    }

    fn disconnect(&mut self, d: usize) {
        let dev = &mut self.devices[d];
        if let Some(conn) = dev.conn.take() {
            self.server.conns.remove(&conn);
        }
        dev.client.disconnected();
        dev.to_server.clear();
        dev.from_server.clear();
    }

    fn route(&mut self, out: Vec<(u64, ServerMsg)>) {
        for (conn, msg) in out {
            if let Some(dev) = self.devices.iter_mut().find(|d| d.conn == Some(conn)) {
                dev.from_server.push_back(msg);
            }
        }
    }

    fn to_server(&mut self, d: usize, duplicate: bool) {
        let Some(conn) = self.devices[d].conn else {
            return;
        };
        let Some(bytes) = self.devices[d].to_server.pop_front() else {
            return;
        };
        let out = self.server.receive(conn, &bytes);
        self.route(out);
        if duplicate {
            let out = self.server.receive(conn, &bytes);
            self.route(out);
        }
        if !self.server.conns.contains_key(&conn) {
            self.devices[d].conn = None;
            self.devices[d].client.disconnected();
            self.devices[d].to_server.clear();
        }
    }

    fn to_device(&mut self, d: usize, duplicate: bool) {
        let Some(msg) = self.devices[d].from_server.pop_front() else {
            return;
        };
        if duplicate {
            self.devices[d].handle(msg.clone());
        }
        self.devices[d].handle(msg);
        if self.devices[d].conn.is_none() {
            self.disconnect(d);
        }
    }

    fn settle(&mut self) {
        for d in 0..self.devices.len() {
            self.disconnect(d);
            self.connect(d);
        }
        for _ in 0..10_000 {
            let mut moved = false;
            for d in 0..self.devices.len() {
                if !self.devices[d].to_server.is_empty() {
                    self.to_server(d, false);
                    moved = true;
                }
                if !self.devices[d].from_server.is_empty() {
                    self.to_device(d, false);
                    moved = true;
                }
            }
            if !moved {
                return;
            }
        }
        panic!("the network did not settle");
    }
}

#[derive(Clone, Debug)]
enum Op {
    Create {
        device: usize,
        lead: u8,
    },
    Edit {
        device: usize,
        pick: usize,
        what: u8,
        value: u8,
    },
    Connect(usize),
    Disconnect(usize),
    ToServer {
        device: usize,
        duplicate: bool,
    },
    ToDevice {
        device: usize,
        duplicate: bool,
    },
    /// Swaps the next two messages in one direction.
    Reorder {
        device: usize,
        upstream: bool,
    },
    /// Loses the next message (the connection breaks with it).
    Drop {
        device: usize,
        upstream: bool,
    },
}

fn op(devices: usize) -> impl Strategy<Value = Op> {
    let d = 0..devices;
    prop_oneof![
        2 => (d.clone(), 0u8..6).prop_map(|(device, lead)| Op::Create { device, lead }),
        5 => (d.clone(), any::<usize>(), any::<u8>(), any::<u8>()).prop_map(|(device, pick, what, value)| Op::Edit { device, pick, what, value }),
        2 => d.clone().prop_map(Op::Connect),
        1 => d.clone().prop_map(Op::Disconnect),
        4 => (d.clone(), proptest::bool::weighted(0.15)).prop_map(|(device, duplicate)| Op::ToServer { device, duplicate }),
        4 => (d.clone(), proptest::bool::weighted(0.15)).prop_map(|(device, duplicate)| Op::ToDevice { device, duplicate }),
        1 => (d.clone(), any::<bool>()).prop_map(|(device, upstream)| Op::Reorder { device, upstream }),
        1 => (d, any::<bool>()).prop_map(|(device, upstream)| Op::Drop { device, upstream }),
    ]
}

fn scenario() -> impl Strategy<Value = (usize, Vec<Op>)> {
    (4usize..=6).prop_flat_map(|n| (Just(n), proptest::collection::vec(op(n), 1..80)))
}

fn run(n: usize, ops: Vec<Op>) {
    let mut w = World::new(n);
    for op in ops {
        match op {
            Op::Create { device, lead } => {
                // Lead numbers are per dealer so two devices may not create the same lead.
                let id = (device as u128) << 8 | u128::from(lead);
                w.devices[device].create(id);
            }
            Op::Edit {
                device,
                pick,
                what,
                value,
            } => w.devices[device].edit(pick, what, value),
            Op::Connect(d) => w.connect(d),
            Op::Disconnect(d) => w.disconnect(d),
            Op::ToServer { device, duplicate } => w.to_server(device, duplicate),
            Op::ToDevice { device, duplicate } => w.to_device(device, duplicate),
            Op::Reorder { device, upstream } => {
                let q_len = if upstream {
                    w.devices[device].to_server.len()
                } else {
                    w.devices[device].from_server.len()
                };
                if q_len >= 2 {
                    if upstream {
                        w.devices[device].to_server.swap(0, 1);
                    } else {
                        w.devices[device].from_server.swap(0, 1);
                    }
                }
            }
            Op::Drop { device, upstream } => {
                let lost = if upstream {
                    w.devices[device].to_server.pop_front().is_some()
                } else {
                    w.devices[device].from_server.pop_front().is_some()
                };
                if lost {
                    w.disconnect(device);
                }
            }
        }
    }
    w.settle();

    // Every change any device made is on the server, and every ack was true.
    let logged: HashSet<&[u8]> = w.server.log.iter().map(|e| e.bytes.as_slice()).collect();
    for dev in &w.devices {
        for c in dev.made.iter().chain(dev.acked.iter()) {
            assert!(
                logged.contains(c.as_slice()),
                "device {} lost a change",
                dev.id
            );
        }
        assert!(
            dev.outbox.is_empty(),
            "device {} still has {} unsent changes",
            dev.id,
            dev.outbox.len()
        );
    }
    // No change is logged twice.
    assert_eq!(
        logged.len(),
        w.server.log.len(),
        "a change was stored twice"
    );
    // Every device of a dealer holds exactly the server's documents, with the same heads and lead.
    for dev in &mut w.devices {
        let server_docs: Vec<LeadId> = w
            .server
            .docs
            .keys()
            .filter(|(d, _)| *d == dev.dealer)
            .map(|(_, id)| *id)
            .collect();
        let mut mine: Vec<LeadId> = dev.docs.keys().copied().collect();
        let mut theirs = server_docs.clone();
        mine.sort();
        theirs.sort();
        assert_eq!(
            mine, theirs,
            "device {} holds other documents than the server",
            dev.id
        );
        for id in server_docs {
            let stored = w.server.docs.get_mut(&(dev.dealer, id)).expect("stored");
            assert_eq!(stored.waiting(), 0, "server still waits for dependencies");
            let mut server_doc = LeadDoc::load(&stored.save(), actor_from_bytes([0xee; 16]))
                .expect("snapshot loads");
            let local = dev.docs.get_mut(&id).expect("doc");
            assert_eq!(
                local.heads(),
                server_doc.heads(),
                "device {} heads differ on {id}",
                dev.id
            );
            let (a, b) = (
                local.read().expect("device lead reads"),
                server_doc.read().expect("server lead reads"),
            );
            assert_eq!(a, b);
            assert_eq!(a.dealer, dev.dealer, "a lead crossed dealers");
        }
    }
    // The rival dealer's device never received the other dealer's leads.
    let rival = &w.devices[0];
    assert!(
        rival
            .docs
            .values()
            .all(|d| d.identity().ok().map(|(_, dl)| dl) == Some(dealer(2)))
    );
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(1000),
        max_shrink_iters: 2000,
        ..ProptestConfig::default()
    })]

    #[test]
    fn every_replica_converges_whatever_the_network_does((n, ops) in scenario()) {
        run(n, ops);
    }
}

#[test]
fn an_outbox_larger_than_one_batch_arrives_whole() {
    let mut w = World::new(3);
    for lead in 0..40u128 {
        w.devices[1].create(1000 + lead);
    }
    // Each lead gets a long note so the outbox is several batches.
    for i in 0..40 {
        let dev = &mut w.devices[1];
        let ids: Vec<LeadId> = dev.docs.keys().copied().collect();
        let id = ids[i];
        let doc = dev.docs.get_mut(&id).expect("doc");
        let before = doc.heads();
        let note = Note {
            author: dev.user,
            at: 1,
            text: "x".repeat(3_900) + &format!("{i}"),
        };
        let _ = doc.add_note(&note);
        dev.record(id, &before);
    }
    let total: usize = w.devices[1].outbox.iter().map(|(_, b)| b.len()).sum();
    assert!(total > 0);
    w.settle();
    assert!(w.devices[1].outbox.is_empty());
    assert_eq!(w.devices[2].docs.len(), 40);
    let _ = limits::BATCH_BYTES;
}
