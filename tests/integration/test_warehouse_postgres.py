"""The same warehouse migrations on a real PostgreSQL: identical schema, COPY loads, concurrent migrators."""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from recouvra.errors import WarehouseError
from recouvra.warehouse import connect, describe, discover_migrations, list_columns, migrate

pytestmark = pytest.mark.postgres

ALL_VERSIONS = [m.version for m in discover_migrations()]


def history(url: str) -> list[tuple[object, ...]]:
    with connect(url) as wh:
        return wh.query("SELECT version, name, checksum, applied_at FROM meta.schema_migrations ORDER BY 1")


def test_postgres_schema_is_identical_to_duckdb(pg_url: str, tmp_path: Path) -> None:
    duck_url = f"duckdb:///{(tmp_path / 'warehouse.duckdb').as_posix()}"

    assert migrate(pg_url) == ALL_VERSIONS
    assert migrate(duck_url) == ALL_VERSIONS

    with connect(pg_url) as wh:
        assert wh.dialect == "postgresql"
        pg_columns = list_columns(wh)
    with connect(duck_url) as wh:
        duck_columns = list_columns(wh)
    # Same tables, columns, normalised types, nullability, primary keys and comments, in order.
    # V016 core.lifecycle_run; V025, V026 two marts; V027, V029, V030 four core tables (17.8, 17.3, 17.1);
    # V032 (recovered by kind, 17.9) core.attribution_kind and marts.kpi_recovered_kind; V033
    # core.match_model and core.match_model_level; V036 core.reconcile_input.
    assert len({(c.schema, c.table) for c in pg_columns}) == 57
    assert pg_columns == duck_columns
    # Staging declares no key on either engine (V034 on DuckDB, V035 on PostgreSQL): the merge keeps one
    # row per source key.
    assert not [c for c in pg_columns if c.schema == "staging" and c.primary_key]
    assert describe(pg_url) == describe(duck_url) == {"staging": 9, "core": 36, "marts": 10, "meta": 2}
    assert [(v, n, c) for v, n, c, _ in history(pg_url)] == [
        (v, n, c) for v, n, c, _ in history(duck_url)
    ]


def test_postgres_rerun_applies_nothing_and_changes_nothing(pg_url: str) -> None:
    migrate(pg_url)
    with connect(pg_url) as wh:
        before = list_columns(wh)
    recorded = history(pg_url)

    assert migrate(pg_url) == []

    with connect(pg_url) as wh:
        assert list_columns(wh) == before
    assert history(pg_url) == recorded


def test_postgres_failing_statement_rolls_back_its_whole_file(pg_url: str, tmp_path: Path) -> None:
    folder = tmp_path / "migrations"
    folder.mkdir()
    (folder / "V001__create_things.sql").write_text(
        "CREATE SCHEMA IF NOT EXISTS core;\nCREATE TABLE core.thing (id BIGINT PRIMARY KEY);\n",
        encoding="utf-8",
    )
    (folder / "V002__add_more.sql").write_text(
        "CREATE TABLE core.more (id BIGINT PRIMARY KEY);\nCOMMENT ON TABLE core.nothing IS 'x';\n",
        encoding="utf-8",
    )

    with pytest.raises(WarehouseError, match=r"^V002__add_more\.sql: statement 2 of 2 failed.*core\.nothing"):
        migrate(pg_url, folder)

    assert [v for v, *_ in history(pg_url)] == ["V001"]
    with connect(pg_url) as wh:
        assert wh.query(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'core' ORDER BY 1"
        ) == [("thing",)]


def test_load_arrow_copies_money_and_text_exactly(pg_url: str) -> None:
    migrate(pg_url)
    amounts = [Decimal("0.01"), Decimal("0.10"), Decimal("1234.56"), Decimal("9999999999999999.99")]
    periods = pa.table({
        "dossier_id": ["D202611-000123"] * 4,
        "period": pa.array([dt.date(2026, m, 1) for m in (1, 2, 3, 4)], pa.date32()),
        "kind": ["PRINCIPAL", "SURCHARGE", "PENALTY", "PRINCIPAL"],
        "amount_due": pa.array(amounts, pa.decimal128(18, 2)),
    })
    raw_lines = ['D1;"a;b";x', "two\nlines", "\\.", "", "naïve 'quote' \"double\" %s ?", "=1+1"]
    rejects = pa.table({
        "return_file_id": pa.array([7] * 6, pa.int64()),
        "line_no": pa.array([2, 3, 5, 6, 7, 8], pa.int32()),
        "record_id": [None, "", "A-1", "A-2", None, "A-3"],
        "reason_code": ["E001", "E010", "E004", "E005", "E006", "E007"],
        "detail": ["unknown dossier"] * 6,
        "raw_line": raw_lines,
    })

    with connect(pg_url) as wh:
        assert wh.load_arrow("core.dossier_period", periods) == 4
        assert wh.load_arrow("core.return_reject", rejects) == 6
        assert wh.query("SELECT count(*), sum(amount_due) FROM core.dossier_period") == [
            (4, sum(amounts))
        ]
        stored_amounts = wh.query("SELECT amount_due FROM core.dossier_period ORDER BY period")
        assert [r[0] for r in stored_amounts] == amounts
        stored = wh.query("SELECT record_id, raw_line FROM core.return_reject ORDER BY line_no")
    assert [r[0] for r in stored] == [None, "", "A-1", "A-2", None, "A-3"]
    assert [r[1] for r in stored] == raw_lines


