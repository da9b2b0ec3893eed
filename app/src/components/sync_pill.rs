//! The sync pill in the top bar: "Synced", "N waiting", "Syncing…", "Can't reach the server", "Can't read what the server sent — retrying" or "Sync refused: <reason>", with the last sync time (and the last error) as its tooltip.

use leptos::prelude::*;

use crate::components::icon::{Icon, IconName};
use crate::i18n::{Key, use_i18n};
use crate::local::sync::{Phase, SyncStatus, Unreadable};

/// What the pill says, in order of importance.
#[derive(Clone, Debug, PartialEq)]
pub enum PillState {
    /// Online, but the sync connection fails: with the waiting count.
    Unreachable(u32),
    /// Online, and the server sent something this device could not read:
    /// retrying, with the waiting count.
    Unreadable(Unreadable, u32),
    /// The refusal's code, and the kind of the record refused (when known).
    Refused(String, Option<showroom_shared::domain::DocKind>),
    Syncing,
    Waiting(u32),
    Synced,
}

impl PillState {
    pub fn of(status: &SyncStatus, online: bool) -> PillState {
        // Offline, the Connection pill already says why nothing syncs.
        if online && status.unreachable {
            return PillState::Unreachable(status.waiting);
        }
        // Above a refusal: nothing syncs until a connection reads through.
        if online && let Some(why) = status.unreadable {
            return PillState::Unreadable(why, status.waiting);
        }
        if let Some(message) = &status.refused {
            let kind = status.refused_docs.last().map(|r| r.doc.kind);
            return PillState::Refused(message.clone(), kind);
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
            PillState::Unreachable(n) => locale.server_unreachable(n),
            PillState::Unreadable(why, n) => locale.server_unreadable(why, n),
            PillState::Refused(code, None) => locale.sync_refused(&code),
            PillState::Refused(code, Some(kind)) => locale.sync_refused_of(&code, kind),
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
            class:pill--refused=move || matches!(state.get(), PillState::Refused(..))
            // A connection problem being retried: the same look as "Can't reach the server".
            class:pill--unreachable=move || {
                matches!(state.get(), PillState::Unreachable(_) | PillState::Unreadable(..))
            }
            role="status"
            aria-label=move || i18n.t(Key::Sync)
            title=title
        >
            {move || {
                let icon = match state.get() {
                    PillState::Refused(..) | PillState::Unreachable(_) | PillState::Unreadable(..) => {
                        IconName::Warning
                    }
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
        s.refused = Some("too_large".into());
        assert_eq!(
            PillState::of(&s, true),
            PillState::Refused("too_large".into(), None)
        );
        assert_eq!(crate::i18n::Locale::En.waiting(3), "3 waiting");
        assert_eq!(crate::i18n::Locale::ZhCn.waiting(3), "3 项待同步");
        // Refusals are said from their code, in the person's language.
        assert_eq!(
            crate::i18n::Locale::En.sync_refused("forbidden"),
            "Sync refused: only a manager or an admin may make this change"
        );
        assert_eq!(
            crate::i18n::Locale::En.sync_refused("frozen"),
            "Sync refused: a quote shown to the customer cannot change"
        );
        assert_eq!(
            crate::i18n::Locale::ZhCn.sync_refused("not_approved"),
            "同步被拒绝：该优惠需经理按此条款审批"
        );
        assert_eq!(
            crate::i18n::Locale::ZhCn.sync_refused("not_author"),
            "同步被拒绝：其中的记录署了其他用户的名字"
        );
        // Which record, when the device knows it.
        assert_eq!(
            crate::i18n::Locale::En
                .sync_refused_of("forbidden", showroom_shared::domain::DocKind::Dealer),
            "Sync refused for the catalogue and settings: only a manager or an admin may make this change"
        );
        assert_eq!(
            crate::i18n::Locale::ZhCn
                .sync_refused_of("not_author", showroom_shared::domain::DocKind::Lead),
            "一条线索同步被拒绝：其中的记录署了其他用户的名字"
        );
        // A code this version does not know, never the server's own words.
        assert_eq!(
            crate::i18n::Locale::En.sync_refused("The server said X"),
            "Sync refused: the server could not take it"
        );
    }

    #[wasm_bindgen_test]
    fn an_unreachable_server_is_said_while_online_only() {
        use crate::i18n::Locale;
        let mut s = SyncStatus {
            unreachable: true,
            phase: Phase::Syncing,
            ..SyncStatus::default()
        };
        assert_eq!(
            PillState::of(&s, true),
            PillState::Unreachable(0),
            "a retry in flight does not hide it"
        );
        s.waiting = 2;
        s.refused = Some("too_large".into());
        assert_eq!(PillState::of(&s, true), PillState::Unreachable(2));
        assert_eq!(
            PillState::of(&s, false),
            PillState::Refused("too_large".into(), None),
            "offline, the Connection pill says why"
        );
        s.refused = None;
        assert_eq!(PillState::of(&s, false), PillState::Waiting(2));
        s.unreachable = false;
        assert_eq!(PillState::of(&s, true), PillState::Syncing);

        assert_eq!(Locale::En.server_unreachable(0), "Can't reach the server");
        assert_eq!(
            Locale::En.server_unreachable(2),
            "Can't reach the server · 2 waiting"
        );
        assert_eq!(Locale::ZhCn.server_unreachable(0), "无法连接服务器");
        assert_eq!(
            Locale::ZhCn.server_unreachable(2),
            "无法连接服务器 · 2 项待同步"
        );
    }

    #[wasm_bindgen_test]
    fn a_status_from_an_older_tab_reads_as_reachable() {
        let old =
            r#"{"phase":"CaughtUp","waiting":0,"refused":null,"error":null,"last_sync":null}"#;
        let status: SyncStatus = serde_json::from_str(old).expect("an older tab's status");
        assert!(!status.unreachable);
        assert_eq!(status.unreadable, None);
    }

    #[wasm_bindgen_test]
    fn a_message_the_device_cannot_read_is_said_until_a_connection_catches_up() {
        use crate::i18n::Locale;
        use showroom_shared::sync::DecodeError;

        assert_eq!(
            Unreadable::of(&DecodeError::Truncated),
            Unreadable::Malformed
        );
        assert_eq!(
            Unreadable::of(&DecodeError::UnknownKind(0x99)),
            Unreadable::UnknownKind,
            "an unknown kind means a newer server"
        );

        let mut s = SyncStatus {
            unreadable: Some(Unreadable::Malformed),
            refused: Some("too large".into()),
            waiting: 2,
            ..SyncStatus::default()
        };
        assert_eq!(
            PillState::of(&s, true),
            PillState::Unreadable(Unreadable::Malformed, 2),
            "it outranks a refusal: nothing syncs until a connection reads through"
        );
        s.phase = Phase::Syncing;
        assert_eq!(
            PillState::of(&s, true),
            PillState::Unreadable(Unreadable::Malformed, 2),
            "the retry in flight does not hide it"
        );
        assert_eq!(
            PillState::of(&s, false),
            PillState::Refused("too large".into(), None),
            "offline, the Connection pill says why"
        );
        s.unreachable = true;
        assert_eq!(
            PillState::of(&s, true),
            PillState::Unreachable(2),
            "a retry that cannot connect says so"
        );
        s.unreachable = false;
        s.unreadable = None;
        s.refused = None;
        assert_eq!(
            PillState::of(&s, true),
            PillState::Syncing,
            "caught up clears it"
        );

        assert_eq!(
            Locale::En.server_unreadable(Unreadable::Malformed, 0),
            "Can't read what the server sent — retrying"
        );
        assert_eq!(
            Locale::En.server_unreadable(Unreadable::Malformed, 2),
            "Can't read what the server sent — retrying · 2 waiting"
        );
        assert_eq!(
            Locale::ZhCn.server_unreadable(Unreadable::Malformed, 0),
            "无法读取服务器发来的数据，正在重试"
        );
        assert_eq!(
            Locale::En.server_unreadable(Unreadable::UnknownKind, 0),
            "Can't read what the server sent — the app may need reloading"
        );
        assert_eq!(
            Locale::ZhCn.server_unreadable(Unreadable::UnknownKind, 1),
            "无法读取服务器发来的数据，可能需要重新加载应用 · 1 项待同步"
        );
    }
}
