//! The Automerge layout of Showroom's documents. Only this module knows it:
//! everything else reads and writes domain types through it.

mod columns;
mod dealer;
mod document;
mod lead;
mod mapping;
pub mod records;
mod register;

pub use columns::MAX_CHANGE_OPS;
pub use dealer::DealerDoc;
pub use document::Document;
pub(crate) use lead::read as read_lead;
pub use lead::{LeadDoc, SCHEMA_VERSION, owner_values, settle_owner};
pub use register::RegisterDoc;

pub use automerge::{ActorId, Change, ChangeHash};

use crate::domain::catalogue::Dealer;
use crate::domain::showroom::Register;
use crate::domain::{DealerId, DocId, DocKind, Lead};

/// How documents are kept, on the device and on the server alike: a saved
/// snapshot and the changes stored after it (the tail). Once the tail holds
/// this many changes, the next save writes a new snapshot (the device on
/// its next save of the document, the server's writer on its next commit of
/// it). One rule, here; it was 20 on the device and 32 on the server: 24
/// keeps a device's loads within a few changes of what they applied, and
/// the server rewrites a busy document's snapshot a little more often.
pub const COMPACT_AT: usize = 24;

/// Whether a document whose tail holds `tail` changes is due a new snapshot.
pub fn compaction_due(tail: usize) -> bool {
    tail >= COMPACT_AT
}

/// What a document of any kind holds, read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Content {
    Lead(Box<Lead>),
    Dealer(Box<Dealer>),
    Register(Box<Register>),
}

impl Content {
    pub fn as_lead(&self) -> Option<&Lead> {
        match self {
            Content::Lead(l) => Some(l),
            _ => None,
        }
    }

    pub fn as_dealer(&self) -> Option<&Dealer> {
        match self {
            Content::Dealer(d) => Some(d),
            _ => None,
        }
    }

    pub fn into_lead(self) -> Option<Lead> {
        match self {
            Content::Lead(l) => Some(*l),
            _ => None,
        }
    }
}

impl Document {
    /// Reads the document as a lead (whatever its id says).
    pub fn read_lead(&self) -> Result<Lead, DocError> {
        lead::read(self)
    }

    /// Reads the document as the dealer's catalogue and settings.
    pub fn read_dealer(&self) -> Result<Dealer, DocError> {
        dealer::read(self)
    }

    /// Reads the document as a showroom register.
    pub fn read_register(&self) -> Result<Register, DocError> {
        register::read(self)
    }

    /// Reads the document as the kind `id` says, or `None` when nothing has
    /// been applied yet. Its identity must match: the id it names, and the
    /// dealer (`DocError::Foreign` otherwise).
    pub fn read_as(&mut self, id: DocId, dealer: DealerId) -> Result<Option<Content>, DocError> {
        if self.is_empty() {
            return Ok(None);
        }
        let content = match id.kind {
            DocKind::Lead => {
                let lead = match lead::read(self) {
                    Ok(lead) => lead,
                    Err(e) => {
                        // A damaged lead of another id or dealer is foreign first.
                        return Err(match lead::identity(self) {
                            Ok((l, d)) if l.0 != id.id || d != dealer => DocError::Foreign,
                            _ => e,
                        });
                    }
                };
                if lead.id.0 != id.id || lead.dealer != dealer {
                    return Err(DocError::Foreign);
                }
                Content::Lead(Box::new(lead))
            }
            DocKind::Dealer => {
                let d = dealer::read(self)?;
                if d.id.map(|d| d.0) != Some(id.id) || id.id != dealer.0 {
                    return Err(DocError::Foreign);
                }
                Content::Dealer(Box::new(d))
            }
            DocKind::Register => {
                let r = register::read(self)?;
                if r.id.0 != id.id || r.dealer != dealer {
                    return Err(DocError::Foreign);
                }
                Content::Register(Box::new(r))
            }
        };
        Ok(Some(content))
    }

