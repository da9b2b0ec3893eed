//! `/`: Today — a welcome for the signed-in person, this device, and the follow-ups due (from the summaries on this device).

use leptos::prelude::*;
use showroom_shared::domain::UserId;

use crate::i18n::{Key, use_i18n, use_page_title};
use crate::local::auth::use_auth;
use crate::local::clock;
use crate::local::dealer::use_dealer_catalogue;
use crate::local::floor::CarState;
use crate::local::floor_index::use_floor;
use crate::local::lead_index::use_lead_index;
use crate::pages::visit::visit_href;

/// One row of Today's follow-up work: an open task, or a lead whose
/// follow-up date has come with no task planned (`kind: None`).
#[derive(Clone, Debug, PartialEq)]
struct WorkRow {
    lead: showroom_shared::domain::LeadId,
    name: String,
    kind: Option<showroom_shared::domain::followup::TaskKind>,
    /// The task, for completing it on the row (`None`: a follow-up date).
    task: Option<showroom_shared::domain::followup::TaskId>,
    grade: showroom_shared::domain::Grade,
    due: i64,
    assignee: Option<UserId>,
}

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

    // The follow-up work on the device: this person's open tasks (a
    // manager: everyone's), overdue oldest first, then due today — and the
    // leads whose follow-up date has come with no task planned
    // (`Lead::next_due`, the one truth the list and the lead read).
    let work = Memo::new(move |_| {
        let me = auth
            .session()
            .map(|s| (s.user.id, showroom_shared::rules::may_decide(s.user.role)));
        let now = clock::now_ms();
        let end_of_day = clock::start_of(clock::today()) + 86_400_000;
        index.with(|i| {
            let (Some(i), Some((me, manager))) = (i, me) else {
                return None;
            };
            let mut overdue = Vec::new();
            let mut today = Vec::new();
            for s in i.all() {
                let mut rows: Vec<WorkRow> = s
                    .tasks
                    .iter()
                    .filter(|t| manager || t.assignee == me)
                    .map(|t| WorkRow {
                        lead: s.id,
                        name: s.name.clone(),
                        kind: Some(t.kind),
                        task: Some(t.id),
                        grade: s.grade,
                        due: t.due,
                        assignee: Some(t.assignee),
                    })
                    .collect();
                if s.tasks.is_empty()
                    && (manager || s.owner == Some(me))
                    && let Some(due) = s.next_due
                {
                    rows.push(WorkRow {
                        lead: s.id,
                        name: s.name.clone(),
                        kind: None,
                        task: None,
                        grade: s.grade,
                        due,
                        assignee: s.owner,
                    });
                }
                for row in rows {
                    if row.due < now {
                        overdue.push(row);
                    } else if row.due < end_of_day {
                        today.push(row);
                    }
                }
            }
            overdue.sort_by_key(|r| r.due);
            today.sort_by_key(|r| r.due);
            Some((overdue, today))
        })
    });
    // What else waits: leads nobody has reached yet (past the dealer's
    // target flagged), quotes waiting for a manager or approved since
    // yesterday; a manager's team, overdue per salesperson.
    let catalogue_for_targets = use_dealer_catalogue();
    let waiting = Memo::new(move |_| {
        let me = auth
            .session()
            .map(|s| (s.user.id, showroom_shared::rules::may_decide(s.user.role)));
        let now = clock::now_ms();
        let since_yesterday = clock::start_of(clock::today().add_days(-1));
        let target_h = catalogue_for_targets
            .dealer
            .with(|d| d.as_ref().map(|d| d.settings.follow_up.first_contact_hours))
            .unwrap_or(24);
        index.with(|i| {
            let (Some(i), Some((me, manager))) = (i, me) else {
                return None;
            };
            let mine = |s: &&crate::local::summary::LeadSummary| manager || s.owner == Some(me);
            let mut no_contact: Vec<(showroom_shared::domain::LeadId, String, bool)> = i
                .all()
                .filter(mine)
                .filter(|s| s.awaiting_first_contact)
                .map(|s| {
                    (
                        s.id,
                        s.name.clone(),
                        now - s.created_at > i64::from(target_h) * 3_600_000,
                    )
                })
                .collect();
            no_contact.sort_by_key(|(_, _, late)| !late);
            let quotes_waiting: u32 = i.all().filter(mine).map(|s| s.approvals_waiting).sum();
            let lost_waiting = i.all().filter(mine).filter(|s| s.lost_waiting).count();
            let approved = i
                .all()
                .filter(mine)
                .filter(|s| s.approved_at.is_some_and(|a| a >= since_yesterday))
                .count();
            let mut team: Vec<(UserId, usize)> = Vec::new();
            if manager {
                for s in i.all() {
                    for t in s.tasks.iter().filter(|t| t.due < now) {
                        match team.iter_mut().find(|(u, _)| *u == t.assignee) {
                            Some(e) => e.1 += 1,
                            None => team.push((t.assignee, 1)),
                        }
                    }
                }
                team.sort_by_key(|(_, n)| std::cmp::Reverse(*n));
            }
            Some((no_contact, quotes_waiting, lost_waiting, approved, team))
        })
    });
    // Colleagues' names for the manager's lines (online; else "Colleague").
    let names = crate::local::people::use_colleague_names();
    let decides = Memo::new(move |_| {
        auth.session()
            .is_some_and(|s| showroom_shared::rules::may_decide(s.user.role))
    });
    let show_all_unreached = RwSignal::new(false);
    let task_rows = move |rows: Vec<WorkRow>, late: bool| {
        let locale = i18n.locale();
        let now = clock::now_ms();
        let manager = decides.get_untracked();
        view! {
            <ul class="task-rows">
                {rows.into_iter().map(|r| {
                    let kind = match r.kind {
                        Some(k) => crate::pages::follow_up::task_kind_text(locale, k).to_owned(),
                        None => locale.t(Key::FollowUpDate).to_owned(),
                    };
                    let when = if late {
                        crate::pages::follow_up::lateness(locale, r.due, now).unwrap_or_default()
                    } else if r.kind.is_none() {
                        String::new()
                    } else {
                        locale.time_of_day(r.due)
                    };
                    // A manager sees whose it is.
                    let who = (manager).then(|| {
                        r.assignee
                            .and_then(|u| names.with_untracked(|ns| ns.iter().find(|(id, _)| *id == u).map(|(_, n)| n.clone())))
                            .unwrap_or_else(|| locale.t(Key::Colleague).to_owned())
                    });
                    let lead = r.lead;
                    let name = r.name;
                    let quick = r.task.map(|task| view! {
                        <crate::pages::follow_up::QuickComplete lead=lead task=task grade=r.grade name=name.clone() />
                    });
                    view! {
                        <li class=if late { "task-row task-row--late" } else { "task-row" }>
                            <a href=format!("/leads/{lead}") class="task-row__link">
                                <span class="task-row__what">{name.clone()}</span>
                                <span>{kind}</span>
                                {who.map(|w| view! { <span class="muted task-row__who">{w}</span> })}
                                <span class=if late { "badge badge--danger" } else { "muted" }>{when}</span>
                            </a>
                            {quick}
                        </li>
                    }
                }).collect_view()}
            </ul>
        }
    };

    let floor = use_floor();
    let catalogue = use_dealer_catalogue();
    let names = crate::local::people::use_colleague_names();
    let here = Memo::new(move |_| {
        let since = clock::start_of(clock::today());
        floor.index.with(|i| i.here_now(since))
    });
    let visits = Memo::new(move |_| {
        let since = clock::start_of(clock::today());
        floor.index.with(|i| i.counts(since, since + 86_400_000))
    });
    let showroom_now = move || {
        let locale = i18n.locale();
        let rows = here.get();
        if rows.is_empty() {
            return view! { <p class="muted">{locale.t(Key::NobodyInShowroom)}</p> }.into_any();
        }
        let now = clock::now_ms();
        let session = auth.session();
        let me = session.as_ref().map(|s| s.user.id);
        // A manager's device holds every visit; a salesperson's, their own:
        // a colleague's walk-in shows whose it is, and opens nothing.
        let holds_all = session
            .as_ref()
            .is_some_and(|s| showroom_shared::rules::may_decide(s.user.role));
        view! {
            <ul class="here-rows">
                {rows.into_iter().map(|v| {
                    let who = v.customer.clone().unwrap_or_else(|| locale.walk_in_party(v.party_size));
                    let when = format!("{} · {}", locale.time_of_day(v.arrived_at), locale.here_for((now - v.arrived_at).max(0) / 60_000));
                    if holds_all || Some(v.salesperson) == me {
                        view! {
                            <li class="here-row">
                                <a href=visit_href(v.doc, v.id) class="here-row__link">
                                    <span class="here-row__who">{who}</span>
                                    <span class="muted">{when}</span>
                                </a>
                            </li>
                        }.into_any()
                    } else {
                        let with = names.with(|n| locale.with_colleague(&crate::local::people::name_of(n, v.salesperson, locale.t(Key::Colleague))));
                        view! {
                            <li class="here-row">
                                <div class="here-row__link here-row__link--colleague">
                                    <span class="here-row__who">{who}</span>
                                    <span class="muted">{format!("{when} · {with}")}</span>
                                </div>
                            </li>
                        }.into_any()
                    }
                }).collect_view()}
            </ul>
        }.into_any()
    };
    let demo_cars = move || {
        let locale = i18n.locale();
        let now = clock::now_ms();
        catalogue.dealer.with(|d| {
            let Some(d) = d else {
                return view! { <p class="muted">{locale.t(Key::CatalogueNotHere)}</p> }.into_any();
            };
            view! {
                <ul class="car-rows">
                    {d.cars.iter().filter(|c| !c.archived).map(|car| {
                        let state = floor.index.with(|i| i.car_state(car.id, now));
                        let (status, detail, class) = match state {
                            CarState::Out(drive) => (
                                locale.t(Key::CarOut),
                                format!("{} {} · {} {}", locale.t(Key::OutSince), locale.time_of_day(drive.out_at.unwrap_or(drive.start)), locale.t(Key::DriveWith), names.with(|n| locale.floor_customer(drive.customer.as_deref(), drive.salesperson, n))),
                                "car-row car-row--out",
                            ),
                            CarState::Available { next } => (
                                locale.t(Key::CarAvailable),
                                next.map(|n| format!("{} {} · {}", locale.t(Key::NextBooking), locale.date_time(n.start), names.with(|names| locale.floor_customer(n.customer.as_deref(), n.salesperson, names)))).unwrap_or_default(),
                                "car-row",
                            ),
                        };
                        view! {
                            <li class=class>
                                <span class="car-row__name">{d.car_label(car.id)}</span>
                                <span class="car-row__status">{status}</span>
                                <span class="muted car-row__detail">{detail}</span>
                            </li>
                        }
                    }).collect_view()}
                </ul>
            }.into_any()
        })
    };

    view! {
        <section class="page today" aria-labelledby="today-heading">
            <h1 id="today-heading" class="page__title">{move || i18n.t(Key::Today)}</h1>
            <crate::pages::leads::MovedAwayNotices />
            // On a laptop, the work beside the showroom (two columns).
            <div class="today__work">
            <section class="card my-work" aria-labelledby="overdue-heading">
                <h2 id="overdue-heading" class="card__title">{move || {
                    let n = work.with(|w| w.as_ref().map_or(0, |(o, _)| o.len()));
                    format!("{} ({n})", i18n.t(Key::Overdue))
                }}</h2>
                {move || work.get().map(|(overdue, _)| if overdue.is_empty() {
                    view! { <p class="muted">{i18n.t(Key::NoWorkToday)}</p> }.into_any()
                } else {
                    task_rows(overdue, true).into_any()
                })}
                <h2 id="due-today-heading" class="card__title">{move || {
                    let n = work.with(|w| w.as_ref().map_or(0, |(_, t)| t.len()));
                    format!("{} ({n})", i18n.t(Key::DueToday))
                }}</h2>
                {move || work.get().map(|(_, today)| task_rows(today, false))}
                {move || waiting.get().map(|(no_contact, quotes, lost, approved, team)| {
                    let locale = i18n.locale();
                    let late_count = no_contact.iter().filter(|(_, _, late)| *late).count();
                    view! {
                        <h2 class="card__title">{format!("{} ({})", locale.t(Key::NoFirstContact), no_contact.len())}</h2>
                        {(late_count > 0).then(|| view! { <p class="badge badge--danger">{locale.past_target(late_count)}</p> })}
                        <ul class="task-rows" id="not-reached-list">
                            {no_contact.iter().take(if show_all_unreached.get() { usize::MAX } else { 8 }).cloned().map(|(id, name, late)| view! {
                                <li class=if late { "task-row task-row--late" } else { "task-row" }>
                                    <a href=format!("/leads/{id}") class="task-row__link"><span class="task-row__what">{name}</span></a>
                                </li>
                            }).collect_view()}
                        </ul>
                        {(no_contact.len() > 8).then(|| view! {
                            <button
                                type="button"
                                class="button button--quiet"
                                aria-controls="not-reached-list"
                                aria-expanded=move || show_all_unreached.get().to_string()
                                on:click=move |_| show_all_unreached.update(|s| *s = !*s)
                            >
                                {move || if show_all_unreached.get() { locale.t(Key::ShowFewer).to_owned() } else { locale.show_all(no_contact.len()) }}
                            </button>
                        })}
                        <p class="muted" data-testid="quotes-line">
                            {if decides.get() {
                                view! { <a href="/approvals">{locale.waiting_line(quotes as usize, lost, approved)}</a> }.into_any()
                            } else {
                                // A salesperson waits for the decision; the inbox is a manager's.
                                view! { <span>{locale.waiting_line(quotes as usize, lost, approved)}</span> }.into_any()
                            }}
                        </p>
                        {(!team.is_empty()).then(|| view! {
                            <h2 class="card__title">{locale.t(Key::TeamOverdue)}</h2>
                            <ul class="task-rows">
                                {team.into_iter().map(|(user, n)| {
                                    let name = names.with(|ns| ns.iter().find(|(u, _)| *u == user).map(|(_, n)| n.clone())).unwrap_or_else(|| locale.t(Key::Colleague).to_owned());
                                    view! { <li class="task-row"><span class="task-row__link"><span class="task-row__what">{name}</span><span class="badge badge--danger">{n}</span></span></li> }
                                }).collect_view()}
                            </ul>
                        })}
                    }
                })}
            </section>
            </div>
            <div class="today__side">
            <RotationCard />
            <section class="card showroom-now" aria-labelledby="here-heading">
                <h2 id="here-heading" class="card__title">{move || i18n.t(Key::InShowroomNow)}</h2>
                {showroom_now}
                <p class="muted">{move || {
                    let (all, anonymous) = visits.get();
                    i18n.locale().visits_today(all, anonymous)
                }}</p>
            </section>
            <section class="card demo-cars" aria-labelledby="cars-heading">
                <h2 id="cars-heading" class="card__title">{move || i18n.t(Key::DemoCars)}</h2>
                {demo_cars}
            </section>
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
            </div>
        </section>
    }
}

