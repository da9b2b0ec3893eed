//! Binary encoding of sync messages: a kind byte, then fields as LEB128
//! varints, document ids as a kind byte and 16 bytes, and length-prefixed byte strings.
//! Compact on purpose: a change costs its own bytes plus 2–3 bytes of framing.
//! A floor row is a length-prefixed JSON object (it is stored as JSON at both
//! ends, and a page carries few).

use thiserror::Error;
use uuid::Uuid;

use crate::domain::floor::FloorRow;
use crate::domain::{DocId, DocKind, UserId};

/// Size caps, enforced when decoding and again by the server.
pub mod limits {
    /// One WebSocket message, either way. Every decoder refuses more.
    pub const MESSAGE_BYTES: usize = 4 * 1024 * 1024;
    /// One change once parsed: a compressed change is measured inflated,
    /// and inflating stops at this size. Far above a hand-typed edit (a
    /// signature image or a long note fits), well below abuse.
    pub const CHANGE_BYTES: usize = crate::doc::MAX_CHANGE_BYTES;
    /// One document once parsed: the sum of its changes' (inflated) bytes.
    /// The server refuses a change that would take a document past it.
    pub const DOCUMENT_BYTES: usize = 4 * 1024 * 1024;
    /// What a device puts in one `Push`; it splits bigger outboxes (a single
    /// document bigger than this still goes, alone).
    pub const BATCH_BYTES: usize = 512 * 1024;
    /// Documents in one `Push`: bounds the work one message can cause on the
    /// server (a push of empty documents is cheap to send, not to store).
    pub const BATCH_DOCS: usize = 500;
    /// Log rows the server puts in one `Changes` page.
    pub const PAGE_CHANGES: usize = 2000;
    /// Change bytes the server puts in one `Changes` page. A page always holds
    /// at least one change, so a change bigger than this still goes, alone;
    /// with `CHANGE_BYTES` below it, every page stays far under `MESSAGE_BYTES`.
    pub const PAGE_BYTES: usize = 1024 * 1024;
    /// No Automerge change is shorter (its chunk header alone is 10 bytes).
    pub const MIN_CHANGE_BYTES: usize = 16;
    /// Error messages are for people; they stay short.
    pub const MESSAGE_TEXT: usize = 1000;
    /// A floor row's JSON (ids, times, a state; a name only in rows a
    /// device writes for itself, never on the wire).
    pub const FLOOR_ROW_BYTES: usize = 2048;
    /// Documents a device may say it holds in one `Holding` (a dealer's
    /// whole history fits: 17 bytes each, 1.7 MB).
    pub const HELD_DOCS: usize = 100_000;
}

/// Why the server refused a document in a batch, or the whole connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SyncErrorCode {
    /// The token is unknown, revoked or expired: sign in again.
    Unauthorized = 1,
    /// The document does not exist for this user or may not be written by them.
    NotFound = 2,
    /// A change or the document is over its size cap.
    TooLarge = 3,
    /// Bytes that are not a valid change or message.
    Malformed = 4,
    /// The document's content breaks a rule (e.g. it names another dealer).
    Invalid = 5,
    /// The client speaks another protocol version.
    UnsupportedVersion = 6,
    /// The server failed; retry later.
    Internal = 7,
    /// The document's kind may only be changed by another role (the dealer's
    /// catalogue and settings: a manager or an admin).
    Forbidden = 8,
    /// The change adds something in another user's name: a note, a visit, a
    /// test drive or a signature names its author, and that must be the
    /// session's own user.
    NotAuthor = 9,
    /// The change alters a quote version already shown to the customer.
    Frozen = 10,
    /// The change presents a quote over its discount limit that no manager
    /// approved as it is.
    NotApproved = 11,
    /// The change marks a lead lost that no manager's decision approved.
    NotDecided = 12,
}

