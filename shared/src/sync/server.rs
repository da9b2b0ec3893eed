//! The server side of one sync connection: the order of things, not the
//! storage. The adapter performs each action and reports back.

use super::PROTOCOL_VERSION;
use super::wire::{ClientMsg, DecodeError, DocChanges, Refused, ServerMsg, SyncErrorCode};
use crate::domain::DocId;
use crate::domain::floor::FloorRow;

/// What the adapter must do next, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ServerAction {
    /// Check the token; answer with [`ServerSession::authenticated`].
    Authenticate {
        token: String,
    },
    /// Re-check the session, then store the batch in one transaction and
    /// answer with [`ServerSession::ingested`]. Only committed work is acked.
    Ingest {
        batch: u64,
        docs: Vec<DocChanges>,
    },
    /// Read the changes after `after` (this device's own left out) and answer
    /// with [`ServerSession::pulled`].
    Pull {
        after: u64,
    },
    /// Record that the device removed these documents (its receipts),
    /// then answer with [`ServerSession::receipted`].
    Receipts {
        batch: u64,
        docs: Vec<DocId>,
    },
    /// The ending session's device has delivered everything: close its
    /// last delivery (the session accepts nothing more), then the
    /// connection.
    Delivered,
    /// Find which of the documents the device holds its user may not see,
    /// then answer with [`ServerSession::audited`].
    Audit {
        batch: u64,
        docs: Vec<DocId>,
    },
    Send(ServerMsg),
    /// Send the page of changes committed in `(from, to]` that the adapter
    /// was handed with [`ServerSession::committed`] (built once and shared by
    /// every connection of the dealer, without reading the log).
    Deliver {
        from: u64,
        to: u64,
    },
    /// Close the connection (after sending what came before).
    Close,
}

/// The server's log as a connection starts: its identity (a restore gives
/// it a new one) and the last sequence number it handed out to the dealer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ServerLog {
    pub id: u64,
    pub head: u64,
}

/// What storing a batch did, as the state machine needs to know it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Ingested {
    /// Documents refused, with why.
    pub refused: Vec<Refused>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    AwaitHello,
    Authenticating {
        cursor: u64,
        log: u64,
    },
    Ready,
    /// The session ended; the device delivers what it wrote, nothing more.
    Ending,
    Closed,
}

#[derive(Debug)]
pub struct ServerSession {
    phase: Phase,
    cursor: u64,
    pulling: bool,
    woken: bool,
}

impl Default for ServerSession {
    fn default() -> Self {
        Self::new()
    }
}

impl ServerSession {
    pub fn new() -> Self {
        ServerSession {
            phase: Phase::AwaitHello,
            cursor: 0,
            pulling: false,
            woken: false,
        }
    }

    pub fn is_closed(&self) -> bool {
        self.phase == Phase::Closed
    }

    /// Whether the connection still waits for its Hello (the adapter closes
    /// it when that takes too long).
    pub fn awaits_hello(&self) -> bool {
        self.phase == Phase::AwaitHello
    }

    /// No Hello came in time.
    pub fn hello_timed_out(&mut self) -> Vec<ServerAction> {
        if self.phase != Phase::AwaitHello {
            return Vec::new();
        }
        self.fail(
            SyncErrorCode::Malformed,
            "No Hello was received in time; the connection is closed.",
        )
    }

    fn unsupported(&mut self) -> Vec<ServerAction> {
        self.fail(
            SyncErrorCode::UnsupportedVersion,
            format!(
                "This server speaks sync protocol {PROTOCOL_VERSION}; reload the app to update it."
            ),
        )
    }

    /// What this connection has been sent up to.
    pub fn cursor(&self) -> u64 {
        self.cursor
    }

