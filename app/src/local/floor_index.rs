//! The signed-in tab's showroom floor: the visits and test drives of every
//! document on the device, read once, then kept current by the store's
//! changes (never re-read whole for this tab's own writes or sync pages).

use std::cell::RefCell;
use std::rc::Rc;

use leptos::prelude::*;

use crate::local::floor::{FloorIndex, FloorRow};
use crate::local::store::{self, Origin, StoreChange};

#[derive(Clone, Copy)]
pub struct Floor {
    pub index: RwSignal<FloorIndex>,
}

pub fn provide() -> Floor {
    let floor = Floor {
        index: RwSignal::new(FloorIndex::default()),
    };
    // Rows told while the first read is under way wait here, in order.
    let pending: Rc<RefCell<Option<Vec<FloorRow>>>> = Rc::new(RefCell::new(Some(Vec::new())));
    let subscription = store::subscribe({
        let pending = pending.clone();
        move |change: &StoreChange| {
            if !change.removed.is_empty() {
                // A removed lead's rows left the device with it (its
                // anonymous rows follow from the server).
                floor.index.try_update(|i| i.forget_leads(&change.removed));
            }
            if change.rows.is_empty() {
                return;
            }
            if let Some(waiting) = pending.borrow_mut().as_mut() {
                waiting.extend(change.rows.iter().cloned());
                return;
            }
            // Another tab's change comes with every row (see
            // `store::changed_elsewhere`): the index is rebuilt from them.
            if change.origin == Origin::OtherTab {
                floor
                    .index
                    .try_set(FloorIndex::new(change.rows.iter().cloned()));
            } else {
                floor
                    .index
                    .try_update(|i| i.upsert(change.rows.iter().cloned()));
            }
        }
    });
    let _keep = StoredValue::new_local(subscription);
    leptos::task::spawn_local(async move {
        let rows = store::floor_rows().await.unwrap_or_else(|e| {
            web_sys::console::warn_1(&format!("Could not read the showroom floor: {e}").into());
            Vec::new()
        });
        let mut index = FloorIndex::new(rows);
        if let Some(waiting) = pending.borrow_mut().take() {
            index.upsert(waiting);
        }
        floor.index.try_set(index);
    });
    provide_context(floor);
    floor
}

pub fn use_floor() -> Floor {
    use_context::<Floor>().unwrap_or_else(|| Floor {
        index: RwSignal::new(FloorIndex::default()),
    })
}
