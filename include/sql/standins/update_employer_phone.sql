-- An employer whose phone number changed during an advanced month.
UPDATE employers SET phone = ?, updated_at = ? WHERE affiliation_no = ?