    /// A message arrived from the device.
    pub fn on_message(&mut self, bytes: &[u8]) -> Vec<ServerAction> {
        if self.phase == Phase::Closed {
            return Vec::new();
        }
        // The version first: an older app's Hello does not decode as this
        // version's, and it must learn to reload, not that it is malformed.
        if self.phase == Phase::AwaitHello
            && let Some(protocol) = ClientMsg::hello_protocol(bytes)
            && protocol != PROTOCOL_VERSION
        {
            return self.unsupported();
        }
        let msg = match ClientMsg::decode(bytes) {
            Ok(msg) => msg,
            Err(e @ (DecodeError::TooLarge(_) | DecodeError::TooManyDocs(_))) => {
                return self.fail(
                    SyncErrorCode::TooLarge,
                    format!("The message was refused: {e}."),
                );
            }
            Err(e) => {
                return self.fail(
                    SyncErrorCode::Malformed,
                    format!("The message could not be read: {e}."),
                );
            }
        };
        match (self.phase, msg) {
            (
                Phase::AwaitHello,
                ClientMsg::Hello {
                    protocol,
                    token,
                    cursor,
                    log,
                },
            ) => {
                if protocol != PROTOCOL_VERSION {
                    return self.unsupported();
                }
                self.phase = Phase::Authenticating { cursor, log };
                vec![ServerAction::Authenticate { token }]
            }
            (Phase::Ready, ClientMsg::Push { batch, docs }) => {
                vec![ServerAction::Ingest { batch, docs }]
            }
            (Phase::Ready, ClientMsg::Removed { batch, docs }) => {
                vec![ServerAction::Receipts { batch, docs }]
            }
            (Phase::Ready, ClientMsg::Holding { batch, docs }) => {
                vec![ServerAction::Audit { batch, docs }]
            }
            (Phase::Ending, ClientMsg::Push { batch, docs }) => {
                vec![ServerAction::Ingest { batch, docs }]
            }
            // Receipts and audits mean nothing once the session ended: the
            // device is about to clear itself.
            (Phase::Ending, ClientMsg::Removed { .. } | ClientMsg::Holding { .. }) => Vec::new(),
            (Phase::Ending, ClientMsg::Delivered) => {
                self.phase = Phase::Closed;
                vec![ServerAction::Delivered, ServerAction::Close]
            }
            (Phase::Ending, _) => self.fail(
                SyncErrorCode::Unauthorized,
                "This session has ended: it may only deliver what it wrote.",
            ),
            (Phase::Ready, ClientMsg::Delivered) => {
                self.fail(SyncErrorCode::Malformed, "The session has not ended.")
            }
            (Phase::Ready, ClientMsg::Hello { .. }) => {
                self.fail(SyncErrorCode::Malformed, "Hello was already received.")
            }
            _ => self.fail(SyncErrorCode::Malformed, "The first message must be Hello."),
        }
    }

    /// The token check came back: `Ok` carries the server's log (its
    /// identity and head); `Err` why (`Unauthorized` for a bad session;
    /// `Internal` when the server could not check, so the device keeps its
    /// session and retries).
    ///
    /// A device that named this log pulls from its cursor. One that named
    /// none (a new device, or one from before logs had identities) is told
    /// the log and keeps its cursor. One that named another log (the
    /// database was restored since), or whose cursor is past the log's head
    /// (the database lost its last commits: a power cut, a restore without
    /// `mark-restored`), is told to start over: its cursor becomes 0 and it
    /// re-sends what it holds.
    pub fn authenticated(
        &mut self,
        result: Result<ServerLog, (SyncErrorCode, String)>,
    ) -> Vec<ServerAction> {
        let Phase::Authenticating { cursor, log } = self.phase else {
            return Vec::new();
        };
        match result {
            Ok(ServerLog {
                id: server_log,
                head,
            }) => {
                self.phase = Phase::Ready;
                self.pulling = true;
                let mut out = Vec::new();
                let ahead = cursor > head;
                let cursor = if log == server_log && !ahead {
                    cursor
                } else {
                    let reset = log != 0 || ahead;
                    out.push(ServerAction::Send(ServerMsg::Log {
                        log: server_log,
                        reset,
                    }));
                    if reset { 0 } else { cursor }
                };
                self.cursor = cursor;
                out.push(ServerAction::Pull { after: cursor });
                out
            }
            Err((code, message)) => self.fail(code, message),
        }
    }

    /// The token's session has ended, and may still make its last delivery
    /// (see [`ServerMsg::Ended`]): the device is told, its pushes are
    /// stored, it is sent nothing else.
    /// Also for a connection that was live when its session ended.
    pub fn ending(&mut self) -> Vec<ServerAction> {
        if !matches!(self.phase, Phase::Authenticating { .. } | Phase::Ready) {
            return Vec::new();
        }
        self.pulling = false;
        self.woken = false;
        self.phase = Phase::Ending;
        vec![ServerAction::Send(ServerMsg::Ended)]
    }

