-- A real deployment (issue 11): accounts a dealer runs, and restores the
-- devices can tell apart.

-- A password reset (or an account created with a temporary password) makes
-- its user choose a new password before anything else.
ALTER TABLE users ADD COLUMN must_change_password BOOLEAN NOT NULL DEFAULT FALSE;

-- One row: the identity of this database's change log. A device keeps it with
-- its cursor; a restore gives the log a new identity, so a device whose cursor
-- names another log starts over and re-sends what it holds.
CREATE TABLE server_meta (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    log_id  BIGINT NOT NULL
);
INSERT INTO server_meta (id, log_id) VALUES (1, floor(random() * 9007199254740990)::bigint + 1);
