//! The dealer's own document on this device: its catalogue and settings,
//! read offline, kept current by the store's changes (a sync page or
//! another tab that changed it). Provided once per signed-in frame.

use leptos::prelude::*;
use showroom_shared::domain::catalogue::Dealer;
use showroom_shared::domain::{DealerId, DocId};

use crate::local::store::{self, StoreChange};

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
            match store::load_doc(DocId::dealer(id)).await {
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
    let subscription = store::subscribe(move |change: &StoreChange| {
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

/// Writes to the dealer's document, each one change on the device first
/// (sync brings it to every tablet of the dealer; the server refuses it
/// from a role that may not). Pages say what to change; the document is
/// this module's business. `Ok(false)`: nothing differed.
pub mod edit {
    use showroom_shared::doc::DealerDoc;
    use showroom_shared::doc::records::Record;
    use showroom_shared::domain::catalogue::{DealerProfile, Settings};
    use showroom_shared::domain::{DealerId, DocId};

    use crate::local::clock;
    use crate::local::store;

    type Written = Result<Option<showroom_shared::doc::ChangeHash>, showroom_shared::doc::DocError>;

    async fn change(
        dealer: Option<DealerId>,
        write: impl FnOnce(&mut DealerDoc, i64) -> Written,
    ) -> Result<bool, String> {
        let Some(dealer) = dealer else {
            return Err("signed out".into());
        };
        let now = clock::now_ms();
        store::change_doc::<DealerDoc>(DocId::dealer(dealer), |d| write(d, now))
            .await
            .map_err(|e| e.to_string())
    }

    /// Adds or edits one catalogue entry (a model, trim, colour, item or
    /// demo car).
    pub async fn put<R: Record + 'static>(
        dealer: Option<DealerId>,
        entry: R,
    ) -> Result<bool, String> {
        change(dealer, move |d, now| d.put(&entry, now)).await
    }

    /// The showroom rules as edited; the profile stays as the document holds
    /// it now (it has its own form, and this form's copy may be older).
    pub async fn rules(dealer: Option<DealerId>, mut edited: Settings) -> Result<bool, String> {
        change(dealer, move |d, now| {
            edited.profile = d.read_dealer()?.settings.profile;
            d.set_settings(&edited, now)
        })
        .await
    }

    /// The dealer's profile (the dealer on paper); the rest of the settings
    /// stay as the document holds them now.
    pub async fn profile(dealer: Option<DealerId>, profile: DealerProfile) -> Result<bool, String> {
        change(dealer, move |d, now| {
            let mut settings = d.read_dealer()?.settings;
            settings.profile = profile;
            d.set_settings(&settings, now)
        })
        .await
    }
}
