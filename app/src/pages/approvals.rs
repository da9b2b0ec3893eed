//! `/approvals`: a manager's inbox of quote versions waiting for a decision
//! — the customer, the car, the discount against its limit, the lines and
//! the margin — approved or rejected with a comment, offline too (the
//! decision reaches the salesperson's tablet when both have synced).

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;
use showroom_shared::domain::Lead;
use showroom_shared::domain::quote::{QuoteStatus, QuoteVersion};

use crate::i18n::{Key, use_i18n};
use crate::local::clock;
use crate::local::dealer::use_dealer_catalogue;
use crate::local::lead_index::use_lead_index;
use crate::local::leads;
use crate::pages::quote::{DecisionForm, money_rows, state_class, state_text};

/// The versions waiting for a decision, by lead, oldest request first.
fn waiting(leads: &[Lead]) -> Vec<(Lead, QuoteVersion)> {
    let mut out: Vec<(Lead, QuoteVersion)> = leads
        .iter()
        .flat_map(|l| {
            l.quotes
                .iter()
                .filter(|q| {
                    q.status == QuoteStatus::Requested && q.decision(&l.approvals).is_none()
                })
                .map(|q| (l.clone(), q.clone()))
        })
        .collect();
    out.sort_by_key(|(_, q)| q.requested_at.unwrap_or(q.created_at));
    out
}

#[component]
pub fn ApprovalsPage() -> impl IntoView {
    let i18n = use_i18n();
    crate::i18n::use_page_title(Key::Approvals);
    let auth = crate::local::auth::use_auth();
    // Decisions are a manager's (`rules::may_decide`): the page, its margins
    // and its buttons are not offered to anyone else, whatever the address.
    let decides = Memo::new(move |_| {
        auth.session()
            .is_some_and(|s| showroom_shared::rules::may_decide(s.user.role))
    });
    view! {
        <Show
            when=move || decides.get()
            fallback=move || view! {
                <section class="page" aria-labelledby="approvals-heading">
                    <h1 id="approvals-heading" class="page__title">{move || i18n.t(Key::Approvals)}</h1>
                    <p class="card notice">{move || i18n.t(Key::NoAccess)}</p>
                </section>
            }
        >
            <ApprovalsInbox />
        </Show>
    }
}

