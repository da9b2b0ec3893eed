//! `/leads`: the leads list (search, grade, stage and owner filters, sorted by next follow-up; a manager's multi-select that hands leads to a colleague or the pool) beside the open record — two panes in landscape, one in portrait.

use leptos::prelude::*;
use leptos_router::components::{A, Outlet};
use leptos_router::hooks::use_location;
use showroom_shared::domain::{Grade, LeadId, Stage, UserId};
use wasm_bindgen::JsCast;

use crate::components::grade_chip::GradeChip;
use crate::components::icon::{Icon, IconName};
use crate::i18n::{Key, Locale, use_i18n, use_page_title};
use crate::local::auth::use_auth;
use crate::local::lead_index::use_lead_index;
use crate::local::leads::{self, HandOver};
use crate::local::people::{Colleague, use_colleagues};
use crate::local::summary::{LeadQuery, LeadSummary, OwnerFilter};
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
    // The owner filter's select: "" everyone, "mine", "pool" or a person's id.
    let owner = RwSignal::new(String::new());
    let limit = RwSignal::new(PAGE_ROWS);
    let auth = use_auth();
    let me = Memo::new(move |_| auth.session().map(|s| s.user.id));
    let manager = Memo::new(move |_| {
        auth.session()
            .is_some_and(|s| showroom_shared::rules::may_decide(s.user.role))
    });
    let people = use_colleagues();
    let picking = Picking::new();
    // A new search starts from the top again.
    Effect::new(move |_| {
        text.track();
        grades.track();
        stages.track();
        owner.track();
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
            owner: owner.with(|o| owner_filter(o, me.get())),
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
                <div class="lead-list__actions">
                    // Only a manager hands leads over (`rules::owner_move`): a
                    // salesperson has no such control at all.
                    <Show when=move || manager.get()>
                        <button
                            type="button"
                            class="button button--secondary"
                            aria-pressed=move || if picking.on.get() { "true" } else { "false" }
                            on:click=move |_| picking.toggle()
                        >
                            {move || i18n.t(Key::SelectLeads)}
                        </button>
                    </Show>
                    <A href="/leads/new" attr:class="button button--primary">
                        <Icon name=IconName::Plus />
                        <span>{move || i18n.t(Key::NewLead)}</span>
                    </A>
                </div>
            </div>
            <div class="lead-list__search">
            <div class="field lead-list__text">
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
            <OwnerSelect owner=owner manager=manager me=me people=people />
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
            <MovedAwayNotices />
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
                    <LeadRows rows=rows picking=picking people=people />
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
            <Show when=move || manager.get() && picking.on.get()>
                <PickBar picking=picking people=people />
            </Show>
        </section>
    }
}

/// The owner filter's choice (its select's value) as a filter: "mine" is
/// the signed-in person's, "pool" nobody's, an id that person's, anything
/// else everyone's.
fn owner_filter(value: &str, me: Option<UserId>) -> OwnerFilter {
    match value {
        "mine" => me.map_or(OwnerFilter::Anyone, OwnerFilter::Person),
        "pool" => OwnerFilter::Pool,
        other => other
            .parse::<UserId>()
            .map_or(OwnerFilter::Anyone, OwnerFilter::Person),
    }
}

