//! Who is signed in on this device: the session signal built on the session store, and the flows that change it.
//!
//! The device is trusted first: a stored session signs the app in at once,
//! even offline. The server is asked afterwards (`GET /me`); only its clear
//! "no" (401) ends the session, which also wipes the device.

use leptos::prelude::*;
use showroom_shared::api::{LoginResponse, SessionInfo};

use crate::api::{self, ApiFailure};
use crate::local::preferences;
use crate::local::session::{self, StoredSession};

/// Where the app is with signing in.
#[derive(Clone, Debug, PartialEq)]
pub enum AuthState {
    /// Reading the stored session at start-up.
    Starting,
    SignedOut,
    SignedIn(StoredSession),
}

/// Something the sign-in page should tell the person on arrival.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Notice {
    /// The server no longer accepts this device's session.
    SessionEnded,
    /// A manager ended the session; what the device had not synced was
    /// delivered first, then it was cleared.
    SessionEndedDelivered,
    /// The server has no record of the session (restored from a backup):
    /// the device kept what it holds for the same person's next sign-in.
    SessionUnknown,
}

/// The session signal and its flows, shared through context.
#[derive(Clone, Copy)]
pub struct Auth {
    state: RwSignal<AuthState>,
    notice: RwSignal<Option<Notice>>,
    signing_out: RwSignal<bool>,
    /// The session ended and the device is delivering what it wrote
    /// before it is cleared (`ServerMsg::Ended`).
    ending: RwSignal<bool>,
}

impl Default for Auth {
    fn default() -> Self {
        Self::new()
    }
}

impl Auth {
    pub fn new() -> Self {
        Self {
            state: RwSignal::new(AuthState::Starting),
            notice: RwSignal::new(None),
            signing_out: RwSignal::new(false),
            ending: RwSignal::new(false),
        }
    }

    /// The current state (tracked).
    pub fn state(self) -> AuthState {
        self.state.get()
    }

    pub fn is_starting(self) -> bool {
        self.state.with(|s| matches!(s, AuthState::Starting))
    }

    pub fn is_signed_in(self) -> bool {
        self.state.with(|s| matches!(s, AuthState::SignedIn(_)))
    }

    /// The signed-in session's details (tracked).
    pub fn session(self) -> Option<SessionInfo> {
        self.state.with(|s| match s {
            AuthState::SignedIn(stored) => Some(stored.session.clone()),
            _ => None,
        })
    }

    /// The signed-in session's details, read without tracking (event handlers).
    pub fn session_untracked(self) -> Option<SessionInfo> {
        self.state.with_untracked(|s| match s {
            AuthState::SignedIn(stored) => Some(stored.session.clone()),
            _ => None,
        })
    }

    /// The bearer token, read without tracking: callers use it to send a
    /// request, which should not re-run when the session refreshes.
    pub fn token(self) -> Option<String> {
        self.state.with_untracked(|s| match s {
            AuthState::SignedIn(stored) => Some(stored.token.clone()),
            _ => None,
        })
    }

    /// The bearer token (tracked): the sync loop follows it.
    pub fn token_tracked(self) -> Option<String> {
        self.state.with(|s| match s {
            AuthState::SignedIn(stored) => Some(stored.token.clone()),
            _ => None,
        })
    }

    /// Whether the signed-in person must choose a new password before
    /// anything else (after a reset, or a first sign-in with a temporary
    /// password), tracked: the signed-in layout shows only that page, and
    /// sync waits, while it holds.
    pub fn must_change_password(self) -> bool {
        self.state.with(|s| {
            matches!(s, AuthState::SignedIn(stored) if stored.session.user.must_change_password)
        })
    }

    /// [`Auth::must_change_password`] without tracking.
    pub fn must_change_password_untracked(self) -> bool {
        self.state.with_untracked(|s| {
            matches!(s, AuthState::SignedIn(stored) if stored.session.user.must_change_password)
        })
    }

    /// The session ended; the device delivers what it wrote, then is
    /// cleared (tracked).
    pub fn is_ending(self) -> bool {
        self.ending.get()
    }

    /// The server said the session ended with a last delivery: the sync
    /// engine delivers, then calls [`Auth::delivered`].
    pub fn mark_ending(self) {
        if !self.ending.get_untracked() {
            self.ending.set(true);
        }
    }

