//! Colleagues' names for a manager's screens (whose task, who asked for an
//! approval): read from the server when online, "Colleague" otherwise. A
//! salesperson's device asks for nothing (the people list is a manager's).

use leptos::prelude::*;
use showroom_shared::domain::UserId;

use crate::local::auth::use_auth;

/// The dealer's people as (id, display name); empty until the server answers.
pub fn use_colleague_names() -> RwSignal<Vec<(UserId, String)>> {
    let auth = use_auth();
    let names = RwSignal::new(Vec::<(UserId, String)>::new());
    Effect::new(move |_| {
        let Some(token) = auth.token() else { return };
        if !auth
            .session_untracked()
            .is_some_and(|s| showroom_shared::rules::may_decide(s.user.role))
        {
            return;
        }
        leptos::task::spawn_local(async move {
            if let Ok(list) = crate::api::users(&token).await {
                let _ = names.try_set(
                    list.users
                        .into_iter()
                        .map(|u| (u.id, u.display_name))
                        .collect(),
                );
            }
        });
    });
    names
}

/// A colleague's name, or `fallback` when it is not known (offline).
pub fn name_of(names: &[(UserId, String)], user: UserId, fallback: &str) -> String {
    names
        .iter()
        .find(|(id, _)| *id == user)
        .map_or_else(|| fallback.to_owned(), |(_, n)| n.clone())
}
