//! Property test of the whole sync protocol in memory: several devices and
//! the server, random edits, random disconnects, duplicated, reordered and
//! dropped deliveries. At the end every device of the dealer holds the same
//! heads and the same documents as the server, the server holds every change
//! any device made, and a device of another dealer has received none of it.
//!
//! The documents are leads (fields, notes, and the visits and test drives
//! kept in them as records) and the dealer's document (catalogue and
//! settings), which the server creates once when the dealer is created and
//! which only a manager or an admin may change. Devices have roles: a
//! salesperson's device that edits the catalogue anyway (a forged or stale
//! app) is refused with `Forbidden`, and its edit reaches no other replica;
//! it stays on that device, in its outbox. Every other write of every
//! device is accepted: the write rules never refuse an honest device.
//!
//! Devices start either unsynced or after one sync (holding the dealer's
//! document); a quiet moment now and then lets every message under way
//! arrive, so devices edit each other's records too.
//!
//! The server here is the shared state machine plus `ingest` over maps (with
//! a document's tail compacted into its snapshot now and then); the real
//! server runs the same two over SQL.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::{Mutex, OnceLock};

use proptest::prelude::*;
use showroom_shared::doc::{
    ActorId, ChangeHash, Content, DealerDoc, Document, LeadDoc, actor_from_bytes, parse_change,
};
use showroom_shared::domain::catalogue::{
    CarId, Colour, ColourId, Dealer, DemoCar, LostReason, Model, ModelId, Powertrain, Settings,
    Transmission, Trim, TrimId, Vin,
};
use showroom_shared::domain::followup::{
    Completion, ConsentId, ConsentMethod, LostDecision, LostDecisionId, LostRequest, LostRequestId,
    LostState, Outcome, Purpose, Task, TaskId, TaskKind, consents_to, decision_on,
    lost_is_approved, record_consent,
};
use showroom_shared::domain::showroom::{
    DriveBack, DriveId, DriveOut, DriveStatus, Licence, LicenceClass, Signature, Strokes,
    TestDrive, Visit, VisitId, VisitKind, VisitOutcome, VisitSteps,
};
use showroom_shared::domain::{
    Customer, Date, DealerId, DocId, DocKind, Grade, Lead, LeadId, Money, Note, Role, Source,
    Stage, UserId,
};
use showroom_shared::rules::{Author, may_edit_catalogue};
use showroom_shared::sync::{
    ClientEvent, ClientMsg, DocChanges, DocState, Ingested, ServerAction, ServerMsg, ServerSession,
    SyncClient, SyncErrorCode, ingest, limits,
};
use uuid::Uuid;

const PAGE: usize = 4;
/// The server compacts a document once this many changes are stored after
/// its snapshot.
const COMPACT_AT: usize = 6;
/// The origin of the server's own changes (the dealer document's creation):
/// delivered to every device of the dealer.
const SERVER: usize = usize::MAX;

fn dealer(n: u128) -> DealerId {
    DealerId::from_uuid(Uuid::from_u128(n))
}

fn uuid(dealer: DealerId, kind: u128, n: u128) -> Uuid {
    Uuid::from_u128(dealer.0.as_u128() << 64 | kind << 32 | n)
}

fn car_id(dealer: DealerId, n: u128) -> CarId {
    CarId::from_uuid(uuid(dealer, 5, n))
}

/// A VIN with a correct check digit, from a number.
fn vin(n: u32) -> Vin {
    let mut s = format!("LSVAU2180N{:07}", n % 10_000_000);
    let check = Vin::check_digit(&s).expect("VIN characters");
    s.replace_range(8..9, &check.to_string());
    s.parse().expect("a valid VIN")
}

/// What the server writes when it creates the dealer: a small catalogue.
fn catalogue(d: DealerId) -> Dealer {
    let model = |n, name: &str| Model {
        id: ModelId::from_uuid(uuid(d, 1, n)),
        name: name.into(),
        archived: false,
    };
    let trim = |n, model, name: &str, yuan, powertrain| Trim {
        id: TrimId::from_uuid(uuid(d, 2, n)),
        model: ModelId::from_uuid(uuid(d, 1, model)),
        name: name.into(),
        list_price: Money::yuan(yuan),
        powertrain,
        gearbox: Transmission::Automatic,
        seats: 5,
        displacement_cc: if powertrain == Powertrain::BatteryElectric {
            0
        } else {
            1_498
        },
        archived: false,
        cost: None,
        max_discount: None,
    };
    Dealer {
        id: Some(d),
        settings: Settings::default(),
        models: vec![model(1, "Model Y"), model(2, "宋 PLUS")],
        trims: vec![
            trim(1, 1, "Long Range", 299_900, Powertrain::BatteryElectric),
            trim(2, 1, "Performance", 349_900, Powertrain::BatteryElectric),
            trim(3, 2, "DM-i 110km", 169_800, Powertrain::PlugInHybrid),
        ],
        colours: vec![
            Colour {
                id: ColourId::from_uuid(uuid(d, 3, 1)),
                name: "Pearl White".into(),
                price: Money::ZERO,
                archived: false,
            },
            Colour {
                id: ColourId::from_uuid(uuid(d, 3, 2)),
                name: "Deep Blue".into(),
                price: Money::yuan(8_000),
                archived: false,
            },
        ],
        items: vec![],
        cars: (1..=2)
            .map(|n| DemoCar {
                id: car_id(d, n),
                stock_number: format!("D{n}"),
                vin: vin(n as u32),
                plate: format!("浙A·D{n:04}"),
                trim: TrimId::from_uuid(uuid(d, 2, n)),
                odometer_km: 1_000,
                archived: false,
            })
            .collect(),
        lost_reasons: vec![LostReason {
            code: "price".into(),
            label_zh: "价格".into(),
            label_en: "Price".into(),
            archived: false,
        }],
    }
}

