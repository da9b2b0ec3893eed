//! `/settings`: language, this device, the app version, and signing out.

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::app::use_choose_locale;
use crate::components::language_switcher::LanguageSwitcher;
use crate::components::sign_out_button::SignOutButton;
use crate::i18n::{Key, use_i18n, use_page_title};
use crate::local::auth::use_auth;
use crate::local::pwa;

#[component]
pub fn SettingsPage() -> impl IntoView {
    use_page_title(Key::Settings);
    let i18n = use_i18n();
    let auth = use_auth();
    let choose_locale = use_choose_locale();
    let session = Memo::new(move |_| auth.session());
    let device_name =
        move || session.with(|s| s.as_ref().map(|s| s.device.name.as_str().to_owned()));
    let signed_in_at = move || {
        session.with(|s| {
            s.as_ref()
                .map(|s| i18n.locale().date_time(s.device.created_at))
        })
    };
    let build = pwa::build_id();
    let version = move || {
        build
            .clone()
            .unwrap_or_else(|| i18n.t(Key::DevelopmentBuild).to_owned())
    };
    let sign_out = Callback::new(move |()| spawn_local(auth.sign_out()));

    view! {
        <section class="page" aria-labelledby="settings-heading">
            <h1 id="settings-heading" class="page__title">{move || i18n.t(Key::Settings)}</h1>
            <div class="card">
                <LanguageSwitcher current=i18n.signal() on_choose=choose_locale />
            </div>
            <section class="card" aria-labelledby="settings-device-heading">
                <h2 id="settings-device-heading" class="card__title">{move || i18n.t(Key::ThisDevice)}</h2>
                <dl class="facts">
                    <div class="facts__item">
                        <dt>{move || i18n.t(Key::DeviceName)}</dt>
                        <dd>{device_name}</dd>
                    </div>
                    <div class="facts__item">
                        <dt>{move || i18n.t(Key::SignedIn)}</dt>
                        <dd>{signed_in_at}</dd>
                    </div>
                    <div class="facts__item">
                        <dt>{move || i18n.t(Key::AppVersion)}</dt>
                        <dd class="mono">{version}</dd>
                    </div>
                </dl>
                <SignOutButton busy=Signal::derive(move || auth.signing_out()) on_sign_out=sign_out />
            </section>
        </section>
    }
}
