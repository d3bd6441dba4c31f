-- SQLite only: read the source file through a memory map (up to 1 GiB) instead of one read() system
-- call per page; a read-only optimisation of the connection (recouvra.extract), results unchanged.
PRAGMA mmap_size = 1073741824
