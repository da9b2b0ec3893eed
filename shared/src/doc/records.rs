//! Records: the entries of a document that have their own stable id (a
//! lead's visits and test drives, the dealer's trims and demo cars, a
//! register's walk-ins). Each is a map in the document's root under
//! `<kind>:<id>`, so two devices adding records offline both keep theirs
//! (different keys), edits to different records merge field by field, and no
//! container has to exist first (two devices creating the same container
//! concurrently would hide one's entries). A record type declares itself
//! here once; its fields' mapping is its `Hydrate`/`Reconcile` derive.

use automerge::{AutoCommit, ObjType, ROOT, ReadDoc};
use autosurgeon::{Hydrate, Reconcile};

use super::DocError;
use crate::domain::UserId;
use crate::domain::catalogue::{Colour, DemoCar, Item, LostReason, Model, Trim};
use crate::domain::followup::{Consent, LostDecision, LostRequest, Task};
use crate::domain::quote::{Approval, QuoteVersion};
use crate::domain::showroom::{TestDrive, Visit};

/// A type kept as records of a document.
pub trait Record: Hydrate + Reconcile + Clone + PartialEq {
    /// The key prefix: `visit` for `visit:<id>`.
    const KIND: &'static str;
    /// The record's id as it appears in its key.
    fn record_key(&self) -> String;
    /// The record's author fields that hold a name, each with the name:
    /// what the server checks against the session that writes it
    /// (`crate::rules`), field by field.
    fn authors(&self) -> Vec<(&'static str, UserId)> {
        Vec::new()
    }
}

macro_rules! record {
    ($ty:ty, $kind:literal, |$r:ident| $key:expr $(, authors: |$a:ident| $authors:expr)?) => {
        impl Record for $ty {
            const KIND: &'static str = $kind;
            fn record_key(&self) -> String {
                let $r = self;
                $key
            }
            $(fn authors(&self) -> Vec<(&'static str, UserId)> {
                let $a = self;
                $authors
            })?
        }
    };
}

record!(Visit, "visit", |v| v.id.to_string(), authors: |v| vec![("created_by", v.created_by)]);
record!(TestDrive, "drive", |d| d.id.to_string(), authors: |d| d.authors().collect());
record!(QuoteVersion, "quote", |q| q.id.to_string(), authors: |q| {
    let mut a = vec![("created_by", q.created_by)];
    a.extend(q.signature.as_ref().map(|s| ("signature.captured_by", s.captured_by)));
    a
});
record!(Approval, "approval", |a| a.id.to_string(), authors: |a| vec![("decided_by", a.decided_by)]);
record!(Task, "task", |t| t.id.to_string(), authors: |t| {
    let mut a = vec![("created_by", t.created_by)];
    a.extend(t.completion.as_ref().map(|c| ("completion.by", c.by)));
    a
});
record!(LostRequest, "lost_request", |r| r.id.to_string(), authors: |r| vec![("requested_by", r.requested_by)]);
record!(LostDecision, "lost_decision", |d| d.id.to_string(), authors: |d| vec![("decided_by", d.decided_by)]);
record!(Consent, "consent", |c| c.id.to_string(), authors: |c| vec![("recorded_by", c.recorded_by)]);
record!(Model, "model", |m| m.id.to_string());
record!(Trim, "trim", |t| t.id.to_string());
record!(Colour, "colour", |c| c.id.to_string());
record!(Item, "item", |i| i.id.to_string());
record!(DemoCar, "car", |c| c.id.to_string());
record!(LostReason, "lost_reason", |r| r.code.clone());

/// Every record of type `R` in the document, in key order. A record that
/// does not read (written by a newer version with a value this build does
/// not know, or damaged) is an error: the server refuses such a change, and
/// a device shows what it could read.
pub(crate) fn read_all<R: Record>(doc: &AutoCommit) -> Result<Vec<R>, DocError> {
    let start = format!("{}:", R::KIND);
    let end = format!("{};", R::KIND);
    let mut out = Vec::new();
    for item in doc.map_range(ROOT, start..end) {
        if let automerge::ValueRef::Object(ObjType::Map) = item.value {
            let id = item.id();
            out.push(R::hydrate_map(doc, &id).map_err(|e| DocError::Invalid {
                field: R::KIND,
                value: e.to_string(),
            })?);
        }
    }
    Ok(out)
}

/// Writes `record` (only what differs from what the document holds).
pub(crate) fn put<R: Record>(doc: &mut AutoCommit, record: &R) -> Result<(), DocError> {
    let key = format!("{}:{}", R::KIND, record.record_key());
    autosurgeon::reconcile_prop(doc, ROOT, key.as_str(), record)
        .map_err(|e| DocError::Automerge(e.to_string()))
}
