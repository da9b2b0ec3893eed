//! `/leads`: the leads list (search, grade and stage filters, sorted by next follow-up) beside the open record — two panes in landscape, one in portrait.

use leptos::prelude::*;
use leptos_router::components::{A, Outlet};
use leptos_router::hooks::use_location;
use showroom_shared::domain::{Grade, LeadId, Stage};

use crate::components::grade_chip::GradeChip;
use crate::components::icon::{Icon, IconName};
use crate::i18n::{Key, Locale, use_i18n, use_page_title};
use crate::local::lead_index::use_lead_index;
use crate::local::summary::{LeadQuery, LeadSummary};
use crate::local::sync::use_sync;
use crate::pages::lead_form::{ChoiceChips, display_phone, grade_hint, grade_text, stage_text};

/// Rows shown at first, and added by each "Show more".
pub const PAGE_ROWS: usize = 100;

/// The lead just saved on this page visit: its record says "Saved on this device".
#[derive(Clone, Copy)]
pub struct SavedFlash(pub RwSignal<Option<LeadId>>);

pub fn use_saved_flash() -> SavedFlash {
    use_context::<SavedFlash>().unwrap_or_else(|| SavedFlash(RwSignal::new(None)))
}

/// The frame of `/leads`, `/leads/new` and `/leads/:id`.
#[component]
pub fn LeadsLayout() -> impl IntoView {
    use_page_title(Key::Leads);
    provide_context(SavedFlash(RwSignal::new(None)));
    let location = use_location();
    let record_open = Memo::new(move |_| {
        let path = location.pathname.get();
        path.trim_end_matches('/') != "/leads"
    });
    view! {
        <div class="leads" class:leads--record=move || record_open.get()>
            <div class="leads__list">
                <LeadList />
            </div>
            <div class="leads__record">
                <Outlet />
            </div>
        </div>
    }
}

/// `/leads` with no record open: in landscape the right pane invites a choice.
#[component]
pub fn LeadsIndex() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <div class="card empty-state leads__placeholder">
            <p class="muted">{move || i18n.t(Key::ChooseLead)}</p>
        </div>
    }
}

/// What the list area shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ListState {
    /// The first read of the device's leads is under way.
    Loading,
    /// No leads on the device (yet): with what is being received, if anything.
    Empty,
    Ready,
}

/// The list pane: search, filters and the rows.
#[component]
pub fn LeadList() -> impl IntoView {
    let i18n = use_i18n();
    let index = use_lead_index();
    let sync = use_sync();
    let text = RwSignal::new(String::new());
    let grades = RwSignal::new(Vec::<Grade>::new());
    let stages = RwSignal::new(Vec::<Stage>::new());
    let limit = RwSignal::new(PAGE_ROWS);
    // A new search starts from the top again.
    Effect::new(move |_| {
        text.track();
        grades.track();
        stages.track();
        // Only when it moved: setting it anyway would search twice per key.
        if limit.get_untracked() != PAGE_ROWS {
            limit.set(PAGE_ROWS);
        }
    });
    let state = Memo::new(move |_| {
        index.with(|i| match i {
            None => ListState::Loading,
            Some(i) if i.is_empty() => ListState::Empty,
            Some(_) => ListState::Ready,
        })
    });
    // Recomputed when the index or the query changes; the rows below only
    // re-render when what they show changed.
    let results = Memo::new(move |_| {
        let query = LeadQuery {
            text: text.get(),
            grades: grades.get(),
            stages: stages.get(),
        };
        index.with(|i| i.map(|i| i.search(&query, limit.get())).unwrap_or_default())
    });
    let rows = Signal::derive(move || results.with(|(rows, _)| rows.clone()));
    let total = Memo::new(move |_| results.with(|(_, total)| *total));
    let shown = Memo::new(move |_| results.with(|(rows, _)| rows.len()));
    let receiving = Memo::new(move |_| sync.status.with(|s| s.receiving));
    // A device that never finished a sync does not know yet whether it has
    // no leads: online, and with the server in reach, it says it is syncing.
    let online = crate::local::network::use_online();
    let first_sync = Memo::new(move |_| {
        online.get()
            && sync
                .status
                .with(|s| s.last_sync.is_none() && !s.unreachable && s.refused.is_none())
    });
    fn toggle<T: PartialEq + Copy>(list: &mut Vec<T>, v: T) {
        if let Some(pos) = list.iter().position(|x| *x == v) {
            list.remove(pos);
        } else {
            list.push(v);
        }
    }

    view! {
        <section class="page lead-list" aria-labelledby="leads-heading">
            <div class="lead-list__head">
                <h1 id="leads-heading" class="page__title">{move || i18n.t(Key::Leads)}</h1>
                <A href="/leads/new" attr:class="button button--primary">
                    <Icon name=IconName::Plus />
                    <span>{move || i18n.t(Key::NewLead)}</span>
                </A>
            </div>
            <div class="field">
                <label for="lead-search" class="visually-hidden">{move || i18n.t(Key::SearchLeads)}</label>
                <input
                    id="lead-search"
                    class="search"
                    type="search"
                    role="searchbox"
                    autocomplete="off"
                    placeholder=move || i18n.t(Key::SearchLeads)
                    aria-label=move || i18n.t(Key::SearchLeads)
                    bind:value=text
                />
            </div>
            <div class="lead-list__filters">
                <ChoiceChips
                    label=Signal::derive(move || i18n.t(Key::Grade).to_owned())
                    options=Grade::ALL.to_vec()
                    text=grade_text
                    hint=grade_hint
                    pressed=Callback::new(move |g: Grade| grades.with(|l| l.contains(&g)))
                    on_toggle=Callback::new(move |g: Grade| grades.update(|l| toggle(l, g)))
                />
                <ChoiceChips
                    label=Signal::derive(move || i18n.t(Key::Stage).to_owned())
                    options=Stage::ALL.to_vec()
                    text=stage_text
                    pressed=Callback::new(move |s: Stage| stages.with(|l| l.contains(&s)))
                    on_toggle=Callback::new(move |s: Stage| stages.update(|l| toggle(l, s)))
                />
            </div>
            {move || receiving.get().map(|(done, of)| view! {
                <p class="muted lead-list__receiving" role="status">{move || i18n.locale().receiving(done, of)}</p>
            })}
            {move || match state.get() {
                ListState::Loading => view! { <p class="muted">{move || i18n.t(Key::Loading)}</p> }.into_any(),
                ListState::Empty if receiving.get().is_some() => ().into_any(),
                ListState::Empty if first_sync.get() => view! {
                    <p class="muted">{move || i18n.t(Key::Syncing)}</p>
                }
                .into_any(),
                ListState::Empty => view! {
                    <div class="card empty-state">
                        <p class="empty-state__title">{move || i18n.t(Key::NoLeadsYet)}</p>
                    </div>
                }
                .into_any(),
                ListState::Ready => view! {
                    <LeadRows rows=rows />
                    <Show when=move || total.get() == 0>
                        <p class="muted">{move || i18n.t(Key::NoMatches)}</p>
                    </Show>
                    <Show when=move || total.get() != 0>
                        <p class="muted lead-list__count">{move || i18n.locale().showing(shown.get(), total.get())}</p>
                    </Show>
                    <Show when=move || shown.get() < total.get()>
                        <button type="button" class="button button--secondary" on:click=move |_| limit.update(|l| *l += PAGE_ROWS)>
                            {move || i18n.t(Key::ShowMore)}
                        </button>
                    </Show>
                }
                .into_any(),
            }}
        </section>
    }
}

