//! `/leads/:id/quotes/:version`: one quote version (报价单) — built beside
//! the customer on the tablet, offline too: the trim and colour from the
//! catalogue, accessories and fees as chips, insurance, discounts, trade-in,
//! deposit and finance typed with the number pad; the totals and the
//! monthly payment follow every key. Each tap and each finished field saves
//! on the device. Then: a manager's approval when the discount is over the
//! limit, presented (frozen from then on), signed by the customer on the
//! tablet (an order), or declined. Two versions compare side by side, and
//! the quote prints on A4 in the page's language.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_params_map};
use showroom_shared::domain::catalogue::{Dealer, ItemKind};
use showroom_shared::domain::quote::{
    Approval, ApprovalId, Finance, Line, LineKind, OldCar, Order, QuoteId, QuoteState, QuoteStatus,
    QuoteVersion, RowKey, TradeIn, VersionId, compare, decision_needs_comment,
};
use showroom_shared::domain::showroom::{Signature, Strokes};
use showroom_shared::domain::{Date, Lead, LeadId, Money, UserId};

use crate::components::letterhead::Letterhead;
use crate::components::signature_pad::{SignatureField, signature_shown};
use crate::i18n::{Key, Locale, use_i18n};
use crate::local::auth::use_auth;
use crate::local::clock;
use crate::local::dealer::use_dealer_catalogue;
use crate::local::{leads, store};

/// The commercial insurance covers a quote offers, by their line names.
const COVERS: [(Key, &str); 3] = [
    (Key::ThirdPartyCover, "三者险 Third-party liability"),
    (Key::OwnDamageCover, "车损险 Own damage"),
    (Key::SeatCover, "座位险 Driver and passengers"),
];
/// An edit of a version's terms, with the dealer's catalogue and rules at hand.
type Change = Box<dyn FnOnce(&mut QuoteVersion, &Dealer)>;

const TERMS: [u32; 5] = [12, 24, 36, 48, 60];
const DOWN_SHARES_BP: [u32; 4] = [1_500, 2_000, 3_000, 5_000];

/// A new quote for the lead, following the customer: v1 of the trim of the
/// demo car they last drove, else the first trim of a model of interest,
/// else the catalogue's first; in the first colour at no extra cost (else
/// the first), saved as a draft. Returns its id.
pub async fn start_quote(lead: &Lead, dealer: &Dealer, me: UserId) -> Result<VersionId, String> {
    let trims: Vec<_> = dealer.trims.iter().filter(|t| !t.archived).collect();
    let driven = lead
        .drives
        .iter()
        .filter(|d| d.out.is_some())
        .max_by_key(|d| d.start)
        .and_then(|d| dealer.cars.iter().find(|c| c.id == d.car))
        .map(|c| c.trim);
    let wanted = driven
        .and_then(|trim| trims.iter().find(|t| t.id == trim))
        .or_else(|| {
            trims.iter().find(|t| {
                dealer
                    .model(t.model)
                    .is_some_and(|m| lead.models.iter().any(|x| x.contains(&m.name)))
            })
        })
        .or(trims.first())
        .ok_or_else(|| "no trims in the catalogue".to_owned())?;
    let now = clock::now_ms();
    let mut v = QuoteVersion::draft(
        VersionId::from_uuid(store::new_uuid()),
        QuoteId::from_uuid(store::new_uuid()),
        dealer,
        wanted,
        clock::today(),
        me,
        now,
    );
    let colours: Vec<_> = dealer.colours.iter().filter(|c| !c.archived).collect();
    if let Some(c) = colours
        .iter()
        .find(|c| c.price == Money::ZERO)
        .or(colours.first())
    {
        v.vehicle.colour = Some(c.id);
        v.vehicle.colour_name = c.name.clone();
        v.vehicle.colour_price = c.price;
        v.recompute(&dealer.settings.quote);
    }
    leads::put_quote(lead.id, &v, me, now)
        .await
        .map_err(|e| e.to_string())?;
    Ok(v.id)
}

/// What a person sees of a version's state, as a badge.
pub fn state_text(locale: Locale, state: &QuoteState) -> &'static str {
    locale.t(match state {
        QuoteState::Draft => Key::StateDraft,
        QuoteState::Pending => Key::StatePending,
        QuoteState::Approved(_) => Key::StateApproved,
        QuoteState::Rejected(_) => Key::StateRejected,
        QuoteState::Presented => Key::StatePresented,
        QuoteState::Accepted => Key::StateAccepted,
        QuoteState::Declined => Key::StateDeclined,
        QuoteState::Expired => Key::StateExpired,
    })
}

pub fn state_class(state: &QuoteState) -> &'static str {
    match state {
        QuoteState::Approved(_) | QuoteState::Accepted => "badge badge--ok",
        QuoteState::Pending => "badge badge--warning",
        QuoteState::Rejected(_) | QuoteState::Declined | QuoteState::Expired => {
            "badge badge--danger"
        }
        QuoteState::Draft | QuoteState::Presented => "badge",
    }
}

/// The label of a printed row: the line's own name for lines.
pub fn row_label(locale: Locale, key: RowKey, name: &str) -> String {
    let k = match key {
        RowKey::Colour | RowKey::Option | RowKey::Accessory | RowKey::Fee | RowKey::Insurance
            if !name.is_empty() =>
        {
            return name.to_owned();
        }
        RowKey::ListPrice => Key::RowListPrice,
        RowKey::Colour => Key::RowColour,
        RowKey::Option => Key::RowOption,
        RowKey::Discount => Key::Discount,
        RowKey::OemRebate => Key::OemRebate,
        RowKey::Price => Key::RowPrice,
        RowKey::PurchaseTax => Key::RowPurchaseTax,
        RowKey::Compulsory => Key::RowCompulsory,
        RowKey::VesselTax => Key::RowVesselTax,
        RowKey::Accessory => Key::QuoteAccessories,
        RowKey::Fee => Key::QuoteAccessories,
        RowKey::Insurance => Key::CommercialInsurance,
        RowKey::OutTheDoor => Key::RowOutTheDoor,
        RowKey::TradeIn => Key::TradeIn,
        RowKey::Deposit => Key::Deposit,
        RowKey::Financed => Key::RowFinanced,
        RowKey::Monthly => Key::RowMonthly,
        RowKey::Interest => Key::RowInterest,
        RowKey::CashDue => Key::RowCashDue,
        RowKey::PaidOut => Key::PaidToCustomer,
    };
    locale.t(k).to_owned()
}

