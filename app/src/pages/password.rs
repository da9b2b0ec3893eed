//! Changing one's own password: the "Choose a new password" page a temporary password leads to, and the Settings section.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_navigate;
use showroom_shared::api::{ChangePasswordRequest, ErrorCode, PasswordChanged};

use crate::api::{self, ApiFailure};
use crate::app::use_choose_locale;
use crate::components::icon::CardBrand;
use crate::components::language_switcher::LanguageSwitcher;
use crate::components::new_password::{NewPasswordFields, is_acceptable};
use crate::components::sign_out_button::SignOutButton;
use crate::i18n::{Key, Locale, use_i18n, use_page_title};
use crate::local::auth::use_auth;
use crate::pages::login::DEFAULT_RETRY_AFTER_SECS;

/// What a failed `POST /me/password` tells the person; `wrong_current` names
/// the first field ("The current password is wrong.").
pub fn change_failure_text(locale: Locale, failure: &ApiFailure, wrong_current: Key) -> String {
    match failure {
        ApiFailure::Network => locale.t(Key::Unreachable).to_owned(),
        f if f.code() == Some(ErrorCode::InvalidCredentials) => locale.t(wrong_current).to_owned(),
        ApiFailure::Status {
            status: 429,
            retry_after,
            ..
        } => locale.too_many_attempts(retry_after.unwrap_or(DEFAULT_RETRY_AFTER_SECS)),
        ApiFailure::Status {
            status: 400, error, ..
        } => locale.check_fields(error.as_ref().map_or("", |e| e.message.as_str())),
        other => locale.request_failed(&other.message()),
    }
}

/// The signed-in layout's only page while the account must replace a
/// temporary password: no navigation, the form, signing out, the language.
#[component]
pub fn ChooseNewPasswordPage() -> impl IntoView {
    use_page_title(Key::ChooseNewPassword);
    let i18n = use_i18n();
    let auth = use_auth();
    let choose_locale = use_choose_locale();
    let navigate = use_navigate();
    let on_changed = Callback::new(move |_: PasswordChanged| {
        // To Today first (this page stays until the session says otherwise),
        // then the session from the server, which ends this page.
        navigate("/", Default::default());
        spawn_local(auth.password_changed());
    });
    view! {
        <main class="login" id="main">
            <div class="login__card">
                <CardBrand />
                <h1 class="login__title">{move || i18n.t(Key::ChooseNewPassword)}</h1>
                <p>{move || i18n.t(Key::ChooseNewPasswordIntro)}</p>
                <PasswordChangeForm
                    id="choose-password"
                    current_label=Key::TemporaryPassword
                    wrong_current=Key::TemporaryPasswordWrong
                    submit_label=Key::SaveNewPassword
                    on_changed=on_changed
                />
                <SignOutButton
                    busy=Signal::derive(move || auth.signing_out())
                    on_sign_out=Callback::new(move |()| spawn_local(auth.sign_out()))
                />
                <LanguageSwitcher current=i18n.signal() on_choose=choose_locale />
            </div>
        </main>
    }
}

/// Settings' "Password" section: the current password, a new one, and how
/// many other devices the change signed out.
#[component]
pub fn ChangePasswordSection() -> impl IntoView {
    let i18n = use_i18n();
    let done = RwSignal::new(None::<u32>);
    let on_changed = Callback::new(move |answer: PasswordChanged| {
        done.set(Some(answer.other_devices_signed_out));
    });
    view! {
        <section class="card" aria-labelledby="settings-password-heading">
            <h2 id="settings-password-heading" class="card__title">{move || i18n.t(Key::Password)}</h2>
            <p class="field__hint">{move || i18n.t(Key::PasswordChangeSignsOut)}</p>
            <PasswordChangeForm
                id="change-password"
                current_label=Key::CurrentPassword
                wrong_current=Key::CurrentPasswordWrong
                submit_label=Key::ChangePassword
                on_changed=on_changed
                on_submit=Callback::new(move |()| done.set(None))
            />
            <p class="saved-status" role="status">
                {move || done.get().map(|n| i18n.locale().password_changed(n))}
            </p>
        </section>
    }
}

/// The current (or temporary) password, the new one twice, and the request.
#[component]
fn PasswordChangeForm(
    id: &'static str,
    current_label: Key,
    /// What a wrong first field is called.
    wrong_current: Key,
    submit_label: Key,
    on_changed: Callback<PasswordChanged>,
    /// A new attempt starts (the previous change's message goes).
    #[prop(optional)]
    on_submit: Option<Callback<()>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let auth = use_auth();
    let username = Signal::derive(move || {
        auth.session()
            .map(|s| s.user.username.to_string())
            .unwrap_or_default()
    });
    let current = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let confirm = RwSignal::new(String::new());
    let checked = RwSignal::new(false);
    let pending = RwSignal::new(false);
    let problem = RwSignal::new(None::<String>);

    let current_id = format!("{id}-current");
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if pending.get_untracked() {
            return;
        }
        if let Some(on_submit) = on_submit {
            on_submit.run(());
        }
        let locale = i18n.locale_untracked();
        checked.set(true);
        let (now, new, again) = (
            current.get_untracked(),
            password.get_untracked(),
            confirm.get_untracked(),
        );
        if now.is_empty() {
            problem.set(Some(locale.t(Key::Required).to_owned()));
            return;
        }
        if !is_acceptable(&new, &again, &username.get_untracked()) {
            // The fields say why, beside them.
            problem.set(Some(locale.t(Key::CheckFields).to_owned()));
            return;
        }
        if new == now {
            problem.set(Some(locale.t(Key::PasswordSameAsCurrent).to_owned()));
            return;
        }
        let Some(token) = auth.token() else {
            return;
        };
        problem.set(None);
        pending.set(true);
        spawn_local(async move {
            let request = ChangePasswordRequest {
                current_password: now,
                new_password: new,
            };
            match api::change_password(&token, &request).await {
                Ok(answer) => {
                    current.set(String::new());
                    password.set(String::new());
                    confirm.set(String::new());
                    checked.set(false);
                    on_changed.run(answer);
                }
                Err(failure) => {
                    if !auth.handle_failure(&failure).await {
                        problem.set(Some(change_failure_text(
                            i18n.locale_untracked(),
                            &failure,
                            wrong_current,
                        )));
                    }
                }
            }
            pending.set(false);
        });
    };

    view! {
        <form class="form" on:submit=submit novalidate>
            // For password managers: whose password this is.
            <input type="text" name="username" autocomplete="username" hidden readonly prop:value=move || username.get() />
            <div class="field">
                <label for=current_id.clone()>{move || i18n.t(current_label)}</label>
                <input
                    id=current_id
                    type="password"
                    autocomplete="current-password"
                    bind:value=current
                />
            </div>
            <NewPasswordFields
                id=id
                new_label=Key::NewPassword
                confirm_label=Key::ConfirmNewPassword
                password=password
                confirm=confirm
                username=username
                checked=checked
            />
            {move || problem.get().map(|p| view! { <p class="form__error" role="alert">{p}</p> })}
            <button
                type="submit"
                class="button button--primary button--block"
                disabled=move || pending.get()
                aria-busy=move || pending.get().to_string()
            >
                {move || i18n.t(if pending.get() { Key::ChangingPassword } else { submit_label })}
            </button>
        </form>
    }
}
