-- Documents of several kinds (issue 8): a document id is `<kind>:<uuid>`
-- (`lead:…`, `dealer:…`, `register:…`). Every document stored so far is a
-- lead. Lead summaries stay keyed by the lead's own id.
UPDATE documents SET doc_id = 'lead:' || doc_id WHERE doc_id NOT LIKE '%:%';
UPDATE changes SET doc_id = 'lead:' || doc_id WHERE doc_id NOT LIKE '%:%';
