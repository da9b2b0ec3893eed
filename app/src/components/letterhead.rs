//! The dealer at the top of a printed record: logo, name, address and phone from its profile.

use leptos::prelude::*;
use showroom_shared::domain::catalogue::DealerProfile;

use crate::i18n::{Key, use_i18n};

/// The profile's fields that are filled in; the name falls back to
/// `fallback_name` (the account's dealer name). A logo that is not a PNG,
/// JPEG or WebP `data:` URL of the allowed size is left off.
#[component]
pub fn Letterhead(profile: DealerProfile, fallback_name: String) -> impl IntoView {
    let i18n = use_i18n();
    let name = if profile.name.trim().is_empty() {
        fallback_name
    } else {
        profile.name
    };
    let logo = (!profile.logo.is_empty() && DealerProfile::check_logo(&profile.logo).is_ok())
        .then_some(profile.logo);
    let line = |text: String| {
        (!text.trim().is_empty()).then(|| view! { <p class="letterhead__line">{text}</p> })
    };
    view! {
        <header class="letterhead">
            {logo.map(|src| view! { <img class="letterhead__logo" src=src alt=move || i18n.t(Key::Logo) /> })}
            <div class="letterhead__text">
                <p class="letterhead__name">{name}</p>
                {line(profile.address)}
                {line(profile.phone)}
            </div>
        </header>
    }
}