impl SyncErrorCode {
    fn from_u8(b: u8) -> Option<Self> {
        Some(match b {
            1 => Self::Unauthorized,
            2 => Self::NotFound,
            3 => Self::TooLarge,
            4 => Self::Malformed,
            5 => Self::Invalid,
            6 => Self::UnsupportedVersion,
            7 => Self::Internal,
            8 => Self::Forbidden,
            9 => Self::NotAuthor,
            10 => Self::Frozen,
            11 => Self::NotApproved,
            12 => Self::NotDecided,
            _ => return None,
        })
    }

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Unauthorized => "unauthorized",
            Self::NotFound => "not_found",
            Self::TooLarge => "too_large",
            Self::Malformed => "malformed",
            Self::Invalid => "invalid",
            Self::UnsupportedVersion => "unsupported_version",
            Self::Internal => "internal",
            Self::Forbidden => "forbidden",
            Self::NotAuthor => "not_author",
            Self::Frozen => "frozen",
            Self::NotApproved => "not_approved",
            Self::NotDecided => "not_decided",
        }
    }
}

/// The changes of one document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DocChanges {
    pub doc: DocId,
    pub changes: Vec<Vec<u8>>,
}

/// Changes in log order, grouped by document (documents in order of their
/// first change), as a page carries them.
pub fn group_by_doc(changes: impl IntoIterator<Item = (DocId, Vec<u8>)>) -> Vec<DocChanges> {
    let mut index: std::collections::HashMap<DocId, usize> = std::collections::HashMap::new();
    let mut docs: Vec<DocChanges> = Vec::new();
    for (doc, bytes) in changes {
        match index.get(&doc) {
            Some(i) => docs[*i].changes.push(bytes),
            None => {
                index.insert(doc, docs.len());
                docs.push(DocChanges {
                    doc,
                    changes: vec![bytes],
                });
            }
        }
    }
    docs
}

/// A document the server refused in a batch, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refused {
    pub doc: DocId,
    pub code: SyncErrorCode,
    pub message: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClientMsg {
    /// First message of a connection: who I am and what I have seen.
    Hello {
        protocol: u8,
        token: String,
        cursor: u64,
        /// The identity of the server log `cursor` counts in (0: none yet).
        log: u64,
    },
    /// Changes the server has not acknowledged.
    Push { batch: u64, docs: Vec<DocChanges> },
    /// Receipts: these documents, which a page said to remove, are gone
    /// from the device (with nothing of theirs left unsent). The server
    /// answers `Ack { batch }` once they are recorded.
    Removed { batch: u64, docs: Vec<DocId> },
    /// The documents the device holds, once after an upgrade to a protocol
    /// that narrows what a device may see (a tab signed in before holds
    /// colleagues' leads): the server answers with a page removing those its
    /// user may not see, then `Ack { batch }`.
    Holding { batch: u64, docs: Vec<DocId> },
    /// After [`ServerMsg::Ended`]: everything the device had written is
    /// acknowledged; it clears itself, and the session's last delivery is
    /// over (the server accepts nothing more from it).
    Delivered,
}

/// A document the device removes that a colleague holds now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Taken {
    pub doc: DocId,
    pub by: UserId,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ServerMsg {
    /// Changes with sequence numbers in `(from, to]`, the receiver's own left out.
    /// `complete` says the device has now seen everything up to `to`;
    /// `remaining` how many more sequence numbers the log held after `to`
    /// when the page was read (0 when complete): what a device shows as
    /// progress ("Receiving 3,200 of 10,000"). `removed`: documents this
    /// device's user may no longer see as of `to` (a move in the page); the
    /// device removes them with the page, once what it wrote in them has
    /// been acknowledged, and says so with [`ClientMsg::Removed`]. A
    /// document the user gains in the page comes whole in `docs`. `floor`:
    /// the showroom floor's rows (visits, test drives) of the page's
    /// documents the user may not see, without their customer
    /// ([`FloorRow::anonymous`]); the device stores them beside the rows it
    /// derives from its own documents.
    Changes {
        from: u64,
        to: u64,
        complete: bool,
        remaining: u64,
        docs: Vec<DocChanges>,
        removed: Vec<DocId>,
        floor: Vec<FloorRow>,
        /// Of `removed`, the leads a colleague holds now, and who: what
        /// the device tells its user ("Wang Fang claimed this lead first").
        taken: Vec<Taken>,
    },
    /// Batch `batch` is durably stored, except the documents in `refused`.
    Ack { batch: u64, refused: Vec<Refused> },
    /// The identity of the server's log, sent after Hello when the device
    /// named another (or none). `reset`: the device's cursor counts in a log
    /// this server no longer has (it was restored from a backup): the device
    /// starts over from 0 and re-sends every change it holds; the pages that
    /// follow count from 0.
    Log { log: u64, reset: bool },
    /// A manager ended this device's session (or it expired) while the
    /// device may still hold work the server never received: the device
    /// sends what it wrote (it went with Hello), receives nothing more, and
    /// once all is acknowledged says [`ClientMsg::Delivered`] and clears
    /// itself. Changes made after the session ended are kept aside by the
    /// server, never applied.
    Ended,
    /// The connection cannot go on (bad token, bad protocol); it closes after this.
    Error {
        code: SyncErrorCode,
        message: String,
    },
}