/// The visible rows: each a link whose name starts with the customer's name.
/// Rendered again together only when what they show changed (the rows, the
/// open record, the language), and each row is static — no reactive
/// closures. Both for memory: rows a search throws away must leave nothing
/// behind, and with Leptos 0.8's keyed `<For>`, or rows subscribing to
/// long-lived signals, they did (`tests/lead_list.rs` measures it).
#[component]
pub fn LeadRows(#[prop(into)] rows: Signal<Vec<LeadSummary>>) -> impl IntoView {
    let i18n = use_i18n();
    let location = use_location();
    let open = Memo::new(move |_| {
        location.pathname.with(|p| {
            p.strip_prefix("/leads/")
                .and_then(|id| id.parse::<LeadId>().ok())
        })
    });
    let shown = move || {
        let open = open.get();
        let locale = i18n.locale();
        rows.get()
            .into_iter()
            .map(|s| {
                let is_open = open == Some(s.id);
                (s, is_open, locale)
            })
            .collect::<Vec<_>>()
    };
    view! {
        <ul class="lead-rows">
            {move || {
                shown()
                    .into_iter()
                    .map(|(s, open, locale)| view! { <LeadRow s=s open=open locale=locale /> })
                    .collect_view()
            }}
        </ul>
    }
}

/// One row, rendered once: a plain link (the router handles its click).
#[component]
fn LeadRow(s: LeadSummary, open: bool, locale: Locale) -> impl IntoView {
    let href = format!("/leads/{}", s.id);
    let mobile = s.mobile.as_deref().map(display_phone);
    // The next follow-up as Today counts it (an overdue task included).
    let late = s
        .next_due
        .is_some_and(|at| at < crate::local::clock::start_of(crate::local::clock::today()));
    let due = match s.next_follow_up {
        Some(d) if late => format!("{} · {}", locale.t(Key::Overdue), locale.date(d)),
        Some(d) => locale.date(d),
        None => locale.t(Key::NoFollowUp).to_owned(),
    };
    view! {
        <li class="lead-row">
            <a href=href class="lead-row__link" aria-current=open.then_some("page")>
                <span class="lead-row__name">{s.name.clone()}</span>
                <span class="lead-row__mobile">{mobile}</span>
                <span class="lead-row__facts">
                    <GradeChip grade=s.grade locale=locale />
                    <span class="lead-row__stage">{locale.stage(s.stage)}</span>
                    <span class=if late { "lead-row__due lead-row__due--late" } else { "lead-row__due" }>{due}</span>
                </span>
            </a>
        </li>
    }
}