/// A money field: typed with the decimal pad, applied as it parses (the
/// totals follow), saved when the field is left.
#[component]
fn MoneyField(
    id: &'static str,
    label: Key,
    value: Money,
    on_input: Callback<Money>,
    on_commit: Callback<()>,
    #[prop(into)] disabled: Signal<bool>,
) -> impl IntoView {
    let i18n = use_i18n();
    let text = RwSignal::new(if value == Money::ZERO {
        String::new()
    } else {
        value.to_string()
    });
    let bad = RwSignal::new(false);
    view! {
        <div class="field field--money">
            <label for=id>{move || i18n.t(label)}</label>
            <input id=id type="text" inputmode="decimal" autocomplete="off" class="money-input"
                prop:value=move || text.get()
                aria-invalid=move || bad.get().to_string()
                disabled=move || disabled.get()
                on:input=move |ev| {
                    let t = event_target_value(&ev);
                    let parsed = if t.trim().is_empty() { Ok(Money::ZERO) } else { t.parse::<Money>() };
                    match parsed {
                        Ok(m) if m.0 >= 0 => { bad.set(false); on_input.run(m); }
                        _ => bad.set(true),
                    }
                    text.set(t);
                }
                on:change=move |_| on_commit.run(()) />
        </div>
    }
}

#[component]
pub fn QuotePage() -> impl IntoView {
    crate::i18n::use_page_title(Key::Quote);
    crate::components::focus::focus_when_shown("quote-heading");
    let i18n = use_i18n();
    let params = use_params_map();
    let catalogue = use_dealer_catalogue();
    let lead_id =
        Memo::new(move |_| params.with(|p| p.get("id").and_then(|s| s.parse::<LeadId>().ok())));
    let version_id = Memo::new(move |_| {
        params.with(|p| p.get("version").and_then(|s| s.parse::<VersionId>().ok()))
    });
    let lead = crate::local::lead_index::use_open_lead(lead_id);
    let stored = Memo::new(move |_| {
        let id = version_id.get()?;
        lead.with(|l| {
            l.as_ref()?
                .as_ref()?
                .quotes
                .iter()
                .find(|q| q.id == id)
                .cloned()
        })
    });
    let customer = move || {
        lead.with(|l| {
            l.as_ref()
                .and_then(|l| l.as_ref())
                .map(|l| l.customer.name.clone())
                .unwrap_or_default()
        })
    };
    let back = move || {
        lead_id
            .get()
            .map(|l| format!("/leads/{l}"))
            .unwrap_or_else(|| "/leads".to_owned())
    };
    // Re-rendered only when another version opens or it appears: a
    // refreshed lead must not rebuild the builder (and drop what is typed).
    #[derive(Clone, Copy, PartialEq)]
    enum Ready {
        Loading,
        Missing,
        Open(VersionId),
    }
    let ready = Memo::new(move |_| match (lead.get(), stored.get()) {
        (None, _) => Ready::Loading,
        (Some(Some(_)), Some(v)) if catalogue.dealer.with(Option::is_some) => Ready::Open(v.id),
        (Some(Some(_)), _) if catalogue.dealer.with(Option::is_none) => Ready::Loading,
        _ => Ready::Missing,
    });
    view! {
        <section class="page quote-page" aria-labelledby="quote-heading">
            <A href=back attr:class="back-link back-link--always no-print">{customer}</A>
            {move || match ready.get() {
                Ready::Loading => view! { <p class="muted">{move || i18n.t(Key::Loading)}</p> }.into_any(),
                Ready::Open(_) => view! { <QuoteEditor lead=lead stored=stored /> }.into_any(),
                Ready::Missing => view! {
                    <div class="card empty-state"><p id="quote-heading">{move || i18n.t(Key::QuoteNotFound)}</p></div>
                }.into_any(),
            }}
        </section>
    }
}

