//! In-process fan-out between sync connections: "dealer D has new changes"
//! and "these sessions ended". Wake-ups carry no data; each connection reads
//! the log itself, so a missed wake-up costs latency, never a change.
//!
//! One server process only. With several instances over PostgreSQL the same
//! two signals would travel by LISTEN/NOTIFY (DESIGN.md); not built yet.

use std::collections::HashMap;
use std::sync::Mutex;

use showroom_shared::domain::{DealerId, DeviceId, UserId};
use tokio::sync::broadcast;

/// Something every connection of a dealer should hear.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signal {
    /// Changes up to `seq` were committed by `origin`.
    Changes { seq: i64, origin: DeviceId },
    /// This session ended (logout, revoked by a manager, expired).
    DeviceEnded(DeviceId),
    /// Every session of this user ended (deactivated).
    UserEnded(UserId),
}

#[derive(Debug, Default)]
pub struct Hub {
    dealers: Mutex<HashMap<DealerId, broadcast::Sender<Signal>>>,
}

impl Hub {
    pub fn subscribe(&self, dealer: DealerId) -> broadcast::Receiver<Signal> {
        let mut map = self.lock();
        map.entry(dealer)
            .or_insert_with(|| broadcast::channel(256).0)
            .subscribe()
    }

    pub fn publish(&self, dealer: DealerId, signal: Signal) {
        let mut map = self.lock();
        if let Some(tx) = map.get(&dealer) {
            if tx.send(signal).is_err() {
                // Nobody listens any more.
                map.remove(&dealer);
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<DealerId, broadcast::Sender<Signal>>> {
        match self.dealers.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        }
    }
}
