-- Ledger payments told to an agency so far. Parameter: agency_code.
SELECT count(*) FROM core.ledger_payment_notice WHERE agency_code = ?
