//! `/`: Today — a welcome for the signed-in person, this device, and the follow-ups due (from the summaries on this device).

use leptos::prelude::*;

use crate::i18n::{Key, use_i18n, use_page_title};
use crate::local::auth::use_auth;
use crate::local::lead_index::use_lead_index;
use crate::pages::lead_form::dealer_today;
use crate::pages::leads::LeadRows;

#[component]
pub fn TodayPage() -> impl IntoView {
    use_page_title(Key::Today);
    let i18n = use_i18n();
    let auth = use_auth();
    let session = Memo::new(move |_| auth.session());
    let field = move |f: fn(&showroom_shared::api::SessionInfo) -> String| {
        move || session.with(|s| s.as_ref().map(f).unwrap_or_default())
    };
    let display_name = field(|s| s.user.display_name.clone());
    let dealer = field(|s| s.dealer.name.clone());
    let device_name = field(|s| s.device.name.as_str().to_owned());
    let signed_in_at = move || {
        session.with(|s| {
            s.as_ref()
                .map(|s| i18n.locale().date_time(s.device.created_at))
        })
    };

    let index = use_lead_index();
    let due = Memo::new(move |_| {
        let today = dealer_today();
        index.with(|i| {
            i.map(|i| {
                i.all()
                    .filter(|s| s.is_due(today))
                    .cloned()
                    .collect::<Vec<_>>()
            })
        })
    });

    view! {
        <section class="page" aria-labelledby="today-heading">
            <h1 id="today-heading" class="page__title">{move || i18n.t(Key::Today)}</h1>
            <div class="card welcome">
                <p class="welcome__greeting">{move || i18n.locale().welcome(&display_name())}</p>
                <dl class="facts">
                    <div class="facts__item">
                        <dt>{move || i18n.t(Key::Dealer)}</dt>
                        <dd>{dealer}</dd>
                    </div>
                    <div class="facts__item">
                        <dt>{move || i18n.t(Key::ThisDevice)}</dt>
                        <dd>{device_name}</dd>
                    </div>
                    <div class="facts__item">
                        <dt>{move || i18n.t(Key::SignedIn)}</dt>
                        <dd>{signed_in_at}</dd>
                    </div>
                </dl>
            </div>
            <section class="card follow-ups" aria-labelledby="due-heading">
                <h2 id="due-heading" class="card__title">{move || i18n.t(Key::FollowUpsDue)}</h2>
                {move || match due.with(|d| d.as_ref().map(Vec::is_empty)) {
                    None => view! { <p class="muted">{move || i18n.t(Key::Loading)}</p> }.into_any(),
                    Some(true) => view! {
                        <p class="muted">{move || i18n.t(Key::NoFollowUpsDue)}</p>
                    }
                    .into_any(),
                    Some(false) => view! {
                        <LeadRows rows=Signal::derive(move || due.get().unwrap_or_default()) />
                    }
                    .into_any(),
                }}
            </section>
        </section>
    }
}
