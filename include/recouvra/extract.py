"""Incremental extraction of the fund's operational source into Parquet snapshots in the lake.

Each table has a watermark on ``updated_at``: a snapshot holds the rows changed in ``(low, high]``,
where ``low`` is the ``high`` of the table's latest snapshot before this one and ``high`` is the end of
the run's data interval. A table's first window (no earlier snapshot) is a full load: it takes every row
the source holds up to ``high`` whatever its date (rows stamped before 1970 included) and the rows
with no ``updated_at`` at all, which no later window can see again. Rows are streamed from the source
in chunks and written chunk by chunk with pyarrow, so no table is ever held whole in memory.

Write, audit, publish: a snapshot is first written under ``_incoming/<run_id>/``; only after the quality
gate passes is it published to ``<table>/snapshot_date=YYYY-MM-DD/``; a failed snapshot goes to
``_quarantine/``. A published snapshot is immutable: re-running its date keeps it as it is
(:func:`published_snapshot`), because the source has moved on since (a row changed again later has
left the window) and every later stage read it; a run killed between two tables' publications
extracts only the tables it had not published. The watermark lives in the published partition's
``_manifest.json``: nothing else keeps state.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from recouvra.errors import SourceError
from recouvra.lake import TABLES, arrow_schema, money_columns
from recouvra.sqlfiles import query

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

    import pyarrow as pa

#: Tables extracted, in dependency order (referenced tables first), with their primary keys.
#: The low bound of a table's first window: before any date a source can hold (its rows with no
#: ``updated_at`` are taken too). Not the Unix epoch: the fund's oldest employers predate 1970.
FULL_LOAD_LOW = dt.datetime(1, 1, 1)
MANIFEST = "_manifest.json"
DEFAULT_CHUNK_ROWS = 200_000


@dataclass(frozen=True)
class Snapshot:
    """One table's snapshot: where it is, its watermark window and what it holds."""

    table: str
    snapshot_date: str
    low: str
    high: str
    rows: int
    files: list[str]
    path: str
    run_id: str
    sums: dict[str, int] = field(default_factory=dict)
    #: Already published by an earlier run of the same date: kept as it is, never extracted again.
    frozen: bool = False

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True)


def extract_sql(table: str, *, scan: str = "") -> str:
    """The table's extraction query; ``scan`` is :func:`scan_hint`'s part."""
    if table not in TABLES:
        raise SourceError(f"unknown source table {table!r}; extracted tables: {list(TABLES)}")
    return query(f"source/extract_{table}", scan=scan)


#: On SQLite, a later window's share of its table from which a table scan and a sort beat fetching each
#: row by rowid from the updated_at index (see :func:`scan_hint`).
SCAN_SHARE = 0.10


def scan_hint(source_url: str, table: str, low: str, high: str) -> str:
    """``NOT INDEXED`` on SQLite when the window is a large share of the table, else nothing.

    A full load's window is the whole table; a later window can be a third of it too (at L, a month
    changes 4.0 M of 11.7 M receivable lines: each open line's surcharge accrues). SQLite's planner,
    with no statistics on the range, then fetches every row by rowid from the updated_at index, one
    B-tree descent each; a table scan gives the same rows (the ORDER BY is a total order) at a fraction
    of the cost (at M, the source totals of declarations: 2.1 s of CPU by the index, 0.2 s by a scan).
    A later window's share is counted from the index alone (a covering count) against the table's
    largest rowid; from :data:`SCAN_SHARE` on, the table is scanned. PostgreSQL chooses its plan from
    its statistics: nothing is forced there."""
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    if make_url(source_url).get_backend_name() != "sqlite":
        return ""
    if is_full_load(low):
        return "NOT INDEXED"
    engine = _source_engine(source_url)
    try:
        with engine.connect() as conn:
            window = conn.execute(text(query("source/count_window_rows_sqlite", table=table)),
                                  {"low": low, "high": high}).scalar_one()
            size = conn.execute(text(query("source/count_row_slots_sqlite", table=table))).scalar_one()
    finally:
        engine.dispose()
    return "NOT INDEXED" if size and window >= SCAN_SHARE * size else ""


# --- watermarks --------------------------------------------------------------------------------

def _ts(value: dt.datetime) -> str:
    # One textual form for every engine: SQLite compares timestamps as text, PostgreSQL casts it.
    # isoformat pads the year to four digits (strftime's %Y does not: year 1 would read "1-01-01").
    return value.isoformat(sep=" ", timespec="microseconds")


def published_snapshots(lake: Path, table: str) -> list[Snapshot]:
    """The table's published snapshots, oldest first."""
    out = []
    for manifest in sorted((lake / table).glob(f"snapshot_date=*/{MANIFEST}")):
        out.append(Snapshot(**json.loads(manifest.read_text(encoding="utf-8"))))
    return out


