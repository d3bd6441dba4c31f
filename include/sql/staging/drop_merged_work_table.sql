-- Drops a snapshot's work table once its rows are merged. Part: work = the work table.
DROP TABLE {work}
