//! `/leads/new`: quick capture — name, mobile, grade and model are enough to save; WeChat, city and source wait under "More details".

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_query_map};
use showroom_shared::domain::{Customer, Grade, Lead, Source, Stage};

use crate::i18n::{Key, use_i18n};
use crate::local::auth::use_auth;
use crate::local::{leads, register, store};
use crate::pages::lead_form::{
    ChoiceChips, FormProblems, LeadForm, MODEL_SUGGESTIONS, dealer_today, grade_hint, grade_text,
    problem_text, source_text,
};
use crate::pages::leads::use_saved_flash;

/// The grades offered at capture (O and F come later in a lead's life).
const CAPTURE_GRADES: [Grade; 5] = [Grade::H, Grade::A, Grade::B, Grade::C, Grade::N];

#[component]
pub fn NewLeadPage() -> impl IntoView {
    let i18n = use_i18n();
    let catalogue = crate::local::dealer::use_dealer_catalogue();
    let auth = use_auth();
    let flash = use_saved_flash();
    let navigate = use_navigate();
    // Captured from a walk-in (`?visit=<doc>/<visit>`): the visit is linked
    // to the new lead once it is saved.
    let query = use_query_map();
    let from_visit = Memo::new(move |_| {
        query.with(|q| {
            let text = q.get("visit")?;
            let (doc, visit) = text.rsplit_once('/')?;
            Some((
                doc.parse::<showroom_shared::domain::DocId>().ok()?,
                visit
                    .parse::<showroom_shared::domain::showroom::VisitId>()
                    .ok()?,
            ))
        })
    });

    let name = RwSignal::new(String::new());
    let mobile = RwSignal::new(String::new());
    let index = crate::local::lead_index::use_lead_index();
    let already = Memo::new(move |_| {
        let typed = mobile.get();
        let phone = typed.parse::<showroom_shared::domain::Phone>().ok()?;
        index.with(|i| {
            i?.with_mobile(phone.as_str(), None)
                .first()
                .map(|s| (s.id, s.name.clone()))
        })
    });
    let grade = RwSignal::new(Grade::N);
    let model = RwSignal::new(String::new());
    let wechat = RwSignal::new(String::new());
    let city = RwSignal::new(String::new());
    let source = RwSignal::new(Source::WalkIn);
    // Consent asked at capture, per purpose: off unless given.
    let consent_boxes: Vec<(showroom_shared::domain::followup::Purpose, RwSignal<bool>)> =
        showroom_shared::domain::followup::Purpose::ALL
            .iter()
            .map(|p| (*p, RwSignal::new(false)))
            .collect();
    let consent_given = consent_boxes.clone();
    let problems = RwSignal::new(FormProblems::default());
    let failure = RwSignal::new(None::<String>);
    let saving = RwSignal::new(false);

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if saving.get_untracked() {
            return;
        }
        let Some(session) = auth.session_untracked() else {
            return;
        };
        let me = session.user.id;
        let now = js_sys::Date::now() as i64;
        let g = grade.get_untracked();
        let model = model.get_untracked();
        let base = Lead {
            id: store::new_lead_id(),
            dealer: session.dealer.id,
            customer: Customer::default(),
            source: Source::WalkIn,
            models: vec![],
            grade: g,
            stage: Stage::New,
            owner: Some(me),
            next_follow_up: None,
            notes: vec![],
            created_by: me,
            created_at: now,
            updated_by: me,
            updated_at: now,
            ..Lead::new(store::new_lead_id(), session.dealer.id, me, now)
        };
        let form = LeadForm {
            name: name.get_untracked(),
            mobile: mobile.get_untracked(),
            wechat: wechat.get_untracked(),
            city: city.get_untracked(),
            source: source.get_untracked(),
            models: match model.trim() {
                "" => vec![],
                m => vec![m.to_owned()],
            },
            grade: g,
            stage: if from_visit.get_untracked().is_some() {
                Stage::Visited
            } else {
                Stage::New
            },
            next_follow_up: g
                .default_follow_up_days()
                .map(|d| dealer_today().add_days(d).to_string())
                .unwrap_or_default(),
        };
        let mut lead = match form.to_lead(&base) {
            Ok(lead) => lead,
            Err(p) => {
                problems.set(p);
                return;
            }
        };
        // The first contact is due within the dealer's target (24 h; a lead
        // the manufacturer pushed, 12 h).
        let rules = catalogue
            .dealer
            .with_untracked(|d| d.as_ref().map(|d| d.settings.follow_up.clone()))
            .unwrap_or_default();
        let hours = if lead.source == Source::Manufacturer {
            rules.first_contact_hours_oem
        } else {
            rules.first_contact_hours
        };
        let version = rules.consent_wording_version;
        for (purpose, given) in &consent_given {
            if given.get_untracked() {
                let c = showroom_shared::domain::followup::record_consent(
                    &lead.consents,
                    showroom_shared::domain::followup::ConsentId::from_uuid(store::new_uuid()),
                    *purpose,
                    true,
                    showroom_shared::domain::followup::ConsentMethod::Verbal,
                    version,
                    me,
                    now,
                );
                lead.consents.push(c);
            }
        }
        lead.tasks = vec![crate::pages::follow_up::new_task(
            &lead,
            showroom_shared::domain::followup::TaskKind::Call,
            now + i64::from(hours) * 3_600_000,
            i18n.t(Key::FirstContact).to_owned(),
            me,
        )];
        problems.set(FormProblems::default());
        failure.set(None);
        saving.set(true);
        let navigate = navigate.clone();
        let visit = from_visit.get_untracked();
        spawn_local(async move {
            match leads::create(&lead).await {
                Ok(()) => {
                    if let Some((doc, id)) = visit {
                        let linked = match register::load(doc, id).await {
                            Ok(Some(v)) => register::link(doc, &v, lead.id, me).await,
                            Ok(None) => Ok(()),
                            Err(e) => Err(e),
                        };
                        if let Err(e) = linked {
                            web_sys::console::warn_1(
                                &format!("Could not link the visit: {e}").into(),
                            );
                        }
                    }
                    flash.0.set(Some(lead.id));
                    navigate(&format!("/leads/{}", lead.id), Default::default());
                }
                Err(e) => {
                    let locale = i18n.locale_untracked();
                    failure.set(Some(if e.is_quota() {
                        locale.t(Key::StorageFull).to_owned()
                    } else {
                        locale.store_failed(&e)
                    }));
                }
            }
            saving.set(false);
        });
    };

    view! {
        <section class="page record" aria-labelledby="new-lead-heading">
            <A href="/leads" attr:class="back-link">{move || i18n.t(Key::BackToLeads)}</A>
            <h1 id="new-lead-heading" class="page__title">{move || i18n.t(Key::NewLead)}</h1>
            <form class="form card" on:submit=submit novalidate>
                <div class="field">
                    <label for="lead-name">{move || i18n.t(Key::CustomerName)}</label>
                    <input
                        id="lead-name"
                        type="text"
                        autocomplete="off"
                        aria-invalid=move || problems.with(|p| p.name.is_some()).to_string()
                        aria-describedby="lead-name-error"
                        bind:value=name
                        // A corrected field loses its stale error at once.
                        on:input=move |_| problems.update(|p| p.name = None)
                    />
                    <p id="lead-name-error" class="field__error">
                        {move || problems.with(|p| p.name.as_ref().map(|e| i18n.locale().lead_error(e)))}
                    </p>
                </div>
                <div class="field">
                    <label for="lead-mobile">{move || i18n.t(Key::Mobile)}</label>
                    <input
                        id="lead-mobile"
                        type="tel"
                        inputmode="tel"
                        autocomplete="tel"
                        aria-invalid=move || problems.with(|p| p.mobile.is_some()).to_string()
                        aria-describedby="lead-mobile-error"
                        bind:value=mobile
                        on:input=move |_| problems.update(|p| p.mobile = None)
                    />
                    <p id="lead-mobile-error" class="field__error">
                        {move || problems.with(|p| p.mobile.as_ref().map(|e| i18n.locale().phone_error(e)))}
                    </p>
                    // At once, before saving: a lead this device holds
                    // with the same number (the server finds the others).
                    {move || already.get().map(|(id, name)| view! {
                        <p class="notice lead-new__already" role="status">
                            {i18n.locale().already_a_lead(&name)}" "
                            <A href=format!("/leads/{id}")>{move || i18n.t(Key::OpenOtherLead)}</A>
                        </p>
                    })}
                </div>
                <ChoiceChips
                    label=Signal::derive(move || i18n.t(Key::IntentGrade).to_owned())
                    options=CAPTURE_GRADES.to_vec()
                    text=grade_text
                    hint=grade_hint
                    big=true
                    pressed=Callback::new(move |g: Grade| grade.get() == g)
                    on_toggle=Callback::new(move |g: Grade| grade.set(g))
                />
                <div class="field">
                    <label for="lead-model">{move || i18n.t(Key::Model)}</label>
                    <input id="lead-model" type="text" list="model-suggestions" autocomplete="off" bind:value=model />
                    <datalist id="model-suggestions">
                        {MODEL_SUGGESTIONS.iter().map(|m| view! { <option value=*m></option> }).collect_view()}
                    </datalist>
                </div>
                <fieldset class="checks">
                    <legend>{move || i18n.t(Key::Consent)}</legend>
                    {consent_boxes.into_iter().map(|(purpose, given)| {
                        // The wording describes the box; its name stays the purpose.
                        let described = format!("consent-wording-{}", purpose.as_str());
                        view! {
                            <div class="consent-choice">
                                <label class="check">
                                    <input type="checkbox" aria-describedby=described.clone() prop:checked=move || given.get() on:change=move |ev| given.set(event_target_checked(&ev)) />
                                    {move || crate::pages::follow_up::purpose_text(i18n.locale(), purpose)}
                                </label>
                                <p id=described class="field__hint">{move || catalogue.dealer.with(|d| d.as_ref().and_then(|d| d.settings.follow_up.wording(purpose, i18n.locale() == crate::i18n::Locale::ZhCn).map(str::to_owned)))}</p>
                            </div>
                        }
                    }).collect_view()}
                </fieldset>
                <details class="more-details">
                    <summary>{move || i18n.t(Key::MoreDetails)}</summary>
                    <div class="form more-details__body">
                        <div class="field">
                            <label for="lead-wechat">{move || i18n.t(Key::WeChat)}</label>
                            <input id="lead-wechat" type="text" autocomplete="off" autocapitalize="none" bind:value=wechat />
                        </div>
                        <div class="field">
                            <label for="lead-city">{move || i18n.t(Key::City)}</label>
                            <input id="lead-city" type="text" autocomplete="address-level2" bind:value=city />
                        </div>
                        <ChoiceChips
                            label=Signal::derive(move || i18n.t(Key::Source).to_owned())
                            options=Source::ALL.to_vec()
                            text=source_text
                            pressed=Callback::new(move |s: Source| source.get() == s)
                            on_toggle=Callback::new(move |s: Source| source.set(s))
                        />
                    </div>
                </details>
                {move || {
                    let mut messages = problem_text(i18n.locale(), &problems.get());
                    messages.extend(failure.get());
                    (!messages.is_empty()).then(|| view! {
                        <p class="form__error" role="alert">{messages.join(" ")}</p>
                    })
                }}
                <button type="submit" class="button button--primary button--block" disabled=move || saving.get()>
                    {move || i18n.t(if saving.get() { Key::Saving } else { Key::Save })}
                </button>
            </form>
        </section>
    }
}