/// The change that creates the dealer's document, made once per dealer for
/// the whole test run (every case starts from it).
fn dealer_creation(d: DealerId) -> Vec<Vec<u8>> {
    static MADE: OnceLock<Mutex<HashMap<DealerId, Vec<Vec<u8>>>>> = OnceLock::new();
    let made = MADE.get_or_init(Mutex::default);
    let mut made = made.lock().unwrap_or_else(|e| e.into_inner());
    made.entry(d)
        .or_insert_with(|| {
            let mut doc = DealerDoc::create(actor_from_bytes([0xfd; 16]), d, &catalogue(d), 0)
                .expect("the dealer document");
            let changes: Vec<Vec<u8>> = doc
                .changes_since(&[])
                .iter()
                .map(|c| c.raw_bytes().to_vec())
                .collect();
            assert_eq!(
                changes.len(),
                1,
                "the dealer document is created as one change"
            );
            changes
        })
        .clone()
}

struct LogEntry {
    seq: u64,
    dealer: DealerId,
    doc: DocId,
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
    docs: HashMap<(DealerId, DocId), DocState>,
    log: Vec<LogEntry>,
    conns: HashMap<u64, Conn>,
    /// Per device: its dealer and the session's user.
    dealers: Vec<DealerId>,
    authors: Vec<Author>,
}

impl Server {
    /// The dealer is created: the server writes its document, as one change
    /// logged for every device of the dealer.
    fn create_dealer(&mut self, d: DealerId) {
        let changes = dealer_creation(d);
        let admin = Author {
            user: UserId::from_uuid(Uuid::from_u128(1)),
            role: Role::Admin,
        };
        let id = DocId::dealer(d);
        let state = self.docs.entry((d, id)).or_default();
        let accepted = ingest(d, id, &admin, &Default::default(), state, &changes)
            .expect("the creation is accepted");
        assert!(matches!(accepted.content, Some(Content::Dealer(_))));
        let first = self.last_seq(d) + 1;
        for (seq, change) in (first..).zip(accepted.new_changes) {
            self.log.push(LogEntry {
                seq,
                dealer: d,
                doc: id,
                bytes: change.bytes,
                origin: SERVER,
            });
        }
    }

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
                    let head = self.last_seq(dealer);
                    let Some(c) = self.conns.get_mut(&conn) else {
                        break;
                    };
                    let ok = token == format!("token-{device}");
                    c.authed = ok;
                    queue.extend(c.session.authenticated(if ok {
                        Ok(showroom_shared::sync::ServerLog {
                            id: SERVER_LOG,
                            head,
                        })
                    } else {
                        Err((SyncErrorCode::Unauthorized, "bad token".into()))
                    }));
                }
                ServerAction::Ingest { batch, docs } => {
                    let author = self.authors[device];
                    let mut refused = Vec::new();
                    let from = self.last_seq(dealer);
                    let mut to = from;
                    for DocChanges { doc, changes } in docs {
                        let state = self.docs.entry((dealer, doc)).or_default();
                        match ingest(dealer, doc, &author, &Default::default(), state, &changes) {
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
                                // The server folds a document's tail into its
                                // snapshot now and then.
                                if state.tail_len() >= COMPACT_AT {
                                    state.compact();
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
                            removed: Vec::new(),
                            floor: Vec::new(),
                            taken: Vec::new(),
                        },
                    ));
                }
                ServerAction::Pull { after } => {
                    let (to, complete, docs) = self.page(dealer, device, after);
                    let c = self.conns.get_mut(&conn).expect("conn");
                    queue.extend(c.session.pulled(
                        to,
                        complete,
                        0,
                        docs,
                        Vec::new(),
                        Vec::new(),
                        Vec::new(),
                    ));
                }
                ServerAction::Receipts { batch, .. } => {
                    // Nothing is removed in this model yet: every device sees
                    // every document of its dealer.
                    let c = self.conns.get_mut(&conn).expect("conn");
                    queue.extend(c.session.receipted(batch, Ok(())));
                }
                ServerAction::Audit { batch, .. } => {
                    // Every device may see every document of its dealer here.
                    let c = self.conns.get_mut(&conn).expect("conn");
                    queue.extend(c.session.audited(batch, Ok((Vec::new(), Vec::new()))));
                }
                // No session of this model ends.
                ServerAction::Delivered => {}
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

/// A document on a device, of its kind.
enum Local {
    Lead(LeadDoc),
    Dealer(DealerDoc),
}

impl Local {
    fn empty(kind: DocKind, actor: ActorId) -> Local {
        match kind {
            DocKind::Lead => Local::Lead(LeadDoc::empty(actor)),
            DocKind::Dealer => Local::Dealer(DealerDoc::empty(actor)),
            DocKind::Register => panic!("no register is synced in this test"),
        }
    }

    fn doc(&mut self) -> &mut Document {
        match self {
            Local::Lead(d) => d,
            Local::Dealer(d) => d,
        }
    }
}

fn read_visit(doc: &LeadDoc, id: VisitId) -> Option<Visit> {
    doc.read().ok()?.visits.into_iter().find(|v| v.id == id)
}

fn read_drive(doc: &LeadDoc, id: DriveId) -> Option<TestDrive> {
    doc.read().ok()?.drives.into_iter().find(|d| d.id == id)
}

/// Every change of a document, by hash.
fn change_set(doc: &mut Document) -> HashMap<ChangeHash, Vec<u8>> {
    doc.changes_since(&[])
        .iter()
        .map(|c| (c.hash(), c.raw_bytes().to_vec()))
        .collect()
}

