//! The store's change bus: after every committed write of this tab, each
//! subscriber is told what changed ([`StoreChange`]), in commit order.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use showroom_shared::domain::{DocId, LeadId};

use super::outbox::Pending;
use crate::local::floor::FloorRow;
use crate::local::summary::LeadSummary;

/// Where a change to the store came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// Saved on this tab (a new lead, an edit, a note): sync pushes it.
    Saved,
    /// Applied from a page the server sent.
    Received,
    /// Another tab wrote it; this tab re-read what it needs.
    OtherTab,
}

/// What a committed write changed: told to every subscriber after the
/// transaction commits, in commit order.
#[derive(Clone, Debug)]
pub struct StoreChange {
    pub origin: Origin,
    /// Every lead the write changed.
    pub leads: Vec<LeadId>,
    /// Every document of another kind it changed (the dealer's catalogue,
    /// a showroom register).
    pub others: Vec<DocId>,
    /// Their new summaries (a lead that cannot be read has none).
    pub summaries: Vec<LeadSummary>,
    /// The floor rows (visits, test drives) of the documents it changed.
    pub rows: Vec<FloorRow>,
    /// What a save put in the outbox (empty for other origins): sync pushes
    /// these as they are, without reading the outbox again.
    pub outbox: Vec<Pending>,
    /// Leads no longer on this device (a lead the server never had, whose
    /// refused changes were discarded): lists drop them.
    pub removed: Vec<LeadId>,
}

type Listener = Rc<dyn Fn(&StoreChange)>;

thread_local! {
    static LISTENERS: RefCell<Vec<(u64, Listener)>> = const { RefCell::new(Vec::new()) };
    static NEXT_LISTENER: Cell<u64> = const { Cell::new(0) };
}

/// Calls `f` after every committed write of this tab, until the returned
/// subscription is dropped.
pub fn subscribe(f: impl Fn(&StoreChange) + 'static) -> Subscription {
    let id = NEXT_LISTENER.with(|n| {
        let id = n.get();
        n.set(id + 1);
        id
    });
    LISTENERS.with(|l| l.borrow_mut().push((id, Rc::new(f))));
    Subscription(id)
}

/// Ends a [`subscribe`] when dropped.
pub struct Subscription(u64);

impl Drop for Subscription {
    fn drop(&mut self) {
        LISTENERS.with(|l| l.borrow_mut().retain(|(id, _)| *id != self.0));
    }
}

pub(super) fn notify(change: StoreChange) {
    if change.leads.is_empty()
        && change.others.is_empty()
        && change.rows.is_empty()
        && change.removed.is_empty()
    {
        return;
    }
    let listeners: Vec<Listener> =
        LISTENERS.with(|l| l.borrow().iter().map(|(_, f)| f.clone()).collect());
    for f in listeners {
        f(&change);
    }
}
