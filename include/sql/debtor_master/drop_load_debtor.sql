-- Drop the golden-record work table once the build has written core.dim_debtor; no parameters.
DROP TABLE core.load_debtor
