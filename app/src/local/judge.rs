//! The device judges every change by the server's own write rules
//! (`shared::rules`) before it saves it: a change the server would refuse
//! is never made, so a forged or mistaken write (a salesperson approving
//! their own discount, offline included) never shows on this device as if
//! it had happened, and never waits in the outbox for a refusal.
//!
//! The judge is who is signed in (their user and role), at which dealer,
//! under the dealer's policy (its discount limits and follow-up rule, read
//! from its document on this device). It fails closed: with nobody signed
//! in, nothing is saved.

use std::cell::RefCell;

use showroom_shared::doc::{Content, Document};
use showroom_shared::domain::{DealerId, DocId};
use showroom_shared::rules::{self, Author, Breach, Policy};
use showroom_shared::sync::SyncErrorCode;

/// Who judges the device's changes now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Judge {
    pub dealer: DealerId,
    pub author: Author,
    /// The dealer's policy; the default one until the device holds the
    /// dealer's document (as the server judges a dealer without one).
    pub policy: Policy,
}

thread_local! {
    static CURRENT: RefCell<Option<Judge>> = const { RefCell::new(None) };
}

/// Sets (a session and its dealer's policy) or clears (signed out) the judge.
pub fn set(judge: Option<Judge>) {
    CURRENT.with(|c| *c.borrow_mut() = judge);
}

/// The judge now, if someone is signed in.
pub fn current() -> Option<Judge> {
    CURRENT.with(|c| c.borrow().clone())
}

/// Why the device did not make a change: the rule it would break.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Nobody is signed in on this device.
    NoSession,
    Breach(Breach),
    /// The document would no longer read as its kind.
    Invalid,
}

impl Verdict {
    /// The code the server would refuse it with (what the person is shown).
    pub fn code(&self) -> SyncErrorCode {
        match self {
            Verdict::NoSession => SyncErrorCode::Unauthorized,
            Verdict::Breach(b) => b.code(),
            Verdict::Invalid => SyncErrorCode::Invalid,
        }
    }
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Verdict::NoSession => f.write_str("nobody is signed in"),
            Verdict::Breach(b) => b.fmt(f),
            Verdict::Invalid => f.write_str("the record breaks a rule of its kind"),
        }
    }
}

impl Judge {
    /// Whether the signed-in role may change this kind of document at all
    /// (before anything is written).
    pub fn may_change(&self, id: DocId) -> Result<(), Verdict> {
        rules::may_change(id.kind, &self.author).map_err(Verdict::Breach)
    }

    /// The document as the rules read it: `None` when nothing of it reads
    /// yet (a new document).
    pub fn read(&self, doc: &mut Document, id: DocId) -> Option<Content> {
        doc.read_as(id, self.dealer).ok().flatten()
    }

    /// Judges the document after a change against `before`, and returns it
    /// as read (what lists derive from it, so it is read once). A document
    /// that no longer reads as its kind is refused (the server would say it
    /// breaks a rule of its kind).
    pub fn check(
        &self,
        before: Option<&Content>,
        after: &mut Document,
        id: DocId,
    ) -> Result<Option<Content>, Verdict> {
        match after.read_as(id, self.dealer) {
            Ok(Some(content)) => rules::check(before, &content, &self.author, &self.policy)
                .map(|()| Some(content))
                .map_err(Verdict::Breach),
            Ok(None) => Ok(None),
            Err(_) => Err(Verdict::Invalid),
        }
    }
}
