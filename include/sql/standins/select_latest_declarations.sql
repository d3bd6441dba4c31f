-- Each active employer's latest declaration before the period about to be declared: the next one
-- varies around it. Employers that already declared the period are left out.
SELECT d.affiliation_no, d.headcount, d.payroll_centimes, d.channel
FROM employers e
JOIN declarations d ON d.affiliation_no = e.affiliation_no
WHERE e.status = 'ACTIVE'
  AND d.period = (SELECT MAX(x.period) FROM declarations x
                  WHERE x.affiliation_no = e.affiliation_no AND x.period < ?)
  AND NOT EXISTS (SELECT 1 FROM declarations y WHERE y.affiliation_no = e.affiliation_no AND y.period = ?)
ORDER BY d.affiliation_no
