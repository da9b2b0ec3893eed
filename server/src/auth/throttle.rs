//! Throttles repeated failed logins per username, so passwords cannot be
//! guessed at speed. Counted for unknown usernames too, so the answer does
//! not reveal which usernames exist.

use std::collections::HashMap;
use std::sync::Mutex;

/// Failures allowed inside the window before the username is locked.
const FREE_FAILURES: u32 = 5;
/// Failures older than this are forgotten.
const WINDOW_MS: i64 = 15 * 60 * 1000;
/// The first lock lasts this long and doubles with each further failure.
const FIRST_LOCK_MS: i64 = 30 * 1000;
const MAX_LOCK_MS: i64 = 15 * 60 * 1000;
/// Bound on remembered usernames, so a flood of random names cannot grow memory.
const MAX_ENTRIES: usize = 100_000;

#[derive(Clone, Copy, Debug)]
struct Entry {
    failures: u32,
    last_failure: i64,
    locked_until: i64,
}

#[derive(Debug, Default)]
pub struct LoginThrottle {
    entries: Mutex<HashMap<String, Entry>>,
}

impl LoginThrottle {
    /// `Err(seconds)` when the username is locked now: retry after that long.
    pub fn check(&self, username: &str, now: i64) -> Result<(), u64> {
        let entries = self.lock();
        match entries.get(username) {
            Some(e) if e.locked_until > now => Err(((e.locked_until - now + 999) / 1000) as u64),
            _ => Ok(()),
        }
    }

    /// Records a failed attempt; returns the lock in seconds if one starts now.
    pub fn record_failure(&self, username: &str, now: i64) -> Option<u64> {
        let mut entries = self.lock();
        if entries.len() >= MAX_ENTRIES && !entries.contains_key(username) {
            entries.retain(|_, e| now - e.last_failure < WINDOW_MS || e.locked_until > now);
        }
        let entry = entries.entry(username.to_owned()).or_insert(Entry {
            failures: 0,
            last_failure: now,
            locked_until: 0,
        });
        if now - entry.last_failure >= WINDOW_MS && entry.locked_until <= now {
            entry.failures = 0;
        }
        entry.failures += 1;
        entry.last_failure = now;
        if entry.failures > FREE_FAILURES {
            let doublings = (entry.failures - FREE_FAILURES - 1).min(10);
            let lock = (FIRST_LOCK_MS << doublings).min(MAX_LOCK_MS);
            entry.locked_until = now + lock;
            Some((lock / 1000) as u64)
        } else {
            None
        }
    }

    pub fn record_success(&self, username: &str) {
        self.lock().remove(username);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry>> {
        // A panic while holding the lock cannot leave the map inconsistent
        // (every update is a single insert or field write), so recover.
        match self.entries.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_failures_are_free_the_sixth_locks_and_locks_grow() {
        let t = LoginThrottle::default();
        let now = 1_000_000;
        for i in 0..5 {
            assert_eq!(t.record_failure("sales1", now + i), None);
            assert_eq!(t.check("sales1", now + i), Ok(()));
        }
        assert_eq!(t.record_failure("sales1", now + 10), Some(30));
        assert_eq!(t.check("sales1", now + 10), Err(30));
        assert_eq!(
            t.check("sales2", now + 10),
            Ok(()),
            "other users are not affected"
        );
        assert_eq!(t.check("sales1", now + 10 + 30_000), Ok(()));
        assert_eq!(t.record_failure("sales1", now + 40_000), Some(60));
    }

    #[test]
    fn success_and_time_forget_failures() {
        let t = LoginThrottle::default();
        for i in 0..5 {
            t.record_failure("a", i);
        }
        t.record_success("a");
        assert_eq!(t.record_failure("a", 10), None);
        for i in 0..4 {
            t.record_failure("b", i);
        }
        // Sixteen minutes later the old failures no longer count.
        assert_eq!(t.record_failure("b", 16 * 60 * 1000), None);
    }

    #[test]
    fn lock_is_capped() {
        let t = LoginThrottle::default();
        let mut last = None;
        for i in 0..40 {
            last = t.record_failure("x", i);
        }
        assert_eq!(last, Some(15 * 60));
    }
}
