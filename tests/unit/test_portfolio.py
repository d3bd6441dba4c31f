"""The portfolio extraction as the DAG runs it (recouvra.portfolio): run keys, one table's snapshot
manifest, then all or nothing: every snapshot published, or the failed ones quarantined and an error."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest

from recouvra.lake import TABLES
from recouvra.portfolio import QualityGateError, extract_snapshot, gate_and_publish, run_key

DDL = Path(__file__).resolve().parents[2] / "include" / "sql" / "source" / "create_source_tables.sql"
NOV = dt.date(2026, 11, 1)
HIGH = dt.datetime(2026, 11, 1)


def _source(tmp_path: Path, *receivables: tuple[int, str, int]) -> str:
    path = tmp_path / "source.db"
    con = sqlite3.connect(path)
    con.executescript(DDL.read_text(encoding="utf-8"))
    con.execute("INSERT INTO employers (affiliation_no, legal_name, status, registered_on, updated_at) "
                "VALUES ('1000001', 'STE ATLAS', 'ACTIVE', '2015-03-01', '2026-10-01 09:00:00')")
    con.executemany(
        "INSERT INTO receivables (receivable_id, affiliation_no, period, kind, basis, amount_centimes, "
        "established_on, updated_at) VALUES (?, ?, '2026-08', 'PRINCIPAL', 'CONTRIBUTIONS', ?, '2026-09-10', "
        "'2026-10-01 09:00:00')", receivables)
    con.commit()
    con.close()
    return f"sqlite:///{path}"


def test_a_run_id_becomes_a_folder_name() -> None:
    assert run_key("scheduled__2026-11-01T00:00:00+00:00") == "scheduled__2026-11-01T00_00_00_00_00"
    assert run_key("manual run/1") == "manual_run_1"


def test_a_snapshot_manifest_says_where_the_changes_are_and_how_many(tmp_path: Path) -> None:
    url = _source(tmp_path, (1, "1000001", 500), (2, "1000001", 70))
    lake = tmp_path / "lake"
    snap = extract_snapshot(url, lake, "receivables", NOV, HIGH, "manual__1/a")
    assert (snap["table"], snap["snapshot_date"], snap["rows"], snap["run_id"]) == (
        "receivables", "2026-11-01", 2, "manual__1_a")
    assert snap["high"] == "2026-11-01 00:00:00.000000"
    assert Path(snap["path"]) == lake / "_incoming" / "manual__1_a" / "receivables"
    assert snap["sums"] == {"amount_centimes": 570}
    assert [p.name for p in Path(snap["path"]).glob("*.parquet")] == snap["files"]


def test_a_clean_run_is_published_whole_and_its_incoming_folder_removed(tmp_path: Path) -> None:
    url = _source(tmp_path, (1, "1000001", 500))
    lake = tmp_path / "lake"
    snaps = [extract_snapshot(url, lake, t, NOV, HIGH, "r1") for t in TABLES]
    out = gate_and_publish(url, lake, tmp_path / "gx", snaps, "r1")
    assert out["run_id"] == "r1" and Path(out["data_docs"]).is_file()
    expected = {t: 1 if t in ("employers", "receivables") else 0 for t in TABLES}
    assert {t: v["rows"] for t, v in out["tables"].items()} == expected
    assert Path(out["tables"]["receivables"]["path"]) == lake / "receivables" / "snapshot_date=2026-11-01"
    assert not (lake / "_incoming" / "r1").exists()


def test_a_failed_snapshot_is_quarantined_and_nothing_is_published(tmp_path: Path) -> None:
    url = _source(tmp_path, (1, "1000001", 500), (2, "9999999", 70))  # an employer the source lacks
    lake = tmp_path / "lake"
    snaps = [extract_snapshot(url, lake, t, NOV, HIGH, "r1") for t in TABLES]
    with pytest.raises(QualityGateError) as err:
        gate_and_publish(url, lake, tmp_path / "gx", snaps, "r1")
    text = str(err.value)
    assert text.startswith("quality gate r1: FAILED")
    assert "  employer 9999999: not in the source's employers table" in text
    assert text.endswith("\n  nothing of this run was published; watermarks unchanged")
    quarantined = text.split("quarantined: ")[1].split("\n")[0]
    assert "_quarantine" in quarantined and "receivables" in quarantined and "employers" not in quarantined
    assert not list(lake.glob("*/snapshot_date=*"))