struct Device {
    id: usize,
    user: UserId,
    role: Role,
    dealer: DealerId,
    actor: ActorId,
    docs: BTreeMap<DocId, Local>,
    outbox: Vec<(DocId, Vec<u8>)>,
    cursor: u64,
    /// The server log its cursor counts in (0 until the server says).
    log: u64,
    client: SyncClient,
    conn: Option<u64>,
    to_server: VecDeque<Vec<u8>>,
    from_server: VecDeque<ServerMsg>,
    /// Changes the server must accept.
    made: HashSet<Vec<u8>>,
    /// This device's catalogue edits while its role may not make them: the
    /// server must refuse every one.
    forbidden: HashSet<Vec<u8>>,
    acked: HashSet<Vec<u8>>,
    /// `Forbidden` refusals of the dealer document received.
    refused: usize,
    /// Records this device added: (lead, record id).
    visits: Vec<(LeadId, VisitId)>,
    drives: Vec<(LeadId, DriveId)>,
    next_record: u128,
}

/// The roles of the devices: device 0 (the rival dealer's) a manager, then
/// a salesperson, a manager, a salesperson, an admin, and the first
/// salesperson again on a second device.
fn role_and_user(id: usize) -> (Role, UserId) {
    let user = |n: usize| UserId::from_uuid(Uuid::from_u128(100 + n as u128));
    match id {
        0 | 2 => (Role::Manager, user(id)),
        4 => (Role::Admin, user(id)),
        5 => (Role::Salesperson, user(1)),
        _ => (Role::Salesperson, user(id)),
    }
}

impl Device {
    fn new(id: usize, dealer: DealerId) -> Self {
        let (role, user) = role_and_user(id);
        Device {
            id,
            user,
            role,
            dealer,
            actor: actor_from_bytes([id as u8 + 1; 16]),
            docs: BTreeMap::new(),
            outbox: Vec::new(),
            cursor: 0,
            log: 0,
            client: SyncClient::new(0, 0),
            conn: None,
            to_server: VecDeque::new(),
            from_server: VecDeque::new(),
            made: HashSet::new(),
            forbidden: HashSet::new(),
            acked: HashSet::new(),
            refused: 0,
            visits: Vec::new(),
            drives: Vec::new(),
            next_record: 0,
        }
    }

