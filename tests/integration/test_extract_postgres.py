"""The production form of the source: extraction from PostgreSQL takes the same rows as from SQLite.

The first window takes every row whatever its date (employers last touched before 1970, rows with no
`updated_at`); the gate passes; the next window takes only what changed.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa

from recouvra.config import load_settings
from recouvra.lake import TABLES
from recouvra.portfolio import extract_snapshot, gate_and_publish
from recouvra.standins.generator import seed_source

pytestmark = pytest.mark.postgres
D1, D2 = dt.date(2026, 11, 1), dt.date(2026, 11, 2)


def _run(url: str, lake: Path, day: dt.date, run_id: str) -> dict:
    high = dt.datetime.combine(day, dt.time())
    snaps = [extract_snapshot(url, lake, t, day, high, run_id) for t in TABLES]
    return gate_and_publish(url, lake, lake.parent / "gx", snaps, run_id)


def test_first_window_takes_every_row_from_postgresql(pg_url: str, tmp_path: Path) -> None:
    seed_source(load_settings(), scale=300, seed=5, url=pg_url, truth_dir=tmp_path / "truth", progress=False)
    engine = sa.create_engine(pg_url)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE employers SET updated_at = '1966-11-03 02:00:31' WHERE affiliation_no "
                             "IN (SELECT affiliation_no FROM employers ORDER BY affiliation_no LIMIT 3)"))
        conn.execute(sa.text("UPDATE employers SET updated_at = NULL WHERE affiliation_no IN "
                             "(SELECT affiliation_no FROM employers ORDER BY affiliation_no DESC LIMIT 2)"))
        conn.execute(sa.text("UPDATE receivables SET updated_at = NULL WHERE receivable_id IN "
                             "(SELECT receivable_id FROM receivables ORDER BY receivable_id LIMIT 5)"))
        counts = {t: conn.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar_one() for t in TABLES}
        # the seed's rows are stamped up to its as-of date: the window (epoch-less, D1] holds them all
        latest = conn.execute(sa.text("SELECT max(updated_at) FROM employers")).scalar_one()
        assert latest < dt.datetime(2026, 11, 1)
    engine.dispose()

    lake = tmp_path / "lake"
    out = _run(pg_url, lake, D1, "manual__1")  # the gate passes: no orphan, totals equal the source's
    assert {t: out["tables"][t]["rows"] for t in TABLES} == counts
    employers = pq.read_table(lake / "employers" / f"snapshot_date={D1}").to_pylist()
    stamps = [r["updated_at"] for r in employers]
    assert sum(1 for s in stamps if s is None) == 2
    assert sum(1 for s in stamps if s is not None and s.year == 1966) == 3
    again = _run(pg_url, lake, D2, "scheduled__2")
    assert all(again["tables"][t]["rows"] == 0 for t in TABLES)
