//! The device side of sync: what to send on connect and on each local save,
//! and what each server message means for the local store.

use std::collections::BTreeMap;

use super::PROTOCOL_VERSION;
use super::wire::{ClientMsg, DocChanges, Refused, ServerMsg, SyncErrorCode, Taken, limits};
use crate::domain::DocId;
use crate::domain::floor::FloorRow;

/// Changes of one document waiting in the device's outbox.
pub type PendingDoc = DocChanges;

/// What the device must do after a server message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClientEvent {
    /// Apply these changes to the local documents, remove the documents
    /// in `removed` (the user may no longer see them; what the device wrote
    /// in them and the server has not acknowledged stays in the outbox until
    /// it is, then the receipt goes, see [`SyncClient::receipts`]) and, in
    /// the same local transaction, store `cursor` when it is `Some` (it is
    /// `None` when a page arrived out of order: its changes are still
    /// applied, the cursor waits).
    /// `floor`: rows of the showroom floor from documents the device does
    /// not hold (stored after the documents; a row of a document the device
    /// holds is the device's own to derive, and skipped).
    /// `taken`: of `removed`, the leads a colleague holds now.
    Apply {
        docs: Vec<DocChanges>,
        removed: Vec<DocId>,
        floor: Vec<FloorRow>,
        taken: Vec<Taken>,
        cursor: Option<u64>,
    },
    /// The device has seen everything the server had when it answered.
    CaughtUp { cursor: u64 },
    /// These changes are durably stored on the server: drop them from the outbox.
    Acked { docs: Vec<DocChanges> },
    /// The server recorded the device's receipts for these removed
    /// documents: the device forgets that it owes them.
    Receipted { docs: Vec<DocId> },
    /// The session ended (a manager, a password reset, expiry): deliver
    /// what is in the outbox, then say [`SyncClient::delivered`] and clear
    /// the device.
    Ended,
    /// The server answered the device's `Holding` (what it may not see was
    /// removed by the page before): the device need not say it again.
    Audited,
    /// The server refused this document's changes; they stay in the outbox
    /// and the user is told why.
    Refused(Refused),
    /// The server's log is `log`: store it with the cursor (in the same
    /// transaction as the next one). With `reset`, the server was restored
    /// from a backup: the cursor is now 0, and every change the device holds
    /// goes into the outbox again (the server keeps what it already has once).
    Log { log: u64, reset: bool },
    /// The connection is over for a reason retrying will not fix by itself.
    Fatal {
        code: SyncErrorCode,
        message: String,
    },
}

impl ClientEvent {
    /// The events of several messages read together, as few as they can be:
    /// each run of `Apply` and `CaughtUp` becomes one `Apply` (the documents
    /// of all, each document once with its changes in order, and the last
    /// cursor that was known) followed by the last `CaughtUp`. Any other
    /// event ends a run and keeps its place. A device that fell behind (live
    /// changes arriving faster than it writes them) then writes and redraws
    /// once for many messages instead of once per message.
    pub fn coalesce(events: Vec<ClientEvent>) -> Vec<ClientEvent> {
        let mut out = Vec::with_capacity(events.len());
        let mut run = Vec::new();
        for event in events {
            match event {
                ClientEvent::Apply { .. } | ClientEvent::CaughtUp { .. } => run.push(event),
                other => {
                    out.extend(merge_run(std::mem::take(&mut run)));
                    out.push(other);
                }
            }
        }
        out.extend(merge_run(run));
        out
    }
}