#[component]
fn QuoteEditor(
    lead: RwSignal<Option<Option<Lead>>>,
    stored: Memo<Option<QuoteVersion>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let auth = use_auth();
    let navigate = use_navigate();
    let catalogue = use_dealer_catalogue();
    let dealer = move || catalogue.dealer.get().unwrap_or_default();
    let the_lead = move || lead.with(|l| l.clone().flatten());
    // The working copy: what is on screen, saved on each tap and finished field.
    let work = RwSignal::new(stored.get_untracked());
    let dirty = RwSignal::new(false);
    // Saves under way: until the last lands, what the store holds is older
    // than what is on screen.
    let in_flight = RwSignal::new(0u32);
    let saving = Memo::new(move |_| in_flight.get() > 0);
    let saved = RwSignal::new(false);
    let problem = RwSignal::new(None::<String>);
    // Another device's change (a manager's decision, a colleague's edit)
    // comes in when nothing is being typed.
    Effect::new(move |_| {
        if let Some(s) = stored.get()
            && !dirty.get_untracked()
            && in_flight.get_untracked() == 0
        {
            work.set(Some(s));
        }
    });
    let today = clock::today();
    let approvals = move || the_lead().map(|l| l.approvals).unwrap_or_default();
    let state = Memo::new(move |_| work.get().map(|v| v.state(&approvals(), today)));
    let frozen =
        Memo::new(move |_| work.with(|v| v.as_ref().is_some_and(|v| v.status.is_frozen())));
    let policy = Memo::new(move |_| dealer().approval_policy());
    let needs_approval = Memo::new(move |_| {
        work.with(|v| {
            v.as_ref()
                .is_some_and(|v| policy.with(|p| p.needs_approval(v)))
        })
    });
    let me = move || auth.session_untracked().map(|s| s.user.id);
    let is_manager = move || {
        auth.session()
            .is_some_and(|s| showroom_shared::rules::may_decide(s.user.role))
    };

    let persist = move |v: QuoteVersion| {
        let (Some(lead_id), Some(me)) = (the_lead().map(|l| l.id), me()) else {
            return;
        };
        in_flight.update(|n| *n += 1);
        dirty.set(false);
        problem.set(None);
        spawn_local(async move {
            let now = clock::now_ms();
            match leads::put_quote(lead_id, &v, me, now).await {
                Ok(_) => saved.set(true),
                Err(e) => problem.set(Some(i18n.locale_untracked().store_failed(&e))),
            }
            in_flight.update(|n| *n = n.saturating_sub(1));
        });
    };
    // An edit of the terms: recomputed under the dealer's rules; a request
    // for approval whose terms change is a draft again (the manager decides
    // on exact terms).
    let edit = move |f: Change, save: bool| {
        if frozen.get_untracked() {
            return;
        }
        let d = catalogue.dealer.get_untracked().unwrap_or_default();
        let Some(mut v) = work.get_untracked() else {
            return;
        };
        let before = v.digest();
        f(&mut v, &d);
        v.recompute(&d.settings.quote);
        if v.digest() != before && v.status == QuoteStatus::Requested {
            v.status = QuoteStatus::Draft;
            v.requested_at = None;
        }
        work.set(Some(v.clone()));
        saved.set(false);
        if save {
            persist(v);
        } else {
            dirty.set(true);
        }
    };
    let commit = Callback::new(move |()| {
        if dirty.get_untracked()
            && let Some(v) = work.get_untracked()
        {
            persist(v);
        }
    });
    let money_input = move |f: fn(&mut QuoteVersion, Money)| {
        Callback::new(move |m: Money| edit(Box::new(move |v, _| f(v, m)), false))
    };
    let set_status = move |status: QuoteStatus| {
        let Some(mut v) = work.get_untracked() else {
            return;
        };
        let now = clock::now_ms();
        match status {
            QuoteStatus::Requested => v.requested_at = Some(now),
            QuoteStatus::Presented => v.present(now),
            _ => {}
        }
        v.status = status;
        work.set(Some(v.clone()));
        persist(v);
    };

    // A new version of this quote, from this one's terms.
    let new_version = {
        let navigate = navigate.clone();
        move |_| {
            let (Some(l), Some(me), Some(v)) = (the_lead(), me(), work.get_untracked()) else {
                return;
            };
            let d = dealer();
            let number = l
                .quotes
                .iter()
                .filter(|q| q.quote == v.quote)
                .map(|q| q.number)
                .max()
                .unwrap_or(0)
                + 1;
            let now = clock::now_ms();
            let next = v.next_version(
                VersionId::from_uuid(store::new_uuid()),
                number,
                &d.settings.quote,
                clock::today(),
                me,
                now,
            );
            let navigate = navigate.clone();
            spawn_local(async move {
                match leads::put_quote(l.id, &next, me, now).await {
                    Ok(_) => navigate(
                        &format!("/leads/{}/quotes/{}", l.id, next.id),
                        Default::default(),
                    ),
                    Err(e) => problem.set(Some(i18n.locale_untracked().store_failed(&e))),
                }
            });
        }
    };

    // The customer's acceptance: signature and delivery date.
    let accepting = RwSignal::new(false);
    let strokes = RwSignal::new(Strokes::default());
    let typed_name = RwSignal::new(String::new());
    let accepts_typed = Signal::derive(move || {
        catalogue
            .dealer
            .with(|c| c.as_ref().is_some_and(|c| c.settings.agreement.typed_name))
    });
    let delivery = RwSignal::new(today.add_days(14).to_string());
    let accept = move |_| {
        let (Some(me), Some(mut v)) = (me(), work.get_untracked()) else {
            return;
        };
        let locale = i18n.locale_untracked();
        let signature = Signature {
            strokes: strokes.get_untracked(),
            typed_name: typed_name.get_untracked().trim().to_owned(),
            agreement_version: 0,
            language: locale.tag().to_owned(),
            signed_at: clock::now_ms(),
            captured_by: me,
        };
        if !signature.is_given(accepts_typed.get_untracked()) {
            problem.set(Some(locale.t(Key::SignatureMissing).to_owned()));
            return;
        }
        let Ok(date) = delivery.get_untracked().parse::<Date>() else {
            problem.set(Some(locale.t(Key::ExpectedDelivery).to_owned()));
            return;
        };
        let now = clock::now_ms();
        v.status = QuoteStatus::Accepted;
        v.signature = Some(Signature {
            signed_at: now,
            ..signature
        });
        v.order = Some(Order {
            delivery: date,
            ordered_at: now,
        });
        work.set(Some(v.clone()));
        accepting.set(false);
        persist(v);
    };

    let print = move |_| {
        if let Some(w) = web_sys::window() {
            let _ = w.print();
        }
    };
    let compare_with = RwSignal::new(None::<VersionId>);
    let others = move || {
        let v = work.get()?;
        Some(
            the_lead()?
                .quotes
                .into_iter()
                .filter(|q| q.quote == v.quote && q.id != v.id)
                .collect::<Vec<_>>(),
        )
    };

    let title = move || {
        work.get()
            .map(|v| i18n.locale().quote_title(v.number, &v.vehicle.label))
            .unwrap_or_default()
    };
    let disabled = Signal::derive(move || frozen.get());

    view! {
        <div class="record__head no-print">
            <h1 id="quote-heading" class="page__title">{title}</h1>
            {move || state.get().map(|s| view! { <span class=state_class(&s)>{state_text(i18n.locale(), &s)}</span> })}
        </div>
        <p class="saved-status no-print" role="status">
            {move || if saving.get() { Some(i18n.t(Key::Saving)) } else if saved.get() { Some(i18n.t(Key::SavedOnDevice)) } else { None }}
        </p>
        {move || problem.get().map(|p| view! { <p class="form__error no-print" role="alert">{p}</p> })}
        {move || frozen.get().then(|| view! { <p class="notice no-print">{move || i18n.t(Key::FrozenNote)}</p> })}
        <div class="quote-layout no-print">
            <form class="card form quote-builder" on:submit=|ev| ev.prevent_default() novalidate>
                <fieldset class="record__fields" disabled=move || frozen.get()>
                    <div class="field">
                        <label for="quote-trim">{move || i18n.t(Key::QuoteVehicle)}</label>
                        <select id="quote-trim" class="select" on:change=move |ev| {
                            let Ok(id) = event_target_value(&ev).parse() else { return };
                            edit(Box::new(move |v, d| {
                                if let Some(t) = d.trim(id) {
                                    v.vehicle.trim = t.id;
                                    v.vehicle.label = d.trim_label(t.id);
                                    v.vehicle.list_price = t.list_price;
                                    v.vehicle.powertrain = t.powertrain;
                                    v.vehicle.seats = t.seats;
                                    v.vehicle.displacement_cc = t.displacement_cc;
                                }
                            }), true);
                        }>
                            {move || {
                                let d = dealer();
                                let chosen = work.with(|v| v.as_ref().map(|v| v.vehicle.trim));
                                d.trims.iter().filter(|t| !t.archived || Some(t.id) == chosen).map(|t| {
                                    let id = t.id;
                                    view! {
                                        <option value=id.to_string() selected=move || work.with(|v| v.as_ref().is_some_and(|v| v.vehicle.trim == id))>
                                            {format!("{} — {}", d.trim_label(t.id), i18n.locale().money(t.list_price))}
                                        </option>
                                    }
                                }).collect_view()
                            }}
                        </select>
                    </div>
                    <div class="field">
                        <span class="field__label" id="quote-colour-label">{move || i18n.t(Key::QuoteColour)}</span>
                        <div class="chips" role="group" aria-labelledby="quote-colour-label">
                            {move || dealer().colours.into_iter().filter(|c| !c.archived).map(|c| {
                                let id = c.id;
                                let label = if c.price == Money::ZERO { c.name.clone() } else { format!("{} +{}", c.name, i18n.locale().money(c.price)) };
                                view! {
                                    <button type="button" class="chip"
                                        aria-pressed=move || work.with(|v| v.as_ref().is_some_and(|v| v.vehicle.colour == Some(id))).to_string()
                                        on:click=move |_| {
                                            let c = c.clone();
                                            edit(Box::new(move |v, _| {
                                                v.vehicle.colour = Some(c.id);
                                                v.vehicle.colour_name = c.name.clone();
                                                v.vehicle.colour_price = c.price;
                                            }), true);
                                        }>{label}</button>
                                }
                            }).collect_view()}
                        </div>
                    </div>
                    <div class="field">
                        <span class="field__label" id="quote-items-label">{move || i18n.t(Key::QuoteAccessories)}</span>
                        <div class="chips" role="group" aria-labelledby="quote-items-label">
                            {move || dealer().items.into_iter().filter(|i| !i.archived).map(|item| {
                                let id = item.id;
                                let label = format!("{} {}", item.name, i18n.locale().money(item.price));
                                view! {
                                    <button type="button" class="chip"
                                        aria-pressed=move || work.with(|v| v.as_ref().is_some_and(|v| v.lines.iter().any(|l| l.item == Some(id)))).to_string()
                                        on:click=move |_| {
                                            let item = item.clone();
                                            edit(Box::new(move |v, _| {
                                                if v.lines.iter().any(|l| l.item == Some(item.id)) {
                                                    v.lines.retain(|l| l.item != Some(item.id));
                                                } else {
                                                    v.lines.push(Line {
                                                        kind: match item.kind { ItemKind::Accessory => LineKind::Accessory, ItemKind::Fee => LineKind::Fee },
                                                        item: Some(item.id),
                                                        name: item.name.clone(),
                                                        amount: item.price,
                                                    });
                                                }
                                            }), true);
                                        }>{label}</button>
                                }
                            }).collect_view()}
                        </div>
                    </div>
                    <fieldset class="field-group">
                        <legend>{move || i18n.t(Key::CommercialInsurance)}</legend>
                        <div class="field-row field-row--three">
                            {COVERS.iter().enumerate().map(|(n, (key, name))| {
                                let name = *name;
                                let value = work.with_untracked(|v| v.as_ref().and_then(|v| v.lines.iter().find(|l| l.kind == LineKind::Insurance && l.name == name).map(|l| l.amount))).unwrap_or_default();
                                view! {
                                    <MoneyField id=["quote-cover-0", "quote-cover-1", "quote-cover-2"][n] label=*key value=value disabled=disabled on_commit=commit
                                        on_input=Callback::new(move |m: Money| edit(Box::new(move |v, _| {
                                            v.lines.retain(|l| !(l.kind == LineKind::Insurance && l.name == name));
                                            if m != Money::ZERO {
                                                v.lines.push(Line { kind: LineKind::Insurance, item: None, name: name.to_owned(), amount: m });
                                            }
                                        }), false)) />
                                }
                            }).collect_view()}
                        </div>
                    </fieldset>
                    <div class="field-row">
                        <MoneyField id="quote-discount" label=Key::Discount value=work.with_untracked(|v| v.as_ref().map(|v| v.discount).unwrap_or_default()) disabled=disabled on_commit=commit
                            on_input=money_input(|v, m| v.discount = m) />
                        <MoneyField id="quote-rebate" label=Key::OemRebate value=work.with_untracked(|v| v.as_ref().map(|v| v.oem_rebate).unwrap_or_default()) disabled=disabled on_commit=commit
                            on_input=money_input(|v, m| v.oem_rebate = m) />
                        <MoneyField id="quote-deposit" label=Key::Deposit value=work.with_untracked(|v| v.as_ref().map(|v| v.deposit).unwrap_or_default()) disabled=disabled on_commit=commit
                            on_input=money_input(|v, m| v.deposit = m) />
                    </div>
                    {move || needs_approval.get().then(|| view! {
                        <p class="notice" role="note">{move || {
                            let limit = work.with(|v| v.as_ref().map(|v| policy.with(|p| p.limit(v.vehicle.trim))));
                            i18n.locale().over_limit(limit)
                        }}</p>
                    })}
                    <TradeInFields work=work edit=Callback::new(move |f: Change| edit(f, false)) toggle=Callback::new(move |f: Change| edit(f, true)) commit=commit disabled=disabled />
                    <FinanceFields work=work edit=Callback::new(move |f: Change| edit(f, false)) toggle=Callback::new(move |f: Change| edit(f, true)) commit=commit disabled=disabled />
                </fieldset>
            </form>
            <aside class="card quote-totals" aria-labelledby="quote-totals-heading">
                <h2 id="quote-totals-heading" class="card__title">{move || i18n.t(Key::Totals)}</h2>
                {move || work.get().map(|v| view! { <TotalsView version=v /> })}
                {move || is_manager().then(|| work.get().map(|v| view! { <MarginView version=v /> }))}
                <div class="quote-actions">
                    {move || {
                        let locale = i18n.locale();
                        let s = state.get();
                        let may_present = work.with(|v| v.as_ref().is_some_and(|v| v.may_present(&approvals(), &policy.get())));
                        match s {
                            Some(QuoteState::Draft) | Some(QuoteState::Rejected(_)) if needs_approval.get() => view! {
                                <button type="button" class="button button--primary button--block" on:click=move |_| set_status(QuoteStatus::Requested)>{locale.t(Key::RequestApproval)}</button>
                            }.into_any(),
                            Some(QuoteState::Draft) | Some(QuoteState::Approved(_)) => view! {
                                <button type="button" class="button button--primary button--block" disabled=!may_present on:click=move |_| set_status(QuoteStatus::Presented)>{locale.t(Key::PresentQuote)}</button>
                            }.into_any(),
                            Some(QuoteState::Presented) => view! {
                                <button type="button" class="button button--primary button--block" on:click=move |_| accepting.set(true)>{locale.t(Key::CustomerAccepts)}</button>
                                <button type="button" class="button button--secondary button--block" on:click=move |_| set_status(QuoteStatus::Declined)>{locale.t(Key::CustomerDeclines)}</button>
                            }.into_any(),
                            _ => ().into_any(),
                        }
                    }}
                    {move || match state.get() {
                        Some(QuoteState::Approved(a)) | Some(QuoteState::Rejected(a)) => Some(view! { <DecisionNote approval=a /> }),
                        _ => None,
                    }}
                    {move || (matches!(state.get(), Some(QuoteState::Pending)) && is_manager()).then(|| view! {
                        <DecisionForm lead=Signal::derive(the_lead) version=Signal::derive(move || work.get()) />
                    })}
                    <div class="quote-actions__row">
                        <button type="button" class="button button--secondary" on:click=new_version.clone()>{move || i18n.t(Key::NewVersion)}</button>
                        <button type="button" class="button button--secondary" on:click=print>{move || i18n.t(Key::PrintQuote)}</button>
                    </div>
                </div>
            </aside>
        </div>
        // Portrait: the total and the payment stay in sight while the
        // builder scrolls (the totals card, below, is what reads aloud).
        <div class="quote-sticky no-print" aria-hidden="true">
            {move || work.get().map(|v| {
                let t = v.totals();
                let locale = i18n.locale();
                view! {
                    <span class="quote-sticky__item">{locale.t(Key::RowOutTheDoor)}" "<strong class="figure">{locale.money(t.out_the_door)}</strong></span>
                    {t.loan.map(|l| view! {
                        <span class="quote-sticky__item">{locale.monthly_for(l.months)}" "<strong class="figure">{locale.money(l.monthly)}</strong></span>
                    })}
                }
            })}
        </div>
        {move || accepting.get().then(|| view! {
            <section class="card quote-accept no-print" aria-labelledby="accept-heading">
                <h2 id="accept-heading" class="card__title">{move || i18n.t(Key::CustomerAccepts)}</h2>
                <div class="field">
                    <label for="quote-delivery">{move || i18n.t(Key::ExpectedDelivery)}</label>
                    <input id="quote-delivery" type="date" prop:value=move || delivery.get() on:input=move |ev| delivery.set(event_target_value(&ev)) />
                </div>
                <SignatureField
                    id="quote"
                    label=Signal::derive(move || i18n.t(Key::Signature).to_owned())
                    hint=Signal::derive(move || i18n.t(Key::SignHere).to_owned())
                    clear_text=Signal::derive(move || i18n.t(Key::ClearSignature).to_owned())
                    accepts_typed=accepts_typed
                    on_change=Callback::new(move |(s, typed): (Strokes, String)| {
                        strokes.set(s);
                        typed_name.set(typed);
                    }) />
                <button type="button" class="button button--primary button--block" on:click=accept>{move || i18n.t(Key::SignAndOrder)}</button>
            </section>
        })}
        {move || others().filter(|o| !o.is_empty()).map(|others| view! {
            <section class="card quote-compare no-print" aria-labelledby="compare-heading">
                <h2 id="compare-heading" class="card__title">{move || i18n.t(Key::CompareVersions)}</h2>
                <div class="field">
                    <label for="quote-compare">{move || i18n.t(Key::CompareWith)}</label>
                    <select id="quote-compare" class="select" on:change=move |ev| compare_with.set(event_target_value(&ev).parse().ok())>
                        <option value="">"—"</option>
                        {others.iter().map(|o| {
                            let id = o.id;
                            view! { <option value=id.to_string() selected=move || compare_with.get() == Some(id)>{format!("v{}", o.number)}</option> }
                        }).collect_view()}
                    </select>
                </div>
                {move || {
                    let id = compare_with.get()?;
                    let other = the_lead()?.quotes.into_iter().find(|q| q.id == id)?;
                    let this = work.get()?;
                    Some(view! { <CompareView a=other b=this /> })
                }}
            </section>
        })}
        {move || work.get().map(|v| {
            let offer = v.printable_as_offer(&approvals(), &policy.get());
            view! { <PrintedQuote version=v offer=offer customer=the_lead().map(|l| l.customer.name).unwrap_or_default() /> }
        })}
    }
}

