//! Test harness: a fresh database per test on either backend, the demo data
//! seeded, a manual clock, and helpers to call the API as a device would.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use clap::Parser;
use http_body_util::BodyExt;
use serde_json::Value;
use showroom_server::clock::Clock;
use showroom_server::config::Config;
use showroom_server::db::Db;
use showroom_server::{AppState, app, demo};
use showroom_shared::api::{LoginResponse, paths};
use sqlx::Connection;
use tower::ServiceExt;

/// The two storage backends every server test runs on.
#[derive(Clone, Copy, Debug)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Start of the manual clock: 2026-11-27 00:00 UTC.
pub const T0: i64 = 1_795_737_600_000;

pub struct TestApp {
    router: Router,
    /// The state behind the router (its sync counters, hub and writer).
    pub state: AppState,
    pub db: Db,
    clock: Arc<AtomicI64>,
    server_clock: Clock,
    url: String,
    dir: PathBuf,
    /// Whether dropping this app deletes `dir` (a second server borrows it).
    owns_dir: bool,
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub bytes: Vec<u8>,
}

/// A request body (`serde_json::to_value`, without naming serde here).
pub trait ToJson {
    fn to_json(&self) -> Value;
}

impl ToJson for showroom_shared::api::CollisionDecision {
    fn to_json(&self) -> Value {
        serde_json::to_value(self).expect("serialises")
    }
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.bytes).unwrap_or_else(|_| {
            panic!(
                "not JSON ({}): {}",
                self.status,
                String::from_utf8_lossy(&self.bytes)
            )
        })
    }

    pub fn code(&self) -> String {
        self.json()["code"].as_str().unwrap_or_default().to_owned()
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes).into_owned()
    }

    pub fn header(&self, name: header::HeaderName) -> String {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    }
}

impl TestApp {
    pub async fn new(backend: Backend) -> TestApp {
        TestApp::build(backend, true, &[]).await
    }

    /// A fresh server with no dealer (a real install before its set-up).
    pub async fn empty(backend: Backend) -> TestApp {
        TestApp::build(backend, false, &[]).await
    }

    /// The demo server with extra command-line options (`--tls-cert …`).
    pub async fn with_options(backend: Backend, options: &[&str]) -> TestApp {
        TestApp::build(backend, true, options).await
    }

    /// A server on the existing database `url` (a restored one), its files in
    /// a new folder.
    pub async fn on_database(url: &str) -> TestApp {
        TestApp::open(fresh_dir(), url.to_owned(), false, &[]).await
    }

    /// The database's URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The test's own folder (removed with the app).
    pub fn dir(&self) -> &std::path::Path {
        &self.dir
    }

    async fn build(backend: Backend, seed: bool, options: &[&str]) -> TestApp {
        let dir = fresh_dir();
        let url = match backend {
            Backend::Sqlite => format!("sqlite://{}", dir.join("showroom.db").display()),
            Backend::Postgres => fresh_postgres_database().await,
        };
        TestApp::open(dir, url, seed, options).await
    }

    /// Opens (and migrates) the database at `url` for a server whose files
    /// are in `dir`, seeding the demo data when asked.
    async fn open(dir: PathBuf, url: String, seed: bool, options: &[&str]) -> TestApp {
        let db = Db::connect(&url)
            .await
            .expect("database opens and migrates");
        let (clock, handle) = Clock::manual(T0);
        if seed {
            demo::seed_if_empty(&db, &clock)
                .await
                .expect("demo data seeds");
        }
        let config = config_for(&dir.join("static"), options);
        let state = AppState::new(db.clone(), clock.clone(), &config);
        TestApp {
            router: app(state.clone()),
            state,
            db,
            clock: handle,
            server_clock: clock,
            url,
            dir,
            owns_dir: true,
        }
    }

    /// A second server on the same database, as another process would be:
    /// its own connection pool and `AppState` (throttle, hub), the same clock.
    pub async fn second_server(&self) -> TestApp {
        let db = Db::connect(&self.url)
            .await
            .expect("second server opens the database");
        let config = config_for(&self.dir.join("static"), &[]);
        let state = AppState::new(db.clone(), self.server_clock.clone(), &config);
        TestApp {
            router: app(state.clone()),
            state,
            db,
            clock: self.clock.clone(),
            server_clock: self.server_clock.clone(),
            url: self.url.clone(),
            dir: self.dir.clone(),
            owns_dir: false,
        }
    }

    /// Moves the server's clock forward.
    pub fn advance(&self, ms: i64) {
        self.clock.fetch_add(ms, Ordering::SeqCst);
    }

    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Reply {
        let mut req = Request::builder().method(method).uri(path);
        if let Some(token) = token {
            req = req.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        let req = match body {
            Some(body) => req
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(body.to_string())),
            None => req.body(Body::empty()),
        }
        .expect("request builds");
        self.send(req).await
    }

    pub async fn send(&self, req: Request<Body>) -> Reply {
        let response = self
            .router
            .clone()
            .oneshot(req)
            .await
            .expect("router is infallible");
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response
            .into_body()
            .collect()
            .await
            .expect("body reads")
            .to_bytes()
            .to_vec();
        Reply {
            status,
            headers,
            bytes,
        }
    }

