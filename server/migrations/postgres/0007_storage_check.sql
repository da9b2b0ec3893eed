-- The storage check (issue 18): which version of `showroom-server check`'s
-- repair this database has been through. A server runs it at start-up when
-- this is below its own, then records it; 0 means never (a database written
-- before the fix of snapshots that claimed more of the log than they held).
ALTER TABLE server_meta ADD COLUMN storage_checked BIGINT NOT NULL DEFAULT 0;