    fn author(&self) -> Author {
        Author {
            user: self.user,
            role: self.role,
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
    fn record(&mut self, doc: DocId, before: &[ChangeHash]) {
        let Some(d) = self.docs.get_mut(&doc) else {
            return;
        };
        let new: Vec<Vec<u8>> = d
            .doc()
            .changes_since(before)
            .iter()
            .map(|c| c.raw_bytes().to_vec())
            .collect();
        let refused = doc.kind == DocKind::Dealer && !may_edit_catalogue(self.role);
        for bytes in &new {
            self.outbox.push((doc, bytes.clone()));
            if refused {
                self.forbidden.insert(bytes.clone());
            } else {
                self.made.insert(bytes.clone());
            }
        }
        let msgs = self.client.push(vec![DocChanges { doc, changes: new }]);
        self.to_server.extend(msgs.iter().map(ClientMsg::encode));
    }

    fn create(&mut self, n: u128) {
        let id = LeadId::from_uuid(Uuid::from_u128(n));
        let doc_id = DocId::lead(id);
        if self.docs.contains_key(&doc_id) {
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
            ..Lead::new(id, self.dealer, self.user, 1)
        };
        let Ok(doc) = LeadDoc::create(self.actor.clone(), &lead) else {
            return;
        };
        self.docs.insert(doc_id, Local::Lead(doc));
        self.record(doc_id, &[]);
    }

    /// A lead of this device that reads (its creation has arrived), picked.
    fn pick_lead(&mut self, pick: usize) -> Option<(DocId, &mut LeadDoc, Lead)> {
        let ids: Vec<DocId> = self
            .docs
            .keys()
            .filter(|d| d.kind == DocKind::Lead)
            .copied()
            .collect();
        if ids.is_empty() {
            return None;
        }
        let id = ids[pick % ids.len()];
        let Some(Local::Lead(doc)) = self.docs.get_mut(&id) else {
            return None;
        };
        let lead = doc.read().ok()?;
        Some((id, doc, lead))
    }

    fn edit(&mut self, pick: usize, what: u8, value: u8) {
        let (user, dev) = (self.user, self.id);
        let Some((id, doc, mut lead)) = self.pick_lead(pick) else {
            return;
        };
        let before = doc.heads();
        match what % 5 {
            0 => lead.grade = Grade::ALL[value as usize % Grade::ALL.len()],
            // Only a manager's approval of a lost request makes a lead lost
            // (`follow_up` below); any other stage is anyone's to set.
            1 => {
                let open: Vec<Stage> = Stage::ALL
                    .iter()
                    .copied()
                    .filter(|s| *s != Stage::Lost)
                    .collect();
                lead.stage = open[value as usize % open.len()];
            }
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

    /// Adds a visit to a lead, or edits one of its visits (whoever logged it).
    fn visit(&mut self, pick: usize, what: u8, value: u8) {
        let (user, dev) = (self.user, self.id as u128);
        let record = dev << 32 | self.next_record;
        let Some((id, doc, mut lead)) = self.pick_lead(pick) else {
            return;
        };
        let before = doc.heads();
        let now = 10_000 + i64::from(value);
        if lead.visits.is_empty() || what.is_multiple_of(4) {
            let visit = Visit {
                id: VisitId::from_uuid(Uuid::from_u128(0x5151 << 64 | record)),
                arrived_at: now,
                left_at: None,
                salesperson: user,
                party_size: 1 + u32::from(value % 4),
                kind: VisitKind::ALL[value as usize % VisitKind::ALL.len()],
                outcome: VisitOutcome::Lead,
                lead: Some(lead.id),
                steps: VisitSteps::default(),
                created_by: user,
            };
            let lead_id = lead.id;
            if doc.put_record(&visit, user, now).ok().flatten().is_some() {
                assert_eq!(read_visit(doc, visit.id).as_ref(), Some(&visit));
                self.visits.push((lead_id, visit.id));
                self.next_record += 1;
            }
        } else {
            let n = lead.visits.len();
            let v = &mut lead.visits[value as usize % n];
            match what % 4 {
                1 => v.left_at = Some(now),
                2 => {
                    // Taken over by this device's user: not an author field.
                    v.party_size = 1 + u32::from(value % 7);
                    v.salesperson = user;
                }
                _ => match value % 5 {
                    0 => v.steps.greeted = !v.steps.greeted,
                    1 => v.steps.needs_analysis = !v.steps.needs_analysis,
                    2 => v.steps.test_drive = !v.steps.test_drive,
                    3 => v.steps.quote = !v.steps.quote,
                    _ => v.steps.negotiation = !v.steps.negotiation,
                },
            }
            // Both write paths: the record alone, or the lead's edit.
            let v = v.clone();
            if value.is_multiple_of(2) {
                let _ = doc.put_record(&v, user, now);
            } else {
                let _ = doc.update(&lead, user, now);
            }
            assert_eq!(read_visit(doc, v.id), Some(v), "the edit reads back");
        }
        self.record(id, &before);
    }

    /// Books a test drive on a lead, or takes one of its drives a step on.
    fn drive(&mut self, pick: usize, what: u8, value: u8) {
        let (user, dev, dealer) = (self.user, self.id as u128, self.dealer);
        let record = dev << 32 | self.next_record;
        let Some((id, doc, mut lead)) = self.pick_lead(pick) else {
            return;
        };
        let before = doc.heads();
        let now = 20_000 + i64::from(value);
        if lead.drives.is_empty() || what.is_multiple_of(6) {
            let drive = TestDrive {
                id: DriveId::from_uuid(Uuid::from_u128(0xd41e << 64 | record)),
                car: car_id(dealer, 1 + u128::from(value % 2)),
                start: now,
                end: now + 1_800_000,
                status: DriveStatus::Booked,
                licence: None,
                signature: None,
                out: None,
                back: None,
                created_by: user,
                created_at: now,
            };
            if doc.put_record(&drive, user, now).ok().flatten().is_some() {
                assert_eq!(read_drive(doc, drive.id).as_ref(), Some(&drive));
                self.drives.push((lead.id, drive.id));
                self.next_record += 1;
            }
        } else {
            let n = lead.drives.len();
            let d = &mut lead.drives[value as usize % n];
            match what % 6 {
                1 => {
                    d.licence = Some(Licence {
                        number: format!("330106{value:08}"),
                        class: LicenceClass::C1,
                        expires: Date::from_ymd(2030, 1, 1 + u32::from(value % 28))
                            .expect("a date"),
                    });
                }
                2 => {
                    d.signature = Some(Signature {
                        strokes: Strokes::encode(&[vec![(u16::from(value), 10), (20, 30)]]),
                        typed_name: String::new(),
                        agreement_version: 1,
                        language: "zh".into(),
                        signed_at: now,
                        captured_by: user,
                    });
                }
                3 => {
                    d.status = DriveStatus::Out;
                    d.out = Some(DriveOut {
                        at: now,
                        odometer_km: 1_000 + u32::from(value),
                        fuel_pct: 80,
                        route: format!("Route {value}"),
                        companion: Some(user),
                        recorded_by: user,
                    });
                }
                4 => {
                    d.status = DriveStatus::Returned;
                    d.back = Some(DriveBack {
                        at: now + 1,
                        odometer_km: 1_020 + u32::from(value),
                        fuel_pct: 75,
                        damage: String::new(),
                        rating: Some(1 + u32::from(value % 5)),
                        comment: format!("comment {value} by {dev}"),
                        recorded_by: user,
                    });
                }
                _ => {
                    d.start = now;
                    d.end = now + 3_600_000;
                }
            }
            let d = d.clone();
            if value.is_multiple_of(2) {
                let _ = doc.put_record(&d, user, now);
            } else {
                let _ = doc.update(&lead, user, now);
            }
            assert_eq!(read_drive(doc, d.id), Some(d), "the edit reads back");
        }
        self.record(id, &before);
    }

    /// Follow-up on a lead: a new task, a task completed (with the next one),
    /// a lost request, a manager's decision on one (a manager's or an
    /// admin's device only: the app offers no decision to others), a reopen,
    /// or a consent given or withdrawn for a purpose.
    fn follow_up(&mut self, pick: usize, what: u8, value: u8) {
        let (user, dev, role) = (self.user, self.id as u128, self.role);
        let record = dev << 32 | self.next_record;
        let Some((id, doc, lead)) = self.pick_lead(pick) else {
            return;
        };
        let before = doc.heads();
        let now = 40_000 + i64::from(value);
        let task = |n: u128, due: i64| Task {
            id: TaskId::from_uuid(Uuid::from_u128(0x7a5c << 64 | n)),
            kind: TaskKind::ALL[value as usize % TaskKind::ALL.len()],
            due,
            assignee: user,
            note: format!("task {value} by {dev}"),
            car: None,
            completion: None,
            cancelled: false,
            created_by: user,
            created_at: now,
        };
        match what % 6 {
            0 => {
                let _ = doc.put_record(&task(record, now + 86_400_000), user, now);
            }
            1 => {
                let Some(mut t) = lead.tasks.iter().find(|t| t.is_open()).cloned() else {
                    return;
                };
                t.completion = Some(Completion {
                    outcome: Outcome::ALL[value as usize % Outcome::ALL.len()],
                    said: format!("said {value} by {dev}"),
                    at: now,
                    by: user,
                });
                let next = task(record, now + 86_400_000);
                let _ = doc.complete_task(&t, Some(&next), user, now);
            }
            2 => {
                let request = LostRequest {
                    id: LostRequestId::from_uuid(Uuid::from_u128(0x1057 << 64 | record)),
                    reason: "price".into(),
                    competitor: String::new(),
                    note: format!("lost {value} by {dev}"),
                    requested_by: user,
                    requested_at: now,
                    reopened_at: None,
                };
                let _ = doc.request_lost(&request, now);
            }
            3 if showroom_shared::rules::may_decide(role) => {
                let Some(r) = lead
                    .lost_requests
                    .iter()
                    .find(|r| decision_on(r, &lead.lost_decisions).is_none())
                else {
                    return;
                };
                let decision = LostDecision {
                    id: LostDecisionId::from_uuid(Uuid::from_u128(0xdec1 << 64 | record)),
                    request: r.id,
                    approved: value.is_multiple_of(2),
                    comment: format!("decided {value} by {dev}"),
                    decided_by: user,
                    decided_at: now,
                };
                let follow = (!decision.approved).then(|| task(record, now + 3_600_000));
                let _ = doc.decide_lost(&decision, follow.as_ref(), now);
            }
            4 => {
                let Some(r) = lead.lost_requests.iter().find(|r| {
                    r.reopened_at.is_none()
                        && matches!(r.state(&lead.lost_decisions), LostState::Approved(_))
                }) else {
                    return;
                };
                let mut r = r.clone();
                r.reopened_at = Some(now);
                let _ = doc.reopen(&r, Stage::Visited, Grade::B, user, now);
            }
            _ => {
                let purpose = Purpose::ALL[value as usize % Purpose::ALL.len()];
                let consent = record_consent(
                    &lead.consents,
                    ConsentId::from_uuid(Uuid::from_u128(0xc0 << 64 | record)),
                    purpose,
                    value.is_multiple_of(3),
                    ConsentMethod::Verbal,
                    1,
                    user,
                    now,
                );
                let _ = doc.put_consent(&consent);
            }
        }
        self.next_record += 1;
        self.record(id, &before);
    }

    /// Edits the dealer's catalogue or settings (a salesperson's device too:
    /// a forged or stale app, which the server must refuse).
    fn catalogue(&mut self, what: u8, value: u8) {
        let (dev, dealer) = (self.id, self.dealer);
        let id = DocId::dealer(dealer);
        let record = self.next_record;
        let Some(Local::Dealer(doc)) = self.docs.get_mut(&id) else {
            return;
        };
        let Ok(cat) = doc.read() else { return };
        let before = doc.heads();
        let now = 30_000 + i64::from(value);
        let pick = value as usize;
        match what % 6 {
            0 => {
                let mut t = cat.trims[pick % cat.trims.len()].clone();
                t.name = format!("Trim {value} by {dev}");
                let _ = doc.put(&t, now);
                assert_eq!(
                    doc.read().ok().as_ref().and_then(|c| c.trim(t.id)),
                    Some(&t)
                );
            }
            1 => {
                let mut t = cat.trims[pick % cat.trims.len()].clone();
                t.list_price = Money::yuan(100_000 + i64::from(value) * 1_000 + dev as i64);
                let _ = doc.put(&t, now);
                assert_eq!(
                    doc.read().ok().as_ref().and_then(|c| c.trim(t.id)),
                    Some(&t)
                );
            }
            2 => {
                let mut c = cat.colours[pick % cat.colours.len()].clone();
                c.name = format!("Colour {value} by {dev}");
                c.archived = value.is_multiple_of(2);
                let _ = doc.put(&c, now);
                let read = doc.read().expect("the catalogue reads");
                assert_eq!(read.colours.iter().find(|x| x.id == c.id), Some(&c));
            }
            3 => {
                let n = (dev as u128) << 16 | record;
                let car = DemoCar {
                    id: CarId::from_uuid(uuid(dealer, 6, n)),
                    stock_number: format!("Car by {dev}"),
                    vin: vin(u32::from(value) + 1_000 * dev as u32),
                    plate: format!("浙A·{value:03}{dev}"),
                    trim: cat.trims[pick % cat.trims.len()].id,
                    odometer_km: u32::from(value),
                    archived: false,
                };
                if doc.put(&car, now).ok().flatten().is_some() {
                    assert_eq!(
                        doc.read().ok().as_ref().and_then(|c| c.car(car.id)),
                        Some(&car)
                    );
                    self.next_record += 1;
                }
            }
            4 => {
                let mut m = cat.models[pick % cat.models.len()].clone();
                m.name = format!("Model {value} by {dev}");
                let _ = doc.put(&m, now);
                assert_eq!(
                    doc.read().ok().as_ref().and_then(|c| c.model(m.id)),
                    Some(&m)
                );
            }
            _ => {
                let mut s = cat.settings.clone();
                match value % 4 {
                    0 => s.cadence.h = u32::from(value % 3) + 1,
                    1 => s.cadence.a = u32::from(value % 5) + 2,
                    2 => s.cadence.c = u32::from(value % 20) + 10,
                    _ => s.agreement.en = format!("Agreement {value} by {dev}"),
                }
                let _ = doc.set_settings(&s, now);
                assert_eq!(doc.read().ok().map(|c| c.settings), Some(s));
            }
        }
        self.record(id, &before);
    }

    fn handle(&mut self, msg: ServerMsg) {
        for event in self.client.on_message(msg) {
            match event {
                ClientEvent::Apply {
                    docs,
                    cursor,
                    removed: _,
                    floor: _,
                    taken: _,
                } => {
                    for DocChanges { doc, changes } in docs {
                        let d = self
                            .docs
                            .entry(doc)
                            .or_insert_with(|| Local::empty(doc.kind, self.actor.clone()));
                        let parsed: Vec<_> = changes
                            .iter()
                            .filter_map(|b| parse_change(b).ok())
                            .collect();
                        d.doc().apply(parsed).expect("server changes apply");
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
                ClientEvent::Refused(r)
                    if r.code == SyncErrorCode::Forbidden
                        && r.doc == DocId::dealer(self.dealer)
                        && !may_edit_catalogue(self.role) =>
                {
                    // Its changes stay in the outbox (and on this device).
                    self.refused += 1;
                }
                ClientEvent::Refused(r) => {
                    panic!("device {} ({:?}) refused: {r:?}", self.id, self.author())
                }
                ClientEvent::CaughtUp { .. }
                | ClientEvent::Receipted { .. }
                | ClientEvent::Audited
                | ClientEvent::Ended => {}
                ClientEvent::Log { log, reset } => {
                    // This server is never restored: a device only learns its log.
                    assert!(!reset, "device {} was told to start over", self.id);
                    self.log = log;
                }
                ClientEvent::Fatal { code, message } => {
                    // Reordering can put a Push before Hello; the server closes.
                    let _ = (code, message);
                    self.conn = None;
                }
            }
        }
    }
}

/// The identity of the model server's log.
const SERVER_LOG: u64 = 1;

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
        let devices: Vec<Device> = dealers
            .iter()
            .enumerate()
            .map(|(i, d)| Device::new(i, *d))
            .collect();
        let mut server = Server {
            dealers,
            authors: devices.iter().map(Device::author).collect(),
            ..Server::default()
        };
        server.create_dealer(dealer(1));
        server.create_dealer(dealer(2));
        World {
            server,
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
        dev.client = SyncClient::new(dev.cursor, dev.log);
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
        self.quiet();
    }

    /// Delivers every message under way, and what they cause, in order.
    fn quiet(&mut self) {
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
    Visit {
        device: usize,
        pick: usize,
        what: u8,
        value: u8,
    },
    Drive {
        device: usize,
        pick: usize,
        what: u8,
        value: u8,
    },
    Catalogue {
        device: usize,
        what: u8,
        value: u8,
    },
    FollowUp {
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
    /// A quiet moment: every message under way arrives, in order, and
    /// the connected devices catch up with each other.
    Quiet,
}

fn op(devices: usize) -> impl Strategy<Value = Op> {
    let d = 0..devices;
    let edit = || (0..devices, any::<usize>(), any::<u8>(), any::<u8>());
    prop_oneof![
        2 => (d.clone(), 0u8..6).prop_map(|(device, lead)| Op::Create { device, lead }),
        3 => edit().prop_map(|(device, pick, what, value)| Op::Edit { device, pick, what, value }),
        2 => edit().prop_map(|(device, pick, what, value)| Op::Visit { device, pick, what, value }),
        2 => edit().prop_map(|(device, pick, what, value)| Op::Drive { device, pick, what, value }),
        2 => (d.clone(), any::<u8>(), any::<u8>()).prop_map(|(device, what, value)| Op::Catalogue { device, what, value }),
        3 => edit().prop_map(|(device, pick, what, value)| Op::FollowUp { device, pick, what, value }),
        2 => d.clone().prop_map(Op::Connect),
        1 => d.clone().prop_map(Op::Disconnect),
        4 => (d.clone(), proptest::bool::weighted(0.15)).prop_map(|(device, duplicate)| Op::ToServer { device, duplicate }),
        4 => (d.clone(), proptest::bool::weighted(0.15)).prop_map(|(device, duplicate)| Op::ToDevice { device, duplicate }),
        1 => (d.clone(), any::<bool>()).prop_map(|(device, upstream)| Op::Reorder { device, upstream }),
        1 => (d, any::<bool>()).prop_map(|(device, upstream)| Op::Drop { device, upstream }),
        1 => Just(Op::Quiet),
    ]
}

/// The number of devices, whether they all sync once before the operations
/// (so that every device holds the dealer's document from the start), and
/// the operations.
fn scenario() -> impl Strategy<Value = (usize, bool, Vec<Op>)> {
    (4usize..=6).prop_flat_map(|n| {
        (
            Just(n),
            proptest::bool::weighted(0.75),
            proptest::collection::vec(op(n), 1..80),
        )
    })
}

fn apply_op(w: &mut World, op: Op) {
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
        Op::Visit {
            device,
            pick,
            what,
            value,
        } => w.devices[device].visit(pick, what, value),
        Op::Drive {
            device,
            pick,
            what,
            value,
        } => w.devices[device].drive(pick, what, value),
        Op::Catalogue {
            device,
            what,
            value,
        } => w.devices[device].catalogue(what, value),
        Op::FollowUp {
            device,
            pick,
            what,
            value,
        } => w.devices[device].follow_up(pick, what, value),
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
        Op::Quiet => w.quiet(),
    }
}

fn run(n: usize, synced: bool, ops: Vec<Op>) {
    let mut w = World::new(n);
    if synced {
        w.settle();
    }
    for op in ops {
        apply_op(&mut w, op);
    }
    w.settle();
    check(&mut w);
}

/// What must hold once the network has settled.
fn check(w: &mut World) {
    // Every change a device made is on the server, and every ack was true;
    // a salesperson's catalogue edit was refused, never stored, and stays
    // in its outbox.
    let logged: HashSet<&[u8]> = w.server.log.iter().map(|e| e.bytes.as_slice()).collect();
    let forbidden: HashMap<Vec<u8>, usize> = w
        .devices
        .iter()
        .flat_map(|d| d.forbidden.iter().map(move |c| (c.clone(), d.id)))
        .collect();
    for dev in &w.devices {
        for c in dev.made.iter().chain(dev.acked.iter()) {
            assert!(
                logged.contains(c.as_slice()),
                "device {} lost a change",
                dev.id
            );
        }
        if may_edit_catalogue(dev.role) {
            assert!(dev.forbidden.is_empty());
        }
        for c in &dev.forbidden {
            assert!(
                !logged.contains(c.as_slice()),
                "the server stored a catalogue edit of salesperson device {}",
                dev.id
            );
            assert!(
                !dev.acked.contains(c),
                "device {} was acked a refused change",
                dev.id
            );
        }
        assert!(
            dev.outbox.iter().all(|(_, c)| dev.forbidden.contains(c)),
            "device {} still has {} unsent changes",
            dev.id,
            dev.outbox
                .iter()
                .filter(|(_, c)| !dev.forbidden.contains(c))
                .count()
        );
        assert_eq!(
            dev.outbox.len(),
            dev.forbidden.len(),
            "device {} dropped a refused change from its outbox",
            dev.id
        );
        assert_eq!(
            dev.refused > 0,
            !dev.forbidden.is_empty(),
            "device {}: refused {} times for {} forbidden changes",
            dev.id,
            dev.refused,
            dev.forbidden.len()
        );
    }
    // No change is logged twice.
    assert_eq!(
        logged.len(),
        w.server.log.len(),
        "a change was stored twice"
    );

    // Every device of a dealer holds exactly the server's documents, with the
    // same heads and content; only a salesperson's own dealer document may
    // hold more: its refused edits, and nothing else.
    let mut server_docs: HashMap<(DealerId, DocId), (Document, Content)> = HashMap::new();
    for (&(dealer, id), stored) in &mut w.server.docs {
        assert_eq!(stored.waiting(), 0, "server still waits for dependencies");
        let mut doc =
            Document::load(&stored.save(), actor_from_bytes([0xee; 16])).expect("snapshot loads");
        let content = doc
            .read_as(id, dealer)
            .expect("the server's document reads")
            .expect("the server's document is not empty");
        server_docs.insert((dealer, id), (doc, content));
    }
    for dev in &mut w.devices {
        let mut theirs: Vec<DocId> = server_docs
            .keys()
            .filter(|(d, _)| *d == dev.dealer)
            .map(|(_, id)| *id)
            .collect();
        let mut mine: Vec<DocId> = dev.docs.keys().copied().collect();
        mine.sort();
        theirs.sort();
        assert_eq!(
            mine, theirs,
            "device {} holds other documents than the server",
            dev.id
        );
        for id in theirs {
            let (server_doc, server_read) = server_docs.get_mut(&(dev.dealer, id)).expect("stored");
            let local = dev.docs.get_mut(&id).expect("doc").doc();
            let local_read = local
                .read_as(id, dev.dealer)
                .expect("the device's document reads")
                .expect("the device's document is not empty");
            if local.heads() == server_doc.heads() {
                assert_eq!(
                    &local_read, server_read,
                    "device {} differs on {id}",
                    dev.id
                );
                continue;
            }
            let (mine, theirs) = (change_set(local), change_set(server_doc));
            assert!(
                theirs.keys().all(|h| mine.contains_key(h)),
                "device {} misses changes of {id}",
                dev.id
            );
            for (hash, bytes) in &mine {
                if !theirs.contains_key(hash) {
                    assert_eq!(
                        forbidden.get(bytes),
                        Some(&dev.id),
                        "device {} holds a change of {id} the server does not have",
                        dev.id
                    );
                }
            }
        }
    }
    let server_content: HashMap<DocId, Content> = server_docs
        .into_iter()
        .map(|((_, id), (_, content))| (id, content))
        .collect();

    // Nothing added is lost: every visit and drive a device added is on
    // every replica of its dealer, still naming its author.
    for dev in &w.devices {
        let lead = |id: LeadId| -> &Lead {
            server_content
                .get(&DocId::lead(id))
                .and_then(Content::as_lead)
                .expect("the lead is on the server")
        };
        for (l, v) in &dev.visits {
            let visit = lead(*l).visits.iter().find(|x| x.id == *v);
            assert_eq!(
                visit.map(|v| v.created_by),
                Some(dev.user),
                "a visit of device {} is lost",
                dev.id
            );
        }
        for (l, d) in &dev.drives {
            let drive = lead(*l).drives.iter().find(|x| x.id == *d);
            assert_eq!(
                drive.map(|d| d.created_by),
                Some(dev.user),
                "a test drive of device {} is lost",
                dev.id
            );
        }
    }

    // Follow-up, on every lead the server holds (which every replica equals):
    // only managers' decisions; a lost lead has an approved open request; a
    // task completed on two devices has one completion; and a withdrawal
    // that no later event saw is never undone by a merge.
    let managers: HashSet<UserId> = w
        .devices
        .iter()
        .filter(|d| showroom_shared::rules::may_decide(d.role))
        .map(|d| d.user)
        .collect();
    for content in server_content.values() {
        let Some(l) = content.as_lead() else { continue };
        for d in &l.lost_decisions {
            assert!(
                managers.contains(&d.decided_by),
                "a non-manager's decision landed"
            );
        }
        if l.stage == Stage::Lost {
            assert!(
                lost_is_approved(&l.lost_requests, &l.lost_decisions),
                "a lead is lost without an approved request"
            );
        }
        for purpose in Purpose::ALL {
            let unseen_withdrawal = l.consents.iter().any(|c| {
                c.purpose == *purpose
                    && !c.given
                    && !l.consents.iter().any(|o| o.supersedes.contains(&c.id))
            });
            if unseen_withdrawal {
                assert!(
                    !consents_to(&l.consents, *purpose),
                    "a merge undid a withdrawal of {purpose:?}"
                );
            }
        }
    }

    // A salesperson's catalogue edit shows nowhere but on its own device:
    // the catalogue on the server (which every other replica equals) names
    // no salesperson device's edit.
    for dev in &w.devices {
        let Some(Content::Dealer(cat)) = server_content.get(&DocId::dealer(dev.dealer)) else {
            panic!("the dealer document of device {} is on the server", dev.id);
        };
        let marks: Vec<String> = w
            .devices
            .iter()
            .filter(|d| !may_edit_catalogue(d.role) && d.dealer == dev.dealer)
            .map(|d| format!(" by {}", d.id))
            .collect();
        let names = cat
            .trims
            .iter()
            .map(|t| &t.name)
            .chain(cat.colours.iter().map(|c| &c.name))
            .chain(cat.models.iter().map(|m| &m.name))
            .chain(cat.cars.iter().map(|c| &c.stock_number))
            .chain([&cat.settings.agreement.en]);
        for name in names {
            assert!(
                !marks.iter().any(|m| name.ends_with(m.as_str())),
                "a salesperson's catalogue edit landed: {name}"
            );
        }
    }

    // The rival dealer's device never received the other dealer's documents.
    let rival = &mut w.devices[0];
    for (id, doc) in &mut rival.docs {
        assert_eq!(
            doc.doc().identity_as(id.kind).ok().map(|(_, d)| d),
            Some(dealer(2))
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(1000),
        max_shrink_iters: 2000,
        ..ProptestConfig::default()
    })]

    #[test]
    fn every_replica_converges_whatever_the_network_does((n, synced, ops) in scenario()) {
        run(n, synced, ops);
    }
}

#[test]
fn an_outbox_larger_than_one_batch_arrives_whole() {
    let mut w = World::new(3);
    for lead in 0..40u128 {
        w.devices[1].create(1000 + lead);
    }
    // Each lead gets four long notes so the outbox is several batches.
    for i in 0..160 {
        let dev = &mut w.devices[1];
        let ids: Vec<DocId> = dev.docs.keys().copied().collect();
        let id = ids[i % 40];
        let Some(Local::Lead(doc)) = dev.docs.get_mut(&id) else {
            panic!("a lead")
        };
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
    assert!(total > limits::BATCH_BYTES, "{total} B");
    let pushes = SyncClient::new(0, 0)
        .connect("t", w.devices[1].pending())
        .len()
        - 1;
    assert!(pushes >= 2, "{pushes} batches");
    w.settle();
    assert!(w.devices[1].outbox.is_empty());
    let leads = |d: &Device| d.docs.keys().filter(|k| k.kind == DocKind::Lead).count();
    assert_eq!(leads(&w.devices[2]), 40);
    check(&mut w);
}

/// The scenario the property test draws at random, written out: records
/// added and edited on two devices offline, a salesperson's catalogue edit
/// and a manager's, and a sync in between.
#[test]
fn records_merge_and_only_a_manager_edits_the_catalogue() {
    let mut w = World::new(4);
    w.settle();
    // Everyone has the dealer document the server created.
    for dev in &w.devices {
        assert!(dev.docs.contains_key(&DocId::dealer(dev.dealer)));
    }
    let (sales, manager, other) = (1, 2, 3);
    assert_eq!(w.devices[sales].role, Role::Salesperson);
    assert_eq!(w.devices[manager].role, Role::Manager);
    w.devices[sales].create(1 << 8);
    w.settle();
    // Offline, three devices add visits and drives to the same lead, and a
    // salesperson and a manager edit the same trim's name and price.
    for d in [sales, manager, other] {
        w.devices[d].visit(0, 0, d as u8);
        w.devices[d].drive(0, 0, d as u8);
        w.devices[d].drive(0, 2, 1); // a signature on their own drive
    }
    w.devices[sales].catalogue(0, 0); // the first trim's name
    w.devices[manager].catalogue(1, 0); // the first trim's price
    w.devices[manager].catalogue(0, 1); // the second trim's name
    assert_eq!(w.devices[sales].forbidden.len(), 1);
    w.settle();
    check(&mut w);
    assert!(w.devices[sales].refused > 0);
    let lead = w.devices[other]
        .pick_lead(0)
        .map(|(_, _, l)| l)
        .expect("the lead");
    assert_eq!(lead.visits.len(), 3);
    assert_eq!(lead.drives.len(), 3);
    assert!(lead.drives.iter().all(|d| d.signature.is_some()));
    // The manager's edits are everywhere; the salesperson's only on its device.
    let trims = |dev: &Device| match dev.docs.get(&DocId::dealer(dev.dealer)) {
        Some(Local::Dealer(d)) => d.read().expect("the catalogue reads").trims,
        _ => panic!("no dealer document"),
    };
    let original = catalogue(dealer(1)).trims;
    for d in [manager, other] {
        let t = trims(&w.devices[d]);
        assert_eq!(t[0].name, original[0].name);
        assert_eq!(t[0].list_price, Money::yuan(100_000 + 2));
        assert_eq!(t[1].name, "Trim 1 by 2");
    }
    let t = trims(&w.devices[sales]);
    assert_eq!(
        t[0].name, "Trim 0 by 1",
        "the salesperson keeps its local copy"
    );
    assert_eq!(t[0].list_price, Money::yuan(100_000 + 2));
    // A later edit by the manager still lands everywhere, the salesperson's
    // device included (its refused change does not block what follows).
    w.devices[manager].catalogue(5, 5); // cadence A: 2 days
    w.settle();
    check(&mut w);
    for d in [sales, manager, other] {
        match w.devices[d].docs.get(&DocId::dealer(dealer(1))) {
            Some(Local::Dealer(doc)) => {
                assert_eq!(doc.read().expect("reads").settings.cadence.a, 2);
            }
            _ => panic!("no dealer document"),
        }
    }
}