/// The trade-in: the old car's appraisal, its loan payoff, the maker's
/// subsidy, and what becomes of it (for the national subsidy).
#[component]
fn TradeInFields(
    work: RwSignal<Option<QuoteVersion>>,
    edit: Callback<Change>,
    toggle: Callback<Change>,
    commit: Callback<()>,
    disabled: Signal<bool>,
) -> impl IntoView {
    let i18n = use_i18n();
    let has = Memo::new(move |_| work.with(|v| v.as_ref().is_some_and(|v| v.trade_in.is_some())));
    let get = move |f: fn(&TradeIn) -> Money| {
        work.with_untracked(|v| v.as_ref().and_then(|v| v.trade_in.as_ref().map(f)))
            .unwrap_or_default()
    };
    let set = move |f: fn(&mut TradeIn, Money)| {
        Callback::new(move |m: Money| {
            edit.run(Box::new(move |v, _| {
                if let Some(t) = v.trade_in.as_mut() {
                    f(t, m);
                }
            }))
        })
    };
    view! {
        <fieldset class="field-group">
            <legend>
                <label class="check">
                    <input type="checkbox" prop:checked=move || has.get() on:change=move |_| toggle.run(Box::new(|v, _| {
                        v.trade_in = match v.trade_in { Some(_) => None, None => Some(TradeIn { appraised: Money::ZERO, payoff: Money::ZERO, oem_subsidy: Money::ZERO, old_car: OldCar::Transfer }) };
                    })) />
                    {move || i18n.t(Key::TradeIn)}
                </label>
            </legend>
            {move || has.get().then(|| view! {
                <div class="field-row field-row--three">
                    <MoneyField id="quote-appraised" label=Key::AppraisedValue value=get(|t| t.appraised) disabled=disabled on_commit=commit on_input=set(|t, m| t.appraised = m) />
                    <MoneyField id="quote-payoff" label=Key::LoanPayoff value=get(|t| t.payoff) disabled=disabled on_commit=commit on_input=set(|t, m| t.payoff = m) />
                    <MoneyField id="quote-oem-subsidy" label=Key::OemTradeInSubsidy value=get(|t| t.oem_subsidy) disabled=disabled on_commit=commit on_input=set(|t, m| t.oem_subsidy = m) />
                </div>
                <div class="chips" role="group" aria-label=move || i18n.t(Key::TradeIn)>
                    {[(OldCar::Transfer, Key::OldCarTransfer), (OldCar::Scrap, Key::OldCarScrap)].into_iter().map(|(kind, key)| view! {
                        <button type="button" class="chip"
                            aria-pressed=move || work.with(|v| v.as_ref().and_then(|v| v.trade_in).is_some_and(|t| t.old_car == kind)).to_string()
                            on:click=move |_| toggle.run(Box::new(move |v, _| { if let Some(t) = v.trade_in.as_mut() { t.old_car = kind; } }))>
                            {move || i18n.t(key)}
                        </button>
                    }).collect_view()}
                </div>
            })}
        </fieldset>
    }
}