    pub async fn get(&self, path: &str, token: &str) -> Reply {
        self.call(Method::GET, path, Some(token), None).await
    }

    pub async fn post_json(&self, path: &str, token: &str, body: &impl ToJson) -> Reply {
        let body = body.to_json();
        self.call(Method::POST, path, Some(token), Some(body)).await
    }

    pub async fn try_login(&self, username: &str, password: &str, device: &str) -> Reply {
        let body = serde_json::json!({ "username": username, "password": password, "device_name": device });
        self.call(Method::POST, paths::LOGIN, None, Some(body))
            .await
    }

    /// A login attempt as if it came over a connection from `peer` (what
    /// `serve` attaches to each request), with `headers` added.
    pub async fn try_login_from(
        &self,
        peer: std::net::SocketAddr,
        username: &str,
        password: &str,
        headers: &[(&str, &str)],
    ) -> Reply {
        let body = serde_json::json!({ "username": username, "password": password, "device_name": "Tablet" });
        let mut req = Request::builder()
            .method(Method::POST)
            .uri(paths::LOGIN)
            .header(header::CONTENT_TYPE, "application/json");
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        let mut req = req
            .body(Body::from(body.to_string()))
            .expect("request builds");
        req.extensions_mut()
            .insert(axum::extract::ConnectInfo(showroom_server::tls::Peer {
                addr: peer,
                tls: false,
            }));
        self.send(req).await
    }

    /// Signs in a demo user on a named device and returns the login answer.
    pub async fn login_on(&self, username: &str, device: &str) -> LoginResponse {
        let reply = self.try_login(username, demo::DEMO_PASSWORD, device).await;
        assert_eq!(
            reply.status,
            StatusCode::OK,
            "{}",
            String::from_utf8_lossy(&reply.bytes)
        );
        serde_json::from_slice(&reply.bytes).expect("login response")
    }

    pub async fn login(&self, username: &str) -> LoginResponse {
        self.login_on(username, "Test tablet").await
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if self.owns_dir {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// A new folder of the test's own with the static files a server serves.
fn fresh_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("showroom-test-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(dir.join("static/assets/b1")).expect("temp dir");
    for (path, text) in [
        (
            "static/index.html",
            "<!doctype html><title>Showroom</title>",
        ),
        ("static/sw.js", "// service worker"),
        ("static/manifest.webmanifest", "{}"),
        ("static/assets/b1/showroom.js", "export default 1;"),
    ] {
        std::fs::write(dir.join(path), text).expect("static file");
    }
    dir
}

/// Creates an empty database in the test cluster named by
/// `SHOWROOM_TEST_PG_URL` (which `cargo xtask test` starts) and returns its URL.
pub async fn fresh_postgres_database() -> String {
    let admin = std::env::var("SHOWROOM_TEST_PG_URL").unwrap_or_else(|_| {
        panic!(
            "SHOWROOM_TEST_PG_URL is not set: the PostgreSQL half of the server tests needs a cluster. \
             Run `cargo xtask test`, which starts a throwaway one, or point SHOWROOM_TEST_PG_URL at \
             postgres://user@host:port/db of a server where that user may CREATE DATABASE."
        )
    });
    let name = format!("showroom_test_{}", uuid::Uuid::new_v4().simple());
    let mut conn = sqlx::PgConnection::connect(&admin)
        .await
        .expect("connects to SHOWROOM_TEST_PG_URL");
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await
        .expect("CREATE DATABASE");
    let _ = conn.close().await;
    let base = admin.split('?').next().unwrap_or(&admin);
    let (server, _) = base.rsplit_once('/').expect("URL has a database part");
    format!("{server}/{name}")
}

/// Runs each listed test on both backends: `both_backends!(a, b)` makes
/// `sqlite::a`, `postgres::a`, … calling `a(app)` with a fresh `TestApp`.
macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    super::$name($crate::support::TestApp::new($crate::support::Backend::Sqlite).await).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $name() {
                    super::$name($crate::support::TestApp::new($crate::support::Backend::Postgres).await).await
                }
            )*
        }
    };
}
pub(crate) use both_backends;

/// The server's configuration as the binary would parse it, with the test's static dir.
fn config_for(static_dir: &std::path::Path, options: &[&str]) -> Config {
    let static_dir = static_dir.display().to_string();
    let mut args = vec![
        "showroom-server",
        "--static-dir",
        &static_dir,
        // Short, so the test of a socket that never says Hello is quick.
        "--sync-hello-timeout-ms",
        "1500",
    ];
    args.extend_from_slice(options);
    Config::parse_from(args)
}

impl TestApp {
    /// Serves the same app on a real loopback socket (for WebSockets).
    pub async fn serve(&self) -> std::net::SocketAddr {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let addr = listener.local_addr().expect("local addr");
        let router = self.router.clone();
        tokio::spawn(async move {
            let _ = showroom_server::serve(
                showroom_server::tls::PlainListener(listener),
                router,
                std::future::pending(),
            )
            .await;
        });
        addr
    }
}
