//! Convergence with ownership, against the real server over real
//! WebSockets: random runs of salespeople's and a manager's devices that go
//! offline and online, create leads (their own, the pool's; some with a
//! number another lead has, a collision), write notes, claim pool leads
//! (two devices may claim one offline: the first to reach the server
//! wins), the manager merging collisions while devices that hold the
//! absorbed lead are offline with notes on it, and a manager handing leads to a colleague, to the pool and back while
//! the devices that hold them are offline, and once deactivating sales2
//! (handing their leads on first, as the Team page does) while sales2's
//! devices may be offline with notes the server never saw. At the end every device
//! connects and syncs until nothing moves, and:
//! - each device holds exactly the leads its user may see (no more, no fewer);
//! - every replica of a lead is identical (the same heads as the manager's);
//! - a merge never resurrects the absorbed lead: no device holds one;
//! - nothing written is lost: every note any device wrote is in the lead
//!   (for an absorbed lead, in the lead that absorbed it),
//!   including those written offline on a lead that was handed away meanwhile
//!   and those a deactivated salesperson's device wrote before the end; a
//!   note it wrote after the end (offline, not knowing) is kept aside, never
//!   in the lead; a deactivated salesperson's devices hold nothing.
//!
//! Each device runs the shared sans-IO client (`SyncClient`) as the app
//! does: its outbox is acknowledged before it removes a lead, and it sends
//! its receipt once nothing of the lead is left unsent.

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use showroom_shared::api::LoginResponse;
use showroom_shared::doc::{LeadDoc, actor_from_bytes};
use showroom_shared::domain::{DocId, DocKind, Note, Role, UserId};
use showroom_shared::sync::{ClientEvent, ClientMsg, DocChanges, ServerMsg, SyncClient};
use showroom_shared::visibility::{Access, Reader, may_see};
use tokio_tungstenite::tungstenite::Message;

use crate::support::{Backend, TestApp};
use crate::sync::{Socket, lead_for};

/// A small deterministic generator (xorshift), so a failing seed replays.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// One device of one user, with its documents, outbox and connection.
struct Model {
    name: String,
    login: LoginResponse,
    actor: u8,
    client: SyncClient,
    socket: Option<Socket>,
    leads: HashMap<DocId, LeadDoc>,
    /// Changes written here, not acknowledged yet.
    outbox: Vec<(DocId, Vec<u8>)>,
    /// Leads removed here whose receipt the server has not recorded.
    owed: HashSet<DocId>,
    /// Leads this device removed in the run (how the run went).
    removals: usize,
    /// The server said the session ended: deliver, then clear.
    ending: bool,
    /// The last delivery is done and the device cleared itself.
    cleared: bool,
}

impl Model {
    fn reader(&self) -> Reader {
        Reader::of(self.login.session.user.role, self.login.session.user.id)
    }

    fn user(&self) -> UserId {
        self.login.session.user.id
    }

    fn pending(&self) -> Vec<DocChanges> {
        showroom_shared::sync::group_by_doc(self.outbox.iter().cloned())
    }

    async fn send(&mut self, msgs: impl IntoIterator<Item = ClientMsg>) {
        let Some(socket) = self.socket.as_mut() else {
            return;
        };
        for msg in msgs {
            if socket
                .send(Message::Binary(msg.encode().into()))
                .await
                .is_err()
            {
                self.socket = None;
                self.client.disconnected();
                return;
            }
        }
    }

    /// An ending session: once every batch is answered, say so and clear.
    async fn finish_if_delivered(&mut self) {
        if self.ending
            && let Some(msg) = self.client.delivered()
        {
            self.send([msg]).await;
            self.disconnect();
            self.leads.clear();
            self.outbox.clear();
            self.owed.clear();
            self.ending = false;
            self.cleared = true;
        }
    }