/// Finance: down payment (an amount, or a share of the price from chips),
/// term and rate; the monthly payment is in the totals beside.
#[component]
fn FinanceFields(
    work: RwSignal<Option<QuoteVersion>>,
    edit: Callback<Change>,
    toggle: Callback<Change>,
    commit: Callback<()>,
    disabled: Signal<bool>,
) -> impl IntoView {
    let i18n = use_i18n();
    let catalogue = use_dealer_catalogue();
    let has = Memo::new(move |_| work.with(|v| v.as_ref().is_some_and(|v| v.finance.is_some())));
    // The down payment's text follows the share chips.
    let down_text = RwSignal::new(
        work.with_untracked(|v| {
            v.as_ref()
                .and_then(|v| v.finance)
                .map(|f| f.down.to_string())
        })
        .unwrap_or_default(),
    );
    let apr_text = RwSignal::new(
        work.with_untracked(|v| {
            v.as_ref()
                .and_then(|v| v.finance)
                .map(|f| Money(i64::from(f.apr_bp)).to_string())
        })
        .unwrap_or_else(|| "3.50".to_owned()),
    );
    let bad_down = RwSignal::new(false);
    let bad_apr = RwSignal::new(false);
    let min_down = move || {
        let rules = catalogue
            .dealer
            .with(|d| d.as_ref().map(|d| d.settings.quote.clone()))
            .unwrap_or_default();
        work.with(|v| v.as_ref().map(|v| v.min_down(&rules)))
    };
    let below_min = move || {
        work.with(|v| v.as_ref().and_then(|v| v.finance).map(|f| f.down))
            .zip(min_down())
            .is_some_and(|(down, min)| down < min)
    };
    view! {
        <fieldset class="field-group">
            <legend>
                <label class="check">
                    <input type="checkbox" prop:checked=move || has.get() on:change=move |_| {
                        toggle.run(Box::new(|v, d| {
                            v.finance = match v.finance {
                                Some(_) => None,
                                None => {
                                    let bp = if v.is_nev() { d.settings.quote.min_down_bp_nev } else { d.settings.quote.min_down_bp_ice };
                                    Some(Finance { down: v.price().share_bp(bp), down_bp: Some(bp), months: 36, apr_bp: 350 })
                                }
                            };
                        }));
                        down_text.set(work.with_untracked(|v| v.as_ref().and_then(|v| v.finance).map(|f| f.down.to_string())).unwrap_or_default());
                        apr_text.set("3.50".to_owned());
                    } />
                    {move || i18n.t(Key::Finance)}
                </label>
            </legend>
            {move || has.get().then(|| view! {
                <div class="field">
                    <span class="field__label" id="quote-down-share-label">{move || i18n.t(Key::DownPayment)}</span>
                    <div class="chips" role="group" aria-labelledby="quote-down-share-label">
                        {DOWN_SHARES_BP.iter().map(|bp| {
                            let bp = *bp;
                            view! {
                                <button type="button" class="chip"
                                    aria-pressed=move || work.with(|v| v.as_ref().is_some_and(|v| v.finance.is_some_and(|f| f.down_bp == Some(bp)))).to_string()
                                    on:click=move |_| {
                                        toggle.run(Box::new(move |v, _| {
                                            if let Some(f) = v.finance.as_mut() { f.down_bp = Some(bp); }
                                        }));
                                        down_text.set(work.with_untracked(|v| v.as_ref().and_then(|v| v.finance).map(|f| f.down.to_string())).unwrap_or_default());
                                        bad_down.set(false);
                                    }>{format!("{}%", bp / 100)}</button>
                            }
                        }).collect_view()}
                    </div>
                </div>
                <div class="field-row">
                    <div class="field field--money">
                        <label for="quote-down">{move || i18n.t(Key::DownPaymentAmount)}</label>
                        <input id="quote-down" type="text" inputmode="decimal" autocomplete="off" class="money-input"
                            prop:value=move || work.with(|v| v.as_ref().and_then(|v| v.finance).filter(|f| f.down_bp.is_some()).map(|f| f.down.to_string())).unwrap_or_else(|| down_text.get())
                            aria-invalid=move || (bad_down.get() || below_min()).to_string()
                            aria-describedby="quote-down-hint" disabled=move || disabled.get()
                            on:input=move |ev| {
                                let t = event_target_value(&ev);
                                match t.parse::<Money>() {
                                    Ok(m) if m.0 >= 0 => { bad_down.set(false); edit.run(Box::new(move |v, _| { if let Some(f) = v.finance.as_mut() { f.down = m; f.down_bp = None; } })); }
                                    _ => bad_down.set(true),
                                }
                                down_text.set(t);
                            }
                            on:change=move |_| commit.run(()) />
                        <p id="quote-down-hint" class=move || if below_min() { "field__error" } else { "field__hint" }>
                            {move || min_down().map(|m| i18n.locale().min_down(m))}
                        </p>
                    </div>
                    <div class="field field--money">
                        <label for="quote-apr">{move || i18n.t(Key::Apr)}</label>
                        <input id="quote-apr" type="text" inputmode="decimal" autocomplete="off" class="money-input"
                            prop:value=move || apr_text.get() aria-invalid=move || bad_apr.get().to_string() disabled=move || disabled.get()
                            on:input=move |ev| {
                                let t = event_target_value(&ev);
                                // Percent with two decimals: "3.5" is 350 bp.
                                match t.parse::<Money>().ok().and_then(|m| u32::try_from(m.0).ok()).filter(|bp| *bp <= 3_600) {
                                    Some(bp) => { bad_apr.set(false); edit.run(Box::new(move |v, _| { if let Some(f) = v.finance.as_mut() { f.apr_bp = bp; } })); }
                                    None => bad_apr.set(true),
                                }
                                apr_text.set(t);
                            }
                            on:change=move |_| commit.run(()) />
                    </div>
                </div>
                <div class="field">
                    <span class="field__label" id="quote-term-label">{move || i18n.t(Key::TermMonths)}</span>
                    <div class="chips" role="group" aria-labelledby="quote-term-label">
                        {TERMS.iter().map(|n| {
                            let n = *n;
                            view! {
                                <button type="button" class="chip"
                                    aria-pressed=move || work.with(|v| v.as_ref().and_then(|v| v.finance).is_some_and(|f| f.months == n)).to_string()
                                    on:click=move |_| toggle.run(Box::new(move |v, _| { if let Some(f) = v.finance.as_mut() { f.months = n; } }))>
                                    {n.to_string()}
                                </button>
                            }
                        }).collect_view()}
                    </div>
                </div>
            })}
        </fieldset>
    }
}

