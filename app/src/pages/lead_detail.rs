//! `/leads/:id`: one lead, every field editable, and its notes. Changes that arrive by sync refresh what the person is not editing.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;
use showroom_shared::domain::{
    Grade, Lead, LeadId, Note, Source, Stage, UserId, limits, validate_note,
};

use crate::components::grade_chip::GradeChip;
use crate::i18n::{Key, use_i18n};
use crate::local::auth::use_auth;
use crate::local::lead_index::use_lead_index;
use crate::local::leads::{self, OpenLead};
use crate::local::store::{self, StoreError};
use crate::local::sync::use_sync;
use crate::pages::lead_form::{
    ChoiceChips, FormProblems, LeadForm, grade_hint, grade_text, problem_text, source_text,
};
use crate::pages::leads::use_saved_flash;

#[derive(Clone, Debug, PartialEq)]
enum Loaded {
    Loading,
    Missing,
    Damaged,
    Ready(OpenLead),
}

#[component]
pub fn LeadDetailPage() -> impl IntoView {
    let i18n = use_i18n();
    crate::i18n::use_page_title(Key::LeadPage);
    let params = use_params_map();
    let id =
        Memo::new(move |_| params.with(|p| p.get("id").and_then(|s| s.parse::<LeadId>().ok())));
    let loaded = RwSignal::new(Loaded::Loading);
    let form = RwSignal::new(None::<LeadForm>);
    let request = StoredValue::new(0u64);

    // (Re)load when the lead changes: opened, or changed on the device
    // (saved here, received, or written by another tab).
    let index = use_lead_index();
    let navigate = leptos_router::hooks::use_navigate();
    let version = Memo::new(move |_| id.get().map(|lead| index.version_of(lead)));
    Effect::new(move |previous_id: Option<Option<LeadId>>| {
        let current = id.get();
        let _ = version.get(); // (a Memo must be read, not only tracked, to recompute)
        let switched = previous_id != Some(current);
        if switched {
            loaded.set(Loaded::Loading);
            form.set(None);
        }
        let Some(lead_id) = current else {
            loaded.set(Loaded::Missing);
            return current;
        };
        let n = request.get_value() + 1;
        request.set_value(n);
        let navigate = navigate.clone();
        spawn_local(async move {
            let result = leads::load(lead_id).await;
            if request.try_get_value() != Some(n) {
                return;
            }
            match result {
                Ok(open) => {
                    let old = loaded.with_untracked(|l| match l {
                        Loaded::Ready(o) if o.lead.id == lead_id => Some(o.lead.clone()),
                        _ => None,
                    });
                    let next = match (old, form.get_untracked()) {
                        (Some(old), Some(typed)) => typed.rebase(&old, &open.lead),
                        _ => LeadForm::of(&open.lead),
                    };
                    form.set(Some(next));
                    loaded.set(Loaded::Ready(open));
                }
                // A lead a merge absorbed opens the lead that took it in.
                Err(StoreError::NotFound) => match index.survivor_of_untracked(lead_id) {
                    Some(survivor) => navigate(
                        &format!("/leads/{survivor}"),
                        leptos_router::NavigateOptions {
                            replace: true,
                            ..Default::default()
                        },
                    ),
                    None => loaded.set(Loaded::Missing),
                },
                Err(e) => {
                    web_sys::console::warn_1(&format!("Could not open lead {lead_id}: {e}").into());
                    loaded.set(Loaded::Damaged)
                }
            }
        });
        current
    });

    // Re-render only when the kind of state changes: a refreshed lead must
    // not rebuild the record (it would drop a note being typed).
    #[derive(Clone, Copy, PartialEq)]
    enum Kind {
        Loading,
        Missing,
        Damaged,
        Ready,
    }
    let kind = Memo::new(move |_| {
        loaded.with(|l| match l {
            Loaded::Loading => Kind::Loading,
            Loaded::Missing => Kind::Missing,
            Loaded::Damaged => Kind::Damaged,
            Loaded::Ready(_) => Kind::Ready,
        })
    });
    view! {
        <section class="page record" aria-labelledby="lead-heading">
            <A href="/leads" attr:class="back-link">{move || i18n.t(Key::BackToLeads)}</A>
            {move || match kind.get() {
                Kind::Loading => view! { <p class="muted">{move || i18n.t(Key::Loading)}</p> }.into_any(),
                Kind::Missing => view! {
                    <div class="card empty-state"><p id="lead-heading">{move || i18n.t(Key::LeadNotFound)}</p></div>
                }
                .into_any(),
                Kind::Damaged => view! {
                    <div class="card empty-state"><p id="lead-heading" role="alert">{move || i18n.t(Key::LeadDamaged)}</p></div>
                }
                .into_any(),
                Kind::Ready => view! { <LeadRecord loaded=loaded form=form /> }.into_any(),
            }}
        </section>
    }
}