    async fn connect(&mut self, addr: SocketAddr) {
        if self.cleared {
            return;
        }
        let (socket, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/sync"))
            .await
            .expect("websocket connects");
        self.socket = Some(socket);
        let pending = self.pending();
        let hello = self.client.connect(&self.login.token, pending);
        self.send(hello).await;
        self.send_receipts().await;
    }

    fn disconnect(&mut self) {
        self.socket = None;
        self.client.disconnected();
    }

    async fn send_receipts(&mut self) {
        let due: Vec<DocId> = self
            .owed
            .iter()
            .filter(|d| !self.outbox.iter().any(|(o, _)| o == *d))
            .copied()
            .collect();
        if let Some(msg) = self.client.receipts(due) {
            self.send([msg]).await;
        }
    }

    /// Takes in what the server sent until nothing came for `idle`.
    async fn pump(&mut self, idle: Duration) {
        loop {
            let Some(socket) = self.socket.as_mut() else {
                return;
            };
            let next = match tokio::time::timeout(idle, socket.next()).await {
                Err(_) => return,
                Ok(next) => next,
            };
            let bytes = match next {
                Some(Ok(Message::Binary(b))) => b.to_vec(),
                Some(Ok(_)) => continue,
                _ => {
                    self.disconnect();
                    return;
                }
            };
            let msg = ServerMsg::decode(&bytes).expect("the server's message decodes");
            if let ServerMsg::Error { message, .. } = &msg {
                panic!("{}: the server ended the connection: {message}", self.name);
            }
            for event in self.client.on_message(msg) {
                self.event(event).await;
            }
            self.finish_if_delivered().await;
        }
    }

    async fn event(&mut self, event: ClientEvent) {
        match event {
            ClientEvent::Apply { docs, removed, .. } => {
                for doc in removed {
                    self.removals += usize::from(self.leads.remove(&doc).is_some());
                    if doc.kind == DocKind::Lead {
                        self.owed.insert(doc);
                    }
                }
                for DocChanges { doc, changes } in docs {
                    if doc.kind != DocKind::Lead {
                        continue;
                    }
                    self.owed.remove(&doc);
                    let actor = self.actor;
                    let held = self
                        .leads
                        .entry(doc)
                        .or_insert_with(|| LeadDoc::empty(actor_from_bytes([actor; 16])));
                    held.apply_bytes(changes.iter().map(Vec::as_slice))
                        .expect("received changes apply");
                }
                self.send_receipts().await;
            }
            ClientEvent::Acked { docs } => {
                for DocChanges { doc, changes } in docs {
                    self.outbox
                        .retain(|(d, bytes)| !(*d == doc && changes.contains(bytes)));
                }
                self.send_receipts().await;
            }
            ClientEvent::Receipted { docs } => {
                for doc in docs {
                    self.owed.remove(&doc);
                }
            }
            ClientEvent::Ended => self.ending = true,
            ClientEvent::Refused(r) => panic!("{}: refused {r:?}", self.name),
            _ => {}
        }
    }

    /// Writes a note on a lead this device holds, at `at`.
    async fn note(&mut self, id: DocId, text: &str, at: i64) {
        let author = self.user();
        let doc = self.leads.get_mut(&id).expect("held");
        let heads = doc.heads();
        doc.add_note(&Note {
            author,
            at,
            text: text.to_owned(),
        })
        .expect("a note");
        let changes = changes_since(doc, &heads);
        self.wrote(id, changes).await;
    }

    /// Keeps a change written here: in the outbox, and pushed when online.
    async fn wrote(&mut self, doc: DocId, changes: Vec<Vec<u8>>) {
        let batch: Vec<DocChanges> = vec![DocChanges {
            doc,
            changes: changes.clone(),
        }];
        self.outbox.extend(changes.into_iter().map(|c| (doc, c)));
        let msgs = self.client.push(batch);
        self.send(msgs).await;
    }
}

fn changes_since(doc: &mut LeadDoc, heads: &[showroom_shared::doc::ChangeHash]) -> Vec<Vec<u8>> {
    doc.changes_since(heads)
        .iter()
        .map(|c| c.raw_bytes().to_vec())
        .collect()
}

async fn a_run(app: &TestApp, addr: SocketAddr, seed: u64) {
    let mut rng = Rng(seed);
    let mut devices = Vec::new();
    for (n, (user, device)) in [
        ("sales1", "tablet"),
        ("sales1", "phone"),
        ("sales2", "tablet"),
        ("manager", "laptop"),
    ]
    .into_iter()
    .enumerate()
    {
        devices.push(Model {
            name: format!("{user}'s {device}"),
            login: app.login_on(user, device).await,
            actor: 100 + n as u8,
            client: SyncClient::new(0, 0),
            socket: None,
            leads: HashMap::new(),
            outbox: Vec::new(),
            owed: HashSet::new(),
            removals: 0,
            ending: false,
            cleared: false,
        });
    }
    let people: Vec<UserId> = devices.iter().map(Model::user).collect();
    let manager = 3;
    let mut written: HashMap<DocId, Vec<String>> = HashMap::new();
    let mut next_lead = 0u128;
    let mut mobiles: Vec<showroom_shared::domain::Phone> = Vec::new();
    let (mut claims, mut merges) = (0usize, 0usize);
    let (mut handed, mut handed_offline) = (0usize, 0usize);
    // When sales2 was deactivated (the server's clock), once it is.
    let mut deactivated_at: Option<i64> = None;
    // Notes written after the end, by an ended device not knowing yet.
    let mut after_end: HashSet<String> = HashSet::new();
    let sales2 = 2;
    // Change times follow the server's clock, so "after the end" means
    // what it means on the server.
    let mut now = app.state.clock.now();
    for d in devices.iter_mut() {
        d.connect(addr).await;
    }
    for step in 0..60 {
        now += 1_000;
        app.advance(1_000);
        let who = rng.below(devices.len());
        match rng.below(10) {
            // Offline, or back online (sending what it wrote).
            0..=2 => {
                if devices[who].socket.is_some() {
                    devices[who].disconnect();
                } else {
                    devices[who].connect(addr).await;
                }
            }
            // Once: sales2 leaves. The manager hands their leads to the
            // pool first (on its device, maybe offline), then deactivates.
            9 if deactivated_at.is_none() && step > 20 => {
                // sales2's tablet is away (it learns of the end later).
                devices[sales2].disconnect();
                let m = &mut devices[manager];
                let user = m.user();
                let mut theirs: Vec<DocId> = m.leads.keys().copied().collect();
                theirs.sort_by_key(ToString::to_string);
                for id in theirs {
                    let doc = m.leads.get_mut(&id).expect("held");
                    let mut lead = doc.read().expect("the lead reads");
                    if lead.owner != Some(people[sales2]) {
                        continue;
                    }
                    let heads = doc.heads();
                    lead.owner = None;
                    doc.update(&lead, user, now).expect("handed on");
                    let changes = changes_since(doc, &heads);
                    m.wrote(id, changes).await;
                    handed += 1;
                }
                let path = format!("/api/v1/users/{}/deactivate", people[sales2]);
                let token = devices[manager].login.token.clone();
                let r = app
                    .call(axum::http::Method::POST, &path, Some(&token), None)
                    .await;
                assert!(r.status.is_success(), "seed {seed}: deactivated");
                deactivated_at = Some(app.state.clock.now());
                // Still away, not knowing, the tablet writes on: a note
                // timed after the end, on a lead it holds.
                now += 1_000;
                app.advance(1_000);
                let d = &mut devices[sales2];
                let mut held: Vec<DocId> = d.leads.keys().copied().collect();
                held.sort_by_key(ToString::to_string);
                if let Some(id) = held.first().copied() {
                    let text = format!("{} note after the end", d.name);
                    d.note(id, &text, now).await;
                    written.entry(id).or_default().push(text.clone());
                    after_end.insert(text);
                }
            }
            // A new lead: a salesperson's own or the pool's; a manager's for anyone.
            3 => {
                if devices[who].cleared || (who == sales2 && deactivated_at.is_some()) {
                    continue;
                }
                next_lead += 1;
                let d = &mut devices[who];
                let mut lead = lead_for(
                    &d.login,
                    u128::from(seed % 1_000_000) * 1_000 + next_lead,
                    &format!("Lead {next_lead}"),
                );
                // Now and then a customer someone already captured.
                if !mobiles.is_empty() && rng.below(4) == 0 {
                    lead.customer.mobile = Some(mobiles[rng.below(mobiles.len())].clone());
                }
                mobiles.extend(lead.customer.mobile.clone());
                lead.owner = match (d.login.session.user.role, rng.below(3)) {
                    (_, 0) => None,
                    (Role::Salesperson, _) => Some(d.user()),
                    (_, n) => Some(people[n.min(2)]),
                };
                let mut doc =
                    LeadDoc::create(actor_from_bytes([d.actor; 16]), &lead).expect("a new lead");
                let changes = changes_since(&mut doc, &[]);
                let id: DocId = lead.id.into();
                if who == sales2 && deactivated_at.is_some() {
                    continue;
                }
                // Its writer may see it: its own, the pool's, or a manager's.
                d.leads.insert(id, doc);
                d.wrote(id, changes).await;
                written.entry(id).or_default();
            }
            // A note on a lead the device holds (online or offline).
            4..=6 => {
                let d = &mut devices[who];
                let mut held: Vec<DocId> = d.leads.keys().copied().collect();
                held.sort_by_key(ToString::to_string);
                if held.is_empty() {
                    continue;
                }
                let id = held[rng.below(held.len())];
                if d.cleared {
                    continue;
                }
                let text = format!("{} note {step}", d.name);
                if who == sales2 && deactivated_at.is_some() {
                    after_end.insert(text.clone());
                }
                d.note(id, &text, now).await;
                written.entry(id).or_default().push(text);
            }
            // A salesperson claims a pool lead their device holds (online
            // or offline; another device may claim it too).
            7 if devices[who].login.session.user.role == Role::Salesperson
                && !devices[who].cleared
                && !(who == sales2 && deactivated_at.is_some()) =>
            {
                let d = &mut devices[who];
                let user = d.user();
                let mut pool: Vec<DocId> = d
                    .leads
                    .iter()
                    .filter(|(_, doc)| doc.read().is_ok_and(|l| l.owner.is_none()))
                    .map(|(id, _)| *id)
                    .collect();
                pool.sort_by_key(ToString::to_string);
                if pool.is_empty() {
                    continue;
                }
                let id = pool[rng.below(pool.len())];
                let doc = d.leads.get_mut(&id).expect("held");
                let mut lead = doc.read().expect("the lead reads");
                let heads = doc.heads();
                lead.owner = Some(user);
                doc.update(&lead, user, now).expect("claimed");
                let changes = changes_since(doc, &heads);
                d.wrote(id, changes).await;
                claims += 1;
            }
            // The manager merges a collision its laptop knows of (the
            // server decides; devices holding the absorbed lead may be
            // offline with notes on it).
            8 => {
                let m = &mut devices[manager];
                let mut open: Vec<(
                    showroom_shared::domain::collision::CollisionId,
                    DocId,
                    DocId,
                )> = m
                    .leads
                    .iter()
                    .filter_map(|(id, doc)| {
                        let lead = doc.read().ok()?;
                        let c = lead.collisions.iter().find(|c| c.is_open())?;
                        Some((c.id, *id, DocId::from(c.other)))
                    })
                    .collect();
                open.sort_by_key(|(c, ..)| c.to_string());
                if open.is_empty() {
                    continue;
                }
                let (collision, a, b) = open[rng.below(open.len())];
                let survivor = if rng.below(2) == 0 { a } else { b };
                let Some(survivor) = survivor.as_lead() else {
                    continue;
                };
                let r = app
                    .post_json(
                        &showroom_shared::api::paths::collision(collision),
                        &m.login.token,
                        &showroom_shared::api::CollisionDecision::Merged { survivor },
                    )
                    .await;
                // Decided already, or one of them absorbed by another merge.
                assert!(
                    r.status.is_success() || r.status.as_u16() == 409,
                    "seed {seed}: a merge: {} {}",
                    r.status,
                    r.text()
                );
                merges += usize::from(r.status.is_success());
            }
            // The manager hands a lead on: to a salesperson, the pool, itself.
            _ => {
                let d = &mut devices[manager];
                let mut held: Vec<DocId> = d.leads.keys().copied().collect();
                held.sort_by_key(ToString::to_string);
                if held.is_empty() {
                    continue;
                }
                let id = held[rng.below(held.len())];
                let to = match rng.below(4) {
                    0 => None,
                    n => Some(people[[0, 2, 3][n - 1]]),
                };
                let user = d.user();
                let doc = d.leads.get_mut(&id).expect("held");
                let mut lead = doc.read().expect("the lead reads");
                if lead.owner == to {
                    continue;
                }
                let heads = doc.heads();
                lead.owner = to;
                doc.update(&lead, user, now).expect("handed on");
                let changes = changes_since(doc, &heads);
                d.wrote(id, changes).await;
                handed += 1;
                if devices[..manager]
                    .iter()
                    .any(|o| o.socket.is_none() && o.leads.contains_key(&id))
                {
                    handed_offline += 1;
                }
            }
        }
        for d in devices.iter_mut() {
            d.pump(Duration::from_millis(20)).await;
        }
    }

    // Everyone online until nothing moves.
    for d in devices.iter_mut() {
        if d.socket.is_none() && !d.cleared {
            d.connect(addr).await;
        }
    }
    for _ in 0..6 {
        for d in devices.iter_mut() {
            d.pump(Duration::from_millis(150)).await;
        }
    }
    if deactivated_at.is_some() {
        assert!(
            devices[sales2].cleared,
            "seed {seed}: sales2's tablet made its last delivery"
        );
    }
    let removals: usize = devices.iter().map(|d| d.removals).sum();
    let moves = handed;
    eprintln!(
        "seed {seed}: {} leads, {moves} hand-overs ({handed_offline} while a holder was offline), {removals} removals, \
         {claims} claims, {merges} merges, sales2 deactivated: {}, {} notes after the end",
        written.len(),
        deactivated_at.is_some(),
        after_end.len()
    );
    for d in &devices {
        assert!(
            d.outbox.is_empty(),
            "{}: everything written is acknowledged",
            d.name
        );
        assert!(d.owed.is_empty(), "{}: every receipt is recorded", d.name);
    }

    // A merge's absorbed lead is on no device; what was written in it is
    // in the lead that absorbed it (followed to the end of a chain).
    let mut survivor_of: HashMap<DocId, DocId> = HashMap::new();
    for (id, doc) in &devices[manager].leads {
        for a in doc.read().expect("reads").absorbed {
            survivor_of.insert(a.lead.into(), *id);
        }
    }
    let home = |mut id: DocId| {
        while let Some(s) = survivor_of.get(&id) {
            id = *s;
        }
        id
    };
    let mut homed: HashMap<DocId, Vec<String>> = HashMap::new();
    for (id, texts) in &written {
        let at = home(*id);
        homed.entry(at).or_default().extend(texts.iter().cloned());
        if at != *id {
            for d in &devices {
                assert!(
                    !d.leads.contains_key(id),
                    "seed {seed}: {} still holds {id}, which a merge absorbed",
                    d.name
                );
            }
        }
    }
    let written = homed;

    // The manager's device holds every lead of the run.
    let mut ids: Vec<DocId> = written.keys().copied().collect();
    ids.sort_by_key(ToString::to_string);
    for id in &ids {
        let truth = devices[manager]
            .leads
            .get_mut(id)
            .unwrap_or_else(|| panic!("seed {seed}: the manager holds {id}"));
        let truth_heads = truth.heads();
        let lead = truth.read().expect("reads");
        let notes: HashSet<&str> = lead.notes.iter().map(|n| n.text.as_str()).collect();
        for text in &written[id] {
            if after_end.contains(text) {
                assert!(
                    !notes.contains(text.as_str()),
                    "seed {seed}: {id} took {text:?}, written after its writer's session ended"
                );
            } else {
                assert!(
                    notes.contains(text.as_str()),
                    "seed {seed}: {id} lost the note {text:?}"
                );
            }
        }
        let access = Access::new(DocKind::Lead, lead.owner);
        for d in devices.iter_mut() {
            if d.cleared {
                assert!(d.leads.is_empty(), "seed {seed}: {} was cleared", d.name);
                continue;
            }
            let may = may_see(d.reader(), access);
            match d.leads.get_mut(id) {
                Some(copy) => {
                    assert!(
                        may,
                        "seed {seed}: {} holds {id}, which it may not see",
                        d.name
                    );
                    assert_eq!(
                        copy.heads(),
                        truth_heads,
                        "seed {seed}: {}'s {id} differs",
                        d.name
                    );
                }
                None => assert!(!may, "seed {seed}: {} lacks {id}, which it may see", d.name),
            }
        }
    }
    // Nothing of another run's leads, and no lead the run did not write
    // (nor one a merge absorbed).
    for d in &devices {
        for id in d.leads.keys() {
            assert!(
                written.contains_key(id),
                "seed {seed}: {} holds a stray {id}",
                d.name
            );
        }
    }
}

/// Each run on a server of its own (the leads of one run are all the
/// server holds). `SHOWROOM_OWNERSHIP_SEED` replays one run.
async fn runs_with_reassignments_converge_and_each_device_holds_exactly_what_it_may_see(
    backend: Backend,
    seeds: &[u64],
) {
    let replay = std::env::var("SHOWROOM_OWNERSHIP_SEED")
        .ok()
        .and_then(|s| s.parse::<u64>().ok());
    for seed in replay.map_or_else(|| seeds.to_vec(), |s| vec![s]) {
        let app = crate::visibility::app(backend).await;
        let addr = app.serve().await;
        a_run(&app, addr, seed).await;
    }
}

#[tokio::test]
async fn sqlite_runs_with_reassignments_converge() {
    runs_with_reassignments_converge_and_each_device_holds_exactly_what_it_may_see(
        Backend::Sqlite,
        &[
            0x9e37_79b9_7f4a_7c15,
            0x2545_f491_4f6c_dd1d,
            0x1234_5678_9abc_def1,
            42,
        ],
    )
    .await
}

#[tokio::test]
async fn postgres_runs_with_reassignments_converge() {
    runs_with_reassignments_converge_and_each_device_holds_exactly_what_it_may_see(
        Backend::Postgres,
        &[0x5851_f42d_4c95_7f2d],
    )
    .await
}
