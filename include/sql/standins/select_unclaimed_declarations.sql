-- Declarations of a period that has just fallen due and holds no receivable line yet: the month's
-- fresh claims are drawn among them.
SELECT d.affiliation_no, d.headcount, d.payroll_centimes, d.channel
FROM declarations d
WHERE d.period = ?
  AND NOT EXISTS (SELECT 1 FROM receivables r WHERE r.affiliation_no = d.affiliation_no AND r.period = d.period)
ORDER BY d.affiliation_no
