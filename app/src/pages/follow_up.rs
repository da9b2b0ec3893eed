//! A lead's follow-up (跟进) on its page: the open tasks, completing one
//! with its outcome and the next step in the same place ("no answer, try
//! again tomorrow" is two taps), adding a task; the lost request (战败申请)
//! and a manager's decision on it, reopening a lost lead; and the customer's
//! consent per purpose. Every tap saves on the device, offline too.

use leptos::prelude::*;
use leptos::task::spawn_local;
use showroom_shared::domain::followup::{
    Completion, ConsentId, ConsentMethod, LostDecision, LostDecisionId, LostRequest, LostRequestId,
    LostState, Outcome, Purpose, Task, TaskId, TaskKind, attempts, consent_state, decision_on,
    record_consent,
};
use showroom_shared::domain::{Grade, Lead, Stage, UserId};

use crate::i18n::{Key, Locale, use_i18n};
use crate::local::auth::use_auth;
use crate::local::clock;
use crate::local::dealer::use_dealer_catalogue;
use crate::local::{leads, store};

const DAY_MS: i64 = 86_400_000;

pub fn task_kind_text(locale: Locale, kind: TaskKind) -> &'static str {
    locale.t(match kind {
        TaskKind::Call => Key::TaskCall,
        TaskKind::WeChat => Key::TaskWechat,
        TaskKind::Sms => Key::TaskSms,
        TaskKind::Visit => Key::TaskVisit,
        TaskKind::TestDrive => Key::TaskTestDrive,
        TaskKind::Delivery => Key::TaskDelivery,
        TaskKind::Other => Key::TaskOther,
    })
}

fn outcome_text(locale: Locale, outcome: Outcome) -> &'static str {
    locale.t(match outcome {
        Outcome::Reached => Key::OutcomeReached,
        Outcome::NoAnswer => Key::OutcomeNoAnswer,
        Outcome::WrongNumber => Key::OutcomeWrongNumber,
        Outcome::Appointment => Key::OutcomeAppointment,
        Outcome::NotInterested => Key::OutcomeNotInterested,
        Outcome::Sent => Key::OutcomeSent,
        Outcome::Done => Key::OutcomeDone,
    })
}

pub fn purpose_text(locale: Locale, purpose: Purpose) -> &'static str {
    locale.t(match purpose {
        Purpose::FollowUp => Key::ConsentFollowUp,
        Purpose::Marketing => Key::ConsentMarketing,
        Purpose::OemSharing => Key::ConsentOemSharing,
    })
}

/// A task for `lead`'s owner (or `me`), due at `due`.
pub fn new_task(lead: &Lead, kind: TaskKind, due: i64, note: String, me: UserId) -> Task {
    Task {
        id: TaskId::from_uuid(store::new_uuid()),
        kind,
        due,
        assignee: lead.owner.unwrap_or(me),
        note,
        car: None,
        completion: None,
        cancelled: false,
        created_by: me,
        created_at: clock::now_ms(),
    }
}

/// "2 h late" / "3 days late", or nothing when not late.
pub fn lateness(locale: Locale, due: i64, now: i64) -> Option<String> {
    let late = now - due;
    (late > 0).then(|| locale.late_by(late / 60_000))
}

