"""Merge the lake's published snapshots into the warehouse's staging tables (single writer).

Staging mirrors the source, one row per source key at its latest version. Snapshots are merged in
date order; ``meta.staging_load`` records what was merged, so a re-run merges nothing new, and a
snapshot re-published with other content (a re-run of its day) is merged again with every later one.
Each snapshot is merged in one transaction: its rows go to a work table by bulk load, the keys they
replace are deleted, then they are inserted.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import TYPE_CHECKING, Any

from recouvra.extract import Snapshot, published_snapshots
from recouvra.lake import TABLES
from recouvra.sqlfiles import query

if TYPE_CHECKING:
    from pathlib import Path

    from recouvra.warehouse import Warehouse

log = logging.getLogger(__name__)
BATCH_ROWS = 250_000


def _loaded(wh: Warehouse, table: str) -> dict[str, tuple[str, int]]:
    rows = wh.query(query("staging/select_loaded_snapshots"), [table])
    return {str(d)[:10]: (str(r), int(n)) for d, r, n in rows}


def _merge_snapshot(wh: Warehouse, snap: Snapshot) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table, keys = snap.table, TABLES[snap.table]
    work = f"staging.load_{table}"
    day = dt.date.fromisoformat(snap.snapshot_date)
    match = " AND ".join(f"w.{k} = staging.{table}.{k}" for k in keys)
    with wh.transaction():
        wh.execute(query("staging/drop_work_table", work=work))
        wh.execute(query("staging/create_work_table", work=work, table=table))
        loaded = 0
        for name in snap.files:
            parquet = pq.ParquetFile(f"{snap.path}/{name}")
            for batch in parquet.iter_batches(batch_size=BATCH_ROWS):
                data = pa.Table.from_batches([batch])
                data = data.append_column("snapshot_date", pa.array([day] * data.num_rows, pa.date32()))
                loaded += wh.load_arrow(work, data)
        if loaded != snap.rows:
            raise RuntimeError(f"{table} {snap.snapshot_date}: read {loaded} rows, manifest says {snap.rows}")
        wh.execute(query("staging/delete_replaced_rows", table=table, work=work, match=match))
        wh.execute(query("staging/insert_work_rows", table=table, work=work))
        wh.execute(query("staging/drop_merged_work_table", work=work))
        wh.execute(query("staging/delete_staging_load"), [table, day])
        wh.execute(
            query("staging/insert_staging_load"),
            [table, day, snap.run_id, dt.datetime.fromisoformat(snap.low),
             dt.datetime.fromisoformat(snap.high), snap.rows, _control_total(snap),
             dt.datetime.now(dt.UTC).replace(tzinfo=None)],
        )
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