#[component]
fn ApprovalsInbox() -> impl IntoView {
    let i18n = use_i18n();
    let index = use_lead_index();
    let names = crate::local::people::use_colleague_names();
    // Only the leads whose summary says a version waits are opened.
    let ids = Memo::new(move |_| {
        index.with(|i| {
            i.map(|i| {
                let mut ids: Vec<_> = i
                    .all()
                    .filter(|s| s.approvals_waiting > 0 || s.lost_waiting)
                    .map(|s| (s.id, i.version_of(s.id)))
                    .collect();
                ids.sort();
                ids
            })
        })
    });
    let leads = RwSignal::new(None::<Vec<Lead>>);
    Effect::new(move |_| {
        let Some(ids) = ids.get() else { return };
        spawn_local(async move {
            let mut open = Vec::with_capacity(ids.len());
            for (id, _) in ids {
                if let Ok(o) = leads::load(id).await {
                    open.push(o.lead);
                }
            }
            leads.set(Some(open));
        });
    });
    view! {
        <section class="page approvals" aria-labelledby="approvals-heading">
            <h1 id="approvals-heading" class="page__title">{move || i18n.t(Key::Approvals)}</h1>
            {move || match leads.get() {
                None => view! { <p class="muted">{move || i18n.t(Key::Loading)}</p> }.into_any(),
                Some(all) => {
                    let list = waiting(&all);
                    let lost: Vec<Lead> = all.iter().filter(|l| crate::pages::follow_up::lost_waiting(l).is_some()).cloned().collect();
                    let lost_view = (!lost.is_empty()).then(|| view! {
                        <h2 class="card__title">{i18n.t(Key::LostRequestsWaiting)}</h2>
                        <ul class="approval-list" role="list">
                            {lost.into_iter().map(|l| {
                                let heading = format!("lost-{}", l.id);
                                let labelled = heading.clone();
                                let href = format!("/leads/{}", l.id);
                                let name = l.customer.name.clone();
                                view! {
                                    <li class="card approval" aria-labelledby=labelled>
                                        <h3 id=heading class="card__title"><A href=href>{name}</A></h3>
                                        <crate::pages::follow_up::LostPanel lead=Signal::derive(move || Some(l.clone())) />
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    });
                    if list.is_empty() && lost_view.is_none() {
                        return view! { <div class="card empty-state"><p>{move || i18n.t(Key::NoApprovalsWaiting)}</p></div> }.into_any();
                    }
                    view! {
                        <p class="muted" role="status">{i18n.locale().approvals_waiting(list.len())}</p>
                        <ul class="approval-list" role="list">
                            {list.into_iter().map(|(l, v)| view! { <ApprovalCard lead=l version=v names=names /> }).collect_view()}
                        </ul>
                        {lost_view}
                    }.into_any()
                }
            }}
        </section>
    }
}

#[component]
fn ApprovalCard(
    lead: Lead,
    version: QuoteVersion,
    names: RwSignal<Vec<(showroom_shared::domain::UserId, String)>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let catalogue = use_dealer_catalogue();
    let locale = i18n.locale();
    let t = version.totals();
    let state = version.state(&lead.approvals, clock::today());
    let policy = catalogue
        .dealer
        .with_untracked(|d| d.as_ref().map(|d| d.approval_policy()))
        .unwrap_or_default();
    let limit = policy.limit(version.vehicle.trim);
    let margin = catalogue
        .dealer
        .with_untracked(|d| d.as_ref().and_then(|d| d.margin(&version)));
    let heading = format!("approval-{}", version.id);
    let labelled_by = heading.clone();
    let rows = money_rows(locale, version.rows());
    let lead_sig = Signal::derive({
        let lead = lead.clone();
        move || Some(lead.clone())
    });
    let version_sig = Signal::derive({
        let version = version.clone();
        move || Some(version.clone())
    });
    view! {
        <li class="card approval" aria-labelledby=labelled_by>
            <div class="record__head">
                <h2 id=heading class="card__title">
                    <A href=format!("/leads/{}/quotes/{}", lead.id, version.id)>{format!("{} · {}", lead.customer.name, locale.quote_title(version.number, &version.vehicle.label))}</A>
                </h2>
                <span class=state_class(&state)>{state_text(locale, &state)}</span>
            </div>
            <p class="muted approval__asked">{
                let who = names.with_untracked(|ns| crate::local::people::name_of(ns, version.created_by, locale.t(Key::Colleague)));
                locale.asked_by(&who, version.requested_at.map(|at| locale.date_time(at)).unwrap_or_default().as_str())
            }</p>
            <p class="notice">{locale.over_limit(Some(limit))}</p>
            <dl class="approval__facts">
                <div><dt>{locale.t(Key::Discount)}</dt><dd class="figure">{locale.discount_share(version.discount, version.vehicle.list_price)}</dd></div>
                <div><dt>{locale.t(Key::RowOutTheDoor)}</dt><dd class="figure">{locale.money(t.out_the_door)}</dd></div>
                {t.loan.map(|l| view! { <div><dt>{locale.t(Key::RowMonthly)}</dt><dd class="figure">{locale.money(l.monthly)}</dd></div> })}
                {margin.map(|m| view! {
                    <div><dt>{locale.t(Key::VehicleMargin)}</dt><dd class="figure">{locale.money(m)}</dd></div>
                })}
                <div><dt>{locale.t(Key::AccessoryRevenue)}</dt><dd class="figure">{locale.money(t.accessories)}</dd></div>
            </dl>
            <details class="approval__lines">
                <summary>{locale.t(Key::QuoteLines)}</summary>
                {rows}
            </details>
            <DecisionForm lead=lead_sig version=version_sig />
        </li>
    }
}