/// The totals beside the builder: the rows, the out-the-door total and the
/// monthly payment large, the cash option beside.
#[component]
fn TotalsView(version: QuoteVersion) -> impl IntoView {
    let i18n = use_i18n();
    let locale = i18n.locale();
    let t = version.totals();
    let rows = version.rows().into_iter().filter(|r| {
        !matches!(
            r.key,
            RowKey::OutTheDoor | RowKey::Monthly | RowKey::CashDue | RowKey::PaidOut
        )
    });
    let loan_problem = matches!(version.loan(), Some(Err(_)));
    view! {
        {money_rows(locale, rows)}
        <dl class="quote-headline">
            <div class="quote-headline__item"><dt>{locale.t(Key::RowOutTheDoor)}</dt>
                <dd class="figure figure--large" data-testid="out-the-door">{locale.money(t.out_the_door)}</dd></div>
            {t.loan.map(|l| view! {
                <div class="quote-headline__item"><dt>{locale.monthly_for(l.months)}</dt>
                    <dd class="figure figure--large" data-testid="monthly">{locale.money(l.monthly)}</dd></div>
            })}
            <div class="quote-headline__item"><dt>{locale.t(Key::RowCashDue)}</dt>
                <dd class="figure">{locale.money(t.cash_due)}</dd></div>
            {t.loan.is_some().then(|| view! {
                <div class="quote-headline__item"><dt>{locale.t(Key::CashOption)}</dt>
                    <dd class="figure">{locale.money(t.cash_option)}</dd></div>
            })}
        </dl>
        {surplus_words(locale, &t).map(|words| view! { <p class="notice" data-testid="trade-in-surplus">{words}</p> })}
        {loan_problem.then(|| view! { <p class="field__error" role="alert">{locale.t(Key::LoanProblem)}</p> })}
        {(version.taxes.subsidy_info != Money::ZERO).then(|| view! {
            <p class="field__hint">{locale.subsidy_info(version.taxes.subsidy_info)}</p>
        })}
        <p class="muted">{locale.valid_until(version.valid_until)}</p>
    }
}

