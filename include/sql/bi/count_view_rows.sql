-- Rows of one BI table or view (a check of the export). Part: view.
SELECT count(*) FROM marts.{view}
