-- Lead collisions (issue 22): two leads of one dealer with the same mobile
-- number (E.164, as `lead_summaries.mobile` holds it). The writer finds a
-- pair in the transaction that stores the second lead (or the edit that
-- gives a lead that number), whichever arrives first, and records it here
-- once (`lead_a` < `lead_b`); then it writes the collision into both
-- leads in its own name (`recorded_at`: done; a row without it is written
-- at the next start). A manager's decision (or the dealer's rule) is kept
-- beside it (`absorbed`: the lead a merge absorbed; such a lead is fenced,
-- `doc_access.owner_id` is the server's nil id, and no later collision
-- names it).
CREATE TABLE collisions (
    dealer_id   TEXT NOT NULL REFERENCES dealers (id),
    id          TEXT NOT NULL,
    lead_a      TEXT NOT NULL,
    lead_b      TEXT NOT NULL,
    found_at    BIGINT NOT NULL,
    recorded_at BIGINT,
    resolution  TEXT,
    survivor    TEXT,
    absorbed    TEXT,
    decided_by  TEXT,
    decided_at  BIGINT,
    PRIMARY KEY (dealer_id, id),
    UNIQUE (dealer_id, lead_a, lead_b)
);
CREATE INDEX collisions_unrecorded ON collisions (dealer_id) WHERE recorded_at IS NULL;
