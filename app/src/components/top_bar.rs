//! The top bar of every signed-in screen: dealer, who is signed in, the connection and sync pills and a sign-out button.

use leptos::prelude::*;

use crate::components::connection_pill::ConnectionPill;
use crate::components::icon::BrandMark;
use crate::components::sign_out_button::SignOutButton;
use crate::components::sync_pill::SyncPill;
use crate::local::sync::SyncStatus;

#[component]
pub fn TopBar(
    #[prop(into)] dealer: Signal<String>,
    /// "Li Wei · sales1"
    #[prop(into)]
    user_line: Signal<String>,
    #[prop(into)] online: Signal<bool>,
    #[prop(into)] sync_status: Signal<SyncStatus>,
    /// Hidden where the page has its own sign-out button (Settings), so a
    /// page never has two controls with the same name.
    #[prop(into)]
    show_sign_out: Signal<bool>,
    #[prop(into)] signing_out: Signal<bool>,
    #[prop(into)] on_sign_out: Callback<()>,
) -> impl IntoView {
    view! {
        <header class="top-bar">
            <div class="top-bar__identity">
                <BrandMark />
                <div class="top-bar__names">
                    <p class="top-bar__dealer">{move || dealer.get()}</p>
                    <p class="top-bar__user">{move || user_line.get()}</p>
                </div>
            </div>
            <div class="top-bar__actions">
                <ConnectionPill online=online />
                <SyncPill status=sync_status online=online />
                <Show when=move || show_sign_out.get()>
                    <SignOutButton busy=signing_out on_sign_out=on_sign_out class="button--quiet top-bar__sign-out" />
                </Show>
            </div>
        </header>
    }
}
