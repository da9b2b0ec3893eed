//! `/team` (managers): the dealer's people, their devices, revoking a device and deactivating a person.

use std::collections::HashMap;

use leptos::prelude::*;
use leptos::task::spawn_local;
use showroom_shared::api::{DeviceInfo, UserSummary};
use showroom_shared::domain::UserId;

use crate::api::{self, ApiFailure};
use crate::components::team_member::{DevicesView, TeamMember};
use crate::i18n::{Key, Locale, use_i18n, use_page_title};
use crate::local::auth::{Auth, use_auth};
use crate::local::network::use_online;

/// What a failed team call means for the person.
pub fn failure_text(locale: Locale, failure: &ApiFailure) -> String {
    match failure {
        ApiFailure::Network => locale.t(Key::Unreachable).to_owned(),
        ApiFailure::Status { status: 403, .. } => locale.t(Key::Forbidden).to_owned(),
        other => locale.request_failed(&other.message()),
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
    let busy = RwSignal::new(false);
    let action_error = RwSignal::new(None::<String>);

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
    let revoke = move |user: UserId, device: DeviceInfo| {
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        action_error.set(None);
        spawn_local(async move {
            match call(auth, async |token| {
                api::revoke_device(&token, user, device.id).await
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
    let deactivate = move |user: UserId| {
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        action_error.set(None);
        spawn_local(async move {
            match call(auth, async |token| api::deactivate_user(&token, user).await).await {
                Ok(()) => {
                    confirming.set(None);
                    // Their devices were all signed out: show that if open.
                    if devices.with_untracked(|m| m.contains_key(&user)) {
                        load_devices(user);
                    }
                    reload.update(|n| *n = n.wrapping_add(1));
                }
                Err(failure) => {
                    action_error.set(Some(failure_text(i18n.locale_untracked(), &failure)))
                }
            }
            busy.set(false);
        });
    };

    let row = move |user: UserSummary| {
        let id = user.id;
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
                busy=busy
                on_toggle_devices=Callback::new(move |()| toggle_devices(id))
                on_revoke=Callback::new(move |device| revoke(id, device))
                on_ask_deactivate=Callback::new(move |()| confirming.set(Some(id)))
                on_confirm_deactivate=Callback::new(move |()| deactivate(id))
                on_cancel_deactivate=Callback::new(move |()| confirming.set(None))
            />
        }
        .into_any()
    };

    view! {
        {move || action_error.get().map(|message| view! { <p class="form__error" role="alert">{message}</p> })}
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
            Some(Ok(list)) => view! {
                <section class="card card--flush" aria-labelledby="team-people-heading">
                    <h2 id="team-people-heading" class="card__title">{move || i18n.t(Key::People)}</h2>
                    <ul class="member-list">{list.into_iter().map(row).collect_view()}</ul>
                </section>
            }
            .into_any(),
        }}
    }
}
