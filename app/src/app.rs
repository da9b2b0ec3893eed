//! The root component: shared context (language, session, network, service worker), the router and the signed-in layout.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::{Outlet, ParentRoute, Redirect, Route, Router, Routes};
use leptos_router::hooks::use_location;
use leptos_router::path;

use crate::components::main_nav::MainNav;
use crate::components::splash::Splash;
use crate::components::top_bar::TopBar;
use crate::components::update_banner::UpdateBanner;
use crate::i18n::{I18n, Locale, use_i18n};
use crate::local::auth::{Auth, use_auth};
use crate::local::network::{self, Online, use_online};
use crate::local::preferences;
use crate::local::pwa::Pwa;
use crate::local::sync;
use crate::pages::lead_detail::LeadDetailPage;
use crate::pages::lead_new::NewLeadPage;
use crate::pages::leads::{LeadsIndex, LeadsLayout};
use crate::pages::login::LoginPage;
use crate::pages::not_found::NotFoundPage;
use crate::pages::settings::SettingsPage;
use crate::pages::team::TeamPage;
use crate::pages::today::TodayPage;

#[component]
pub fn App() -> impl IntoView {
    let i18n = I18n::new(Locale::initial());
    provide_context(i18n);
    Effect::new(move |_| preferences::set_document_language(i18n.locale().tag()));

    let online = network::online_signal();
    provide_context(Online(online));

    let auth = Auth::new();
    provide_context(auth);
    spawn_local(auth.restore());
    // Back online after being offline: the session may have been ended
    // elsewhere meanwhile.
    Effect::new(move |was_online: Option<bool>| {
        let now = online.get();
        if was_online == Some(false) && now {
            spawn_local(auth.revalidate());
        }
        now
    });

    // Sync follows the session: it connects while someone is signed in.
    let sync_status = sync::start(auth, online).status;

    let pwa = Pwa::start();
    provide_context(pwa);
    // The server no longer speaks this app's sync protocol: look for the new
    // version at once, and say a reload is needed (not merely available).
    let outdated = Memo::new(move |_| sync_status.with(|s| s.outdated));
    Effect::new(move |_| {
        if outdated.get() {
            pwa.check_now();
        }
    });

    view! {
        <UpdateBanner
            visible=Signal::derive(move || pwa.update_ready() || outdated.get())
            required=outdated
            on_reload=Callback::new(move |()| pwa.apply_update())
        />
        <Show when=move || !auth.is_starting() fallback=|| view! { <Splash /> }>
            <Router>
                <Routes fallback=|| view! { <NotFoundPage /> }>
                    <Route path=path!("/login") view=LoginPage />
                    <Route path=path!("/setup") view=crate::pages::setup::SetupPage />
                    <ParentRoute path=path!("") view=SignedInLayout>
                        <Route path=path!("") view=TodayPage />
                        // Full width (no list beside it): the builder and its totals need the room.
                        <Route path=path!("leads/:id/quotes/:version") view=crate::pages::quote::QuotePage />
                        // A test drive too: its signature pad gets the width.
                        <Route path=path!("leads/:id/drives/:drive") view=crate::pages::drive::DrivePage />
                        <ParentRoute path=path!("leads") view=LeadsLayout>
                            <Route path=path!("") view=LeadsIndex />
                            <Route path=path!("new") view=NewLeadPage />
                            <Route path=path!(":id") view=LeadDetailPage />
                        </ParentRoute>
                        <Route path=path!("visits/:doc/:visit") view=crate::pages::visit::VisitPage />
                        <Route path=path!("team") view=TeamPage />
                        <Route path=path!("approvals") view=crate::pages::approvals::ApprovalsPage />
                        <Route path=path!("settings") view=SettingsPage />
                        <Route path=path!("settings/catalogue") view=crate::pages::catalogue::CataloguePage />
                    </ParentRoute>
                </Routes>
            </Router>
        </Show>
    }
}

/// Switches the app's language and remembers the choice on this device.
pub fn use_choose_locale() -> Callback<Locale> {
    let i18n = use_i18n();
    Callback::new(move |locale: Locale| {
        i18n.set_locale(locale);
        preferences::save_language(locale.tag());
    })
}

/// The frame of every signed-in page; signed-out visitors are sent to `/login`.
/// While the account must replace a temporary password (at sign-in, or when
/// a call says so), that page is all there is, at any address: no
/// navigation, no lead index, no sync.
#[component]
fn SignedInLayout() -> impl IntoView {
    let auth = use_auth();
    let signed_in = Memo::new(move |_| auth.is_signed_in());
    let must_change = Memo::new(move |_| auth.must_change_password());
    view! {
        <Show when=move || signed_in.get() fallback=|| view! { <Redirect path="/login" /> }>
            <Show
                when=move || !must_change.get()
                fallback=|| view! { <crate::pages::password::ChooseNewPasswordPage /> }
            >
                <SignedInFrame />
            </Show>
        </Show>
    }
}

