//! The Automerge layout of Showroom's documents. Only this module knows it:
//! everything else reads and writes domain types through it.

mod lead;

pub use lead::{LeadDoc, SCHEMA_VERSION};

pub use automerge::{ActorId, Change, ChangeHash};
use thiserror::Error;

#[derive(Debug, Error)]
pub enum DocError {
    #[error("the document is damaged or not an Automerge document: {0}")]
    Automerge(String),
    #[error("the change is not a valid Automerge change: {0}")]
    BadChange(String),
    #[error("the document has no {0}")]
    Missing(&'static str),
    #[error("the document's {field} is not valid: {value:?}")]
    Invalid { field: &'static str, value: String },
    #[error("the document is of type {0:?}, not a lead")]
    WrongType(String),
}

impl From<automerge::AutomergeError> for DocError {
    fn from(err: automerge::AutomergeError) -> Self {
        DocError::Automerge(err.to_string())
    }
}

/// Parses raw change bytes, refusing anything that is not a well-formed change.
pub fn parse_change(bytes: &[u8]) -> Result<Change, DocError> {
    Change::from_bytes(bytes.to_vec()).map_err(|e| DocError::BadChange(e.to_string()))
}

/// An actor id from 16 bytes of the caller's randomness (shared does no IO).
pub fn actor_from_bytes(bytes: [u8; 16]) -> ActorId {
    ActorId::from(&bytes[..])
}
