-- Stage 4: every file an agency sends gets its own acknowledgement, never replaced (issue 13.2), and
-- is dated by the fund's clock (issue 13.3).
-- Two files of one stem (the name without .csv: the same name sent again, or X after X.csv) were both
-- answered as <stem>.ack.json, the second overwriting the first. The n-th file of a stem is now
-- answered as <stem>.ack.<n>.json (the first keeps the contract's name); the unique index makes two
-- registry rows of one agency claim the same acknowledgement impossible, also for two ingestions at
-- once. Files registered before this version keep a NULL ack_number and are not held to it.

ALTER TABLE core.return_file ADD COLUMN ack_number INTEGER;
CREATE UNIQUE INDEX IF NOT EXISTS return_file_ack_once
    ON core.return_file (agency_code, ack_file_name, ack_number);
COMMENT ON COLUMN core.return_file.ack_number IS 'Which file of its stem (the name without .csv) this is for the agency: 1 for the first, acknowledged under the contract''s name <stem>.ack.json; n for the n-th, acknowledged as <stem>.ack.<n>.json (with <stem>.rejects.<n>.csv). NULL for files registered before V020.';
COMMENT ON COLUMN core.return_file.ack_file_name IS 'Acknowledgement written for this file alone, e.g. AG01_PAYMENTS_20261115_01.ack.json, or AG01_PAYMENTS_20261115_01.ack.2.json for the second file of that stem.';

-- received_at was the upload's modification time, which the agency's client sets (put -p kept a 2020
-- date); it is now when the fund fetched the file. It cannot tell a file fetched again after a crash
-- (the same upload: its acknowledgement is replayed) from the same bytes sent again (DUPLICATE), so the
-- registry says when the fund was done with the file in inbox/: delivered_at, NULL until then. Rows
-- from before V020 are told apart as before, by received_at (the remote modification time).
ALTER TABLE core.return_file ADD COLUMN delivered_at TIMESTAMP;
COMMENT ON COLUMN core.return_file.delivered_at IS 'When the fund had delivered the acknowledgement and was done with the file in inbox/ (moved it to inbox/processed/, or found it moved or replaced since) (UTC); from then on the same name and bytes in inbox/ are a new upload. NULL until then: the file fetched again is the same upload and its acknowledgement is replayed.';
COMMENT ON COLUMN core.return_file.received_at IS 'When the fund fetched the file from inbox/, by the fund''s clock (UTC); for files registered before V020, the modification time the agency''s server showed.';
