-- Records one advanced month (last statement of the month's transaction).
INSERT INTO source_clock (month, seed, counts_json, advanced_at) VALUES (?, ?, ?, ?)
