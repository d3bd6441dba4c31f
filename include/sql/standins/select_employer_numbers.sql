-- Every affiliation number the source holds: the truth keeps only these (a month killed after its
-- truth was written but before its commit left records the source never received).
SELECT affiliation_no FROM employers