#[component]
fn SignedInFrame() -> impl IntoView {
    let i18n = use_i18n();
    let auth = use_auth();
    let online = use_online();
    let sync = crate::local::sync::use_sync();
    crate::local::lead_index::provide();
    crate::local::floor_index::provide();
    let location = use_location();
    let session = Memo::new(move |_| auth.session());
    let catalogue = crate::local::dealer::provide(Signal::derive(move || {
        session.with(|s| s.as_ref().map(|s| s.dealer.id))
    }));
    // Every change this device makes is judged by the server's rules, for
    // this person under their dealer's policy (`local::judge`).
    let judge_now = move || {
        let policy = catalogue
            .dealer
            .with(|d| d.as_ref().map(showroom_shared::rules::policy))
            .unwrap_or_default();
        crate::local::judge::set(session.with(|s| {
            s.as_ref().map(|s| crate::local::judge::Judge {
                dealer: s.dealer.id,
                author: showroom_shared::rules::Author {
                    user: s.user.id,
                    role: s.user.role,
                },
                policy,
            })
        }));
    };
    judge_now();
    Effect::new(move |_| judge_now());
    on_cleanup(|| crate::local::judge::set(None));
    let dealer = Signal::derive(move || {
        session.with(|s| {
            s.as_ref()
                .map(|s| s.dealer.name.clone())
                .unwrap_or_default()
        })
    });
    let user_line = Signal::derive(move || {
        session.with(|s| {
            s.as_ref()
                .map(|s| {
                    i18n.locale()
                        .user_line(&s.user.display_name, s.user.username.as_str())
                })
                .unwrap_or_default()
        })
    });
    let is_manager = Signal::derive(move || {
        session.with(|s| s.as_ref().is_some_and(|s| s.user.role.is_manager()))
    });
    let show_sign_out = Signal::derive(move || location.pathname.get() != "/settings");
    // "Walk-in", one tap from anywhere: the arrival is logged now and its
    // page opens for the rest.
    let walking_in = RwSignal::new(false);
    let navigate = leptos_router::hooks::use_navigate();
    let walk_in = Callback::new(move |()| {
        let Some(s) = auth.session_untracked() else {
            return;
        };
        if walking_in.get_untracked() {
            return;
        }
        walking_in.set(true);
        let navigate = navigate.clone();
        spawn_local(async move {
            match crate::local::register::walk_in(s.user.id, s.dealer.id).await {
                Ok((visit, doc)) => navigate(
                    &crate::pages::visit::visit_href(doc, visit.id),
                    Default::default(),
                ),
                Err(e) => {
                    web_sys::console::error_1(&format!("Could not log the walk-in: {e}").into())
                }
            }
            walking_in.set(false);
        });
    });
    // The navigation's badge: this person's follow-ups overdue or due today.
    let index = crate::local::lead_index::use_lead_index();
    let due_count = Signal::derive(move || {
        let Some(me) = session.with(|s| s.as_ref().map(|s| s.user.id)) else {
            return 0;
        };
        let end = crate::local::clock::start_of(crate::local::clock::today()) + 86_400_000;
        index.with(|i| {
            i.map_or(0, |i| {
                i.all()
                    .flat_map(|s| s.tasks.iter())
                    .filter(|t| t.assignee == me && t.due < end)
                    .count()
            })
        })
    });
    // The approvals' badge: what waits for a manager's decision.
    let approvals_count = Signal::derive(move || {
        if !is_manager.get() {
            return 0;
        }
        index.with(|i| {
            i.map_or(0, |i| {
                i.all()
                    .map(|s| s.approvals_waiting as usize + usize::from(s.lost_waiting))
                    .sum()
            })
        })
    });
    view! {
        <div class="shell">
            <TopBar
                dealer=dealer
                user_line=user_line
                online=online
                sync_status=Signal::derive(move || sync.status.get())
                show_sign_out=show_sign_out
                signing_out=Signal::derive(move || auth.signing_out())
                on_sign_out=Callback::new(move |()| spawn_local(auth.sign_out()))
            />
            <MainNav show_team=is_manager due_count=due_count approvals_count=approvals_count on_walk_in=walk_in walking_in=Signal::derive(move || walking_in.get()) />
            <main class="shell__main" id="main">
                <Outlet />
            </main>
            <Show when=move || auth.is_ending()>
                <SessionEnding waiting=Signal::derive(move || sync.status.with(|s| s.waiting)) />
            </Show>
        </div>
    }
}

/// A manager ended the session: over everything, while the device
/// delivers what it has not synced; then it is cleared and the sign-in
/// page says so. Nothing here to press: the work is the device's.
#[component]
fn SessionEnding(waiting: Signal<u32>) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <div class="dialog-backdrop">
            <div class="card dialog" role="alertdialog" aria-modal="true" aria-labelledby="ending-title" aria-describedby="ending-body">
                <h2 id="ending-title">{move || i18n.t(crate::i18n::Key::SessionEndingTitle)}</h2>
                <p id="ending-body">{move || i18n.t(crate::i18n::Key::SessionEndingBody)}</p>
                <p class="muted" role="status">{move || i18n.locale().waiting(waiting.get())}</p>
            </div>
        </div>
    }
}
