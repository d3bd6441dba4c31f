"""Merge the lake's published snapshots into the warehouse's staging tables (single writer).

Staging mirrors the source, one row per source key at its latest version. Snapshots are merged in
date order; ``meta.staging_load`` records what was merged, so a re-run merges nothing new, and a
snapshot re-published with other content (a re-run of its day) is merged again with every later one.

Each snapshot is merged in one transaction (an interrupted merge leaves staging as it was): the keys
its rows replace are deleted, then its rows are inserted, stamped with the snapshot date of its
manifest, and their count is checked against the manifest's. On DuckDB (embedded) both statements
read the snapshot's Parquet files in place (``read_parquet``): no row passes through Python. PostgreSQL
cannot read the lake's files: there the rows go to a work table by bulk load (COPY, in Arrow batches,
the date column added as one repeated Arrow value), then the same delete and insert run from it.

One row per source key is the merge's guarantee, not a constraint's: the staging tables declare no
primary key (V034 and V035 dropped them: DuckDB's key indexes were most of the merge's time and memory,
docs/benchmarks.md). The delete removes every staging row whose key (:data:`recouvra.lake.TABLES`) the
snapshot holds before its rows go in, and a published snapshot holds each key once: the quality gate
refuses to publish one with a duplicate key (:mod:`recouvra.quality`, ``duplicate_keys`` = 0). Nothing
else writes staging.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import TYPE_CHECKING, Any

from recouvra.errors import RecouvraError
from recouvra.extract import Snapshot, published_snapshots
from recouvra.lake import TABLES, source_columns
from recouvra.sqlfiles import query

if TYPE_CHECKING:
    from pathlib import Path

    from recouvra.warehouse import Warehouse

log = logging.getLogger(__name__)
BATCH_ROWS = 250_000


class StagingError(RecouvraError):
    """A snapshot cannot be merged as its manifest describes it; the message names the snapshot."""


def _loaded(wh: Warehouse, table: str) -> dict[str, tuple[str, int]]:
    rows = wh.query(query("staging/select_loaded_snapshots"), [table])
    return {str(d)[:10]: (str(r), int(n)) for d, r, n in rows}


def _check_rows(snap: Snapshot, merged: int) -> None:
    """Raise (inside the merge's transaction: it is rolled back) unless ``merged`` is the manifest's count."""
    if merged != snap.rows:
        raise StagingError(
            f"staging.{snap.table}: snapshot {snap.snapshot_date} (run {snap.run_id}, {snap.path}) holds "
            f"{merged} rows, its manifest says {snap.rows}; nothing of it was merged")


def _merge_snapshot(wh: Warehouse, snap: Snapshot) -> int:
    table = snap.table
    day = dt.date.fromisoformat(snap.snapshot_date)
    files = [f"{snap.path}/{name}" for name in snap.files]
    with wh.transaction():
        # each path checks the count against the manifest itself (PostgreSQL before staging changes)
        merge = _merge_parquet if wh.dialect == "duckdb" else _merge_work_table
        merged = merge(wh, snap, day, files)
        wh.execute(query("staging/delete_staging_load"), [table, day])
        wh.execute(
            query("staging/insert_staging_load"),
            [table, day, snap.run_id, dt.datetime.fromisoformat(snap.low),
             dt.datetime.fromisoformat(snap.high), snap.rows, _control_total(snap),
             dt.datetime.now(dt.UTC).replace(tzinfo=None)],
        )
    return merged


def _match(table: str, alias: str) -> str:
    return " AND ".join(f"{alias}.{k} = staging.{table}.{k}" for k in TABLES[table])


def _merge_parquet(wh: Warehouse, snap: Snapshot, day: dt.date, files: list[str]) -> int:
    """DuckDB: delete the replaced keys and insert the snapshot's rows straight from its Parquet files;
    the rows inserted, checked against the manifest (a mismatch raises: the transaction is rolled back)."""
    table = snap.table
    if not files:
        _check_rows(snap, 0)
        return 0
    wh.execute(query("staging/delete_replaced_parquet_rows", table=table, match=_match(table, "w")), [files])
    columns = ", ".join(c for c, _ in source_columns()[table])
    inserted = wh.query(query("staging/insert_parquet_rows", table=table, columns=columns), [day, files])
    merged = int(inserted[0][0]) if inserted else 0
    _check_rows(snap, merged)
    return merged


def _merge_work_table(wh: Warehouse, snap: Snapshot, day: dt.date, files: list[str]) -> int:
    """PostgreSQL: bulk-load the snapshot into a work table (COPY), then delete the replaced keys and
    insert from it; the rows loaded (checked before anything in staging changes)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = snap.table
    work = f"staging.load_{table}"
    wh.execute(query("staging/drop_work_table", work=work))
    wh.execute(query("staging/create_work_table", work=work, table=table))
    date = pa.scalar(day, pa.date32())
    loaded = 0
    for path in files:
        for batch in pq.ParquetFile(path).iter_batches(batch_size=BATCH_ROWS):
            data = pa.Table.from_batches([batch])
            loaded += wh.load_arrow(work, data.append_column("snapshot_date", pa.repeat(date, data.num_rows)))
    _check_rows(snap, loaded)
    wh.execute(query("staging/delete_replaced_rows", table=table, work=work, match=_match(table, "w")))
    wh.execute(query("staging/insert_work_rows", table=table, work=work))
    wh.execute(query("staging/drop_merged_work_table", work=work))
    return loaded


def _control_total(snap: Snapshot) -> Any:
    """Sum of the snapshot's money columns in MAD (centimes / 100), for the load log."""
    from decimal import Decimal

    if not snap.sums:
        return None
    return Decimal(sum(snap.sums.values())) / 100


def load_staging(wh: Warehouse, lake: Path) -> dict[str, int]:
    """Merge every published snapshot not yet merged (or re-published since); rows merged per table
    (tables with no row merged are left out)."""
    merged: dict[str, int] = {}
    for table in TABLES:
        done = _loaded(wh, table)
        redo = False
        for snap in published_snapshots(lake, table):
            seen = done.get(snap.snapshot_date)
            changed = seen != (snap.run_id, snap.rows)
            # A re-published day changes what every later day was merged on top of: redo them all.
            redo = redo or changed
            if redo:
                n = _merge_snapshot(wh, snap)
                if n:
                    merged[table] = merged.get(table, 0) + n
                log.info("staging.%s: merged snapshot %s (%d rows)", table, snap.snapshot_date, snap.rows)
    return merged
