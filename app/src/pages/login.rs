//! `/login`: the sign-in form, and what a failed sign-in tells the person.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::Redirect;
use showroom_shared::api::{ErrorCode, LoginForm};

use crate::api::{self, ApiFailure};
use crate::app::use_choose_locale;
use crate::components::icon::CardBrand;
use crate::components::language_switcher::LanguageSwitcher;
use crate::i18n::{Key, Locale, use_i18n, use_page_title};
use crate::local::auth::{Notice, use_auth};
use crate::local::device;

/// Seconds to wait after too many failures when the server does not say.
pub const DEFAULT_RETRY_AFTER_SECS: u32 = 60;

/// Why a sign-in did not work, in the person's terms.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LoginProblem {
    /// Username or password left empty (checked before asking the server).
    MissingCredentials,
    /// The device name left empty (checked before asking the server).
    MissingDeviceName,
    WrongCredentials,
    TooManyAttempts {
        retry_after_secs: u32,
    },
    /// The server refused a field; its message says which.
    CheckFields {
        server_message: String,
    },
    Unreachable,
    Failed {
        server_message: String,
    },
}

impl LoginProblem {
    /// What a failed `POST /auth/login` means for the person.
    pub fn from_failure(failure: &ApiFailure) -> LoginProblem {
        match failure {
            ApiFailure::Network => LoginProblem::Unreachable,
            ApiFailure::Status {
                status: 401, error, ..
            } if error
                .as_ref()
                .is_none_or(|e| e.code == ErrorCode::InvalidCredentials) =>
            {
                LoginProblem::WrongCredentials
            }
            ApiFailure::Status {
                status: 429,
                retry_after,
                ..
            } => LoginProblem::TooManyAttempts {
                retry_after_secs: retry_after.unwrap_or(DEFAULT_RETRY_AFTER_SECS),
            },
            ApiFailure::Status {
                status: 400, error, ..
            } => LoginProblem::CheckFields {
                server_message: error
                    .as_ref()
                    .map(|e| e.message.clone())
                    .unwrap_or_default(),
            },
            other => LoginProblem::Failed {
                server_message: other.message(),
            },
        }
    }

    pub fn text(&self, locale: Locale) -> String {
        match self {
            LoginProblem::MissingCredentials => locale.t(Key::MissingCredentials).to_owned(),
            LoginProblem::MissingDeviceName => locale.t(Key::MissingDeviceName).to_owned(),
            LoginProblem::WrongCredentials => locale.t(Key::WrongCredentials).to_owned(),
            LoginProblem::TooManyAttempts { retry_after_secs } => {
                locale.too_many_attempts(*retry_after_secs)
            }
            LoginProblem::CheckFields { server_message } => locale.check_fields(server_message),
            LoginProblem::Unreachable => locale.t(Key::Unreachable).to_owned(),
            LoginProblem::Failed { server_message } => locale.sign_in_failed(server_message),
        }
    }
}

#[component]
pub fn LoginPage() -> impl IntoView {
    let auth = use_auth();
    view! {
        <Show when=move || !auth.is_signed_in() fallback=|| view! { <Redirect path="/" /> }>
            <SignInForm />
        </Show>
    }
}

#[component]
fn SignInForm() -> impl IntoView {
    use_page_title(Key::SignIn);
    let i18n = use_i18n();
    let auth = use_auth();
    let choose_locale = use_choose_locale();

    let username = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    // The guess follows the language until the person edits it.
    let guess = device::this_device();
    let device_name = RwSignal::new(i18n.locale_untracked().device_guess(&guess));
    let device_name_edited = RwSignal::new(false);
    Effect::new(move |_| {
        let suggestion = i18n.locale().device_guess(&guess);
        if !device_name_edited.get_untracked() {
            device_name.set(suggestion);
        }
    });
    let pending = RwSignal::new(false);
    let problem = RwSignal::new(None::<LoginProblem>);
    // A fresh server has nobody to sign in yet: say where to start instead.
    let setup = LocalResource::new(api::setup_status);
    let setup_needed = move || setup.get().is_some_and(|s| s.is_ok_and(|s| s.needed));

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if pending.get_untracked() {
            return;
        }
        let (user, pass, device) = (
            username.get_untracked(),
            password.get_untracked(),
            device_name.get_untracked(),
        );
        if user.trim().is_empty() || pass.is_empty() {
            problem.set(Some(LoginProblem::MissingCredentials));
            return;
        }
        if device.trim().is_empty() {
            problem.set(Some(LoginProblem::MissingDeviceName));
            return;
        }
        pending.set(true);
        problem.set(None);
        spawn_local(async move {
            let form = LoginForm {
                username: &user,
                password: &pass,
                device_name: &device,
            };
            match api::login(&form).await {
                Ok(response) => {
                    auth.signed_in(response).await;
                    // Not needed any more; the page is about to go.
                    password.set(String::new());
                }
                Err(failure) => problem.set(Some(LoginProblem::from_failure(&failure))),
            }
            pending.set(false);
        });
    };

    view! {
        <main class="login" id="main">
            <div class="login__card">
                <CardBrand />
                <h1 class="login__title">{move || i18n.t(Key::SignIn)}</h1>
                {move || {
                    setup_needed()
                        .then(|| view! { <p class="notice" role="status">{move || i18n.t(Key::SetupNeeded)}</p> })
                }}
                {move || {
                    (auth.notice() == Some(Notice::SessionEnded))
                        .then(|| view! { <p class="notice" role="status">{move || i18n.t(Key::SessionEnded)}</p> })
                }}
                {move || {
                    (auth.notice() == Some(Notice::SessionEndedDelivered))
                        .then(|| view! { <p class="notice" role="status">{move || i18n.t(Key::SessionEndedDelivered)}</p> })
                }}
                {move || {
                    (auth.notice() == Some(Notice::SessionUnknown))
                        .then(|| view! { <p class="notice" role="status">{move || i18n.t(Key::SessionUnknown)}</p> })
                }}
                <form class="form" on:submit=submit novalidate>
                    <div class="field">
                        <label for="login-username">{move || i18n.t(Key::Username)}</label>
                        <input
                            id="login-username"
                            name="username"
                            type="text"
                            autocomplete="username"
                            autocapitalize="none"
                            spellcheck="false"
                            bind:value=username
                        />
                    </div>
                    <div class="field">
                        <label for="login-password">{move || i18n.t(Key::Password)}</label>
                        <input
                            id="login-password"
                            name="password"
                            type="password"
                            autocomplete="current-password"
                            bind:value=password
                        />
                    </div>
                    <div class="field">
                        <label for="login-device">{move || i18n.t(Key::DeviceName)}</label>
                        <input
                            id="login-device"
                            name="device_name"
                            type="text"
                            autocomplete="off"
                            aria-describedby="login-device-hint"
                            prop:value=move || device_name.get()
                            on:input=move |ev| {
                                device_name_edited.set(true);
                                device_name.set(event_target_value(&ev));
                            }
                        />
                        <p id="login-device-hint" class="field__hint">{move || i18n.t(Key::DeviceNameHint)}</p>
                    </div>
                    {move || {
                        problem
                            .get()
                            .map(|p| view! { <p class="form__error" role="alert">{move || p.text(i18n.locale())}</p> })
                    }}
                    <button
                        type="submit"
                        class="button button--primary button--block"
                        disabled=move || pending.get()
                        aria-busy=move || if pending.get() { "true" } else { "false" }
                    >
                        {move || i18n.t(if pending.get() { Key::SigningIn } else { Key::SignIn })}
                    </button>
                </form>
                <LanguageSwitcher current=i18n.signal() on_choose=choose_locale />
            </div>
        </main>
    }
}

