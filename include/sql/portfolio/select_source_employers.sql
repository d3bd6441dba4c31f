-- When the source last changed each of some employers, to explain why rows refer to employers the
-- lake lacks (SQLAlchemy, portable). Param keys: the affiliation numbers (an expanding IN list).
SELECT affiliation_no, updated_at FROM employers WHERE affiliation_no IN :keys
