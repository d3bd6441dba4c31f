"""Read the lake: the current state of each source table, assembled from its incremental snapshots.

Each published snapshot holds the rows changed in its watermark window; the current state of a table
is the latest version of each primary key across snapshots. DuckDB reads the Parquet files directly
(no copy, no whole table in Python memory).
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from recouvra.extract import TABLES, arrow_schema, current_glob

if TYPE_CHECKING:
    from collections.abc import Iterator

    import duckdb

SQL_DIR = Path(__file__).resolve().parents[1] / "sql" / "lake"


def _empty_select(table: str) -> str:
    """A typed, empty SELECT for a table that has no published snapshot yet."""
    import pyarrow as pa

    sql_types = {pa.int64(): "BIGINT", pa.date32(): "DATE", pa.timestamp("us"): "TIMESTAMP",
                 pa.string(): "VARCHAR"}
    cols = ", ".join(f"NULL::{sql_types[f.type]} AS {f.name}" for f in arrow_schema(table))
    return f"SELECT {cols} WHERE false"


def register_current_views(con: duckdb.DuckDBPyConnection, lake: Path) -> None:
    """Create one view per source table holding its current state (latest version per key)."""
    for table, keys in TABLES.items():
        if not list(lake.glob(f"{table}/snapshot_date=*/*.parquet")):
            con.execute(f"CREATE OR REPLACE TEMP VIEW {table} AS {_empty_select(table)}")
            continue
        cols = ", ".join(f.name for f in arrow_schema(table))
        con.execute(
            f"CREATE OR REPLACE TEMP VIEW {table} AS SELECT {cols} FROM ("
            f"  SELECT *, row_number() OVER (PARTITION BY {', '.join(keys)} "
            f"                               ORDER BY snapshot_date DESC, updated_at DESC) AS _rn"
            f"  FROM read_parquet('{current_glob(lake, table)}', hive_partitioning = true)"
            f") WHERE _rn = 1"
        )


@contextmanager
def open_lake(lake: Path, *, memory_limit: str = "4GB") -> Iterator[duckdb.DuckDBPyConnection]:
    """An in-memory DuckDB connection with the current-state views of every source table."""
    import duckdb

    con = duckdb.connect(config={"memory_limit": memory_limit})
    try:
        register_current_views(con, lake)
        yield con
    finally:
        con.close()


def lake_sql(name: str) -> str:
    """A query of include/sql/lake/ (DuckDB dialect: the lake is always read by DuckDB)."""
    return (SQL_DIR / f"{name}.sql").read_text(encoding="utf-8")
