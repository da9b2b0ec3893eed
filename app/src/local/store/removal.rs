//! Removing documents the user may no longer see (a page's `removed`, see
//! `shared::visibility`), and the receipts that say so.
//!
//! A removed document leaves the device at once — its snapshot, changes,
//! summary and floor rows, in one transaction — but what the device wrote
//! in it and the server has not acknowledged stays in the outbox and is
//! still sent (the server keeps it: it was written before the device knew).
//! A `removing:<doc>` key remembers the receipt the device owes; the receipt
//! goes once the outbox holds nothing more of the document, and the key goes
//! when the server has recorded it.

use std::collections::HashSet;

use showroom_shared::domain::DocId;
use wasm_bindgen::JsValue;

use super::bus::{Origin, StoreChange, notify};
use super::ids::{doc_of_key, prefix};
use super::receive::forget;
use super::{Result, with_db};
use crate::local::db::{DOC_CHANGES, DOCS, Database, META, OUTBOX, RECORDS, SUMMARIES, Tx};
use crate::local::floor::FloorRow;

const REMOVING: &str = "removing:";

/// Removes `docs` from the device (keeping their unsent changes) and
/// remembers the receipts owed, in one transaction; then tells the lists.
pub async fn remove_docs(docs: &[DocId]) -> Result<()> {
    if docs.is_empty() {
        return Ok(());
    }
    let gone: HashSet<DocId> = docs.iter().copied().collect();
    with_db(async |db: &Database| {
        let tx = Tx::write(db, &[DOCS, DOC_CHANGES, SUMMARIES, RECORDS, META])?;
        let rows = tx.entries(RECORDS, "").await?;
        for doc in docs {
            tx.delete(DOCS, &doc.to_string())?;
            for (key, _) in tx.entries(DOC_CHANGES, &prefix(*doc)).await? {
                tx.delete(DOC_CHANGES, &key)?;
            }
            if let Some(lead) = doc.as_lead() {
                tx.delete(SUMMARIES, &lead.to_string())?;
            }
            tx.put(META, &format!("{REMOVING}{doc}"), &JsValue::TRUE)?;
        }
        // The floor rows the documents held: a lead's visits and drives, a
        // register's walk-ins.
        for (key, value) in rows {
            let row = value
                .as_string()
                .and_then(|text| serde_json::from_str::<FloorRow>(&text).ok());
            let held = match &row {
                Some(FloorRow::Visit(v)) => {
                    gone.contains(&v.doc) || v.lead.is_some_and(|l| gone.contains(&l.into()))
                }
                Some(FloorRow::Drive(d)) => gone.contains(&d.lead.into()),
                None => false,
            };
            if held {
                tx.delete(RECORDS, &key)?;
            }
        }
        tx.commit().await?;
        Ok(())
    })
    .await?;
    forget(docs);
    notify(StoreChange {
        origin: Origin::Received,
        leads: Vec::new(),
        others: Vec::new(),
        summaries: Vec::new(),
        rows: Vec::new(),
        outbox: Vec::new(),
        removed: docs.iter().filter_map(|d| d.as_lead()).collect(),
    });
    Ok(())
}

/// The removed documents whose receipts can go now: nothing of theirs is
/// left in the outbox.
pub async fn receipts_due() -> Result<Vec<DocId>> {
    with_db(async |db: &Database| {
        let tx = Tx::read(db, &[META, OUTBOX])?;
        let owed = tx.entries(META, REMOVING).await?;
        let mut keys = tx.queue_keys(OUTBOX)?;
        tx.settle(&mut keys).await?;
        tx.commit().await?;
        let unsent: HashSet<DocId> = keys
            .list()
            .into_iter()
            .filter_map(|k| k.as_string().as_deref().and_then(doc_of_key))
            .collect();
        Ok(owed
            .into_iter()
            .filter_map(|(key, _)| key.strip_prefix(REMOVING)?.parse::<DocId>().ok())
            .filter(|doc| !unsent.contains(doc))
            .collect())
    })
    .await
}

/// The server recorded these receipts: nothing is owed for them any more.
pub async fn receipted(docs: &[DocId]) -> Result<()> {
    with_db(async |db: &Database| {
        let tx = Tx::write(db, &[META])?;
        for doc in docs {
            tx.delete(META, &format!("{REMOVING}{doc}"))?;
        }
        tx.commit().await?;
        Ok(())
    })
    .await
}
