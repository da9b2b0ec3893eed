//! Sign-in state against real IndexedDB and localStorage in headless Chromium:
//! the "session has ended" notice survives a reload at any moment of the wipe.

use showroom_app::local::auth::{Auth, Notice};
use showroom_app::local::db::Database;
use showroom_app::local::preferences;
use showroom_app::local::session;
use showroom_shared::api::{DealerSummary, DeviceInfo, LoginResponse, SessionInfo, UserSummary};
use showroom_shared::domain::{DealerId, DeviceId, DeviceName, Role, UserId, Username};
use uuid::Uuid;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

fn login_response(token: &str) -> LoginResponse {
    let username: Username = "sales1".parse().expect("a valid username");
    let device_name: DeviceName = "Chrome on Linux".parse().expect("a valid device name");
    LoginResponse {
        token: token.to_owned(),
        session: SessionInfo {
            user: UserSummary {
                id: UserId::from_uuid(Uuid::from_u128(1)),
                username,
                display_name: "Li Wei".to_owned(),
                role: Role::Salesperson,
                active: true,
                must_change_password: false,
            },
            dealer: DealerSummary {
                id: DealerId::from_uuid(Uuid::from_u128(2)),
                name: "Demo Motors".to_owned(),
            },
            device: DeviceInfo {
                id: DeviceId::from_uuid(Uuid::from_u128(3)),
                name: device_name,
                created_at: 1_795_000_000_000,
                last_seen_at: 1_795_000_100_000,
                revoked_at: None,
            },
        },
    }
}

/// A connection to the device database that, unlike the app's, does not
/// close when asked: a wipe waits for it, as it would for a slow tab.
async fn stubborn_connection() -> Database {
    Database::open(session::DB_NAME)
        .await
        .unwrap_or_else(|e| panic!("open: {e}"))
}

async fn sleep(ms: u32) {
    gloo_timers::future::TimeoutFuture::new(ms).await;
}

/// Waits (up to 10 s) until `check` holds.
async fn until(what: &str, check: impl Fn() -> bool) {
    for _ in 0..200 {
        if check() {
            return;
        }
        sleep(50).await;
    }
    panic!("waited 10 s for {what}");
}

#[wasm_bindgen_test]
async fn the_session_ended_notice_is_remembered_before_the_wipe_and_kept_until_a_new_sign_in() {
    session::clear_device()
        .await
        .unwrap_or_else(|e| panic!("wiping the device failed: {e}"));
    preferences::remember_session_ended(false);

    let auth = Auth::new();
    auth.signed_in(login_response("token-1")).await;
    assert!(auth.is_signed_in());
    assert!(!preferences::session_was_ended());

    // Hold the wipe half-way: the database cannot go while this is open.
    let blocker = stubborn_connection().await;
    wasm_bindgen_futures::spawn_local(auth.session_ended());
    sleep(300).await;
    assert!(
        auth.is_signed_in(),
        "the wipe is still waiting for the other connection"
    );
    assert!(
        preferences::session_was_ended(),
        "a reload now must still find the reason"
    );
    // A reload at this moment: the stored session is still there, so the app
    // signs in from it and the server's 401 ends it again. And once the
    // wipe went through, a fresh start finds no session but the reason.
    blocker.close();
    until("the wipe to finish", || !auth.is_signed_in()).await;
    assert_eq!(auth.notice(), Some(Notice::SessionEnded));
    assert_eq!(session::load().await, Ok(None), "the device was wiped");

    for _ in 0..2 {
        // Each reload of the sign-in page says it again.
        let reloaded = Auth::new();
        reloaded.restore().await;
        assert!(!reloaded.is_signed_in());
        assert_eq!(reloaded.notice(), Some(Notice::SessionEnded));
        assert!(preferences::session_was_ended());
    }

    // A new sign-in forgets it.
    let next = Auth::new();
    next.restore().await;
    next.signed_in(login_response("token-2")).await;
    assert!(!preferences::session_was_ended());
    assert_eq!(next.notice(), None);
    let after_sign_in = Auth::new();
    after_sign_in.restore().await;
    assert_eq!(after_sign_in.notice(), None);
    session::clear_device()
        .await
        .unwrap_or_else(|e| panic!("wiping the device failed: {e}"));
}
