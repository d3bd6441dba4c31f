-- Every debtor owing something on the portfolio date, with the golden record's region, contacts and
-- current activity status.
-- Debtors merged into another since are left out (their amounts belong to the survivor).
-- no_assets: an agency closed a dossier of the debtor CEASED_NO_ASSETS in a file received by the portfolio
-- date (so dated by it too: a closure is never dated after the day its file is judged).
-- Parameters: as_of_date (twice).
SELECT p.debtor_id, dd.primary_affiliation_no, p.region,
       p.principal_open, p.surcharge_open, p.penalty_open, p.total_open,
       p.unpaid_periods, p.oldest_unpaid_period, p.oldest_title_notified_on, p.title_days_left,
       p.payments_12m, p.reversals, p.broken_plans, p.active_plans,
       p.in_legal_proceeding, p.in_insolvency, p.open_disputes,
       dd.activity_status,  -- current: agency findings (insolvency, closure) since the build count
       dd.phone_1, dd.phone_2, dd.email, dd.address, dd.city,
       EXISTS (SELECT 1 FROM core.agency_closure AS c JOIN core.dossier AS x ON x.dossier_id = c.dossier_id
               JOIN core.return_file AS rf ON rf.return_file_id = c.return_file_id
               WHERE x.debtor_id = p.debtor_id AND c.reason = 'CEASED_NO_ASSETS'
                 AND CAST(rf.received_at AS DATE) <= ?)
           AS no_assets
FROM core.debtor_portfolio AS p
JOIN core.dim_debtor AS dd ON dd.debtor_id = p.debtor_id
WHERE p.as_of_date = ?
  AND dd.status = 'ACTIVE'
ORDER BY p.debtor_id
