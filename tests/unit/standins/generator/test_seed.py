"""Seeding the synthetic fund database (recouvra.standins.generator.seed): determinism, scales, the truth
kept out of the source, idempotent re-runs."""

from __future__ import annotations

import importlib.util
import sqlite3
from pathlib import Path

import pandas as pd
import pytest

from recouvra.config import Settings
from recouvra.standins.generator import seed_source
from recouvra.standins.generator.seed import TABLES, resolve_scale

_spec = importlib.util.spec_from_file_location("generator_sources", Path(__file__).with_name("sources.py"))
assert _spec is not None and _spec.loader is not None
sources = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(sources)
N, SEED = sources.N, sources.SEED
_table_hash, _query, _truth = sources._table_hash, sources._query, sources._truth


def test_same_seed_same_data_other_seed_other_data(
    settings: Settings, seeded: tuple[Path, Path], tmp_path: Path
) -> None:
    db, truth = seeded
    again = tmp_path / "again.db"
    other = tmp_path / "other.db"
    seed_source(settings, scale=N, seed=SEED, url=f"sqlite:///{again}", truth_dir=tmp_path / "t1",
                progress=False)
    seed_source(settings, scale=N, seed=SEED + 1, url=f"sqlite:///{other}", truth_dir=tmp_path / "t2",
                progress=False)
    for table in TABLES:
        assert _table_hash(db, table) == _table_hash(again, table), table
    assert _table_hash(db, "employers") != _table_hash(other, "employers")
    assert _table_hash(db, "receivables") != _table_hash(other, "receivables")
    pd.testing.assert_frame_equal(_truth(truth), _truth(tmp_path / "t1"))


def test_scale_labels_and_numbers() -> None:
    assert resolve_scale("S") == ("S", 5_000)
    assert resolve_scale("m") == ("M", 100_000)
    assert resolve_scale("L") == ("L", 1_000_000)
    assert resolve_scale(1500) == ("1500", 1500)
    with pytest.raises(Exception, match="scale"):
        resolve_scale("XL")


def test_truth_covers_every_record_once_and_stays_out_of_the_source(seeded: tuple[Path, Path]) -> None:
    db, truth_dir = seeded
    truth = _truth(truth_dir)
    emp = _query(db, "SELECT affiliation_no FROM employers")
    assert len(emp) == N
    assert truth.affiliation_no.is_unique
    assert set(truth.affiliation_no) == set(emp.affiliation_no)
    assert emp.affiliation_no.str.fullmatch(r"\d{7}").all()
    conn = sqlite3.connect(db)
    try:
        for table in TABLES:
            cols = {r[1] for r in conn.execute(f"PRAGMA table_info({table})")}
            assert not cols & {"entity_id", "dup_kind", "ice_state", "set_size"}, table
    finally:
        conn.close()


def test_second_run_skips_and_force_reseeds(settings: Settings, tmp_path: Path) -> None:
    url, truth = f"sqlite:///{tmp_path / 'src.db'}", tmp_path / "truth"
    first = seed_source(settings, scale=300, seed=3, url=url, truth_dir=truth, progress=False)
    assert not first.skipped and first.counts["employers"] == 300
    before = _table_hash(tmp_path / "src.db", "receivables")
    second = seed_source(settings, scale=300, seed=3, url=url, truth_dir=truth, progress=False)
    assert second.skipped and second.counts == first.counts
    assert "nothing to do" in second.summary()
    forced = seed_source(settings, scale=300, seed=3, url=url, truth_dir=truth, progress=False, force=True)
    assert not forced.skipped and forced.counts == first.counts
    assert _table_hash(tmp_path / "src.db", "receivables") == before
    other = seed_source(settings, scale=300, seed=4, url=url, truth_dir=truth, progress=False)
    assert not other.skipped
    runs = _query(tmp_path / "src.db", "SELECT seed FROM seed_runs")
    assert runs.seed.tolist() == [4]  # tables dropped and recreated: one run recorded
    assert "employers" in first.summary() and str(truth) in first.summary()
