"""The snapshots' quality gate (recouvra.quality): the figures DuckDB computes over a snapshot, the row
and snapshot suites run by Great Expectations, and the gate's summary."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from recouvra.extract import Snapshot
from recouvra.lake import TABLES, arrow_schema, money_columns, source_columns
from recouvra.quality import (
    CODES,
    FigureSource,
    GateResult,
    TableResult,
    _row_expectations,
    snapshot_figures,
    validate_snapshots,
)

TS = dt.datetime(2026, 10, 1, 9)


def _snapshot(lake: Path, table: str, rows: list[dict[str, Any]]) -> Snapshot:
    """A snapshot of the run ``r1`` in the lake's incoming folder, as the extraction leaves it."""
    schema = arrow_schema(table)
    folder = lake / "_incoming" / "r1" / table
    folder.mkdir(parents=True, exist_ok=True)
    data = {f.name: pa.array([r.get(f.name) for r in rows], f.type) for f in schema}
    pq.write_table(pa.table(data, schema=schema), folder / "part-0.parquet")
    return Snapshot(table, "2026-11-01", "1900-01-01 00:00:00", "2026-11-01 00:00:00", len(rows),
                    ["part-0.parquet"], str(folder), "r1")


def _employers(lake: Path, *numbers: str) -> Snapshot:
    rows = [{"affiliation_no": n, "legal_name": f"STE {n}", "status": "ACTIVE", "updated_at": TS}
            for n in numbers]
    return _snapshot(lake, "employers", rows)


def _receivable(rid: int, affiliation_no: str, centimes: int, period: str = "2026-08") -> dict[str, Any]:
    return {"receivable_id": rid, "affiliation_no": affiliation_no, "period": period, "kind": "PRINCIPAL",
            "basis": "CONTRIBUTIONS", "amount_centimes": centimes, "established_on": dt.date(2026, 9, 10),
            "updated_at": TS}


