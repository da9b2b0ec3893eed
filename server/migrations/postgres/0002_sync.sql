-- Sync storage: one Automerge document per lead, every change in a per-dealer
-- log, and a lead summary projection for authorisation and reports.

-- The compacted snapshot of each document, namespaced by dealer: the same
-- document id under another dealer is another document, so a forged id can
-- never reach across the tenant wall.
CREATE TABLE documents (
    dealer_id   TEXT NOT NULL REFERENCES dealers (id),
    doc_id      TEXT NOT NULL,
    snapshot    BYTEA NOT NULL,
    size_bytes  BIGINT NOT NULL,
    last_seq    BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    PRIMARY KEY (dealer_id, doc_id)
);

-- Every change ever accepted, numbered per dealer in commit order (the number
-- is taken from dealers.next_seq inside the writing transaction). Devices ask
-- for "seq > cursor". A retried upload is a no-op thanks to the unique hash.
CREATE TABLE changes (
    dealer_id     TEXT NOT NULL REFERENCES dealers (id),
    seq           BIGINT NOT NULL,
    doc_id        TEXT NOT NULL,
    hash          TEXT NOT NULL,
    bytes         BYTEA NOT NULL,
    -- The session (device) that uploaded it: it is not sent back there.
    origin_device TEXT NOT NULL,
    -- FALSE while a dependency has not arrived; such changes are kept, and
    -- applied to the snapshot when it does.
    applied       BOOLEAN NOT NULL,
    created_at    BIGINT NOT NULL,
    PRIMARY KEY (dealer_id, seq),
    UNIQUE (dealer_id, doc_id, hash)
);
CREATE INDEX changes_pending ON changes (dealer_id, doc_id) WHERE applied = FALSE;

-- What the server knows of each lead without opening its document.
CREATE TABLE lead_summaries (
    dealer_id      TEXT NOT NULL REFERENCES dealers (id),
    doc_id         TEXT NOT NULL,
    customer_name  TEXT NOT NULL,
    mobile         TEXT,
    grade          TEXT NOT NULL,
    stage          TEXT NOT NULL,
    owner_id       TEXT,
    next_follow_up TEXT,
    updated_at     BIGINT NOT NULL,
    PRIMARY KEY (dealer_id, doc_id)
);
CREATE INDEX lead_summaries_mobile ON lead_summaries (dealer_id, mobile);
