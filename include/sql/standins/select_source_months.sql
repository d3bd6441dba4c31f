-- Months the synthetic source has been advanced through, in order.
SELECT month FROM source_clock ORDER BY month