    /// The id and dealer the document names, without reading the rest
    /// (checked for documents of a newer schema).
    pub fn identity_as(&self, kind: DocKind) -> Result<(uuid::Uuid, DealerId), DocError> {
        match kind {
            DocKind::Lead => lead::identity(self).map(|(l, d)| (l.0, d)),
            DocKind::Dealer => dealer::identity(self).map(|d| (d.0, d)),
            DocKind::Register => register::read(self).map(|r| (r.id.0, r.dealer)),
        }
    }
}
use thiserror::Error;

#[derive(Debug, Error)]
pub enum DocError {
    #[error("the document is damaged or not an Automerge document: {0}")]
    Automerge(String),
    #[error("the change is not a valid Automerge change: {0}")]
    BadChange(String),
    #[error("the change is larger than {0} bytes once inflated")]
    TooLarge(usize),
    #[error("the document has no {0}")]
    Missing(&'static str),
    #[error("the document's {field} is not valid: {value:?}")]
    Invalid { field: &'static str, value: String },
    #[error("the document is of type {0:?}, not the kind its id says")]
    WrongType(String),
    #[error("the document names another document or another dealer")]
    Foreign,
}

impl From<automerge::AutomergeError> for DocError {
    fn from(err: automerge::AutomergeError) -> Self {
        DocError::Automerge(err.to_string())
    }
}

/// Parses change bytes from the network or storage, refusing anything that
/// is not a well-formed change of at most `max` bytes once inflated.
///
/// Automerge's own parser inflates a compressed change without a limit (an
/// 8 KB deflate stream can become 8 MB) and does not check the checksum, so
/// this looks at the chunk first: the header is read by hand, a compressed
/// change is inflated with a bound, and the checksum in the header must match
/// the change's hash (a change whose bytes were altered would otherwise be
/// stored and relayed, and a correct copy later counted as a duplicate).
/// Before automerge decodes the change, its columns are checked against its
/// bytes (`columns::check`): automerge allocates as much as a length inside a
/// string column says, before it reads the bytes; and the operations it
/// describes are counted, at most [`MAX_CHANGE_OPS`] (automerge holds every
/// one to apply the change, and runs repeat one any number of times).
pub fn parse_change_within(bytes: &[u8], max: usize) -> Result<Change, DocError> {
    if bytes.len() > max {
        return Err(DocError::TooLarge(max));
    }
    let header = chunk_header(bytes)?;
    let body = bytes.get(header.data_start..).unwrap_or_default();
    match header.kind {
        CHUNK_CHANGE => columns::check(body)?,
        CHUNK_COMPRESSED => {
            let mut inflated = Vec::new();
            let limit = u64::try_from(max).unwrap_or(u64::MAX).saturating_add(1);
            std::io::Read::read_to_end(
                &mut std::io::Read::take(flate2::read::DeflateDecoder::new(body), limit),
                &mut inflated,
            )
            .map_err(|e| {
                DocError::BadChange(format!("the compressed change does not inflate: {e}"))
            })?;
            if inflated.len() > max {
                return Err(DocError::TooLarge(max));
            }
            columns::check(&inflated)?;
        }
        other => {
            return Err(DocError::BadChange(format!(
                "chunk type {other} is not a change"
            )));
        }
    }
    let change =
        Change::from_bytes(bytes.to_vec()).map_err(|e| DocError::BadChange(e.to_string()))?;
    if change.raw_bytes().len() > max {
        return Err(DocError::TooLarge(max));
    }
    if change.hash().0[..4] != header.checksum {
        return Err(DocError::BadChange(
            "the change's checksum does not match its bytes".to_owned(),
        ));
    }
    Ok(change)
}

/// The largest change a document takes (a note, a signature, a quote
/// version are far below it). The sync protocol's cap for one change is
/// this one (`sync::limits::CHANGE_BYTES`): documents do not know sync.
pub const MAX_CHANGE_BYTES: usize = 256 * 1024;

/// [`parse_change_within`] at [`MAX_CHANGE_BYTES`].
pub fn parse_change(bytes: &[u8]) -> Result<Change, DocError> {
    parse_change_within(bytes, MAX_CHANGE_BYTES)
}

const MAGIC: [u8; 4] = [0x85, 0x6f, 0x4a, 0x83];
const CHUNK_CHANGE: u8 = 1;
const CHUNK_COMPRESSED: u8 = 2;

struct ChunkHeader {
    checksum: [u8; 4],
    kind: u8,
    data_start: usize,
}

/// An Automerge chunk's header: magic bytes, checksum, type, LEB128 length;
/// the length must cover exactly the rest of the bytes.
fn chunk_header(bytes: &[u8]) -> Result<ChunkHeader, DocError> {
    let bad = |why: &str| DocError::BadChange(why.to_owned());
    if bytes.len() < 10 || bytes[..4] != MAGIC {
        return Err(bad("not an Automerge chunk"));
    }
    let mut checksum = [0u8; 4];
    checksum.copy_from_slice(&bytes[4..8]);
    let kind = bytes[8];
    let mut len: u64 = 0;
    let mut pos = 9;
    let mut shift = 0;
    loop {
        let Some(&b) = bytes.get(pos) else {
            return Err(bad("the chunk header ends too early"));
        };
        pos += 1;
        if shift >= 63 && b > 1 {
            return Err(bad("the chunk length is too large"));
        }
        len |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            break;
        }
        shift += 7;
        if shift > 63 {
            return Err(bad("the chunk length is too large"));
        }
    }
    if u64::try_from(bytes.len() - pos).ok() != Some(len) {
        return Err(bad("the chunk length does not match its bytes"));
    }
    Ok(ChunkHeader {
        checksum,
        kind,
        data_start: pos,
    })
}

/// An actor id from 16 bytes of the caller's randomness (shared does no IO).
pub fn actor_from_bytes(bytes: [u8; 16]) -> ActorId {
    ActorId::from(&bytes[..])
}

#[cfg(test)]
mod tests {
    use super::*;
    use automerge::transaction::Transactable;