/// Whose leads the list shows: everyone's, mine, the pool's — and, for a
/// manager, one colleague's (every colleague the server lists, a
/// deactivated one too: their leads are the ones to hand on).
#[component]
fn OwnerSelect(
    owner: RwSignal<String>,
    manager: Memo<bool>,
    me: Memo<Option<UserId>>,
    people: RwSignal<Vec<Colleague>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let option = move |value: &'static str, key: Key| {
        view! {
            <option value=value selected=move || owner.with(|o| o == value)>{move || i18n.t(key)}</option>
        }
    };
    let colleagues = move || {
        let me = me.get();
        let list: Vec<_> = people.with(|p| {
            p.iter()
                .filter(|c| Some(c.id) != me)
                .map(|c| (c.id.to_string(), c.name.clone()))
                .collect()
        });
        (manager.get() && !list.is_empty()).then(|| {
            view! {
                <optgroup label=move || i18n.t(Key::OwnerColleagues)>
                    {list
                        .into_iter()
                        .map(|(id, name)| {
                            let selected = owner.with_untracked(|o| *o == id);
                            view! { <option value=id selected=selected>{name}</option> }
                        })
                        .collect_view()}
                </optgroup>
            }
        })
    };
    view! {
        <div class="field lead-list__owner">
            <label for="lead-owner" class="lead-list__owner-label">{move || i18n.t(Key::Owner)}</label>
            // Named apart from the open lead's own "Owner" beside it.
            <select id="lead-owner" aria-label=move || i18n.t(Key::OwnerFilter) on:change=move |ev| owner.set(event_target_value(&ev))>
                {option("", Key::OwnerAnyone)}
                {option("mine", Key::OwnerMine)}
                {option("pool", Key::OwnerPool)}
                {colleagues}
            </select>
        </div>
    }
}

/// A manager's selection on the list: "Select" puts a checkbox on each row.
#[derive(Clone, Copy)]
pub struct Picking {
    /// The checkboxes are shown.
    pub on: RwSignal<bool>,
    /// The leads ticked, in the order they were ticked.
    pub picked: RwSignal<Vec<LeadId>>,
    /// Moved when the selection is cleared other than by a tick: the rows
    /// (static) are drawn again with their boxes empty.
    redraw: RwSignal<u64>,
    /// What the last hand-over did, and to whom (`None`: the pool).
    said: RwSignal<Option<(HandOver, Option<UserId>)>>,
}

impl Picking {
    pub fn new() -> Picking {
        Picking {
            on: RwSignal::new(false),
            picked: RwSignal::new(Vec::new()),
            redraw: RwSignal::new(0),
            said: RwSignal::new(None),
        }
    }

    fn toggle(self) {
        self.on.update(|on| *on = !*on);
        self.clear();
        self.said.set(None);
    }

    fn clear(self) {
        self.picked.set(Vec::new());
        self.redraw.update(|n| *n += 1);
    }

    /// A row's box was ticked or cleared.
    fn tick(self, lead: LeadId, on: bool) {
        self.said.set(None);
        self.picked.update(|p| {
            let at = p.iter().position(|l| *l == lead);
            match (on, at) {
                (true, None) => p.push(lead),
                (false, Some(at)) => {
                    p.remove(at);
                }
                _ => {}
            }
        });
    }
}

impl Default for Picking {
    fn default() -> Picking {
        Picking::new()
    }
}

