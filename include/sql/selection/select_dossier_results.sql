-- Each dossier of a placement month with what was attributed to it before a cutoff (the end of the
-- results horizon) on the months it was assigned (not those added later), and its score card.
-- Parameters: cutoff date (exclusive), placement month.
SELECT d.dossier_id, d.agency_code, d.total_due,
       coalesce((SELECT sum(a.amount) FROM core.attribution AS a
                 WHERE a.dossier_id = d.dossier_id AND a.payment_date < ?
                   AND NOT EXISTS (SELECT 1 FROM core.dossier_addition AS x  -- months added later: not
                                   WHERE x.dossier_id = a.dossier_id     -- what the score or total_due
                                     AND x.period = a.settles_period)), 0) AS recovered,  -- was about
       s.payments_12m, s.broken_plans, s.oldest_unpaid_age_months, s.reversals, s.activity_status,
       s.has_phone, s.has_email, s.has_address, s.weighted_due
FROM core.dossier AS d
LEFT JOIN core.selection_run AS r  -- the run that created it (the month's selection or its top-up)
       ON r.selection_month = d.assignment_month AND r.assignment_start = d.assignment_start
LEFT JOIN core.selection_score AS s
       ON s.selection_month = d.assignment_month AND s.debtor_id = d.debtor_id
      AND s.selection_seq = coalesce(r.selection_seq, 1)
WHERE d.assignment_month = ?
ORDER BY d.dossier_id
