//! Fan-out between sync connections: "dealer D committed these changes" and
//! "these sessions ended".
//!
//! A commit travels with its changes, already encoded as the `Changes` page
//! every other connection of the dealer sends as it is (one encoding per
//! commit, no database read per connection). A connection that missed
//! something (its event stream lagged, a gap in the sequence numbers, a page
//! too big to carry) reads the log instead: a missed event costs latency,
//! never a change.
//!
//! Several server processes on one PostgreSQL database hear each other
//! through LISTEN/NOTIFY (`crate::cluster`): what is published here is also
//! handed to the cluster bridge, and what another process published arrives
//! through [`Hub::publish_local`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;

use showroom_shared::domain::floor::FloorRow;
use showroom_shared::domain::{DealerId, DeviceId, DocId, UserId};
use showroom_shared::visibility::{Access, Reader, may_see};
use tokio::sync::{broadcast, mpsc};

/// Changes `(from, to]` of a dealer, committed together (one transaction of
/// the writer: every batch of the dealer in it).
#[derive(Debug)]
pub struct Commit {
    pub dealer: DealerId,
    pub from: u64,
    pub to: u64,
    /// The devices whose batches these are, when connected to this process:
    /// each is sent the others' changes only (see [`Commit::page_for`]).
    pub origins: Vec<DeviceId>,
    /// The encoded page for every other connection; `None`: read it from the log.
    pub page: Option<Bytes>,
    /// The changes in log order with their origin, for the origins' pages.
    pub rows: Vec<(DeviceId, DocId, Vec<u8>)>,
    /// Who may see each document of `rows` after the commit, when a
    /// salesperson's page can be cut from them; `None` when it cannot (an
    /// owner moved, or the commit came from another server process): a
    /// salesperson's connection reads the log, which knows the moves.
    pub access: Option<HashMap<DocId, Access>>,
    /// The floor rows of the documents of `rows`, without their customer.
    pub floor: Vec<FloorRow>,
}

impl Commit {
    /// Whether `device`'s connection can be handed this commit as a page
    /// ([`Commit::page_for`]) rather than read the log.
    pub fn deliverable(&self, device: DeviceId, reader: Reader) -> bool {
        if reader.sees_everything() {
            // An origin's own page is cut from the rows, which do not know
            // of a lead a merge absorbed (no access): it reads the log.
            self.page.is_some() || (self.origins.contains(&device) && self.access.is_some())
        } else {
            self.access.is_some()
        }
    }

    /// The page `device` is sent: the shared one, or for one of the origins
    /// the same changes without its own (only its cursor moves past those),
    /// or for a salesperson the changes of the documents they may see. The
    /// shared page is reference-counted: handing it to 2,000 sockets copies
    /// nothing. `None`: read the log (see [`Commit::deliverable`]).
    pub fn page_for(&self, device: DeviceId, reader: Reader) -> Option<Bytes> {
        let sees = |doc: &DocId| match &self.access {
            _ if reader.sees_everything() => true,
            Some(access) => access.get(doc).is_some_and(|a| may_see(reader, *a)),
            None => false,
        };
        if reader.sees_everything() && !self.origins.contains(&device) {
            return self.page.clone();
        }
        if self.access.is_none() {
            return None;
        }
        let docs = showroom_shared::sync::group_by_doc(
            self.rows
                .iter()
                .filter(|(origin, doc, _)| *origin != device && sees(doc))
                .map(|(_, doc, bytes)| (*doc, bytes.clone())),
        );
        // The floor of what the reader does not see, so the whole
        // showroom's floor reaches them (a manager derives it all).
        let floor = self
            .floor
            .iter()
            .filter(|r| !sees(&r.doc()))
            .cloned()
            .collect();
        Some(
            showroom_shared::sync::ServerMsg::Changes {
                from: self.from,
                to: self.to,
                complete: true,
                remaining: 0,
                docs,
                removed: Vec::new(),
                floor,
                taken: Vec::new(),
            }
            .encode()
            .into(),
        )
    }
}

/// Something every connection of a dealer should hear.
#[derive(Clone, Debug)]
pub enum Signal {
    Committed(Arc<Commit>),
    /// This session ended (logout, revoked by a manager, expired).
    DeviceEnded(DeviceId),
    /// Every session of this user ended (deactivated).
    UserEnded(UserId),
    /// Events may have been lost (the cluster link dropped): check the
    /// session again and read the log.
    Recheck,
}

/// What the cluster bridge sends to the other server processes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Notice {
    Committed {
        dealer: DealerId,
        from: u64,
        to: u64,
    },
    DeviceEnded {
        dealer: DealerId,
        device: DeviceId,
    },
    UserEnded {
        dealer: DealerId,
        user: UserId,
    },
}

/// How many events a slow connection may fall behind before it reads the log.
const BACKLOG: usize = 1024;

#[derive(Debug, Default)]
pub struct Hub {
    dealers: Mutex<HashMap<DealerId, broadcast::Sender<Signal>>>,
    cluster: Mutex<Option<mpsc::UnboundedSender<Notice>>>,
}

impl Hub {
    pub fn subscribe(&self, dealer: DealerId) -> broadcast::Receiver<Signal> {
        let mut map = lock(&self.dealers);
        map.entry(dealer)
            .or_insert_with(|| broadcast::channel(BACKLOG).0)
            .subscribe()
    }

    /// Sends `signal` to this process's connections of `dealer` only.
    pub fn publish_local(&self, dealer: DealerId, signal: Signal) {
        let mut map = lock(&self.dealers);
        if let Some(tx) = map.get(&dealer) {
            if tx.send(signal).is_err() {
                // Nobody listens any more.
                map.remove(&dealer);
            }
        }
    }

    /// Tells every connection of every dealer to re-check (events were lost).
    pub fn recheck_all(&self) {
        let map = lock(&self.dealers);
        for tx in map.values() {
            let _ = tx.send(Signal::Recheck);
        }
    }

    /// A commit of this process: to its connections, and to the others.
    pub fn committed(&self, commit: Commit) {
        let notice = Notice::Committed {
            dealer: commit.dealer,
            from: commit.from,
            to: commit.to,
        };
        self.publish_local(commit.dealer, Signal::Committed(Arc::new(commit)));
        self.to_cluster(notice);
    }

    /// A session ended: its connections close, here and in the other processes.
    pub fn device_ended(&self, dealer: DealerId, device: DeviceId) {
        self.publish_local(dealer, Signal::DeviceEnded(device));
        self.to_cluster(Notice::DeviceEnded { dealer, device });
    }

    /// Every session of a user ended.
    pub fn user_ended(&self, dealer: DealerId, user: UserId) {
        self.publish_local(dealer, Signal::UserEnded(user));
        self.to_cluster(Notice::UserEnded { dealer, user });
    }

    /// Connects the cluster bridge (PostgreSQL only).
    pub fn attach_cluster(&self, tx: mpsc::UnboundedSender<Notice>) {
        *lock(&self.cluster) = Some(tx);
    }

    fn to_cluster(&self, notice: Notice) {
        if let Some(tx) = lock(&self.cluster).as_ref() {
            let _ = tx.send(notice);
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    match m.lock() {
        Ok(guard) => guard,
        Err(poisoned) => poisoned.into_inner(),
    }
}
