-- Accounts: dealers (tenants), their users, and signed-in devices (sessions).
-- Times are Unix milliseconds (BIGINT) so SQLite and PostgreSQL store them alike.
-- Ids are UUIDs as text for the same reason.

CREATE TABLE dealers (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    -- The per-dealer change counter of the sync log (issue 3) is taken from
    -- here inside the writing transaction, so sequence numbers commit in order.
    next_seq    BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE users (
    id             TEXT PRIMARY KEY,
    dealer_id      TEXT NOT NULL REFERENCES dealers (id),
    -- Login names are unique across the server and stored lower-cased.
    username       TEXT NOT NULL UNIQUE,
    display_name   TEXT NOT NULL,
    role           TEXT NOT NULL CHECK (role IN ('salesperson', 'manager', 'admin')),
    -- argon2id PHC string; never the password.
    password_hash  TEXT NOT NULL,
    active         BOOLEAN NOT NULL DEFAULT TRUE,
    created_at     BIGINT NOT NULL,
    deactivated_at BIGINT
);
CREATE INDEX users_dealer ON users (dealer_id);

CREATE TABLE sessions (
    id             TEXT PRIMARY KEY,
    user_id        TEXT NOT NULL REFERENCES users (id),
    dealer_id      TEXT NOT NULL REFERENCES dealers (id),
    -- SHA-256 of the bearer token, hex. The token itself is never stored.
    token_hash     TEXT NOT NULL UNIQUE,
    device_name    TEXT NOT NULL,
    created_at     BIGINT NOT NULL,
    last_seen_at   BIGINT NOT NULL,
    revoked_at     BIGINT,
    revoked_reason TEXT
);
CREATE INDEX sessions_user ON sessions (user_id);
