//! The "Sign out" button, which shows when signing out is under way.

use leptos::prelude::*;

use crate::components::icon::{Icon, IconName};
use crate::i18n::{Key, use_i18n};

#[component]
pub fn SignOutButton(
    #[prop(into)] busy: Signal<bool>,
    #[prop(into)] on_sign_out: Callback<()>,
    /// Extra classes: the top bar uses a quiet variant.
    #[prop(optional, into)]
    class: String,
) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <button
            type="button"
            class=format!("button button--secondary {class}")
            disabled=move || busy.get()
            aria-busy=move || if busy.get() { "true" } else { "false" }
            on:click=move |_| on_sign_out.run(())
        >
            <Icon name=IconName::SignOut />
            <span>{move || i18n.t(if busy.get() { Key::SigningOut } else { Key::SignOut })}</span>
        </button>
    }
}
