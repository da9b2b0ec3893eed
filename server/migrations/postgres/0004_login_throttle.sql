-- Login throttle state, shared by every server process on this database.
-- One row per throttled thing: kind 'username' (lower-cased login name, known
-- or not) or 'address' (client IP; IPv6 grouped by /64). Times are Unix ms.
-- The rules live in server/src/auth/throttle.rs; rows are read and written
-- in one transaction that first locks them with an UPSERT (db/throttle.rs).

CREATE TABLE login_throttle (
    kind            TEXT NOT NULL CHECK (kind IN ('username', 'address')),
    key             TEXT NOT NULL,
    -- Failed attempts counted since the count was last forgotten.
    failures        BIGINT NOT NULL,
    -- The count is forgotten once this is a window in the past (and no lock holds).
    last_failure_at BIGINT NOT NULL,
    -- Attempts are refused (429) until this time; 0 when never locked.
    blocked_until   BIGINT NOT NULL,
    PRIMARY KEY (kind, key)
);
-- For sweeping rows that no longer count.
CREATE INDEX login_throttle_last_failure ON login_throttle (last_failure_at);