    /// The batch is committed (or the session turned out to be invalid).
    /// This device's cursor moves past its own new changes through
    /// [`ServerSession::committed`], like every other connection's.
    pub fn ingested(
        &mut self,
        batch: u64,
        result: Result<Ingested, (SyncErrorCode, String)>,
    ) -> Vec<ServerAction> {
        // Nothing is acknowledged unless it was committed; on failure the
        // connection ends and the device retries from its outbox.
        match result {
            Ok(Ingested { refused }) => vec![ServerAction::Send(ServerMsg::Ack { batch, refused })],
            Err((code, message)) => self.fail(code, message),
        }
    }

    /// The receipts of `batch` are recorded (or could not be: the
    /// connection ends and the device sends them again).
    pub fn receipted(
        &mut self,
        batch: u64,
        result: Result<(), (SyncErrorCode, String)>,
    ) -> Vec<ServerAction> {
        match result {
            Ok(()) => vec![ServerAction::Send(ServerMsg::Ack {
                batch,
                refused: Vec::new(),
            })],
            Err((code, message)) => self.fail(code, message),
        }
    }

    /// The documents of a `Holding` the device must remove (its user may
    /// not see them), with their floor rows: a page at the cursor that
    /// removes them, then the batch's acknowledgement.
    pub fn audited(
        &mut self,
        batch: u64,
        result: Result<(Vec<DocId>, Vec<FloorRow>), (SyncErrorCode, String)>,
    ) -> Vec<ServerAction> {
        let (removed, floor) = match result {
            Ok(found) => found,
            Err((code, message)) => return self.fail(code, message),
        };
        let mut out = Vec::new();
        if !removed.is_empty() {
            out.push(ServerAction::Send(ServerMsg::Changes {
                from: self.cursor,
                to: self.cursor,
                complete: false,
                remaining: 0,
                docs: Vec::new(),
                removed,
                floor,
                taken: Vec::new(),
            }));
        }
        out.push(ServerAction::Send(ServerMsg::Ack {
            batch,
            refused: Vec::new(),
        }));
        out
    }

    /// A page of changes after the cursor was read: `to` is the last sequence
    /// number looked at, `complete` whether nothing more was there, and
    /// `remaining` how many sequence numbers the log held after `to`;
    /// `removed` the documents the reader lost in the page (`taken`: those
    /// a colleague holds now), `floor` the floor rows of its documents the
    /// reader may not see.
    #[allow(clippy::too_many_arguments)]
    pub fn pulled(
        &mut self,
        to: u64,
        complete: bool,
        remaining: u64,
        docs: Vec<DocChanges>,
        removed: Vec<DocId>,
        floor: Vec<FloorRow>,
        taken: Vec<super::Taken>,
    ) -> Vec<ServerAction> {
        if self.phase != Phase::Ready {
            return Vec::new();
        }
        let from = self.cursor;
        self.cursor = self.cursor.max(to);
        let mut out = Vec::new();
        if !docs.is_empty() || !removed.is_empty() || !floor.is_empty() || complete || to > from {
            out.push(ServerAction::Send(ServerMsg::Changes {
                from,
                to: self.cursor,
                complete,
                remaining: if complete { 0 } else { remaining },
                docs,
                removed,
                floor,
                taken,
            }));
        }
        if !complete || std::mem::take(&mut self.woken) {
            out.push(ServerAction::Pull { after: self.cursor });
        } else {
            self.pulling = false;
        }
        out
    }

    /// Changes in `(from, to]` of this dealer were just committed (by any
    /// connection, this one included) and the adapter holds them as a page.
    /// When they follow this connection's cursor they are delivered as they
    /// are; what it already has is skipped; a gap (a missed or reordered
    /// event, or a catch-up under way) is filled from the log.
    pub fn committed(&mut self, from: u64, to: u64) -> Vec<ServerAction> {
        if self.phase != Phase::Ready || to <= self.cursor {
            return Vec::new();
        }
        if self.pulling {
            self.woken = true;
            return Vec::new();
        }
        if from == self.cursor {
            self.cursor = to;
            return vec![ServerAction::Deliver { from, to }];
        }
        self.wake()
    }

    /// Something may have been committed that this connection has not been
    /// handed (a lagging event stream, another server process): read the
    /// log now, or right after the read under way.
    pub fn wake(&mut self) -> Vec<ServerAction> {
        if self.phase != Phase::Ready {
            return Vec::new();
        }
        if self.pulling {
            self.woken = true;
            return Vec::new();
        }
        self.pulling = true;
        vec![ServerAction::Pull { after: self.cursor }]
    }