#[derive(Debug, Error, PartialEq, Eq)]
pub enum DecodeError {
    #[error("the message is empty")]
    Empty,
    #[error("the message is larger than {0} bytes")]
    TooLarge(usize),
    #[error("unknown message kind {0:#04x}")]
    UnknownKind(u8),
    #[error("the message ends too early")]
    Truncated,
    #[error("a number in the message is too large")]
    Overflow,
    #[error("a push names more than {0} documents")]
    TooManyDocs(usize),
    #[error("a change is shorter than {0} bytes")]
    ChangeTooShort(usize),
    #[error("text in the message is not UTF-8")]
    BadText,
    #[error("the message has {0} bytes left over")]
    Trailing(usize),
    #[error("unknown error code {0}")]
    UnknownCode(u8),
    #[error("unknown document kind {0}")]
    UnknownDocKind(u8),
    #[error("a floor row cannot be read")]
    BadFloorRow,
}

const HELLO: u8 = 0x01;
const PUSH: u8 = 0x02;
const REMOVED: u8 = 0x03;
const HOLDING: u8 = 0x04;
const DELIVERED: u8 = 0x05;
const ENDED: u8 = 0x85;
const CHANGES: u8 = 0x81;
const ACK: u8 = 0x82;
const ERROR: u8 = 0x83;
const LOG: u8 = 0x84;

impl ClientMsg {
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::default();
        match self {
            ClientMsg::Hello {
                protocol,
                token,
                cursor,
                log,
            } => {
                w.byte(HELLO);
                w.byte(*protocol);
                w.bytes(token.as_bytes());
                w.varint(*cursor);
                w.varint(*log);
            }
            ClientMsg::Push { batch, docs } => {
                w.byte(PUSH);
                w.varint(*batch);
                w.docs(docs);
            }
            ClientMsg::Removed { batch, docs } => {
                w.byte(REMOVED);
                w.varint(*batch);
                w.ids(docs);
            }
            ClientMsg::Holding { batch, docs } => {
                w.byte(HOLDING);
                w.varint(*batch);
                w.ids(docs);
            }
            ClientMsg::Delivered => w.byte(DELIVERED),
        }
        w.0
    }

    /// The protocol a Hello names, read before anything else of it: every
    /// version's Hello begins with its kind byte and the protocol byte, so a
    /// device on another version (whose Hello has other fields) is told
    /// `unsupported_version` rather than `malformed`. `None` for a message
    /// that is not a Hello.
    pub fn hello_protocol(bytes: &[u8]) -> Option<u8> {
        match bytes {
            [HELLO, protocol, ..] => Some(*protocol),
            _ => None,
        }
    }

    pub fn decode(bytes: &[u8]) -> Result<ClientMsg, DecodeError> {
        let mut r = Reader::new(bytes)?;
        let msg = match r.byte()? {
            HELLO => ClientMsg::Hello {
                protocol: r.byte()?,
                token: r.text(4096)?,
                cursor: r.varint()?,
                log: r.varint()?,
            },
            PUSH => ClientMsg::Push {
                batch: r.varint()?,
                docs: r.docs(Some(limits::BATCH_DOCS))?,
            },
            REMOVED => ClientMsg::Removed {
                batch: r.varint()?,
                docs: r.ids(limits::PAGE_CHANGES)?,
            },
            HOLDING => ClientMsg::Holding {
                batch: r.varint()?,
                docs: r.ids(limits::HELD_DOCS)?,
            },
            DELIVERED => ClientMsg::Delivered,
            other => return Err(DecodeError::UnknownKind(other)),
        };
        r.finish()?;
        Ok(msg)
    }
}

