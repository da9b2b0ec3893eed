//! `/visits/:doc/:visit`: one walk-in — party size, visit type, steps done,
//! then linked to a lead (found by name or mobile, or captured now), or
//! "left without details", or "logged by mistake" (a stray Walk-in tap,
//! counted nowhere, undone by "Count this visit again"). Every tap saves on
//! the device at once.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_params_map};
use showroom_shared::domain::showroom::{Visit, VisitId, VisitKind, VisitOutcome, VisitSteps};
use showroom_shared::domain::{DocId, DocKind, LeadId};

use crate::i18n::{Key, Locale, use_i18n};
use crate::local::auth::use_auth;
use crate::local::clock;
use crate::local::floor_index::use_floor;
use crate::local::lead_index::use_lead_index;
use crate::local::register;
use crate::local::summary::LeadQuery;
use crate::pages::lead_form::ChoiceChips;

fn kind_text(locale: Locale, k: VisitKind) -> String {
    locale.visit_kind(k).to_owned()
}

/// The visit page's address.
pub fn visit_href(doc: DocId, id: VisitId) -> String {
    format!("/visits/{doc}/{id}")
}

#[component]
pub fn VisitPage() -> impl IntoView {
    crate::i18n::use_page_title(Key::Visit);
    crate::components::focus::focus_when_shown("visit-heading");
    let i18n = use_i18n();
    let auth = use_auth();
    let params = use_params_map();
    let navigate = use_navigate();
    let at = Memo::new(move |_| {
        params.with(|p| {
            let doc = p.get("doc")?.parse::<DocId>().ok()?;
            let visit = p.get("visit")?.parse::<VisitId>().ok()?;
            Some((doc, visit))
        })
    });
    let visit = RwSignal::new(None::<Option<Visit>>);
    let saved = RwSignal::new(false);
    let problem = RwSignal::new(None::<String>);
    // Reload when the visit's row moves (saved here, received, another tab),
    // or when it moved to its lead.
    let floor = use_floor();
    let row = Memo::new(move |_| {
        at.get()
            .and_then(|(_, id)| floor.index.with(|i| i.visit(id).cloned()))
    });
    let doc = Memo::new(move |_| {
        let linked = row.with(|r| r.as_ref().map(|r| r.doc));
        at.get()
            .map(|(doc, _)| linked.filter(|d| d.kind == DocKind::Lead).unwrap_or(doc))
    });
    Effect::new(move |_| {
        let _ = row.get();
        let (Some(doc), Some((_, id))) = (doc.get(), at.get()) else {
            visit.set(Some(None));
            return;
        };
        spawn_local(async move {
            match register::load(doc, id).await {
                Ok(v) => visit.set(Some(v)),
                Err(e) => {
                    web_sys::console::warn_1(&format!("Could not open the visit: {e}").into());
                    visit.set(Some(None));
                }
            }
        });
    });

    let save = move |change: Box<dyn FnOnce(&mut Visit)>| {
        let (Some(doc), Some(Some(mut v)), Some(me)) = (
            doc.get_untracked(),
            visit.get_untracked(),
            auth.session_untracked().map(|s| s.user.id),
        ) else {
            return;
        };
        change(&mut v);
        visit.set(Some(Some(v.clone())));
        spawn_local(async move {
            match register::save(doc, &v, me).await {
                Ok(_) => {
                    saved.set(true);
                    problem.set(None);
                }
                Err(e) => {
                    // Never "Saved" beside an error.
                    saved.set(false);
                    problem.set(Some(i18n.locale_untracked().store_failed(&e)));
                }
            }
        });
    };

    let query = RwSignal::new(String::new());
    let index = use_lead_index();
    let matches = Memo::new(move |_| {
        let text = query.get();
        // One character is a whole Chinese surname (孙): search from it.
        if text.trim().is_empty() {
            return Vec::new();
        }
        let q = LeadQuery {
            text,
            ..LeadQuery::default()
        };
        index.with(|i| i.map(|i| i.search(&q, 5).0).unwrap_or_default())
    });
    let link = move |lead: LeadId| {
        let (Some(doc), Some(Some(v)), Some(me)) = (
            doc.get_untracked(),
            visit.get_untracked(),
            auth.session_untracked().map(|s| s.user.id),
        ) else {
            return;
        };
        spawn_local(async move {
            match register::link(doc, &v, lead, me).await {
                Ok(()) => {
                    saved.set(true);
                    problem.set(None);
                }
                Err(e) => {
                    saved.set(false);
                    problem.set(Some(i18n.locale_untracked().store_failed(&e)));
                }
            }
        });
    };
    let capture = Callback::new(move |()| {
        if let Some((doc, id)) = at.get_untracked() {
            navigate(&format!("/leads/new?visit={doc}/{id}"), Default::default());
        }
    });

    // The walk-in rotation: whom this walk-in goes to, as the line stood
    // before it (on this device, as it last synced).
    let catalogue = crate::local::dealer::use_dealer_catalogue();
    let names = crate::local::people::use_colleague_names();
    let rotation = Memo::new(move |_| {
        let on = catalogue
            .dealer
            .with(|d| d.as_ref().is_some_and(|d| d.settings.pool.rotation));
        let (_, id) = at.get()?;
        if !on {
            return None;
        }
        let since = clock::start_of(clock::today());
        let line = floor.index.with(|i| {
            showroom_shared::domain::rotation::line_of(i, since, since + 86_400_000, Some(id))
        });
        showroom_shared::domain::rotation::next_up(&line)
    });
    let kept = RwSignal::new(false);
    let rotation_bar = move || {
        if kept.get() {
            return None;
        }
        let next = rotation.get()?;
        let v = visit.get().flatten()?;
        let me = auth.session().map(|s| s.user.id)?;
        // Only the walk-in this device just logged, still open and unlinked.
        if v.created_by != me || v.lead.is_some() || v.left_at.is_some() {
            return None;
        }
        let locale = i18n.locale();
        let name_of =
            |user| names.with(|n| crate::local::people::name_of(n, user, locale.t(Key::Colleague)));
        let view = if v.salesperson != me {
            view! { <p class="notice notice--info" role="status">{locale.walk_in_given(&name_of(v.salesperson))}</p> }.into_any()
        } else if next == me {
            view! { <p class="notice notice--info" role="status">{locale.t(Key::RotationYouNext)}</p> }.into_any()
        } else {
            let name = name_of(next);
            view! {
                <div class="notice notice--info rotation-offer" role="group" aria-label=locale.t(Key::RotationHeading)>
                    <p>{locale.rotation_next_up(&name)}</p>
                    <button type="button" class="button button--primary"
                        on:click=move |_| save(Box::new(move |v| v.salesperson = next))>
                        {locale.give_walk_in(&name)}
                    </button>
                    <button type="button" class="button button--secondary"
                        on:click=move |_| kept.set(true)>
                        {locale.t(Key::KeepWalkIn)}
                    </button>
                </div>
            }.into_any()
        };
        Some(view)
    };

    let steps: [(Key, fn(&mut VisitSteps) -> &mut bool); 5] = [
        (Key::StepGreeted, |s| &mut s.greeted),
        (Key::StepNeeds, |s| &mut s.needs_analysis),
        (Key::StepTestDrive, |s| &mut s.test_drive),
        (Key::StepQuote, |s| &mut s.quote),
        (Key::StepNegotiation, |s| &mut s.negotiation),
    ];

    view! {
        <section class="page visit" aria-labelledby="visit-heading">
            <h1 id="visit-heading" class="page__title">{move || i18n.t(Key::Visit)}</h1>
            {rotation_bar}
            {move || match visit.get() {
                None => view! { <p class="muted">{i18n.t(Key::Loading)}</p> }.into_any(),
                Some(None) => view! { <p class="notice">{i18n.t(Key::VisitNotFound)}</p> }.into_any(),
                Some(Some(v)) => {
                    let now = clock::now_ms();
                    let locale = i18n.locale();
                    let minutes = (v.left_at.unwrap_or(now) - v.arrived_at).max(0) / 60_000;
                    let size = v.party_size;
                    let outcome = v.outcome;
                    let lead = v.lead;
                    let left = v.left_at;
                    let customer = row.with(|r| r.as_ref().and_then(|r| r.customer.clone()));
                    let mistaken = !v.counts();
                    view! {
                        <div class="card">
                            <dl class="facts">
                                <div class="facts__item">
                                    <dt>{i18n.t(Key::Arrived)}</dt>
                                    <dd>{locale.time_of_day(v.arrived_at)}</dd>
                                </div>
                                <div class="facts__item">
                                    <dt>{i18n.t(Key::LeftAt)}</dt>
                                    <dd>{left.map(|l| locale.time_of_day(l)).unwrap_or_else(|| locale.here_for(minutes))}</dd>
                                </div>
                            </dl>
                            <div class="stepper" role="group" aria-label=i18n.t(Key::PartySize)>
                                <span class="stepper__label" aria-hidden="true">{i18n.t(Key::PartySize)}</span>
                                <button type="button" class="button button--secondary stepper__button" aria-label=i18n.t(Key::Fewer)
                                    disabled={size <= 1}
                                    on:click=move |_| save(Box::new(|v| v.party_size = v.party_size.saturating_sub(1).max(1)))>"−"</button>
                                <output class="stepper__value" aria-live="polite">{size}</output>
                                <button type="button" class="button button--secondary stepper__button" aria-label=i18n.t(Key::More)
                                    disabled={size >= 20}
                                    on:click=move |_| save(Box::new(|v| v.party_size = (v.party_size + 1).min(20)))>"+"</button>
                            </div>
                            <ChoiceChips
                                label=Signal::derive(move || i18n.t(Key::VisitType).to_owned())
                                options=VisitKind::ALL.to_vec()
                                text=kind_text
                                pressed=Callback::new(move |k: VisitKind| visit.with(|v| v.as_ref().and_then(|v| v.as_ref()).is_some_and(|v| v.kind == k)))
                                on_toggle=Callback::new(move |k: VisitKind| save(Box::new(move |v| v.kind = k)))
                            />
                            <fieldset class="checks">
                                <legend>{i18n.t(Key::StepsDone)}</legend>
                                {steps.into_iter().map(|(key, field)| {
                                    let mut probe = v.steps;
                                    let on = *field(&mut probe);
                                    view! {
                                        <label class="check">
                                            <input type="checkbox" prop:checked=on
                                                on:change=move |ev| {
                                                    let checked = event_target_checked(&ev);
                                                    save(Box::new(move |v| *field(&mut v.steps) = checked));
                                                } />
                                            <span>{i18n.t(key)}</span>
                                        </label>
                                    }
                                }).collect_view()}
                            </fieldset>
                        </div>
                        {if mistaken {
                            view! {
                                <div class="card visit__mistake">
                                    <p>{i18n.t(Key::LoggedByMistakeDone)}</p>
                                    <button type="button" class="button button--secondary"
                                        on:click=move |_| save(Box::new(Visit::restore_from_mistake))>
                                        {i18n.t(Key::CountVisitAgain)}
                                    </button>
                                </div>
                            }.into_any()
                        } else { match outcome {
                            VisitOutcome::Open => view! {
                                <div class="card">
                                    <h2 class="card__title">{i18n.t(Key::LinkToLead)}</h2>
                                    <div class="field">
                                        <label for="visit-search">{i18n.t(Key::SearchLeadForVisit)}</label>
                                        <input id="visit-search" type="search" autocomplete="off" prop:value=move || query.get()
                                            on:input=move |ev| query.set(event_target_value(&ev)) />
                                    </div>
                                    <ul class="link-results">
                                        {move || matches.get().into_iter().map(|s| {
                                            let id = s.id;
                                            let label = format!("{} · {}", s.name, s.mobile.as_deref().map(crate::pages::lead_form::display_phone).unwrap_or_default());
                                            view! {
                                                <li class="link-results__item">
                                                    <span>{label.clone()}</span>
                                                    <button type="button" class="button button--primary" aria-label=format!("{} {}", i18n.t(Key::Link), s.name)
                                                        on:click=move |_| link(id)>{i18n.t(Key::Link)}</button>
                                                </li>
                                            }
                                        }).collect_view()}
                                    </ul>
                                    <div class="actions">
                                        <button type="button" class="button button--primary" on:click=move |_| capture.run(())>{i18n.t(Key::CaptureNewLead)}</button>
                                        <button type="button" class="button button--secondary"
                                            on:click=move |_| save(Box::new(|v| {
                                                v.outcome = VisitOutcome::Anonymous;
                                                v.left_at = Some(clock::now_ms());
                                            }))>{i18n.t(Key::LeftWithoutDetails)}</button>
                                    </div>
                                    // Away from the others: it takes the visit out of every count.
                                    <div class="visit__mistake-row">
                                        <button type="button" class="button button--quiet" aria-describedby="visit-mistake-hint"
                                            on:click=move |_| save(Box::new(|v| v.log_as_mistake(clock::now_ms())))>
                                            {i18n.t(Key::LoggedByMistake)}
                                        </button>
                                        <p id="visit-mistake-hint" class="field__hint">{i18n.t(Key::LoggedByMistakeHint)}</p>
                                    </div>
                                </div>
                            }.into_any(),
                            VisitOutcome::Lead => view! {
                                <div class="card">
                                    <p>
                                        {i18n.t(Key::LinkedTo)}" "
                                        {lead.map(|l| view! { <A href=format!("/leads/{l}")>{customer.clone().unwrap_or_else(|| i18n.t(Key::OpenLead).to_owned())}</A> })}
                                    </p>
                                    {left.is_none().then(|| view! {
                                        <button type="button" class="button button--primary" on:click=move |_| save(Box::new(|v| v.left_at = Some(clock::now_ms())))>
                                            {i18n.t(Key::MarkLeft)}
                                        </button>
                                    })}
                                </div>
                            }.into_any(),
                            VisitOutcome::Anonymous => view! {
                                <div class="card"><p>{i18n.t(Key::Anonymous)}</p></div>
                            }.into_any(),
                        }}}
                    }
                    .into_any()
                }
            }}
            <p class="saved-status" role="status">{move || saved.get().then(|| i18n.t(Key::SavedOnDevice))}</p>
            {move || problem.get().map(|p| view! { <p class="form__error" role="alert">{p}</p> })}
        </section>
    }
}
