//! A real deployment (issue 11): the first-run set-up, people a manager adds
//! who choose their own password, password changes and resets, the security
//! headers and the HTTPS redirect, a restore from a backup that devices
//! recover from, and an upgrade of a database made by the previous release.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use serde_json::json;
use showroom_server::http::CONTENT_SECURITY_POLICY;
use showroom_server::tls::Peer;
use showroom_server::{admin, backup, db};
use showroom_shared::api::{LoginResponse, TemporaryPassword, paths};
use showroom_shared::doc::{LeadDoc, actor_from_bytes};
use showroom_shared::sync::ServerMsg;

use crate::support::{Backend, TestApp, both_backends};
use crate::sync::{Device, lead_for, ok_ack, push, raw_changes};

both_backends!(
    managers_add_people_who_choose_their_own_password,
    changing_a_password_signs_out_the_other_devices,
    a_reset_signs_the_person_out_and_asks_for_a_new_password,
    a_restored_server_makes_every_device_start_over,
    a_database_of_the_previous_release_is_upgraded,
    every_response_carries_the_security_headers,
);

mod set_up {
    #[tokio::test]
    async fn sqlite() {
        super::set_up_creates_the_first_dealer_once(crate::support::Backend::Sqlite).await;
    }
    #[tokio::test]
    async fn postgres() {
        super::set_up_creates_the_first_dealer_once(crate::support::Backend::Postgres).await;
    }
}

fn set_up_body(code: &str, password: &str) -> serde_json::Value {
    json!({
        "token": code,
        "dealer_name": "星辰汽车 Star Motors",
        "time_zone": "Asia/Shanghai",
        "currency": "CNY",
        "admin_display_name": "王总",
        "admin_username": "wang.admin",
        "admin_password": password,
    })
}

async fn set_up_creates_the_first_dealer_once(backend: Backend) {
    let app = TestApp::empty(backend).await;
    // Without the link the server printed, set-up is not offered.
    let status = app.call(Method::GET, paths::SETUP, None, None).await;
    assert_eq!(status.json(), json!({"needed": false}));
    let code = app.state.setup.open().expect("a code");
    let status = app.call(Method::GET, paths::SETUP, None, None).await;
    assert_eq!(status.json(), json!({"needed": true}));

    let post = |body| app.call(Method::POST, paths::SETUP, None, Some(body));
    let wrong = post(set_up_body("not-the-code", "a long enough passphrase")).await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN, "a guessed code");
    let weak = post(set_up_body(&code, "1234567890")).await;
    assert_eq!(weak.status, StatusCode::BAD_REQUEST);
    assert!(
        weak.json()["message"]
            .as_str()
            .unwrap_or_default()
            .contains("common")
    );
    let done = post(set_up_body(&code, "a long enough passphrase")).await;
    assert_eq!(
        done.status,
        StatusCode::CREATED,
        "{}",
        String::from_utf8_lossy(&done.bytes)
    );

    let again = post(set_up_body(&code, "a long enough passphrase")).await;
    assert_eq!(again.status, StatusCode::FORBIDDEN, "the link works once");
    let status = app.call(Method::GET, paths::SETUP, None, None).await;
    assert_eq!(status.json(), json!({"needed": false}));

    let login = app
        .try_login("wang.admin", "a long enough passphrase", "Back office")
        .await;
    assert_eq!(login.status, StatusCode::OK);
    let login: LoginResponse = serde_json::from_slice(&login.bytes).expect("login");
    assert_eq!(login.session.dealer.name, "星辰汽车 Star Motors");
    assert_eq!(login.session.user.role.as_str(), "admin");
    assert!(!login.session.user.must_change_password);
    // Its catalogue and settings document exists, in its time zone.
    assert!(
        db::dealers_without_document(&app.db)
            .await
            .expect("reads")
            .is_empty()
    );
    // A second first dealer is refused even by the shared code path.
    let second = admin::create_dealer(
        &app.state,
        &admin::NewDealer {
            name: "Another".into(),
            time_zone: "Asia/Shanghai".into(),
            currency: "CNY".into(),
            admin_username: "other.admin".into(),
            admin_display_name: "Other".into(),
            admin_password: None,
        },
        true,
    )
    .await;
    assert!(
        matches!(second, Err(admin::AdminError::AlreadySetUp)),
        "{second:?}"
    );
}

