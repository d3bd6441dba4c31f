-- Stage 4: every file an agency sends gets its own acknowledgement, never replaced (issue 13.2).
-- Two files of one stem (the name without .csv: the same name sent again, or X after X.csv) were both
-- answered as <stem>.ack.json, the second overwriting the first. The n-th file of a stem is now
-- answered as <stem>.ack.<n>.json (the first keeps the contract's name); the unique index makes two
-- registry rows of one agency claim the same acknowledgement impossible, also for two ingestions at
-- once. Files registered before this version keep a NULL ack_number and are not held to it.

ALTER TABLE core.return_file ADD COLUMN ack_number INTEGER;
CREATE UNIQUE INDEX IF NOT EXISTS return_file_ack_once
    ON core.return_file (agency_code, ack_file_name, ack_number);
COMMENT ON COLUMN core.return_file.ack_number IS 'Which file of its stem (the name without .csv) this is for the agency: 1 for the first, acknowledged under the contract''s name <stem>.ack.json; n for the n-th, acknowledged as <stem>.ack.<n>.json (with <stem>.rejects.<n>.csv). NULL for files registered before V017.';
COMMENT ON COLUMN core.return_file.ack_file_name IS 'Acknowledgement written for this file alone, e.g. AG01_PAYMENTS_20261115_01.ack.json, or AG01_PAYMENTS_20261115_01.ack.2.json for the second file of that stem.';
