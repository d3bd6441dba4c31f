-- A title's amount is the sum of the lines that carry it: it moves with their surcharges.
UPDATE titles
SET amount_centimes = titles.amount_centimes + u.delta_centimes,
    updated_at = u.updated_at
FROM advance_title_updates AS u
WHERE titles.title_id = u.title_id
