//! Reads for lists: every lead summary and every floor row on the device,
//! and the direct writes tests and bulk imports use (summaries, a raw value,
//! the count of a lead's incremental changes).

use crate::local::db::Database;
use showroom_shared::domain::{DocId, LeadId};
use wasm_bindgen::JsValue;

use super::bus::{Origin, StoreChange, notify};
use super::docs::put_summary;
use super::ids::prefix;
use super::receive::{Slice, know};
use super::{Result, warn, with_db};
use crate::local::db::{DOC_CHANGES, RECORDS, SUMMARIES, Tx};
use crate::local::floor::FloorRow;
use crate::local::summary::LeadSummary;

/// Every summary on the device. An unreadable one is skipped (and logged):
/// a damaged record never stops the list. Parsed in slices that yield to
/// the page between them.
pub async fn summaries() -> Result<Vec<LeadSummary>> {
    let values = with_db(async |db: &Database| {
        let tx = Tx::read(db, &[SUMMARIES])?;
        let values = tx.values(SUMMARIES).await?;
        tx.commit().await?;
        Ok(values)
    })
    .await?;
    let mut out = Vec::with_capacity(values.len());
    let mut slice = Slice::start();
    for chunk in values.chunks(256) {
        out.extend(parse_summaries(chunk.iter().cloned()));
        slice.pause_if_due().await;
    }
    Ok(out)
}

pub(super) fn parse_summaries(values: impl Iterator<Item = JsValue>) -> Vec<LeadSummary> {
    let mut out = Vec::new();
    let mut damaged = 0;
    for value in values {
        match value
            .as_string()
            .map(|t| serde_json::from_str::<LeadSummary>(&t))
        {
            Some(Ok(s)) => out.push(s),
            _ => damaged += 1,
        }
    }
    if damaged > 0 {
        warn(&format!("skipped {damaged} unreadable lead summaries"));
    }
    out
}

/// Every floor row (visits and test drives) on the device.
pub async fn floor_rows() -> Result<Vec<FloorRow>> {
    let values = with_db(async |db: &Database| {
        let tx = Tx::read(db, &[RECORDS])?;
        let values = tx.values(RECORDS).await?;
        tx.commit().await?;
        Ok(values)
    })
    .await?;
    Ok(values
        .iter()
        .filter_map(|v| v.as_string())
        .filter_map(|t| serde_json::from_str::<FloorRow>(&t).ok())
        .collect())
}

/// Writes summaries directly (tests and bulk imports), in one transaction.
pub async fn put_summaries(summaries: &[LeadSummary]) -> Result<()> {
    with_db(async |db: &Database| {
        let tx = Tx::write(db, &[SUMMARIES])?;
        for s in summaries {
            put_summary(&tx, s)?;
        }
        tx.commit().await?;
        Ok(())
    })
    .await?;
    know(summaries.iter().map(|s| DocId::lead(s.id)));
    notify(StoreChange {
        origin: Origin::OtherTab,
        others: Vec::new(),
        rows: Vec::new(),
        leads: summaries.iter().map(|s| s.id).collect(),
        summaries: summaries.to_vec(),
        outbox: Vec::new(),
        removed: Vec::new(),
    });
    Ok(())
}

/// Writes any value under a key (tests plant damaged records with it).
pub async fn write_raw(store: &str, key: &str, value: &JsValue) -> Result<()> {
    with_db(async |db: &Database| {
        let tx = Tx::write(db, &[store])?;
        tx.put(store, key, value)?;
        tx.commit().await?;
        Ok(())
    })
    .await
}

/// How many incremental changes a lead keeps beside its snapshot (tests).
pub async fn incremental_count(lead: LeadId) -> Result<usize> {
    with_db(async |db: &Database| {
        let tx = Tx::read(db, &[DOC_CHANGES])?;
        let n = tx
            .entries(DOC_CHANGES, &prefix(DocId::lead(lead)))
            .await?
            .len();
        tx.commit().await?;
        Ok(n)
    })
    .await
}