async fn add(app: &TestApp, token: &str, username: &str, role: &str) -> crate::support::Reply {
    app.call(
        Method::POST,
        paths::USERS,
        Some(token),
        Some(
            json!({"username": username, "display_name": format!("{username} 同学"), "role": role}),
        ),
    )
    .await
}

async fn managers_add_people_who_choose_their_own_password(app: TestApp) {
    let manager = app.login("manager").await;
    let sales1 = app.login("sales1").await;
    assert_eq!(
        add(&app, &sales1.token, "sales9", "salesperson")
            .await
            .status,
        StatusCode::FORBIDDEN,
        "a salesperson adds nobody"
    );
    assert_eq!(
        add(&app, &manager.token, "boss", "admin").await.status,
        StatusCode::FORBIDDEN,
        "only an admin adds an admin"
    );
    let added = add(&app, &manager.token, "Zhao.Li", "salesperson").await;
    assert_eq!(
        added.status,
        StatusCode::CREATED,
        "{}",
        String::from_utf8_lossy(&added.bytes)
    );
    let added: TemporaryPassword = serde_json::from_slice(&added.bytes).expect("answer");
    assert_eq!(added.user.username.as_str(), "zhao.li");
    assert!(added.user.must_change_password);
    let taken = add(&app, &manager.token, "zhao.li", "manager").await;
    assert_eq!(taken.status, StatusCode::CONFLICT);
    assert_eq!(taken.code(), "conflict");
    // Another dealer's username space is the same (usernames are global).
    let second = add(&app, &manager.token, "sales2", "salesperson").await;
    assert_eq!(second.status, StatusCode::CONFLICT);

    // The temporary password opens only the password change.
    let login = app
        .try_login("zhao.li", &added.temporary_password, "Zhao's tablet")
        .await;
    assert_eq!(login.status, StatusCode::OK);
    let login: LoginResponse = serde_json::from_slice(&login.bytes).expect("login");
    assert!(login.session.user.must_change_password);
    let blocked = app.get(paths::USERS, &login.token).await;
    assert_eq!(blocked.status, StatusCode::FORBIDDEN);
    assert_eq!(blocked.code(), "password_change_required");
    assert_eq!(
        app.get(paths::ME, &login.token).await.status,
        StatusCode::OK
    );
    // Sync refuses it too, without ending the session (the device keeps it).
    let addr = app.serve().await;
    let mut device = Device::hello(addr, &login.token, 0).await;
    match device.recv().await {
        Some(ServerMsg::Error { code, .. }) => assert_ne!(
            code,
            showroom_shared::sync::SyncErrorCode::Unauthorized,
            "a must-change session is not signed out by sync"
        ),
        other => panic!("expected a refusal, got {other:?}"),
    }

    let change = |current: &str, new: &str| {
        app.call(
            Method::POST,
            paths::ME_PASSWORD,
            Some(&login.token),
            Some(json!({"current_password": current, "new_password": new})),
        )
    };
    let common = change(&added.temporary_password, "password123").await;
    assert_eq!(common.status, StatusCode::BAD_REQUEST);
    let short = change(&added.temporary_password, "short").await;
    assert_eq!(short.status, StatusCode::BAD_REQUEST);
    let wrong = change("not my password", "赵丽的新密码很长很长").await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong.code(), "invalid_credentials");
    let ok = change(&added.temporary_password, "赵丽的新密码很长很长").await;
    assert_eq!(
        ok.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&ok.bytes)
    );
    assert_eq!(
        app.get(paths::USERS, &login.token).await.status,
        StatusCode::OK
    );
    let users = app.get(paths::USERS, &manager.token).await.json();
    let listed = users["users"]
        .as_array()
        .and_then(|u| u.iter().find(|u| u["username"] == "zhao.li").cloned())
        .expect("listed");
    assert_eq!(listed["must_change_password"], false);
    assert_eq!(listed["role"], "salesperson");
}

