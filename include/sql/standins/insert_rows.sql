-- Inserts generated rows into a table of the synthetic source, many rows per call (executemany).
-- Parts (composed by recouvra.standins.generator.sinks): table = the table, columns = its column
-- list, values = one placeholder per column in the driver's style (qmark or named).
INSERT INTO {table} ({columns}) VALUES ({values})