impl ServerMsg {
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::default();
        match self {
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
                w.byte(CHANGES);
                w.varint(*from);
                w.varint(*to);
                w.byte(u8::from(*complete));
                w.varint(*remaining);
                w.docs(docs);
                w.ids(removed);
                w.varint(floor.len() as u64);
                for row in floor {
                    w.bytes(row.to_json().as_bytes());
                }
                w.varint(taken.len() as u64);
                for t in taken {
                    w.id(t.doc);
                    w.0.extend_from_slice(t.by.0.as_bytes());
                }
            }
            ServerMsg::Ack { batch, refused } => {
                w.byte(ACK);
                w.varint(*batch);
                w.varint(refused.len() as u64);
                for r in refused {
                    w.id(r.doc);
                    w.byte(r.code as u8);
                    w.bytes(truncate(&r.message).as_bytes());
                }
            }
            ServerMsg::Ended => w.byte(ENDED),
            ServerMsg::Log { log, reset } => {
                w.byte(LOG);
                w.varint(*log);
                w.byte(u8::from(*reset));
            }
            ServerMsg::Error { code, message } => {
                w.byte(ERROR);
                w.byte(*code as u8);
                w.bytes(truncate(message).as_bytes());
            }
        }
        w.0
    }

    pub fn decode(bytes: &[u8]) -> Result<ServerMsg, DecodeError> {
        let mut r = Reader::new(bytes)?;
        let msg = match r.byte()? {
            CHANGES => ServerMsg::Changes {
                from: r.varint()?,
                to: r.varint()?,
                complete: r.byte()? != 0,
                remaining: r.varint()?,
                docs: r.docs(None)?,
                removed: r.ids(limits::PAGE_CHANGES)?,
                floor: r.floor_rows()?,
                taken: r.taken()?,
            },
            ACK => {
                let batch = r.varint()?;
                let n = r.count(18)?;
                let mut refused = Vec::with_capacity(n);
                for _ in 0..n {
                    refused.push(Refused {
                        doc: r.id()?,
                        code: r.code()?,
                        message: r.text(limits::MESSAGE_TEXT * 4)?,
                    });
                }
                ServerMsg::Ack { batch, refused }
            }
            LOG => ServerMsg::Log {
                log: r.varint()?,
                reset: r.byte()? != 0,
            },
            ENDED => ServerMsg::Ended,
            ERROR => ServerMsg::Error {
                code: r.code()?,
                message: r.text(limits::MESSAGE_TEXT * 4)?,
            },
            other => return Err(DecodeError::UnknownKind(other)),
        };
        r.finish()?;
        Ok(msg)
    }
}

