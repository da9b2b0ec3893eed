//! The "Sign out" button, which shows when signing out is under way. Signing
//! out wipes the device, so with changes that have not reached the server it
//! first says how many and offers to sync them (online) or to stay signed
//! in (offline); only an explicit second choice deletes them.

use leptos::prelude::*;

use crate::components::icon::{Icon, IconName};
use crate::i18n::{Key, use_i18n};
use crate::local::network::use_online;
use crate::local::sync::use_sync;

#[component]
pub fn SignOutButton(
    #[prop(into)] busy: Signal<bool>,
    #[prop(into)] on_sign_out: Callback<()>,
    /// Extra classes: the top bar uses a quiet variant.
    #[prop(optional, into)]
    class: String,
) -> impl IntoView {
    let i18n = use_i18n();
    let sync = use_sync();
    let online = use_online();
    // Changes saved on this device and not yet acknowledged by the server.
    let waiting = Memo::new(move |_| sync.status.with(|s| s.waiting));
    let refused = Memo::new(move |_| sync.status.with(|s| s.refused.is_some()));
    let asking = RwSignal::new(false);
    // "Sync first": sign out as soon as the outbox is empty.
    let after_sync = RwSignal::new(false);
    Effect::new(move |_| {
        if after_sync.get() && waiting.get() == 0 {
            after_sync.set(false);
            asking.set(false);
            on_sign_out.run(());
        }
    });
    let panel = NodeRef::<leptos::html::Div>::new();
    // The panel takes focus when it opens (it is announced as a dialog).
    Effect::new(move |_| {
        if asking.get()
            && let Some(el) = panel.get()
        {
            let _ = el.focus();
        }
    });
    let opener = NodeRef::<leptos::html::Button>::new();
    let close = move || {
        asking.set(false);
        after_sync.set(false);
        if let Some(b) = opener.get_untracked() {
            let _ = b.focus();
        }
    };
    let click = move |_| {
        if waiting.get_untracked() == 0 {
            on_sign_out.run(());
        } else {
            asking.set(true);
        }
    };
    view! {
        <button
            type="button"
            node_ref=opener
            class=format!("button button--secondary {class}")
            disabled=move || busy.get()
            aria-busy=move || if busy.get() { "true" } else { "false" }
            aria-expanded=move || if asking.get() { "true" } else { "false" }
            on:click=click
        >
            <Icon name=IconName::SignOut />
            <span>{move || i18n.t(if busy.get() { Key::SigningOut } else { Key::SignOut })}</span>
        </button>
        <Show when=move || asking.get()>
            // Mounted on <body>: over the whole app, the navigation included
            // (the top bar is a stacking context of its own).
            <leptos::portal::Portal>
            <div class="dialog-backdrop">
                <div
                    class="card dialog"
                    role="alertdialog"
                    aria-modal="true"
                    aria-labelledby="sign-out-dialog-title"
                    aria-describedby="sign-out-dialog-text"
                    tabindex="-1"
                    node_ref=panel
                    on:keydown=move |ev: leptos::ev::KeyboardEvent| {
                        if ev.key() == "Escape" {
                            close();
                        }
                    }
                >
                    <h2 id="sign-out-dialog-title" class="card__title">{move || i18n.t(Key::SignOut)}</h2>
                    <p id="sign-out-dialog-text">
                        {move || if after_sync.get() {
                            i18n.locale().sign_out_syncing(waiting.get())
                        } else {
                            i18n.locale().sign_out_unsynced(waiting.get())
                        }}
                    </p>
                    {move || (!online.get()).then(|| view! { <p class="notice">{i18n.t(Key::SignOutOffline)}</p> })}
                    {move || refused.get().then(|| view! { <p class="notice notice--danger">{i18n.t(Key::SignOutRefused)}</p> })}
                    <div class="dialog__actions">
                        <button type="button" class="button button--primary" on:click=move |_| close()>
                            {move || i18n.t(Key::SignOutStay)}
                        </button>
                        {move || (online.get() && !after_sync.get()).then(|| view! {
                            <button type="button" class="button button--secondary" on:click=move |_| after_sync.set(true)>
                                {i18n.t(Key::SignOutSyncFirst)}
                            </button>
                        })}
                        <button
                            type="button"
                            class="button button--danger"
                            on:click=move |_| {
                                asking.set(false);
                                after_sync.set(false);
                                on_sign_out.run(());
                            }
                        >
                            {move || i18n.t(Key::SignOutDiscard)}
                        </button>
                    </div>
                </div>
            </div>
            </leptos::portal::Portal>
        </Show>
    }
}