/// The trade-in's surplus in words, when there is one: "Trade-in surplus of
/// ¥ X reduces the loan", "Paid to the customer: ¥ Y".
fn surplus_words(locale: Locale, t: &showroom_shared::domain::quote::Totals) -> Option<String> {
    let mut words = Vec::new();
    if t.to_loan != Money::ZERO {
        words.push(locale.surplus_to_loan(t.to_loan));
    }
    if t.paid_out != Money::ZERO {
        words.push(locale.paid_to_customer(t.paid_out));
    }
    (!words.is_empty()).then(|| words.join(" · "))
}

/// A version's rows as a list of labelled amounts.
pub fn money_rows(
    locale: Locale,
    rows: impl IntoIterator<Item = showroom_shared::domain::quote::Row>,
) -> impl IntoView {
    let rows = rows
        .into_iter()
        .map(|r| {
            view! {
                <div class="money-row"><dt>{row_label(locale, r.key, &r.name)}</dt><dd class="figure">{locale.money(r.amount)}</dd></div>
            }
        })
        .collect_view();
    view! { <dl class="money-rows">{rows}</dl> }
}

/// What a manager weighs: the car's margin and the accessory revenue.
#[component]
pub fn MarginView(version: QuoteVersion) -> impl IntoView {
    let i18n = use_i18n();
    let catalogue = use_dealer_catalogue();
    let locale = i18n.locale();
    let margin = catalogue
        .dealer
        .with_untracked(|d| d.as_ref().and_then(|d| d.margin(&version)));
    view! {
        <dl class="money-rows money-rows--manager">
            {margin.map(|m| view! {
                <div class="money-row"><dt>{locale.t(Key::VehicleMargin)}</dt><dd class="figure">{locale.money(m)}</dd></div>
            })}
            <div class="money-row"><dt>{locale.t(Key::AccessoryRevenue)}</dt><dd class="figure">{locale.money(version.totals().accessories)}</dd></div>
        </dl>
    }
}

/// The manager's decision as the salesperson sees it.
#[component]
fn DecisionNote(approval: Approval) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <p class=if approval.approved { "notice notice--ok" } else { "notice notice--danger" } role="status">
            {move || i18n.locale().decision(approval.approved, &approval.comment)}
        </p>
    }
}

/// A manager's approve / reject with a comment, bound to the version's
/// terms as they are now.
#[component]
pub fn DecisionForm(
    #[prop(into)] lead: Signal<Option<Lead>>,
    #[prop(into)] version: Signal<Option<QuoteVersion>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let auth = use_auth();
    let comment = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let problem = RwSignal::new(None::<String>);
    // A rejection without its reason: said at the box, which takes the focus.
    let missing = RwSignal::new(false);
    let area = NodeRef::<leptos::html::Textarea>::new();
    let decide = move |approved: bool| {
        let (Some(l), Some(v), Some(me)) = (
            lead.get_untracked(),
            version.get_untracked(),
            auth.session_untracked(),
        ) else {
            return;
        };
        let text = comment.get_untracked().trim().to_owned();
        if crate::pages::quote::comment_missing(approved, &text, missing, area) {
            return;
        }
        let now = clock::now_ms();
        let a = Approval {
            id: ApprovalId::from_uuid(store::new_uuid()),
            version: v.id,
            digest: v.digest(),
            approved,
            comment: text,
            decided_by: me.user.id,
            decided_at: now,
        };
        busy.set(true);
        spawn_local(async move {
            if let Err(e) = leads::put_approval(l.id, &a, now).await {
                problem.set(Some(e.to_string()));
            }
            busy.set(false);
        });
    };
    // One box per version: its own id, so its label names and focuses it
    // wherever several forms share a page (the approvals inbox).
    let field_id = move || {
        version
            .get()
            .map(|v| format!("decision-{}", v.id))
            .unwrap_or_default()
    };
    let error_id = move || format!("{}-error", field_id());
    view! {
        <div class="decision">
            <div class="field">
                <label for=field_id>{move || i18n.t(Key::DecisionComment)}</label>
                <textarea id=field_id rows="2" maxlength="500" bind:value=comment node_ref=area
                    aria-invalid=move || missing.get().to_string() aria-describedby=error_id
                    on:input=move |_| if missing.get_untracked() && !comment.get_untracked().trim().is_empty() { missing.set(false) }></textarea>
                <p id=error_id class="field__error">{move || missing.get().then(|| i18n.t(Key::RejectNeedsComment))}</p>
            </div>
            <div class="quote-actions__row">
                <button type="button" class="button button--primary" disabled=move || busy.get() on:click=move |_| decide(true)>{move || i18n.t(Key::Approve)}</button>
                <button type="button" class="button button--danger" disabled=move || busy.get() on:click=move |_| decide(false)>{move || i18n.t(Key::Reject)}</button>
            </div>
            {move || problem.get().map(|p| view! { <p class="form__error" role="alert">{p}</p> })}
        </div>
    }
}