async fn changing_a_password_signs_out_the_other_devices(app: TestApp) {
    let a = app.login_on("sales1", "Tablet A").await;
    let b = app.login_on("sales1", "Tablet B").await;
    let changed = app
        .call(
            Method::POST,
            paths::ME_PASSWORD,
            Some(&a.token),
            Some(json!({"current_password": "showroom", "new_password": "sales one's new phrase"})),
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK);
    assert_eq!(changed.json()["other_devices_signed_out"], 1);
    assert_eq!(
        app.get(paths::ME, &a.token).await.status,
        StatusCode::OK,
        "this device stays"
    );
    assert_eq!(
        app.get(paths::ME, &b.token).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.try_login("sales1", "showroom", "T").await.status,
        StatusCode::UNAUTHORIZED,
        "the old password is gone"
    );
    assert_eq!(
        app.try_login("sales1", "sales one's new phrase", "T")
            .await
            .status,
        StatusCode::OK
    );
}

async fn a_reset_signs_the_person_out_and_asks_for_a_new_password(app: TestApp) {
    let manager = app.login("manager").await;
    let sales1 = app.login("sales1").await;
    let rival = app.login("rival1").await;
    let reset = |token: &str, id: String| {
        let token = token.to_owned();
        let app = &app;
        async move {
            app.call(
                Method::POST,
                &paths::user_reset_password(id),
                Some(&token),
                None,
            )
            .await
        }
    };
    assert_eq!(
        reset(&sales1.token, manager.session.user.id.to_string())
            .await
            .status,
        StatusCode::FORBIDDEN,
        "a salesperson resets nobody"
    );
    assert_eq!(
        reset(&manager.token, rival.session.user.id.to_string())
            .await
            .status,
        StatusCode::NOT_FOUND,
        "another dealer's people do not exist here"
    );
    assert_eq!(
        reset(&manager.token, manager.session.user.id.to_string())
            .await
            .status,
        StatusCode::BAD_REQUEST,
        "one's own password is changed, not reset"
    );
    let done = reset(&manager.token, sales1.session.user.id.to_string()).await;
    assert_eq!(done.status, StatusCode::OK);
    let done: TemporaryPassword = serde_json::from_slice(&done.bytes).expect("answer");
    assert!(done.user.must_change_password);
    assert_eq!(
        app.get(paths::ME, &sales1.token).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.try_login("sales1", "showroom", "T").await.status,
        StatusCode::UNAUTHORIZED
    );
    let again = app.try_login("sales1", &done.temporary_password, "T").await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(
        again.json()["session"]["user"]["must_change_password"],
        true
    );
}

