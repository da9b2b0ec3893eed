//! Several server processes on one PostgreSQL database: each tells the
//! others what it committed and which sessions ended, through PostgreSQL's
//! LISTEN/NOTIFY (no home-made cluster). A process that hears of another's
//! commit reads those changes from the log once and hands them to its own
//! connections like one of its own commits; an ended session closes its
//! connections wherever they are. If the link drops, every connection of
//! this process re-checks its session and reads the log, so nothing is
//! missed for good. SQLite has one process by nature: nothing to do.

use std::sync::Arc;
use std::time::Duration;

use showroom_shared::domain::{DealerId, DeviceId, UserId};
use showroom_shared::sync::limits;
use sqlx::PgPool;
use sqlx::postgres::PgListener;
use tokio::sync::mpsc;

use crate::db::{self, Db};
use crate::hub::{Commit, Hub, Notice, Signal};

/// The NOTIFY channel.
pub const CHANNEL: &str = "showroom_sync";

/// Starts the bridge when the database is PostgreSQL.
pub fn start(db: &Db, hub: Arc<Hub>) {
    let Db::Postgres(pool) = db else {
        return;
    };
    let instance = uuid::Uuid::new_v4().simple().to_string();
    let (tx, rx) = mpsc::unbounded_channel();
    hub.attach_cluster(tx);
    tokio::spawn(send(pool.clone(), instance.clone(), rx));
    tokio::spawn(listen(pool.clone(), db.clone(), instance, hub));
}

fn encode(instance: &str, notice: &Notice) -> String {
    match notice {
        Notice::Committed { dealer, from, to } => format!("{instance} c {dealer} {from} {to}"),
        Notice::DeviceEnded { dealer, device } => format!("{instance} d {dealer} {device}"),
        Notice::UserEnded { dealer, user } => format!("{instance} u {dealer} {user}"),
    }
}

/// A notice of another process (`None` for our own or anything unreadable).
fn decode(instance: &str, payload: &str) -> Option<Notice> {
    let mut parts = payload.split(' ');
    if parts.next()? == instance {
        return None;
    }
    let kind = parts.next()?;
    let dealer: DealerId = parts.next()?.parse().ok()?;
    let notice = match kind {
        "c" => Notice::Committed {
            dealer,
            from: parts.next()?.parse().ok()?,
            to: parts.next()?.parse().ok()?,
        },
        "d" => Notice::DeviceEnded {
            dealer,
            device: parts.next()?.parse::<DeviceId>().ok()?,
        },
        "u" => Notice::UserEnded {
            dealer,
            user: parts.next()?.parse::<UserId>().ok()?,
        },
        _ => return None,
    };
    Some(notice)
}

async fn send(pool: PgPool, instance: String, mut rx: mpsc::UnboundedReceiver<Notice>) {
    while let Some(notice) = rx.recv().await {
        let payload = encode(&instance, &notice);
        if let Err(err) = db::notify::notify(&pool, CHANNEL, &payload).await {
            tracing::warn!(%err, "cannot tell the other server processes");
        }
    }
}

async fn listen(pool: PgPool, db: Db, instance: String, hub: Arc<Hub>) {
    loop {
        let mut listener = match PgListener::connect_with(&pool).await {
            Ok(l) => l,
            Err(err) => {
                tracing::warn!(%err, "cannot listen to the other server processes; retrying");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        if let Err(err) = listener.listen(CHANNEL).await {
            tracing::warn!(%err, "LISTEN failed; retrying");
            tokio::time::sleep(Duration::from_secs(1)).await;
            continue;
        }
        // Whatever was said while we were not listening.
        hub.recheck_all();
        loop {
            match listener.try_recv().await {
                Ok(Some(n)) => {
                    if let Some(notice) = decode(&instance, n.payload()) {
                        heard(&db, &hub, notice).await;
                    }
                }
                // The link dropped (the next call reconnects): events may be lost.
                Ok(None) => hub.recheck_all(),
                Err(err) => {
                    tracing::warn!(%err, "the link to the other server processes failed");
                    hub.recheck_all();
                    break;
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn heard(db: &Db, hub: &Hub, notice: Notice) {
    match notice {
        Notice::DeviceEnded { dealer, device } => {
            hub.publish_local(dealer, Signal::DeviceEnded(device));
        }
        Notice::UserEnded { dealer, user } => hub.publish_local(dealer, Signal::UserEnded(user)),
        Notice::Committed { dealer, from, to } => {
            let (Ok(after), Ok(until)) = (i64::try_from(from), i64::try_from(to)) else {
                return;
            };
            // Read once here, then handed to every connection as it is.
            let page = match db::changes_after(
                db,
                dealer,
                None,
                showroom_shared::visibility::Reader::Dealer,
                after,
                until,
                limits::PAGE_CHANGES,
                limits::PAGE_BYTES,
                // A manager's page: no floor rows.
                0,
            )
            .await
            {
                Ok(p) if p.to == until => Some(
                    showroom_shared::sync::ServerMsg::Changes {
                        from,
                        to,
                        complete: true,
                        remaining: 0,
                        docs: p.docs,
                        removed: Vec::new(),
                        floor: Vec::new(),
                        taken: Vec::new(),
                    }
                    .encode()
                    .into(),
                ),
                Ok(_) => None,
                Err(err) => {
                    tracing::warn!(%err, "cannot read another process's commit; connections will read the log");
                    None
                }
            };
            hub.publish_local(
                dealer,
                Signal::Committed(Arc::new(Commit {
                    dealer,
                    from,
                    to,
                    origins: Vec::new(),
                    page,
                    rows: Vec::new(),
                    access: None,
                    floor: Vec::new(),
                })),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    #[test]
    fn notices_round_trip_and_our_own_are_ignored() {
        let dealer = DealerId::from_uuid(Uuid::from_u128(1));
        let notices = [
            Notice::Committed {
                dealer,
                from: 5,
                to: 9,
            },
            Notice::DeviceEnded {
                dealer,
                device: DeviceId::from_uuid(Uuid::from_u128(2)),
            },
            Notice::UserEnded {
                dealer,
                user: UserId::from_uuid(Uuid::from_u128(3)),
            },
        ];
        for n in notices {
            let text = encode("a", &n);
            assert_eq!(decode("b", &text), Some(n));
            assert_eq!(decode("a", &text), None);
        }
        assert_eq!(decode("b", "x c not-a-dealer 1 2"), None);
    }
}
