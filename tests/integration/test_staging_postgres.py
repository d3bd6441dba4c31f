"""The staging merge on PostgreSQL (the snapshot bulk-loaded by COPY into a work table) gives the tables
the merge on DuckDB gives (the snapshot read in place from its Parquet files): same staging rows, same
load log, after each day of a small lake whose rows carry NULLs, undated rows, text that CSV must quote
and a composite key; a row count unlike the manifest is refused there too, leaving nothing merged."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from recouvra.lake import TABLES
from recouvra.portfolio import extract_snapshot, gate_and_publish
from recouvra.staging import StagingError, load_staging
from recouvra.warehouse import Warehouse, connect, migrate_connection

pytestmark = pytest.mark.postgres

DDL = Path(__file__).resolve().parents[2] / "include" / "sql" / "source" / "create_source_tables.sql"


def _source(path: Path) -> sqlite3.Connection:
    con = sqlite3.connect(path)
    con.executescript(DDL.read_text(encoding="utf-8"))
    con.executemany(
        "INSERT INTO employers (affiliation_no, legal_name, legal_form, city, status, registered_on, "
        "updated_at) VALUES (?, ?, ?, ?, 'ACTIVE', '2015-03-01', ?)",
        [("1000001", 'STE "ATLAS", SARL', None, "", "2026-10-01 09:00:00"),
         ("1000002", "Ets \\. O'Neil\nsuite", "SA", "Fès", None)])  # undated: full load only
    con.executemany(
        "INSERT INTO receivables (receivable_id, affiliation_no, period, kind, basis, amount_centimes, "
        "established_on, updated_at) VALUES (?, '1000001', '2026-08', ?, 'CONTRIBUTIONS', ?, '2026-09-10', "
        "'2026-10-01 09:00:00')",
        [(1, "PRINCIPAL", 100000), (2, "SURCHARGE", 3000)])
    con.execute("INSERT INTO payment_plans (plan_id, affiliation_no, signed_on, installments, "
                "total_centimes, status, updated_at) VALUES ('P1', '1000001', '2026-09-01', 2, 2000, "
                "'ACTIVE', '2026-10-01 09:00:00')")
    con.executemany(
        "INSERT INTO plan_installments (plan_id, seq, due_date, amount_centimes, paid_on, updated_at) "
        "VALUES ('P1', ?, ?, 1000, NULL, '2026-10-01 09:00:00')", [(1, "2026-10-01"), (2, "2026-11-01")])
    con.commit()
    return con


def _day_two(con: sqlite3.Connection) -> None:
    con.execute("UPDATE receivables SET amount_centimes = 90000, updated_at = '2026-11-01 10:00:00' "
                "WHERE receivable_id = 1")
    con.execute("UPDATE plan_installments SET paid_on = '2026-10-03', updated_at = '2026-11-01 10:00:00' "
                "WHERE plan_id = 'P1' AND seq = 1")
    con.execute("UPDATE employers SET legal_name = 'STE ATLAS', updated_at = '2026-11-01 10:00:00' "
                "WHERE affiliation_no = '1000001'")
    con.commit()


def _publish(url: str, lake: Path, day: dt.date) -> None:
    run_id = f"r-{day.isoformat()}"
    high = dt.datetime.combine(day, dt.time())
    snaps = [extract_snapshot(url, lake, t, day, high, run_id) for t in TABLES]
    gate_and_publish(url, lake, lake.parent / "gx", snaps, run_id)


def _state(wh: Warehouse) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for t in TABLES:
        out[t] = wh.query(f"SELECT * FROM staging.{t} ORDER BY 1, 2")
    out["load"] = wh.query("SELECT table_name, snapshot_date, run_id, low_watermark, high_watermark, "
                           "row_count, control_total FROM meta.staging_load ORDER BY 1, 2")
    return out


def _duplicate_keys(wh: Warehouse) -> dict[str, Any]:
    """Per staging table, the source keys held by more than one row (staging declares no key: V035)."""
    out = {}
    for table, keys in TABLES.items():
        cols = ", ".join(keys)
        out[table] = wh.query(f"SELECT {cols} FROM staging.{table} GROUP BY {cols} HAVING count(*) > 1")
    return {t: rows for t, rows in out.items() if rows}


def test_the_merge_on_postgres_gives_the_tables_of_the_merge_on_duckdb(tmp_path: Path, pg_url: str) -> None:
    con = _source(tmp_path / "source.db")
    url, lake = f"sqlite:///{tmp_path / 'source.db'}", tmp_path / "lake"
    with connect(f"duckdb:///{tmp_path / 'wh.duckdb'}") as duck, connect(pg_url) as pg:
        for wh in (duck, pg):
            migrate_connection(wh)
        for day in (dt.date(2026, 11, 1), dt.date(2026, 11, 2)):
            if day.day == 2:
                _day_two(con)
            _publish(url, lake, day)
            assert load_staging(pg, lake) == load_staging(duck, lake)
            expected = _state(duck)
            assert _state(pg) == expected, day
            assert _duplicate_keys(pg) == {}, day
        assert [r[:2] for r in expected["plan_installments"]] == [("P1", 1), ("P1", 2)]
        assert {r[1] for r in expected["employers"]} == {"STE ATLAS", "Ets \\. O'Neil\nsuite"}

        # A re-run: day 1 of plan_installments re-published by another run, so days 1 and 2 are merged
        # again on top of what they delivered (instalment P1/1 twice): still one row per key.
        again = lake / "plan_installments" / "snapshot_date=2026-11-01" / "_manifest.json"
        again.write_text(json.dumps({**json.loads(again.read_text()), "run_id": "r-again"}))
        assert load_staging(pg, lake) == load_staging(duck, lake) == {"plan_installments": 3}
        expected = _state(duck)
        assert _state(pg) == expected and _duplicate_keys(pg) == {}

        # A manifest whose count is not the snapshot's: refused, the day's merge rolled back.
        manifest = lake / "receivables" / "snapshot_date=2026-11-02" / "_manifest.json"
        manifest.write_text(json.dumps({**json.loads(manifest.read_text()), "rows": 7, "run_id": "other"}))
        with pytest.raises(StagingError, match=r"receivables: snapshot 2026-11-02 .* manifest says 7"):
            load_staging(pg, lake)
        assert _state(pg) == expected
