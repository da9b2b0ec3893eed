//! The banner that says a new version is installed, with a button to reload into it.

use leptos::prelude::*;

use crate::components::icon::{Icon, IconName};
use crate::i18n::{Key, use_i18n};

#[component]
pub fn UpdateBanner(
    #[prop(into)] visible: Signal<bool>,
    /// This version can no longer sync: the reload is needed, not optional.
    #[prop(into)]
    required: Signal<bool>,
    #[prop(into)] on_reload: Callback<()>,
) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <Show when=move || visible.get()>
            <div class="update-banner" role="status">
                <Icon name=IconName::Update />
                <span class="update-banner__text">
                    {move || i18n.t(if required.get() { Key::UpdateRequired } else { Key::UpdateAvailable })}
                </span>
                <button type="button" class="button button--primary" on:click=move |_| on_reload.run(())>
                    {move || i18n.t(Key::Reload)}
                </button>
            </div>
        </Show>
    }
}
