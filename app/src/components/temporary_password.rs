//! The card that shows a temporary password once, for the manager to hand over.

use leptos::prelude::*;

use crate::i18n::{Key, use_i18n};

/// "Give <name> this temporary password: <password>. They choose their own at
/// the first sign-in." The password is set apart (monospace, selectable in one
/// tap) and the card stays until the manager says they have noted it. Focus
/// moves to it when it appears, so it is not missed.
#[component]
pub fn TemporaryPasswordCard(
    name: String,
    password: String,
    on_done: Callback<()>,
) -> impl IntoView {
    let i18n = use_i18n();
    let heading = NodeRef::<leptos::html::H2>::new();
    Effect::new(move |_| {
        if let Some(h) = heading.get() {
            let _ = h.focus();
        }
    });
    // The sentence is one translation with the password inside it: fill it
    // with a marker and put the password's element where the marker is.
    let parts = move || {
        let text = i18n.locale().temporary_password_for(&name, "\u{1}");
        match text.split_once('\u{1}') {
            Some((before, after)) => (before.to_owned(), after.to_owned()),
            None => (text, String::new()),
        }
    };
    let before = {
        let parts = parts.clone();
        move || parts().0
    };
    let after = move || parts().1;
    view! {
        <section class="card temporary-password" aria-labelledby="temporary-password-heading">
            <h2 id="temporary-password-heading" class="card__title" tabindex="-1" node_ref=heading>
                {move || i18n.t(Key::TemporaryPassword)}
            </h2>
            <p class="temporary-password__text">
                {before}
                <code class="temporary-password__code">{password}</code>
                {after}
            </p>
            <button type="button" class="button button--primary" on:click=move |_| on_done.run(())>
                {move || i18n.t(Key::TemporaryPasswordDone)}
            </button>
        </section>
    }
}
