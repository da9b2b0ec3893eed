//! Throttles failed logins, so passwords cannot be guessed at speed: per
//! username (counted for unknown usernames too, so the answer does not reveal
//! which usernames exist) and per client address (so trying many usernames
//! from one place is slowed as well). The counts live in the database
//! (`db::update_throttle`), so every server process on it shares them.
//!
//! An attempt is counted as a failure *before* its password is checked, in the
//! same transaction as the check that admits it; a correct password then takes
//! the count back. So a burst of parallel guesses is admitted only up to the
//! free failures, instead of every guess passing the check before the first
//! failure is recorded.

use std::net::{IpAddr, Ipv6Addr};
use std::sync::atomic::{AtomicI64, Ordering};

use crate::db::{self, Db, ThrottleCount, ThrottleKey};

/// How many failures are free and how long the locks after them last.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rule {
    /// Failures allowed before the key is locked.
    pub free_failures: i64,
    /// The count is forgotten after this long without a failure (and no lock in force).
    pub window_ms: i64,
    /// The first lock lasts this long and doubles with each further failure…
    pub first_lock_ms: i64,
    /// …up to this.
    pub max_lock_ms: i64,
}

const MINUTE_MS: i64 = 60 * 1000;

/// Per username: 5 failures in 15 min are free, then 30 s doubling to 15 min.
pub const USERNAME_RULE: Rule = Rule {
    free_failures: 5,
    window_ms: 15 * MINUTE_MS,
    first_lock_ms: 30 * 1000,
    max_lock_ms: 15 * MINUTE_MS,
};

/// Per client address: 20 failures in 15 min are free (a showroom's tablets
/// may share one public address), then 30 s doubling to 15 min.
pub const ADDRESS_RULE: Rule = Rule {
    free_failures: 20,
    window_ms: 15 * MINUTE_MS,
    first_lock_ms: 30 * 1000,
    max_lock_ms: 15 * MINUTE_MS,
};

const USERNAME: &str = "username";
const ADDRESS: &str = "address";

impl Rule {
    /// Seconds (rounded up) until `count` unlocks, if it is locked at `now`.
    pub fn locked_for(&self, count: &ThrottleCount, now: i64) -> Option<u64> {
        (count.blocked_until > now).then(|| secs_until(count.blocked_until, now))
    }

    /// Counts one failure at `now`; returns the lock it starts, in seconds.
    pub fn count_failure(&self, count: &mut ThrottleCount, now: i64) -> Option<u64> {
        if now - count.last_failure_at >= self.window_ms && count.blocked_until <= now {
            count.failures = 0;
        }
        count.failures = count.failures.saturating_add(1);
        count.last_failure_at = now;
        if count.failures > self.free_failures {
            let doublings = (count.failures - self.free_failures - 1).clamp(0, 20) as u32;
            let lock = self
                .first_lock_ms
                .saturating_mul(1_i64 << doublings)
                .min(self.max_lock_ms);
            count.blocked_until = now + lock;
            Some(secs_until(count.blocked_until, now))
        } else {
            None
        }
    }
}

fn secs_until(until: i64, now: i64) -> u64 {
    u64::try_from((until - now + 999) / 1000).unwrap_or(0)
}

/// Takes back one failure counted by an attempt that turned out to succeed:
/// `before`/`after` are the row around that attempt, `current` the row now
/// (other attempts may have counted since). A lock the attempt started is
/// lifted unless a later failure replaced it.
fn take_back(current: &mut ThrottleCount, before: &ThrottleCount, after: &ThrottleCount) {
    current.failures = (current.failures - 1).max(0);
    if current.last_failure_at == after.last_failure_at {
        current.last_failure_at = before.last_failure_at;
    }
    if after.blocked_until != before.blocked_until && current.blocked_until == after.blocked_until {
        current.blocked_until = before.blocked_until;
    }
    if current.failures == 0 && current.blocked_until <= after.last_failure_at {
        *current = ThrottleCount::default();
    }
}

/// The throttle key of a client address: IPv4 as is, IPv6 by its /64 (one
/// subscriber usually holds a whole /64), IPv4-mapped IPv6 as the IPv4 address.
pub fn address_key(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{}/64", Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
    }
}