/// A restore brings back an older database. A device that synced after the
/// backup names the log it knew: the restored server (a new log identity)
/// tells it to start over, it gets everything from 0, and what it re-sends
/// of its own is stored again.
async fn a_restored_server_makes_every_device_start_over(app: TestApp) {
    let addr = app.serve().await;
    let sales1 = app.login("sales1").await;
    let before = lead_for(&sales1, 1, "备份前");
    let after = lead_for(&sales1, 2, "备份后");
    let mut doc_before = LeadDoc::create(actor_from_bytes([1; 16]), &before).expect("doc");
    let mut doc_after = LeadDoc::create(actor_from_bytes([1; 16]), &after).expect("doc");

    // The manager's lead, before the backup: what a device gets from 0.
    let manager = app.login("manager").await;
    // In the pool: sales1 may see it.
    let mut theirs = lead_for(&manager, 3, "经理的客户");
    theirs.owner = None;
    let mut doc_theirs = LeadDoc::create(actor_from_bytes([3; 16]), &theirs).expect("doc");
    let mut m = Device::hello(addr, &manager.token, 0).await;
    m.send(push(1, theirs.id, raw_changes(&mut doc_theirs)))
        .await;
    let _ = m.caught_up().await;
    assert_eq!(m.ack().await, ok_ack(1));
    drop(m);

    let mut device = Device::hello(addr, &sales1.token, 0).await;
    device
        .send(push(1, before.id, raw_changes(&mut doc_before)))
        .await;
    let _ = device.caught_up().await;
    assert_eq!(device.ack().await, ok_ack(1));
    let old_log = device.log;
    assert_ne!(old_log, 0, "the server told the device its log");

    // The backup, then work the backup will not have.
    let restored_url = take_backup(&app).await;
    device
        .send(push(2, after.id, raw_changes(&mut doc_after)))
        .await;
    assert_eq!(device.ack().await, ok_ack(2));
    drop(device);

    let restored = TestApp::on_database(&restored_url).await;
    let addr = restored.serve().await;
    let new_log = restored.state.log_id().await.expect("log id");
    assert_ne!(new_log, old_log, "a restore gives the log a new identity");
    // The session was made before the backup: it is in it.
    let mut device = Device::hello_in(addr, &sales1.token, 99, old_log).await;
    let (to, docs) = device.caught_up().await;
    assert_eq!(device.resets, 1, "the device is told to start over");
    assert_eq!(device.log, new_log);
    let ids: Vec<_> = docs.iter().map(|d| d.doc).collect();
    assert!(
        ids.contains(&theirs.id.into()),
        "everything from 0 comes down: {ids:?}"
    );
    assert!(to > 0);
    // The device re-sends its own work; the server stores what it lacked.
    device
        .send(push(1, after.id, raw_changes(&mut doc_after)))
        .await;
    device
        .send(push(2, before.id, raw_changes(&mut doc_before)))
        .await;
    assert_eq!(device.ack().await, ok_ack(1));
    assert_eq!(device.ack().await, ok_ack(2));
    drop(device);
    // Another device of the dealer now gets both leads.
    let manager = restored.login("manager").await;
    let mut other = Device::hello(addr, &manager.token, 0).await;
    let (_, docs) = other.caught_up().await;
    let ids: Vec<_> = docs.iter().map(|d| d.doc).collect();
    assert!(
        ids.contains(&before.id.into()) && ids.contains(&after.id.into()),
        "{ids:?}"
    );
    // And a device that named the new log is not told anything again.
    let mut again = Device::hello_in(addr, &manager.token, 0, new_log).await;
    let _ = again.caught_up().await;
    assert_eq!(again.resets, 0);
}

