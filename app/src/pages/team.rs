//! `/team` (managers): the dealer's people, their devices, revoking a device, adding a person, resetting a password, deactivating a person — handing their leads to a colleague or the pool first, on the device (`leads::hand_over`), so it holds offline too — and reactivating a person.

use std::collections::HashMap;

use leptos::prelude::*;
use leptos::task::spawn_local;
use showroom_shared::api::{DeviceInfo, ErrorCode, NewUserRequest, TemporaryPassword, UserSummary};
use showroom_shared::domain::{LeadId, Role, UserId, Username};

use crate::api::{self, ApiFailure};
use crate::components::team_member::{DevicesView, HandTo, TeamMember};
use crate::components::temporary_password::TemporaryPasswordCard;
use crate::i18n::{Key, Locale, use_i18n, use_page_title};
use crate::local::auth::{Auth, use_auth};
use crate::local::lead_index::use_lead_index;
use crate::local::leads::{self, HandOver};
use crate::local::network::use_online;
use crate::local::sync::use_sync;

/// What a failed team call means for the person.
pub fn failure_text(locale: Locale, failure: &ApiFailure) -> String {
    match failure {
        ApiFailure::Network => locale.t(Key::Unreachable).to_owned(),
        ApiFailure::Status { status: 403, .. } => locale.t(Key::Forbidden).to_owned(),
        other => locale.request_failed(&other.message()),
    }
}

/// What the last deactivation did, said above the list until the next one.
#[derive(Clone, Debug, PartialEq)]
struct Departure {
    user: UserId,
    /// Their name, as the list showed it.
    person: String,
    /// Their leads handed over first (on this device), and to whom.
    handed: Option<(HandOver, HandTo)>,
    result: Departed,
}

#[derive(Clone, Debug, PartialEq)]
enum Departed {
    /// The server deactivated them.
    Yes,
    /// Some of their leads could not be handed over: they were not
    /// deactivated, so no lead stays with a person who has left.
    HandOverIncomplete,
    /// The server did not deactivate them (no network, or it refused).
    Failed(ApiFailure),
}

impl Departure {
    /// Whether it all happened (a status), or something is left to do (an alert).
    fn done(&self) -> bool {
        self.result == Departed::Yes
    }

    /// "12 leads handed to Zhang Min; Li Wei is deactivated.", or what was
    /// done and what was not.
    fn text(&self, locale: Locale) -> String {
        let person = self.person.as_str();
        let handed = self.handed.as_ref().filter(|(done, _)| done.handed > 0);
        match &self.result {
            Departed::Yes => match handed {
                Some((done, HandTo::Person(_, to))) => {
                    locale.handed_and_deactivated(done.handed, to, person)
                }
                Some((done, HandTo::Pool)) => locale.pooled_and_deactivated(done.handed, person),
                None => locale.person_deactivated(person),
            },
            not_yet => {
                let handed = match handed {
                    Some((done, HandTo::Person(_, to))) => locale.handed_to(done.handed, to),
                    Some((done, HandTo::Pool)) => locale.handed_to_pool(done.handed),
                    None => String::new(),
                };
                let why = match not_yet {
                    Departed::HandOverIncomplete => locale.handover_incomplete(
                        self.handed.as_ref().map_or(0, |(done, _)| done.failed),
                        person,
                    ),
                    Departed::Failed(ApiFailure::Network) => {
                        locale.deactivation_needs_network(person)
                    }
                    Departed::Failed(failure) => {
                        locale.not_deactivated(person, &failure_text(locale, failure))
                    }
                    Departed::Yes => String::new(),
                };
                locale.sentences(&[handed, why])
            }
        }
    }
}

/// Why the list is not showing.
#[derive(Clone, Debug, PartialEq)]
enum ListProblem {
    Offline,
    Failed(ApiFailure),
}

#[component]
pub fn TeamPage() -> impl IntoView {
    use_page_title(Key::Team);
    let i18n = use_i18n();
    let auth = use_auth();
    let is_manager = Memo::new(move |_| auth.session().is_some_and(|s| s.user.role.is_manager()));
    view! {
        <section class="page" aria-labelledby="team-heading">
            <h1 id="team-heading" class="page__title">{move || i18n.t(Key::Team)}</h1>
            <Show
                when=move || is_manager.get()
                fallback=move || view! { <p class="card notice">{move || i18n.t(Key::NoAccess)}</p> }
            >
                <TeamList />
            </Show>
        </section>
    }
}

