"""Seeding PostgreSQL (COPY path) gives the same data as seeding SQLite with the same seed."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa

from recouvra.config import load_settings
from recouvra.standins.generator import seed_source
from recouvra.standins.generator.seed import TABLES

pytestmark = pytest.mark.postgres

N = 1200
SEED = 11


def _norm(rows: list[Any]) -> list[tuple[str, ...]]:
    """Rows as text, so that SQLite's ISO strings and PostgreSQL's dates compare equal."""
    return sorted(tuple("" if v is None else str(v) for v in r) for r in rows)


def test_postgres_seed_matches_sqlite_seed(pg_url: str, tmp_path: Path) -> None:
    settings = load_settings()
    db = tmp_path / "source.db"
    lite = seed_source(settings, scale=N, seed=SEED, url=f"sqlite:///{db}", truth_dir=tmp_path / "t1",
                       progress=False)
    pg = seed_source(settings, scale=N, seed=SEED, url=pg_url, truth_dir=tmp_path / "t2", progress=False)
    assert pg.counts == lite.counts
    assert pg.counts["employers"] == N and pg.counts["receivables"] > 0

    engine = sa.create_engine(pg_url)
    conn_lite = sqlite3.connect(db)
    try:
        with engine.connect() as conn:
            for table in TABLES:
                n_pg = conn.execute(sa.text(f"SELECT COUNT(*) FROM {table}")).scalar_one()
                assert n_pg == lite.counts[table], table
            for table in ("employers", "receivables", "ledger_payments", "titles"):
                cols = [r[1] for r in conn_lite.execute(f"PRAGMA table_info({table})")]
                sel = f"SELECT {', '.join(cols)} FROM {table}"
                pg_rows = _norm(list(conn.execute(sa.text(sel))))
                lite_rows = _norm(conn_lite.execute(sel).fetchall())
                assert pg_rows == lite_rows, table
            total_pg = conn.execute(sa.text("SELECT SUM(amount_centimes) FROM receivables")).scalar_one()
        total_lite = conn_lite.execute("SELECT SUM(amount_centimes) FROM receivables").fetchone()[0]
        assert int(total_pg) == int(total_lite)
        # re-running against PostgreSQL is idempotent too
        again = seed_source(settings, scale=N, seed=SEED, url=pg_url, truth_dir=tmp_path / "t2",
                            progress=False)
        assert again.skipped
    finally:
        conn_lite.close()
        engine.dispose()


def test_postgres_advance_matches_sqlite_advance(pg_url: str, tmp_path: Path) -> None:
    """Advancing PostgreSQL (COPY, UPDATE ... FROM a temporary table) gives the rows SQLite gets."""
    from recouvra.standins.generator.advance import advance_source

    settings = load_settings()
    db = tmp_path / "source.db"
    n, months = 600, ["2026-07", "2026-08"]  # the two months after the shipped history (June 2026)
    seed_source(settings, scale=n, seed=SEED, url=f"sqlite:///{db}", truth_dir=tmp_path / "t1",
                progress=False)
    seed_source(settings, scale=n, seed=SEED, url=pg_url, truth_dir=tmp_path / "t2", progress=False)
    lite = advance_source(settings, months[-1], url=f"sqlite:///{db}", truth_dir=tmp_path / "t1")
    pg = advance_source(settings, months[-1], url=pg_url, truth_dir=tmp_path / "t2")
    assert [m.month for m in pg.months] == months
    assert [(m.inserted, m.updated) for m in pg.months] == [(m.inserted, m.updated) for m in lite.months]
    assert pg.months[0].changed("receivables") > 0 and pg.months[0].changed("ledger_payments") > 0

    engine = sa.create_engine(pg_url)
    conn_lite = sqlite3.connect(db)
    try:
        with engine.connect() as conn:
            for table in TABLES:
                cols = [r[1] for r in conn_lite.execute(f"PRAGMA table_info({table})")]
                sel = f"SELECT {', '.join(cols)} FROM {table}"
                pg_rows = _norm(list(conn.execute(sa.text(sel))))
                assert pg_rows == _norm(conn_lite.execute(sel).fetchall()), table
            clock = [r[0] for r in conn.execute(sa.text("SELECT month FROM source_clock ORDER BY month"))]
        assert clock == months
        assert advance_source(settings, months[-1], url=pg_url, truth_dir=tmp_path / "t2").skipped
        truth_lite = pd.read_parquet(tmp_path / "t1" / "entities.parquet")
        truth_pg = pd.read_parquet(tmp_path / "t2" / "entities.parquet")
        pd.testing.assert_frame_equal(truth_lite, truth_pg)
    finally:
        conn_lite.close()
        engine.dispose()