#[component]
pub fn LeadFollowUp(#[prop(into)] lead: Signal<Option<Lead>>) -> impl IntoView {
    let i18n = use_i18n();
    let auth = use_auth();
    let catalogue = use_dealer_catalogue();
    let completing = RwSignal::new(None::<TaskId>);
    let outcome = RwSignal::new(None::<Outcome>);
    let said = RwSignal::new(String::new());
    let problem = RwSignal::new(None::<String>);
    let saved = RwSignal::new(false);
    let me = move || auth.session_untracked().map(|s| s.user.id);

    // Completes the task with the chosen outcome and `next` days ahead
    // (`None`: no next step).
    let finish = move |task: Task, next_in_days: Option<i64>| {
        let (Some(l), Some(me)) = (lead.get_untracked(), me()) else {
            return;
        };
        let Some(chosen) = outcome.get_untracked() else {
            problem.set(Some(i18n.t(Key::ChooseOutcome).to_owned()));
            return;
        };
        let now = clock::now_ms();
        let mut done = task.clone();
        done.completion = Some(Completion {
            outcome: chosen,
            said: said.get_untracked().trim().to_owned(),
            at: now,
            by: me,
        });
        let next = next_in_days.map(|days| {
            let mut t = new_task(&l, task.kind, now + days * DAY_MS, task.note.clone(), me);
            t.assignee = task.assignee;
            t
        });
        problem.set(None);
        spawn_local(async move {
            match leads::complete_task(l.id, &done, next.as_ref(), me, now).await {
                Ok(_) => {
                    completing.set(None);
                    outcome.set(None);
                    said.set(String::new());
                    saved.set(true);
                }
                Err(e) => problem.set(Some(i18n.locale_untracked().store_failed(&e))),
            }
        });
    };

    // A new task.
    let add_kind = RwSignal::new(TaskKind::Call);
    let add_date = RwSignal::new(clock::today().add_days(1).to_string());
    let add_time = RwSignal::new("10:00".to_owned());
    let add_note = RwSignal::new(String::new());
    let add_car = RwSignal::new(None::<showroom_shared::domain::catalogue::CarId>);
    let add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (Some(l), Some(me)) = (lead.get_untracked(), me()) else {
            return;
        };
        let Some(due) =
            crate::pages::drive::local_ms(&add_date.get_untracked(), &add_time.get_untracked())
        else {
            problem.set(Some(i18n.t(Key::DueDate).to_owned()));
            return;
        };
        let mut task = new_task(
            &l,
            add_kind.get_untracked(),
            due,
            add_note.get_untracked().trim().to_owned(),
            me,
        );
        // A test-drive appointment books its demo car: it shows in the car's
        // bookings (and their clashes) like any booking.
        let car = (task.kind == TaskKind::TestDrive)
            .then(|| add_car.get_untracked())
            .flatten();
        let booking = car.map(|car| {
            task.car = Some(car);
            showroom_shared::domain::showroom::TestDrive::booked(
                showroom_shared::domain::showroom::DriveId::from_uuid(store::new_uuid()),
                car,
                due,
                due + 45 * 60_000,
                me,
                clock::now_ms(),
            )
        });
        spawn_local(async move {
            if let Some(drive) = &booking
                && let Err(e) = leads::put_record(l.id, drive, me, clock::now_ms()).await
            {
                problem.set(Some(e.to_string()));
                return;
            }
            match leads::put_record(l.id, &task, me, clock::now_ms()).await {
                Ok(_) => {
                    add_note.set(String::new());
                    saved.set(true);
                }
                Err(e) => problem.set(Some(i18n.locale_untracked().store_failed(&e))),
            }
        });
    };

    view! {
        <section class="card follow-up" aria-labelledby="follow-up-heading">
            <h2 id="follow-up-heading" class="card__title">{move || i18n.t(Key::FollowUp)}</h2>
            <p class="saved-status" role="status">{move || saved.get().then(|| i18n.t(Key::SavedOnDevice))}</p>
            {move || {
                let Some(l) = lead.get() else { return ().into_any() };
                let locale = i18n.locale();
                let now = clock::now_ms();
                let mut open: Vec<Task> = l.tasks.iter().filter(|t| t.is_open()).cloned().collect();
                open.sort_by_key(|t| t.due);
                if open.is_empty() {
                    return view! { <p class="muted">{locale.t(Key::NoOpenTasks)}</p> }.into_any();
                }
                let grade = l.grade;
                let cadence = catalogue.dealer.with(|d| d.as_ref().map(|d| d.settings.cadence)).unwrap_or_default();
                view! {
                    <ul class="task-rows">
                        {open.into_iter().map(|t| {
                            let id = t.id;
                            let when = locale.date_time(t.due);
                            let late = lateness(locale, t.due, now);
                            let row_class = if late.is_some() { "task-row task-row--late" } else { "task-row" };
                            let label = format!("{} · {when}", task_kind_text(locale, t.kind));
                            let task = t.clone();
                            let cadence_days = cadence.days(grade).map(i64::from);
                            view! {
                                <li class=row_class>
                                    <div class="task-row__head">
                                        <span class="task-row__what">{label.clone()}</span>
                                        {late.map(|l| view! { <span class="badge badge--danger">{l}</span> })}
                                    </div>
                                    {(!t.note.is_empty()).then(|| view! { <p class="muted">{shown_note(locale, &t.note)}</p> })}
                                    {move || if completing.get() == Some(id) {
                                        let task = task.clone();
                                        let (t1, t2, t3) = (task.clone(), task.clone(), task.clone());
                                        view! {
                                            <div class="task-complete">
                                                <div class="chips" role="group" aria-label=move || i18n.t(Key::Outcome)>
                                                    {Outcome::ALL.iter().map(|o| {
                                                        let o = *o;
                                                        view! {
                                                            <button type="button" class="chip" aria-pressed=move || (outcome.get() == Some(o)).to_string()
                                                                on:click=move |_| outcome.set(Some(o))>{move || outcome_text(i18n.locale(), o)}</button>
                                                        }
                                                    }).collect_view()}
                                                </div>
                                                <div class="field">
                                                    <label for=format!("said-{id}")>{move || i18n.t(Key::WhatWasSaid)}</label>
                                                    <textarea id=format!("said-{id}") rows="2" maxlength="1000" bind:value=said></textarea>
                                                </div>
                                                <div class="chips" role="group" aria-label=move || i18n.t(Key::NextStep)>
                                                    <button type="button" class="button button--primary" on:click=move |_| finish(t1.clone(), Some(1))>{move || i18n.t(Key::NextTomorrow)}</button>
                                                    {cadence_days.filter(|d| *d > 1).map(|days| view! {
                                                        <button type="button" class="button button--secondary" on:click=move |_| finish(t2.clone(), Some(days))>{move || i18n.locale().next_in_days(days)}</button>
                                                    })}
                                                    <button type="button" class="button button--secondary" on:click=move |_| finish(t3.clone(), None)>{move || i18n.t(Key::NoNextStep)}</button>
                                                </div>
                                            </div>
                                        }.into_any()
                                    } else {
                                        let aria = format!("{} · {label}", i18n.t(Key::CompleteTask));
                                        view! {
                                            <button type="button" class="button button--secondary" aria-label=aria
                                                on:click=move |_| { completing.set(Some(id)); outcome.set(None); }>{move || i18n.t(Key::CompleteTask)}</button>
                                        }.into_any()
                                    }}
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
            {move || problem.get().map(|p| view! { <p class="form__error" role="alert">{p}</p> })}
            // What came of the tasks done: the outcome and what was said.
            {move || {
                let Some(l) = lead.get() else { return ().into_any() };
                let locale = i18n.locale();
                let mut done: Vec<Task> = l.tasks.iter().filter(|t| t.completion.is_some()).cloned().collect();
                if done.is_empty() {
                    return ().into_any();
                }
                done.sort_by_key(|t| std::cmp::Reverse(t.completion.as_ref().map_or(0, |c| c.at)));
                view! {
                    <h3 class="card__subtitle" id="tasks-done-heading">{locale.t(Key::TasksDone)}</h3>
                    <ul class="done-rows" aria-labelledby="tasks-done-heading">
                        {done.into_iter().filter_map(|t| {
                            let c = t.completion?;
                            Some(view! {
                                <li class="done-row">
                                    <span class="done-row__what">{format!("{} · {} · {}", task_kind_text(locale, t.kind), outcome_text(locale, c.outcome), locale.date_time(c.at))}</span>
                                    {(!c.said.is_empty()).then(|| view! { <p class="done-row__said">{c.said}</p> })}
                                </li>
                            })
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
            <form class="form task-add" on:submit=add>
                <h3 class="card__subtitle">{move || i18n.t(Key::AddTask)}</h3>
                <div class="field-row field-row--three">
                    <div class="field">
                        <label for="task-kind">{move || i18n.t(Key::TaskKindLabel)}</label>
                        <select id="task-kind" class="select" on:change=move |ev| { if let Ok(k) = event_target_value(&ev).parse() { add_kind.set(k) } }>
                            {TaskKind::ALL.iter().map(|k| {
                                let k = *k;
                                view! { <option value=k.as_str() selected=move || add_kind.get() == k>{move || task_kind_text(i18n.locale(), k)}</option> }
                            }).collect_view()}
                        </select>
                    </div>
                    <div class="field">
                        <label for="task-date">{move || i18n.t(Key::DueDate)}</label>
                        <input id="task-date" type="date" prop:value=move || add_date.get() on:input=move |ev| add_date.set(event_target_value(&ev)) />
                    </div>
                    <div class="field">
                        <label for="task-time">{move || i18n.t(Key::DueTime)}</label>
                        <input id="task-time" type="time" prop:value=move || add_time.get() on:input=move |ev| add_time.set(event_target_value(&ev)) />
                    </div>
                </div>
                {move || (add_kind.get() == TaskKind::TestDrive).then(|| view! {
                    <div class="field">
                        <label for="task-car">{move || i18n.t(Key::DemoCar)}</label>
                        <select id="task-car" class="select" on:change=move |ev| add_car.set(event_target_value(&ev).parse().ok())>
                            <option value="">"—"</option>
                            {move || catalogue.dealer.with(|d| d.as_ref().map(|d| d.cars.iter().filter(|c| !c.archived).map(|c| {
                                let label = d.car_label(c.id);
                                view! { <option value=c.id.to_string()>{label}</option> }
                            }).collect_view()))}
                        </select>
                    </div>
                })}
                <div class="field">
                    <label for="task-note">{move || i18n.t(Key::TaskNote)}</label>
                    <input id="task-note" type="text" bind:value=add_note />
                </div>
                <button type="submit" class="button button--secondary">{move || i18n.t(Key::AddTask)}</button>
            </form>
        </section>
        <LostPanel lead=lead />
        <ConsentPanel lead=lead />
    }
}

/// The lost request: asking for it, a manager's decision, reopening.
#[component]
pub fn LostPanel(lead: Signal<Option<Lead>>) -> impl IntoView {
    let i18n = use_i18n();
    let auth = use_auth();
    let catalogue = use_dealer_catalogue();
    let asking = RwSignal::new(false);
    let reason = RwSignal::new(None::<String>);
    let competitor = RwSignal::new(String::new());
    let note = RwSignal::new(String::new());
    let comment = RwSignal::new(String::new());
    // A rejection without its reason: said at the comment box.
    let missing = RwSignal::new(false);
    let area = NodeRef::<leptos::html::Textarea>::new();
    let problem = RwSignal::new(None::<String>);
    let is_manager = move || {
        auth.session()
            .is_some_and(|s| showroom_shared::rules::may_decide(s.user.role))
    };
    let min_attempts = move || {
        catalogue
            .dealer
            .with(|d| {
                d.as_ref()
                    .map(|d| d.settings.follow_up.min_attempts_before_lost)
            })
            .unwrap_or(0) as usize
    };
    let send = move |_| {
        let (Some(l), Some(me)) = (lead.get_untracked(), auth.session_untracked()) else {
            return;
        };
        let Some(code) = reason.get_untracked() else {
            problem.set(Some(i18n.t(Key::ChooseLostReason).to_owned()));
            return;
        };
        let now = clock::now_ms();
        let request = LostRequest {
            id: LostRequestId::from_uuid(store::new_uuid()),
            reason: code,
            competitor: competitor.get_untracked().trim().to_owned(),
            note: note.get_untracked().trim().to_owned(),
            requested_by: me.user.id,
            requested_at: now,
            reopened_at: None,
        };
        spawn_local(async move {
            match leads::request_lost(l.id, &request, now).await {
                Ok(_) => asking.set(false),
                Err(e) => problem.set(Some(i18n.locale_untracked().store_failed(&e))),
            }
        });
    };
    let decide = move |request: LostRequest, approved: bool| {
        let (Some(l), Some(me)) = (lead.get_untracked(), auth.session_untracked()) else {
            return;
        };
        let text = comment.get_untracked().trim().to_owned();
        if crate::pages::quote::comment_missing(approved, &text, missing, area) {
            return;
        }
        let now = clock::now_ms();
        let decision = LostDecision {
            id: LostDecisionId::from_uuid(store::new_uuid()),
            request: request.id,
            approved,
            comment: text,
            decided_by: me.user.id,
            decided_at: now,
        };
        // Rejected: back to the salesperson with a follow-up tomorrow.
        let follow = (!approved).then(|| {
            let mut t = new_task(
                &l,
                TaskKind::Call,
                now + DAY_MS,
                decision.comment.clone(),
                me.user.id,
            );
            t.assignee = l.owner.unwrap_or(request.requested_by);
            t
        });
        spawn_local(async move {
            match leads::decide_lost(l.id, &decision, follow.as_ref(), now).await {
                Ok(_) => comment.set(String::new()),
                Err(e) => problem.set(Some(i18n.locale_untracked().store_failed(&e))),
            }
        });
    };
    let reopen = move |request: LostRequest| {
        let (Some(l), Some(me)) = (lead.get_untracked(), auth.session_untracked()) else {
            return;
        };
        let now = clock::now_ms();
        let mut r = request;
        r.reopened_at = Some(now);
        spawn_local(async move {
            if let Err(e) = leads::reopen(l.id, &r, Stage::Visited, Grade::B, me.user.id, now).await
            {
                problem.set(Some(e.to_string()));
            }
        });
    };
    // Several panels share the approvals inbox: ids derive from the lead.
    let heading_id = move || {
        lead.with(|l| {
            l.as_ref()
                .map(|l| format!("lost-heading-{}", l.id))
                .unwrap_or_else(|| "lost-heading".to_owned())
        })
    };
    view! {
        <section class="card lost" aria-labelledby=heading_id>
            <h2 id=heading_id class="card__title">{move || i18n.t(Key::LostRequest)}</h2>
            {move || {
                let Some(l) = lead.get() else { return ().into_any() };
                let locale = i18n.locale();
                let latest = l.lost_requests.iter().max_by_key(|r| (r.requested_at, r.id)).cloned();
                let reason_label = |code: &str| catalogue.dealer.with(|d| d.as_ref().and_then(|d| d.lost_reasons.iter().find(|r| r.code == code)).map(|r| r.label(locale == Locale::ZhCn).to_owned())).unwrap_or_else(|| code.to_owned());
                match latest.as_ref().map(|r| (r, r.state(&l.lost_decisions))) {
                    Some((r, LostState::Pending)) => {
                        let r1 = r.clone();
                        let r2 = r.clone();
                        // The box's id derives from the request's: two
                        // requests on one page never share a label.
                        let box_id = format!("lost-comment-{}", r.id);
                        let error_id = format!("{box_id}-error");
                        view! {
                            <p class="notice">{locale.lost_waiting(&reason_label(&r.reason), &r.note)}</p>
                            {is_manager().then(|| view! {
                                <div class="decision">
                                    <div class="field">
                                        <label for=box_id.clone()>{move || i18n.t(Key::DecisionComment)}</label>
                                        <textarea id=box_id rows="2" maxlength="500" bind:value=comment node_ref=area
                                            aria-invalid=move || missing.get().to_string() aria-describedby=error_id.clone()
                                            on:input=move |_| if missing.get_untracked() && !comment.get_untracked().trim().is_empty() { missing.set(false) }></textarea>
                                        <p id=error_id class="field__error">{move || missing.get().then(|| i18n.t(Key::RejectNeedsComment))}</p>
                                    </div>
                                    <div class="quote-actions__row">
                                        <button type="button" class="button button--primary" on:click=move |_| decide(r1.clone(), true)>{move || i18n.t(Key::ApproveLost)}</button>
                                        <button type="button" class="button button--danger" on:click=move |_| decide(r2.clone(), false)>{move || i18n.t(Key::RejectLost)}</button>
                                    </div>
                                </div>
                            })}
                        }.into_any()
                    }
                    Some((r, LostState::Approved(d))) => {
                        let r = r.clone();
                        view! {
                            <p class="notice notice--danger">{locale.lost_approved(&reason_label(&r.reason), &d.comment)}</p>
                            <button type="button" class="button button--secondary" on:click=move |_| reopen(r.clone())>{move || i18n.t(Key::ReopenLead)}</button>
                        }.into_any()
                    }
                    other => {
                        let rejected = match other {
                            Some((_, LostState::Rejected(d))) => Some(d),
                            _ => None,
                        };
                        let made = attempts(&l.tasks);
                        let needed = min_attempts();
                        view! {
                            {rejected.map(|d| view! { <p class="notice" role="status">{locale.lost_rejected(&d.comment)}</p> })}
                            {(made < needed).then(|| view! { <p class="muted">{locale.attempts_needed(made, needed)}</p> })}
                            {move || if asking.get() {
                                view! {
                                    <div class="chips" role="group" aria-label=move || i18n.t(Key::LostReasonLabel)>
                                        {move || catalogue.dealer.with(|d| d.as_ref().map(|d| d.lost_reasons.iter().filter(|r| !r.archived).map(|r| {
                                            let code = r.code.clone();
                                            let c2 = code.clone();
                                            let label = r.label(i18n.locale() == Locale::ZhCn).to_owned();
                                            view! { <button type="button" class="chip" aria-pressed=move || (reason.get().as_deref() == Some(c2.as_str())).to_string() on:click=move |_| reason.set(Some(code.clone()))>{label}</button> }
                                        }).collect_view()))}
                                    </div>
                                    {move || (reason.get().as_deref() == Some("competitor")).then(|| view! {
                                        <div class="field">
                                            <label for="lost-competitor">{move || i18n.t(Key::Competitor)}</label>
                                            <input id="lost-competitor" type="text" bind:value=competitor />
                                        </div>
                                    })}
                                    <div class="field">
                                        <label for="lost-note">{move || i18n.t(Key::LostNote)}</label>
                                        <textarea id="lost-note" rows="2" maxlength="1000" bind:value=note></textarea>
                                    </div>
                                    <button type="button" class="button button--danger" on:click=send>{move || i18n.t(Key::SendLostRequest)}</button>
                                }.into_any()
                            } else {
                                view! {
                                    <button type="button" class="button button--secondary" disabled=made < needed on:click=move |_| asking.set(true)>{move || i18n.t(Key::RequestLost)}</button>
                                }.into_any()
                            }}
                        }.into_any()
                    }
                }
            }}
            {move || problem.get().map(|p| view! { <p class="form__error" role="alert">{p}</p> })}
        </section>
    }
}

/// Consent per purpose: the current state at a glance, given or withdrawn
/// with a tap (verbal, with the wording's version).
#[component]
fn ConsentPanel(lead: Signal<Option<Lead>>) -> impl IntoView {
    let i18n = use_i18n();
    let auth = use_auth();
    let catalogue = use_dealer_catalogue();
    let signing = RwSignal::new(None::<Purpose>);
    let strokes = RwSignal::new(showroom_shared::domain::showroom::Strokes::default());
    let record = move |purpose: Purpose, given: bool| {
        let (Some(l), Some(me)) = (lead.get_untracked(), auth.session_untracked()) else {
            return;
        };
        let signed = (signing.get_untracked() == Some(purpose) && given)
            .then(|| strokes.get_untracked())
            .filter(|s| !s.is_empty());
        let version = catalogue
            .dealer
            .with_untracked(|d| {
                d.as_ref()
                    .map(|d| d.settings.follow_up.consent_wording_version)
            })
            .unwrap_or(1);
        let mut consent = record_consent(
            &l.consents,
            ConsentId::from_uuid(store::new_uuid()),
            purpose,
            given,
            if signed.is_some() {
                ConsentMethod::Signed
            } else {
                ConsentMethod::Verbal
            },
            version,
            me.user.id,
            clock::now_ms(),
        );
        consent.signature = signed;
        signing.set(None);
        strokes.set(showroom_shared::domain::showroom::Strokes::default());
        spawn_local(async move {
            let _ = leads::put_consent(l.id, &consent).await;
        });
    };
    view! {
        <section class="card consent" aria-labelledby="consent-heading">
            <h2 id="consent-heading" class="card__title">{move || i18n.t(Key::Consent)}</h2>
            <ul class="consent-rows">
                {Purpose::ALL.iter().map(|p| {
                    let p = *p;
                    view! {
                        <li class="consent-row">
                            <span class="consent-row__purpose">{move || purpose_text(i18n.locale(), p)}</span>
                            <span class="consent-row__wording muted">{move || catalogue.dealer.with(|d| d.as_ref().and_then(|d| d.settings.follow_up.wording(p, i18n.locale() == Locale::ZhCn).map(str::to_owned)))}</span>
                            <span class="consent-row__state" data-testid=format!("consent-{}", p.as_str())>{move || {
                                let locale = i18n.locale();
                                lead.with(|l| l.as_ref().and_then(|l| consent_state(&l.consents, p).cloned()))
                                    .map(|c| locale.consent_line(c.given, c.at, c.wording_version, c.method == ConsentMethod::Signed))
                                    .unwrap_or_else(|| locale.t(Key::ConsentNotAsked).to_owned())
                            }}</span>
                            <span class="consent-row__actions">
                                <button type="button" class="button button--secondary" aria-label=move || format!("{} · {}", i18n.t(Key::ConsentGive), purpose_text(i18n.locale(), p))
                                    on:click=move |_| record(p, true)>{move || i18n.t(Key::ConsentGive)}</button>
                                <button type="button" class="button button--secondary" aria-label=move || format!("{} · {}", i18n.t(Key::ConsentSign), purpose_text(i18n.locale(), p))
                                    on:click=move |_| signing.set(Some(p))>{move || i18n.t(Key::ConsentSign)}</button>
                                <button type="button" class="button button--secondary" aria-label=move || format!("{} · {}", i18n.t(Key::ConsentWithdraw), purpose_text(i18n.locale(), p))
                                    on:click=move |_| record(p, false)>{move || i18n.t(Key::ConsentWithdraw)}</button>
                            </span>
                            {move || (signing.get() == Some(p)).then(|| view! {
                                <div class="consent-row__sign">
                                    <crate::components::signature_pad::SignaturePad
                                        label=Signal::derive(move || i18n.t(Key::Signature).to_owned())
                                        hint=Signal::derive(move || i18n.t(Key::SignHere).to_owned())
                                        clear_text=Signal::derive(move || i18n.t(Key::ClearSignature).to_owned())
                                        on_change=Callback::new(move |s| strokes.set(s)) />
                                    <button type="button" class="button button--primary" disabled=move || strokes.with(|s| s.is_empty())
                                        on:click=move |_| record(p, true)>{move || i18n.t(Key::ConsentSaveSigned)}</button>
                                </div>
                            })}
                        </li>
                    }
                }).collect_view()}
            </ul>
        </section>
    }
}

/// Whether `l` has a lost request waiting for a decision (the approvals inbox).
pub fn lost_waiting(l: &Lead) -> Option<LostRequest> {
    l.lost_requests
        .iter()
        .find(|r| decision_on(r, &l.lost_decisions).is_none())
        .cloned()
}

/// Completing a task from Today's row in two taps: what came of it ("No
/// answer", "Reached"), then the next step ("Again tomorrow", the grade's
/// cadence, "No next step"). Anything else (another outcome, what was said)
/// is on the lead's page.
#[component]
pub fn QuickComplete(
    lead: showroom_shared::domain::LeadId,
    task: TaskId,
    /// The lead's grade: its cadence is the later next step offered.
    grade: Grade,
    /// Read for the accessible names: "No answer · 孙先生".
    name: String,
) -> impl IntoView {
    let i18n = use_i18n();
    let auth = use_auth();
    let catalogue = use_dealer_catalogue();
    let outcome = RwSignal::new(None::<Outcome>);
    let problem = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let finish = move |next_in_days: Option<i64>| {
        let (Some(chosen), Some(me)) = (
            outcome.get_untracked(),
            auth.session_untracked().map(|s| s.user.id),
        ) else {
            return;
        };
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        spawn_local(async move {
            let result = async {
                let l = leads::load(lead).await?.lead;
                let Some(open) = l
                    .tasks
                    .iter()
                    .find(|t| t.id == task && t.is_open())
                    .cloned()
                else {
                    return Ok(false);
                };
                let now = clock::now_ms();
                let mut done = open.clone();
                done.completion = Some(Completion {
                    outcome: chosen,
                    said: String::new(),
                    at: now,
                    by: me,
                });
                let next = next_in_days.map(|days| {
                    let mut t = new_task(&l, open.kind, now + days * DAY_MS, open.note.clone(), me);
                    t.assignee = open.assignee;
                    t
                });
                leads::complete_task(lead, &done, next.as_ref(), me, now).await
            }
            .await;
            match result {
                Ok(_) => outcome.set(None),
                Err(e) => problem.set(Some(i18n.locale_untracked().store_failed(&e))),
            }
            busy.set(false);
        });
    };
    let cadence_days = move || {
        catalogue
            .dealer
            .with(|d| d.as_ref().map(|d| d.settings.cadence))
            .unwrap_or_default()
    };
    let name_for = move |key: Key| format!("{} · {name}", i18n.t(key));
    let (no_answer, reached) = (
        name_for(Key::OutcomeNoAnswer),
        name_for(Key::OutcomeReached),
    );
    view! {
        <div class="quick-complete">
            {move || match outcome.get() {
                None => view! {
                    <button type="button" class="button button--secondary" aria-label=no_answer.clone()
                        on:click=move |_| outcome.set(Some(Outcome::NoAnswer))>{move || i18n.t(Key::OutcomeNoAnswer)}</button>
                    <button type="button" class="button button--secondary" aria-label=reached.clone()
                        on:click=move |_| outcome.set(Some(Outcome::Reached))>{move || i18n.t(Key::OutcomeReached)}</button>
                }.into_any(),
                Some(_) => {
                    let days = cadence_days().days(grade).map(i64::from).filter(|d| *d > 1);
                    view! {
                        <div class="chips" role="group" aria-label=move || i18n.t(Key::NextStep)>
                            <button type="button" class="button button--primary" disabled=move || busy.get()
                                on:click=move |_| finish(Some(1))>{move || i18n.t(Key::NextTomorrow)}</button>
                            {days.map(|d| view! {
                                <button type="button" class="button button--secondary" disabled=move || busy.get()
                                    on:click=move |_| finish(Some(d))>{move || i18n.locale().next_in_days(d)}</button>
                            })}
                            <button type="button" class="button button--secondary" disabled=move || busy.get()
                                on:click=move |_| finish(None)>{move || i18n.t(Key::NoNextStep)}</button>
                            <button type="button" class="button button--quiet" on:click=move |_| outcome.set(None)>{move || i18n.t(Key::Cancel)}</button>
                        </div>
                    }.into_any()
                }
            }}
            {move || problem.get().map(|p| view! { <p class="form__error" role="alert">{p}</p> })}
        </div>
    }
}

/// A task's note as the person reads it: the note the app writes itself on
/// a new lead's first task ("First contact", in whichever language the
/// device that captured it spoke) is shown in the reader's language; what
/// a person typed is shown as typed.
pub fn shown_note(locale: Locale, note: &str) -> String {
    let system = Locale::ALL.iter().any(|l| l.t(Key::FirstContact) == note);
    if system {
        locale.t(Key::FirstContact).to_owned()
    } else {
        note.to_owned()
    }
}