def published_snapshot(lake: Path, table: str, snapshot_date: dt.date) -> Snapshot | None:
    """The table's snapshot already published for this date, marked frozen; None if there is none."""
    manifest = lake / table / f"snapshot_date={snapshot_date.isoformat()}" / MANIFEST
    if not manifest.is_file():
        return None
    return Snapshot(**{**json.loads(manifest.read_text(encoding="utf-8")), "frozen": True})


def low_watermark(lake: Path, table: str, snapshot_date: dt.date) -> str:
    """The high watermark of the latest snapshot strictly before this date (:data:`FULL_LOAD_LOW`,
    a full load, if none)."""
    earlier = [s for s in published_snapshots(lake, table) if s.snapshot_date < snapshot_date.isoformat()]
    return earlier[-1].high if earlier else _ts(FULL_LOAD_LOW)


def is_full_load(low: str) -> bool:
    """Whether a window starting at ``low`` is a table's first: it takes undated rows too."""
    return low == _ts(FULL_LOAD_LOW)


def window_params(low: str, high: str) -> dict[str, Any]:
    """The bind parameters of the extraction and source-total queries for the window ``(low, high]``."""
    return {"low": low, "high": high, "full_load": 1 if is_full_load(low) else 0}


# --- streaming extraction --------------------------------------------------------------------
#
# The rows move column-wise: no Python loop runs per row. SQLite through the raw DBAPI cursor:
# ``fetchmany`` slices, one transpose in C (``zip(*rows)``) and one ``pa.array`` per column (dates and
# timestamps, text in SQLite, parsed by pyarrow.compute); PostgreSQL (the psycopg URL) through the
# ADBC driver, whose Arrow record batches come straight from libpq's binary COPY (no Python object per
# row or value at all); any other driver through SQLAlchemy's streaming, each chunk
# transposed in C. All stream in chunks of ``chunk_rows`` rows, so memory stays bounded, and each
# chunk becomes one row group as before.

#: The rows a DBAPI cursor hands over at once (as Python tuples) before they become Arrow columns.
FETCH_ROWS = 20_000


def _source_engine(url: str) -> Any:
    """A SQLAlchemy engine on the source; on SQLite, every connection reads the file through mmap
    (source/set_read_mmap_sqlite.sql) instead of one read() system call per page."""
    from sqlalchemy import create_engine, event

    engine = create_engine(url)
    if engine.dialect.name == "sqlite":
        def _mmap(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.execute(query("source/set_read_mmap_sqlite"))
        event.listen(engine, "connect", _mmap)
    return engine


def _dbapi_statement(dialect: Any, sql: str, params: dict[str, Any]) -> tuple[str, Any]:
    """The statement and its parameters in the driver's own parameter style (``:name`` -> ``?`` or
    ``%(name)s``), as SQLAlchemy would send them."""
    from sqlalchemy import text

    compiled = text(sql).compile(dialect=dialect)
    bound = compiled.construct_params(params)
    if compiled.positional:
        return compiled.string, tuple(bound[name] for name in compiled.positiontup or ())
    return compiled.string, bound


def _libpq_uri(url: str) -> str:
    """The source's SQLAlchemy URL as the libpq URI ADBC connects with (the driver part dropped; the
    password, if any, kept in memory only)."""
    from sqlalchemy.engine import make_url

    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _adbc_statement(sql: str, params: dict[str, Any]) -> str:
    """The statement with its parameters written in as PostgreSQL literals. The ADBC driver streams a
    query through ``COPY ... TO STDOUT (FORMAT binary)`` only when it has no bound parameter; with
    one it falls back to a prepared statement whose whole result libpq holds in memory (measured at M:
    539 MiB for the declarations against 209 MiB streamed). The parameters are the extraction's own
    window bounds (:func:`window_params`: timestamps as text, a 0/1 flag), rendered and quoted by
    SQLAlchemy's PostgreSQL dialect, never text from outside."""
    from sqlalchemy import bindparam, text
    from sqlalchemy.dialects import postgresql

    stmt = text(sql).bindparams(*(bindparam(k, v) for k, v in params.items()))
    dialect = postgresql.dialect()  # type: ignore[no-untyped-call]
    return str(stmt.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))


#: The ADBC PostgreSQL driver's target size of one record batch.
ADBC_BATCH_BYTES = 1 << 20


