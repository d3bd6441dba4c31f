-- The BI views of the warehouse (marts.v_*: the stable contract of docs/kpi.md), by name. Both engines.
SELECT table_name
FROM information_schema.tables
WHERE table_schema = 'marts'
  AND table_type = 'VIEW'
  AND table_name LIKE 'v\_%' ESCAPE '\'
ORDER BY table_name
