"""The lake: the source tables it holds, their columns, and their state as of a day.

The tables and their primary keys (:data:`TABLES`) and columns (read from the source DDL, one source of
truth for column types) are the lake's own layout: extraction writes them, every later stage reads them.

Each published snapshot holds the rows changed in its watermark window; the state of a table as of a
day is the latest version of each primary key across the snapshots dated up to that day. Every stage
opens the lake as of its run's day (:func:`open_lake` ``as_of=run.day``), so a run re-done after later
months were extracted reads exactly what it read the first time; only the status command and ad-hoc
tools read "now" (``as_of=None``: every snapshot). DuckDB reads the Parquet files directly (no copy, no
whole table in Python memory).
"""

from __future__ import annotations

import os
import re
import tempfile
from contextlib import contextmanager
from functools import cache
from typing import TYPE_CHECKING

from recouvra.errors import SourceError
from recouvra.sqlfiles import query

if TYPE_CHECKING:
    import datetime as dt
    from collections.abc import Iterable, Iterator
    from pathlib import Path

    import duckdb
    import pyarrow as pa

#: The source tables the lake holds, with their primary keys.
TABLES: dict[str, tuple[str, ...]] = {
    "employers": ("affiliation_no",),
    "declarations": ("declaration_id",),
    "titles": ("title_id",),
    "receivables": ("receivable_id",),
    "ledger_payments": ("payment_id",),
    "payment_plans": ("plan_id",),
    "plan_installments": ("plan_id", "seq"),
    "legal_proceedings": ("proceeding_id",),
    "disputes": ("dispute_id",),
}


# --- the lake's schema, read from the source DDL (one source of truth for column types) ----------

_DDL_TYPES = (
    (re.compile(r"^(BIGINT|INTEGER|INT|SMALLINT)"), "int64"),
    (re.compile(r"^TIMESTAMP"), "timestamp"),
    (re.compile(r"^DATE"), "date"),
    (re.compile(r"^(VARCHAR|CHAR|TEXT)"), "string"),
)


@cache
def source_columns() -> dict[str, list[tuple[str, str]]]:
    """``{table: [(column, kind)]}`` from create_source_tables.sql; kind is int64/date/timestamp/string."""
    ddl = query("source/create_source_tables")
    out: dict[str, list[tuple[str, str]]] = {}
    for m in re.finditer(r"CREATE TABLE (\w+) \((.*?)\n\);", ddl, re.S):
        cols = []
        for line in m.group(2).splitlines():
            parts = line.split("--")[0].strip().split()
            if len(parts) < 2 or parts[0] in {"PRIMARY", "UNIQUE", "FOREIGN", "CONSTRAINT"}:
                continue
            kind = next((k for rx, k in _DDL_TYPES if rx.match(parts[1].upper())), None)
            if kind is None:
                raise SourceError(f"create_source_tables.sql: {m.group(1)}.{parts[0]}: type {parts[1]}")
            cols.append((parts[0], kind))
        out[m.group(1)] = cols
    return out


def arrow_schema(table: str) -> pa.Schema:
    import pyarrow as pa

    types = {"int64": pa.int64(), "date": pa.date32(), "timestamp": pa.timestamp("us"),
             "string": pa.string()}
    return pa.schema([(c, types[k]) for c, k in source_columns()[table]])


def money_columns(table: str) -> list[str]:
    return [c for c, _ in source_columns()[table] if c.endswith("_centimes")]


def current_glob(lake: Path, table: str) -> str:
    """Glob of every published file of a table (readers keep the latest row per primary key)."""
    return str(lake / table / "snapshot_date=*" / "*.parquet")




def _null_columns(table: str) -> str:
    """The table's columns as typed NULLs, for the empty view of a table with no snapshot yet."""
    import pyarrow as pa

    sql_types = {pa.int64(): "BIGINT", pa.date32(): "DATE", pa.timestamp("us"): "TIMESTAMP",
                 pa.string(): "VARCHAR"}
    return ", ".join(f"NULL::{sql_types[f.type]} AS {f.name}" for f in arrow_schema(table))


def snapshot_dates(lake: Path, table: str, as_of: dt.date | None = None) -> list[str]:
    """The dates (YYYY-MM-DD) of the table's published snapshots up to ``as_of`` (all if None)."""
    dates = sorted({p.parent.name.removeprefix("snapshot_date=")
                    for p in lake.glob(f"{table}/snapshot_date=*/*.parquet")})
    return dates if as_of is None else [d for d in dates if d <= as_of.isoformat()]