/// The walk-in rotation of today, when the dealer turns it on: who is on
/// the floor in the order walk-ins go to them (the next first; anyone with
/// overdue first contacts passed by), how many each took, and for a
/// salesperson "I'm on the floor" (which says, too, how many of their
/// leads wait past the first-contact target). From the floor's rows: the
/// same on every device, offline as it last synced.
#[component]
fn RotationCard() -> impl IntoView {
    let i18n = use_i18n();
    let auth = use_auth();
    let floor = use_floor();
    let catalogue = use_dealer_catalogue();
    let index = use_lead_index();
    let names = crate::local::people::use_colleague_names();
    let on = Memo::new(move |_| {
        catalogue
            .dealer
            .with(|d| d.as_ref().is_some_and(|d| d.settings.pool.rotation))
    });
    let line = Memo::new(move |_| {
        let since = clock::start_of(clock::today());
        floor.index.with(|i| {
            showroom_shared::domain::rotation::line_of(i, since, since + 86_400_000, None)
        })
    });
    let me = Memo::new(move |_| {
        auth.session()
            .map(|s| (s.user.id, s.dealer.id, s.user.role))
    });
    let busy = RwSignal::new(false);
    let up = move |_| {
        let Some((user, dealer, _)) = me.get_untracked() else {
            return;
        };
        let now = clock::now_ms();
        let rules = catalogue
            .dealer
            .with_untracked(|d| d.as_ref().map(|d| d.settings.follow_up.clone()))
            .unwrap_or_default();
        // My leads past the first-contact target, as my device holds them.
        let overdue = leptos::prelude::untrack(|| {
            index.with(|i| {
                i.map_or(0, |i| {
                    i.all()
                        .filter(|s| s.owner == Some(user) && s.awaiting_first_contact)
                        .filter(|s| now - s.created_at > rules.first_contact_ms(s.source))
                        .count() as u32
                })
            })
        });
        busy.set(true);
        leptos::task::spawn_local(async move {
            if let Err(e) = crate::local::register::on_floor(user, dealer, now, overdue).await {
                web_sys::console::warn_1(&format!("Could not say I'm on the floor: {e}").into());
            }
            let _ = busy.try_set(false);
        });
    };
    view! {
        <Show when=move || on.get()>
            <section class="card rotation" aria-labelledby="rotation-heading">
                <h2 id="rotation-heading" class="card__title">{move || i18n.t(Key::RotationHeading)}</h2>
                {move || {
                    let locale = i18n.locale();
                    let places = line.get();
                    if places.is_empty() {
                        return view! { <p class="muted">{locale.t(Key::RotationEmpty)}</p> }.into_any();
                    }
                    let next = showroom_shared::domain::rotation::next_up(&places);
                    let my = me.get().map(|(u, ..)| u);
                    view! {
                        <ol class="rotation__line">
                            {places.into_iter().map(|p| {
                                let name = if Some(p.salesperson) == my {
                                    locale.t(Key::Me).to_owned()
                                } else {
                                    names.with(|n| crate::local::people::name_of(n, p.salesperson, locale.t(Key::Colleague)))
                                };
                                let is_next = next == Some(p.salesperson);
                                view! {
                                    <li class="rotation__place" class:rotation__place--next=is_next class:rotation__place--skipped=p.skipped>
                                        <span>{locale.rotation_place(&name, p.taken)}</span>
                                        {is_next.then(|| view! { <span class="badge">{locale.t(Key::RotationNext)}</span> })}
                                        {p.skipped.then(|| view! { <span class="muted">{locale.t(Key::RotationSkipped)}</span> })}
                                    </li>
                                }
                            }).collect_view()}
                        </ol>
                    }.into_any()
                }}
                <Show when=move || me.get().is_some_and(|(.., role)| !showroom_shared::rules::may_decide(role))>
                    <p class="muted" role="status">{move || {
                        let my = me.get().map(|(u, ..)| u);
                        line.get().into_iter().find(|p| Some(p.salesperson) == my).map(|p| i18n.locale().on_floor_since(p.since))
                    }}</p>
                    <button type="button" class="button button--secondary" disabled=move || busy.get() on:click=up>
                        {move || i18n.t(Key::OnFloor)}
                    </button>
                </Show>
            </section>
        </Show>
    }
}