/// An admitted login attempt, already counted as a failure. Hand it to
/// [`LoginThrottle::failed`] or [`LoginThrottle::succeeded`]; dropped without
/// either (a server error, a cancelled request) it stays counted.
#[derive(Debug)]
#[must_use]
pub struct Attempt {
    username: String,
    /// The address key and its row before and after this attempt counted.
    address: Option<(String, ThrottleCount, ThrottleCount)>,
    /// Seconds of the longest lock this attempt's failure starts.
    lock: Option<u64>,
}

/// The login throttle. Stateless but for when it last swept stale rows: the
/// counts are in the database.
#[derive(Debug, Default)]
pub struct LoginThrottle {
    last_sweep: AtomicI64,
}

impl LoginThrottle {
    /// Admits an attempt for `username` from `client` (`None` when the
    /// connection's address is unknown: then only the username is
    /// throttled), counting it as a failure, or `Ok(Err(seconds))` when the
    /// username or the address is locked now: retry after that long. A refused
    /// attempt is not counted.
    pub async fn admit(
        &self,
        db: &Db,
        username: &str,
        client: Option<IpAddr>,
        now: i64,
    ) -> Result<Result<Attempt, u64>, sqlx::Error> {
        let address = client.map(address_key);
        // Address first: every caller locks rows in the same order.
        let mut keys = Vec::with_capacity(2);
        let mut rules = Vec::with_capacity(2);
        if let Some(address) = &address {
            keys.push(ThrottleKey {
                kind: ADDRESS,
                key: address,
            });
            rules.push(ADDRESS_RULE);
        }
        keys.push(ThrottleKey {
            kind: USERNAME,
            key: username,
        });
        rules.push(USERNAME_RULE);
        let decided = db::update_throttle(db, &keys, |counts| {
            let refused = counts
                .iter()
                .zip(&rules)
                .filter_map(|(c, r)| r.locked_for(c, now))
                .max();
            if let Some(secs) = refused {
                return Err(secs);
            }
            let address_before = address.as_ref().and(counts.first().copied());
            let lock = counts
                .iter_mut()
                .zip(&rules)
                .filter_map(|(c, r)| r.count_failure(c, now))
                .max();
            let address_after = address_before.and(counts.first().copied());
            Ok((address_before.zip(address_after), lock))
        })
        .await?;
        Ok(decided.map(|(rows, lock)| Attempt {
            username: username.to_owned(),
            address: address
                .zip(rows)
                .map(|(key, (before, after))| (key, before, after)),
            lock,
        }))
    }

    /// The password was wrong: the failure is already counted. Returns the
    /// lock in seconds if this failure started one.
    pub async fn failed(&self, db: &Db, attempt: Attempt, now: i64) -> Option<u64> {
        self.sweep_now_and_then(db, now).await;
        attempt.lock
    }

    /// The password was right: forgets the username's failures and takes this
    /// attempt back from the address's count (other failures from the address
    /// still count, so one valid account does not reset guessing at others).
    pub async fn succeeded(&self, db: &Db, attempt: Attempt) -> Result<(), sqlx::Error> {
        let mut keys = Vec::with_capacity(2);
        if let Some((address, _, _)) = &attempt.address {
            keys.push(ThrottleKey {
                kind: ADDRESS,
                key: address,
            });
        }
        keys.push(ThrottleKey {
            kind: USERNAME,
            key: &attempt.username,
        });
        let address = attempt.address.as_ref().map(|(_, b, a)| (*b, *a));
        db::update_throttle(db, &keys, |counts| {
            if let (Some((before, after)), Some(current)) = (address, counts.first_mut()) {
                take_back(current, &before, &after);
            }
            if let Some(user) = counts.last_mut() {
                *user = ThrottleCount::default();
            }
        })
        .await
    }

