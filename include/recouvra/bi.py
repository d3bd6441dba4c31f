"""BI access to the marts in the embedded form: an export of the BI views that a notebook reads
without ever opening the warehouse.

DuckDB lets one process at a time open a database file when any of them writes: a notebook holding
``data/warehouse.duckdb`` open, even read-only, makes every warehouse task fail with "Could not set
lock on file". So after each KPI load, ``kpi_load`` exports the BI views (``marts.v_*``, the stable
contract of docs/kpi.md) out of the warehouse, into ``storage.bi_dir`` (default ``data/bi``):

- ``<view>.parquet``, one file per view, rows sorted: for pandas, Polars, DuckDB or a BI tool;
- ``bi.duckdb``: the same rows as tables ``marts.<view>``, so that the SQL a BI user writes against
  the PostgreSQL warehouse (``SELECT ... FROM marts.v_agency_league``) runs unchanged in a notebook.

Every file is written beside its final name (``.part``), checked (rows read back from the file) and
renamed over it, and the renames happen only once every file is complete, ``bi.duckdb`` last: a reader
sees each file whole, the previous one or the new one (``bi.duckdb`` holds every view of one export
at once; two Parquet files read during the renames may come from two exports), and a reader holding a
previous file open keeps reading it (POSIX rename). A failure leaves the previous export as it was.

On PostgreSQL there is nothing to export: BI users connect as members of the read-only role
``recouvra_bi`` (migration V022; docs/kpi.md), and :func:`export_bi` says so and writes nothing.
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from recouvra.errors import RecouvraError
from recouvra.sqlfiles import query
from recouvra.warehouse import connect, parse_url

if TYPE_CHECKING:
    from pathlib import Path

    from recouvra.warehouse import Warehouse

log = logging.getLogger(__name__)

#: The export database a notebook opens read-only, beside the Parquet files.
BI_DATABASE = "bi.duckdb"
_PART = ".part"
_VIEW_NAME = re.compile(r"^v_[a-z0-9_]+$")


class BiExportError(RecouvraError):
    """The BI views could not be exported; the previous export is left as it was."""


@dataclass(frozen=True)
class BiExport:
    """What :func:`export_bi_views` wrote: the folder, rows per view, the files; or why nothing."""

    folder: Path
    rows: dict[str, int] = field(default_factory=dict)
    files: tuple[Path, ...] = ()
    #: Set when nothing was exported (a PostgreSQL warehouse), with the reason.
    skipped: str | None = None

    def to_dict(self) -> dict[str, object]:
        """A small JSON-able summary (the task's return value)."""
        return {"folder": str(self.folder), "rows": dict(self.rows),
                "files": [str(p) for p in self.files], "skipped": self.skipped}


def bi_views(wh: Warehouse) -> list[str]:
    """The BI views of the warehouse (``marts.v_*``), by name."""
    names = [str(name) for (name,) in wh.query(query("bi/select_bi_views"))]
    odd = [n for n in names if not _VIEW_NAME.match(n)]
    if odd:
        raise BiExportError(f"{wh.label}: BI view name(s) {odd} are not plain identifiers; not exported")
    return names


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _parquet_rows(path: Path) -> int:
    import pyarrow.parquet as pq

    return int(pq.read_metadata(path).num_rows)


def _remove_parts(folder: Path) -> None:
    """Parts a crashed export left behind (exports of one folder never run at once: one task, one
    pool slot); a part is never read by anyone."""
    for pattern in (f"*{_PART}", f"*{_PART}.wal"):
        for leftover in folder.glob(pattern):
            leftover.unlink(missing_ok=True)


def export_bi_views(wh: Warehouse, folder: Path) -> BiExport:
    """Export every BI view of a DuckDB warehouse into ``folder``: ``<view>.parquet`` and
    ``bi.duckdb`` (tables ``marts.<view>``), each written as a part, checked, then renamed over the
    previous export. Reads the warehouse only."""
    if wh.dialect != "duckdb":
        raise BiExportError(
            f"{wh.label}: the BI export is for the embedded DuckDB warehouse; on PostgreSQL BI users "
            "connect as members of the read-only role recouvra_bi (docs/kpi.md)"
        )
    views = bi_views(wh)
    if not views:
        raise BiExportError(f"{wh.label}: no BI view (marts.v_*); run `recouvra warehouse migrate`")
    folder.mkdir(parents=True, exist_ok=True)
    _remove_parts(folder)
    parquet: dict[str, Path] = {}  # view -> its part
    database = folder / BI_DATABASE
    database_part = database.with_name(database.name + _PART)
    rows: dict[str, int] = {}
    try:
        for view in views:
            part = parquet[view] = folder / f"{view}.parquet{_PART}"
            written = int(wh.query(query("bi/copy_view_to_parquet_duckdb", view=view), [str(part)])[0][0])
            expected = int(wh.query(query("bi/count_view_rows", view=view))[0][0])
            in_file = _parquet_rows(part)
            if not written == expected == in_file:
                raise BiExportError(f"{part}: {in_file} rows in the file, {written} written, {expected} in "
                                    f"marts.{view} on {wh.label}")
            _fsync(part)
            rows[view] = written
        _write_database(database_part, parquet, rows)
        _fsync(database_part)
    except BaseException:
        _remove_parts(folder)
        raise
    # Every part is complete: publish them, the database (a snapshot of every view at once) last.
    files = [folder / f"{view}.parquet" for view in views] + [database]
    for part, final in zip([*parquet.values(), database_part], files, strict=True):
        os.replace(part, final)
    log.info("BI views of %s exported to %s: %s", wh.label, folder,
             ", ".join(f"{v} {n} rows" for v, n in rows.items()))
    return BiExport(folder=folder, rows=rows, files=tuple(files))


def _write_database(path: Path, sources: dict[str, Path], rows: dict[str, int]) -> None:
    """``bi.duckdb`` (as its part): one table ``marts.<view>`` per Parquet part, rows checked."""
    path.unlink(missing_ok=True)
    with connect(f"duckdb:///{path.as_posix()}") as bi:
        with bi.transaction():
            bi.execute(query("bi/create_marts_schema"))
            for view, source in sources.items():
                bi.execute(query("bi/create_table_from_parquet_duckdb", view=view), [str(source)])
                copied = int(bi.query(query("bi/count_view_rows", view=view))[0][0])
                if copied != rows[view]:
                    raise BiExportError(f"{path}: marts.{view} holds {copied} rows, {rows[view]} exported")
    # Closing checkpoints: no .wal is left beside the file a reader opens.


def export_bi(url: str, folder: Path) -> BiExport:
    """:func:`export_bi_views` of the warehouse a URL names, opened read-only; on PostgreSQL nothing is
    written (BI users read it through the role ``recouvra_bi``) and the result says why."""
    target = parse_url(url)
    if target.dialect != "duckdb":
        reason = (f"{target.label} is PostgreSQL: BI users connect as members of the read-only role "
                  "recouvra_bi (docs/kpi.md); nothing exported")
        log.info("BI export skipped: %s", reason)
        return BiExport(folder=folder, skipped=reason)
    with connect(url, read_only=True) as wh:
        return export_bi_views(wh, folder)