    /// The last delivery is done: the device is cleared and the sign-in
    /// page says why and that nothing was lost.
    pub async fn delivered(self) {
        if !self.is_signed_in_untracked() {
            return;
        }
        preferences::remember_session_ended(true);
        self.wipe().await;
        self.ending.set(false);
        self.notice.set(Some(Notice::SessionEndedDelivered));
        self.state.set(AuthState::SignedOut);
    }

    pub fn notice(self) -> Option<Notice> {
        self.notice.get()
    }

    pub fn signing_out(self) -> bool {
        self.signing_out.get()
    }

    /// Start-up: signs in from the stored session, then checks it with the
    /// server if there is a network.
    pub async fn restore(self) {
        let stored = match session::load().await {
            Ok(stored) => stored,
            Err(e) => {
                web_sys::console::warn_1(&format!("Could not read the stored session: {e}").into());
                None
            }
        };
        match stored {
            Some(stored) => {
                self.state.set(AuthState::SignedIn(stored));
                self.revalidate().await;
            }
            None => {
                // The sync connection may have ended the session just before
                // a reload: still say why.
                if preferences::session_was_ended() {
                    self.notice.set(Some(Notice::SessionEnded));
                } else if preferences::kept_for().is_some() {
                    self.notice.set(Some(Notice::SessionUnknown));
                }
                self.state.set(AuthState::SignedOut)
            }
        }
    }

    /// Asks the server whether the session still holds, refreshing what the
    /// device knows about it. Offline or a failing server changes nothing.
    pub async fn revalidate(self) {
        let online = web_sys::window().is_none_or(|w| w.navigator().on_line());
        let Some(token) = self.token() else {
            return;
        };
        if !online {
            return;
        }
        match api::me(&token).await {
            Ok(info) => self.refresh(&token, info).await,
            Err(failure) => {
                self.handle_failure(&failure).await;
            }
        }
    }

    async fn refresh(self, token: &str, info: SessionInfo) {
        // The person may have signed out while the request was away.
        let current = self.state.with_untracked(|s| match s {
            AuthState::SignedIn(stored) if stored.token == token => Some(stored.clone()),
            _ => None,
        });
        let Some(current) = current else {
            return;
        };
        if current.session == info {
            return;
        }
        let updated = StoredSession {
            session: info,
            saved_at: js_sys::Date::now(),
            ..current
        };
        if let Err(e) = session::save(&updated).await {
            web_sys::console::warn_1(&format!("Could not update the stored session: {e}").into());
        }
        self.state.set(AuthState::SignedIn(updated));
    }

    /// The server has no record of this device's session — it was restored
    /// from a backup older than the session. Unlike a revoked session this
    /// is not a reason to wipe the device: what it holds (its own work since
    /// the backup among it) waits for the same person to sign in again, and
    /// then goes to the server again. Anyone else's sign-in wipes it first.
    pub async fn session_unknown(self) {
        let owner = self.state.with_untracked(|s| match s {
            AuthState::SignedIn(stored) => Some(owner_key(&stored.session)),
            _ => None,
        });
        let Some(owner) = owner else {
            return;
        };
        preferences::remember_kept_for(Some(&owner));
        if let Err(e) = session::forget().await {
            web_sys::console::warn_1(&format!("Could not forget the session: {e}").into());
        }
        self.notice.set(Some(Notice::SessionUnknown));
        self.state.set(AuthState::SignedOut);
    }

    /// A successful sign-in: keep it on the device and enter the app.
    pub async fn signed_in(self, response: LoginResponse) {
        // Data kept for someone after an unknown session is theirs only.
        if let Some(kept) = preferences::kept_for() {
            if kept != owner_key(&response.session) {
                self.wipe().await;
            }
            preferences::remember_kept_for(None);
        }
        let stored = StoredSession {
            token: response.token,
            session: response.session,
            saved_at: js_sys::Date::now(),
        };
        if let Err(e) = session::save(&stored).await {
            // Still signed in for this visit; the next start asks again.
            web_sys::console::warn_1(
                &format!("Could not keep the session on this device: {e}").into(),
            );
        }
        request_persistent_storage();
        preferences::remember_session_ended(false);
        self.notice.set(None);
        self.state.set(AuthState::SignedIn(stored));
    }

