//! The connection pill in the top bar: "Online" or "Offline", with an icon so colour is never the only signal.

use leptos::prelude::*;

use crate::components::icon::{Icon, IconName};
use crate::i18n::{Key, use_i18n};

#[component]
pub fn ConnectionPill(#[prop(into)] online: Signal<bool>) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <div
            class="pill"
            class:pill--online=move || online.get()
            class:pill--offline=move || !online.get()
            role="status"
            aria-label=move || i18n.t(Key::Connection)
        >
            {move || {
                if online.get() {
                    view! { <Icon name=IconName::Online /> }
                } else {
                    view! { <Icon name=IconName::Offline /> }
                }
            }}
            <span class="pill__text">{move || i18n.t(if online.get() { Key::Online } else { Key::Offline })}</span>
        </div>
    }
}
