//! Sign-in, tokens, sessions and their end: what a salesperson meets at the door.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use serde_json::json;
use showroom_server::db::Db;
use showroom_shared::api::paths;

use crate::support::{TestApp, both_backends};

const MINUTE: i64 = 60 * 1000;
const DAY: i64 = 24 * 60 * MINUTE;

async fn demo_user_signs_in_on_a_named_device(app: TestApp) {
    let login = app.login_on("Sales1", "前台平板 Front desk").await;
    assert!(login.token.starts_with("shr_"), "{}", login.token);
    assert_eq!(login.session.user.username.as_str(), "sales1");
    assert_eq!(login.session.user.role.as_str(), "salesperson");
    assert_eq!(login.session.dealer.name, "Demo Motors");
    assert_eq!(login.session.device.name.as_str(), "前台平板 Front desk");
    let me = app.get(paths::ME, &login.token).await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.json()["user"]["id"], json!(login.session.user.id));
    assert_eq!(me.json()["device"]["id"], json!(login.session.device.id));
}

async fn wrong_password_and_unknown_user_get_the_same_answer(app: TestApp) {
    let wrong = app.try_login("sales1", "not-the-password", "Tablet").await;
    let unknown = app.try_login("nobody", "showroom", "Tablet").await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong.code(), "invalid_credentials");
    assert_eq!(wrong.json()["message"], "Wrong username or password.");
    assert_eq!((unknown.status, unknown.bytes), (wrong.status, wrong.bytes));
}