    /// If a failed call means the session is over, ends it (wiping the
    /// device); if it means a new password must be chosen first, marks the
    /// session so the app shows only that page. Returns true in both cases:
    /// the app has taken over and the caller need not explain the failure.
    /// Every authenticated call passes its failures through here.
    pub async fn handle_failure(self, failure: &ApiFailure) -> bool {
        if !self.is_signed_in_untracked() {
            return false;
        }
        if failure.is_password_change_required() {
            self.set_must_change_password(true).await;
            return true;
        }
        if failure.is_session_unknown() {
            self.session_unknown().await;
            return true;
        }
        if failure.is_session_ending() {
            self.mark_ending();
            return true;
        }
        if !failure.is_session_ended() {
            return false;
        }
        self.session_ended().await;
        true
    }

    /// The person has just chosen a new password (the server accepted it):
    /// asks the server who they are now, which clears
    /// [`Auth::must_change_password`]. Without an answer the flag is cleared
    /// on the device anyway; the next check with the server corrects it.
    pub async fn password_changed(self) {
        let Some(token) = self.token() else {
            return;
        };
        match api::me(&token).await {
            Ok(info) => self.refresh(&token, info).await,
            Err(failure) => {
                if !self.handle_failure(&failure).await {
                    self.set_must_change_password(false).await;
                }
            }
        }
    }

    /// Sets the session's `must_change_password`, on the device too.
    async fn set_must_change_password(self, value: bool) {
        let updated = self.state.with_untracked(|s| match s {
            AuthState::SignedIn(stored) if stored.session.user.must_change_password != value => {
                let mut stored = stored.clone();
                stored.session.user.must_change_password = value;
                Some(stored)
            }
            _ => None,
        });
        let Some(updated) = updated else {
            return;
        };
        if let Err(e) = session::save(&updated).await {
            web_sys::console::warn_1(&format!("Could not update the stored session: {e}").into());
        }
        // The person may have signed out while the session was being saved.
        let same = self.state.with_untracked(
            |s| matches!(s, AuthState::SignedIn(stored) if stored.token == updated.token),
        );
        if same {
            self.state.set(AuthState::SignedIn(updated));
        }
    }

    /// The server no longer accepts this device's session (an API call or
    /// the sync connection said so): wipe the device and say why at sign-in.
    ///
    /// The reason is remembered (synchronously, in localStorage) before the
    /// wipe starts: a reload while the wipe runs then still finds it, and the
    /// sign-in page says why. It is forgotten only when someone signs in
    /// again (or signs out on purpose), never when the notice is shown, so
    /// every reload of the sign-in page keeps saying it.
    pub async fn session_ended(self) {
        if !self.is_signed_in_untracked() {
            return;
        }
        preferences::remember_session_ended(true);
        self.wipe().await;
        self.notice.set(Some(Notice::SessionEnded));
        self.state.set(AuthState::SignedOut);
    }

    /// Signs out: tells the server (best effort, bounded wait), wipes the
    /// device, returns to the sign-in page.
    pub async fn sign_out(self) {
        if self.signing_out.get_untracked() {
            return;
        }
        self.signing_out.set(true);
        if let Some(token) = self.token()
            && let Err(e) = api::logout(&token).await
        {
            web_sys::console::info_1(
                &format!("The server did not confirm the sign-out: {e:?}").into(),
            );
        }
        self.wipe().await;
        preferences::remember_session_ended(false);
        self.notice.set(None);
        self.state.set(AuthState::SignedOut);
        self.signing_out.set(false);
    }

    fn is_signed_in_untracked(self) -> bool {
        self.state
            .with_untracked(|s| matches!(s, AuthState::SignedIn(_)))
    }

    async fn wipe(self) {
        preferences::remember_kept_for(None);
        if let Err(e) = session::clear_device().await {
            web_sys::console::warn_1(&format!("Could not wipe this device's data: {e}").into());
        }
    }
}

/// Whose data the device holds: the dealer and the user.
fn owner_key(session: &SessionInfo) -> String {
    format!("{}/{}", session.dealer.id, session.user.id)
}

/// Asks the browser not to evict the app's data under storage pressure. The
/// answer does not change what the app does, so it is not awaited.
fn request_persistent_storage() {
    let Some(window) = web_sys::window() else {
        return;
    };
    if let Ok(promise) = window.navigator().storage().persist() {
        // Not Leptos's executor: nothing reactive here, and so `Auth` also
        // works where no Leptos app is mounted (its tests).
        wasm_bindgen_futures::spawn_local(async move {
            let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
        });
    }
}

/// The [`Auth`] the app provides.
pub fn use_auth() -> Auth {
    use_context::<Auth>().unwrap_or_default()
}
