//! The sync pill in the top bar: "Synced", "N waiting", "Syncing…" or "Sync refused: <reason>", with the last sync time as its tooltip.

use leptos::prelude::*;

use crate::components::icon::{Icon, IconName};
use crate::i18n::{Key, use_i18n};
use crate::local::sync::{Phase, SyncStatus};

/// What the pill says, in order of importance.
#[derive(Clone, Debug, PartialEq)]
pub enum PillState {
    Refused(String),
    Syncing,
    Waiting(u32),
    Synced,
}

impl PillState {
    pub fn of(status: &SyncStatus, online: bool) -> PillState {
        if let Some(message) = &status.refused {
            return PillState::Refused(message.clone());
        }
        if online && status.phase == Phase::Syncing {
            return PillState::Syncing;
        }
        if status.waiting > 0 {
            return PillState::Waiting(status.waiting);
        }
        PillState::Synced
    }
}

#[component]
pub fn SyncPill(
    #[prop(into)] status: Signal<SyncStatus>,
    #[prop(into)] online: Signal<bool>,
) -> impl IntoView {
    let i18n = use_i18n();
    let state = Memo::new(move |_| status.with(|s| PillState::of(s, online.get())));
    let text = move || {
        let locale = i18n.locale();
        match state.get() {
            PillState::Refused(message) => locale.sync_refused(&message),
            PillState::Syncing => locale.t(Key::Syncing).to_owned(),
            PillState::Waiting(n) => locale.waiting(n),
            PillState::Synced => locale.t(Key::Synced).to_owned(),
        }
    };
    let title = move || {
        let locale = i18n.locale();
        status.with(|s| {
            let mut title = locale.last_synced(s.last_sync);
            if let Some(error) = &s.error {
                title.push_str(" · ");
                title.push_str(error);
            }
            title
        })
    };
    view! {
        <div
            class="pill sync-pill"
            class:pill--online=move || state.get() == PillState::Synced
            class:pill--waiting=move || matches!(state.get(), PillState::Waiting(_) | PillState::Syncing)
            class:pill--refused=move || matches!(state.get(), PillState::Refused(_))
            role="status"
            aria-label=move || i18n.t(Key::Sync)
            title=title
        >
            {move || {
                let icon = match state.get() {
                    PillState::Refused(_) => IconName::Warning,
                    PillState::Waiting(_) => IconName::Waiting,
                    PillState::Syncing | PillState::Synced => IconName::Sync,
                };
                view! { <Icon name=icon /> }
            }}
            <span class="pill__text">{text}</span>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test]
    fn the_pill_says_the_most_important_thing() {
        let mut s = SyncStatus::default();
        assert_eq!(PillState::of(&s, true), PillState::Synced);
        s.waiting = 3;
        assert_eq!(
            PillState::of(&s, false),
            PillState::Waiting(3),
            "offline shows the waiting count"
        );
        s.phase = Phase::Syncing;
        assert_eq!(PillState::of(&s, true), PillState::Syncing);
        assert_eq!(PillState::of(&s, false), PillState::Waiting(3));
        s.refused = Some("too large".into());
        assert_eq!(
            PillState::of(&s, true),
            PillState::Refused("too large".into())
        );
        assert_eq!(crate::i18n::Locale::En.waiting(3), "3 waiting");
        assert_eq!(crate::i18n::Locale::ZhCn.waiting(3), "3 项待同步");
        assert_eq!(crate::i18n::Locale::En.sync_refused("x"), "Sync refused: x");
        assert_eq!(crate::i18n::Locale::ZhCn.sync_refused("x"), "同步被拒绝：x");
    }
}
