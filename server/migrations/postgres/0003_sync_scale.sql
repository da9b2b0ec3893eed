-- Sync at scale (issue 6): snapshots are compacted lazily and pages are
-- capped by bytes.
--
-- The change log is the truth. A document's snapshot covers its changes up to
-- `snapshot_seq`; the changes after it (and any still waiting for a
-- dependency) are applied on top when the document is opened, and the
-- snapshot is rewritten every few dozen changes instead of on every batch.
ALTER TABLE documents ADD COLUMN snapshot_seq BIGINT NOT NULL DEFAULT 0;
-- The sum of the document's change bytes (inflated): what it is once parsed,
-- checked against the document cap before anything is stored.
ALTER TABLE documents ADD COLUMN history_bytes BIGINT NOT NULL DEFAULT 0;
UPDATE documents SET snapshot_seq = last_seq,
    history_bytes = (SELECT COALESCE(SUM(OCTET_LENGTH(c.bytes)), 0) FROM changes c
                     WHERE c.dealer_id = documents.dealer_id AND c.doc_id = documents.doc_id);

-- Each change's size, so a page can be planned from the index alone
-- (rows up to a byte budget) before any change bytes are read.
ALTER TABLE changes ADD COLUMN size_bytes BIGINT NOT NULL DEFAULT 0;
UPDATE changes SET size_bytes = OCTET_LENGTH(bytes);
CREATE INDEX changes_page ON changes (dealer_id, seq, size_bytes, origin_device);
-- A document's tail: its changes after the snapshot.
CREATE INDEX changes_doc ON changes (dealer_id, doc_id, seq);
