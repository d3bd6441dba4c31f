-- An employer that moved during an advanced month (address, and the city when it left town).
UPDATE employers SET address = ?, city = ?, updated_at = ? WHERE affiliation_no = ?
