//! Two real server processes on one PostgreSQL database (issue 6): each
//! delivers the other's changes live (LISTEN/NOTIFY), an ended session is cut
//! on both, and the login throttle counts across both.

use std::net::SocketAddr;

use showroom_shared::doc::{LeadDoc, actor_from_bytes};
use showroom_shared::domain::LeadId;
use showroom_shared::sync::{ServerMsg, SyncErrorCode};
use uuid::Uuid;

use crate::durability::{ChildServer, login};
use crate::sync::{Device, ok_ack, push, raw_changes};

/// Reads until a `Changes` message naming `doc` arrives.
async fn receives(device: &mut Device, doc: LeadId) {
    loop {
        match device.recv().await {
            Some(ServerMsg::Changes { docs, .. }) if docs.iter().any(|d| d.doc == doc.into()) => {
                return;
            }
            Some(ServerMsg::Changes { .. }) => continue,
            other => panic!("expected the other process's change, got {other:?}"),
        }
    }
}

async fn raw_http(addr: &str, request: String) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut tcp = tokio::net::TcpStream::connect(addr).await.expect("connect");
    tcp.write_all(request.as_bytes()).await.expect("send");
    let mut reply = String::new();
    tcp.read_to_string(&mut reply).await.expect("read");
    reply
}

#[tokio::test]
async fn two_server_processes_share_changes_sessions_and_the_throttle() {
    let url = crate::support::fresh_postgres_database().await;
    // One after the other: the first seeds the demo data.
    let a = ChildServer::start(&url);
    let b = ChildServer::start(&url);
    let addr_a: SocketAddr = a.addr.parse().expect("address");
    let addr_b: SocketAddr = b.addr.parse().expect("address");
    let (sales1, session) = login(&a.addr, "sales1").await;
    let (manager, manager_session) = login(&b.addr, "manager").await;

    let mut on_a = Device::hello(addr_a, &sales1, 0).await;
    on_a.caught_up().await;
    let mut on_b = Device::hello(addr_b, &manager, 0).await;
    on_b.caught_up().await;

    // A change pushed to A reaches the device connected to B, live.
    let lead = crate::sync::lead_of(&session, LeadId::from_uuid(Uuid::new_v4()), "Across");
    let mut doc = LeadDoc::create(actor_from_bytes([1; 16]), &lead).expect("doc");
    on_a.send(push(1, lead.id, raw_changes(&mut doc))).await;
    assert_eq!(on_a.ack().await, ok_ack(1));
    receives(&mut on_b, lead.id).await;

    // And the other way round (a pool lead: sales1 may see it).
    let mut other =
        crate::sync::lead_of(&manager_session, LeadId::from_uuid(Uuid::new_v4()), "Back");
    other.owner = None;
    let mut other_doc = LeadDoc::create(actor_from_bytes([2; 16]), &other).expect("doc");
    on_b.send(push(1, other.id, raw_changes(&mut other_doc)))
        .await;
    assert_eq!(on_b.ack().await, ok_ack(1));
    receives(&mut on_a, other.id).await;

    // sales1 signs out through B: its connection to A ends at once.
    let reply = raw_http(
        &b.addr,
        format!(
            "POST /api/v1/auth/logout HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {sales1}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            b.addr
        ),
    )
    .await;
    assert!(reply.starts_with("HTTP/1.1 204"), "{reply}");
    loop {
        match on_a.recv().await {
            Some(ServerMsg::Error { code, .. }) => {
                assert_eq!(code, SyncErrorCode::Unauthorized);
                break;
            }
            Some(ServerMsg::Changes { .. }) => continue,
            other => panic!("expected the connection to end, got {other:?}"),
        }
    }

    // Failed sign-ins on A count on B too.
    let attempt = |addr: &str| {
        let body = r#"{"username":"sales2","password":"wrong password","device_name":"x"}"#;
        format!(
            "POST /api/v1/auth/login HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
    };
    for _ in 0..5 {
        let reply = raw_http(&a.addr, attempt(&a.addr)).await;
        assert!(reply.starts_with("HTTP/1.1 401"), "{reply}");
    }
    let reply = raw_http(&b.addr, attempt(&b.addr)).await;
    assert!(
        reply.starts_with("HTTP/1.1 429"),
        "B did not count A's failures: {reply}"
    );
}
