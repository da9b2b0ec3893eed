//! The start-up splash shown while the stored session is read.

use leptos::prelude::*;

use crate::components::icon::BrandMark;
use crate::i18n::{Key, use_i18n};

#[component]
pub fn Splash() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <div class="splash" role="status" aria-live="polite">
            <BrandMark />
            <p class="splash__text">{move || i18n.t(Key::Loading)}</p>
        </div>
    }
}
