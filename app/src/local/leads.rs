//! A lead's own writes and reads on this device, built on the document
//! store (`local::store`): creating and opening a lead, and each kind of
//! change to it — an edit, a note, a record, a test drive, a quote, an
//! approval, a task, a lost request or decision, a reopening, a consent —
//! as one change through `store::change_doc` (one transaction, judged
//! first, told to the subscribers).

use showroom_shared::doc::{ChangeHash, DocError, LeadDoc, SCHEMA_VERSION};
use showroom_shared::domain::followup::{Consent, LostDecision, LostRequest, Task};
use showroom_shared::domain::quote::{Approval, QuoteVersion};
use showroom_shared::domain::record::Record;
use showroom_shared::domain::showroom::TestDrive;
use showroom_shared::domain::{DocId, Lead, LeadId, Note, UserId};

use crate::local::store::{self, Result, StoreError};

/// A lead as opened for the detail page.
#[derive(Clone, Debug, PartialEq)]
pub struct OpenLead {
    pub lead: Lead,
    /// Written by a newer version of Showroom: shown, not edited.
    pub read_only: bool,
}

/// Saves a new lead: its document, its first change in the outbox and its summary.
pub async fn create(lead: &Lead) -> Result<()> {
    let doc =
        LeadDoc::create(store::actor(), lead).map_err(|e| StoreError::Damaged(e.to_string()))?;
    store::create_doc(DocId::lead(lead.id), doc.into()).await
}

/// Opens a lead: its snapshot plus its incremental changes.
pub async fn load(lead: LeadId) -> Result<OpenLead> {
    let doc = store::load_doc(DocId::lead(lead))
        .await?
        .ok_or(StoreError::NotFound)?;
    let read = doc
        .read_lead()
        .map_err(|e| StoreError::Damaged(e.to_string()))?;
    Ok(OpenLead {
        lead: read,
        read_only: doc.schema_version() > SCHEMA_VERSION,
    })
}

/// `edited` with every field the person did not touch (equal in `original`
/// and `edited`) taken from `current`, so a change that arrived while the
/// form was open is not overwritten with the old value.
pub fn merge_edit(original: &Lead, edited: &Lead, current: &Lead) -> Lead {
    fn pick<T: Clone + PartialEq>(original: &T, edited: &T, current: &T) -> T {
        if edited != original {
            edited.clone()
        } else {
            current.clone()
        }
    }
    let (o, e, c) = (original, edited, current);
    let mut after = current.clone();
    after.customer.name = pick(&o.customer.name, &e.customer.name, &c.customer.name);
    after.customer.mobile = pick(&o.customer.mobile, &e.customer.mobile, &c.customer.mobile);
    after.customer.wechat = pick(&o.customer.wechat, &e.customer.wechat, &c.customer.wechat);
    after.customer.city = pick(&o.customer.city, &e.customer.city, &c.customer.city);
    after.source = pick(&o.source, &e.source, &c.source);
    after.models = pick(&o.models, &e.models, &c.models);
    after.grade = pick(&o.grade, &e.grade, &c.grade);
    after.stage = pick(&o.stage, &e.stage, &c.stage);
    after.owner = pick(&o.owner, &e.owner, &c.owner);
    after.next_follow_up = pick(&o.next_follow_up, &e.next_follow_up, &c.next_follow_up);
    after
}

/// Saves an edit as one change: the fields changed between `original` (what
/// the form started from) and `edited`. Returns whether anything changed.
pub async fn edit(original: &Lead, edited: &Lead, editor: UserId, now: i64) -> Result<bool> {
    change_lead(original.id, |doc| {
        let current = doc.read()?;
        let after = merge_edit(original, edited, &current);
        doc.update(&after, editor, now)
    })
    .await
}

/// What handing several leads over did: how many are now with the person
/// (or the pool) they were handed to, and how many could not be changed on
/// this device (not here, written by a newer version, or refused).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HandOver {
    pub handed: usize,
    pub failed: usize,
}

