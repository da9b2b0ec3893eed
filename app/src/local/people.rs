//! Colleagues' names: a manager's screens (whose task, who asked for an
//! approval, whose lead) and the showroom floor on every device ("Wang
//! Fang's customer" on a colleague's test drive): read from the server when
//! online, "Colleague" otherwise.

use leptos::prelude::*;
use showroom_shared::domain::UserId;

use crate::local::auth::use_auth;

/// The dealer's people as (id, display name); empty until the server answers.
pub fn use_colleague_names() -> RwSignal<Vec<(UserId, String)>> {
    let auth = use_auth();
    let names = RwSignal::new(Vec::<(UserId, String)>::new());
    Effect::new(move |_| {
        let Some(token) = auth.token() else { return };
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

/// Who a floor row is with: its customer when the device holds the lead,
/// else the colleague's customer ("Wang Fang's customer").
pub fn floor_customer(
    locale: crate::i18n::Locale,
    customer: Option<&str>,
    salesperson: UserId,
    names: &[(UserId, String)],
) -> String {
    match customer {
        Some(name) => name.to_owned(),
        None => locale.colleagues_customer(&name_of(
            names,
            salesperson,
            locale.t(crate::i18n::Key::Colleague),
        )),
    }
}
