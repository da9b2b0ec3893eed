//! `/setup#<code>`: the first run of a fresh server — the dealer and its first admin, created once with the link the server printed, then signed in.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::{A, Redirect};
use showroom_shared::api::{ErrorCode, LoginForm, SetupRequest};
use showroom_shared::domain::Username;

use crate::api::{self, ApiFailure};
use crate::app::use_choose_locale;
use crate::components::icon::CardBrand;
use crate::components::language_switcher::LanguageSwitcher;
use crate::components::new_password::{NewPasswordFields, is_acceptable};
use crate::components::time_zone::COMMON_TIME_ZONES as TIME_ZONES;
use crate::i18n::{Key, Locale, use_i18n, use_page_title};
use crate::local::auth::use_auth;
use crate::local::device;

/// The only currency the quote arithmetic knows.
const CURRENCY: &str = "CNY";
/// The server's limits on the dealer's and a person's name.
const DEALER_NAME_CHARS: usize = 120;
pub const PERSON_NAME_CHARS: usize = 80;

/// The one-time code after `#` in the address, if any.
fn setup_code() -> Option<String> {
    let hash = web_sys::window()?.location().hash().ok()?;
    let code = hash.trim_start_matches('#').trim();
    (!code.is_empty()).then(|| code.to_owned())
}

/// Why a required name was refused (empty, or longer than `max`), if it was.
pub fn name_problem(locale: Locale, name: &str, max: usize) -> Option<String> {
    let name = name.trim();
    if name.is_empty() {
        Some(locale.t(Key::Required).to_owned())
    } else if name.chars().count() > max {
        Some(locale.too_long(max))
    } else {
        None
    }
}

/// What a failed `POST /setup` tells the person.
#[derive(Clone, Debug, PartialEq)]
enum SetupProblem {
    BadLink,
    AlreadySetUp,
    Text(String),
}

fn setup_problem(locale: Locale, failure: &ApiFailure) -> SetupProblem {
    match failure {
        ApiFailure::Network => SetupProblem::Text(locale.t(Key::Unreachable).to_owned()),
        f if f.code() == Some(ErrorCode::Forbidden) => SetupProblem::BadLink,
        // On a server with no dealer the username cannot be taken: a
        // conflict is a set-up already done.
        f if f.code() == Some(ErrorCode::Conflict) => SetupProblem::AlreadySetUp,
        ApiFailure::Status {
            status: 400, error, ..
        } => SetupProblem::Text(
            locale.check_fields(error.as_ref().map_or("", |e| e.message.as_str())),
        ),
        other => SetupProblem::Text(locale.request_failed(&other.message())),
    }
}

#[component]
pub fn SetupPage() -> impl IntoView {
    let auth = use_auth();
    view! {
        <Show when=move || !auth.is_signed_in() fallback=|| view! { <Redirect path="/" /> }>
            <SetupScreen />
        </Show>
    }
}

#[component]
fn SetupScreen() -> impl IntoView {
    use_page_title(Key::SetupTitle);
    let i18n = use_i18n();
    let choose_locale = use_choose_locale();
    // The code is read again when only the part after `#` changes (a second
    // link pasted into the same tab).
    let code = RwSignal::new(setup_code());
    let on_hash = web_sys::window().map(|w| {
        gloo_events::EventListener::new(&w, "hashchange", move |_| code.set(setup_code()))
    });
    // Removed with the page.
    let _keep = StoredValue::new_local(on_hash);
    let retry = RwSignal::new(0_u32);
    let status = LocalResource::new(move || {
        retry.track();
        api::setup_status()
    });
    let body = move || {
        match status.get() {
            None => view! { <p class="muted" role="status">{move || i18n.t(Key::Loading)}</p> }.into_any(),
            Some(Err(_)) => view! {
                <p class="form__error" role="alert">{move || i18n.t(Key::Unreachable)}</p>
                <button type="button" class="button button--secondary" on:click=move |_| retry.update(|n| *n = n.wrapping_add(1))>
                    {move || i18n.t(Key::TryAgain)}
                </button>
            }
            .into_any(),
            Some(Ok(s)) if !s.needed => already_set_up(i18n).into_any(),
            Some(Ok(_)) => match code.get() {
                None => view! { <p class="form__error" role="alert">{move || i18n.t(Key::SetupLinkInvalid)}</p> }.into_any(),
                Some(code) => view! { <SetupForm code=code /> }.into_any(),
            },
        }
    };
    view! {
        <main class="login" id="main">
            <div class="login__card login__card--wide">
                <CardBrand />
                <h1 class="login__title">{move || i18n.t(Key::SetupTitle)}</h1>
                {body}
                <LanguageSwitcher current=i18n.signal() on_choose=choose_locale />
            </div>
        </main>
    }
}

