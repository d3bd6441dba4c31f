"""The embedded form's BI export (recouvra.bi): after a KPI load, every BI view as Parquet and in
bi.duckdb with the warehouse's rows, each file replaced whole; a notebook holding the export open never
locks the warehouse (one holding the warehouse itself does, which is why the export exists)."""

from __future__ import annotations

import datetime as dt
import importlib.util
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from recouvra import bi
from recouvra.bi import BI_DATABASE, BiExportError, export_bi, export_bi_views
from recouvra.errors import WarehouseError
from recouvra.kpi import load_kpi_months, load_kpis
from recouvra.warehouse import connect

#: The BI views of docs/kpi.md: the export's contract.
VIEWS = ("v_agency_effect", "v_agency_league", "v_agency_month", "v_cohort_outcome", "v_portfolio_coverage",
         "v_recovered_by_kind", "v_recovery_tier", "v_recovery_vintage", "v_score_calibration")
NOW = dt.datetime(2026, 4, 2, 6, 0)


def _kpi_cases() -> ModuleType:
    """tests/unit/test_kpi.py, whose hand-built core this test loads (tests/ is not a package)."""
    path = Path(__file__).resolve().parent / "test_kpi.py"
    spec = importlib.util.spec_from_file_location("kpi_unit_cases_for_bi", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


CASES = _kpi_cases()


@pytest.fixture()
def url(tmp_path: Path) -> str:
    """A DuckDB warehouse whose KPIs of January to March 2026 are loaded, as kpi_load leaves it."""
    url = f"duckdb:///{(tmp_path / 'warehouse.duckdb').as_posix()}"
    with connect(url) as wh:
        CASES.seed(wh)
        # A one-month results horizon: January's dossiers have outcomes by March (the score calibration).
        load_kpi_months(wh, dt.date(2026, 1, 1), dt.date(2026, 3, 1), computed_at=NOW,
                        calibration_horizon_months=1)
    return url


def view_rows(url: str) -> dict[str, list[tuple[object, ...]]]:
    with connect(url, read_only=True) as wh:
        return {v: sorted(wh.query(f"SELECT * FROM marts.{v}"), key=repr) for v in VIEWS}


def parquet_rows(path: Path) -> list[tuple[object, ...]]:
    table = pq.read_table(path)
    return sorted((tuple(r.values()) for r in table.to_pylist()), key=repr)


def listing(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir()}


READER = r"""
import sys
import duckdb
import pyarrow.parquet as pq

kind, path = sys.argv[1], sys.argv[2]
if kind == "warehouse":  # a notebook holding the warehouse file itself, read-only
    con = duckdb.connect(path, read_only=True)
    count = lambda: con.execute("SELECT count(*) FROM marts.v_agency_league").fetchone()[0]
else:  # a notebook holding the BI export: bi.duckdb open and a Parquet file open
    con = duckdb.connect(path + "/bi.duckdb", read_only=True)
    held = pq.ParquetFile(path + "/v_agency_league.parquet")
    count = lambda: "%d %d" % (con.execute("SELECT count(*) FROM marts.v_agency_league").fetchone()[0],
                               held.read().num_rows)
print("ready", count(), flush=True)
sys.stdin.read()  # holds everything open until the test closes stdin
print("still", count(), flush=True)
"""


@contextmanager
def notebook(kind: str, path: Path) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """Another process holding ``path`` open as a notebook would, until the block ends; yields the
    process and its first line (``ready ...``)."""
    proc = subprocess.Popen([sys.executable, "-c", READER, kind, str(path)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdin and proc.stdout
    try:
        first = proc.stdout.readline()
        assert first.startswith("ready"), (first, proc.stderr.read() if proc.stderr else "")
        yield proc, first
    finally:
        if proc.poll() is None:
            proc.stdin.close()
        proc.wait(timeout=60)


# --- the export ---------------------------------------------------------------------------------------

def test_after_a_kpi_load_every_bi_view_is_exported_with_the_warehouse_rows(url: str, tmp_path: Path) -> None:
    folder = tmp_path / "bi"
    export = export_bi(url, folder)

    expected = view_rows(url)
    assert export.skipped is None
    assert export.rows == {v: len(expected[v]) for v in VIEWS}
    assert all(expected[v] for v in VIEWS), "the hand-built core fills every view"
    assert listing(folder) == {f"{v}.parquet" for v in VIEWS} | {BI_DATABASE}  # no part, no .wal
    assert set(export.files) == {folder / f"{v}.parquet" for v in VIEWS} | {folder / BI_DATABASE}
    for view in VIEWS:
        assert parquet_rows(folder / f"{view}.parquet") == expected[view], view
    # A notebook's bi.duckdb answers the same SQL as the warehouse, under the same names.
    with duckdb.connect(str(folder / BI_DATABASE), read_only=True) as con:
        for view in VIEWS:
            got = sorted(con.execute(f"SELECT * FROM marts.{view}").fetchall(), key=repr)
            assert got == expected[view], view


def test_money_and_rates_stay_decimal_and_columns_keep_their_names(url: str, tmp_path: Path) -> None:
    folder = tmp_path / "bi"
    export_bi(url, folder)
    schema = pq.read_schema(folder / "v_agency_league.parquet")
    with connect(url, read_only=True) as wh:
        columns = [c for (c,) in wh.query(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = 'marts' "
            "AND table_name = 'v_agency_league' ORDER BY ordinal_position")]
    assert schema.names == columns
    assert schema.field("recovered_to_date").type == pa.decimal128(18, 2)
    assert schema.field("recovery_rate").type == pa.decimal128(9, 6)
    assert not [f.name for f in schema if pa.types.is_floating(f.type)]
    # The notebook of docs/kpi.md: pandas over the Parquet file.
    league = pd.read_parquet(folder / "v_agency_league.parquet")
    assert len(league) == pq.read_metadata(folder / "v_agency_league.parquet").num_rows
    assert {"agency_code", "recovery_rate", "as_of_month"} <= set(league.columns)


def test_a_notebook_holding_the_export_open_does_not_block_warehouse_writes(url: str, tmp_path: Path) -> None:
    folder = tmp_path / "bi"
    first = export_bi(url, folder)
    with notebook("export", folder) as (proc, ready):
        league = str(first.rows["v_agency_league"])
        assert ready.split() == ["ready", league, league]
        # Warehouse writes while the notebook holds the export: a KPI load of a new month, then the
        # export again, which replaces the very files the notebook holds.
        with connect(url) as wh:
            report = load_kpis(wh, dt.date(2026, 4, 1), computed_at=NOW)
            assert report.rows["marts.kpi_agency_league"] > 0 and not report.kept
        second = export_bi(url, folder)
        assert proc.poll() is None, "the notebook is still holding the export"
        out, err = proc.communicate(timeout=60)  # closes its stdin: the notebook reads again and ends
    assert proc.returncode == 0, err
    # The notebook kept reading the export it opened, whole; the new one has April too.
    assert out.split() == ["still", league, league]
    assert second.rows["v_agency_league"] > first.rows["v_agency_league"]
    assert parquet_rows(folder / "v_agency_league.parquet") == view_rows(url)["v_agency_league"]


def test_a_notebook_holding_the_warehouse_itself_blocks_every_write(
    url: str, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Why the export exists: the lock the test above does not meet. A task waits for it (up to
    DUCKDB_LOCK_WAIT_S, 15 minutes) and then fails: a notebook kept open holds the pipeline."""
    import recouvra.warehouse as warehouse

    monkeypatch.setattr(warehouse, "DUCKDB_LOCK_WAIT_S", 0.5)
    path = Path(url.removeprefix("duckdb:///"))
    with notebook("warehouse", path), pytest.raises(WarehouseError, match="lock"):
        with connect(url) as wh:
            load_kpis(wh, dt.date(2026, 4, 1), computed_at=NOW)


def test_a_failed_export_leaves_the_previous_one_whole(
    url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "bi"
    export_bi(url, folder)
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    with connect(url) as wh:
        load_kpis(wh, dt.date(2026, 4, 1), computed_at=NOW)  # the next export would differ

    def fail(*_: object) -> None:
        raise BiExportError("disk full")  # after every Parquet part is written

    monkeypatch.setattr(bi, "_write_database", fail)
    with pytest.raises(BiExportError, match="disk full"):
        export_bi(url, folder)

    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before  # no part left either


def test_parts_a_crashed_export_left_are_removed(url: str, tmp_path: Path) -> None:
    folder = tmp_path / "bi"
    folder.mkdir()
    (folder / "v_agency_league.parquet.part").write_bytes(b"half a file")
    (folder / f"{BI_DATABASE}.part.wal").write_bytes(b"a crashed database's log")
    (folder / "notes.txt").write_text("a user's file is left alone")

    export_bi(url, folder)

    assert listing(folder) == {f"{v}.parquet" for v in VIEWS} | {BI_DATABASE, "notes.txt"}


def test_the_export_only_reads_the_warehouse(tmp_path: Path) -> None:
    missing = tmp_path / "no-warehouse.duckdb"
    with pytest.raises(WarehouseError, match="cannot open warehouse"):
        export_bi(f"duckdb:///{missing.as_posix()}", tmp_path / "bi")
    assert not missing.exists(), "a read-only open creates no warehouse"
    assert not (tmp_path / "bi").exists()


def test_on_postgresql_nothing_is_exported_and_nothing_is_opened(tmp_path: Path) -> None:
    # Port 1 on loopback: any connection attempt would fail; the export does not try.
    export = export_bi("postgresql+psycopg://etl:s3cret@127.0.0.1:1/warehouse", tmp_path / "bi")
    assert export.rows == {} and export.files == ()
    assert export.skipped and "recouvra_bi" in export.skipped and "s3cret" not in export.skipped
    assert not (tmp_path / "bi").exists()
    assert export.to_dict()["skipped"] == export.skipped


def test_a_postgresql_connection_is_refused_by_the_export(tmp_path: Path) -> None:
    class FakePostgres:
        dialect = "postgresql"
        label = "postgresql+psycopg://etl:***@db/warehouse"

    with pytest.raises(BiExportError, match="read-only role recouvra_bi"):
        export_bi_views(FakePostgres(), tmp_path / "bi")  # type: ignore[arg-type]