/// Runs an authenticated call; a 401 ends the session (and the page with it).
async fn call<T>(
    auth: Auth,
    request: impl AsyncFnOnce(String) -> Result<T, ApiFailure>,
) -> Result<T, ApiFailure> {
    let token = auth.token().ok_or(ApiFailure::Status {
        status: 401,
        error: None,
        retry_after: None,
    })?;
    let result = request(token).await;
    if let Err(failure) = &result {
        auth.handle_failure(failure).await;
    }
    result
}

#[component]
fn TeamList() -> impl IntoView {
    let i18n = use_i18n();
    let auth = use_auth();
    let online = use_online();
    let me = Memo::new(move |_| auth.session());

    let reload = RwSignal::new(0_u32);
    let users = LocalResource::new(move || {
        reload.track();
        let online = online.get();
        async move {
            if !online {
                return Err(ListProblem::Offline);
            }
            call(auth, async |token| api::users(&token).await)
                .await
                .map(|list| list.users)
                .map_err(ListProblem::Failed)
        }
    });

    let devices = RwSignal::new(HashMap::<UserId, DevicesView>::new());
    let confirming = RwSignal::new(None::<UserId>);
    let confirming_reset = RwSignal::new(None::<UserId>);
    // A temporary password just given (a new person, a reset), shown once.
    let temporary = RwSignal::new(None::<TemporaryPassword>);
    let busy = RwSignal::new(false);
    let action_error = RwSignal::new(None::<String>);
    let departure = RwSignal::new(None::<Departure>);
    // The manager's device holds every lead: whose they are is known here,
    // offline too.
    let index = use_lead_index();
    let sync = use_sync();
    let receiving = Signal::derive(move || sync.status.with(|s| s.receiving));
    // A device that never finished a sync may not hold every lead yet.
    let settling = Signal::derive(move || {
        sync.status.with(|s| {
            s.receiving.is_some()
                || (online.get() && s.last_sync.is_none() && !s.unreachable && s.refused.is_none())
        })
    });
    let leads_of = move |user: UserId| -> Option<Vec<LeadId>> {
        untrack(|| {
            index.with(|i| {
                i.map(|i| {
                    i.all()
                        .filter(|s| s.owner == Some(user))
                        .map(|s| s.id)
                        .collect()
                })
            })
        })
    };

    let load_devices = move |user: UserId| {
        devices.update(|m| {
            m.insert(user, DevicesView::Loading);
        });
        spawn_local(async move {
            let view = match call(auth, async |token| api::user_devices(&token, user).await).await {
                Ok(list) => DevicesView::Loaded(list.devices),
                Err(failure) => {
                    DevicesView::Failed(failure_text(i18n.locale_untracked(), &failure))
                }
            };
            // Closed while loading: stay closed.
            devices.update(|m| {
                if let Some(slot) = m.get_mut(&user) {
                    *slot = view;
                }
            });
        });
    };
    let toggle_devices = move |user: UserId| {
        if devices.with_untracked(|m| m.contains_key(&user)) {
            devices.update(|m| {
                m.remove(&user);
            });
        } else {
            load_devices(user);
        }
    };
    let revoke = move |user: UserId, device: DeviceInfo, lost: bool| {
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        action_error.set(None);
        departure.set(None);
        spawn_local(async move {
            match call(auth, async |token| {
                api::revoke_device(&token, user, device.id, lost).await
            })
            .await
            {
                Ok(()) => load_devices(user),
                Err(failure) => {
                    action_error.set(Some(failure_text(i18n.locale_untracked(), &failure)))
                }
            }
            busy.set(false);
        });
    };
    // Their leads first, on this device (queued for the server like any
    // edit, so it holds offline), then the server's deactivation.
    let deactivate = move |user: UserId, person: String, hand: Option<HandTo>| {
        if busy.get_untracked() {
            return;
        }
        let Some(me) = auth.session_untracked().map(|s| s.user.id) else {
            return;
        };
        busy.set(true);
        action_error.set(None);
        // Leads handed over by an earlier try whose deactivation did not
        // reach the server: still part of what this one says.
        let earlier = departure
            .get_untracked()
            .filter(|d| d.user == user)
            .and_then(|d| d.handed);
        departure.set(None);
        spawn_local(async move {
            let mut handed = earlier;
            if let Some(to) = hand {
                let owned = leads_of(user).unwrap_or_default();
                if !owned.is_empty() {
                    let done =
                        leads::hand_over(&owned, to.owner(), me, js_sys::Date::now() as i64).await;
                    handed = Some((done, to));
                    if done.failed > 0 {
                        // The question stays, with the leads still theirs.
                        departure.try_set(Some(Departure {
                            user,
                            person,
                            handed,
                            result: Departed::HandOverIncomplete,
                        }));
                        busy.try_set(false);
                        return;
                    }
                }
            }
            let result =
                match call(auth, async |token| api::deactivate_user(&token, user).await).await {
                    Ok(()) => {
                        confirming.try_set(None);
                        // Their devices were all signed out: show that if open.
                        if devices.with_untracked(|m| m.contains_key(&user)) {
                            load_devices(user);
                        }
                        reload.try_update(|n| *n = n.wrapping_add(1));
                        Departed::Yes
                    }
                    // The question stays (their leads are handed over now, so
                    // it asks only to deactivate) for a try once online.
                    Err(failure) => Departed::Failed(failure),
                };
            departure.try_set(Some(Departure {
                user,
                person,
                handed,
                result,
            }));
            busy.try_set(false);
        });
    };

    let reset = move |user: UserId| {
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        action_error.set(None);
        departure.set(None);
        spawn_local(async move {
            match call(auth, async |token| api::reset_password(&token, user).await).await {
                Ok(given) => {
                    confirming_reset.set(None);
                    temporary.set(Some(given));
                    // Their devices were all signed out: show that if open.
                    if devices.with_untracked(|m| m.contains_key(&user)) {
                        load_devices(user);
                    }
                }
                Err(failure) => {
                    action_error.set(Some(failure_text(i18n.locale_untracked(), &failure)))
                }
            }
            busy.set(false);
        });
    };
    let reactivate = move |user: UserId| {
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        action_error.set(None);
        departure.set(None);
        spawn_local(async move {
            match call(auth, async |token| api::activate_user(&token, user).await).await {
                Ok(()) => reload.update(|n| *n = n.wrapping_add(1)),
                Err(failure) => {
                    action_error.set(Some(failure_text(i18n.locale_untracked(), &failure)))
                }
            }
            busy.set(false);
        });
    };
    let added = Callback::new(move |given: TemporaryPassword| {
        temporary.set(Some(given));
        reload.update(|n| *n = n.wrapping_add(1));
    });

    let row = move |user: UserSummary, hand_to_choices: Vec<(UserId, String)>| {
        let id = user.id;
        let person = user.display_name.clone();
        let Some(me) = me.get_untracked() else {
            return ().into_any();
        };
        view! {
            <TeamMember
                is_self=user.id == me.user.id
                can_manage=me.user.role.can_manage(user.role)
                current_device=me.device.id
                user=user
                devices=Signal::derive(move || devices.with(|m| m.get(&id).cloned()))
                confirming=Signal::derive(move || confirming.get() == Some(id))
                owned=Signal::derive(move || {
                    index.with(|i| i.map(|i| i.all().filter(|s| s.owner == Some(id)).count()))
                })
                settling=settling
                receiving=receiving
                hand_to_choices=hand_to_choices
                not_done=Signal::derive(move || {
                    departure.with(|d| {
                        d.as_ref()
                            .filter(|d| d.user == id && !d.done())
                            .map(|d| d.text(i18n.locale()))
                    })
                })
                busy=busy
                on_toggle_devices=Callback::new(move |()| toggle_devices(id))
                on_revoke=Callback::new(move |(device, lost)| revoke(id, device, lost))
                on_ask_deactivate=Callback::new(move |()| {
                    confirming_reset.set(None);
                    departure.set(None);
                    confirming.set(Some(id));
                })
                on_confirm_deactivate=Callback::new(move |hand: Option<HandTo>| {
                    deactivate(id, person.clone(), hand)
                })
                on_cancel_deactivate=Callback::new(move |()| confirming.set(None))
                confirming_reset=Signal::derive(move || confirming_reset.get() == Some(id))
                on_ask_reset=Callback::new(move |()| {
                    confirming.set(None);
                    confirming_reset.set(Some(id));
                })
                on_confirm_reset=Callback::new(move |()| reset(id))
                on_cancel_reset=Callback::new(move |()| confirming_reset.set(None))
                on_reactivate=Callback::new(move |()| reactivate(id))
            />
        }
        .into_any()
    };

    let viewer_role = Signal::derive(move || me.with(|s| s.as_ref().map(|s| s.user.role)));
    view! {
        {move || temporary.get().map(|given| view! {
            <TemporaryPasswordCard
                name=given.user.display_name
                password=given.temporary_password
                on_done=Callback::new(move |()| temporary.set(None))
            />
        })}
        {move || action_error.get().map(|message| view! { <p class="form__error" role="alert">{message}</p> })}
        // What a deactivation did; what it left undone is said in its
        // question while that is open, here once it is not (or offline,
        // when the list is not shown).
        {move || {
            let asking = confirming.get();
            let list_shown = matches!(users.get(), Some(Ok(_)));
            departure
                .get()
                .filter(|d| d.done() || !list_shown || asking != Some(d.user))
                .map(|d| {
                    let done = d.done();
                    let text = move || d.text(i18n.locale());
                    if done {
                        view! { <p class="notice notice--ok departure" role="status">{text}</p> }.into_any()
                    } else {
                        view! { <p class="notice departure" role="alert">{text}</p> }.into_any()
                    }
                })
        }}
        {move || match users.get() {
            None => view! { <p class="card muted" role="status">{move || i18n.t(Key::Loading)}</p> }.into_any(),
            Some(Err(ListProblem::Offline)) => {
                view! { <p class="card notice" role="status">{move || i18n.t(Key::TeamOffline)}</p> }.into_any()
            }
            Some(Err(ListProblem::Failed(failure))) => view! {
                <div class="card">
                    <p class="form__error" role="alert">{move || failure_text(i18n.locale(), &failure)}</p>
                    <button type="button" class="button button--secondary" on:click=move |_| reload.update(|n| *n = n.wrapping_add(1))>
                        {move || i18n.t(Key::TryAgain)}
                    </button>
                </div>
            }
            .into_any(),
            Some(Ok(list)) if list.is_empty() => view! { <p class="card muted">{move || i18n.t(Key::NoPeople)}</p> }.into_any(),
            Some(Ok(list)) => {
                // Who may take a departing person's leads over: the active people.
                let choices: Vec<(UserId, String)> = list
                    .iter()
                    .filter(|u| u.active)
                    .map(|u| (u.id, u.display_name.clone()))
                    .collect();
                view! {
                    <section class="card card--flush" aria-labelledby="team-people-heading">
                        <h2 id="team-people-heading" class="card__title">{move || i18n.t(Key::People)}</h2>
                        <ul class="member-list">
                            {list.into_iter().map(|u| row(u, choices.clone())).collect_view()}
                        </ul>
                    </section>
                }
                .into_any()
            }
        }}
        {move || online.get().then(|| view! { <AddPerson viewer_role=viewer_role on_added=added /> })}
    }
}

