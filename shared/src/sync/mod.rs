//! The sync protocol: messages, their binary encoding, and the two state
//! machines (device side and server side). Sans-IO: events in, effects out;
//! the app and the server adapters do the sockets and the storage.
//!
//! One round trip each way on reconnect, whatever the number of documents:
//! the device opens with `Hello` (token + cursor) followed at once by `Push`
//! batches of the changes the server has not acknowledged; the server answers
//! with `Changes` pages (everything after the cursor, the device's own
//! changes left out) and one `Ack` per batch. Unchanged documents cost nothing.

mod client;
mod ingest;
mod server;
mod wire;

pub use client::{ClientEvent, PendingDoc, SyncClient};
pub use ingest::{Accepted, DocState, NewChange, Refusal, ingest};
pub use server::{Ingested, ServerAction, ServerLog, ServerSession};
pub use wire::{
    ClientMsg, DecodeError, DocChanges, Refused, ServerMsg, SyncErrorCode, Taken, group_by_doc,
    limits,
};

/// The protocol version a `Hello` carries; the server refuses others (and
/// says to reload the app). 2: `Changes` says how much remains after it.
/// 4: `Hello` names the server log its cursor counts in, and `Log` tells a
/// device the log was restored (it starts over and re-sends what it holds).
/// 5: visibility inside the dealer — `Changes` names the documents the
/// device must remove, and the device confirms with `Removed`. 6: `Changes`
/// carries the floor rows of documents the device may not see. 7: `Changes`
/// says which colleague holds each removed lead now (`taken`).
pub const PROTOCOL_VERSION: u8 = 7;