#[cfg(test)]
mod tests {
    use showroom_shared::api::ApiError;
    use wasm_bindgen_test::wasm_bindgen_test;

    use super::*;

    fn status(
        status: u16,
        error: Option<(ErrorCode, &str)>,
        retry_after: Option<u32>,
    ) -> ApiFailure {
        ApiFailure::Status {
            status,
            error: error.map(|(code, message)| ApiError::new(code, message)),
            retry_after,
        }
    }

    #[wasm_bindgen_test]
    fn failed_sign_ins_map_to_what_the_person_should_do() {
        let check = |failure: ApiFailure, expect: LoginProblem| {
            assert_eq!(LoginProblem::from_failure(&failure), expect, "{failure:?}");
        };
        check(ApiFailure::Network, LoginProblem::Unreachable);
        check(
            status(401, Some((ErrorCode::InvalidCredentials, "no")), None),
            LoginProblem::WrongCredentials,
        );
        check(status(401, None, None), LoginProblem::WrongCredentials);
        check(
            status(401, Some((ErrorCode::Unauthorized, "token expired")), None),
            LoginProblem::Failed {
                server_message: "token expired".into(),
            },
        );
        check(
            status(
                429,
                Some((ErrorCode::TooManyRequests, "slow down")),
                Some(17),
            ),
            LoginProblem::TooManyAttempts {
                retry_after_secs: 17,
            },
        );
        check(
            status(429, None, None),
            LoginProblem::TooManyAttempts {
                retry_after_secs: 60,
            },
        );
        check(
            status(
                400,
                Some((ErrorCode::BadRequest, "the device name is empty")),
                None,
            ),
            LoginProblem::CheckFields {
                server_message: "the device name is empty".into(),
            },
        );
        check(
            status(400, None, None),
            LoginProblem::CheckFields {
                server_message: String::new(),
            },
        );
        check(
            status(
                500,
                Some((ErrorCode::Internal, "database unavailable")),
                None,
            ),
            LoginProblem::Failed {
                server_message: "database unavailable".into(),
            },
        );
        check(
            status(502, None, None),
            LoginProblem::Failed {
                server_message: "HTTP 502".into(),
            },
        );
    }

    #[wasm_bindgen_test]
    fn sign_in_problems_read_exactly_as_specified() {
        let en = |p: LoginProblem| p.text(Locale::En);
        assert_eq!(
            en(LoginProblem::WrongCredentials),
            "Wrong username or password."
        );
        assert_eq!(
            en(LoginProblem::TooManyAttempts {
                retry_after_secs: 60
            }),
            "Too many failed attempts. Try again in 60 seconds."
        );
        assert_eq!(
            en(LoginProblem::CheckFields {
                server_message: "the username is empty".into()
            }),
            "Check the fields and try again. the username is empty"
        );
        assert_eq!(
            en(LoginProblem::Unreachable),
            "Cannot reach the server. Check the network and try again."
        );
        assert_eq!(
            en(LoginProblem::Failed {
                server_message: "HTTP 502".into()
            }),
            "Sign-in failed: HTTP 502"
        );
        assert_eq!(
            LoginProblem::WrongCredentials.text(Locale::ZhCn),
            "用户名或密码错误。"
        );
    }
}