/// A run of `Apply` and `CaughtUp` events as one `Apply` and the last
/// `CaughtUp` (see [`ClientEvent::coalesce`]). A document removed by one
/// page and received whole by a later one (moved away and back) is kept
/// with what the later page brought; one received, then removed, goes.
fn merge_run(run: Vec<ClientEvent>) -> Vec<ClientEvent> {
    // Documents in order of first arrival; a removed one leaves a hole.
    let mut docs: Vec<Option<DocChanges>> = Vec::new();
    let mut at: std::collections::HashMap<DocId, usize> = std::collections::HashMap::new();
    let mut removed: Vec<DocId> = Vec::new();
    let mut floor: Vec<FloorRow> = Vec::new();
    let mut taken: Vec<Taken> = Vec::new();
    let mut cursor = None;
    let mut applies = false;
    let mut caught_up = None;
    for event in run {
        match event {
            ClientEvent::Apply {
                docs: page,
                removed: gone,
                floor: rows,
                taken: took,
                cursor: c,
            } => {
                applies = true;
                taken.retain(|t| !took.iter().any(|n| n.doc == t.doc));
                taken.extend(took);
                // Later rows win when stored (a row is the latest state of
                // its visit or drive).
                floor.extend(rows);
                cursor = c.or(cursor);
                for d in page {
                    if !removed.is_empty() {
                        removed.retain(|r| *r != d.doc);
                        taken.retain(|t| t.doc != d.doc);
                    }
                    match at.get(&d.doc).and_then(|&i| docs[i].as_mut()) {
                        Some(held) => held.changes.extend(d.changes),
                        None => {
                            at.insert(d.doc, docs.len());
                            docs.push(Some(d));
                        }
                    }
                }
                for doc in gone {
                    if let Some(i) = at.remove(&doc) {
                        docs[i] = None;
                    }
                    if !removed.contains(&doc) {
                        removed.push(doc);
                    }
                }
            }
            ClientEvent::CaughtUp { cursor: c } => caught_up = Some(c),
            // A run holds only the two kinds above.
            _ => {}
        }
    }
    let mut out = Vec::with_capacity(2);
    if applies {
        out.push(ClientEvent::Apply {
            docs: docs.into_iter().flatten().collect(),
            removed,
            floor,
            taken,
            cursor,
        });
    }
    out.extend(caught_up.map(|cursor| ClientEvent::CaughtUp { cursor }));
    out
}

#[derive(Debug)]
pub struct SyncClient {
    cursor: u64,
    log: u64,
    next_batch: u64,
    in_flight: BTreeMap<u64, Vec<DocChanges>>,
    /// Receipts sent and not acknowledged yet, by batch.
    receipts_in_flight: BTreeMap<u64, Vec<DocId>>,
    /// The batch of a `Holding` sent and not acknowledged yet.
    audit_in_flight: Option<u64>,
    connected: bool,
    /// While catching up: the cursor the connection started from and the
    /// last sequence number the server said it had.
    catching_up: Option<(u64, u64)>,
}

impl SyncClient {
    /// A client that has seen the changes of the server log `log` up to
    /// `cursor` (`log` 0: none known yet).
    pub fn new(cursor: u64, log: u64) -> Self {
        SyncClient {
            cursor,
            log,
            next_batch: 1,
            in_flight: BTreeMap::new(),
            receipts_in_flight: BTreeMap::new(),
            audit_in_flight: None,
            connected: false,
            catching_up: None,
        }
    }

    /// While this connection catches up on many changes: (received, of how
    /// many), counted in the server's sequence numbers since it connected.
    pub fn receiving(&self) -> Option<(u64, u64)> {
        self.catching_up.map(|(start, head)| {
            (
                self.cursor.saturating_sub(start),
                head.saturating_sub(start),
            )
        })
    }

    pub fn cursor(&self) -> u64 {
        self.cursor
    }

    /// The server log the cursor counts in (0: not known yet).
    pub fn log(&self) -> u64 {
        self.log
    }

    pub fn is_connected(&self) -> bool {
        self.connected
    }

    /// Number of pushed batches not acknowledged yet.
    pub fn in_flight(&self) -> usize {
        self.in_flight.len()
    }

