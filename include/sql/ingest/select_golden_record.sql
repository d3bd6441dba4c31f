-- A debtor's golden record (param: debtor_id). Composed part "columns": the history columns.
SELECT {columns} FROM core.dim_debtor WHERE debtor_id = ?
