//! The language switcher: a labelled group of two toggle buttons, "English" and "中文".

use leptos::prelude::*;

use crate::i18n::{Key, Locale, use_i18n};

/// Shows which language is in use (`aria-pressed`) and reports a choice.
/// Only one switcher is on a page at a time, so its label id is fixed.
#[component]
pub fn LanguageSwitcher(
    #[prop(into)] current: Signal<Locale>,
    #[prop(into)] on_choose: Callback<Locale>,
) -> impl IntoView {
    let i18n = use_i18n();
    let option = move |locale: Locale, key: Key| {
        let pressed = move || current.get() == locale;
        view! {
            <button
                type="button"
                class="segmented__option"
                lang=locale.tag()
                aria-pressed=move || if pressed() { "true" } else { "false" }
                on:click=move |_| on_choose.run(locale)
            >
                {move || i18n.t(key)}
            </button>
        }
    };
    view! {
        <div class="language-switcher" role="group" aria-labelledby="language-switcher-label">
            <span id="language-switcher-label" class="language-switcher__label">
                {move || i18n.t(Key::Language)}
            </span>
            <div class="segmented">
                {option(Locale::En, Key::English)}
                {option(Locale::ZhCn, Key::Chinese)}
            </div>
        </div>
    }
}