/// Two versions side by side: each row's amounts and the difference.
#[component]
fn CompareView(a: QuoteVersion, b: QuoteVersion) -> impl IntoView {
    let i18n = use_i18n();
    let locale = i18n.locale();
    let rows = compare(&a, &b)
        .into_iter()
        .map(|(key, name, x, y)| {
            let diff = Money(y.unwrap_or_default().0 - x.unwrap_or_default().0);
            let cell = |m: Option<Money>| m.map(|m| locale.money(m)).unwrap_or_else(|| "—".to_owned());
            view! {
                <tr class=if diff == Money::ZERO { "" } else { "changed" }>
                    <th scope="row">{row_label(locale, key, &name)}</th>
                    <td class="figure">{cell(x)}</td>
                    <td class="figure">{cell(y)}</td>
                    <td class="figure">{(diff != Money::ZERO).then(|| locale.signed_money(diff))}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <table class="compare-table">
            <thead><tr>
                <th scope="col"></th>
                <th scope="col">{format!("v{}", a.number)}</th>
                <th scope="col">{format!("v{}", b.number)}</th>
                <th scope="col">{locale.t(Key::Difference)}</th>
            </tr></thead>
            <tbody>{rows}</tbody>
        </table>
    }
}

/// The quote as it prints on A4 (hidden on screen): the dealer, the
/// customer, every line, the totals, the finance, the validity, and the
/// customer's signature once accepted. A version that is not an `offer`
/// (`QuoteVersion::printable_as_offer`: not yet presented, or waiting for
/// the approval it needs) prints marked as a draft, with a watermark.
#[component]
fn PrintedQuote(version: QuoteVersion, customer: String, offer: bool) -> impl IntoView {
    let i18n = use_i18n();
    let auth = use_auth();
    let locale = i18n.locale();
    let dealer_name = auth
        .session_untracked()
        .map(|s| s.dealer.name)
        .unwrap_or_default();
    let catalogue = use_dealer_catalogue();
    let letterhead = move || {
        let profile = catalogue
            .dealer
            .with(|d| d.as_ref().map(|d| d.settings.profile.clone()))
            .unwrap_or_default();
        view! { <Letterhead profile=profile fallback_name=dealer_name.clone() /> }
    };
    let t = version.totals();
    let rows = version
        .rows()
        .into_iter()
        .map(|r| {
            let strong = matches!(
                r.key,
                RowKey::OutTheDoor | RowKey::CashDue | RowKey::PaidOut | RowKey::Monthly
            );
            view! {
                <tr class=if strong { "strong" } else { "" }>
                    <th scope="row">{row_label(locale, r.key, &r.name)}</th>
                    <td class="figure">{locale.money(r.amount)}</td>
                </tr>
            }
        })
        .collect_view();
    let class = if offer {
        "print-only quote-print"
    } else {
        "print-only quote-print quote-print--draft"
    };
    view! {
        <article class=class data-watermark=(!offer).then(|| locale.t(Key::StateDraft))>
            <header class="quote-print__head">
                {letterhead}
                <h1>{locale.t(Key::Quote)}" · v"{version.number}</h1>
                {(!offer).then(|| view! { <h2 class="quote-print__draft">{locale.t(Key::DraftNotAnOffer)}</h2> })}
                <p>{locale.label_value(Key::CustomerName, &customer)}</p>
                <p>{version.vehicle.label.clone()}{(!version.vehicle.colour_name.is_empty()).then(|| format!(" · {}", version.vehicle.colour_name))}</p>
                <p>{locale.date(version.quoted_on)}" · "{locale.valid_until(version.valid_until)}</p>
            </header>
            <table class="quote-print__rows"><tbody>{rows}</tbody></table>
            {t.loan.map(|l| view! {
                <p class="quote-print__finance">{locale.finance_line(l.principal, l.months, l.apr_bp, l.monthly, l.total_interest)}</p>
            })}
            {surplus_words(locale, &t).map(|words| view! { <p class="quote-print__surplus">{words}</p> })}
            {t.loan.is_some().then(|| view! { <p>{locale.label_value(Key::CashOption, &locale.money(t.cash_option))}</p> })}
            {(version.taxes.subsidy_info != Money::ZERO).then(|| view! { <p>{locale.subsidy_info(version.taxes.subsidy_info)}</p> })}
            {version.order.as_ref().map(|o| view! { <p>{locale.label_value(Key::ExpectedDelivery, &locale.date(o.delivery))}</p> })}
            {version.signature.as_ref().map(|s| view! {
                <p class="quote-print__signed">{locale.label_value(Key::Signature, &locale.date_time(s.signed_at))}</p>
                {signature_shown(s, locale)}
            })}
        </article>
    }
}

/// A rejection needs a comment (`decision_needs_comment`): when it is
/// missing, says so at the box and puts the focus there. Returns whether it
/// was missing.
pub fn comment_missing(
    approved: bool,
    text: &str,
    missing: RwSignal<bool>,
    area: NodeRef<leptos::html::Textarea>,
) -> bool {
    let absent = decision_needs_comment(approved, text);
    missing.set(absent);
    if absent && let Some(el) = area.get_untracked() {
        let _ = el.focus();
    }
    absent
}
