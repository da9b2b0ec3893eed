//! The outbox: the changes saved on this device that the server has not
//! acknowledged yet — read for a push, grouped by document, cleared by the
//! server's acknowledgement, discarded when the server refuses them, and
//! filled again with this device's own changes after the server is restored
//! from a backup.

use std::collections::HashSet;

use crate::local::db::Database;
use showroom_shared::doc::{ChangeHash, Document, parse_change};
use showroom_shared::domain::{DocId, DocKind};
use showroom_shared::sync::DocChanges;
use wasm_bindgen::JsValue;

use super::bus::{Origin, StoreChange, notify};
use super::docs::{derive, load_in, put_derived};
use super::ids::{actor, change_key, doc_of_key, own_actors, prefix};
use super::receive::{KNOWN_PER_TX, META_CURSOR, META_LOG, know, yield_now};
use super::{Result, StoreError, with_db};
use crate::local::db::{
    self, DOC_CHANGES, DOCS, META, OUTBOX, RECORDS, Read, SUMMARIES, Tx, bytes_of,
};

/// One outbox entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pending {
    pub key: String,
    pub doc: DocId,
    pub bytes: Vec<u8>,
}

/// Everything in the outbox, oldest key order.
pub async fn outbox() -> Result<Vec<Pending>> {
    with_db(async |db: &Database| {
        let tx = Tx::read(db, &[OUTBOX])?;
        let entries = tx.entries(OUTBOX, "").await?;
        tx.commit().await?;
        let pending: Vec<Pending> = entries
            .into_iter()
            .filter_map(|(key, value)| {
                let doc = doc_of_key(&key)?;
                Some(Pending {
                    bytes: bytes_of(&value)?,
                    key,
                    doc,
                })
            })
            .collect();
        // Whatever is pushed can come back changed: the device holds it.
        know(pending.iter().map(|p| p.doc));
        Ok(pending)
    })
    .await
}

/// Outbox entries grouped by document, as the sync client sends them.
pub fn group(pending: &[Pending]) -> Vec<DocChanges> {
    let mut out: Vec<DocChanges> = Vec::new();
    for p in pending {
        match out.iter_mut().find(|d| d.doc == p.doc) {
            Some(d) => d.changes.push(p.bytes.clone()),
            None => out.push(DocChanges {
                doc: p.doc,
                changes: vec![p.bytes.clone()],
            }),
        }
    }
    out
}

/// How many changes wait in the outbox.
pub async fn outbox_count() -> Result<u32> {
    with_db(async |db: &Database| {
        let tx = Tx::read(db, &[OUTBOX])?;
        let n = tx.count(OUTBOX).await?;
        tx.commit().await?;
        Ok(n)
    })
    .await
}

