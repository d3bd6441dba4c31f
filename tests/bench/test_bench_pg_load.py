"""The PostgreSQL load benchmark (bench/bench_pg_load.py) runs end to end on a tiny lake.

Nothing here is timed: a published snapshot of three rows goes through both paths (recouvra's
``load_arrow`` and psql's ``\\copy``), each checked to load every row; the table and the summary line
are what is asserted. Needs PostgreSQL and psql, like the integration tests.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _bench():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("bench_pg_load", ROOT / "bench" / "bench_pg_load.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_pg_load"] = module
    spec.loader.exec_module(module)
    return module


def _tiny_lake(lake: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from recouvra.extract import MANIFEST, Snapshot
    from recouvra.lake import arrow_schema

    schema = arrow_schema("declarations")
    rows = {}
    for i, f in enumerate(schema):
        if pa.types.is_string(f.type):
            values: list[object] = [f"v{i}-1", 'a "quoted", comma', None]
        elif pa.types.is_integer(f.type):
            values = [1, 2, None]
        elif pa.types.is_date(f.type):
            values = [dt.date(2026, 10, 1), dt.date(2026, 9, 1), None]
        else:
            values = [dt.datetime(2026, 10, 1, 8, 30), dt.datetime(2026, 9, 1), None]
        rows[f.name] = values
    # key columns must not be null
    table = pa.table({k: v[:2] + [v[0]] for k, v in rows.items()}, schema=schema)
    part = lake / "declarations" / "snapshot_date=2026-11-01"
    part.mkdir(parents=True)
    pq.write_table(table, part / "part-00000.parquet")
    snap = Snapshot("declarations", "2026-11-01", "", "2026-11-01T00:00:00", 3, ["part-00000.parquet"],
                    str(part), "bench", {})
    (part / MANIFEST).write_text(snap.to_json(), encoding="utf-8")


def test_both_paths_load_every_row_and_the_ratio_is_printed(
        tmp_path: Path, pg_admin_url: str, psql: str, capsys: pytest.CaptureFixture[str]) -> None:
    _tiny_lake(tmp_path / "lake")
    assert _bench().main(["--lake", str(tmp_path / "lake"), "--tables", "declarations", "--repeat", "2",
                          "--label", "tiny", "--pg-admin-url", pg_admin_url]) == 0
    out = capsys.readouterr().out
    row = next(line for line in out.splitlines() if line.startswith("| declarations |"))
    assert row.split("|")[2].strip() == "3"
    assert out.rstrip().splitlines()[-1].startswith("pg load tiny: ")
