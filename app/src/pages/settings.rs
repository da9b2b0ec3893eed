//! `/settings`: language, this device, the app version, signing out, one's own password, and the catalogue.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;

use crate::app::use_choose_locale;
use crate::components::language_switcher::LanguageSwitcher;
use crate::components::sign_out_button::SignOutButton;
use crate::i18n::{Key, use_i18n, use_page_title};
use crate::local::auth::use_auth;
use crate::local::clock;
use crate::local::dealer::use_dealer_catalogue;
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
    let catalogue = use_dealer_catalogue();
    // A dealer's zone this browser does not know: times are China time
    // (`clock`), and the person is told so.
    let zone_notice = move || {
        catalogue
            .dealer
            .with(|d| d.as_ref().map(|d| d.settings.time_zone.clone()))
            .filter(|zone| !clock::browser_knows(zone))
            .map(|zone| {
                view! { <p class="notice" role="status">{move || i18n.locale().time_zone_fallback(&zone)}</p> }
            })
    };
    // Only a manager or an admin edits it (`rules::may_edit_catalogue`; the
    // server refuses anyone else's change).
    let may_edit = Memo::new(move |_| {
        session.with(|s| {
            s.as_ref()
                .is_some_and(|s| showroom_shared::rules::may_edit_catalogue(s.user.role))
        })
    });
    // Read-only here; the manager's editor comes with the catalogue screens.
    let models = move || {
        catalogue.dealer.with(|d| {
            let Some(d) = d else {
                return view! { <p class="muted">{i18n.t(Key::CatalogueNotHere)}</p> }.into_any();
            };
            let rows: Vec<_> = d
                .models
                .iter()
                .filter(|m| !m.archived)
                .map(|m| {
                    let trims: Vec<_> = d
                        .trims
                        .iter()
                        .filter(|t| t.model == m.id && !t.archived)
                        .map(|t| {
                            view! {
                                <li class="catalogue__trim">
                                    <span>{t.name.clone()}</span>
                                    <span class="money">{format!("¥ {}", t.list_price)}</span>
                                </li>
                            }
                        })
                        .collect();
                    view! {
                        <li class="catalogue__model">
                            <h3 class="catalogue__name">{m.name.clone()}</h3>
                            <ul class="catalogue__trims">{trims}</ul>
                        </li>
                    }
                })
                .collect();
            let cars: Vec<_> = d
                .cars
                .iter()
                .filter(|c| !c.archived)
                .map(|c| {
                    view! {
                        <li class="catalogue__car">
                            <span>{d.car_label(c.id)}</span>
                            <span class="mono">{c.vin.to_string()}</span>
                        </li>
                    }
                })
                .collect();
            view! {
                <ul class="catalogue" aria-label=i18n.t(Key::Catalogue)>{rows}</ul>
                <h3 class="card__subtitle">{i18n.t(Key::DemoCars)}</h3>
                <ul class="catalogue__cars" aria-label=i18n.t(Key::DemoCars)>{cars}</ul>
            }
            .into_any()
        })
    };

    view! {
        <section class="page" aria-labelledby="settings-heading">
            <h1 id="settings-heading" class="page__title">{move || i18n.t(Key::Settings)}</h1>
            {zone_notice}
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
            <crate::pages::password::ChangePasswordSection />
            <section class="card" aria-labelledby="settings-catalogue-heading">
                <h2 id="settings-catalogue-heading" class="card__title">{move || i18n.t(Key::Catalogue)}</h2>
                {move || may_edit.get().then(|| view! {
                    <A href="/settings/catalogue" attr:class="button button--primary">{move || i18n.t(Key::EditCatalogue)}</A>
                })}
                {models}
            </section>
        </section>
    }
}