/// Whose lead it is. A manager hands it to a colleague or to the pool
/// here (a change of the lead's owner: `rules::owner_move`); a salesperson
/// reads it ("Me", the pool, a colleague).
#[component]
fn OwnerField(lead: Memo<Option<OpenLead>>, read_only: Memo<bool>) -> impl IntoView {
    let i18n = use_i18n();
    let auth = use_auth();
    let flash = use_saved_flash();
    let names = crate::local::people::use_colleague_names();
    let manager = move || {
        auth.session()
            .is_some_and(|s| showroom_shared::rules::may_decide(s.user.role))
    };
    let owner = move || lead.with(|l| l.as_ref().and_then(|l| l.lead.owner));
    let shown = move || {
        let me = auth.session().map(|s| s.user.id);
        match owner() {
            None => i18n.t(Key::OwnerPool).to_owned(),
            Some(o) if Some(o) == me => i18n.t(Key::Me).to_owned(),
            Some(o) => names.with(|n| crate::local::people::name_of(n, o, i18n.t(Key::Colleague))),
        }
    };
    let reassign = move |ev: leptos::ev::Event| {
        let value = event_target_value(&ev);
        // "" is the pool; anything else must be a person (never the pool
        // by mistake).
        let to = if value.is_empty() {
            None
        } else {
            match value.parse::<UserId>() {
                Ok(user) => Some(user),
                Err(_) => return,
            }
        };
        let (Some(open), Some(me)) = (lead.get_untracked(), auth.session_untracked()) else {
            return;
        };
        let original = open.lead;
        if original.owner == to {
            return;
        }
        let mut edited = original.clone();
        edited.owner = to;
        spawn_local(async move {
            if let Ok(true) =
                leads::edit(&original, &edited, me.user.id, js_sys::Date::now() as i64).await
            {
                let _ = flash.0.try_set(Some(original.id));
            }
        });
    };
    let claim = move |_| {
        let (Some(open), Some(me)) = (lead.get_untracked(), auth.session_untracked()) else {
            return;
        };
        let id = open.lead.id;
        spawn_local(async move {
            let done = leads::claim(&[id], me.user.id, js_sys::Date::now() as i64).await;
            if done.handed > 0 {
                let _ = flash.0.try_set(Some(id));
            }
        });
    };
    view! {
        <div class="field owner-field">
            {move || if manager() && !read_only.get() {
                view! {
                    <label for="edit-owner">{move || i18n.t(Key::Owner)}</label>
                    <select id="edit-owner" class="select" on:change=reassign>
                        <option value="" selected=move || owner().is_none()>{move || i18n.t(Key::OwnerPool)}</option>
                        {move || {
                            let current = owner();
                            let mut people = names.get();
                            // The owner stays listed while the names load (offline).
                            if let Some(o) = current.filter(|o| !people.iter().any(|(id, _)| id == o)) {
                                people.push((o, i18n.t(Key::Colleague).to_owned()));
                            }
                            people
                                .into_iter()
                                .map(|(id, name)| view! {
                                    <option value=id.to_string() selected=current == Some(id)>{name}</option>
                                })
                                .collect_view()
                        }}
                    </select>
                    <RemovalReceipts
                        lead=Signal::derive(move || lead.with(|l| l.as_ref().map(|l| l.lead.id)))
                        owner=Signal::derive(owner)
                    />
                }.into_any()
            } else {
                view! {
                    <span class="field__label">{move || i18n.t(Key::Owner)}</span>
                    <span class="owner-field__value">{shown}</span>
                    // A pool lead: one tap makes it this salesperson's.
                    <Show when=move || owner().is_none() && !read_only.get()>
                        <button type="button" class="button button--primary owner-field__claim" title=move || i18n.t(Key::ClaimLeadHint) on:click=claim>
                            {move || i18n.t(Key::ClaimLead)}
                        </button>
                    </Show>
                }.into_any()
            }}
        </div>
    }
}

/// A manager's view of a reassignment done: "Removed from 2 of 2 devices",
/// or which device of the former owner has not confirmed yet and when it
/// was last seen (its receipt: the lead is gone from its storage). Asked
/// of the server while the page is open (every few seconds while a device
/// has not confirmed); nothing shows for a lead that never moved away
/// from anyone, or offline before the first answer.
#[component]
fn RemovalReceipts(lead: Signal<Option<LeadId>>, owner: Signal<Option<UserId>>) -> impl IntoView {
    let i18n = use_i18n();
    let auth = use_auth();
    let devices = RwSignal::new(Vec::<showroom_shared::api::RemovalInfo>::new());
    let asking = StoredValue::new(0u64);
    Effect::new(move |_| {
        let (Some(id), _) = (lead.get(), owner.get()) else {
            return;
        };
        let Some(token) = auth.token() else { return };
        let Some(round) = asking.try_update_value(|n| {
            *n += 1;
            *n
        }) else {
            return;
        };
        spawn_local(async move {
            // Until the page goes or the lead or its owner changes.
            while asking.try_get_value() == Some(round) {
                if let Ok(list) = crate::api::lead_removals(&token, id).await
                    && asking.try_get_value() == Some(round)
                {
                    let _ = devices.try_set(list.devices);
                }
                let waiting = devices
                    .try_with_untracked(|d| d.iter().any(|d| d.removed_at.is_none()))
                    .unwrap_or(false);
                gloo_timers::future::TimeoutFuture::new(if waiting { 3_000 } else { 15_000 }).await;
            }
        });
    });
    view! {
        {move || {
            let list = devices.get();
            if list.is_empty() {
                return ().into_any();
            }
            let locale = i18n.locale();
            let done = list.iter().filter(|d| d.removed_at.is_some()).count();
            view! {
                <div class="owner-field__receipts" role="status">
                    <p>{locale.removed_from(done, list.len())}</p>
                    <ul>
                        {list
                            .iter()
                            .filter(|d| d.removed_at.is_none())
                            .map(|d| view! { <li class="muted">{locale.waiting_for_device(&d.device_name, &d.user_name, d.last_seen_at)}</li> })
                            .collect_view()}
                    </ul>
                </div>
            }
            .into_any()
        }}
    }
}