fn already_set_up(i18n: crate::i18n::I18n) -> impl IntoView {
    view! {
        <p class="notice" role="status">{move || i18n.t(Key::AlreadySetUp)}</p>
        <A href="/login" attr:class="button button--primary button--block">{move || i18n.t(Key::GoToSignIn)}</A>
    }
}

/// Per-field problems of the form, shown beside the fields after a submit.
#[derive(Clone, Debug, Default, PartialEq)]
struct FieldProblems {
    dealer_name: Option<String>,
    admin_name: Option<String>,
    username: Option<String>,
}

impl FieldProblems {
    fn of(locale: Locale, dealer_name: &str, admin_name: &str, username: &str) -> Self {
        FieldProblems {
            dealer_name: name_problem(locale, dealer_name, DEALER_NAME_CHARS),
            admin_name: name_problem(locale, admin_name, PERSON_NAME_CHARS),
            username: username
                .parse::<Username>()
                .err()
                .map(|e| locale.username_error(&e)),
        }
    }

    fn any(&self) -> bool {
        self.dealer_name.is_some() || self.admin_name.is_some() || self.username.is_some()
    }
}

#[component]
fn SetupForm(code: String) -> impl IntoView {
    let i18n = use_i18n();
    let auth = use_auth();
    let dealer_name = RwSignal::new(String::new());
    let time_zone = RwSignal::new(TIME_ZONES[0].0.to_owned());
    let admin_name = RwSignal::new(String::new());
    let username = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let confirm = RwSignal::new(String::new());
    let checked = RwSignal::new(false);
    // Once a submit found problems, each field says what is wrong as it is
    // corrected.
    let fields = Memo::new(move |_| {
        if !checked.get() {
            return FieldProblems::default();
        }
        FieldProblems::of(
            i18n.locale(),
            &dealer_name.read(),
            &admin_name.read(),
            &username.read(),
        )
    });
    let problem = RwSignal::new(None::<SetupProblem>);
    let pending = RwSignal::new(false);
    // Created, but signing in afterwards did not work: the form's job is done.
    let created = RwSignal::new(false);

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if pending.get_untracked() {
            return;
        }
        let locale = i18n.locale_untracked();
        checked.set(true);
        let (dealer, admin, user, pass, again) = (
            dealer_name.get_untracked(),
            admin_name.get_untracked(),
            username.get_untracked(),
            password.get_untracked(),
            confirm.get_untracked(),
        );
        let found = FieldProblems::of(locale, &dealer, &admin, &user);
        let acceptable = is_acceptable(&pass, &again, &user);
        if found.any() || !acceptable {
            // The fields say why, beside them.
            problem.set(Some(SetupProblem::Text(
                locale.t(Key::CheckFields).to_owned(),
            )));
            return;
        }
        problem.set(None);
        pending.set(true);
        let request = SetupRequest {
            token: code.clone(),
            dealer_name: dealer.trim().to_owned(),
            time_zone: time_zone.get_untracked(),
            currency: CURRENCY.to_owned(),
            admin_display_name: admin.trim().to_owned(),
            admin_username: user.trim().to_owned(),
            admin_password: pass.clone(),
        };
        spawn_local(async move {
            if let Err(failure) = api::set_up(&request).await {
                problem.set(Some(setup_problem(i18n.locale_untracked(), &failure)));
                pending.set(false);
                return;
            }
            // Signed in the usual way, as this device (named as the sign-in
            // page would guess it): the page then goes to Today.
            let device_name = i18n.locale_untracked().device_guess(&device::this_device());
            let form = LoginForm {
                username: &request.admin_username,
                password: &request.admin_password,
                device_name: &device_name,
            };
            match api::login(&form).await {
                Ok(response) => auth.signed_in(response).await,
                Err(_) => created.set(true),
            }
            password.set(String::new());
            confirm.set(String::new());
            pending.set(false);
        });
    };

    let field_error = move |id: &'static str, pick: fn(&FieldProblems) -> Option<String>| {
        view! { <p id=id class="field__error">{move || fields.with(pick)}</p> }
    };
    let invalid = move |pick: fn(&FieldProblems) -> Option<String>| {
        move || fields.with(|f| pick(f).is_some()).to_string()
    };

    view! {
        <Show
            when=move || !created.get()
            fallback=move || view! {
                <p class="notice notice--ok" role="status">{move || i18n.t(Key::SetupDoneSignIn)}</p>
                <A href="/login" attr:class="button button--primary button--block">{move || i18n.t(Key::GoToSignIn)}</A>
            }
        >
            <p>{move || i18n.t(Key::SetupIntro)}</p>
            <form class="form" on:submit=submit.clone() novalidate>
                <div class="field">
                    <label for="setup-dealer-name">{move || i18n.t(Key::DealerName)}</label>
                    <input
                        id="setup-dealer-name"
                        type="text"
                        autocomplete="organization"
                        aria-describedby="setup-dealer-name-error"
                        aria-invalid=invalid(|f| f.dealer_name.clone())
                        bind:value=dealer_name
                    />
                    {field_error("setup-dealer-name-error", |f| f.dealer_name.clone())}
                </div>
                <div class="field">
                    <label for="setup-time-zone">{move || i18n.t(Key::TimeZone)}</label>
                    <select
                        id="setup-time-zone"
                        class="select"
                        on:change=move |ev| time_zone.set(event_target_value(&ev))
                    >
                        {TIME_ZONES
                            .iter()
                            .map(|(zone, key)| {
                                let zone = *zone;
                                let key = *key;
                                view! {
                                    <option value=zone selected=move || time_zone.get() == zone>
                                        {move || i18n.t(key)}
                                    </option>
                                }
                            })
                            .collect_view()}
                    </select>
                </div>
                <dl class="facts">
                    <div class="facts__item">
                        <dt>{move || i18n.t(Key::Currency)}</dt>
                        <dd>{move || i18n.t(Key::CurrencyCny)}</dd>
                    </div>
                </dl>
                <fieldset class="field-group form">
                    <legend>{move || i18n.t(Key::YourAccount)}</legend>
                    <div class="field">
                        <label for="setup-admin-name">{move || i18n.t(Key::YourName)}</label>
                        <input
                            id="setup-admin-name"
                            type="text"
                            autocomplete="name"
                            aria-describedby="setup-admin-name-error"
                            aria-invalid=invalid(|f| f.admin_name.clone())
                            bind:value=admin_name
                        />
                        {field_error("setup-admin-name-error", |f| f.admin_name.clone())}
                    </div>
                    <div class="field">
                        <label for="setup-username">{move || i18n.t(Key::Username)}</label>
                        <input
                            id="setup-username"
                            type="text"
                            autocomplete="username"
                            autocapitalize="none"
                            spellcheck="false"
                            aria-describedby="setup-username-error"
                            aria-invalid=invalid(|f| f.username.clone())
                            bind:value=username
                        />
                        {field_error("setup-username-error", |f| f.username.clone())}
                    </div>
                    <NewPasswordFields
                        id="setup-password"
                        new_label=Key::Password
                        confirm_label=Key::ConfirmPassword
                        password=password
                        confirm=confirm
                        username=Signal::derive(move || username.get())
                        checked=checked
                    />
                </fieldset>
                {move || problem.get().map(|p| match p {
                    SetupProblem::BadLink => view! {
                        <p class="form__error" role="alert">{move || i18n.t(Key::SetupLinkInvalid)}</p>
                    }
                    .into_any(),
                    SetupProblem::AlreadySetUp => already_set_up(i18n).into_any(),
                    SetupProblem::Text(text) => view! { <p class="form__error" role="alert">{text}</p> }.into_any(),
                })}
                <button
                    type="submit"
                    class="button button--primary button--block"
                    disabled=move || pending.get()
                    aria-busy=move || pending.get().to_string()
                >
                    {move || i18n.t(if pending.get() { Key::CreatingDealer } else { Key::CreateDealer })}
                </button>
            </form>
        </Show>
    }
}
