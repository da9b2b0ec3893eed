//! The main navigation: Today, Leads, Team (managers), Settings. A left rail in landscape, a bottom tab bar in portrait.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::components::icon::{Icon, IconName};
use crate::i18n::{Key, use_i18n};

#[component]
pub fn MainNav(
    #[prop(into)] show_team: Signal<bool>,
    /// Follow-ups overdue or due today: Today's badge.
    #[prop(into)]
    due_count: Signal<usize>,
    /// Quotes and lost requests waiting for a manager: Approvals' badge.
    #[prop(into)]
    approvals_count: Signal<usize>,
    /// "Walk-in": logs an arrival now (the frame does the work).
    on_walk_in: Callback<()>,
    #[prop(into)] walking_in: Signal<bool>,
) -> impl IntoView {
    let i18n = use_i18n();
    let item = move |href: &'static str, icon: IconName, key: Key| {
        let count = move || match href {
            "/" => due_count.get(),
            "/approvals" => approvals_count.get(),
            _ => 0,
        };
        let title = move || match href {
            "/approvals" => i18n.locale().approvals_badge(count()),
            _ => i18n.locale().due_badge(count()),
        };
        view! {
            <li class="main-nav__item">
                // `exact` so "Today" (/) is not current on every page; the
                // others are current on their sub-pages too (/leads/…).
                <A href=href exact=href == "/" attr:class="main-nav__link">
                    <Icon name=icon />
                    <span class="main-nav__label">{move || i18n.t(key)}</span>
                    {move || (count() > 0).then(|| view! {
                        // Hidden from the link's name ("Today" stays "Today"); the
                        // count is described, and the page's headings say it.
                        <span class="main-nav__badge" aria-hidden="true" title=title()>{count()}</span>
                    })}
                </A>
            </li>
        }
    };
    view! {
        <nav class="main-nav" aria-label=move || i18n.t(Key::MainNavigation)>
            <ul class="main-nav__list">
                {item("/", IconName::Today, Key::Today)}
                {item("/leads", IconName::Leads, Key::Leads)}
                <Show when=move || show_team.get()>{item("/approvals", IconName::Approvals, Key::Approvals)}</Show>
                <Show when=move || show_team.get()>{item("/team", IconName::Team, Key::Team)}</Show>
                {item("/settings", IconName::Settings, Key::Settings)}
                <li class="main-nav__item main-nav__item--action">
                    <button type="button" class="main-nav__walk-in" disabled=move || walking_in.get()
                        on:click=move |_| on_walk_in.run(())>
                        <Icon name=IconName::Plus />
                        <span class="main-nav__label">{move || if walking_in.get() { i18n.t(Key::LoggingWalkIn) } else { i18n.t(Key::WalkIn) }}</span>
                    </button>
                </li>
            </ul>
        </nav>
    }
}
