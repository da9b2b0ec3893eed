//! Showroom's shared core: domain types and rules, and the HTTP API contract.
//!
//! This crate does no IO: no clock, no randomness, no network, no storage.
//! Whatever needs them takes them as arguments, so the same code runs in the
//! browser (wasm32) and on the server, and is tested on the host.

// The workspace forbids unsafe code; shared's Cargo.toml relaxes it to "deny"
// only so that the counting allocator of tests/fuzz.rs can exist.
#![forbid(unsafe_code)]

pub mod api;
pub mod doc;
pub mod domain;
pub mod plural;
pub mod rules;
pub mod sync;
pub mod visibility;
