//! One Automerge document, whatever it holds: what sync, storage and the
//! server do with every kind (apply, save, heads). The kinds' façades
//! (`LeadDoc`, `DealerDoc`, `RegisterDoc`) read and write their content.

use automerge::transaction::CommitOptions;
use automerge::{AutoCommit, ROOT, ReadDoc, ScalarValue, Value};

use super::{ActorId, Change, ChangeHash, DocError, parse_change};

/// An open document of any kind.
pub struct Document {
    pub(crate) am: AutoCommit,
}

impl std::fmt::Debug for Document {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Document").finish_non_exhaustive()
    }
}

impl Document {
    /// Opens a saved document (the output of [`Document::save`]).
    pub fn load(bytes: &[u8], actor: ActorId) -> Result<Document, DocError> {
        let am = AutoCommit::load(bytes)?.with_actor(actor);
        Ok(Document { am })
    }

    /// An empty document to apply changes to (one first seen through sync).
    pub fn empty(actor: ActorId) -> Document {
        Document {
            am: AutoCommit::new().with_actor(actor),
        }
    }

    /// The schema version the document was written with (0 when unknown).
    pub fn schema_version(&self) -> u64 {
        match self.am.get(ROOT, "schema") {
            Ok(Some((Value::Scalar(v), _))) => match v.as_ref() {
                ScalarValue::Uint(n) => *n,
                ScalarValue::Int(n) => u64::try_from(*n).unwrap_or(0),
                _ => 0,
            },
            _ => 0,
        }
    }

    /// Applies changes from elsewhere. Changes whose dependencies have not
    /// arrived yet are held by Automerge and applied when they do.
    pub fn apply(&mut self, changes: impl IntoIterator<Item = Change>) -> Result<(), DocError> {
        let changes: Vec<Change> = changes.into_iter().collect();
        self.am.apply_changes(changes)?;
        Ok(())
    }

    /// Parses and applies raw change bytes.
    pub fn apply_bytes<'a>(
        &mut self,
        raw: impl IntoIterator<Item = &'a [u8]>,
    ) -> Result<(), DocError> {
        let changes = raw
            .into_iter()
            .map(parse_change)
            .collect::<Result<Vec<_>, _>>()?;
        self.apply(changes)
    }

    /// Whether the document holds the change with this hash (applied, not just queued).
    pub fn has_change(&mut self, hash: &ChangeHash) -> bool {
        self.am.get_change_by_hash(hash).is_some()
    }

    /// Changes the document has whose dependencies are still missing.
    pub fn missing_deps(&mut self) -> Vec<ChangeHash> {
        self.am.get_missing_deps(&[])
    }

    /// Whether no change has been applied (queued ones do not count).
    pub fn is_empty(&mut self) -> bool {
        self.am.get_heads().is_empty()
    }

    pub fn heads(&mut self) -> Vec<ChangeHash> {
        self.am.get_heads()
    }

    /// The changes made since `heads` (all of them for `&[]`).
    pub fn changes_since(&mut self, heads: &[ChangeHash]) -> Vec<Change> {
        self.am.get_changes(heads)
    }

    /// A compact snapshot of the whole document.
    pub fn save(&mut self) -> Vec<u8> {
        self.am.save()
    }

    /// A snapshot whose columns are not deflated: what the device keeps.
    /// Automerge deflates only columns over 256 bytes, which a lead seldom
    /// has, and leaving deflate out of the device's code saves ~40 KB of
    /// wasm (inflate stays: it reads what others compressed). Loads like
    /// [`Document::save`]'s.
    pub fn save_uncompressed(&mut self) -> Vec<u8> {
        self.am.save_nocompress()
    }

    /// Commits what was written since the last commit as one change, or
    /// returns `None` when nothing was.
    pub(crate) fn commit(&mut self, message: &str, now: i64) -> Option<ChangeHash> {
        self.am.commit_with(
            CommitOptions::default()
                .with_message(message.to_owned())
                .with_time(now / 1000),
        )
    }
}