async fn malformed_login_bodies_get_clear_errors_and_sign_in_nobody(app: TestApp) {
    let raw = |ct: Option<&str>, body: String| {
        let mut req = Request::builder().method(Method::POST).uri(paths::LOGIN);
        if let Some(ct) = ct {
            req = req.header(header::CONTENT_TYPE, ct);
        }
        req.body(Body::from(body)).expect("request")
    };
    let not_json = app
        .send(raw(Some("application/json"), "{username: sales1".into()))
        .await;
    assert_eq!(
        (not_json.status, not_json.code().as_str()),
        (StatusCode::BAD_REQUEST, "bad_request")
    );

    let no_type = app
        .send(raw(None, json!({"username": "sales1"}).to_string()))
        .await;
    assert_eq!(
        (no_type.status, no_type.code().as_str()),
        (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
    );

    let missing = app
        .call(
            Method::POST,
            paths::LOGIN,
            None,
            Some(json!({"username": "sales1", "password": "showroom"})),
        )
        .await;
    assert_eq!(missing.status, StatusCode::BAD_REQUEST);
    assert!(
        missing.json()["message"]
            .as_str()
            .unwrap_or_default()
            .contains("device_name"),
        "{}",
        missing.json()
    );

    let bad_name = app.try_login("sales 1", "showroom", "Tablet").await;
    assert_eq!(bad_name.status, StatusCode::BAD_REQUEST);
    assert!(
        bad_name.json()["message"]
            .as_str()
            .unwrap_or_default()
            .contains("username"),
        "{}",
        bad_name.json()
    );

    let empty_device = app.try_login("sales1", "showroom", "   ").await;
    assert_eq!(empty_device.status, StatusCode::BAD_REQUEST);

    let huge = app
        .send(raw(
            Some("application/json"),
            format!("{{\"username\":\"{}\"}}", "a".repeat(100_000)),
        ))
        .await;
    assert_eq!(
        (huge.status, huge.code().as_str()),
        (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large")
    );

    // None of that created a session or locked the account.
    app.login("sales1").await;
}

async fn repeated_failed_logins_are_throttled_then_released(app: TestApp) {
    for _ in 0..5 {
        assert_eq!(
            app.try_login("sales1", "guess", "Tablet").await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    let locked = app.try_login("sales1", "guess", "Tablet").await;
    assert_eq!(
        (locked.status, locked.code().as_str()),
        (StatusCode::TOO_MANY_REQUESTS, "too_many_requests")
    );
    assert_eq!(locked.header(header::RETRY_AFTER), "30");
    // While locked, even the right password waits: guessing gains nothing.
    let right = app.try_login("sales1", "showroom", "Tablet").await;
    assert_eq!(right.status, StatusCode::TOO_MANY_REQUESTS);
    // Other people are not locked out by someone guessing at sales1.
    app.login("sales2").await;
    app.advance(31 * 1000);
    app.login("sales1").await;
}

async fn requests_without_a_valid_token_are_refused(app: TestApp) {
    let none = app.call(Method::GET, paths::ME, None, None).await;
    assert_eq!(
        (none.status, none.code().as_str()),
        (StatusCode::UNAUTHORIZED, "unauthorized")
    );
    let forged = app
        .get(paths::ME, "shr_forged-token-that-was-never-issued")
        .await;
    // A token the server has no record of is told apart from a revoked one:
    // the device keeps its data (a restore may have lost the session).
    assert_eq!(
        (forged.status, forged.code().as_str()),
        (StatusCode::UNAUTHORIZED, "session_unknown")
    );
    let oversized = app.get(paths::ME, &"x".repeat(5000)).await;
    assert_eq!(oversized.status, StatusCode::UNAUTHORIZED);
}

async fn logout_ends_only_this_device(app: TestApp) {
    let tablet = app.login_on("sales1", "Tablet").await;
    let phone = app.login_on("sales1", "Phone").await;
    let out = app
        .call(Method::POST, paths::LOGOUT, Some(&tablet.token), None)
        .await;
    assert_eq!(out.status, StatusCode::NO_CONTENT);
    assert_eq!(
        app.get(paths::ME, &tablet.token).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.get(paths::ME, &phone.token).await.status,
        StatusCode::OK
    );
}

async fn tokens_are_stored_only_as_hashes(app: TestApp) {
    let login = app.login("sales1").await;
    let stored: Vec<(String,)> = match &app.db {
        Db::Sqlite(pool) => {
            sqlx::query_as("SELECT token_hash FROM sessions")
                .fetch_all(pool)
                .await
        }
        Db::Postgres(pool) => {
            sqlx::query_as("SELECT token_hash FROM sessions")
                .fetch_all(pool)
                .await
        }
    }
    .expect("sessions readable");
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].0.len(), 64);
    assert!(!stored[0].0.contains(&login.token[4..]));
}

async fn an_idle_session_expires_and_a_used_one_does_not(app: TestApp) {
    let used = app.login_on("sales1", "Used daily").await;
    let idle = app.login_on("sales1", "In a drawer").await;
    for _ in 0..40 {
        app.advance(DAY);
        assert_eq!(app.get(paths::ME, &used.token).await.status, StatusCode::OK);
    }
    let expired = app.get(paths::ME, &idle.token).await;
    assert_eq!(expired.status, StatusCode::UNAUTHORIZED);
    assert!(
        expired.json()["message"]
            .as_str()
            .unwrap_or_default()
            .contains("expired"),
        "{}",
        expired.json()
    );
    // Its device shows as ended in the device list.
    let devices = app
        .get(&paths::user_devices(used.session.user.id), &used.token)
        .await
        .json();
    let drawer = devices["devices"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|d| d["name"] == "In a drawer")
        .cloned();
    assert!(drawer.is_some_and(|d| d["revoked_at"].is_i64()));
}

async fn last_seen_follows_use(app: TestApp) {
    let login = app.login("sales1").await;
    app.advance(5 * MINUTE);
    app.get(paths::ME, &login.token).await;
    let me = app.get(paths::ME, &login.token).await.json();
    assert_eq!(
        me["device"]["last_seen_at"],
        json!(crate::support::T0 + 5 * MINUTE)
    );
    assert_eq!(me["device"]["created_at"], json!(crate::support::T0));
}

async fn health_check_reports_ok(app: TestApp) {
    let reply = app.call(Method::GET, paths::HEALTHZ, None, None).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json()["status"], "ok");
}

async fn demo_data_is_seeded_once(app: TestApp) {
    let clock = showroom_server::clock::Clock::system();
    assert!(
        !showroom_server::demo::seed_if_empty(&app.db, &clock)
            .await
            .expect("seed check")
    );
    let manager = app.login("manager").await;
    let users = app.get(paths::USERS, &manager.token).await.json();
    assert_eq!(users["users"].as_array().map(Vec::len), Some(3));
}

both_backends!(
    demo_user_signs_in_on_a_named_device,
    wrong_password_and_unknown_user_get_the_same_answer,
    malformed_login_bodies_get_clear_errors_and_sign_in_nobody,
    repeated_failed_logins_are_throttled_then_released,
    requests_without_a_valid_token_are_refused,
    logout_ends_only_this_device,
    tokens_are_stored_only_as_hashes,
    an_idle_session_expires_and_a_used_one_does_not,
    last_seen_follows_use,
    health_check_reports_ok,
    demo_data_is_seeded_once,
);
