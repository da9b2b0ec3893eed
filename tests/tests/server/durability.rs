//! "A kill -9 at any moment loses nothing that was acknowledged": a real
//! server process is killed while a device pushes batch after batch; after a
//! restart on the same database every acknowledged change is there.
//!
//! The server runs in a child process: this test binary started again with
//! `child_server` as the only test and the server's configuration in the
//! environment.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use showroom_shared::doc::{LeadDoc, actor_from_bytes};
use showroom_shared::domain::LeadId;
use showroom_shared::sync::{ClientMsg, DocChanges, PROTOCOL_VERSION, ServerMsg};
use tokio_tungstenite::tungstenite::Message;
use uuid::Uuid;

use crate::support::Backend;

const CHILD_ENV: &str = "SHOWROOM_TEST_CHILD_SERVER";

/// Entry point of the child server process; does nothing in a normal run.
#[test]
#[ignore = "the child process of the kill -9 tests runs this"]
fn child_server() {
    if std::env::var_os(CHILD_ENV).is_none() {
        return;
    }
    use clap::Parser;
    let config = showroom_server::config::Config::parse_from(["showroom-server"]);
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    if let Err(e) = runtime.block_on(showroom_server::run(config)) {
        eprintln!("child server: {e}");
        std::process::exit(1);
    }
}

pub(crate) struct ChildServer {
    child: Child,
    pub(crate) addr: String,
}

impl ChildServer {
    pub(crate) fn start(database_url: &str) -> ChildServer {
        let mut child = Command::new(std::env::current_exe().expect("test binary"))
            .args([
                "--ignored",
                "--exact",
                "durability::child_server",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_ENV, "1")
            .env("DATABASE_URL", database_url)
            .env("SHOWROOM_ADDR", "127.0.0.1:0")
            .env("SHOWROOM_SEED_DEMO", "true")
            .env("SHOWROOM_STATIC_DIR", "/nonexistent")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("child server starts");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let addr = loop {
            let line = lines
                .next()
                .expect("child printed its address")
                .expect("stdout readable");
            // libtest prints "test … ... " before the server's own line.
            if let Some((_, rest)) = line.split_once("Showroom listening on http://") {
                break rest.trim().to_owned();
            }
        };
        // Keep draining stdout so the child never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        ChildServer { child, addr }
    }

    fn kill_9(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for ChildServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) async fn login(
    addr: &str,
    username: &str,
) -> (String, showroom_shared::api::SessionInfo) {
    // A raw HTTP/1.1 request: the test needs nothing more than this.
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let body = serde_json::json!({"username": username, "password": "showroom", "device_name": "Kill test"}).to_string();
    let mut tcp = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let req = format!(
        "POST /api/v1/auth/login HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    tcp.write_all(req.as_bytes()).await.expect("send");
    let mut reply = String::new();
    tcp.read_to_string(&mut reply).await.expect("read");
    let json = reply.split("\r\n\r\n").nth(1).expect("body");
    let login: showroom_shared::api::LoginResponse =
        serde_json::from_str(json).expect("login response");
    (login.token, login.session)
}

async fn killed_mid_stream_loses_no_acknowledged_change(backend: Backend) {
    let dir = std::env::temp_dir().join(format!("showroom-kill-{}", Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).expect("dir");
    let url = match backend {
        Backend::Sqlite => format!("sqlite://{}", dir.join("kill.db").display()),
        Backend::Postgres => crate::support::fresh_postgres_database().await,
    };
    let server = ChildServer::start(&url);
    let (token, session) = login(&server.addr, "sales1").await;
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{}/sync", server.addr))
        .await
        .expect("ws");
    let hello = ClientMsg::Hello {
        protocol: PROTOCOL_VERSION,
        token: token.clone(),
        cursor: 0,
        log: 0,
    };
    ws.send(Message::Binary(hello.encode().into()))
        .await
        .expect("hello");

    // Push 200 one-lead batches without waiting; kill the server after the 40th ack.
    let mut leads = Vec::new();
    for i in 0..200u64 {
        let lead = crate::sync::lead_of(
            &session,
            LeadId::from_uuid(Uuid::new_v4()),
            &format!("Kill {i}"),
        );
        let mut doc = LeadDoc::create(actor_from_bytes([4; 16]), &lead).expect("doc");
        let changes = doc
            .changes_since(&[])
            .iter()
            .map(|c| c.raw_bytes().to_vec())
            .collect();
        let push = ClientMsg::Push {
            batch: i + 1,
            docs: vec![DocChanges {
                doc: lead.id.into(),
                changes,
            }],
        };
        ws.send(Message::Binary(push.encode().into()))
            .await
            .expect("push");
        leads.push(lead.id);
    }
    let mut acked: Vec<LeadId> = Vec::new();
    while acked.len() < 40 {
        match tokio::time::timeout(Duration::from_secs(30), ws.next())
            .await
            .expect("acks arrive")
        {
            Some(Ok(Message::Binary(b))) => {
                if let Ok(ServerMsg::Ack { batch, refused }) = ServerMsg::decode(&b) {
                    assert!(refused.is_empty());
                    acked.push(leads[(batch - 1) as usize]);
                }
            }
            Some(Ok(_)) => {}
            other => panic!("connection ended early: {other:?}"),
        }
    }
    server.kill_9();
    // Acks already on the wire when the process died count too.
    while let Ok(Some(Ok(Message::Binary(b)))) =
        tokio::time::timeout(Duration::from_millis(200), ws.next()).await
    {
        if let Ok(ServerMsg::Ack { batch, .. }) = ServerMsg::decode(&b) {
            acked.push(leads[(batch - 1) as usize]);
        }
    }

    // Restart on the same database and read everything back as another device.
    let server = ChildServer::start(&url);
    let (manager, _) = login(&server.addr, "manager").await;
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{}/sync", server.addr))
        .await
        .expect("ws");
    let hello = ClientMsg::Hello {
        protocol: PROTOCOL_VERSION,
        token: manager,
        cursor: 0,
        log: 0,
    };
    ws.send(Message::Binary(hello.encode().into()))
        .await
        .expect("hello");
    let mut present = std::collections::HashSet::new();
    loop {
        match tokio::time::timeout(Duration::from_secs(30), ws.next())
            .await
            .expect("changes arrive")
        {
            Some(Ok(Message::Binary(b))) => match ServerMsg::decode(&b).expect("decodes") {
                ServerMsg::Changes { docs, complete, .. } => {
                    present.extend(docs.into_iter().map(|d| d.doc));
                    if complete {
                        break;
                    }
                }
                ServerMsg::Log { reset: false, .. } => {}
                other => panic!("{other:?}"),
            },
            Some(Ok(_)) => {}
            other => panic!("connection ended: {other:?}"),
        }
    }
    for lead in &acked {
        assert!(
            present.contains(&showroom_shared::domain::DocId::lead(*lead)),
            "an acknowledged lead was lost by kill -9"
        );
    }
    eprintln!(
        "{} acknowledged before the kill, {} stored after restart",
        acked.len(),
        present.len()
    );
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn sqlite_killed_mid_stream_loses_no_acknowledged_change() {
    killed_mid_stream_loses_no_acknowledged_change(Backend::Sqlite).await;
}

#[tokio::test]
async fn postgres_killed_mid_stream_loses_no_acknowledged_change() {
    killed_mid_stream_loses_no_acknowledged_change(Backend::Postgres).await;
}