def _adbc_batches(
    url: str, sql: str, params: dict[str, Any], schema: pa.Schema, chunk_rows: int
) -> Iterator[pa.Table]:
    """PostgreSQL: the query's rows as Arrow record batches straight from the ADBC driver
    (``adbc-driver-postgresql``, Apache Arrow's: libpq's binary COPY decoded in C, no Python object
    per row or per value), cast to the lake schema (INTEGER arrives as int32, NUMERIC as text) and
    gathered into chunks of ``chunk_rows`` rows."""
    import adbc_driver_postgresql.dbapi as adbc
    import pyarrow as pa

    statement = _adbc_statement(sql, params)
    with adbc.connect(_libpq_uri(url)) as conn, conn.cursor() as cur:
        # batches far smaller than a chunk (the driver's default, 16 MB, is a whole chunk of most
        # tables), so a chunk holds its own rows and at most one small batch beyond them
        cur.adbc_statement.set_options(**{"adbc.postgresql.batch_size_hint_bytes": str(ADBC_BATCH_BYTES)})
        cur.execute(statement)
        pending: list[pa.Table] = []
        held = 0
        for batch in cur.fetch_record_batch():
            pending.append(_cast_to(batch, schema))
            held += batch.num_rows
            while held >= chunk_rows:
                tbl = pa.concat_tables(pending)
                yield tbl.slice(0, chunk_rows)
                rest = tbl.slice(chunk_rows)
                pending, held = [rest], rest.num_rows
        if held:
            yield pa.concat_tables(pending)
        conn.rollback()


def _cast_to(batch: pa.RecordBatch, schema: pa.Schema) -> pa.Table:
    """A driver's batch as a table of the lake schema: columns by position, named and typed by it (an
    extension type, such as ADBC's opaque NUMERIC, is cast from its text storage)."""
    import pyarrow as pa

    arrays = []
    for column, f in zip(batch.columns, schema, strict=True):
        if isinstance(column.type, pa.BaseExtensionType):
            column = column.storage
        arrays.append(column if column.type == f.type else column.cast(f.type))
    return pa.Table.from_arrays(arrays, schema=schema)


def _cursor_batches(
    dbapi_conn: Any, sql: str, params: Any, schema: pa.Schema, chunk_rows: int
) -> Iterator[pa.Table]:
    """Any DBAPI cursor (SQLite): ``fetchmany`` slices of at most :data:`FETCH_ROWS` rows, each
    transposed in C into columns and made Arrow at once (the driver's Python objects of one slice
    only are alive), gathered into chunks of ``chunk_rows`` rows."""
    import pyarrow as pa

    cur = dbapi_conn.cursor()
    try:
        cur.execute(sql, params)
        parts: list[pa.Table] = []
        held = 0
        while rows := cur.fetchmany(min(chunk_rows - held, FETCH_ROWS)):
            parts.append(_to_arrow(list(zip(*rows, strict=True)), schema))
            held += len(rows)
            del rows
            if held == chunk_rows:
                yield pa.concat_tables(parts)
                parts, held = [], 0
        if held:
            yield pa.concat_tables(parts)
    finally:
        cur.close()


def _batches(
    url: str, sql: str, params: dict[str, Any], schema: pa.Schema, chunk_rows: int
) -> Iterator[pa.Table]:
    """The window's rows as Arrow tables of ``chunk_rows`` rows (the last one shorter)."""
    engine = _source_engine(url)
    try:
        if (engine.dialect.name, engine.dialect.driver) == ("postgresql", "psycopg"):
            yield from _adbc_batches(url, sql, params, schema, chunk_rows)
            return
        if engine.dialect.name != "sqlite":
            yield from _stream_batches(engine, sql, params, schema, chunk_rows)
            return
        statement, bound = _dbapi_statement(engine.dialect, sql, params)
        raw = engine.raw_connection()
        driver_conn: Any = raw.driver_connection
        try:
            yield from _cursor_batches(driver_conn, statement, bound, schema, chunk_rows)
        finally:
            raw.rollback()
            raw.close()
    finally:
        engine.dispose()


def _stream_batches(engine: Any, sql: str, params: dict[str, Any], schema: pa.Schema, chunk_rows: int
                    ) -> Iterator[pa.Table]:
    """Any other driver (psycopg2, ...): SQLAlchemy's server-side streaming, chunks transposed in C."""
    from sqlalchemy import text

    with engine.connect() as conn:
        result = conn.execution_options(stream_results=True, yield_per=chunk_rows).execute(text(sql), params)
        for part in result.partitions(chunk_rows):
            yield _to_arrow(list(zip(*part, strict=True)), schema)


