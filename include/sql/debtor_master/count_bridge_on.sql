-- Affiliation numbers and debtors of the bridge version valid on a day (its valid_from inclusive,
-- valid_to exclusive). Parameters: the day, twice.
SELECT count(*), count(DISTINCT debtor_id)
FROM core.bridge_affiliation_debtor
WHERE valid_from <= ? AND (valid_to IS NULL OR valid_to > ?)
