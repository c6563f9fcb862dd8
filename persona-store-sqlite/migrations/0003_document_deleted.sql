-- The soft-delete flag of every record, also on its document row (kept equal to
-- `records.deleted` by every write): a read by id finds the row number in `records_key` alone
-- (the index carries it) and the flag and document in `documents`, two B-trees instead of three.
-- At a million identities a page not in memory costs a disk read, so a get that touches one
-- page less has one read less to wait for.
ALTER TABLE documents ADD COLUMN deleted INTEGER NOT NULL DEFAULT 0;
UPDATE documents SET deleted = 1 WHERE rid IN (SELECT rid FROM records WHERE deleted = 1);