def test_query_arrow_reads_text_money_and_nulls_back_exactly(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from recouvra import warehouse

    migrate(pg_url)
    raw_lines = ['D1;"a;b";x', "two\nlines", "\\.", "", "naïve 'quote' \"double\" %s ?", "=1+1", "x,y\r\n"]
    rejects = pa.table({
        "return_file_id": pa.array([7] * 7, pa.int64()),
        "line_no": pa.array(range(2, 9), pa.int32()),
        "record_id": [None, "", "A-1", "A-2", None, "A-3", " "],
        "reason_code": ["E001", "E010", "E004", "E005", "E006", "E007", "E008"],
        "detail": ["unknown dossier"] * 7,
        "raw_line": raw_lines,
    })
    schema = pa.schema([("line_no", pa.int64()), ("record_id", pa.string()), ("raw_line", pa.string())])
    sql = "SELECT line_no, record_id, raw_line FROM core.return_reject WHERE return_file_id = ? ORDER BY 2, 1"
    monkeypatch.setattr(warehouse, "_ARROW_BLOCK_BYTES", 20)  # several blocks of whole rows
    with connect(pg_url) as wh:
        wh.load_arrow("core.return_reject", rejects)
        table = wh.query_arrow(sql, schema, [7])
        assert wh.query_arrow(sql, schema, [8]) == schema.empty_table()
        expected = wh.query(sql, [7])
        with pytest.raises(WarehouseError, match="one statement"):
            wh.query_arrow("SELECT 1; SELECT 2", schema)
    assert table.schema == schema
    assert [tuple(r.values()) for r in table.to_pylist()] == expected
    assert sorted(table.column("raw_line").to_pylist()) == sorted(raw_lines)


def test_load_arrow_failure_leaves_nothing_on_postgres(pg_url: str) -> None:
    migrate(pg_url)
    now = dt.datetime(2026, 11, 1, 6, 0)
    rows = pa.table({
        "agency_code": ["AG01", "AG01"],
        "file_name": ["CNSS_ASSIGN_AG01_202611_01.csv", "CNSS_ASSIGN_AG01_202611_01.csv"],
        "file_type": ["ASSIGN", "ASSIGN"],
        "period_label": ["202611", "202611"],
        "seq": pa.array([1, 1], pa.int32()),
        "remote_path": ["outbox/CNSS_ASSIGN_AG01_202611_01.csv"] * 2,
        "sha256": ["a" * 64] * 2,
        "row_count": pa.array([125, 125], pa.int64()),
        "control_total": pa.array([Decimal("8412345.67")] * 2, pa.decimal128(18, 2)),
        "published_at": pa.array([now, now], pa.timestamp("us")),
    })
    with connect(pg_url) as wh:
        with pytest.raises(WarehouseError, match=r"load into core\.publication_log failed"):
            wh.load_arrow("core.publication_log", rows)  # the same file twice: primary key
        assert wh.query("SELECT count(*) FROM core.publication_log") == [(0,)]
        assert wh.load_arrow("core.publication_log", rows.slice(0, 1)) == 1
        assert wh.query("SELECT control_total, published_at FROM core.publication_log") == [
            (Decimal("8412345.67"), now)
        ]


def test_placeholders_on_postgres(pg_url: str) -> None:
    with connect(pg_url) as wh:
        assert wh.query("SELECT ? || '%?', CAST(? AS INTEGER) + 1", ["a", 41]) == [("a%?", 42)]


def test_concurrent_migrators_apply_each_version_once(pg_url: str) -> None:
    start = threading.Barrier(2)
    results: list[list[str]] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            start.wait()
            results.append(migrate(pg_url))
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)

    assert errors == []
    assert len(results) == 2
    assert sorted(results[0] + results[1]) == ALL_VERSIONS
    assert [] in results  # the second migrator found nothing left to do
    assert [v for v, *_ in history(pg_url)] == ALL_VERSIONS


