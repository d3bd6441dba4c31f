-- An employer that ceased or went into liquidation during an advanced month.
UPDATE employers SET status = ?, ceased_on = ?, updated_at = ? WHERE affiliation_no = ?
