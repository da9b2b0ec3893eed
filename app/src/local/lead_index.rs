//! This tab's index of the leads on the device: read from IndexedDB once per sign-in, then kept current by what each committed write of the document store tells its subscribers (`store::subscribe`) — never re-read whole.

use std::cell::RefCell;
use std::rc::Rc;

use leptos::prelude::*;
use showroom_shared::domain::LeadId;

use crate::local::leads;
use crate::local::store::{self, StoreChange};
use crate::local::summary::{LeadSummary, SummaryIndex};

/// The summary index of the signed-in tab (`None` until the first read).
#[derive(Clone, Copy)]
pub struct LeadIndex {
    index: RwSignal<Option<SummaryIndex>>,
}

impl LeadIndex {
    /// Reads the index (tracked): `None` while the first read is under way.
    pub fn with<R>(&self, f: impl FnOnce(Option<&SummaryIndex>) -> R) -> R {
        self.index.with(|i| f(i.as_ref()))
    }

    /// The lead that absorbed `lead` in a merge, if the device holds it
    /// (not tracked).
    pub fn survivor_of_untracked(&self, lead: LeadId) -> Option<LeadId> {
        self.index
            .with_untracked(|i| i.as_ref().and_then(|i| i.survivor_of(lead)))
    }

    /// How many times this lead changed since the index was read (tracked).
    pub fn version_of(&self, lead: LeadId) -> u64 {
        self.index
            .with(|i| i.as_ref().map_or(0, |i| i.version_of(lead)))
    }
}

/// Creates the index for the signed-in frame (disposed with it at sign-out)
/// and provides it as context.
pub fn provide() -> LeadIndex {
    let index = RwSignal::new(None::<SummaryIndex>);
    // Writes told while the first read is under way wait here, in order.
    #[allow(clippy::type_complexity)]
    let pending: Rc<RefCell<Option<(Vec<LeadSummary>, Vec<showroom_shared::domain::LeadId>)>>> =
        Rc::new(RefCell::new(Some(Default::default())));
    let subscription = store::subscribe({
        let pending = pending.clone();
        move |change: &StoreChange| {
            if let Some(waiting) = pending.borrow_mut().as_mut() {
                waiting.0.extend(change.summaries.iter().cloned());
                waiting.1.extend(change.removed.iter().copied());
                return;
            }
            index.try_update(|i| {
                if let Some(i) = i {
                    i.remove(&change.removed);
                    i.upsert(change.summaries.clone());
                }
            });
        }
    });
    // Dropped (and so unsubscribed) when the frame's owner is disposed.
    let _keep = StoredValue::new_local(subscription);
    leptos::task::spawn_local(async move {
        let mut read = match store::summaries().await {
            Ok(all) => SummaryIndex::new(all),
            Err(e) => {
                web_sys::console::warn_1(&format!("Could not read the leads: {e}").into());
                SummaryIndex::default()
            }
        };
        if let Some((waiting, removed)) = pending.borrow_mut().take() {
            read.remove(&removed);
            read.upsert(waiting);
        }
        index.try_set(Some(read));
    });
    let lead_index = LeadIndex { index };
    provide_context(lead_index);
    lead_index
}

pub fn use_lead_index() -> LeadIndex {
    use_context::<LeadIndex>().unwrap_or_else(|| LeadIndex {
        index: RwSignal::new(Some(SummaryIndex::default())),
    })
}

/// The lead `id` as the device holds it, read again whenever it changes on
/// the device (saved here, received, or written by another tab): `None`
/// while the first read is under way, `Some(None)` when it is not here. Only
/// the latest read lands: reads started by quick saves in a row may finish
/// out of order.
pub fn use_open_lead(
    id: Memo<Option<showroom_shared::domain::LeadId>>,
) -> RwSignal<Option<Option<showroom_shared::domain::Lead>>> {
    let lead = RwSignal::new(None);
    let index = use_lead_index();
    let changed = Memo::new(move |_| id.get().map(|l| index.version_of(l)));
    let request = StoredValue::new(0u64);
    Effect::new(move |_| {
        let _ = changed.get();
        let Some(id) = id.get() else {
            lead.set(Some(None));
            return;
        };
        let n = request.get_value() + 1;
        request.set_value(n);
        leptos::task::spawn_local(async move {
            let read = leads::load(id).await.ok().map(|o| o.lead);
            if request.try_get_value() == Some(n) {
                lead.set(Some(read));
            }
        });
    });
    lead
}
