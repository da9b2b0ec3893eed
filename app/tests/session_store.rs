//! The session store against real IndexedDB in headless Chromium: what a device remembers across restarts.

use showroom_app::local::session::{self, StoredSession};
use showroom_shared::api::{DealerSummary, DeviceInfo, SessionInfo, UserSummary};
use showroom_shared::domain::{DealerId, DeviceId, DeviceName, Role, UserId, Username};
use uuid::Uuid;
use wasm_bindgen::JsValue;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

fn sample(token: &str, display_name: &str) -> StoredSession {
    let username: Username = "sales1".parse().expect("a valid username");
    let device_name: DeviceName = "Chrome on Linux".parse().expect("a valid device name");
    StoredSession {
        token: token.to_owned(),
        session: SessionInfo {
            user: UserSummary {
                id: UserId::from_uuid(Uuid::from_u128(1)),
                username,
                display_name: display_name.to_owned(),
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
        saved_at: 1_795_000_000_123.0,
    }
}

/// Each test starts from an empty device: the tests share one browser origin.
async fn fresh_device() {
    session::clear_device()
        .await
        .unwrap_or_else(|e| panic!("wiping the device failed: {e}"));
}

async fn load() -> Option<StoredSession> {
    session::load()
        .await
        .unwrap_or_else(|e| panic!("loading failed: {e}"))
}

#[wasm_bindgen_test]
async fn a_saved_session_loads_back_unchanged() {
    fresh_device().await;
    let stored = sample("token-1", "Li Wei");
    session::save(&stored)
        .await
        .unwrap_or_else(|e| panic!("saving failed: {e}"));
    assert_eq!(load().await, Some(stored));
}

#[wasm_bindgen_test]
async fn an_empty_device_has_no_session() {
    fresh_device().await;
    assert_eq!(load().await, None);
}

#[wasm_bindgen_test]
async fn clearing_the_device_forgets_the_session() {
    fresh_device().await;
    session::save(&sample("token-1", "Li Wei"))
        .await
        .unwrap_or_else(|e| panic!("saving failed: {e}"));
    session::clear_device()
        .await
        .unwrap_or_else(|e| panic!("clearing failed: {e}"));
    assert_eq!(load().await, None);
}

#[wasm_bindgen_test]
async fn saving_twice_keeps_the_last_session() {
    fresh_device().await;
    session::save(&sample("token-1", "Li Wei"))
        .await
        .unwrap_or_else(|e| panic!("saving failed: {e}"));
    let second = sample("token-2", "Wang Fang");
    session::save(&second)
        .await
        .unwrap_or_else(|e| panic!("saving failed: {e}"));
    assert_eq!(load().await, Some(second));
}

#[wasm_bindgen_test]
async fn a_corrupt_record_loads_as_no_session() {
    fresh_device().await;
    session::write_raw(JsValue::from_str("{not json"))
        .await
        .unwrap_or_else(|e| panic!("writing failed: {e}"));
    assert_eq!(load().await, None);
    // Valid JSON of the wrong shape, and a value that is not text at all.
    session::write_raw(JsValue::from_str("{\"token\":42}"))
        .await
        .unwrap_or_else(|e| panic!("writing failed: {e}"));
    assert_eq!(load().await, None);
    session::write_raw(JsValue::from_f64(7.0))
        .await
        .unwrap_or_else(|e| panic!("writing failed: {e}"));
    assert_eq!(load().await, None);
    // And the device recovers: a new sign-in is kept.
    let stored = sample("token-3", "Li Wei");
    session::save(&stored)
        .await
        .unwrap_or_else(|e| panic!("saving failed: {e}"));
    assert_eq!(load().await, Some(stored));
}
