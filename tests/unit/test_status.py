"""The closing summary of `make demo` (`recouvra status`): row counts of the source and the warehouse,
the debtor master, returns per agency, the league table and the files under the data folders, read
from a SQLite source and a DuckDB warehouse in a temporary folder."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from recouvra.config import Settings, load_settings
from recouvra.status import (
    debtor_master_line,
    league_lines,
    placement_lines,
    report,
    returns_lines,
    source_counts,
    warehouse_counts,
)
from recouvra.warehouse import Warehouse, connect, migrate_connection

ROOT = Path(__file__).resolve().parents[2]
AT = dt.datetime(2026, 11, 1, 6, 0)


@pytest.fixture()
def source_url(tmp_path: Path) -> str:
    path = tmp_path / "source.db"
    with sqlite3.connect(path) as con:
        con.execute("CREATE TABLE employers (id INTEGER)")
        con.execute("CREATE TABLE ledger_payments (id INTEGER)")
        con.executemany("INSERT INTO employers VALUES (?)", [(i,) for i in range(3)])
    con.close()
    return f"sqlite:///{path}"


@pytest.fixture()
def warehouse_url(tmp_path: Path) -> Iterator[str]:
    url = f"duckdb:///{(tmp_path / 'wh.duckdb').as_posix()}"
    with connect(url) as wh:
        migrate_connection(wh)
    yield url


def add_debtor(wh: Warehouse, debtor_id: int, affiliations: int, merged_into: int | None = None) -> None:
    wh.execute(
        "INSERT INTO core.dim_debtor (debtor_id, primary_affiliation_no, legal_name, is_natural_person, "
        "activity_status, affiliations_count, status, merged_into_debtor_id, created_at, updated_at) "
        "VALUES (?, ?, 'Atlas SARL', false, 'ACTIVE', ?, ?, ?, ?, ?)",
        [debtor_id, str(debtor_id), affiliations, "MERGED" if merged_into else "ACTIVE", merged_into, AT, AT])


def add_bridge(wh: Warehouse, affiliation_no: str, debtor_id: int, rule: str, current: bool = True) -> None:
    wh.execute("INSERT INTO core.bridge_affiliation_debtor VALUES (?, ?, ?, ?, ?, ?, NULL)",
               [affiliation_no, dt.date(2026, 1, 1), None if current else dt.date(2026, 6, 1), current,
                debtor_id, rule])


def add_return_file(wh: Warehouse, agency: str, name: str, status: str, counts: tuple[int, int, int],
                    error: str | None = None) -> None:
    accepted, rejected, duplicate = counts
    wh.execute(
        "INSERT INTO core.return_file (agency_code, file_name, sha256, size_bytes, received_at, "
        "processed_at, status, rows_received, rows_accepted, rows_rejected, rows_duplicate, "
        "file_error_code, ack_file_name) "
        "VALUES (?, ?, ?, 10, ?, ?, ?, ?, ?, ?, ?, ?, 'x.ack.json')",
        [agency, name, name[:1] * 64, AT, AT, status, sum(counts), accepted, rejected, duplicate, error])


def add_league_row(wh: Warehouse, month: dt.date, rank: int, agency: str, figures: dict[str, object]) -> None:
    zero = {"dossiers_count": 0, "assigned_amount": 0, "recovered_to_date": 0, "assigned_90d": 0,
            "open_amount": 0, "commission_to_date": 0, "dossiers_worked": 0,
            "dossiers_right_party_contact": 0,
            "dossiers_committed": 0, "promises_count": 0, "promises_kept": 0, "plans_requested": 0,
            "plans_signed": 0, "plans_started": 0, "plans_kept": 0, "dossiers_located": 0,
            "dossiers_assets_found": 0, "dossiers_data_updated": 0, "dossiers_paying": 0,
            "dossiers_paid_in_full": 0}
    values = {"as_of_month": month, "agency_code": agency, "league_rank": rank, **zero, **figures,
              "computed_at": AT}
    wh.execute(f"INSERT INTO marts.kpi_agency_league ({', '.join(values)}) "
               f"VALUES ({', '.join('?' for _ in values)})", list(values.values()))


def test_placement_lines_show_tiers_and_added_months(warehouse_url: str) -> None:
    with connect(warehouse_url) as wh:
        for k, tier in enumerate((1, 1, 2), start=1):
            wh.execute(
                "INSERT INTO core.dossier (dossier_id, assignment_month, debtor_id, affiliation_no, "
                "agency_code, segment, assignment_start, assignment_end, commission_rate, commission_cap, "
                "periods_count, oldest_period, newest_period, principal_due, surcharges_due, "
                "penalties_due, total_due, status, status_date, created_at, placement_tier) VALUES "
                "(?, DATE '2026-11-01', ?, 'A', 'AG01', 'FRESH', DATE '2026-11-01', DATE '2027-04-30', "
                "0.03, 30000, 1, DATE '2026-09-01', DATE '2026-09-01', 100, 0, 0, 100, 'PUBLISHED', "
                "DATE '2026-11-01', ?, ?)", [f"D202611-00000{k}", k, AT, tier])
        wh.execute("INSERT INTO core.dossier_addition (dossier_id, period, kind, amount_due, agency_code, "
                   "added_on, file_name, sent_on, created_at) VALUES ('D202611-000001', DATE '2026-11-01', "
                   "'PRINCIPAL', 30.00, 'AG01', DATE '2026-12-01', 'CNSS_ADDED_AG01_20261201_01.csv', "
                   "DATE '2026-12-01', ?)", [AT])
    assert placement_lines(warehouse_url) == [
        "dossiers by placement tier: tier 1: 2 (200.00 MAD), tier 2: 1 (100.00 MAD)",
        "months added to open dossiers: 1 rows on 1 dossiers, 30.00 MAD, in 1 day(s) of files (1 rows sent)",
    ]


def test_source_counts_every_table(source_url: str) -> None:
    assert source_counts(source_url) == {"employers": 3, "ledger_payments": 0}


def test_warehouse_counts_every_table_of_its_schemas(warehouse_url: str) -> None:
    with connect(warehouse_url) as wh:
        add_debtor(wh, 1, 1)
    counts = warehouse_counts(warehouse_url)
    assert counts["core.dim_debtor"] == 1 and counts["core.return_file"] == 0
    assert {name.split(".")[0] for name in counts} == {"staging", "core", "marts", "meta"}
    assert list(counts) == sorted(counts)
    assert "marts.v_agency_league" not in counts  # views are not tables


def test_debtor_master_line_counts_active_debtors_and_merges_by_rule(warehouse_url: str) -> None:
    with connect(warehouse_url) as wh:
        add_debtor(wh, 1, 3)
        add_debtor(wh, 2, 1)
        add_debtor(wh, 3, 1, merged_into=1)
        for no, rule in (("A1", "SINGLETON"), ("A2", "ICE"), ("A3", "ICE"), ("A4", "RC")):
            add_bridge(wh, no, 1, rule)
        add_bridge(wh, "A5", 1, "RC", current=False)
    assert debtor_master_line(warehouse_url) == (
        "debtor master: 4 affiliation numbers -> 2 debtors (2 merged; linked by ICE 2, RC 1)")


def test_returns_lines_per_agency(warehouse_url: str) -> None:
    with connect(warehouse_url) as wh:
        add_return_file(wh, "AG02", "a.csv", "ACCEPTED", (1200, 0, 0))
        add_return_file(wh, "AG01", "b.csv", "PARTIAL", (8, 2, 0))
        add_return_file(wh, "AG01", "c.csv", "REJECTED", (0, 5, 0), error="F004")
        add_return_file(wh, "AG01", "d.csv", "DUPLICATE", (0, 0, 10))
    assert returns_lines(warehouse_url) == [
        "returns received (agency: files, rows received = accepted + rejected + duplicate):",
        "  AG01: 3 files (1 rejected whole, 1 duplicate); 25 rows = 8 + 7 + 10",
        "  AG02: 1 files (0 rejected whole, 0 duplicate); 1,200 rows = 1,200 + 0 + 0",
    ]


def test_league_lines_show_the_latest_month(warehouse_url: str) -> None:
    with connect(warehouse_url) as wh:
        add_league_row(wh, dt.date(2026, 12, 1), 1, "AG09", {})
        add_league_row(wh, dt.date(2027, 1, 1), 2, "AG01", {
            "dossiers_count": 1234, "assigned_amount": Decimal("1234567.89"),
            "recovered_to_date": Decimal("100"),
            "recovery_rate": Decimal("0.000081"), "commission_to_date": Decimal("3.00"),
            "cost_to_collect": Decimal("0.03")})
        add_league_row(wh, dt.date(2027, 1, 1), 1, "AG02", {
            "dossiers_count": 5, "assigned_amount": Decimal("500"), "recovered_to_date": Decimal("250"),
            "recovery_rate": Decimal("0.5"), "commission_to_date": Decimal("7.5"),
            "cost_to_collect": Decimal("0.03"), "right_party_contact_rate": Decimal("0.6667")})
    lines = league_lines(warehouse_url)
    assert lines[0] == "agency league table at the end of 2027-01:"
    assert lines[1].split() == ["#", "agency", "dossiers", "assigned", "MAD", "recovered", "MAD", "recovery",
                                "commission", "MAD", "cost", "to", "collect", "RPC", "rate"]
    assert [line.split() for line in lines[2:]] == [
        ["1", "AG02", "5", "500.00", "250.00", "50.0%", "7.50", "3.0%", "66.7%"],
        ["2", "AG01", "1,234", "1,234,567.89", "100.00", "0.0%", "3.00", "3.0%", "n/a"],
    ]


def settings_in(tmp_path: Path) -> Settings:
    data = tmp_path / "data"
    return load_settings(ROOT / "config" / "recouvra.yaml", environ={
        f"RECOUVRA__STORAGE__{key.upper()}": str(data / key) for key in
        ("lake_dir", "truth_dir", "reports_dir", "bi_dir", "sftp_root")})


def test_report_reads_source_warehouse_and_folders(
    tmp_path: Path, source_url: str, warehouse_url: str
) -> None:
    settings = settings_in(tmp_path)
    with connect(warehouse_url) as wh:
        add_debtor(wh, 1, 1)
        add_bridge(wh, "A1", 1, "SINGLETON")
        add_return_file(wh, "AG01", "b.csv", "PARTIAL", (8, 2, 0))
    reports = tmp_path / "data" / "reports_dir"
    reports.mkdir(parents=True)
    (reports / "report_2027-01.html").write_bytes(b"x" * 600_000)
    (reports / "report_2027-01.html.part").write_bytes(b"x" * 400_000)

    text = report(settings, source_url=source_url, warehouse_url=warehouse_url)
    lines = text.splitlines()

    assert lines[0] == f"source     {source_url}"
    assert lines[1].split() == ["employers", "3", "rows"]
    assert lines[2].split() == ["ledger_payments", "0", "rows"]
    assert lines[3] == f"warehouse  {warehouse_url}"
    assert "  core.dim_debtor" in text and "  core.bridge_affiliation_debtor" in text
    assert "  debtor master: 1 affiliation numbers -> 1 debtors (0 merged; linked by )" in lines
    assert "    AG01: 1 files (0 rejected whole, 0 duplicate); 10 rows = 8 + 2 + 0" in lines
    assert "league" not in text  # no KPI loaded yet
    assert f"reports    {reports}  (2 files, 1.0 MB)" in lines
    assert lines[-1] == f"  report: {reports / 'report_2027-01.html'}"
    assert not any(line.startswith(("lake", "truth", "bi ", "sftp")) for line in lines)  # empty: not shown


def test_report_shows_where_the_bi_export_is(tmp_path: Path, source_url: str, warehouse_url: str) -> None:
    bi = tmp_path / "data" / "bi_dir"
    bi.mkdir(parents=True)
    (bi / "bi.duckdb").write_bytes(b"x" * 200_000)
    (bi / "v_agency_league.parquet").write_bytes(b"x" * 100_000)

    lines = report(settings_in(tmp_path), source_url=source_url, warehouse_url=warehouse_url).splitlines()

    assert f"bi         {bi}  (2 files, 0.3 MB)" in lines


def test_report_says_what_is_unavailable_and_hides_passwords(tmp_path: Path) -> None:
    settings = settings_in(tmp_path)
    not_a_database = tmp_path / "wh.duckdb"
    not_a_database.write_bytes(b"this is not a DuckDB file")
    text = report(settings, source_url="postgresql+psycopg://etl:s3cret@127.0.0.1:1/none",
                  warehouse_url=f"duckdb:///{not_a_database}")
    lines = text.splitlines()
    assert lines[0] == "source     postgresql+psycopg://etl:***@127.0.0.1:1/none"
    assert lines[1].startswith("  unavailable: OperationalError: ")
    assert "s3cret" not in text
    at = lines.index(f"warehouse  duckdb:///{not_a_database}")
    assert lines[at + 1].startswith("  unavailable: ") and len(lines) == at + 2
