"""The portfolio extraction as the DAG runs it: extract, audit, then publish or quarantine.

Functions take and return small plain values (paths, dates, counts) so that Airflow tasks can pass
them through XCom; the data itself only ever moves between the source and Parquet files.
"""

from __future__ import annotations

import re
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from recouvra.errors import RecouvraError
from recouvra.extract import (
    Snapshot,
    extract_table,
    publish,
    published_snapshot,
    quarantine,
    source_totals,
)
from recouvra.lake import TABLES
from recouvra.sqlfiles import query

if TYPE_CHECKING:
    import datetime as dt
    from pathlib import Path


class QualityGateError(RecouvraError):
    """A snapshot failed its suite: it is quarantined and nothing of the run is published."""


def run_key(run_id: str) -> str:
    """A run id fit for a folder name."""
    return re.sub(r"[^\w.-]", "_", run_id)


def extract_snapshot(
    source_url: str, lake: Path, table: str, snapshot_date: dt.date, high: dt.datetime, run_id: str,
    *, chunk_rows: int | None = None,
) -> dict[str, Any]:
    """Extract one table's changes into the run's incoming folder; returns the snapshot's manifest.

    A table already published for this date is not extracted again: its published snapshot is
    returned, marked ``frozen`` (re-runs and backfills read what the first run published)."""
    kept = published_snapshot(lake, table, snapshot_date)
    if kept is not None:
        return asdict(kept)
    kwargs = {"chunk_rows": chunk_rows} if chunk_rows else {}
    snap = extract_table(source_url, lake, table, snapshot_date, high, run_key(run_id), **kwargs)
    return asdict(snap)


def gate_and_publish(
    source_url: str, lake: Path, docs_root: Path, snapshots: list[dict[str, Any]], run_id: str
) -> dict[str, Any]:
    """Validate every snapshot of the run; publish them all, or quarantine the failed ones and raise.

    All or nothing: when one table fails, none is published, so the watermarks stay where they were
    and the next run extracts the same window again once the source is mended.
    """
    from recouvra.quality import validate_snapshots

    every = sorted((Snapshot(**s) for s in snapshots), key=lambda s: list(TABLES).index(s.table))
    kept_as_published = [s for s in every if s.frozen]
    snaps = [s for s in every if not s.frozen]
    if not snaps:
        return _published_report(run_id, None, kept_as_published)
    sources = {s.table: source_totals(source_url, s.table, s.low, s.high) for s in snaps}
    gate = validate_snapshots(snaps, lake, sources, docs_root, run_key(run_id))
    if not gate.success:
        hints = _explain_orphans(source_url, snaps, gate.tables)
        kept = []
        for snap, result in zip(snaps, gate.tables, strict=True):
            if not result.success:
                kept.append(str(quarantine(lake, snap, "; ".join(result.failures))))
        raise QualityGateError(
            gate.summary() + "".join(f"\n  {h}" for h in hints) + "\n  quarantined: " + ", ".join(kept)
            + "\n  nothing of this run was published; watermarks unchanged"
        )
    published = [publish(lake, s) for s in snaps]
    incoming = lake / "_incoming" / run_key(run_id)
    if incoming.exists() and not any(incoming.rglob("*.parquet")):
        for d in sorted(incoming.rglob("*"), reverse=True):
            d.rmdir()
        incoming.rmdir()
    return _published_report(run_id, gate.docs_index, [*kept_as_published, *published])


def _published_report(run_id: str, data_docs: str | None, published: list[Snapshot]) -> dict[str, Any]:
    """What the run published (``kept``: published by an earlier run of the same date, unchanged)."""
    order = list(TABLES)
    return {
        "run_id": run_id,
        "data_docs": data_docs,
        "tables": {p.table: {"rows": p.rows, "low": p.low, "high": p.high, "path": p.path, "kept": p.frozen}
                   for p in sorted(published, key=lambda p: order.index(p.table))},
    }


def _explain_orphans(source_url: str, snaps: list[Snapshot], results: list[Any]) -> list[str]:
    """Where the first employers that rows refer to, but the lake lacks, are in the source: the cause
    a data engineer needs (an employer outside the window, or absent from the source)."""
    from sqlalchemy import bindparam, create_engine, text

    wanted = {k for r in results if r.figures.get("first_orphan_employers")
              for k in r.figures["first_orphan_employers"].split(", ")}
    if not wanted:
        return []
    employers = next((s for s in snaps if s.table == "employers"), None)
    stmt = text(query("portfolio/select_source_employers")).bindparams(bindparam("keys", expanding=True))
    engine = create_engine(source_url)
    try:
        with engine.connect() as conn:
            found = {str(a): u for a, u in conn.execute(stmt, {"keys": sorted(wanted)})}
    finally:
        engine.dispose()
    window = f"({employers.low}, {employers.high}]" if employers else "(no employers snapshot in this run)"
    lines = []
    for key in sorted(wanted):
        if key not in found:
            lines.append(f"employer {key}: not in the source's employers table")
        else:
            lines.append(f"employer {key}: in the source with updated_at {found[key]}, "
                         f"outside this run's employers window {window}")
    return lines
