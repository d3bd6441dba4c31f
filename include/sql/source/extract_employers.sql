-- Rows of employers changed in the watermark window (low, high]: one incremental snapshot.
-- Portable (SQLite, PostgreSQL); the window bounds low and high are bound by recouvra.extract.
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
FROM employers
WHERE updated_at > :low
  AND updated_at <= :high
ORDER BY updated_at, affiliation_no
