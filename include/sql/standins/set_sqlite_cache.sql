-- A 256 MiB page cache for the SQLite file the generator writes (negative size means KiB).
PRAGMA cache_size=-262144
