//! Ids and actors: new random ids, this page load's Automerge actor (and
//! the record, in `meta`, of every actor that wrote on this device), and the
//! keys documents and changes are stored under.

use std::cell::OnceCell;
use std::collections::HashSet;

use showroom_shared::doc::{ActorId, Change, actor_from_bytes};
use showroom_shared::domain::{DocId, LeadId};
use wasm_bindgen::JsValue;

use super::Result;
use crate::local::db::{META, Tx};

/// 16 random bytes from the browser.
pub fn random_bytes() -> [u8; 16] {
    let mut bytes = [0u8; 16];
    let filled = web_sys::window()
        .and_then(|w| w.crypto().ok())
        .and_then(|c| c.get_random_values_with_u8_array(&mut bytes).ok())
        .is_some();
    if !filled {
        // No Web Crypto (never in a supported browser): still unique enough
        // for an actor, as it mixes the clock in.
        for (i, b) in bytes.iter_mut().enumerate() {
            *b = (js_sys::Math::random() * 256.0) as u8
                ^ (js_sys::Date::now() as u64 >> (i % 8)) as u8;
        }
    }
    bytes
}

/// A new random (v4) id: of a lead, a record, a quote …
pub fn new_uuid() -> uuid::Uuid {
    uuid::Builder::from_random_bytes(random_bytes()).into_uuid()
}

/// A new random (v4) lead id.
pub fn new_lead_id() -> LeadId {
    LeadId::from_uuid(new_uuid())
}

thread_local! {
    static ACTOR: OnceCell<ActorId> = const { OnceCell::new() };
}

/// This page load's Automerge actor. Fresh per tab: two tabs writing with
/// one actor would corrupt the documents they share.
pub fn actor() -> ActorId {
    ACTOR.with(|a| a.get_or_init(|| actor_from_bytes(random_bytes())).clone())
}

/// Notes, in the save's transaction, that this page load's actor wrote on
/// this device (`meta` `actor:<hex>`): after a restore of the server, the
/// device re-sends exactly the changes it made (`outbox::resend_own`).
pub(super) fn remember_actor(tx: &Tx<'_>) -> Result<()> {
    let key = format!("{ACTOR_PREFIX}{}", actor().to_hex_string());
    tx.put(META, &key, &JsValue::TRUE)?;
    Ok(())
}

const ACTOR_PREFIX: &str = "actor:";

/// Every actor that wrote on this device (by any of its page loads), as hex,
/// read in `tx` (see [`remember_actor`]).
pub(super) async fn own_actors(tx: &Tx<'_>) -> Result<HashSet<String>> {
    let actors = tx.entries(META, ACTOR_PREFIX).await?;
    Ok(actors
        .into_iter()
        .filter_map(|(k, _)| k.strip_prefix(ACTOR_PREFIX).map(str::to_owned))
        .collect())
}

/// The key of a document's change, in `doc_changes` and `outbox`.
pub(super) fn change_key(doc: DocId, change: &Change) -> String {
    format!("{doc}:{}", change.hash())
}

/// What every change key of `doc` starts with.
pub(super) fn prefix(doc: DocId) -> String {
    format!("{doc}:")
}

/// The document a store key names: a document id (`lead:…`), a change key
/// (`lead:…:<hash>`) or a summary's bare lead id.
pub(super) fn doc_of_key(key: &str) -> Option<DocId> {
    if let Ok(doc) = key.parse::<DocId>() {
        return Some(doc);
    }
    if let Some(doc) = key
        .rsplit_once(':')
        .and_then(|(d, _)| d.parse::<DocId>().ok())
    {
        return Some(doc);
    }
    key.parse::<LeadId>().ok().map(DocId::lead)
}
