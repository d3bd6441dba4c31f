-- Remaining to recover and coverage over the months loaded up to the report month (param: month
-- first day), summed over segments and regions.
SELECT month, SUM(portfolio_amount) AS portfolio_amount, SUM(placed_amount) AS placed_amount,
       SUM(remaining_open_amount) AS remaining_open_amount, SUM(recovered_to_date) AS recovered_to_date
FROM marts.v_portfolio_coverage
WHERE month <= CAST(? AS DATE)
GROUP BY month
ORDER BY month
