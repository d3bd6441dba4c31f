-- Remove the portfolio features of one date before they are written again (param: as_of_date).
DELETE FROM core.debtor_portfolio WHERE as_of_date = ?
