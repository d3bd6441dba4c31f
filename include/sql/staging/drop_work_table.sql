-- Drops a snapshot's work table left by an interrupted merge. Part: work = the work table.
DROP TABLE IF EXISTS {work}
