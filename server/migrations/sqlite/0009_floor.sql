-- The showroom floor (issue 21): one row per visit and per test drive of
-- every lead and register (`shared::domain::floor::FloorRow`, JSON, never
-- with the customer's name), kept by the writer with the document it comes
-- from. A salesperson's device is sent the rows of the documents it may not
-- see, so the floor (demo cars, bookings, clashes, who is in) reaches
-- every device without a colleague's customer. Rows of documents stored
-- before this version are written by the storage check at start-up
-- (version 2).
CREATE TABLE floor_rows (
    dealer_id  TEXT NOT NULL REFERENCES dealers (id),
    row_key    TEXT NOT NULL,
    doc_id     TEXT NOT NULL,
    -- When the row stops mattering (`FloorRow::until`, ms since the epoch).
    until_at   BIGINT NOT NULL,
    row_json   TEXT NOT NULL,
    PRIMARY KEY (dealer_id, row_key)
);
CREATE INDEX floor_rows_doc ON floor_rows (dealer_id, doc_id);