    fn big_change(text_len: usize) -> Change {
        let mut doc = automerge::AutoCommit::new();
        let _ = doc.put(automerge::ROOT, "note", "a".repeat(text_len));
        let _ = doc.commit();
        doc.get_changes(&[])
            .into_iter()
            .next()
            .unwrap_or_else(|| panic!("a change"))
    }

    #[test]
    fn a_compressed_change_is_measured_inflated() {
        let mut change = big_change(100_000);
        let compressed = change.bytes().to_vec();
        assert!(
            compressed.len() < 2_000,
            "compresses well: {}",
            compressed.len()
        );
        assert_eq!(compressed[8], CHUNK_COMPRESSED);
        assert!(parse_change_within(&compressed, 200_000).is_ok());
        assert!(matches!(
            parse_change_within(&compressed, 50_000),
            Err(DocError::TooLarge(50_000))
        ));
    }

    #[test]
    fn a_change_whose_checksum_does_not_match_is_refused() {
        let change = big_change(10);
        let mut raw = change.raw_bytes().to_vec();
        assert!(parse_change(&raw).is_ok());
        raw[4] ^= 0x01;
        assert!(
            matches!(parse_change(&raw), Err(DocError::BadChange(m)) if m.contains("checksum"))
        );
        let mut compressed = big_change(5_000).bytes().to_vec();
        compressed[5] ^= 0x01;
        assert!(parse_change(&compressed).is_err());
    }

    #[test]
    fn other_chunks_and_truncated_headers_are_refused() {
        let raw = big_change(10).raw_bytes().to_vec();
        assert!(parse_change(&raw[..9]).is_err());
        assert!(parse_change(&raw[..raw.len() - 1]).is_err());
        let mut doc_chunk = raw.clone();
        doc_chunk[8] = 0;
        assert!(parse_change(&doc_chunk).is_err());
    }
}
