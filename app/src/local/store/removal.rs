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

use serde::{Deserialize, Serialize};
use showroom_shared::domain::{DocId, LeadId, Source, UserId};
use showroom_shared::sync::Taken;
use wasm_bindgen::JsValue;

use super::bus::{Origin, StoreChange, notify};
use super::ids::{doc_of_key, prefix};
use super::receive::forget;
use super::{Result, with_db};
use crate::local::db::{DOC_CHANGES, DOCS, Database, META, OUTBOX, RECORDS, SUMMARIES, Tx};
use crate::local::floor::FloorRow;

const REMOVING: &str = "removing:";
/// `claim:<lead>`: this device claimed the lead from the pool and has not
/// seen the claim settled yet (see [`claimed`]).
const CLAIM: &str = "claim:";
/// `moved:<lead>`: a lead of this user that a colleague holds now, until
/// the user has read the notice ([`MovedAway`]).
const MOVED: &str = "moved:";

/// A lead that left this device for a colleague: what the user is told
/// ("Wang Fang claimed this lead first"). Never the customer: the device
/// may no longer hold anything of them, so the notice names the lead by
/// its source and when it came in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MovedAway {
    pub lead: LeadId,
    /// Who holds it now.
    pub to: UserId,
    /// This device had claimed it from the pool: a colleague's claim
    /// reached the server first. Otherwise a manager handed it on.
    pub claimed: bool,
    pub source: Source,
    pub created_at: i64,
}

/// Notes that this device claimed `leads` from the pool: if the server
/// gives them to a colleague who claimed first, the notice says so.
pub async fn claimed(leads: &[LeadId], at: i64) -> Result<()> {
    with_db(async |db: &Database| {
        let tx = Tx::write(db, &[META])?;
        for lead in leads {
            tx.put(
                META,
                &format!("{CLAIM}{lead}"),
                &JsValue::from_f64(at as f64),
            )?;
        }
        tx.commit().await?;
        Ok(())
    })
    .await
}

/// The device has caught up with the server: a claim whose lead has
/// nothing left in the outbox is settled (it stayed, or its removal came
/// before), so its note goes.
pub async fn settle_claims() -> Result<()> {
    with_db(async |db: &Database| {
        let tx = Tx::write(db, &[META, OUTBOX])?;
        let claims = tx.entries(META, CLAIM).await?;
        if claims.is_empty() {
            tx.commit().await?;
            return Ok(());
        }
        let mut keys = tx.queue_keys(OUTBOX)?;
        tx.settle(&mut keys).await?;
        let unsent: HashSet<DocId> = keys
            .list()
            .into_iter()
            .filter_map(|k| k.as_string().as_deref().and_then(doc_of_key))
            .collect();
        for (key, _) in claims {
            let lead = key
                .strip_prefix(CLAIM)
                .and_then(|l| l.parse::<LeadId>().ok());
            if lead.is_none_or(|l| !unsent.contains(&DocId::lead(l))) {
                tx.delete(META, &key)?;
            }
        }
        tx.commit().await?;
        Ok(())
    })
    .await
}

/// The leads that left this user for a colleague, oldest notice first.
pub async fn moved_away() -> Result<Vec<MovedAway>> {
    let entries = with_db(async |db: &Database| {
        let tx = Tx::read(db, &[META])?;
        let entries = tx.entries(META, MOVED).await?;
        tx.commit().await?;
        Ok(entries)
    })
    .await?;
    Ok(entries
        .into_iter()
        .filter_map(|(_, v)| serde_json::from_str(&v.as_string()?).ok())
        .collect())
}

/// The user has read the notice of `lead`.
pub async fn dismiss_moved(lead: LeadId) -> Result<()> {
    super::set_meta(&format!("{MOVED}{lead}"), None).await
}

/// Removes `docs` from the device (keeping their unsent changes) and
/// remembers the receipts owed, in one transaction; then tells the lists.
/// A lead of this user that `taken` says a colleague holds now leaves a
/// notice ([`MovedAway`]).
pub async fn remove_docs(docs: &[DocId], taken: &[Taken]) -> Result<()> {
    if docs.is_empty() {
        return Ok(());
    }
    let gone: HashSet<DocId> = docs.iter().copied().collect();
    with_db(async |db: &Database| {
        let tx = Tx::write(db, &[DOCS, DOC_CHANGES, SUMMARIES, RECORDS, META])?;
        let rows = tx.entries(RECORDS, "").await?;
        for doc in docs {
            if let Some(lead) = doc.as_lead()
                && let Some(t) = taken.iter().find(|t| t.doc == *doc)
            {
                let summary = tx
                    .get(SUMMARIES, &lead.to_string())
                    .await?
                    .and_then(|v| v.as_string())
                    .and_then(|t| {
                        serde_json::from_str::<crate::local::summary::LeadSummary>(&t).ok()
                    });
                let claim = format!("{CLAIM}{lead}");
                let claimed = tx.get(META, &claim).await?.is_some();
                // Only a lead that was this user's (a salesperson's device
                // holds no colleague's lead) tells of where it went.
                if let Some(s) = summary.filter(|s| s.owner.is_some() && s.owner != Some(t.by)) {
                    let notice = MovedAway {
                        lead,
                        to: t.by,
                        claimed,
                        source: s.source,
                        created_at: s.created_at,
                    };
                    if let Ok(json) = serde_json::to_string(&notice) {
                        tx.put(META, &format!("{MOVED}{lead}"), &JsValue::from_str(&json))?;
                    }
                }
                tx.delete(META, &claim)?;
            }
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
                Some(FloorRow::Up(u)) => gone.contains(&u.doc),
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
