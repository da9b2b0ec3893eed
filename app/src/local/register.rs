//! Walk-ins: the showroom register (展厅客流登记) of this device for the
//! day, and visits wherever they live (a register, or a lead once linked).

use showroom_shared::doc::{Document, RegisterDoc};
use showroom_shared::domain::showroom::{Register, Up, Visit, VisitId, VisitOutcome};
use showroom_shared::domain::{DealerId, DocId, DocKind, LeadId, RegisterId, UserId};
use wasm_bindgen::JsValue;

use crate::local::clock;
use crate::local::leads;
use crate::local::store::{self, Result, StoreError};

/// Logs an arrival now, looked after by `user`, in today's register of this
/// device (made on the first walk-in of the day). Returns the visit and the
/// document it lives in.
pub async fn walk_in(user: UserId, dealer: DealerId) -> Result<(Visit, DocId)> {
    let now = clock::now_ms();
    let visit = Visit::walk_in(VisitId::from_uuid(store::new_uuid()), now, user);
    let doc = put_today(&visit, user, dealer, |r| r.visits.push(visit.clone())).await?;
    Ok((visit, doc))
}

/// Says that `user` is on the floor now, in the walk-in rotation
/// (`domain::rotation`), with how many of their leads are past the
/// first-contact target (more than none: the rotation passes them by).
/// Saying it again later in the day updates how many.
pub async fn on_floor(user: UserId, dealer: DealerId, since: i64, overdue: u32) -> Result<DocId> {
    let up = Up {
        salesperson: user,
        since,
        overdue,
    };
    put_today(&up, user, dealer, |r| r.ups.push(up.clone())).await
}

/// Writes `record` into today's register of this device (made with it, on
/// the first record of the day: `first` puts it in the new register).
async fn put_today<R: showroom_shared::domain::record::Record>(
    record: &R,
    user: UserId,
    dealer: DealerId,
    first: impl FnOnce(&mut Register),
) -> Result<DocId> {
    let now = clock::now_ms();
    let today = clock::today();
    let key = format!("register:{today}");
    let existing = store::meta(&key)
        .await?
        .and_then(|v| v.as_string())
        .and_then(|s| s.parse::<RegisterId>().ok());
    match existing {
        Some(id) => {
            let doc = DocId::register(id);
            store::change_doc::<RegisterDoc>(doc, |r| r.put_record(record, user, now)).await?;
            Ok(doc)
        }
        None => {
            let id = RegisterId::from_uuid(store::new_uuid());
            let mut register = Register {
                id,
                dealer,
                date: today,
                ups: Vec::new(),
                visits: Vec::new(),
            };
            first(&mut register);
            let made = RegisterDoc::create(store::actor(), &register, now)
                .map_err(|e| StoreError::Damaged(e.to_string()))?;
            let doc = DocId::register(id);
            store::create_doc(doc, Document::from(made)).await?;
            store::set_meta(&key, Some(JsValue::from_str(&id.to_string()))).await?;
            Ok(doc)
        }
    }
}

/// The visit `id` as its document holds it.
pub async fn load(doc: DocId, id: VisitId) -> Result<Option<Visit>> {
    let Some(d) = store::load_doc(doc).await? else {
        return Ok(None);
    };
    let visits = match doc.kind {
        DocKind::Register => d.read_register().map(|r| r.visits),
        DocKind::Lead => d.read_lead().map(|l| l.visits),
        DocKind::Dealer => return Ok(None),
    }
    .map_err(|e| StoreError::Damaged(e.to_string()))?;
    Ok(visits.into_iter().find(|v| v.id == id))
}

/// Saves an edit of a visit where it lives.
pub async fn save(doc: DocId, visit: &Visit, editor: UserId) -> Result<bool> {
    let now = clock::now_ms();
    match doc.as_lead() {
        Some(lead) => leads::put_record(lead, visit, editor, now).await,
        None => store::change_doc::<RegisterDoc>(doc, |r| r.put_record(visit, editor, now)).await,
    }
}

/// Links a walk-in to a lead: the visit continues in the lead's document
/// (written first: a reload in between leaves the visit in both, and the
/// lead's copy wins), and the register's entry says which lead.
pub async fn link(register: DocId, visit: &Visit, lead: LeadId, editor: UserId) -> Result<()> {
    let mut linked = visit.clone();
    linked.outcome = VisitOutcome::Lead;
    linked.lead = Some(lead);
    let now = clock::now_ms();
    leads::put_record(lead, &linked, editor, now).await?;
    if register.kind == DocKind::Register {
        store::change_doc::<RegisterDoc>(register, |r| r.put_record(&linked, editor, now)).await?;
    }
    Ok(())
}