    /// The opening messages of a connection: `Hello`, then every pending
    /// change in batches. Sent together, without waiting for answers.
    pub fn connect(&mut self, token: &str, pending: Vec<PendingDoc>) -> Vec<ClientMsg> {
        self.connected = true;
        self.in_flight.clear();
        self.receipts_in_flight.clear();
        self.audit_in_flight = None;
        self.catching_up = None;
        let mut out = vec![ClientMsg::Hello {
            protocol: PROTOCOL_VERSION,
            token: token.to_owned(),
            cursor: self.cursor,
            log: self.log,
        }];
        out.extend(self.push(pending));
        out
    }

    /// Batches of local changes to send now (nothing while disconnected: the
    /// outbox keeps them for the next connection).
    pub fn push(&mut self, pending: Vec<PendingDoc>) -> Vec<ClientMsg> {
        if !self.connected {
            return Vec::new();
        }
        let mut out = Vec::new();
        let mut batch: Vec<DocChanges> = Vec::new();
        let mut size = 0usize;
        for doc in pending.into_iter().filter(|d| !d.changes.is_empty()) {
            let doc_size: usize = 20 + doc.changes.iter().map(|c| c.len() + 3).sum::<usize>();
            if !batch.is_empty()
                && (size + doc_size > limits::BATCH_BYTES || batch.len() == limits::BATCH_DOCS)
            {
                out.push(self.seal(std::mem::take(&mut batch)));
                size = 0;
            }
            size += doc_size;
            batch.push(doc);
        }
        if !batch.is_empty() {
            out.push(self.seal(batch));
        }
        out
    }

    fn seal(&mut self, docs: Vec<DocChanges>) -> ClientMsg {
        let batch = self.next_batch;
        self.next_batch += 1;
        self.in_flight.insert(batch, docs.clone());
        ClientMsg::Push { batch, docs }
    }

    /// The receipts for documents the device has removed (nothing while
    /// disconnected: the device sends them again on the next connection
    /// until the server has them).
    pub fn receipts(&mut self, docs: Vec<DocId>) -> Option<ClientMsg> {
        if !self.connected || docs.is_empty() {
            return None;
        }
        let batch = self.next_batch;
        self.next_batch += 1;
        self.receipts_in_flight.insert(batch, docs.clone());
        Some(ClientMsg::Removed { batch, docs })
    }

    /// Says which documents the device holds (see [`ClientMsg::Holding`]);
    /// the server's page removes those the user may not see, then
    /// [`ClientEvent::Audited`] says it is done.
    pub fn holding(&mut self, docs: Vec<DocId>) -> Option<ClientMsg> {
        if !self.connected {
            return None;
        }
        let batch = self.next_batch;
        self.next_batch += 1;
        self.audit_in_flight = Some(batch);
        Some(ClientMsg::Holding { batch, docs })
    }

    /// After [`ClientEvent::Ended`], once nothing is in flight: the last
    /// delivery is done.
    pub fn delivered(&mut self) -> Option<ClientMsg> {
        (self.connected && self.in_flight.is_empty()).then_some(ClientMsg::Delivered)
    }

    /// The connection closed or failed. Unacknowledged batches are forgotten
    /// here; their changes are still in the outbox and go out on reconnect.
    pub fn disconnected(&mut self) {
        self.connected = false;
        self.in_flight.clear();
        self.receipts_in_flight.clear();
        self.catching_up = None;
    }

