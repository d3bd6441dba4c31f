-- Streams generated rows into a table of the synthetic source on PostgreSQL (COPY, text format).
-- Parts (composed by recouvra.standins.generator.sinks): table = the table, columns = its column list.
COPY {table} ({columns}) FROM STDIN
