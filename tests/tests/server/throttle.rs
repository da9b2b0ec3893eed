//! The login throttle: per username and per client address, kept in the
//! database so that every server process on it counts the same failures.

use std::net::SocketAddr;

use axum::http::{StatusCode, header};
use showroom_server::db::Db;
use showroom_shared::api::paths;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::support::{Reply, TestApp, both_backends};

const GUESSER: &str = "203.0.113.7:50000";
const SHOWROOM: &str = "198.51.100.20:40000";

fn peer(s: &str) -> SocketAddr {
    s.parse().expect("socket address")
}

/// Retry-After of a refused attempt (and that it is a refusal).
fn refused(reply: &Reply) -> String {
    assert_eq!(
        (reply.status, reply.code().as_str()),
        (StatusCode::TOO_MANY_REQUESTS, "too_many_requests"),
        "{}",
        String::from_utf8_lossy(&reply.bytes)
    );
    reply.header(header::RETRY_AFTER)
}

/// (kind, key, failures) of every stored throttle row, sorted.
async fn rows(db: &Db) -> Vec<(String, String, i64)> {
    let sql = "SELECT kind, key, failures FROM login_throttle ORDER BY kind, key";
    match db {
        Db::Sqlite(pool) => sqlx::query_as(sql).fetch_all(pool).await,
        Db::Postgres(pool) => sqlx::query_as(sql).fetch_all(pool).await,
    }
    .expect("login_throttle readable")
}

async fn many_usernames_from_one_address_are_slowed(app: TestApp) {
    let guesser = peer(GUESSER);
    // Twenty failures from one address, each at a different username (known
    // or not), so the per-username throttle never triggers; a forged
    // X-Forwarded-For on each changes nothing.
    for i in 0..20 {
        let forged = format!("10.0.0.{i}");
        let reply = app
            .try_login_from(
                guesser,
                &format!("guess{i}"),
                "hunter2",
                &[("x-forwarded-for", &forged)],
            )
            .await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "attempt {i}");
    }
    let locked = app
        .try_login_from(
            guesser,
            "guess20",
            "hunter2",
            &[("x-forwarded-for", "10.9.9.9")],
        )
        .await;
    assert_eq!(refused(&locked), "30");
    // While the address is locked even a right password from it waits…
    let right = app.try_login_from(guesser, "sales1", "showroom", &[]).await;
    assert_eq!(refused(&right), "30");
    // …but the same user elsewhere is not locked out by the guesser, and
    // a neighbour with the same port does not share the lock.
    let elsewhere = app
        .try_login_from(peer(SHOWROOM), "sales1", "showroom", &[])
        .await;
    assert_eq!(elsewhere.status, StatusCode::OK);
    let neighbour = app
        .try_login_from(peer("203.0.113.8:50000"), "guess21", "hunter2", &[])
        .await;
    assert_eq!(neighbour.status, StatusCode::UNAUTHORIZED);

    app.advance(31 * 1000);
    // A right password is let through after the lock, and does not wipe the
    // address's count: the next failure locks again, for twice as long.
    let ok = app.try_login_from(guesser, "sales2", "showroom", &[]).await;
    assert_eq!(ok.status, StatusCode::OK);
    let again = app.try_login_from(guesser, "guess22", "hunter2", &[]).await;
    assert_eq!(refused(&again), "60");

    // Fifteen minutes after its last failure, with no lock in force, the
    // address starts afresh.
    app.advance(60 * 1000 + 15 * 60 * 1000);
    let fresh = app.try_login_from(guesser, "guess23", "hunter2", &[]).await;
    assert_eq!(fresh.status, StatusCode::UNAUTHORIZED);
}

async fn the_username_throttle_holds_whatever_the_address(app: TestApp) {
    // Five failures at sales1, each from another address, are free…
    for i in 0..5 {
        let from = peer(&format!("192.0.2.{}:1234", i + 1));
        let reply = app.try_login_from(from, "Sales1", "guess", &[]).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "attempt {i}");
    }
    // …the sixth locks sales1 for 30 s, from anywhere and without connection
    // info, and the right password waits too.
    let sixth = app
        .try_login_from(peer("192.0.2.99:1"), "sales1", "guess", &[])
        .await;
    assert_eq!(refused(&sixth), "30");
    let right = app
        .try_login_from(peer("192.0.2.100:1"), "sales1", "showroom", &[])
        .await;
    assert_eq!(refused(&right), "30");
    assert_eq!(
        refused(&app.try_login("sales1", "showroom", "Tablet").await),
        "30"
    );
    app.login("sales2").await;

    // After the lock the right password signs in and clears sales1's count:
    // five more failures are free again.
    app.advance(30 * 1000);
    app.login("sales1").await;
    for i in 0..5 {
        let reply = app.try_login("sales1", "guess", "Tablet").await;
        assert_eq!(
            reply.status,
            StatusCode::UNAUTHORIZED,
            "attempt {i} after success"
        );
    }
    assert_eq!(
        refused(&app.try_login("sales1", "guess", "Tablet").await),
        "30"
    );

    // Unknown usernames are counted just like known ones.
    for _ in 0..5 {
        let reply = app.try_login("nobody", "guess", "Tablet").await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(
        refused(&app.try_login("nobody", "guess", "Tablet").await),
        "30"
    );
}

