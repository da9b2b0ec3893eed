//! Managers, devices and deactivation; and the tenant wall between dealers.

use axum::http::{Method, StatusCode};
use serde_json::Value;
use showroom_shared::api::paths;
use uuid::Uuid;

use crate::support::{TestApp, both_backends};

fn live_device_names(list: &Value) -> Vec<String> {
    let mut names: Vec<String> = list["devices"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|d| d["revoked_at"].is_null())
        .filter_map(|d| d["name"].as_str().map(str::to_owned))
        .collect();
    names.sort();
    names
}

async fn manager_sees_a_salespersons_devices_and_revokes_one(app: TestApp) {
    let a = app.login_on("sales1", "Tablet A").await;
    let b = app.login_on("sales1", "Tablet B").await;
    let manager = app.login("manager").await;
    let sales1 = a.session.user.id;

    let list = app.get(&paths::user_devices(sales1), &manager.token).await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(live_device_names(&list.json()), ["Tablet A", "Tablet B"]);

    let revoke = app
        .call(
            Method::DELETE,
            &paths::user_device(sales1, a.session.device.id),
            Some(&manager.token),
            None,
        )
        .await;
    assert_eq!(revoke.status, StatusCode::NO_CONTENT);
    assert_eq!(
        app.get(paths::ME, &a.token).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(app.get(paths::ME, &b.token).await.status, StatusCode::OK);
    let list = app
        .get(&paths::user_devices(sales1), &manager.token)
        .await
        .json();
    assert_eq!(live_device_names(&list), ["Tablet B"]);

    // Revoking again is harmless; a device id that is not sales1's is not found.
    let again = app
        .call(
            Method::DELETE,
            &paths::user_device(sales1, a.session.device.id),
            Some(&manager.token),
            None,
        )
        .await;
    assert_eq!(again.status, StatusCode::NO_CONTENT);
    let not_theirs = app
        .call(
            Method::DELETE,
            &paths::user_device(sales1, manager.session.device.id),
            Some(&manager.token),
            None,
        )
        .await;
    assert_eq!(not_theirs.status, StatusCode::NOT_FOUND);
    assert_eq!(
        app.get(paths::ME, &manager.token).await.status,
        StatusCode::OK
    );
}

async fn a_salesperson_manages_only_their_own_devices(app: TestApp) {
    let sales1 = app.login("sales1").await;
    let sales2 = app.login("sales2").await;
    let others = app
        .get(&paths::user_devices(sales2.session.user.id), &sales1.token)
        .await;
    assert_eq!(
        (others.status, others.code().as_str()),
        (StatusCode::FORBIDDEN, "forbidden")
    );
    let revoke = app
        .call(
            Method::DELETE,
            &paths::user_device(sales2.session.user.id, sales2.session.device.id),
            Some(&sales1.token),
            None,
        )
        .await;
    assert_eq!(revoke.status, StatusCode::FORBIDDEN);
    assert_eq!(
        app.get(paths::ME, &sales2.token).await.status,
        StatusCode::OK
    );
    let own = app
        .get(&paths::user_devices(sales1.session.user.id), &sales1.token)
        .await;
    assert_eq!(live_device_names(&own.json()), ["Test tablet"]);
    let deactivate = app
        .call(
            Method::POST,
            &paths::user_deactivate(sales2.session.user.id),
            Some(&sales1.token),
            None,
        )
        .await;
    assert_eq!(deactivate.status, StatusCode::FORBIDDEN);
}

async fn deactivating_a_user_signs_out_every_device_at_once(app: TestApp) {
    let tablet = app.login_on("sales1", "Tablet").await;
    let phone = app.login_on("sales1", "Phone").await;
    let manager = app.login("manager").await;
    let sales1 = tablet.session.user.id;

    let off = app
        .call(
            Method::POST,
            &paths::user_deactivate(sales1),
            Some(&manager.token),
            None,
        )
        .await;
    assert_eq!(off.status, StatusCode::NO_CONTENT);
    for token in [&tablet.token, &phone.token] {
        assert_eq!(
            app.get(paths::ME, token).await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    let again = app.try_login("sales1", "showroom", "Home PC").await;
    assert_eq!(
        (again.status, again.code().as_str()),
        (StatusCode::FORBIDDEN, "forbidden")
    );
    assert!(
        again.json()["message"]
            .as_str()
            .unwrap_or_default()
            .contains("deactivated")
    );
    let users = app.get(paths::USERS, &manager.token).await.json();
    let row = users["users"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|u| u["username"] == "sales1")
        .cloned();
    assert_eq!(row.map(|u| u["active"].clone()), Some(Value::Bool(false)));

    let on = app
        .call(
            Method::POST,
            &format!("{}/activate", paths::user(sales1)),
            Some(&manager.token),
            None,
        )
        .await;
    assert_eq!(on.status, StatusCode::NO_CONTENT);
    // Old sessions stay ended; a new sign-in works.
    assert_eq!(
        app.get(paths::ME, &tablet.token).await.status,
        StatusCode::UNAUTHORIZED
    );
    app.login("sales1").await;
}

async fn a_manager_cannot_deactivate_themselves(app: TestApp) {
    let manager = app.login("manager").await;
    let me = app
        .call(
            Method::POST,
            &paths::user_deactivate(manager.session.user.id),
            Some(&manager.token),
            None,
        )
        .await;
    assert_eq!(me.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        app.get(paths::ME, &manager.token).await.status,
        StatusCode::OK
    );
}

/// The tenant wall: whatever rival1 asks about Demo Motors, the answer is
/// byte for byte the answer for something that does not exist, and nothing changes.
async fn another_dealer_gets_the_same_answer_as_for_nothing(app: TestApp) {
    let sales1 = app.login("sales1").await;
    let rival = app.login("rival1").await;
    let (user, device) = (sales1.session.user.id, sales1.session.device.id);
    let missing_user = Uuid::new_v4();

    let probes: Vec<(Method, String, String)> = vec![
        (Method::GET, paths::user(user), paths::user(missing_user)),
        (Method::GET, paths::user(user), paths::user("not-a-uuid")),
        (
            Method::GET,
            paths::user_devices(user),
            paths::user_devices(missing_user),
        ),
        (
            Method::DELETE,
            paths::user_device(user, device),
            paths::user_device(missing_user, device),
        ),
        (
            Method::POST,
            paths::user_deactivate(user),
            paths::user_deactivate(missing_user),
        ),
        (
            Method::POST,
            format!("{}/activate", paths::user(user)),
            format!("{}/activate", paths::user(missing_user)),
        ),
    ];
    for (method, theirs, nothing) in probes {
        let a = app
            .call(method.clone(), &theirs, Some(&rival.token), None)
            .await;
        let b = app
            .call(method.clone(), &nothing, Some(&rival.token), None)
            .await;
        assert_eq!(a.status, StatusCode::NOT_FOUND, "{method} {theirs}");
        assert_eq!(
            a.bytes, b.bytes,
            "{method} {theirs} differs from a missing record"
        );
    }
    let listed = app.get(paths::USERS, &rival.token).await.json();
    let names: Vec<&str> = listed["users"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|u| u["username"].as_str())
        .collect();
    assert_eq!(names, ["rival1"]);
    // sales1 was not touched by any of it.
    assert_eq!(
        app.get(paths::ME, &sales1.token).await.status,
        StatusCode::OK
    );
    let own = app.get(&paths::user(user), &sales1.token).await;
    assert_eq!(own.json()["active"], Value::Bool(true));
}

async fn a_user_reads_their_colleagues_but_not_password_hashes(app: TestApp) {
    let sales1 = app.login("sales1").await;
    let users = app.get(paths::USERS, &sales1.token).await;
    assert_eq!(users.status, StatusCode::OK);
    let text = String::from_utf8_lossy(&users.bytes);
    assert!(text.contains("Wang Fang") && text.contains("Zhang Min"));
    assert!(!text.contains("argon2"), "password hashes leaked: {text}");
}

both_backends!(
    manager_sees_a_salespersons_devices_and_revokes_one,
    a_salesperson_manages_only_their_own_devices,
    deactivating_a_user_signs_out_every_device_at_once,
    a_manager_cannot_deactivate_themselves,
    another_dealer_gets_the_same_answer_as_for_nothing,
    a_user_reads_their_colleagues_but_not_password_hashes,
);
