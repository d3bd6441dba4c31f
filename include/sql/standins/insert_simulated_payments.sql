-- Inserts the agency simulator's ledger payments into the source (SQLAlchemy executemany).
-- Parts (composed by recouvra.standins.simulator.ledger): columns = the column list, values = the
-- named placeholders, one per column.
INSERT INTO ledger_payments ({columns}) VALUES ({values})
