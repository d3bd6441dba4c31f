-- Rows of employers changed in the watermark window (low, high]: one incremental snapshot.
-- A table's first window (full_load = 1) also takes the rows with no updated_at: no later window
-- can see them. In a later window both terms use the updated_at index (SQLite: MULTI-INDEX OR;
-- PostgreSQL: BitmapOr).
-- Portable (SQLite, PostgreSQL); the window bounds low and high are bound by recouvra.extract.
-- Part: scan = NOT INDEXED on SQLite in a full load (a table scan then a sort beats fetching every
-- row by rowid from the updated_at index), empty otherwise.
SELECT affiliation_no,
       legal_name,
       legal_form,
       ice,
       rc_number,
       rc_court,
       if_number,
       cin,
       address,
       city,
       phone,
       phone_2,
       email,
       legal_rep_name,
       sector,
       status,
       registered_on,
       ceased_on,
       updated_at
FROM employers {scan}
WHERE (updated_at > :low AND updated_at <= :high)
   OR (updated_at IS NULL AND :full_load = 1)
ORDER BY updated_at, affiliation_no