#: Name of the table of affiliation numbers a scoped lake connection is restricted to (:func:`open_lake`).
SCOPE_TABLE = "lake_scope"


def register_views(con: duckdb.DuckDBPyConnection, lake: Path, as_of: dt.date | None,
                   *, scope: str | None = None) -> None:
    """Create one view per source table holding its state as of the day ``as_of``: the latest version
    of each key across the snapshots dated up to that day (every snapshot when ``as_of`` is None).

    ``scope``: a table registered on ``con`` with a column ``affiliation_no``; the views of tables that
    carry an affiliation number then hold only the keys some version of which names one of those numbers
    (``create_scoped_as_of_view.sql``): what a reader joining on those numbers gets is unchanged, and
    only their rows are ranked."""
    for table, keys in TABLES.items():
        if not snapshot_dates(lake, table, as_of):
            con.execute(query("lake/create_empty_view", table=table, columns=_null_columns(table)))
            continue
        names = [f.name for f in arrow_schema(table)]
        cols = ", ".join(names)
        # The cut is a part, not a parameter (a view takes none): digits only, make_date(y, m, d).
        cut = "true" if as_of is None else (
            f"snapshot_date <= make_date({as_of.year:d}, {as_of.month:d}, {as_of.day:d})")
        if scope is not None and "affiliation_no" in names:
            con.execute(query("lake/create_scoped_as_of_view", table=table, columns=cols,
                              keys=", ".join(keys), folder=str(lake / table), cut=cut, scope=scope))
            continue
        con.execute(query("lake/create_as_of_view", table=table, columns=cols, keys=", ".join(keys),
                          folder=str(lake / table), cut=cut))


@contextmanager
def open_lake(
    lake: Path, *, as_of: dt.date | None, memory_limit: str = "4GB",
    affiliations: Iterable[str] | None = None,
) -> Iterator[duckdb.DuckDBPyConnection]:
    """An in-memory DuckDB connection with a view of every source table as of the day ``as_of`` (a
    stage passes its run's day; ``None``, every snapshot, is for the status command and ad-hoc tools).

    ``affiliations``: a reader that wants a few affiliation numbers (a month's dossiers) names them; the
    views then rank the versions of those numbers' rows only (:func:`register_views`' ``scope``,
    registered as :data:`SCOPE_TABLE`), so its cost follows the dossiers, not the portfolio. Rows of
    other numbers may remain in the views: join on the numbers."""
    import duckdb

    # an in-memory database spills to ".tmp" in the working directory by default: a directory of this
    # process in the system's temporary directory instead (DuckDB removes what it wrote when the
    # connection closes; tasks running side by side never share one)
    spill = os.path.join(tempfile.gettempdir(), f"recouvra-duckdb-{os.getpid()}")
    con = duckdb.connect(config={"memory_limit": memory_limit, "temp_directory": spill})
    try:
        scope = None
        if affiliations is not None:
            import pyarrow as pa

            con.register(SCOPE_TABLE, pa.table({"affiliation_no": pa.array(sorted(set(affiliations)),
                                                                            pa.string())}))
            scope = SCOPE_TABLE
        register_views(con, lake, as_of, scope=scope)
        yield con
    finally:
        con.close()


@contextmanager
def memory_limit(con: duckdb.DuckDBPyConnection, limit: str) -> Iterator[None]:
    """DuckDB's memory limit of ``con`` set to ``limit`` (e.g. ``"1GB"``) inside the block, its own
    again after: what does not fit spills to the connection's temporary directory.

    DuckDB shows a limit truncated to one decimal (4 GB as ``3.7 GiB``); it is given back as the middle
    of what that shows (``3.75 GiB``), so that the limit does not shrink a little at every use."""
    row = con.execute(query("lake/select_memory_limit")).fetchone()
    shown = str(row[0]) if row is not None else ""
    m = re.fullmatch(r"(\d+(?:\.\d)?) (\w+)", shown)
    before = f"{float(m.group(1)) + 0.05:.2f} {m.group(2)}" if m and "." in m.group(1) else shown
    con.execute(query("lake/set_memory_limit"), [limit])
    try:
        yield
    finally:
        if before:
            con.execute(query("lake/set_memory_limit"), [before])


def create_outstanding(con: duckdb.DuckDBPyConnection, on: dt.date) -> None:
    """Materialise table ``outstanding`` in a lake connection: what each affiliation still owes per
    unpaid month on the day ``on`` (``include/sql/lake/build_outstanding_by_period.sql``)."""
    con.sql(query("lake/build_outstanding_by_period"), params={"as_of": on}).create("outstanding")