#[component]
fn LeadRecord(loaded: RwSignal<Loaded>, form: RwSignal<Option<LeadForm>>) -> impl IntoView {
    let i18n = use_i18n();
    let auth = use_auth();
    let sync = use_sync();
    let flash = use_saved_flash();
    let open = Memo::new(move |_| match loaded.get() {
        Loaded::Ready(o) => Some(o),
        _ => None,
    });
    let lead = move || open.with(|o| o.as_ref().map(|o| o.lead.clone()));
    let lead_id = Memo::new(move |_| open.with(|o| o.as_ref().map(|o| o.lead.id)));
    let read_only = Memo::new(move |_| open.with(|o| o.as_ref().is_some_and(|o| o.read_only)));
    let me = Memo::new(move |_| auth.session().map(|s| (s.user.id, s.user.display_name)));
    let problems = RwSignal::new(FormProblems::default());
    let failure = RwSignal::new(None::<String>);
    let saving = RwSignal::new(false);
    let new_model = RwSignal::new(String::new());
    let grade_offer = RwSignal::new(None::<showroom_shared::domain::Date>);
    let catalogue = crate::local::dealer::use_dealer_catalogue();
    let note_text = RwSignal::new(String::new());
    let note_problem = RwSignal::new(None::<String>);
    // The server's refusal of this lead's changes, and the discard flow.
    let refusal = Memo::new(move |_| {
        let id = lead_id.get()?;
        sync.status
            .with(|s| s.refusal_of(id.into()).map(|r| r.code.clone()))
    });
    let confirming_discard = RwSignal::new(false);
    let discarding = RwSignal::new(false);
    let discard_problem = RwSignal::new(None::<String>);
    let discard = move |_| {
        let Some(id) = lead_id.get_untracked() else {
            return;
        };
        if discarding.get_untracked() {
            return;
        }
        discarding.set(true);
        discard_problem.set(None);
        spawn_local(async move {
            match store::discard_outbox(id.into()).await {
                Ok(_) => {
                    confirming_discard.set(false);
                    sync.discarded(id.into());
                }
                Err(e) => discard_problem
                    .set(Some(i18n.locale_untracked().discard_failed(&e.to_string()))),
            }
            discarding.set(false);
        });
    };

    // A field of the form as a get/set pair for `bind:`-like inputs.
    let field = move |get: fn(&LeadForm) -> String, set: fn(&mut LeadForm, String)| {
        let value = move || form.with(|f| f.as_ref().map(get).unwrap_or_default());
        let on_input = move |ev: leptos::ev::Event| {
            let v = event_target_value(&ev);
            form.update(|f| {
                if let Some(f) = f {
                    set(f, v);
                }
            });
        };
        (value, on_input)
    };
    let (name_value, name_input) = field(|f| f.name.clone(), |f, v| f.name = v);
    let (mobile_value, mobile_input) = field(|f| f.mobile.clone(), |f, v| f.mobile = v);
    let (wechat_value, wechat_input) = field(|f| f.wechat.clone(), |f, v| f.wechat = v);
    let (city_value, city_input) = field(|f| f.city.clone(), |f, v| f.city = v);
    let (due_value, due_input) = field(|f| f.next_follow_up.clone(), |f, v| f.next_follow_up = v);
    let report = move |e: StoreError| {
        let locale = i18n.locale_untracked();
        let _ = failure.try_set(Some(if e.is_quota() {
            locale.t(Key::StorageFull).to_owned()
        } else if e == StoreError::ReadOnly {
            locale.t(Key::NewerVersion).to_owned()
        } else {
            locale.store_failed(&e)
        }));
    };

    // The lead saves itself: each finished field (a text field left, a chip
    // or a choice tapped) is saved on the device at once, as everywhere else
    // in Showroom; leaving the page saves what was typed. A save asked for
    // while one is under way runs after it (the form holds every change).
    let again = StoredValue::new(false);
    let resave = RwSignal::new(0u32);
    let save_now = move || {
        if saving.try_get_untracked() != Some(false) || read_only.try_get_untracked() != Some(false)
        {
            again.try_set_value(true);
            return;
        }
        let (Some(base), Some(typed), Some((me, _))) = (
            open.try_get_untracked().flatten().map(|o| o.lead),
            form.try_get_untracked().flatten(),
            me.try_get_untracked().flatten(),
        ) else {
            return;
        };
        let edited = match typed.to_lead(&base) {
            Ok(l) => l,
            Err(p) => {
                let _ = problems.try_set(p);
                return;
            }
        };
        if edited == base {
            let _ = problems.try_set(FormProblems::default());
            return;
        }
        let _ = problems.try_set(FormProblems::default());
        let _ = failure.try_set(None);
        let _ = saving.try_set(true);
        let save_again = move || {
            let _ = saving.try_set(false);
            if again.try_get_value() == Some(true) {
                again.try_set_value(false);
                // The next save reads the form as it is now.
                let _ = resave.try_update(|n| *n += 1);
            }
        };
        spawn_local(async move {
            match leads::edit(&base, &edited, me, js_sys::Date::now() as i64).await {
                Ok(true) => {
                    let _ = flash.0.try_set(Some(base.id));
                }
                Ok(false) => {}
                Err(e) => report(e),
            }
            save_again();
        });
    };
    Effect::new(move |previous: Option<u32>| {
        let n = resave.get();
        if previous.is_some_and(|p| p != n) {
            save_now();
        }
        n
    });
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        save_now();
    };
    // Leaving the page (another tab of the app, Today…) keeps what was typed.
    on_cleanup(save_now);
    let update = move |change: Box<dyn FnOnce(&mut LeadForm)>| {
        form.update(|f| {
            if let Some(f) = f {
                change(f);
            }
        });
        save_now();
    };

    let add_note = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (Some(id), Some((me, _))) = (lead_id.get_untracked(), me.get_untracked()) else {
            return;
        };
        let text = note_text.get_untracked();
        if let Err(e) = validate_note(&text) {
            note_problem.set(Some(i18n.locale_untracked().lead_error(&e)));
            return;
        }
        note_problem.set(None);
        failure.set(None);
        let note = Note {
            author: me,
            at: js_sys::Date::now() as i64,
            text: text.trim().to_owned(),
        };
        spawn_local(async move {
            match leads::add_note(id, &note).await {
                Ok(()) => {
                    note_text.set(String::new());
                    flash.0.set(Some(id));
                }
                Err(e) => report(e),
            }
        });
    };

    let add_model = move || {
        let m = new_model.get_untracked().trim().to_owned();
        if m.is_empty() {
            return;
        }
        update(Box::new(move |f| {
            if !f.models.contains(&m) && f.models.len() < limits::MODELS {
                f.models.push(m);
            }
        }));
        new_model.set(String::new());
    };

    // Opening a lead moves focus to its name, so a screen reader says where
    // the person is (not the top of the page, unannounced).
    let heading_ref = NodeRef::<leptos::html::H1>::new();
    Effect::new(move |done: Option<bool>| {
        if done == Some(true) {
            return true;
        }
        match heading_ref.get() {
            Some(h) => {
                crate::components::focus::focus_after_paint(h.into());
                true
            }
            None => false,
        }
    });
    // The discard question takes focus, and Escape closes it.
    let confirm_ref = NodeRef::<leptos::html::Div>::new();
    Effect::new(move |_| {
        if confirming_discard.get()
            && let Some(el) = confirm_ref.get()
        {
            let _ = el.focus();
        }
    });

    let author_name = move |author: UserId| -> String {
        match me.get() {
            Some((id, name)) if id == author => name,
            _ => i18n.t(Key::Colleague).to_owned(),
        }
    };

    view! {
        <div class="record__head">
            <h1 id="lead-heading" class="page__title" tabindex="-1" node_ref=heading_ref>{move || lead().map(|l| l.customer.name)}</h1>
            {move || lead().map(|l| view! { <GradeChip grade=l.grade /> })}
        </div>
        <p class="saved-status" role="status">
            {move || (flash.0.get().is_some() && flash.0.get() == lead_id.get()).then(|| i18n.t(Key::SavedOnDevice))}
        </p>
        {move || read_only.get().then(|| view! { <p class="notice">{move || i18n.t(Key::NewerVersion)}</p> })}
        <CollisionPanel open=open />
        {move || refusal.get().map(|message| view! {
            <div class="refusal card">
                <p class="refusal__text" role="alert">{move || i18n.locale().lead_refused(&message)}</p>
                {move || if confirming_discard.get() {
                    view! {
                        <div class="confirm" role="alertdialog" aria-labelledby="discard-confirm-text" tabindex="-1" node_ref=confirm_ref
                            on:keydown=move |ev: leptos::ev::KeyboardEvent| if ev.key() == "Escape" { confirming_discard.set(false) }>
                            <p id="discard-confirm-text" class="confirm__text">{move || i18n.t(Key::DiscardUnsyncedConfirm)}</p>
                            <div class="confirm__actions">
                                <button type="button" class="button button--danger" disabled=move || discarding.get() on:click=discard>
                                    {move || i18n.t(Key::Discard)}
                                </button>
                                <button type="button" class="button button--secondary" on:click=move |_| confirming_discard.set(false)>
                                    {move || i18n.t(Key::Cancel)}
                                </button>
                            </div>
                        </div>
                    }
                    .into_any()
                } else {
                    view! {
                        <button type="button" class="button button--danger-quiet" on:click=move |_| confirming_discard.set(true)>
                            {move || i18n.t(Key::DiscardUnsynced)}
                        </button>
                    }
                    .into_any()
                }}
                {move || discard_problem.get().map(|p| view! { <p class="form__error" role="alert">{p}</p> })}
            </div>
        })}
        <ContactActions lead=Signal::derive(lead) />
        // The lead's work first (its next task, quotes, visits and test
        // drives), its details after.
        <crate::pages::follow_up::LeadFollowUp lead=Signal::derive(lead) />
        <LeadQuotes lead=Signal::derive(lead) />
        <LeadFloor lead=Signal::derive(lead) />
        <form class="form card" on:submit=save novalidate>
            <fieldset class="record__fields" disabled=move || read_only.get()>
                <div class="field">
                    <label for="edit-name">{move || i18n.t(Key::CustomerName)}</label>
                    <input id="edit-name" on:change=move |_| save_now() type="text" autocomplete="off" prop:value=name_value on:input=move |ev| { problems.update(|p| p.name = None); name_input(ev) }
                        aria-invalid=move || problems.with(|p| p.name.is_some()).to_string()
                        aria-describedby="edit-name-error" />
                    <p id="edit-name-error" class="field__error">
                        {move || problems.with(|p| p.name.as_ref().map(|e| i18n.locale().lead_error(e)))}
                    </p>
                </div>
                <div class="field">
                    <label for="edit-mobile">{move || i18n.t(Key::Mobile)}</label>
                    <input id="edit-mobile" on:change=move |_| save_now() type="tel" inputmode="tel" autocomplete="tel" prop:value=mobile_value on:input=move |ev| { problems.update(|p| p.mobile = None); mobile_input(ev) }
                        aria-invalid=move || problems.with(|p| p.mobile.is_some()).to_string()
                        aria-describedby="edit-mobile-error" />
                    <p id="edit-mobile-error" class="field__error">
                        {move || problems.with(|p| p.mobile.as_ref().map(|e| i18n.locale().phone_error(e)))}
                    </p>
                </div>
                <div class="field-row">
                    <div class="field">
                        <label for="edit-wechat">{move || i18n.t(Key::WeChat)}</label>
                        <input id="edit-wechat" on:change=move |_| save_now() type="text" autocomplete="off" autocapitalize="none" prop:value=wechat_value on:input=wechat_input />
                    </div>
                    <div class="field">
                        <label for="edit-city">{move || i18n.t(Key::City)}</label>
                        <input id="edit-city" on:change=move |_| save_now() type="text" autocomplete="address-level2" prop:value=city_value on:input=city_input />
                    </div>
                </div>
                <ChoiceChips
                    label=Signal::derive(move || i18n.t(Key::IntentGrade).to_owned())
                    options=Grade::ALL.to_vec()
                    text=grade_text
                    hint=grade_hint
                    big=true
                    pressed=Callback::new(move |g: Grade| form.with(|f| f.as_ref().is_some_and(|f| f.grade == g)))
                    on_toggle=Callback::new(move |g: Grade| {
                        update(Box::new(move |f| f.grade = g));
                        // The dealer's cadence for the grade: offer to move the
                        // next follow-up there.
                        let days = catalogue.dealer.with_untracked(|d| d.as_ref().map(|d| d.settings.cadence)).unwrap_or_default().days(g);
                        grade_offer.set(days.map(|d| crate::local::clock::today().add_days(d as i32)));
                    })
                    disabled=read_only
                />
                {move || grade_offer.get().map(|date| view! {
                    <div class="notice grade-offer">
                        <button type="button" class="button button--secondary" on:click=move |_| {
                            grade_offer.set(None);
                            update(Box::new(move |f| f.next_follow_up = date.to_string()));
                            // The next open task moves with it, at its time of day.
                            if let (Some(l), Some((me, _))) = (lead(), me.get_untracked()) {
                                if let Some(mut t) = l.tasks.iter().filter(|t| t.is_open()).min_by_key(|t| t.due).cloned() {
                                    let time = t.due - crate::local::clock::start_of(showroom_shared::domain::Date::from_unix_ms(t.due, crate::local::clock::offset_minutes(t.due)));
                                    t.due = crate::local::clock::start_of(date) + time;
                                    spawn_local(async move {
                                        let _ = leads::put_record(l.id, &t, me, js_sys::Date::now() as i64).await;
                                    });
                                }
                            }
                        }>{move || i18n.locale().move_follow_up(date)}</button>
                    </div>
                })}
                <div class="field-row">
                    <div class="field">
                        <label for="edit-stage">{move || i18n.t(Key::Stage)}</label>
                        <select
                            id="edit-stage"
                            class="select"
                            on:change=move |ev| {
                                if let Ok(s) = event_target_value(&ev).parse::<Stage>() {
                                    update(Box::new(move |f| f.stage = s));
                                }
                            }
                        >
                            // Lost is a manager's decision on a lost request:
                            // offered only when the lead is already there.
                            {Stage::ALL
                                .iter()
                                .filter(|s| **s != Stage::Lost || lead().is_some_and(|l| l.stage == Stage::Lost))
                                .map(|s| {
                                    let s = *s;
                                    view! {
                                        <option
                                            value=s.as_str()
                                            selected=move || form.with(|f| f.as_ref().is_some_and(|f| f.stage == s))
                                        >
                                            {move || i18n.locale().stage(s)}
                                        </option>
                                    }
                                })
                                .collect_view()}
                        </select>
                    </div>
                    <div class="field">
                        <label for="edit-due">{move || i18n.t(Key::NextFollowUp)}</label>
                        <input id="edit-due" type="date" prop:value=due_value on:input=due_input on:change=move |ev| { due_input(ev); save_now(); } />
                    </div>
                </div>
                <OwnerField lead=open read_only=read_only />
                <ChoiceChips
                    label=Signal::derive(move || i18n.t(Key::Source).to_owned())
                    options=Source::ALL.to_vec()
                    text=source_text
                    pressed=Callback::new(move |s: Source| form.with(|f| f.as_ref().is_some_and(|f| f.source == s)))
                    on_toggle=Callback::new(move |s: Source| update(Box::new(move |f| f.source = s)))
                    disabled=read_only
                />
                <div class="field">
                    <span class="field__label" id="models-label">{move || i18n.t(Key::ModelsOfInterest)}</span>
                    <ul class="model-chips" aria-labelledby="models-label">
                        {move || {
                            form.with(|f| f.as_ref().map(|f| f.models.clone()).unwrap_or_default())
                                .into_iter()
                                .map(|m| {
                                    let label = m.clone();
                                    let remove = m.clone();
                                    view! {
                                        <li class="model-chip">
                                            <span>{m.clone()}</span>
                                            <button
                                                type="button"
                                                class="model-chip__remove"
                                                aria-label=move || i18n.locale().remove_model(&label)
                                                on:click=move |_| {
                                                    let remove = remove.clone();
                                                    update(Box::new(move |f| f.models.retain(|x| *x != remove)));
                                                }
                                            >
                                                "×"
                                            </button>
                                        </li>
                                    }
                                })
                                .collect_view()
                        }}
                    </ul>
                    <div class="add-model">
                        <label for="edit-add-model" class="visually-hidden">{move || i18n.t(Key::AddModel)}</label>
                        <input
                            id="edit-add-model"
                            type="text"
                            list="model-suggestions-edit"
                            placeholder=move || i18n.t(Key::AddModel)
                            bind:value=new_model
                            on:keydown=move |ev| {
                                if ev.key() == "Enter" {
                                    ev.prevent_default();
                                    add_model();
                                }
                            }
                        />
                        <datalist id="model-suggestions-edit">
                            {crate::pages::lead_form::MODEL_SUGGESTIONS
                                .iter()
                                .map(|m| view! { <option value=*m></option> })
                                .collect_view()}
                        </datalist>
                        <button type="button" class="button button--secondary" on:click=move |_| add_model()>
                            {move || i18n.t(Key::Add)}
                        </button>
                    </div>
                </div>
                {move || {
                    let mut messages = problem_text(i18n.locale(), &problems.get());
                    messages.extend(failure.get());
                    (!messages.is_empty()).then(|| view! { <p class="form__error" role="alert">{messages.join(" ")}</p> })
                }}
            </fieldset>
        </form>
        <section class="card notes" aria-labelledby="notes-heading">
            <h2 id="notes-heading" class="card__title">{move || i18n.t(Key::Notes)}</h2>
            {move || {
                let notes: Vec<Note> = lead().map(|l: Lead| l.notes).unwrap_or_default();
                if notes.is_empty() {
                    return view! { <p class="muted">{move || i18n.t(Key::NoNotesYet)}</p> }.into_any();
                }
                view! {
                    <ul class="note-list" role="list" aria-label=move || i18n.t(Key::Notes)>
                        {notes
                            .into_iter()
                            .map(|n| {
                                let author = n.author;
                                let at = n.at;
                                view! {
                                    <li class="note">
                                        <p class="note__meta">
                                            <span class="note__author">{move || author_name(author)}</span>
                                            " · "
                                            <time>{move || i18n.locale().date_time(at)}</time>
                                        </p>
                                        <p class="note__text">{n.text}</p>
                                    </li>
                                }
                            })
                            .collect_view()}
                    </ul>
                }
                .into_any()
            }}
            <form class="form" on:submit=add_note novalidate>
                <fieldset class="record__fields" disabled=move || read_only.get()>
                    <div class="field">
                        <label for="new-note">{move || i18n.t(Key::NewNote)}</label>
                        <textarea id="new-note" rows="3" maxlength=limits::NOTE bind:value=note_text></textarea>
                        {move || note_problem.get().map(|p| view! { <p class="field__error" role="alert">{p}</p> })}
                    </div>
                    <button type="submit" class="button button--secondary">{move || i18n.t(Key::AddNote)}</button>
                </fieldset>
            </form>
        </section>
    }
}

