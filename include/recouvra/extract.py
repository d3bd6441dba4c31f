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


def extract_sql(table: str) -> str:
    if table not in TABLES:
        raise SourceError(f"unknown source table {table!r}; extracted tables: {list(TABLES)}")
    return query(f"source/extract_{table}")


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

def _batches(url: str, sql: str, params: dict[str, Any], chunk_rows: int) -> Iterator[list[tuple[Any, ...]]]:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            result = conn.execution_options(stream_results=True, yield_per=chunk_rows).execute(
                text(sql), params
            )
            for part in result.partitions(chunk_rows):
                yield [tuple(r) for r in part]
    finally:
        engine.dispose()


def _to_arrow(rows: Sequence[tuple[Any, ...]], schema: pa.Schema) -> pa.Table:
    """Rows as an Arrow table of the lake schema (SQLite hands dates and timestamps over as text)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    arrays = []
    for i, f in enumerate(schema):
        values = [r[i] for r in rows]
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
        for batch in _batches(source_url, extract_sql(table), window_params(low, high_s), chunk_rows):
            tbl = _to_arrow(batch, schema)
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
    the undated rows.
    """
    from sqlalchemy import create_engine, text

    cols = ["count(*)"] + [f"coalesce(sum({c}), 0)" for c in money_columns(table)]
    sql = query("source/sum_window_totals", totals=", ".join(cols), table=table)
    engine = create_engine(source_url)
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