/// Below the ticked rows: how many, to whom, and the button that hands them
/// over — each lead's owner edited as on its page (`leads::hand_over`),
/// saved on the device and queued for the server, offline too.
#[component]
fn PickBar(picking: Picking, people: RwSignal<Vec<Colleague>>) -> impl IntoView {
    let i18n = use_i18n();
    let auth = use_auth();
    // "" nobody chosen yet, "pool", or a person's id.
    let to = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let count = Memo::new(move |_| picking.picked.with(Vec::len));
    let target = move |value: &str| -> Option<Option<UserId>> {
        match value {
            "pool" => Some(None),
            other => other.parse::<UserId>().ok().map(Some),
        }
    };
    let ready = move || count.get() > 0 && to.with(|t| target(t).is_some()) && !busy.get();
    let reassign = move |_| {
        let Some(owner) = to.with_untracked(|t| target(t)) else {
            return;
        };
        let Some(me) = auth.session_untracked().map(|s| s.user.id) else {
            return;
        };
        let chosen = picking.picked.get_untracked();
        if chosen.is_empty() || busy.get_untracked() {
            return;
        }
        busy.set(true);
        leptos::task::spawn_local(async move {
            let done = leads::hand_over(&chosen, owner, me, js_sys::Date::now() as i64).await;
            // The list was left meanwhile: nothing to say.
            if busy.try_set(false).is_some() {
                return;
            }
            picking.clear();
            picking.said.set(Some((done, owner)));
        });
    };
    let said = move || {
        let (done, owner) = picking.said.get()?;
        let locale = i18n.locale();
        let handed = match owner {
            _ if done.handed == 0 => None,
            None => Some(locale.handed_to_pool(done.handed)),
            Some(user) => {
                let name = people.with(|p| {
                    p.iter()
                        .find(|c| c.id == user)
                        .map_or_else(|| locale.t(Key::Colleague).to_owned(), |c| c.name.clone())
                });
                Some(locale.handed_to(done.handed, &name))
            }
        };
        let failed = (done.failed > 0).then(|| locale.not_handed(done.failed));
        Some(view! {
            {handed.map(|h| view! { <span class="pick-bar__done">{h}</span> })}
            {failed.map(|f| view! { <span class="pick-bar__failed">{f}</span> })}
        })
    };
    view! {
        <div class="pick-bar" role="group" aria-labelledby="pick-bar-count">
            <p id="pick-bar-count" class="pick-bar__count">{move || i18n.locale().picked(count.get())}</p>
            <div class="pick-bar__to">
                <label for="hand-to">{move || i18n.t(Key::HandTo)}</label>
                <select id="hand-to" on:change=move |ev| to.set(event_target_value(&ev))>
                    <option value="" selected=move || to.with(String::is_empty)>{move || i18n.t(Key::HandToChoose)}</option>
                    <option value="pool">{move || i18n.t(Key::OwnerPool)}</option>
                    {move || {
                        people
                            .get()
                            .into_iter()
                            .filter(|c| c.active)
                            .map(|c| {
                                let id = c.id.to_string();
                                let selected = to.with_untracked(|t| *t == id);
                                view! { <option value=id selected=selected>{c.name}</option> }
                            })
                            .collect_view()
                    }}
                </select>
            </div>
            <button type="button" class="button button--primary" disabled=move || !ready() on:click=reassign>
                {move || i18n.t(Key::Reassign)}
            </button>
            <p class="pick-bar__said" role="status">{said}</p>
        </div>
    }
}