/// Hands each of `leads` to `to` (a person, or the pool: `None`): for each,
/// the same edit of the owner the lead's page makes ([`edit`]), one change
/// per lead, judged and queued for the server like any other. A lead that
/// is already theirs counts as handed.
pub async fn hand_over(leads: &[LeadId], to: Option<UserId>, editor: UserId, now: i64) -> HandOver {
    let mut done = HandOver::default();
    for &id in leads {
        let open = match load(id).await {
            Ok(open) if !open.read_only => open,
            _ => {
                done.failed += 1;
                continue;
            }
        };
        if open.lead.owner == to {
            done.handed += 1;
            continue;
        }
        let mut edited = open.lead.clone();
        edited.owner = to;
        match edit(&open.lead, &edited, editor, now).await {
            Ok(_) => done.handed += 1,
            Err(e) => {
                web_sys::console::warn_1(&format!("Could not hand lead {id} over: {e}").into());
                done.failed += 1;
            }
        }
    }
    done
}

/// Claims `leads` from the pool for `me`: the owner edit a hand-over makes,
/// offline too, with a note on the device that it claimed them. Two
/// salespeople who claim one lead offline both see it as theirs until the
/// server, which keeps the first claim to reach it, settles it; the other
/// device then removes the lead and says who claimed it first
/// (`store::MovedAway`).
pub async fn claim(leads: &[LeadId], me: UserId, now: i64) -> HandOver {
    let done = hand_over(leads, Some(me), me, now).await;
    if let Err(e) = store::claimed(leads, now).await {
        web_sys::console::warn_1(&format!("Could not note a claim: {e}").into());
    }
    done
}

/// Adds a note as one change.
pub async fn add_note(lead: LeadId, note: &Note) -> Result<()> {
    change_lead(lead, |doc| doc.add_note(note))
        .await
        .map(|_| ())
}

/// Adds or edits one record of the lead of any kind (a visit, a test
/// drive's booking, a task), as one change.
pub async fn put_record<R: Record>(
    lead: LeadId,
    record: &R,
    editor: UserId,
    now: i64,
) -> Result<bool> {
    change_lead(lead, |doc| doc.put_record(record, editor, now)).await
}

/// Records a test drive leaving or returning, as one change (the lead's
/// stage moves to test drive if it was earlier).
pub async fn drive_happened(
    lead: LeadId,
    drive: &TestDrive,
    editor: UserId,
    now: i64,
) -> Result<bool> {
    change_lead(lead, |doc| doc.drive_happened(drive, editor, now)).await
}

/// Adds or edits a quote version, as one change (presenting it moves the
/// lead to quoted, accepting it to ordered).
pub async fn put_quote(
    lead: LeadId,
    version: &QuoteVersion,
    editor: UserId,
    now: i64,
) -> Result<bool> {
    change_lead(lead, |doc| doc.put_quote(version, editor, now)).await
}

/// Records a manager's decision on a quote version, as one change.
pub async fn put_approval(lead: LeadId, approval: &Approval, now: i64) -> Result<bool> {
    change_lead(lead, |doc| doc.put_approval(approval, now)).await
}

/// Completes a task and schedules the next one, as one change.
pub async fn complete_task(
    lead: LeadId,
    done: &Task,
    next: Option<&Task>,
    editor: UserId,
    now: i64,
) -> Result<bool> {
    change_lead(lead, |doc| doc.complete_task(done, next, editor, now)).await
}

/// Requests that the lead be marked lost, as one change.
pub async fn request_lost(lead: LeadId, request: &LostRequest, now: i64) -> Result<bool> {
    change_lead(lead, |doc| doc.request_lost(request, now)).await
}

/// A manager's decision on a lost request, as one change.
pub async fn decide_lost(
    lead: LeadId,
    decision: &LostDecision,
    follow_up: Option<&Task>,
    now: i64,
) -> Result<bool> {
    change_lead(lead, |doc| doc.decide_lost(decision, follow_up, now)).await
}

/// Reopens a lost lead, as one change.
pub async fn reopen(
    lead: LeadId,
    request: &LostRequest,
    stage: showroom_shared::domain::Stage,
    grade: showroom_shared::domain::Grade,
    editor: UserId,
    now: i64,
) -> Result<bool> {
    change_lead(lead, |doc| doc.reopen(request, stage, grade, editor, now)).await
}

/// Records a consent or its withdrawal, as one change.
pub async fn put_consent(lead: LeadId, consent: &Consent) -> Result<bool> {
    change_lead(lead, |doc| doc.put_consent(consent)).await
}

async fn change_lead(
    lead: LeadId,
    write: impl FnOnce(&mut LeadDoc) -> std::result::Result<Option<ChangeHash>, DocError>,
) -> Result<bool> {
    store::change_doc(DocId::lead(lead), write).await
}
