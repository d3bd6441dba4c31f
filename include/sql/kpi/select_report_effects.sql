-- The agency effects of the report month, every vintage together, at each months on book
-- (param: month first day). The report shows, per agency, the longest months on book with a verdict.
SELECT agency_code, months_on_book, dossiers_count, pool_dossiers_count, agency_rate, pool_rate, effect,
       ci_low, ci_high, significant, finding
FROM marts.kpi_agency_effect
WHERE as_of_month = CAST(? AS DATE) AND vintage = 'ALL'
ORDER BY agency_code, months_on_book