    /// Ends the connection with an error the device can show.
    pub fn fail(&mut self, code: SyncErrorCode, message: impl Into<String>) -> Vec<ServerAction> {
        self.phase = Phase::Closed;
        vec![
            ServerAction::Send(ServerMsg::Error {
                code,
                message: message.into(),
            }),
            ServerAction::Close,
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The server log of these tests.
    const LOG: u64 = 77;

    fn hello(cursor: u64) -> Vec<u8> {
        hello_in(cursor, LOG)
    }

    fn hello_in(cursor: u64, log: u64) -> Vec<u8> {
        ClientMsg::Hello {
            protocol: PROTOCOL_VERSION,
            token: "t".into(),
            cursor,
            log,
        }
        .encode()
    }

    /// What a session does after Hello from a device at `cursor` of log
    /// `log`, on a server whose log is `LOG` with its head at 1,000.
    fn start(cursor: u64, log: u64) -> (Vec<ServerAction>, u64) {
        let mut s = ServerSession::new();
        s.on_message(&hello_in(cursor, log));
        let actions = s.authenticated(Ok(ServerLog {
            id: LOG,
            head: 1_000,
        }));
        (actions, s.cursor())
    }

    fn told(reset: bool, after: u64) -> Vec<ServerAction> {
        vec![
            ServerAction::Send(ServerMsg::Log { log: LOG, reset }),
            ServerAction::Pull { after },
        ]
    }

    #[test]
    fn a_device_of_another_log_starts_over_and_a_new_one_learns_the_log() {
        // The database was restored: the device's cursor counts in a log
        // this server no longer has.
        assert_eq!(start(500, 12), (told(true, 0), 0));
        // A device that knows no log yet keeps its cursor and learns it.
        assert_eq!(start(40, 0), (told(false, 40), 40));
        // The log lost its last commits (a power cut): a cursor past its
        // head starts over too, whatever log it names.
        assert_eq!(start(1_200, LOG), (told(true, 0), 0));
        // The same log: nothing extra on the wire.
        assert_eq!(start(40, LOG), (vec![ServerAction::Pull { after: 40 }], 40));
    }

    #[test]
    fn hello_authenticates_then_pulls_from_the_cursor() {
        let mut s = ServerSession::new();
        assert_eq!(
            s.on_message(&hello(5)),
            vec![ServerAction::Authenticate { token: "t".into() }]
        );
        assert_eq!(
            s.authenticated(Ok(ServerLog {
                id: LOG,
                head: 1_000
            })),
            vec![ServerAction::Pull { after: 5 }]
        );
        let page = s.pulled(9, true, 0, vec![], vec![], vec![], vec![]);
        assert_eq!(
            page,
            vec![ServerAction::Send(ServerMsg::Changes {
                from: 5,
                to: 9,
                complete: true,
                remaining: 0,
                docs: vec![],
                removed: vec![],
                floor: Vec::new(),
                taken: Vec::new(),
            })]
        );
        assert_eq!(s.wake(), vec![ServerAction::Pull { after: 9 }]);
        assert_eq!(s.wake(), vec![], "already pulling");
        let next = s.pulled(12, true, 0, vec![], vec![], vec![], vec![]);
        assert_eq!(
            next.last(),
            Some(&ServerAction::Pull { after: 12 }),
            "a wake during a pull pulls again"
        );
    }

    #[test]
    fn committed_changes_after_the_cursor_are_delivered_and_gaps_are_pulled() {
        let mut s = ServerSession::new();
        assert_eq!(s.committed(0, 1), vec![], "nothing before Hello");
        s.on_message(&hello(5));
        s.authenticated(Ok(ServerLog {
            id: LOG,
            head: 1_000,
        }));
        assert_eq!(s.committed(5, 6), vec![], "a catch-up is under way");
        let after_page = s.pulled(5, true, 0, vec![], vec![], vec![], vec![]);
        assert_eq!(
            after_page.last(),
            Some(&ServerAction::Pull { after: 5 }),
            "what was committed during the catch-up is read from the log"
        );
        s.pulled(6, true, 0, vec![], vec![], vec![], vec![]);
        assert_eq!(
            s.committed(6, 8),
            vec![ServerAction::Deliver { from: 6, to: 8 }]
        );
        assert_eq!(s.cursor(), 8);
        assert_eq!(s.committed(7, 8), vec![], "already delivered");
        assert_eq!(
            s.committed(9, 10),
            vec![ServerAction::Pull { after: 8 }],
            "a gap is filled from the log"
        );
    }

    #[test]
    fn a_connection_without_hello_can_be_timed_out() {
        let mut s = ServerSession::new();
        assert!(s.awaits_hello());
        assert!(matches!(
            s.hello_timed_out().first(),
            Some(ServerAction::Send(ServerMsg::Error {
                code: SyncErrorCode::Malformed,
                ..
            }))
        ));
        assert!(s.is_closed());
        let mut s = ServerSession::new();
        s.on_message(&hello(0));
        assert_eq!(s.hello_timed_out(), vec![]);
    }

    #[test]
    fn anything_before_hello_or_garbage_closes_with_an_error() {
        let mut s = ServerSession::new();
        let push = ClientMsg::Push {
            batch: 1,
            docs: vec![],
        }
        .encode();
        assert!(matches!(
            s.on_message(&push).as_slice(),
            [
                ServerAction::Send(ServerMsg::Error {
                    code: SyncErrorCode::Malformed,
                    ..
                }),
                ServerAction::Close
            ]
        ));
        assert!(s.is_closed());
        let mut s = ServerSession::new();
        assert!(matches!(
            s.on_message(b"\xff\x00").first(),
            Some(ServerAction::Send(ServerMsg::Error { .. }))
        ));
        let mut s = ServerSession::new();
        let old = ClientMsg::Hello {
            protocol: 0,
            token: "t".into(),
            cursor: 0,
            log: 0,
        }
        .encode();
        assert!(matches!(
            s.on_message(&old).first(),
            Some(ServerAction::Send(ServerMsg::Error {
                code: SyncErrorCode::UnsupportedVersion,
                ..
            }))
        ));
    }

    /// Every earlier protocol's Hello, as that version's app encoded it:
    /// versions 1 to 3 had no log field (kind, protocol, token, cursor).
    fn earlier_hellos() -> Vec<(u8, Vec<u8>)> {
        (1..PROTOCOL_VERSION)
            .map(|v| {
                let token = b"an-old-token";
                let mut bytes = vec![0x01, v, token.len() as u8];
                bytes.extend_from_slice(token);
                bytes.push(42); // cursor
                if v >= 4 {
                    bytes.push(0); // log
                }
                (v, bytes)
            })
            .collect()
    }

    #[test]
    fn a_hello_of_any_earlier_protocol_is_told_to_reload() {
        let hellos = earlier_hellos();
        assert_eq!(hellos.len(), usize::from(PROTOCOL_VERSION - 1));
        for (version, bytes) in hellos {
            let mut s = ServerSession::new();
            let actions = s.on_message(&bytes);
            assert!(
                matches!(
                    actions.as_slice(),
                    [
                        ServerAction::Send(ServerMsg::Error {
                            code: SyncErrorCode::UnsupportedVersion,
                            ..
                        }),
                        ServerAction::Close
                    ]
                ),
                "protocol {version}: {actions:?}"
            );
        }
        // A later version's Hello, whatever follows its protocol byte.
        let mut s = ServerSession::new();
        assert!(matches!(
            s.on_message(&[0x01, PROTOCOL_VERSION + 1, 0xff]).first(),
            Some(ServerAction::Send(ServerMsg::Error {
                code: SyncErrorCode::UnsupportedVersion,
                ..
            }))
        ));
        // This version's Hello, cut short, is still malformed.
        let mut s = ServerSession::new();
        assert!(matches!(
            s.on_message(&[0x01, PROTOCOL_VERSION]).first(),
            Some(ServerAction::Send(ServerMsg::Error {
                code: SyncErrorCode::Malformed,
                ..
            }))
        ));
    }

    #[test]
    fn a_bad_token_closes_and_pushes_need_a_session() {
        let mut s = ServerSession::new();
        s.on_message(&hello(0));
        assert!(matches!(
            s.authenticated(Err((SyncErrorCode::Unauthorized, "expired".into())))
                .first(),
            Some(ServerAction::Send(ServerMsg::Error {
                code: SyncErrorCode::Unauthorized,
                ..
            }))
        ));
        assert!(
            s.on_message(
                &ClientMsg::Push {
                    batch: 1,
                    docs: vec![]
                }
                .encode()
            )
            .is_empty()
        );
    }
}
