-- Rows of legal_proceedings changed in the watermark window (low, high]: one incremental snapshot.
-- A table's first window (full_load = 1) also takes the rows with no updated_at: no later window
-- can see them. Both terms use the updated_at index (SQLite: MULTI-INDEX OR; PostgreSQL: BitmapOr).
-- Portable (SQLite, PostgreSQL); the window bounds low and high are bound by recouvra.extract.
SELECT proceeding_id,
       affiliation_no,
       kind,
       opened_on,
       closed_on,
       updated_at
FROM legal_proceedings
WHERE (updated_at > :low AND updated_at <= :high)
   OR (updated_at IS NULL AND :full_load = 1)
ORDER BY updated_at, proceeding_id
