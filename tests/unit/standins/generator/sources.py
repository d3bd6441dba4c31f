"""The small seeded source the generator tests share: its size and seed, and readers of the database and
the truth. Loaded by path by the tests and their conftest (tests/ is not a package)."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pandas as pd

from recouvra.standins.generator.seed import TRUTH_FILE

N = 2000
SEED = 7


def _table_hash(db: Path, table: str) -> str:
    conn = sqlite3.connect(db)
    try:
        h = hashlib.sha256()
        for row in conn.execute(f"SELECT * FROM {table} ORDER BY 1, 2"):
            h.update(repr(row).encode())
        return h.hexdigest()
    finally:
        conn.close()


def _query(db: Path, sql: str) -> pd.DataFrame:
    conn = sqlite3.connect(db)
    try:
        return pd.read_sql_query(sql, conn)
    finally:
        conn.close()


def _truth(truth_dir: Path) -> pd.DataFrame:
    return pd.read_parquet(truth_dir / TRUTH_FILE)