/// Backs the app's database up the way an operator would, restores it
/// into a new database and returns that database's URL: SQLite through
/// `backup::write` + `backup::restore` (the `backup now` and `restore`
/// commands), PostgreSQL through `pg_dump` + `pg_restore` + the new log
/// identity of `mark-restored`.
async fn take_backup(app: &TestApp) -> String {
    if app.url().starts_with("sqlite:") {
        let dir = app.dir().join("backups");
        let written = backup::write(&app.db, &dir, &app.state.clock, 14)
            .await
            .expect("backup written while the server runs");
        assert!(written.bytes > 0);
        let target = app.dir().join("restored").join("showroom.db");
        let url = format!("sqlite://{}", target.display());
        let restored = backup::restore(&url, &written.path, &app.state.clock)
            .await
            .expect("restores");
        assert_eq!(restored.previous, None, "a new place: nothing replaced");
        // Restoring over a database a server runs on is refused.
        let _lock = backup::lock(&target).expect("lock");
        let refused = backup::restore(&url, &written.path, &app.state.clock).await;
        assert!(
            matches!(refused, Err(backup::BackupError::Running(_))),
            "{refused:?}"
        );
        return url;
    }
    let dump = app.dir().join("showroom.dump");
    let out = std::process::Command::new(pg_tool("pg_dump"))
        .args(["--format=custom", "--file"])
        .arg(&dump)
        .arg(app.url())
        .output()
        .expect("pg_dump runs");
    assert!(
        out.status.success(),
        "pg_dump: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let url = crate::support::fresh_postgres_database().await;
    let out = std::process::Command::new(pg_tool("pg_restore"))
        .args(["--no-owner", "--dbname"])
        .arg(&url)
        .arg(&dump)
        .output()
        .expect("pg_restore runs");
    assert!(
        out.status.success(),
        "pg_restore: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let restored = db::Db::connect(&url).await.expect("opens");
    db::set_log_id(&restored, backup::new_log_id().expect("random"))
        .await
        .expect("mark-restored");
    restored.close().await;
    url
}

/// A PostgreSQL client tool: on the PATH, or Debian's versioned folder.
fn pg_tool(name: &str) -> std::path::PathBuf {
    if let Ok(dirs) = std::fs::read_dir("/usr/lib/postgresql") {
        let mut found: Vec<_> = dirs
            .filter_map(Result::ok)
            .map(|d| d.path().join("bin").join(name))
            .filter(|p| p.is_file())
            .collect();
        found.sort();
        if let Some(p) = found.pop() {
            return p;
        }
    }
    std::path::PathBuf::from(name)
}

/// A database written by release 0.1.0 (before this release's migration):
/// the server upgrades its schema at start, its people sign in, and a device
/// receives every document it held.
async fn a_database_of_the_previous_release_is_upgraded(app: TestApp) {
    let (url, dump) = if app.url().starts_with("sqlite:") {
        let file = app.dir().join("release-0.1.0.db");
        (
            format!("sqlite://{}", file.display()),
            include_str!("../../fixtures/release-0.1.0-sqlite.sql"),
        )
    } else {
        (
            crate::support::fresh_postgres_database().await,
            include_str!("../../fixtures/release-0.1.0-postgres.sql"),
        )
    };
    load_dump(&url, dump).await;
    let upgraded = TestApp::on_database(&url).await;
    // The start-up storage check (issue 18) runs once on a database of an
    // earlier release, and leaves every document holding what its log holds.
    let report = showroom_server::check::at_startup(&upgraded.db)
        .await
        .expect("the storage check runs");
    assert!(
        report.documents > 36,
        "{} documents checked",
        report.documents
    );
    assert_eq!(report.unrepaired(), 0, "{:?}", report.findings);
    let after = showroom_server::check::run(&upgraded.db, false)
        .await
        .expect("the storage check runs");
    assert!(after.findings.is_empty(), "{:?}", after.findings);
    // A manager's device receives every lead.
    let login = upgraded.login("manager").await;
    assert!(!login.session.user.must_change_password);
    assert!(upgraded.state.log_id().await.expect("log id") > 0);
    let addr = upgraded.serve().await;
    let mut device = Device::hello(addr, &login.token, 0).await;
    let (_, docs) = device.caught_up().await;
    let leads = docs
        .iter()
        .filter(|d| d.doc.to_string().starts_with("lead:"))
        .count();
    // The fixture holds the demo month: 36 leads, the dealer document and registers.
    assert_eq!(leads, 36, "{} documents", docs.len());
    assert!(
        docs.iter()
            .any(|d| d.doc.to_string().starts_with("dealer:"))
    );
}

/// Loads an SQL dump into a fresh database at `url` (SQLite file created).
async fn load_dump(url: &str, dump: &'static str) {
    use sqlx::Connection;
    if let Some(path) = url.strip_prefix("sqlite://") {
        let options = path
            .parse::<sqlx::sqlite::SqliteConnectOptions>()
            .map(|o| o.create_if_missing(true))
            .or_else(|_| {
                Ok::<_, sqlx::Error>(
                    sqlx::sqlite::SqliteConnectOptions::new()
                        .filename(path)
                        .create_if_missing(true),
                )
            })
            .expect("options");
        let mut conn = sqlx::SqliteConnection::connect_with(&options)
            .await
            .expect("sqlite opens");
        sqlx::raw_sql(dump)
            .execute(&mut conn)
            .await
            .expect("the dump loads");
        let _ = conn.close().await;
    } else {
        let mut conn = sqlx::PgConnection::connect(url).await.expect("pg opens");
        sqlx::raw_sql(dump)
            .execute(&mut conn)
            .await
            .expect("the dump loads");
        let _ = conn.close().await;
    }
}

async fn every_response_carries_the_security_headers(app: TestApp) {
    for path in [
        "/",
        "/leads/123",
        "/api/v1/me",
        "/healthz",
        "/assets/b1/showroom.js",
    ] {
        let reply = app.call(Method::GET, path, None, None).await;
        assert_eq!(
            reply.header(header::CONTENT_SECURITY_POLICY),
            CONTENT_SECURITY_POLICY,
            "{path}"
        );
        assert_eq!(
            reply.header(header::X_CONTENT_TYPE_OPTIONS),
            "nosniff",
            "{path}"
        );
        assert_eq!(
            reply.header(header::REFERRER_POLICY),
            "no-referrer",
            "{path}"
        );
        assert_eq!(reply.header(header::X_FRAME_OPTIONS), "DENY", "{path}");
        assert!(
            reply
                .header(header::HeaderName::from_static("permissions-policy"))
                .contains("camera=()"),
            "{path}"
        );
        assert_eq!(
            reply.header(header::STRICT_TRANSPORT_SECURITY),
            "",
            "no HSTS over HTTP"
        );
    }
    let csp = CONTENT_SECURITY_POLICY;
    assert!(csp.contains("script-src 'self' 'wasm-unsafe-eval';"));
    assert!(csp.contains("connect-src 'self';") && csp.contains("frame-ancestors 'none'"));
    assert!(!csp.contains("unsafe-inline"));
    let over_tls = app
        .send(request("/", ([192, 168, 1, 30], 50_000), true, &[]))
        .await;
    assert_eq!(
        over_tls.header(header::STRICT_TRANSPORT_SECURITY),
        "max-age=31536000"
    );
}

fn request(path: &str, from: ([u8; 4], u16), tls: bool, headers: &[(&str, &str)]) -> Request<Body> {
    let mut req = Request::builder()
        .method(Method::GET)
        .uri(path)
        .header(header::HOST, "showroom.local:8443");
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let mut req = req.body(Body::empty()).expect("request");
    req.extensions_mut()
        .insert(axum::extract::ConnectInfo(Peer {
            addr: std::net::SocketAddr::from(from),
            tls,
        }));
    req
}

/// Moving from SQLite to PostgreSQL: everything copied, the devices carry
/// on from their cursors (same log, same sequence numbers).
#[tokio::test]
async fn a_sqlite_server_moves_to_postgresql() {
    let app = TestApp::new(Backend::Sqlite).await;
    let addr = app.serve().await;
    let sales1 = app.login("sales1").await;
    let lead = lead_for(&sales1, 7, "搬家客户");
    let mut doc = LeadDoc::create(actor_from_bytes([7; 16]), &lead).expect("doc");
    let mut device = Device::hello(addr, &sales1.token, 0).await;
    device.send(push(1, lead.id, raw_changes(&mut doc))).await;
    let _ = device.caught_up().await;
    assert_eq!(device.ack().await, ok_ack(1));
    let log = device.log;
    drop(device);
    // Where the device's cursor is now.
    let mut again = Device::hello_in(addr, &sales1.token, 0, log).await;
    let (cursor, _) = again.caught_up().await;
    drop(again);

    let url = crate::support::fresh_postgres_database().await;
    let pg = db::Db::connect(&url)
        .await
        .expect("PostgreSQL opens and migrates");
    let (db::Db::Sqlite(from), db::Db::Postgres(to)) = (&app.db, &pg) else {
        panic!("backends")
    };
    let copied = db::copy::sqlite_to_postgres(from, to)
        .await
        .expect("copies");
    assert_eq!(copied.dealers, 2);
    assert_eq!(copied.users, 4);
    assert_eq!(
        (
            copied.sessions,
            copied.documents,
            copied.changes,
            copied.summaries
        ),
        (1, 1, 1, 1)
    );
    assert!(matches!(
        db::copy::sqlite_to_postgres(from, to).await,
        Err(db::copy::CopyError::NotEmpty)
    ));
    pg.close().await;

    let moved = TestApp::on_database(&url).await;
    let addr = moved.serve().await;
    // The same session, the same log, the same cursor: nothing to redo.
    assert_eq!(
        moved.get(paths::ME, &sales1.token).await.status,
        StatusCode::OK
    );
    let mut device = Device::hello_in(addr, &sales1.token, cursor, log).await;
    let (to, docs) = device.caught_up().await;
    assert_eq!(device.resets, 0, "a move is not a restore");
    assert_eq!(
        (to, docs.len()),
        (cursor, 0),
        "nothing new for a device that was up to date"
    );
    drop(device);
    let manager = moved.login("manager").await;
    let mut other = Device::hello(addr, &manager.token, 0).await;
    let (_, docs) = other.caught_up().await;
    assert!(
        docs.iter().any(|d| d.doc == lead.id.into()),
        "the lead moved"
    );
    // New work carries on from the copied sequence numbers.
    let second = lead_for(&sales1, 8, "搬家以后");
    let mut doc2 = LeadDoc::create(actor_from_bytes([7; 16]), &second).expect("doc");
    let mut device = Device::hello_in(addr, &sales1.token, cursor, log).await;
    let _ = device.caught_up().await;
    device
        .send(push(1, second.id, raw_changes(&mut doc2)))
        .await;
    assert_eq!(device.ack().await, ok_ack(1));
}

mod https {
    use super::*;

    /// With TLS on, plain HTTP from the showroom network goes to HTTPS;
    /// this machine (monitoring, a proxy) and the CA certificate do not.
    #[tokio::test]
    async fn plain_http_from_the_network_is_redirected_to_https() {
        let app = TestApp::with_options(
            Backend::Sqlite,
            &[
                "--tls-cert",
                "/nonexistent/server.crt",
                "--tls-key",
                "/nonexistent/server.key",
                "--trusted-proxies",
                "10.0.0.1",
            ],
        )
        .await;
        let lan = ([192, 168, 1, 30], 50_000);
        let reply = app.send(request("/leads?q=1", lan, false, &[])).await;
        assert_eq!(reply.status, StatusCode::PERMANENT_REDIRECT);
        assert_eq!(
            reply.header(header::LOCATION),
            "https://showroom.local:8443/leads?q=1"
        );
        assert_eq!(
            reply.header(header::CONTENT_SECURITY_POLICY),
            CONTENT_SECURITY_POLICY
        );
        let api = app.send(request("/api/v1/me", lan, false, &[])).await;
        assert_eq!(api.status, StatusCode::PERMANENT_REDIRECT, "the API too");
        let over_tls = app.send(request("/", lan, true, &[])).await;
        assert_eq!(over_tls.status, StatusCode::OK);
        let local = app
            .send(request("/healthz", ([127, 0, 0, 1], 40_000), false, &[]))
            .await;
        assert_eq!(local.status, StatusCode::OK, "loopback is served as it is");
        let ca = app.send(request(paths::CA_CERT, lan, false, &[])).await;
        assert_eq!(
            ca.status,
            StatusCode::NOT_FOUND,
            "no CA configured, but not redirected"
        );
        // A trusted proxy that terminated TLS says so; anyone else's word is ignored.
        let proxied = app
            .send(request(
                "/",
                ([10, 0, 0, 1], 40_000),
                false,
                &[("x-forwarded-proto", "https")],
            ))
            .await;
        assert_eq!(proxied.status, StatusCode::OK);
        assert_eq!(
            proxied.header(header::STRICT_TRANSPORT_SECURITY),
            "max-age=31536000"
        );
        let forged = app
            .send(request("/", lan, false, &[("x-forwarded-proto", "https")]))
            .await;
        assert_eq!(forged.status, StatusCode::PERMANENT_REDIRECT);
    }
}