/// The visible rows: each a link whose name starts with the customer's name.
/// Rendered again together only when what they show changed (the rows, the
/// open record, the language, the owners' names, a manager's "Select"), and
/// each row is static — no reactive closures, and no listener of its own
/// (a ticked box is heard once, on the list). Both for memory: rows a
/// search throws away must leave nothing behind, and with Leptos 0.8's
/// keyed `<For>`, or rows subscribing to long-lived signals, they did
/// (`tests/lead_list.rs` measures it).
#[component]
pub fn LeadRows(
    #[prop(into)] rows: Signal<Vec<LeadSummary>>,
    picking: Picking,
    people: RwSignal<Vec<Colleague>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let auth = use_auth();
    let location = use_location();
    let open = Memo::new(move |_| {
        location.pathname.with(|p| {
            p.strip_prefix("/leads/")
                .and_then(|id| id.parse::<LeadId>().ok())
        })
    });
    let catalogue = crate::local::dealer::use_dealer_catalogue();
    let rules = Memo::new(move |_| {
        catalogue
            .dealer
            .with(|d| d.as_ref().map(|d| d.settings.follow_up.clone()))
            .unwrap_or_default()
    });
    // A salesperson takes a pool lead with one tap; a manager hands leads
    // out with "Select".
    let claims = Memo::new(move |_| {
        auth.session()
            .is_some_and(|s| !showroom_shared::rules::may_decide(s.user.role))
    });
    let claimed = RwSignal::new(false);
    let shown = move || {
        let open = open.get();
        let locale = i18n.locale();
        let me = auth.session().map(|s| s.user.id);
        picking.redraw.track();
        // Ticks are read, not tracked: a tick changes its own box only.
        let picked = picking.on.get().then(|| picking.picked.get_untracked());
        let now = js_sys::Date::now() as i64;
        let claims = claims.get();
        rules.with(|rules| {
            people.with(|people| {
                rows.get()
                    .into_iter()
                    .map(|s| {
                        let is_open = open == Some(s.id);
                        let owner = owner_text(locale, s.owner, me, people);
                        let pick = picked.as_ref().map(|p| p.contains(&s.id));
                        let pool = (s.owner.is_none() && s.stage.is_open()).then(|| {
                            let wait = s.pool_wait(rules, now);
                            PoolRow {
                                wait: wait.map(|w| (locale.pool_wait(w), w.overdue())),
                                claim: claims.then(|| locale.claim_lead_named(&s.name)),
                            }
                        });
                        (s, is_open, locale, owner, pick, pool)
                    })
                    .collect::<Vec<_>>()
            })
        })
    };
    // One listener for every row's Claim button.
    let claim = move |ev: leptos::ev::MouseEvent| {
        let Some(button) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .and_then(|e| e.closest("button[data-claim]").ok().flatten())
        else {
            return;
        };
        let Some(lead) = button
            .get_attribute("data-claim")
            .and_then(|id| id.parse::<LeadId>().ok())
        else {
            return;
        };
        let Some(me) = auth.session_untracked().map(|s| s.user.id) else {
            return;
        };
        let _ = button.set_attribute("disabled", "");
        leptos::task::spawn_local(async move {
            let done = leads::claim(&[lead], me, js_sys::Date::now() as i64).await;
            let _ = claimed.try_set(done.handed > 0);
        });
    };
    // One listener for every row's box.
    let ticked = move |ev: leptos::ev::Event| {
        let Some(input) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
        else {
            return;
        };
        if input.type_() != "checkbox" {
            return;
        }
        if let Ok(lead) = input.value().parse::<LeadId>() {
            picking.tick(lead, input.checked());
        }
    };
    view! {
        <p class="lead-list__claimed" role="status">
            {move || claimed.get().then(|| i18n.t(Key::ClaimedSaved))}
        </p>
        <ul class="lead-rows" on:change=ticked on:click=claim>
            {move || {
                shown()
                    .into_iter()
                    .map(|(s, open, locale, owner, pick, pool)| view! {
                        <LeadRow s=s open=open locale=locale owner=owner pick=pick pool=pool />
                    })
                    .collect_view()
            }}
        </ul>
    }
}

/// What a pool lead's row adds: how long it has waited against the
/// dealer's first-contact target, and, for a salesperson, the button that
/// claims it (named after the customer).
struct PoolRow {
    /// Waiting for a first contact: how long, and whether past the target.
    wait: Option<(String, bool)>,
    claim: Option<String>,
}

/// Whose lead it is, as a row says it: "Me", a colleague's name (or
/// "Colleague" when the names are not known), or "Pool" (short: the row
/// keeps to two lines beside an open record).
fn owner_text(
    locale: Locale,
    owner: Option<UserId>,
    me: Option<UserId>,
    people: &[Colleague],
) -> String {
    match owner {
        None => locale.t(Key::OwnerPoolShort).to_owned(),
        Some(o) if Some(o) == me => locale.t(Key::Me).to_owned(),
        Some(o) => people
            .iter()
            .find(|c| c.id == o)
            .map_or_else(|| locale.t(Key::Colleague).to_owned(), |c| c.name.clone()),
    }
}