async fn two_servers_on_one_database_share_the_throttle(app: TestApp) {
    let other = app.second_server().await;
    // Username: three failures on one server and two on the other are the
    // five free ones; the sixth locks sales1 on both.
    for _ in 0..3 {
        assert_eq!(
            app.try_login("sales1", "guess", "Tablet").await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    for _ in 0..2 {
        assert_eq!(
            other.try_login("sales1", "guess", "Tablet").await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        refused(&app.try_login("sales1", "guess", "Tablet").await),
        "30"
    );
    assert_eq!(
        refused(&other.try_login("sales1", "showroom", "Tablet").await),
        "30"
    );

    // Address: failures from one address add up across the servers.
    let guesser = peer(GUESSER);
    for i in 0..20 {
        let server = if i % 2 == 0 { &app } else { &other };
        let reply = server
            .try_login_from(guesser, &format!("guess{i}"), "hunter2", &[])
            .await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "attempt {i}");
    }
    let locked = other
        .try_login_from(guesser, "guess20", "hunter2", &[])
        .await;
    assert_eq!(refused(&locked), "30");
    assert_eq!(
        refused(&app.try_login_from(guesser, "sales2", "showroom", &[]).await),
        "30"
    );

    // A success on one server clears the username for the other.
    app.advance(31 * 1000);
    other.login("sales1").await;
    for _ in 0..5 {
        assert_eq!(
            app.try_login("sales1", "guess", "Tablet").await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    // The state is in the database, readable from either pool.
    let stored = rows(&other.db).await;
    assert!(
        stored.contains(&("address".into(), "203.0.113.7".into(), 21)),
        "{stored:?}"
    );
    assert!(
        stored.contains(&("username".into(), "sales1".into(), 5)),
        "{stored:?}"
    );
    assert_eq!(rows(&app.db).await, stored);
}

async fn a_burst_of_parallel_guesses_gets_only_the_free_ones(app: TestApp) {
    // Thirty guesses at once: each is counted when it is admitted, before its
    // password is checked, so only the five free ones and the one that starts
    // the lock are checked at all; the rest are refused without counting.
    let guesses = (0..30).map(|_| app.try_login("sales1", "guess", "Tablet"));
    let replies = futures_util::future::join_all(guesses).await;
    let unauthorized = replies
        .iter()
        .filter(|r| r.status == StatusCode::UNAUTHORIZED)
        .count();
    let too_many = replies
        .iter()
        .filter(|r| r.status == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert_eq!((unauthorized, too_many), (5, 25));
    assert_eq!(
        rows(&app.db).await,
        vec![("username".into(), "sales1".into(), 6)]
    );
}

/// POSTs a login over a real TCP connection; returns the status and Retry-After.
async fn login_over_tcp(addr: SocketAddr, username: &str, forwarded_for: &str) -> (u16, String) {
    let body =
        serde_json::json!({ "username": username, "password": "hunter2", "device_name": "Tablet" })
            .to_string();
    let request = format!(
        "POST {} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nX-Forwarded-For: {forwarded_for}\r\nConnection: close\r\n\r\n{body}",
        paths::LOGIN,
        body.len()
    );
    let mut stream = tokio::net::TcpStream::connect(addr)
        .await
        .expect("connects");
    stream
        .write_all(request.as_bytes())
        .await
        .expect("request sent");
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.expect("answer read");
    let answer = String::from_utf8_lossy(&answer);
    let status = answer
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let retry_after = answer
        .lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("retry-after")
                .then(|| value.trim().to_owned())
        })
        .unwrap_or_default();
    (status, retry_after)
}

async fn the_real_server_counts_by_the_tcp_peer(app: TestApp) {
    let addr = app.serve().await;
    for i in 0..20 {
        let (status, _) = login_over_tcp(addr, &format!("guess{i}"), &format!("10.0.0.{i}")).await;
        assert_eq!(status, 401, "attempt {i}");
    }
    assert_eq!(
        login_over_tcp(addr, "guess20", "10.1.1.1").await,
        (429, "30".to_owned())
    );
    let stored = rows(&app.db).await;
    assert!(
        stored.contains(&("address".into(), "127.0.0.1".into(), 21)),
        "{stored:?}"
    );
}

both_backends!(
    many_usernames_from_one_address_are_slowed,
    the_username_throttle_holds_whatever_the_address,
    two_servers_on_one_database_share_the_throttle,
    a_burst_of_parallel_guesses_gets_only_the_free_ones,
    the_real_server_counts_by_the_tcp_peer,
);
