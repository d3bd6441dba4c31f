-- Every row of one mart table or view (recouvra.fingerprint). Parts: columns = its quoted column list
-- (volatile columns such as computed_at left out), relation = marts.<name> from information_schema.
SELECT {columns} FROM {relation}