def test_a_migration_for_duckdb_only_is_recorded_and_not_run_on_postgres(pg_url: str, tmp_path: Path) -> None:
    """The counterpart of tests/unit/test_warehouse.py's test: the same four files, here V002 (a DO
    block) runs and V003 (a DuckDB macro) is only recorded."""
    folder = tmp_path / "migrations"
    folder.mkdir()
    (folder / "V001__create_things.sql").write_text(
        "CREATE SCHEMA IF NOT EXISTS core;\nCREATE TABLE core.thing (id BIGINT PRIMARY KEY);\n",
        encoding="utf-8")
    (folder / "V002__create_pg_only_postgresql.sql").write_text(
        "-- PostgreSQL only.\nDO 'BEGIN CREATE TABLE core.pg_only (id BIGINT); END';\n", encoding="utf-8")
    (folder / "V003__create_duck_only_duckdb.sql").write_text(
        "CREATE TABLE core.duck_only (id BIGINT);\nCREATE MACRO core.twice(x) AS x * 2;\n", encoding="utf-8")
    (folder / "V004__add_more.sql").write_text("CREATE TABLE core.more (id BIGINT);\n", encoding="utf-8")

    assert migrate(pg_url, folder) == ["V001", "V002", "V003", "V004"]

    with connect(pg_url) as wh:
        assert wh.query(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'core' ORDER BY 1"
        ) == [("more",), ("pg_only",), ("thing",)]
    assert [(v, n, c) for v, n, c, _ in history(pg_url)] == [
        (m.version, m.name, m.checksum) for m in discover_migrations(folder)
    ]
    assert migrate(pg_url, folder) == []


def test_a_read_only_connection_refuses_writes_on_postgres(pg_url: str) -> None:
    migrate(pg_url)
    with connect(pg_url, read_only=True) as wh:
        assert wh.query("SELECT count(*) FROM marts.v_agency_league") == [(0,)]
        with pytest.raises(WarehouseError, match="read-only transaction"):
            wh.execute("DELETE FROM marts.kpi_agency_league")
    with connect(pg_url) as wh:  # the setting belongs to that connection only
        wh.execute("DELETE FROM marts.kpi_agency_league")


def test_staging_loses_its_keys_on_postgres_keeping_rows_and_comments(
    pg_url: str, staged_before_v034: Callable[[str], Any]
) -> None:
    """V035 drops the staging tables' primary keys in place (V034, DuckDB's re-creation, is recorded
    here): the rows, columns, types, NULLs and comments stay; a key may then be held twice."""
    from recouvra.lake import TABLES

    before, rows = staged_before_v034(pg_url)
    assert {c.table for c in before if c.schema == "staging" and c.primary_key} == set(TABLES)
    assert migrate(pg_url)[:2] == ["V034", "V035"]
    with connect(pg_url) as wh:
        assert {t: wh.query(f"SELECT * FROM staging.{t} ORDER BY 1, 2") for t in TABLES} == rows
        wh.execute("INSERT INTO staging.disputes SELECT * FROM staging.disputes WHERE dispute_id = '1'")
        assert wh.query("SELECT count(*) FROM staging.disputes WHERE dispute_id = '1'") == [(2,)]
        after = list_columns(wh)
    later = {"reconcile_input", "attribution", "attribution_kind"}  # made or re-made later (V036, V037)
    added = ("match_model", "namesakes_mail_share")  # V038's
    assert [c for c in after if c.table not in later and (c.table, c.name) != added] == [
        dataclasses.replace(c, primary_key=False) if c.schema == "staging" else c for c in before
        if c.table not in later]


def test_v037_makes_attributions_postings_on_postgres(
    pg_url: str, attribution_before_v037: Callable[[str], Any]
) -> None:
    """V037 on PostgreSQL (tests/unit/test_warehouse.py holds DuckDB's): the rows stay, kinds take their
    row's month, an entry and dossier may hold a row per statement month, never two in one."""
    before = attribution_before_v037(pg_url)
    assert migrate(pg_url)[0] == "V037"
    with connect(pg_url) as wh:
        assert wh.query("SELECT * FROM core.attribution ORDER BY 1, 2") == before
        assert [r[:3] for r in wh.query("SELECT ledger_payment_id, dossier_id, attribution_month, kind "
                                        "FROM core.attribution_kind ORDER BY 1, 2, 4")] == [
            (7, "D1", dt.date(2026, 8, 1)), (7, "D1", dt.date(2026, 8, 1)), (7, "D2", dt.date(2026, 9, 1))]
        wh.execute("INSERT INTO core.attribution VALUES (7, 'D1', 'AG01', 0.00, DATE '2026-08-29', "
                   "DATE '2024-08-01', DATE '2026-10-01', TIMESTAMP '2026-10-01 09:00:00')")
        with pytest.raises(Exception, match="(?i)duplicate|unique"):
            wh.execute("INSERT INTO core.attribution VALUES (7, 'D1', 'AG01', 1.00, DATE '2026-08-29', "
                       "DATE '2024-08-01', DATE '2026-10-01', TIMESTAMP '2026-10-01 09:00:00')")