    /// At most once a window per process, deletes rows that no longer count,
    /// so a flood of made-up usernames does not grow the table for ever.
    async fn sweep_now_and_then(&self, db: &Db, now: i64) {
        let window = USERNAME_RULE.window_ms.max(ADDRESS_RULE.window_ms);
        let last = self.last_sweep.load(Ordering::Relaxed);
        if now - last < window
            || self
                .last_sweep
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_err()
        {
            return;
        }
        match db::sweep_throttle(db, now - window, now).await {
            Ok(n) if n > 0 => tracing::debug!(rows = n, "swept stale login throttle rows"),
            Ok(_) => {}
            Err(err) => tracing::warn!(%err, "cannot sweep the login throttle"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fail(rule: &Rule, c: &mut ThrottleCount, now: i64) -> Option<u64> {
        rule.count_failure(c, now)
    }

    #[test]
    fn five_failures_are_free_the_sixth_locks_and_locks_grow() {
        let r = USERNAME_RULE;
        let mut c = ThrottleCount::default();
        let now = 1_000_000;
        for i in 0..5 {
            assert_eq!(r.locked_for(&c, now + i), None);
            assert_eq!(fail(&r, &mut c, now + i), None);
        }
        assert_eq!(r.locked_for(&c, now + 10), None);
        assert_eq!(fail(&r, &mut c, now + 10), Some(30));
        assert_eq!(r.locked_for(&c, now + 10), Some(30));
        assert_eq!(r.locked_for(&c, now + 10 + 30_000), None);
        assert_eq!(fail(&r, &mut c, now + 40_000), Some(60));
    }

    #[test]
    fn time_forgets_failures() {
        let r = USERNAME_RULE;
        let mut c = ThrottleCount::default();
        for i in 0..4 {
            fail(&r, &mut c, i);
        }
        // Sixteen minutes later the old failures no longer count.
        assert_eq!(fail(&r, &mut c, 16 * MINUTE_MS), None);
        assert_eq!(c.failures, 1);
    }

    #[test]
    fn lock_is_capped() {
        let r = USERNAME_RULE;
        let mut c = ThrottleCount::default();
        let mut last = None;
        for i in 0..100 {
            last = fail(&r, &mut c, i);
        }
        assert_eq!(last, Some(15 * 60));
    }

    #[test]
    fn address_rule_allows_twenty() {
        let r = ADDRESS_RULE;
        let mut c = ThrottleCount::default();
        for i in 0..20 {
            assert_eq!(fail(&r, &mut c, i), None);
        }
        assert_eq!(fail(&r, &mut c, 20), Some(30));
    }

    #[test]
    fn taking_back_a_successful_attempt_undoes_its_lock() {
        let r = ADDRESS_RULE;
        let mut c = ThrottleCount::default();
        for i in 0..20 {
            fail(&r, &mut c, i);
        }
        let before = c;
        assert_eq!(fail(&r, &mut c, 100), Some(30));
        let after = c;
        let mut current = after;
        take_back(&mut current, &before, &after);
        assert_eq!(current, before);
        // A failure counted in between keeps its own lock.
        let mut current = after;
        fail(&r, &mut current, 200);
        let later = current;
        take_back(&mut current, &before, &after);
        assert_eq!(current.failures, later.failures - 1);
        assert_eq!(current.blocked_until, later.blocked_until);
        // Taking back the only failure leaves nothing to store.
        let mut c = ThrottleCount::default();
        fail(&r, &mut c, 5);
        let after = c;
        take_back(&mut c, &ThrottleCount::default(), &after);
        assert_eq!(c, ThrottleCount::default());
    }

    #[test]
    fn ipv6_is_grouped_by_64_and_mapped_ipv4_is_ipv4() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().expect("ip");
        let b: IpAddr = "2001:db8:1:2:bbbb::9".parse().expect("ip");
        let c: IpAddr = "2001:db8:1:3::1".parse().expect("ip");
        assert_eq!(address_key(a), "2001:db8:1:2::/64");
        assert_eq!(address_key(a), address_key(b));
        assert_ne!(address_key(a), address_key(c));
        let mapped: IpAddr = "::ffff:192.0.2.7".parse().expect("ip");
        assert_eq!(address_key(mapped), "192.0.2.7");
        let v4: IpAddr = "192.0.2.7".parse().expect("ip");
        assert_eq!(address_key(v4), "192.0.2.7");
    }
}
