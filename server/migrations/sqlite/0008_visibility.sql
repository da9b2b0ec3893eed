-- Visibility inside the dealer (issue 21): who may see each document
-- (`shared::visibility`: its kind's rule over its owner), and every change
-- of an owner as a move in the dealer's log.

-- Each document's owner now: a lead's salesperson (NULL: the open pool), a
-- register's salesperson; NULL for the dealer's document.
CREATE TABLE doc_access (
    dealer_id  TEXT NOT NULL REFERENCES dealers (id),
    doc_id     TEXT NOT NULL,
    owner_id   TEXT,
    PRIMARY KEY (dealer_id, doc_id)
);

-- The owner from `seq` on. A move takes the sequence number of the change
-- that made it (a document's first change gives it its first owner; a
-- manager's change of a lead's owner moves it), so moves sit in the log's
-- order and a pull after a cursor knows, for each document, who owned it at
-- the cursor and who owns it at the end of the page.
CREATE TABLE access_moves (
    dealer_id  TEXT NOT NULL REFERENCES dealers (id),
    seq        BIGINT NOT NULL,
    doc_id     TEXT NOT NULL,
    owner_id   TEXT,
    PRIMARY KEY (dealer_id, seq)
);
CREATE INDEX access_moves_doc ON access_moves (dealer_id, doc_id, seq);

-- A device that must remove a document it may no longer see, and when it
-- said it had (its receipt). Until then its changes to the document are
-- still stored: they were made before it knew.
CREATE TABLE removals (
    dealer_id   TEXT NOT NULL REFERENCES dealers (id),
    device_id   TEXT NOT NULL,
    doc_id      TEXT NOT NULL,
    -- The move that took the document away.
    move_seq    BIGINT NOT NULL,
    removed_at  BIGINT,
    PRIMARY KEY (dealer_id, device_id, doc_id)
);
CREATE INDEX removals_move ON removals (dealer_id, move_seq);

-- Changes pushed to a document the pusher may not see (and owes no
-- removal of): kept aside, never applied, never sent. The pusher is
-- answered exactly as for a document the server does not hold.
CREATE TABLE quarantined_changes (
    dealer_id      TEXT NOT NULL REFERENCES dealers (id),
    doc_id         TEXT NOT NULL,
    hash           TEXT NOT NULL,
    bytes          BLOB NOT NULL,
    origin_device  TEXT NOT NULL,
    created_at     BIGINT NOT NULL,
    PRIMARY KEY (dealer_id, doc_id, hash)
);

-- Every document stored so far: its owner now, from its first change.
INSERT INTO doc_access (dealer_id, doc_id, owner_id)
SELECT k.dealer_id, k.doc_id,
    CASE
        WHEN k.doc_id LIKE 'lead:%' THEN (
            SELECT s.owner_id FROM lead_summaries s
            WHERE s.dealer_id = k.dealer_id AND 'lead:' || s.doc_id = k.doc_id)
        WHEN k.doc_id LIKE 'register:%' THEN (
            SELECT se.user_id FROM changes c JOIN sessions se ON se.id = c.origin_device
            WHERE c.dealer_id = k.dealer_id AND c.doc_id = k.doc_id
            ORDER BY c.seq LIMIT 1)
        ELSE NULL
    END
FROM (SELECT DISTINCT dealer_id, doc_id FROM changes) k;

INSERT INTO access_moves (dealer_id, seq, doc_id, owner_id)
SELECT a.dealer_id,
    (SELECT MIN(c.seq) FROM changes c WHERE c.dealer_id = a.dealer_id AND c.doc_id = a.doc_id),
    a.doc_id, a.owner_id
FROM doc_access a;