/// A lead's quotes: every version with its state and total, newest quote
/// first, and "New quote".
#[component]
fn LeadQuotes(#[prop(into)] lead: Signal<Option<Lead>>) -> impl IntoView {
    use crate::pages::quote::{start_quote, state_class, state_text};
    let i18n = use_i18n();
    let auth = use_auth();
    let catalogue = crate::local::dealer::use_dealer_catalogue();
    let navigate = leptos_router::hooks::use_navigate();
    let problem = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let new_quote = move |_| {
        let (Some(l), Some(d), Some(me)) = (
            lead.get_untracked(),
            catalogue.dealer.get_untracked(),
            auth.session_untracked(),
        ) else {
            return;
        };
        busy.set(true);
        let navigate = navigate.clone();
        spawn_local(async move {
            match start_quote(&l, &d, me.user.id).await {
                Ok(v) => navigate(&format!("/leads/{}/quotes/{v}", l.id), Default::default()),
                Err(e) => problem.set(Some(e)),
            }
            busy.set(false);
        });
    };
    view! {
        <section class="card quotes" aria-labelledby="quotes-heading">
            <h2 id="quotes-heading" class="card__title">{move || i18n.t(Key::Quotes)}</h2>
            {move || {
                let Some(l) = lead.get() else { return ().into_any() };
                let locale = i18n.locale();
                let today = crate::local::clock::today();
                let mut quotes = l.quotes.clone();
                quotes.sort_by_key(|q| (std::cmp::Reverse(q.created_at), std::cmp::Reverse(q.number)));
                if quotes.is_empty() {
                    return view! { <p class="muted">{locale.t(Key::NoQuotes)}</p> }.into_any();
                }
                view! {
                    <ul class="quote-rows">
                        {quotes.into_iter().map(|q| {
                            let state = q.state(&l.approvals, today);
                            view! {
                                <li class="quote-row">
                                    <A href=format!("/leads/{}/quotes/{}", l.id, q.id) attr:class="quote-row__link">
                                        <span class="quote-row__name">{locale.quote_title(q.number, &q.vehicle.label)}</span>
                                        <span class="figure">{locale.money(q.totals().out_the_door)}</span>
                                        <span class=state_class(&state)>{state_text(locale, &state)}</span>
                                    </A>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
            {move || problem.get().map(|p| view! { <p class="form__error" role="alert">{p}</p> })}
            <button type="button" class="button button--primary" disabled=move || busy.get() on:click=new_quote>
                {move || i18n.t(Key::NewQuote)}
            </button>
        </section>
    }
}

/// A lead's test drives (with "Book a test drive") and visit history.
#[component]
fn LeadFloor(#[prop(into)] lead: Signal<Option<Lead>>) -> impl IntoView {
    let i18n = use_i18n();
    let catalogue = crate::local::dealer::use_dealer_catalogue();
    let floor = crate::local::floor_index::use_floor();
    view! {
        <section class="card drives" aria-labelledby="drives-heading">
            <h2 id="drives-heading" class="card__title">{move || i18n.t(Key::TestDrives)}</h2>
            {move || {
                let Some(l) = lead.get() else { return ().into_any() };
                let locale = i18n.locale();
                let mut drives = l.drives.clone();
                drives.sort_by_key(|d| std::cmp::Reverse(d.start));
                let rows = drives.into_iter().map(|d| {
                    let car = catalogue.dealer.with(|c| c.as_ref().map(|c| c.car_label(d.car)).unwrap_or_default());
                    let clash = !floor.index.with(|i| i.clashes(d.id)).is_empty();
                    view! {
                        <li class="drive-row">
                            <A href=format!("/leads/{}/drives/{}", l.id, d.id) attr:class="drive-row__link">
                                <span class="drive-row__when">{locale.date_time(d.start)}</span>
                                <span class="drive-row__car">{car}</span>
                                <span class="drive-row__status">{locale.drive_status(d.status)}</span>
                                {clash.then(|| view! { <span class="badge badge--warning">{locale.t(Key::Clash)}</span> })}
                            </A>
                        </li>
                    }
                }).collect_view();
                view! {
                    {l.drives.is_empty().then(|| view! { <p class="muted">{locale.t(Key::NoTestDrives)}</p> })}
                    <ul class="drive-rows">{rows}</ul>
                    <A href=format!("/leads/{}/drives/new", l.id) attr:class="button button--primary">{locale.t(Key::BookTestDrive)}</A>
                }.into_any()
            }}
        </section>
        <section class="card visits" aria-labelledby="visits-heading">
            <h2 id="visits-heading" class="card__title">{move || i18n.t(Key::Visits)}</h2>
            {move || {
                let Some(l) = lead.get() else { return ().into_any() };
                let locale = i18n.locale();
                let mut visits = l.visits.clone();
                visits.sort_by_key(|v| std::cmp::Reverse(v.arrived_at));
                if visits.is_empty() {
                    return view! { <p class="muted">{locale.t(Key::NoVisits)}</p> }.into_any();
                }
                let doc = showroom_shared::domain::DocId::lead(l.id);
                view! {
                    <ul class="visit-rows">
                        {visits.into_iter().map(|v| {
                            let left = v.left_at.map(|t| locale.time_of_day(t)).unwrap_or_else(|| locale.here_for((crate::local::clock::now_ms() - v.arrived_at).max(0) / 60_000));
                            view! {
                                <li class="visit-row">
                                    <A href=crate::pages::visit::visit_href(doc, v.id) attr:class="visit-row__link">
                                        <span>{locale.date_time(v.arrived_at)}</span>
                                        <span>{locale.visit_kind(v.kind)}</span>
                                        <span class="muted">{format!("{} · {}", v.party_size, left)}</span>
                                    </A>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
    }
}

/// Call the customer (a `tel:` link the tablet dials) and copy their WeChat
/// id, from the lead as saved.
#[component]
fn ContactActions(lead: Signal<Option<Lead>>) -> impl IntoView {
    let i18n = use_i18n();
    let copied = RwSignal::new(false);
    let mobile = move || lead.with(|l| l.as_ref().and_then(|l| l.customer.mobile.clone()));
    let wechat = move || {
        lead.with(|l| {
            l.as_ref()
                .and_then(|l| l.customer.wechat.clone())
                .filter(|w| !w.trim().is_empty())
        })
    };
    let copy = move |_| {
        let Some(id) = wechat() else { return };
        if let Some(w) = web_sys::window() {
            let promise = w.navigator().clipboard().write_text(&id);
            spawn_local(async move {
                copied.set(wasm_bindgen_futures::JsFuture::from(promise).await.is_ok());
            });
        }
    };
    view! {
        <div class="contact-actions">
            {move || mobile().map(|m| {
                let shown = crate::pages::lead_form::display_phone(m.as_str());
                view! {
                    <a class="button button--secondary" href=format!("tel:{}", m.as_str())>
                        {move || i18n.locale().call_number(&shown)}
                    </a>
                }
            })}
            {move || wechat().map(|_| view! {
                <button type="button" class="button button--secondary" on:click=copy>
                    {move || i18n.t(if copied.get() { Key::WeChatCopied } else { Key::CopyWeChat })}
                </button>
            })}
        </div>
    }
}

/// Other leads with the same mobile number (撞单), as the server recorded
/// them in this lead: whose and since when — never their contents — and,
/// for a manager, the decision (merge the other into this one, keep both,
/// assign both). Deciding needs the network: the server writes it into
/// both leads and sync brings it back. Also what this lead took in from
/// leads merged into it.
#[component]
fn CollisionPanel(open: Memo<Option<OpenLead>>) -> impl IntoView {
    let i18n = use_i18n();
    let auth = use_auth();
    let index = use_lead_index();
    let names = crate::local::people::use_colleague_names();
    let online = crate::local::network::use_online();
    let busy = RwSignal::new(false);
    let problem = RwSignal::new(None::<String>);
    let assign_to = RwSignal::new(String::new());
    let manager = move || {
        auth.session()
            .is_some_and(|s| showroom_shared::rules::may_decide(s.user.role))
    };
    let lead = move || open.with(|o| o.as_ref().map(|o| o.lead.clone()));
    let shown = Memo::new(move |_| {
        lead().is_some_and(|l| !l.collisions.is_empty() || !l.absorbed.is_empty())
    });
    let name_of = move |user: Option<UserId>| -> Option<String> {
        let user = user?;
        let me = auth.session().map(|s| s.user.id);
        Some(if Some(user) == me {
            i18n.t(Key::Me).to_owned()
        } else {
            names.with(|n| crate::local::people::name_of(n, user, i18n.t(Key::Colleague)))
        })
    };
    let decide = move |id: showroom_shared::domain::collision::CollisionId,
                       decision: showroom_shared::api::CollisionDecision| {
        let Some(token) = auth.token() else {
            return;
        };
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        problem.set(None);
        spawn_local(async move {
            let result = crate::api::decide_collision(&token, id, &decision).await;
            let _ = busy.try_set(false);
            if let Err(e) = result {
                let locale = i18n.locale_untracked();
                let why = crate::pages::team::failure_text(locale, &e);
                let _ = problem.try_set(Some(locale.decide_failed(&why)));
            }
        });
    };
    view! {
        <Show when=move || shown.get()>
            <section class="card collisions" aria-labelledby="collisions-heading">
                <h2 id="collisions-heading" class="card__title">{move || i18n.t(Key::CollisionHeading)}</h2>
                <ul class="collisions__list">
                    {move || {
                        let Some(l) = lead() else { return Vec::new() };
                        let locale = i18n.locale();
                        let mut items = Vec::new();
                        for c in l.collisions.clone() {
                            let text = match &c.outcome {
                                None => locale.collision_with(name_of(c.other_owner).as_deref(), c.other_since),
                                Some(o) if o.by == UserId::SERVER => locale.t(Key::CollisionAuto).to_owned(),
                                Some(o) => locale.collision_decided(o.how, &name_of(o.owner).unwrap_or_default(), o.at),
                            };
                            let held = index.with(|i| i.and_then(|i| i.get(c.other)).is_some());
                            let href = format!("/leads/{}", c.other);
                            let decidable = c.is_open() && manager();
                            let id = c.id;
                            let this = l.id;
                            items.push(view! {
                                <li class="collisions__item" class:collisions__item--open=c.is_open()>
                                    <p role=if c.is_open() { "alert" } else { "status" }>{text}</p>
                                    {held.then(|| view! { <A href=href attr:class="button button--secondary">{locale.t(Key::OpenOtherLead)}</A> })}
                                    {decidable.then(|| view! {
                                        <div class="collisions__decide" role="group" aria-label=locale.t(Key::CollisionHeading)>
                                            <button type="button" class="button button--primary"
                                                disabled=move || busy.get() || !online.get()
                                                on:click=move |_| decide(id, showroom_shared::api::CollisionDecision::Merged { survivor: this })>
                                                {locale.t(Key::MergeIntoThis)}
                                            </button>
                                            <button type="button" class="button button--secondary"
                                                disabled=move || busy.get() || !online.get()
                                                on:click=move |_| decide(id, showroom_shared::api::CollisionDecision::KeptBoth)>
                                                {locale.t(Key::KeepBoth)}
                                            </button>
                                            <label for=format!("assign-both-{id}")>{locale.t(Key::AssignBothTo)}</label>
                                            <select id=format!("assign-both-{id}") class="select" on:change=move |ev| assign_to.set(event_target_value(&ev))>
                                                <option value="">{locale.t(Key::HandToChoose)}</option>
                                                {names.get().into_iter().map(|(uid, name)| view! { <option value=uid.to_string()>{name}</option> }).collect_view()}
                                            </select>
                                            <button type="button" class="button button--secondary"
                                                disabled=move || busy.get() || !online.get() || assign_to.with(String::is_empty)
                                                on:click=move |_| {
                                                    if let Ok(owner) = assign_to.get_untracked().parse::<UserId>() {
                                                        decide(id, showroom_shared::api::CollisionDecision::Assigned { owner });
                                                    }
                                                }>
                                                {locale.t(Key::AssignBoth)}
                                            </button>
                                            <Show when=move || !online.get()>
                                                <p class="muted">{move || i18n.t(Key::DecideNeedsNetwork)}</p>
                                            </Show>
                                        </div>
                                    })}
                                </li>
                            }.into_any());
                        }
                        for a in l.absorbed.clone() {
                            let owner = name_of(a.owner).unwrap_or_else(|| locale.t(Key::OwnerPoolShort).to_owned());
                            items.push(view! {
                                <li class="collisions__item"><p>{locale.absorbed_from(&a.name, &owner, a.created_at)}</p></li>
                            }.into_any());
                        }
                        items
                    }}
                </ul>
                {move || problem.get().map(|p| view! { <p class="form__error" role="alert">{p}</p> })}
            </section>
        </Show>
    }
}
