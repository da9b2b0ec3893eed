//! The dealer's own document on this device: its catalogue and settings,
//! read offline, kept current by the store's changes (a sync page or
//! another tab that changed it). Provided once per signed-in frame.

use leptos::prelude::*;
use showroom_shared::domain::catalogue::Dealer;
use showroom_shared::domain::{DealerId, DocId};

use crate::local::leads::{self, StoreChange};

/// The signed-in dealer's catalogue and settings: `None` until the device
/// holds its document (the first sync brings it).
#[derive(Clone, Copy)]
pub struct DealerCatalogue {
    pub dealer: RwSignal<Option<Dealer>>,
}

/// Reads the dealer's document now and again whenever it changes.
pub fn provide(dealer: Signal<Option<DealerId>>) -> DealerCatalogue {
    let catalogue = DealerCatalogue {
        dealer: RwSignal::new(None),
    };
    let reload = move || {
        let Some(id) = dealer.get_untracked() else {
            return;
        };
        leptos::task::spawn_local(async move {
            match leads::load_doc(DocId::dealer(id)).await {
                Ok(Some(doc)) => match doc.read_dealer() {
                    Ok(d) => {
                        crate::local::clock::set_time_zone(&d.settings.time_zone);
                        catalogue.dealer.try_set(Some(d));
                    }
                    Err(e) => web_sys::console::warn_1(
                        &format!("The dealer's catalogue cannot be read: {e}").into(),
                    ),
                },
                Ok(None) => {}
                Err(e) => web_sys::console::warn_1(
                    &format!("Could not open the dealer's catalogue: {e}").into(),
                ),
            }
        });
    };
    Effect::new(move |_| {
        if dealer.get().is_some() {
            reload();
        }
    });
    let subscription = leads::subscribe(move |change: &StoreChange| {
        let Some(id) = dealer.get_untracked() else {
            return;
        };
        if change.others.contains(&DocId::dealer(id)) {
            reload();
        }
    });
    // Dropped (and so unsubscribed) when the frame's owner is disposed.
    let _keep = StoredValue::new_local(subscription);
    provide_context(catalogue);
    catalogue
}

pub fn use_dealer_catalogue() -> DealerCatalogue {
    use_context::<DealerCatalogue>().unwrap_or_else(|| DealerCatalogue {
        dealer: RwSignal::new(None),
    })
}