    pub fn on_message(&mut self, msg: ServerMsg) -> Vec<ClientEvent> {
        match msg {
            ServerMsg::Changes {
                from,
                to,
                complete,
                remaining,
                docs,
                removed,
                floor,
                taken,
            } => {
                let before = self.cursor;
                let cursor = if from <= self.cursor && to >= self.cursor {
                    self.cursor = to;
                    Some(to)
                } else {
                    None
                };
                if cursor.is_some() {
                    self.catching_up = if complete || remaining == 0 {
                        None
                    } else {
                        let start = self.catching_up.map_or(before, |(start, _)| start);
                        Some((start, to.saturating_add(remaining)))
                    };
                }
                let mut events = vec![ClientEvent::Apply {
                    docs,
                    removed,
                    floor,
                    taken,
                    cursor,
                }];
                if complete && cursor.is_some() {
                    events.push(ClientEvent::CaughtUp {
                        cursor: self.cursor,
                    });
                }
                events
            }
            ServerMsg::Ack { batch, refused } => {
                if let Some(docs) = self.receipts_in_flight.remove(&batch) {
                    return vec![ClientEvent::Receipted { docs }];
                }
                if self.audit_in_flight == Some(batch) {
                    self.audit_in_flight = None;
                    return vec![ClientEvent::Audited];
                }
                let Some(docs) = self.in_flight.remove(&batch) else {
                    // A duplicate or stale ack: nothing is known to be in flight under it.
                    return Vec::new();
                };
                let refused_ids: Vec<DocId> = refused.iter().map(|r| r.doc).collect();
                let acked: Vec<DocChanges> = docs
                    .into_iter()
                    .filter(|d| !refused_ids.contains(&d.doc))
                    .collect();
                let mut events = Vec::new();
                if !acked.is_empty() {
                    events.push(ClientEvent::Acked { docs: acked });
                }
                events.extend(refused.into_iter().map(ClientEvent::Refused));
                events
            }
            ServerMsg::Ended => vec![ClientEvent::Ended],
            ServerMsg::Log { log, reset } => {
                self.log = log;
                if reset {
                    self.cursor = 0;
                    self.catching_up = None;
                }
                vec![ClientEvent::Log { log, reset }]
            }
            ServerMsg::Error { code, message } => {
                self.disconnected();
                vec![ClientEvent::Fatal { code, message }]
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::LeadId;
    use uuid::Uuid;

    fn doc(n: u128, sizes: &[usize]) -> DocChanges {
        DocChanges {
            doc: DocId::lead(LeadId::from_uuid(Uuid::from_u128(n))),
            changes: sizes.iter().map(|s| vec![7; *s]).collect(),
        }
    }

    #[test]
    fn a_document_removed_then_received_whole_is_kept_and_one_received_then_removed_goes() {
        use ClientEvent::*;
        let events = vec![
            Apply {
                docs: vec![doc(1, &[1]), doc(2, &[2])],
                cursor: Some(10),
                removed: vec![doc(3, &[]).doc],
                floor: Vec::new(),
                taken: Vec::new(),
            },
            Apply {
                docs: vec![doc(3, &[5, 6])],
                cursor: Some(11),
                removed: vec![doc(2, &[]).doc],
                floor: Vec::new(),
                taken: Vec::new(),
            },
        ];
        assert_eq!(
            ClientEvent::coalesce(events),
            vec![Apply {
                docs: vec![doc(1, &[1]), doc(3, &[5, 6])],
                cursor: Some(11),
                removed: vec![doc(2, &[]).doc],
                floor: Vec::new(),
                taken: Vec::new(),
            }]
        );
    }

    #[test]
    fn receipts_are_sent_only_when_connected_and_their_ack_says_so() {
        let mut c = SyncClient::new(0, 0);
        let gone = vec![doc(4, &[]).doc];
        assert_eq!(c.receipts(gone.clone()), None, "not while disconnected");
        c.connect("t", vec![]);
        let Some(ClientMsg::Removed { batch, docs }) = c.receipts(gone.clone()) else {
            panic!("a receipt")
        };
        assert_eq!(docs, gone);
        assert_eq!(
            c.on_message(ServerMsg::Ack {
                batch,
                refused: vec![]
            }),
            vec![ClientEvent::Receipted { docs: gone }]
        );
    }

    #[test]
    fn messages_read_together_are_applied_once_in_order() {
        use ClientEvent::*;
        let refused = super::Refused {
            doc: doc(9, &[]).doc,
            code: SyncErrorCode::Forbidden,
            message: "no".into(),
        };
        let events = vec![
            Apply {
                docs: vec![doc(1, &[1]), doc(2, &[2])],
                cursor: Some(10),
                removed: Vec::new(),
                floor: Vec::new(),
                taken: Vec::new(),
            },
            CaughtUp { cursor: 10 },
            Apply {
                docs: vec![doc(2, &[3]), doc(3, &[4])],
                cursor: Some(12),
                removed: Vec::new(),
                floor: Vec::new(),
                taken: Vec::new(),
            },
            CaughtUp { cursor: 12 },
            // A page out of order: applied, the cursor stays at the last known.
            Apply {
                docs: vec![doc(1, &[5])],
                cursor: None,
                removed: Vec::new(),
                floor: Vec::new(),
                taken: Vec::new(),
            },
            Refused(refused.clone()),
            Apply {
                docs: vec![doc(4, &[6])],
                cursor: Some(20),
                removed: Vec::new(),
                floor: Vec::new(),
                taken: Vec::new(),
            },
        ];
        let mut two = doc(2, &[2]);
        two.changes.push(vec![7; 3]);
        let mut one = doc(1, &[1]);
        one.changes.push(vec![7; 5]);
        assert_eq!(
            ClientEvent::coalesce(events),
            vec![
                Apply {
                    docs: vec![one, two, doc(3, &[4])],
                    cursor: Some(12),
                    removed: Vec::new(),
                    floor: Vec::new(),
                    taken: Vec::new(),
                },
                CaughtUp { cursor: 12 },
                Refused(refused),
                Apply {
                    docs: vec![doc(4, &[6])],
                    cursor: Some(20),
                    removed: Vec::new(),
                    floor: Vec::new(),
                    taken: Vec::new(),
                },
            ],
            "one document once, its changes in the order they came; other events keep their place"
        );
        assert_eq!(ClientEvent::coalesce(vec![]), vec![]);
    }

    #[test]
    fn connect_sends_hello_and_batches_at_once() {
        let mut c = SyncClient::new(42, 0);
        let msgs = c.connect("tok", vec![doc(1, &[100]), doc(2, &[200, 50]), doc(3, &[])]);
        assert_eq!(msgs.len(), 2);
        assert_eq!(
            msgs[0],
            ClientMsg::Hello {
                protocol: PROTOCOL_VERSION,
                token: "tok".into(),
                cursor: 42,
                log: 0,
            }
        );
        let ClientMsg::Push { docs, .. } = &msgs[1] else {
            panic!("{msgs:?}")
        };
        assert_eq!(docs.len(), 2, "documents without changes are not sent");
    }

    #[test]
    fn big_outboxes_are_split_into_batches() {
        let mut c = SyncClient::new(0, 0);
        let many: Vec<DocChanges> = (0..10).map(|i| doc(i, &[100 * 1024])).collect();
        let msgs = c.connect("t", many);
        let pushes = msgs.len() - 1;
        assert!(pushes >= 2, "{pushes}");
        assert_eq!(c.in_flight(), pushes);
        for m in &msgs {
            assert!(m.encode().len() <= limits::BATCH_BYTES + 1024);
        }
    }

    #[test]
    fn many_small_documents_are_split_by_count() {
        let mut c = SyncClient::new(0, 0);
        let many: Vec<DocChanges> = (0..1200).map(|i| doc(i, &[20])).collect();
        let msgs = c.connect("t", many);
        for m in &msgs[1..] {
            let ClientMsg::Push { docs, .. } = m else {
                panic!("{m:?}")
            };
            assert!(docs.len() <= limits::BATCH_DOCS, "{}", docs.len());
            assert_eq!(
                ClientMsg::decode(&m.encode()).as_ref(),
                Ok(m),
                "the server can read it"
            );
        }
        assert_eq!(msgs.len() - 1, 3);
    }

    #[test]
    fn acks_release_exactly_the_batch_and_refusals_keep_their_doc() {
        let mut c = SyncClient::new(0, 0);
        c.connect("t", vec![doc(1, &[10]), doc(2, &[10])]);
        let refused = Refused {
            doc: doc(2, &[]).doc,
            code: SyncErrorCode::TooLarge,
            message: "big".into(),
        };
        let events = c.on_message(ServerMsg::Ack {
            batch: 1,
            refused: vec![refused.clone()],
        });
        assert_eq!(
            events,
            vec![
                ClientEvent::Acked {
                    docs: vec![doc(1, &[10])]
                },
                ClientEvent::Refused(refused)
            ]
        );
        assert!(
            c.on_message(ServerMsg::Ack {
                batch: 1,
                refused: vec![]
            })
            .is_empty(),
            "a duplicate ack does nothing"
        );
    }

    #[test]
    fn a_catch_up_says_how_far_it_has_come() {
        let mut c = SyncClient::new(100, 0);
        c.connect("t", vec![]);
        let page = |from, to, remaining| ServerMsg::Changes {
            from,
            to,
            complete: remaining == 0,
            remaining,
            docs: vec![],
            removed: Vec::new(),
            floor: Vec::new(),
            taken: Vec::new(),
        };
        assert_eq!(c.receiving(), None);
        c.on_message(page(100, 2_100, 8_000));
        assert_eq!(c.receiving(), Some((2_000, 10_000)));
        c.on_message(page(2_100, 4_100, 6_500));
        assert_eq!(
            c.receiving(),
            Some((4_000, 10_500)),
            "the head moved on meanwhile"
        );
        c.on_message(page(4_100, 10_600, 0));
        assert_eq!(c.receiving(), None, "caught up");
        c.on_message(page(10_600, 10_700, 5_000));
        c.disconnected();
        assert_eq!(c.receiving(), None, "a new connection starts again");
    }

    #[test]
    fn the_cursor_only_moves_over_contiguous_pages() {
        let mut c = SyncClient::new(10, 0);
        c.connect("t", vec![]);
        let page = |from, to| ServerMsg::Changes {
            from,
            to,
            complete: false,
            remaining: 0,
            docs: vec![],
            removed: Vec::new(),
            floor: Vec::new(),
            taken: Vec::new(),
        };
        assert_eq!(
            c.on_message(page(20, 30)),
            vec![ClientEvent::Apply {
                docs: vec![],
                cursor: None,
                removed: Vec::new(),
                floor: Vec::new(),
                taken: Vec::new(),
            }]
        );
        assert_eq!(c.cursor(), 10, "a gap (10, 20] is not skipped");
        assert_eq!(
            c.on_message(page(10, 20)),
            vec![ClientEvent::Apply {
                docs: vec![],
                cursor: Some(20),
                removed: Vec::new(),
                floor: Vec::new(),
                taken: Vec::new(),
            }]
        );
        assert_eq!(
            c.on_message(page(10, 20)),
            vec![ClientEvent::Apply {
                docs: vec![],
                cursor: Some(20),
                removed: Vec::new(),
                floor: Vec::new(),
                taken: Vec::new(),
            }],
            "a duplicate is harmless"
        );
        let done = c.on_message(ServerMsg::Changes {
            from: 20,
            to: 30,
            complete: true,
            remaining: 0,
            docs: vec![],
            removed: Vec::new(),
            floor: Vec::new(),
            taken: Vec::new(),
        });
        assert_eq!(done.last(), Some(&ClientEvent::CaughtUp { cursor: 30 }));
    }

    #[test]
    fn nothing_is_sent_while_disconnected() {
        let mut c = SyncClient::new(0, 0);
        assert!(c.push(vec![doc(1, &[5])]).is_empty());
        c.connect("t", vec![]);
        c.disconnected();
        assert!(c.push(vec![doc(1, &[5])]).is_empty());
        let fatal = ServerMsg::Error {
            code: SyncErrorCode::Unauthorized,
            message: "sign in".into(),
        };
        c.connect("t", vec![]);
        assert!(matches!(
            c.on_message(fatal).as_slice(),
            [ClientEvent::Fatal {
                code: SyncErrorCode::Unauthorized,
                ..
            }]
        ));
        assert!(!c.is_connected());
    }
}