/// Discards a document's unsynced changes (the server refused them and
/// would refuse them again): they leave the outbox **and the document**,
/// with anything made on top of them, so the device shows what the server
/// holds. The document is rebuilt from the changes it keeps (Automerge
/// cannot take a change back) and stored as a new snapshot. Returns how
/// many outbox entries went.
pub async fn discard_outbox(lead: DocId) -> Result<u32> {
    let (count, derived) = with_db(async |db: &Database| {
        let tx = Tx::write(db, &[DOCS, DOC_CHANGES, OUTBOX, SUMMARIES, RECORDS, META])?;
        let entries = tx.entries(OUTBOX, &prefix(lead)).await?;
        let mut removed: HashSet<ChangeHash> = entries
            .iter()
            .filter_map(|(_, v)| bytes_of(v).and_then(|b| parse_change(&b).ok()))
            .map(|c| c.hash())
            .collect();
        for (key, _) in &entries {
            tx.delete(OUTBOX, key)?;
        }
        let mut derived = None;
        if let Some(mut loaded) = load_in(&tx, lead).await?
            && !removed.is_empty()
        {
            // In causal order: a change on top of a removed one goes too.
            let mut kept = Vec::new();
            for change in loaded.doc.changes_since(&[]) {
                if removed.contains(&change.hash())
                    || change.deps().iter().any(|d| removed.contains(d))
                {
                    removed.insert(change.hash());
                } else {
                    kept.push(change);
                }
            }
            let mut doc = Document::empty(actor());
            doc.apply(kept)
                .map_err(|e| StoreError::Damaged(e.to_string()))?;
            for (key, hash) in &loaded.changes {
                // Changes still waiting for a dependency stay beside it.
                if doc.has_change(hash) || removed.contains(hash) {
                    tx.delete(DOC_CHANGES, key)?;
                }
            }
            if doc.is_empty() {
                // The server never had any of it (its creation was refused):
                // it leaves the device, summary included.
                tx.delete(DOCS, &lead.to_string())?;
                if let Some(id) = lead.as_lead() {
                    tx.delete(SUMMARIES, &id.to_string())?;
                }
                derived = Some(None);
            } else {
                tx.put_bytes(DOCS, &lead.to_string(), &doc.save_uncompressed())?;
                loaded.doc = doc;
                let d = derive(lead, &loaded.doc, None);
                put_derived(&tx, &d)?;
                derived = Some(Some(d));
            }
        }
        tx.commit().await?;
        Ok((u32::try_from(entries.len()).unwrap_or(u32::MAX), derived))
    })
    .await?;
    if let Some(derived) = derived {
        // Told like a change from elsewhere: lists and the open page re-read
        // it, and sync has nothing to push.
        let gone = derived.is_none();
        let derived = derived.unwrap_or_default();
        notify(StoreChange {
            origin: Origin::OtherTab,
            leads: lead.as_lead().into_iter().collect(),
            others: if lead.kind == DocKind::Lead {
                Vec::new()
            } else {
                vec![lead]
            },
            summaries: derived.summary.into_iter().collect(),
            rows: derived.rows,
            outbox: Vec::new(),
            removed: if gone {
                lead.as_lead().into_iter().collect()
            } else {
                Vec::new()
            },
        });
    }
    Ok(count)
}

/// The server stored these changes: they leave the outbox (exactly these;
/// a change saved after the push stays).
pub async fn acked(docs: &[DocChanges]) -> Result<()> {
    with_db(async |db: &Database| {
        let tx = Tx::write(db, &[OUTBOX])?;
        for doc in docs {
            for bytes in &doc.changes {
                if let Ok(change) = parse_change(bytes) {
                    tx.delete(OUTBOX, &change_key(doc.doc, &change))?;
                }
            }
        }
        tx.commit().await?;
        Ok(())
    })
    .await
}

/// The server was restored from a backup and lost what came after it: puts
/// every change this device made (by any of its page loads' actors) back in
/// the outbox, then stores the server's new log with cursor 0 — last, so an
/// interrupted re-send is asked for again at the next connection. Changes
/// others made are theirs to re-send: the server takes a change only in its
/// author's name. Returns how many changes were queued.
pub async fn resend_own(log: u64) -> Result<u32> {
    let db = db::connection().await?;
    let (own, docs) = {
        let tx = Tx::read(&db, &[META, DOCS, DOC_CHANGES])?;
        let own = own_actors(&tx).await?;
        let mut reads = [tx.queue_keys(DOCS)?, tx.queue_keys(DOC_CHANGES)?];
        tx.settle(&mut reads[1]).await?;
        tx.commit().await?;
        let mut docs: Vec<DocId> = reads
            .iter_mut()
            .flat_map(Read::list)
            .filter_map(|k| k.as_string().as_deref().and_then(doc_of_key))
            .collect();
        docs.sort_by_key(ToString::to_string);
        docs.dedup();
        (own, docs)
    };
    let mut queued = 0u32;
    for chunk in docs.chunks(KNOWN_PER_TX) {
        let tx = Tx::write(&db, &[DOCS, DOC_CHANGES, OUTBOX])?;
        for id in chunk {
            let Some(mut loaded) = load_in(&tx, *id).await? else {
                continue;
            };
            for change in loaded.doc.changes_since(&[]) {
                if own.contains(&change.actor_id().to_hex_string()) {
                    tx.put_bytes(OUTBOX, &change_key(*id, &change), change.raw_bytes())?;
                    queued = queued.saturating_add(1);
                }
            }
        }
        tx.commit().await?;
        yield_now().await;
    }
    let tx = Tx::write(&db, &[META])?;
    tx.put(META, META_LOG, &JsValue::from_f64(log as f64))?;
    tx.put(META, META_CURSOR, &JsValue::from_f64(0.0))?;
    tx.commit().await?;
    Ok(queued)
}
