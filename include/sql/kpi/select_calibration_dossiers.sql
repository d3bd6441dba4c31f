-- Dossiers whose results are in at a month end, with what their score card predicted: the placement
-- months whose horizon has passed by then, each dossier's likelihood and kind-weighted amount (its
-- score card of the run that created it), and what was attributed to it within the horizon.
-- Parameters: horizon months (recovered), horizon months and month end (results in by then).
SELECT d.dossier_id, d.assignment_month, s.likelihood, s.weighted_due,
       coalesce((SELECT sum(a.amount) FROM core.attribution AS a
                 WHERE a.dossier_id = d.dossier_id
                   AND a.payment_date < d.assignment_month + CAST(? AS INTEGER) * INTERVAL '1 month'
                   AND NOT EXISTS (SELECT 1 FROM core.dossier_addition AS x  -- a month added later is not
                                   WHERE x.dossier_id = a.dossier_id     -- what the score predicted
                                     AND x.period = a.settles_period)), 0)
           AS recovered
FROM core.dossier AS d
LEFT JOIN core.selection_run AS r  -- the run that created it (the month's selection or its top-up)
       ON r.selection_month = d.assignment_month AND r.assignment_start = d.assignment_start
JOIN core.selection_score AS s
       ON s.selection_month = d.assignment_month AND s.debtor_id = d.debtor_id
      AND s.selection_seq = coalesce(r.selection_seq, 1)
WHERE d.assignment_month + CAST(? AS INTEGER) * INTERVAL '1 month' <= CAST(? AS DATE) + INTERVAL '1 day'
  AND s.weighted_due > 0
ORDER BY d.dossier_id
