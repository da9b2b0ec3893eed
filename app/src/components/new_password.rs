//! The fields of a password someone chooses: the new one and its confirmation, checked against the rules as it is typed.

use leptos::prelude::*;
use showroom_shared::domain::{NewPassword, NewPasswordError};

use crate::i18n::{Key, use_i18n};

/// Whether `password` follows the rules for `username` and `confirm` repeats it.
pub fn is_acceptable(password: &str, confirm: &str, username: &str) -> bool {
    NewPassword::new(password, username.trim()).is_ok() && password == confirm
}

/// The new password and its confirmation, each with its label. Under the
/// first the rules, then (once something is typed) whether it follows them
/// and, if not, why, in the person's language (its description, not a live
/// region: it changes with every key); under the second whether the two
/// match. The server checks the same rules again.
#[component]
pub fn NewPasswordFields(
    /// Prefix of the fields' ids: `<id>-new`, `<id>-confirm`.
    id: &'static str,
    /// The first field's label ("Password", "New password").
    new_label: Key,
    /// The second field's label ("Confirm password", "Confirm new password").
    confirm_label: Key,
    password: RwSignal<String>,
    confirm: RwSignal<String>,
    /// The account's username, which the password must not be.
    #[prop(into)]
    username: Signal<String>,
    /// Set after a submit attempt: empty fields then say what is missing.
    #[prop(into)]
    checked: Signal<bool>,
) -> impl IntoView {
    let i18n = use_i18n();
    let new_id = format!("{id}-new");
    let confirm_id = format!("{id}-confirm");
    let rules_id = format!("{id}-rules");
    let check_id = format!("{id}-check");
    let confirm_error_id = format!("{id}-confirm-error");
    let described = format!("{rules_id} {check_id}");

    let verdict = Memo::new(move |_| {
        let typed = password.get();
        if typed.is_empty() && !checked.get() {
            return None;
        }
        let locale = i18n.locale();
        Some(
            NewPassword::new(typed.clone(), username.get().trim())
                .map(drop)
                .map_err(|e: NewPasswordError| {
                    locale.new_password_error(&e, typed.chars().count())
                }),
        )
    });
    let mismatch = Memo::new(move |_| {
        let (p, c) = (password.get(), confirm.get());
        (checked.get() || !c.is_empty()) && p != c
    });

    view! {
        <div class="field">
            <label for=new_id.clone()>{move || i18n.t(new_label)}</label>
            <input
                id=new_id
                type="password"
                autocomplete="new-password"
                aria-describedby=described
                aria-invalid=move || verdict.with(|v| matches!(v, Some(Err(_)))).to_string()
                bind:value=password
            />
            <p id=rules_id class="field__hint">{move || i18n.locale().password_rules()}</p>
            <p
                id=check_id
                class="password-check"
                class:password-check--ok=move || verdict.with(|v| matches!(v, Some(Ok(()))))
                class:password-check--bad=move || verdict.with(|v| matches!(v, Some(Err(_))))
            >
                {move || {
                    verdict.get().map(|v| match v {
                        Ok(()) => view! {
                            <span aria-hidden="true">"✓ "</span>
                            <span>{i18n.t(Key::PasswordOk)}</span>
                        }
                        .into_any(),
                        Err(why) => view! {
                            <span aria-hidden="true">"✗ "</span>
                            <span>{why}</span>
                        }
                        .into_any(),
                    })
                }}
            </p>
        </div>
        <div class="field">
            <label for=confirm_id.clone()>{move || i18n.t(confirm_label)}</label>
            <input
                id=confirm_id
                type="password"
                autocomplete="new-password"
                aria-describedby=confirm_error_id.clone()
                aria-invalid=move || mismatch.get().to_string()
                bind:value=confirm
            />
            <p id=confirm_error_id class="field__error" aria-live="polite">
                {move || mismatch.get().then(|| i18n.t(Key::PasswordsDiffer))}
            </p>
        </div>
    }
}