fn truncate(s: &str) -> &str {
    match s.char_indices().nth(limits::MESSAGE_TEXT) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

#[derive(Default)]
struct Writer(Vec<u8>);

impl Writer {
    fn byte(&mut self, b: u8) {
        self.0.push(b);
    }

    fn varint(&mut self, mut n: u64) {
        loop {
            let low = (n & 0x7f) as u8;
            n >>= 7;
            if n == 0 {
                self.0.push(low);
                return;
            }
            self.0.push(low | 0x80);
        }
    }

    fn bytes(&mut self, b: &[u8]) {
        self.varint(b.len() as u64);
        self.0.extend_from_slice(b);
    }

    fn id(&mut self, id: DocId) {
        self.0.push(id.kind.code());
        self.0.extend_from_slice(id.id.as_bytes());
    }

    fn ids(&mut self, ids: &[DocId]) {
        self.varint(ids.len() as u64);
        for id in ids {
            self.id(*id);
        }
    }

    fn docs(&mut self, docs: &[DocChanges]) {
        self.varint(docs.len() as u64);
        for d in docs {
            self.id(d.doc);
            self.varint(d.changes.len() as u64);
            for c in &d.changes {
                self.bytes(c);
            }
        }
    }
}

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn new(buf: &'a [u8]) -> Result<Self, DecodeError> {
        if buf.is_empty() {
            return Err(DecodeError::Empty);
        }
        if buf.len() > limits::MESSAGE_BYTES {
            return Err(DecodeError::TooLarge(limits::MESSAGE_BYTES));
        }
        Ok(Reader { buf, pos: 0 })
    }

    fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    fn byte(&mut self) -> Result<u8, DecodeError> {
        let b = *self.buf.get(self.pos).ok_or(DecodeError::Truncated)?;
        self.pos += 1;
        Ok(b)
    }

    fn varint(&mut self) -> Result<u64, DecodeError> {
        let mut n: u64 = 0;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            let part = u64::from(b & 0x7f);
            if shift == 63 && part > 1 {
                return Err(DecodeError::Overflow);
            }
            n |= part << shift;
            if b & 0x80 == 0 {
                return Ok(n);
            }
        }
        Err(DecodeError::Overflow)
    }

    /// A count of items each at least `min_item` bytes long; a count the rest
    /// of the message cannot hold is refused before anything is allocated.
    fn count(&mut self, min_item: usize) -> Result<usize, DecodeError> {
        let n = usize::try_from(self.varint()?).map_err(|_| DecodeError::Overflow)?;
        if n.saturating_mul(min_item) > self.remaining() {
            return Err(DecodeError::Truncated);
        }
        Ok(n)
    }

    fn slice(&mut self, max: usize, too_large: DecodeError) -> Result<&'a [u8], DecodeError> {
        let len = usize::try_from(self.varint()?).map_err(|_| DecodeError::Overflow)?;
        if len > max {
            return Err(too_large);
        }
        if len > self.remaining() {
            return Err(DecodeError::Truncated);
        }
        let s = &self.buf[self.pos..self.pos + len];
        self.pos += len;
        Ok(s)
    }

    fn text(&mut self, max: usize) -> Result<String, DecodeError> {
        let s = self.slice(max, DecodeError::TooLarge(max))?;
        std::str::from_utf8(s)
            .map(str::to_owned)
            .map_err(|_| DecodeError::BadText)
    }

    fn id(&mut self) -> Result<DocId, DecodeError> {
        let code = self.byte()?;
        let kind = DocKind::from_code(code).ok_or(DecodeError::UnknownDocKind(code))?;
        Ok(DocId::new(kind, self.uuid()?))
    }

    /// 16 bytes of an id.
    fn uuid(&mut self) -> Result<Uuid, DecodeError> {
        let end = self.pos + 16;
        let bytes: [u8; 16] = self
            .buf
            .get(self.pos..end)
            .and_then(|s| s.try_into().ok())
            .ok_or(DecodeError::Truncated)?;
        self.pos = end;
        Ok(Uuid::from_bytes(bytes))
    }

    fn code(&mut self) -> Result<SyncErrorCode, DecodeError> {
        let b = self.byte()?;
        SyncErrorCode::from_u8(b).ok_or(DecodeError::UnknownCode(b))
    }

    /// Document ids (17 bytes each), at most `max` of them.
    fn ids(&mut self, max: usize) -> Result<Vec<DocId>, DecodeError> {
        let n = self.count(17)?;
        if n > max {
            return Err(DecodeError::TooManyDocs(max));
        }
        (0..n).map(|_| self.id()).collect()
    }

    /// Leads and who holds them now (33 bytes each), at most a page's rows.
    fn taken(&mut self) -> Result<Vec<Taken>, DecodeError> {
        let n = self.count(33)?;
        if n > limits::PAGE_CHANGES {
            return Err(DecodeError::TooManyDocs(limits::PAGE_CHANGES));
        }
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            let doc = self.id()?;
            let by = UserId::from_uuid(self.uuid()?);
            out.push(Taken { doc, by });
        }
        Ok(out)
    }

    /// Floor rows, each JSON of at most `FLOOR_ROW_BYTES`.
    fn floor_rows(&mut self) -> Result<Vec<FloorRow>, DecodeError> {
        let n = self.count(2)?;
        // Grown as rows decode: a row is far larger in memory than its
        // 2-byte minimum on the wire, so `n` is no size to reserve.
        let mut rows = Vec::new();
        for _ in 0..n {
            let text = self.text(limits::FLOOR_ROW_BYTES)?;
            rows.push(FloorRow::from_json(&text).ok_or(DecodeError::BadFloorRow)?);
        }
        Ok(rows)
    }

    /// Documents and their changes. A change's size is bounded here only by
    /// the message: a change over `CHANGE_BYTES` is the receiver's to refuse
    /// for its document alone (the server answers `TooLarge` for it and
    /// stores the rest of the batch).
    fn docs(&mut self, max_docs: Option<usize>) -> Result<Vec<DocChanges>, DecodeError> {
        let n = self.count(18)?;
        if let Some(max) = max_docs
            && n > max
        {
            return Err(DecodeError::TooManyDocs(max));
        }
        let mut docs = Vec::with_capacity(n);
        for _ in 0..n {
            let doc = self.id()?;
            // Each change is at least MIN_CHANGE_BYTES on the wire, so what a
            // message decodes to stays within a small multiple of its size
            // (a `Vec` costs 24 bytes whatever it holds).
            let m = self.count(limits::MIN_CHANGE_BYTES + 1)?;
            let mut changes = Vec::with_capacity(m);
            for _ in 0..m {
                let len = self.remaining();
                let change = self.slice(len, DecodeError::Truncated)?;
                if change.len() < limits::MIN_CHANGE_BYTES {
                    return Err(DecodeError::ChangeTooShort(limits::MIN_CHANGE_BYTES));
                }
                changes.push(change.to_vec());
            }
            docs.push(DocChanges { doc, changes });
        }
        Ok(docs)
    }

    fn finish(&self) -> Result<(), DecodeError> {
        match self.remaining() {
            0 => Ok(()),
            n => Err(DecodeError::Trailing(n)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Ids of every kind, so each round-trip test covers the kind byte.
    fn id(n: u128) -> DocId {
        let kind = DocKind::ALL[(n % DocKind::ALL.len() as u128) as usize];
        DocId::new(kind, Uuid::from_u128(n))
    }

    #[test]
    fn every_message_round_trips() {
        let docs = vec![
            DocChanges {
                doc: id(1),
                changes: vec![vec![1; 16], vec![0; 300]],
            },
            DocChanges {
                doc: id(2),
                changes: vec![],
            },
        ];
        let client = [
            ClientMsg::Hello {
                protocol: 1,
                token: "shr_abc".into(),
                cursor: 1 << 40,
                log: 1 << 52,
            },
            ClientMsg::Push {
                batch: 7,
                docs: docs.clone(),
            },
            ClientMsg::Removed {
                batch: 8,
                docs: vec![id(3), id(4)],
            },
            ClientMsg::Holding {
                batch: 9,
                docs: vec![id(5), id(6), id(7)],
            },
            ClientMsg::Delivered,
        ];
        for m in client {
            assert_eq!(ClientMsg::decode(&m.encode()), Ok(m));
        }
        let server = [
            ServerMsg::Changes {
                from: 3,
                to: 300,
                complete: false,
                remaining: 9_700,
                docs: docs.clone(),
                removed: Vec::new(),
                floor: Vec::new(),
                taken: Vec::new(),
            },
            ServerMsg::Changes {
                from: 3,
                to: 300,
                complete: true,
                remaining: 0,
                docs,
                removed: vec![id(5)],
                floor: Vec::new(),
                taken: vec![Taken {
                    doc: id(5),
                    by: UserId::from_uuid(Uuid::from_u128(8)),
                }],
            },
            ServerMsg::Ack {
                batch: 7,
                refused: vec![Refused {
                    doc: id(9),
                    code: SyncErrorCode::TooLarge,
                    message: "太大".into(),
                }],
            },
            ServerMsg::Error {
                code: SyncErrorCode::Unauthorized,
                message: "sign in again".into(),
            },
            ServerMsg::Ended,
        ];
        for m in server {
            assert_eq!(ServerMsg::decode(&m.encode()), Ok(m));
        }
    }

    #[test]
    fn framing_costs_a_few_bytes_per_change() {
        let change = vec![0u8; 150];
        let one = ClientMsg::Push {
            batch: 1,
            docs: vec![DocChanges {
                doc: id(1),
                changes: vec![change.clone()],
            }],
        }
        .encode();
        // kind + batch + doc count + document id (kind byte + 16 bytes) +
        // change count + length prefix.
        assert_eq!(one.len(), 150 + 1 + 1 + 1 + (1 + 16) + 1 + 2);
    }

    #[test]
    fn malformed_messages_are_errors() {
        assert_eq!(ClientMsg::decode(&[]), Err(DecodeError::Empty));
        assert_eq!(
            ClientMsg::decode(&[0x42]),
            Err(DecodeError::UnknownKind(0x42))
        );
        assert_eq!(ClientMsg::decode(&[PUSH, 1]), Err(DecodeError::Truncated));
        // A count of a billion documents in a 10-byte message is refused before allocating.
        assert_eq!(
            ClientMsg::decode(&[PUSH, 1, 0x80, 0x94, 0xeb, 0xdc, 0x03]),
            Err(DecodeError::Truncated)
        );
        assert_eq!(
            ClientMsg::decode(&[
                PUSH, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f
            ]),
            Err(DecodeError::Overflow)
        );
        let mut ok = ClientMsg::Push {
            batch: 1,
            docs: vec![],
        }
        .encode();
        ok.push(0);
        assert_eq!(ClientMsg::decode(&ok), Err(DecodeError::Trailing(1)));
        // A change over its cap still decodes: the server refuses its
        // document alone instead of the whole connection.
        let big = ClientMsg::Push {
            batch: 1,
            docs: vec![DocChanges {
                doc: id(1),
                changes: vec![vec![0u8; limits::CHANGE_BYTES + 1]],
            }],
        };
        assert_eq!(ClientMsg::decode(&big.encode()), Ok(big));
        // More documents than a push may name is a protocol error.
        let many = ClientMsg::Push {
            batch: 1,
            docs: (0..=limits::BATCH_DOCS as u128)
                .map(|n| DocChanges {
                    doc: id(n),
                    changes: vec![],
                })
                .collect(),
        }
        .encode();
        assert_eq!(
            ClientMsg::decode(&many),
            Err(DecodeError::TooManyDocs(limits::BATCH_DOCS))
        );
        assert_eq!(
            ClientMsg::decode(&vec![PUSH; limits::MESSAGE_BYTES + 1]),
            Err(DecodeError::TooLarge(limits::MESSAGE_BYTES))
        );
    }

    #[test]
    fn a_document_kind_this_build_does_not_know_is_refused() {
        let push = |kind: u8| {
            let mut m = vec![PUSH, 1, 1, kind];
            m.extend_from_slice(&[7; 16]);
            m.push(0);
            m
        };
        assert_eq!(
            ClientMsg::decode(&push(DocKind::Register.code())),
            Ok(ClientMsg::Push {
                batch: 1,
                docs: vec![DocChanges {
                    doc: DocId::new(DocKind::Register, Uuid::from_bytes([7; 16])),
                    changes: vec![],
                }],
            })
        );
        for kind in [0, 4, 0xff] {
            assert_eq!(
                ClientMsg::decode(&push(kind)),
                Err(DecodeError::UnknownDocKind(kind))
            );
        }
        // An id cut short is truncated, not read past the end.
        assert_eq!(
            ClientMsg::decode(&[PUSH, 1, 1, 1, 7, 7]),
            Err(DecodeError::Truncated)
        );
        let ack = ServerMsg::Ack {
            batch: 2,
            refused: vec![Refused {
                doc: DocId::new(DocKind::Dealer, Uuid::from_bytes([7; 16])),
                code: SyncErrorCode::Forbidden,
                message: "Only a manager.".into(),
            }],
        };
        let mut bytes = ack.encode();
        assert_eq!(ServerMsg::decode(&bytes), Ok(ack));
        // The ack's document kind byte: batch and count come first.
        bytes[3] = 9;
        assert_eq!(
            ServerMsg::decode(&bytes),
            Err(DecodeError::UnknownDocKind(9))
        );
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = ClientMsg::decode(&bytes);
            let _ = ServerMsg::decode(&bytes);
        }
    }
}
