//! Colleagues' names: a manager's screens (whose task, who asked for an
//! approval, whose lead) and the showroom floor on every device ("Wang
//! Fang's customer" on a colleague's test drive): read from the server when
//! online, "Colleague" otherwise.

use leptos::prelude::*;
use showroom_shared::api::UserSummary;
use showroom_shared::domain::{Role, UserId};

use crate::local::auth::use_auth;

/// One of the dealer's people, as a manager's screens offer them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Colleague {
    pub id: UserId,
    pub name: String,
    pub role: Role,
    /// A deactivated person keeps their leads until a manager hands them on.
    pub active: bool,
}

/// The dealer's people as (id, display name); empty until the server answers.
pub fn use_colleague_names() -> RwSignal<Vec<(UserId, String)>> {
    let names = RwSignal::new(Vec::<(UserId, String)>::new());
    when_people_are_read(move |users| {
        let _ = names.try_set(users.into_iter().map(|u| (u.id, u.display_name)).collect());
    });
    names
}

/// The dealer's people with their role and whether they are active; empty
/// until the server answers.
pub fn use_colleagues() -> RwSignal<Vec<Colleague>> {
    let people = RwSignal::new(Vec::<Colleague>::new());
    when_people_are_read(move |users| {
        let _ = people.try_set(
            users
                .into_iter()
                .map(|u| Colleague {
                    id: u.id,
                    name: u.display_name,
                    role: u.role,
                    active: u.active,
                })
                .collect(),
        );
    });
    people
}

/// Where the device keeps the dealer's people as last read (staff, not
/// customers): a page opened offline still names colleagues.
const PEOPLE: &str = "people";

/// Hands `then` the dealer's people as this device last read them, then
/// asks the server (once signed in, and again when the network comes
/// back) and hands it the answer, which is kept for next time.
fn when_people_are_read(then: impl Fn(Vec<UserSummary>) + Copy + 'static) {
    let auth = use_auth();
    let online = crate::local::network::use_online();
    leptos::task::spawn_local(async move {
        let kept = crate::local::store::meta(PEOPLE)
            .await
            .ok()
            .flatten()
            .and_then(|v| v.as_string())
            .and_then(|t| serde_json::from_str::<Vec<UserSummary>>(&t).ok());
        if let Some(kept) = kept {
            then(kept);
        }
    });
    Effect::new(move |_| {
        if !online.get() {
            return;
        }
        let Some(token) = auth.token() else { return };
        leptos::task::spawn_local(async move {
            if let Ok(list) = crate::api::users(&token).await {
                if let Ok(json) = serde_json::to_string(&list.users) {
                    let value = wasm_bindgen::JsValue::from_str(&json);
                    let _ = crate::local::store::set_meta(PEOPLE, Some(value)).await;
                }
                then(list.users);
            }
        });
    });
}

/// A colleague's name, or `fallback` when it is not known (offline).
pub fn name_of(names: &[(UserId, String)], user: UserId, fallback: &str) -> String {
    names
        .iter()
        .find(|(id, _)| *id == user)
        .map_or_else(|| fallback.to_owned(), |(_, n)| n.clone())
}