def _to_arrow(columns: Sequence[Sequence[Any]], schema: pa.Schema) -> pa.Table:
    """Columns of values as an Arrow table of the lake schema (SQLite hands dates and timestamps over
    as text: they are parsed column-wise by pyarrow.compute)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    arrays = []
    for values, f in zip(columns, schema, strict=True):
        if pa.types.is_string(f.type) or pa.types.is_integer(f.type):
            arrays.append(pa.array(values, type=f.type))
            continue
        try:
            arrays.append(pa.array(values, type=f.type))
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            as_text = pa.array(values, type=pa.string())
            if pa.types.is_date(f.type):
                arrays.append(pc.cast(pc.strptime(as_text, "%Y-%m-%d", "s"), pa.date32()))
            else:
                arrays.append(pc.cast(pc.replace_substring(as_text, "T", " "), f.type))
    return pa.Table.from_arrays(arrays, schema=schema)


def extract_table(
    source_url: str,
    lake: Path,
    table: str,
    snapshot_date: dt.date,
    high: dt.datetime,
    run_id: str,
    *,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
) -> Snapshot:
    """Stream the table's changed rows into ``_incoming/<run_id>/<table>/`` (not yet published)."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    low = low_watermark(lake, table, snapshot_date)
    high_s = _ts(high)
    if high_s <= low:
        raise SourceError(f"{table}: high watermark {high_s} is not after the low watermark {low}")
    schema = arrow_schema(table)
    money = money_columns(table)
    out_dir = lake / "_incoming" / run_id / table
    if out_dir.exists():
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True)
    target = out_dir / "part-00000.parquet"
    rows = 0
    sums = dict.fromkeys(money, 0)
    writer = pq.ParquetWriter(target, schema, compression="zstd")
    try:
        sql = extract_sql(table, scan=scan_hint(source_url, table, low, high_s))
        for tbl in _batches(source_url, sql, window_params(low, high_s), schema, chunk_rows):
            for c in money:
                sums[c] += int(pc.sum(tbl.column(c)).as_py() or 0)
            writer.write_table(tbl, row_group_size=chunk_rows)
            rows += tbl.num_rows
    except Exception as exc:
        writer.close()
        raise SourceError(f"{table}: extraction failed after {rows} rows: {exc}") from exc
    writer.close()
    return Snapshot(table, snapshot_date.isoformat(), low, high_s, rows, [target.name],
                    str(out_dir), run_id, sums)


def source_totals(source_url: str, table: str, low: str, high: str) -> dict[str, int]:
    """What the source itself sums over the same window: the gate compares the snapshot with it.

    The same window as the extraction's: the dated rows of ``(low, high]`` and, in a full load only,
    the undated rows. One query; on SQLite it reads the file through mmap and, in a full load or a
    window holding a large share of the table, scans the table (:func:`scan_hint`), as the extraction
    does.
    """
    from sqlalchemy import text

    cols = ["count(*)"] + [f"coalesce(sum({c}), 0)" for c in money_columns(table)]
    sql = query("source/sum_window_totals", totals=", ".join(cols), table=table,
                scan=scan_hint(source_url, table, low, high))
    engine = _source_engine(source_url)
    try:
        with engine.connect() as conn:
            row = conn.execute(text(sql), window_params(low, high)).one()
    finally:
        engine.dispose()
    totals = [int(v) for v in row]
    return {"rows": totals[0], **dict(zip(money_columns(table), totals[1:], strict=True))}


# --- publish or quarantine -------------------------------------------------------------------

def _replace_dir(src: Path, dst: Path) -> None:
    """Move src to dst, replacing dst; a reader never sees a half-written partition under dst."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    old = dst.with_name(dst.name + ".old")
    if old.exists():
        shutil.rmtree(old)
    if dst.exists():
        dst.rename(old)
    src.rename(dst)
    if old.exists():
        shutil.rmtree(old)


def publish(lake: Path, snap: Snapshot) -> Snapshot:
    """Move an audited snapshot to its partition; its manifest (the watermark) is written last."""
    dst = lake / snap.table / f"snapshot_date={snap.snapshot_date}"
    _replace_dir(Path(snap.path), dst)
    published = Snapshot(**{**asdict(snap), "path": str(dst)})
    tmp = dst / (MANIFEST + ".part")
    tmp.write_text(published.to_json(), encoding="utf-8")
    tmp.rename(dst / MANIFEST)
    return published


def quarantine(lake: Path, snap: Snapshot, reason: str) -> Path:
    """Keep a failed snapshot for inspection, with the reason; it never reaches the published lake."""
    dst = lake / "_quarantine" / snap.table / f"snapshot_date={snap.snapshot_date}" / snap.run_id
    _replace_dir(Path(snap.path), dst)
    (dst / "_quarantine.json").write_text(
        json.dumps({**asdict(snap), "path": str(dst), "reason": reason}, indent=2), encoding="utf-8"
    )
    return dst