/// One row, rendered once: a plain link (the router handles its click),
/// and, while a manager selects, a box beside it named after the customer.
#[component]
fn LeadRow(
    s: LeadSummary,
    open: bool,
    locale: Locale,
    owner: String,
    /// `Some(ticked)` while selecting.
    pick: Option<bool>,
    /// A lead in the pool.
    pool: Option<PoolRow>,
) -> impl IntoView {
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
    // A pool lead says how long it has waited rather than when it is due.
    let (due, late) = match pool.as_ref().and_then(|p| p.wait.clone()) {
        Some(wait) => wait,
        None => (due, late),
    };
    let claim = pool.and_then(|p| p.claim).map(|label| {
        view! {
            <button type="button" class="button button--secondary lead-row__claim" data-claim=s.id.to_string() aria-label=label>
                {locale.t(Key::ClaimLead)}
            </button>
        }
    });
    let pool = s.owner.is_none();
    let picking = pick.is_some();
    let pick = pick.map(|ticked| {
        view! {
            <label class="lead-row__pick">
                <input type="checkbox" value=s.id.to_string() prop:checked=ticked aria-label=s.name.clone() />
            </label>
        }
    });
    view! {
        <li class="lead-row" class:lead-row--pick=picking>
            {pick}
            <a href=href class="lead-row__link" aria-current=open.then_some("page")>
                <span class="lead-row__who">
                    <span class="lead-row__name">{s.name.clone()}</span>
                    <span class="lead-row__owner" class:lead-row__owner--pool=pool>
                        <span class="visually-hidden">{locale.t(Key::Owner)}": "</span>
                        {owner}
                    </span>
                </span>
                <span class="lead-row__mobile">{mobile}</span>
                <span class="lead-row__facts">
                    <GradeChip grade=s.grade locale=locale />
                    <span class="lead-row__stage">{locale.stage(s.stage)}</span>
                    {(s.collisions_open > 0).then(|| view! { <span class="lead-row__collision">{locale.t(Key::CollisionBadge)}</span> })}
                    <span class=if late { "lead-row__due lead-row__due--late" } else { "lead-row__due" }>{due}</span>
                </span>
            </a>
            {claim}
        </li>
    }
}

/// Leads of this salesperson that went to a colleague since they last
/// looked: a claim a colleague made first, or a manager's hand-over. Each
/// notice stays until its "OK" (it is kept on the device, never with the
/// customer), and a new one appears as the removal arrives.
#[component]
pub fn MovedAwayNotices() -> impl IntoView {
    let i18n = use_i18n();
    let names = crate::local::people::use_colleague_names();
    let notices = RwSignal::new(Vec::<crate::local::store::MovedAway>::new());
    let reload = move || {
        leptos::task::spawn_local(async move {
            match crate::local::store::moved_away().await {
                Ok(list) => {
                    let _ = notices.try_set(list);
                }
                Err(e) => web_sys::console::warn_1(&format!("Could not read notices: {e}").into()),
            }
        });
    };
    reload();
    let subscription = crate::local::store::subscribe(move |change| {
        if !change.removed.is_empty() {
            reload();
        }
    });
    let _keep = StoredValue::new_local(subscription);
    let dismiss = move |lead: LeadId| {
        notices.update(|n| n.retain(|m| m.lead != lead));
        leptos::task::spawn_local(async move {
            if let Err(e) = crate::local::store::dismiss_moved(lead).await {
                web_sys::console::warn_1(&format!("Could not dismiss a notice: {e}").into());
            }
        });
    };
    view! {
        <Show when=move || notices.with(|n| !n.is_empty())>
            <section class="moved-away" aria-labelledby="moved-away-heading">
                <h2 id="moved-away-heading" class="visually-hidden">{move || i18n.t(Key::MovedAwayHeading)}</h2>
                <ul class="moved-away__list">
                    {move || {
                        let locale = i18n.locale();
                        names.with(|names| {
                            notices
                                .get()
                                .into_iter()
                                .map(|n| {
                                    let who = crate::local::people::name_of(names, n.to, locale.t(Key::Colleague));
                                    let text = locale.moved_away(&n, &who);
                                    let lead = n.lead;
                                    view! {
                                        <li class="notice notice--info moved-away__item" role="status">
                                            <p>{text}</p>
                                            <button type="button" class="button button--secondary" on:click=move |_| dismiss(lead)>
                                                {locale.t(Key::MovedAwayOk)}
                                            </button>
                                        </li>
                                    }
                                })
                                .collect_view()
                        })
                    }}
                </ul>
            </section>
        </Show>
    }
}