def test_snapshot_figures_count_rows_keys_money_and_orphans_beside_the_source(tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    _employers(lake, "1000001", "1000002")
    rec = _snapshot(lake, "receivables", [_receivable(1, "1000001", 500), _receivable(1, "1000002", 20),
                                          _receivable(3, "9999999", 70), _receivable(4, "8888888", 5)])
    assert snapshot_figures(rec, lake, {"rows": 4, "amount_centimes": 590}) == {
        "rows": 4, "source_rows": 4, "duplicate_keys": 1,
        "sum_amount_centimes": 595, "source_sum_amount_centimes": 590,
        "orphans": 2, "orphan_employers": 2, "first_orphan_employers": "8888888, 9999999",
    }
    common = {"affiliation_no": "1000001", "amount_centimes": 100, "settles_period": "2026-08",
              "channel": "CHEQUE", "recorded_at": TS, "updated_at": TS}
    pay = _snapshot(lake, "ledger_payments", [
        {**common, "payment_id": 1, "receipt_no": "R1", "payment_date": dt.date(2026, 10, 1),
         "kind": "PAYMENT"},
        # a reversal must be negative: this one has the sign of a payment
        {**common, "payment_id": 2, "receipt_no": "R2", "payment_date": dt.date(2026, 10, 2),
         "kind": "REVERSAL",
         "reverses_payment_id": 1},
    ])
    figures = snapshot_figures(pay, lake, {"rows": 2, "amount_centimes": 200})
    assert (figures["misdirected_signs"], figures["orphans"], figures["sum_amount_centimes"]) == (1, 0, 200)


def test_the_gate_passes_clean_snapshots_and_names_what_fails_with_the_first_keys(tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    snaps = [_employers(lake, "1000001"),
             _snapshot(lake, "receivables", [_receivable(1, "1000001", 500), _receivable(2, "1000001", 70)])]
    sources = {"employers": {"rows": 1}, "receivables": {"rows": 2, "amount_centimes": 570}}
    ok = validate_snapshots(snaps, lake, sources, tmp_path / "gx", "manual__2026-11-01T00:00:00")
    assert ok.success and [(t.table, t.success, t.failures) for t in ok.tables] == [
        ("employers", True, []), ("receivables", True, [])]
    assert ok.docs_index and Path(ok.docs_index).is_file()
    assert (tmp_path / "gx" / "manual__2026-11-01T00_00_00").is_dir()

    wrong = [_receivable(1, "1000001", -5), _receivable(2, "1000001", 70, "2026-13")]
    bad = [_employers(lake, "1000001"), _snapshot(lake, "receivables", wrong)]
    gate = validate_snapshots(bad, lake, sources, tmp_path / "gx", "r2")
    assert not gate.success and gate.tables[0].success and not gate.tables[1].success
    failures = gate.tables[1].failures
    assert ("expect_column_values_to_be_between on 'amount_centimes': 1 rows "
            "(first keys: receivable_id=1)") in failures
    assert any(f.startswith("expect_column_values_to_match_regex on 'period': 1 rows")
               for f in failures)
    assert "sum_amount_centimes = 65 but source_sum_amount_centimes = 570 (expected equal)" in failures


def test_a_snapshot_holding_a_key_twice_is_refused(tmp_path: Path) -> None:
    """Staging has no key constraint (V034): one row per source key holds because the merge deletes the
    snapshot's keys before inserting its rows and the gate publishes no snapshot with a key twice, here
    a receivable id and a composite (plan_id, seq)."""
    lake = tmp_path / "lake"
    rec = [_receivable(1, "1000001", 500), _receivable(1, "1000001", 70)]
    inst = [{"plan_id": "P1", "seq": seq, "due_date": dt.date(2026, 10, 1), "amount_centimes": 100,
             "updated_at": TS} for seq in (1, 2, 2)]
    snaps = [_employers(lake, "1000001"), _snapshot(lake, "receivables", rec),
             _snapshot(lake, "plan_installments", inst)]
    sources = {"employers": {"rows": 1}, "receivables": {"rows": 2, "amount_centimes": 570},
               "plan_installments": {"rows": 3, "amount_centimes": 300}}
    gate = validate_snapshots(snaps, lake, sources, tmp_path / "gx", "r1")
    assert not gate.success
    assert [(t.table, t.success, t.failures) for t in gate.tables] == [
        ("employers", True, []),
        ("receivables", False, ["duplicate_keys = 1 (expected 0.0..0.0)"]),
        ("plan_installments", False, ["duplicate_keys = 1 (expected 0.0..0.0)"])]


def test_one_connection_builds_the_known_employers_once_for_every_table(tmp_path: Path) -> None:
    import duckdb

    lake = tmp_path / "lake"
    _employers(lake, "1000001")
    rec = _snapshot(lake, "receivables", [_receivable(1, "1000001", 500), _receivable(2, "7777777", 5)])
    titles = _snapshot(lake, "titles", [_good_row("titles", 1)])
    fs = FigureSource(duckdb.connect())
    got = [snapshot_figures(rec, lake, {"rows": 2, "amount_centimes": 505}, fs),
           snapshot_figures(titles, lake, {"rows": 1, **dict.fromkeys(money_columns("titles"), 100)}, fs)]
    assert len(fs.known) == 1  # one table of known employers, shared by both snapshots
    assert got[0] == snapshot_figures(rec, lake, {"rows": 2, "amount_centimes": 505})  # own connection
    assert (got[0]["orphans"], got[0]["first_orphan_employers"], got[1]["orphans"]) == (1, "7777777", 0)
    fs.con.close()


def test_each_suite_validation_checkpoint_and_result_is_written_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from great_expectations.data_context.store.tuple_store_backend import TupleFilesystemStoreBackend

    lake = tmp_path / "lake"
    snaps = [_employers(lake, "1000001"), _snapshot(lake, "receivables", [_receivable(1, "1000001", 500)])]
    sources = {"employers": {"rows": 1}, "receivables": {"rows": 1, "amount_centimes": 500}}
    writes: Counter[str] = Counter()
    real = TupleFilesystemStoreBackend._set

    def counted(self: Any, key: Any, *args: Any, **kwargs: Any) -> Any:
        if key != (".ge_store_backend_id",):  # a store's id, written at its first use
            writes[Path(self.full_base_directory).relative_to(tmp_path / "gx" / "r1" / "gx").as_posix()] += 1
        return real(self, key, *args, **kwargs)

    monkeypatch.setattr(TupleFilesystemStoreBackend, "_set", counted)
    assert validate_snapshots(snaps, lake, sources, tmp_path / "gx", "r1").success
    # Two tables, two suites each (rows, snapshot): four of each, once.
    stores = ("expectations", "validation_definitions", "checkpoints", "uncommitted/validations")
    assert {k: writes[k] for k in stores} == dict.fromkeys(stores, 4)


def _good_row(table: str, i: int) -> dict[str, Any]:
    """A row of ``table`` that every row expectation accepts, its key made of ``i``."""
    row: dict[str, Any] = {}
    for col, kind in source_columns()[table]:
        if kind == "int64":
            row[col] = 100
        elif kind == "date":
            row[col] = dt.date(2026, 9, 1)
        elif kind == "timestamp":
            row[col] = TS
        elif (table, col) in CODES:
            row[col] = CODES[(table, col)][0]
        elif col in {"period", "settles_period"}:
            row[col] = "2026-08"
        elif col == "affiliation_no":
            row[col] = "1000001"
        else:
            row[col] = "x"
    for key in TABLES[table]:
        row[key] = i if isinstance(row[key], int) else f"{1000000 + i}"
    return row


#: What breaks one row for each kind of row expectation the gate runs.
BREAKS = {
    "expect_column_values_to_not_be_null": None,
    "expect_column_values_to_be_between": -1,
    "expect_column_values_to_match_regex": "2026-13",
    "expect_column_values_to_be_in_set": "UNKNOWN",
    "expect_column_values_to_not_be_in_set": 0,
}


def test_each_row_expectation_names_its_field_and_the_offending_row_key(tmp_path: Path) -> None:
    """For every table, one good row and, per row expectation, one row breaking it alone: the gate
    reports each expectation once, on its field, 1 row, with that row's key (GX's SQL on DuckDB over
    the Parquet files, as the pandas batches reported them)."""
    lake = tmp_path / "lake"
    snaps, expected, sources = [], {}, {}
    for table in TABLES:
        rows, failures = [_good_row(table, 1)], set()
        for i, exp in enumerate(_row_expectations(table), start=2):
            row = _good_row(table, i)
            col = exp.column
            row[col] = "A1000002" if col == "affiliation_no" and exp.expectation_type.endswith("regex") else (
                BREAKS[exp.expectation_type])
            rows.append(row)
            keys = ", ".join(f"{k}={row[k]}" for k in TABLES[table] if k != col)
            failures.add(f"{exp.expectation_type} on {col!r}: 1 rows (first keys: {keys})")
        snaps.append(_snapshot(lake, table, rows))
        expected[table] = failures
        sources[table] = {"rows": len(rows), **{c: sum(r[c] or 0 for r in rows)
                                                for c in money_columns(table)}}
    gate = validate_snapshots(snaps, lake, sources, tmp_path / "gx", "r1")
    assert not gate.success
    got = {t.table: {f for f in t.failures if f.startswith("expect_")} for t in gate.tables}
    assert got == expected
    assert ("expect_column_values_to_match_regex on 'affiliation_no': 1 rows (first keys: )"
            in got["employers"])
    assert ("expect_column_values_to_not_be_null on 'seq': 1 rows (first keys: plan_id=1000003)"
            in got["plan_installments"])
    assert gate.docs_index and Path(gate.docs_index).is_file()
    # A retry of the same run (same GX project, its SQL assets already saved) reports the same.
    again = validate_snapshots(snaps, lake, sources, tmp_path / "gx", "r1")
    assert [(t.table, sorted(t.failures)) for t in again.tables] == [
        (t.table, sorted(t.failures)) for t in gate.tables]


def test_the_summary_lists_every_table_and_the_data_docs() -> None:
    tables = [TableResult("employers", True), TableResult("receivables", False, ["a", "b"])]
    gate = GateResult("r1", False, tables, "/gx/index.html")
    assert gate.summary() == (
        "quality gate r1: FAILED\n"
        "  employers            ok\n"
        "  receivables          FAILED: a; b\n"
        "  data docs: /gx/index.html"
    )
    assert GateResult("r2", True, [], None).summary() == "quality gate r2: PASSED"