/// A role as the "Role" choice names it (shorter than the list's labels).
fn role_choice(role: Role) -> Key {
    match role {
        Role::Salesperson => Key::RoleSalesperson,
        Role::Manager => Key::RoleChoiceManager,
        Role::Admin => Key::RoleChoiceAdmin,
    }
}

/// Why an added person's fields cannot be sent, beside each field.
#[derive(Clone, Debug, Default, PartialEq)]
struct AddProblems {
    name: Option<String>,
    username: Option<String>,
}

impl AddProblems {
    fn of(locale: Locale, name: &str, username: &str) -> Self {
        AddProblems {
            name: crate::pages::setup::name_problem(
                locale,
                name,
                crate::pages::setup::PERSON_NAME_CHARS,
            ),
            username: username
                .parse::<Username>()
                .err()
                .map(|e| locale.username_error(&e)),
        }
    }

    fn any(&self) -> bool {
        self.name.is_some() || self.username.is_some()
    }
}

/// "Add a person": their name, username and role. The server chooses a
/// temporary password, which `on_added` receives to show once.
#[component]
fn AddPerson(
    #[prop(into)] viewer_role: Signal<Option<Role>>,
    on_added: Callback<TemporaryPassword>,
) -> impl IntoView {
    let i18n = use_i18n();
    let auth = use_auth();
    let name = RwSignal::new(String::new());
    let username = RwSignal::new(String::new());
    let role = RwSignal::new(Role::Salesperson);
    let pending = RwSignal::new(false);
    let checked = RwSignal::new(false);
    // What the server said about the last attempt.
    let refused = RwSignal::new(None::<String>);
    // Once a submit found problems, the fields say what is wrong as they are
    // corrected.
    let problems = Memo::new(move |_| {
        if !checked.get() {
            return AddProblems::default();
        }
        AddProblems::of(i18n.locale(), &name.read(), &username.read())
    });
    // A manager adds salespeople and managers; only an admin adds an admin.
    let roles = move || {
        let viewer = viewer_role.get();
        [Role::Salesperson, Role::Manager, Role::Admin]
            .into_iter()
            .filter(move |r| viewer.is_some_and(|v| v.can_manage(*r)))
    };

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if pending.get_untracked() {
            return;
        }
        let locale = i18n.locale_untracked();
        let (display_name, login) = (name.get_untracked(), username.get_untracked());
        checked.set(true);
        refused.set(None);
        if AddProblems::of(locale, &display_name, &login).any() {
            // The fields say why, beside them.
            refused.set(Some(locale.t(Key::CheckFields).to_owned()));
            return;
        }
        let request = NewUserRequest {
            username: login.trim().to_owned(),
            display_name: display_name.trim().to_owned(),
            role: role.get_untracked(),
        };
        pending.set(true);
        spawn_local(async move {
            match call(auth, async |token| api::create_user(&token, &request).await).await {
                Ok(given) => {
                    checked.set(false);
                    name.set(String::new());
                    username.set(String::new());
                    role.set(Role::Salesperson);
                    on_added.run(given);
                }
                Err(failure) => {
                    let locale = i18n.locale_untracked();
                    let text = if failure.code() == Some(ErrorCode::Conflict) {
                        locale.username_taken(&request.username)
                    } else if let ApiFailure::Status {
                        status: 400, error, ..
                    } = &failure
                    {
                        locale.check_fields(error.as_ref().map_or("", |e| e.message.as_str()))
                    } else {
                        failure_text(locale, &failure)
                    };
                    refused.set(Some(text));
                }
            }
            pending.set(false);
        });
    };

    view! {
        <section class="card" aria-labelledby="add-person-heading">
            <h2 id="add-person-heading" class="card__title">{move || i18n.t(Key::AddPerson)}</h2>
            <form class="form" on:submit=submit novalidate>
                <div class="field-row field-row--three">
                    <div class="field">
                        <label for="add-person-name">{move || i18n.t(Key::PersonName)}</label>
                        <input
                            id="add-person-name"
                            type="text"
                            autocomplete="off"
                            aria-describedby="add-person-name-error"
                            aria-invalid=move || problems.with(|p| p.name.is_some()).to_string()
                            bind:value=name
                        />
                        <p id="add-person-name-error" class="field__error">{move || problems.with(|p| p.name.clone())}</p>
                    </div>
                    <div class="field">
                        <label for="add-person-username">{move || i18n.t(Key::Username)}</label>
                        <input
                            id="add-person-username"
                            type="text"
                            autocomplete="off"
                            autocapitalize="none"
                            spellcheck="false"
                            aria-describedby="add-person-username-error"
                            aria-invalid=move || problems.with(|p| p.username.is_some()).to_string()
                            bind:value=username
                        />
                        <p id="add-person-username-error" class="field__error">{move || problems.with(|p| p.username.clone())}</p>
                    </div>
                    <div class="field">
                        <label for="add-person-role">{move || i18n.t(Key::Role)}</label>
                        <select
                            id="add-person-role"
                            class="select"
                            on:change=move |ev| {
                                if let Ok(r) = event_target_value(&ev).parse::<Role>() {
                                    role.set(r);
                                }
                            }
                        >
                            {move || roles()
                                .map(|r| view! {
                                    <option value=r.as_str() selected=move || role.get() == r>
                                        {move || i18n.t(role_choice(r))}
                                    </option>
                                })
                                .collect_view()}
                        </select>
                    </div>
                </div>
                {move || refused.get().map(|text| view! { <p class="form__error" role="alert">{text}</p> })}
                <button
                    type="submit"
                    class="button button--primary"
                    disabled=move || pending.get()
                    aria-busy=move || pending.get().to_string()
                >
                    {move || i18n.t(if pending.get() { Key::AddingPerson } else { Key::AddPersonButton })}
                </button>
            </form>
        </section>
    }
}
