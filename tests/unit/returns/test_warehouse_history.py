"""The judge's memory read from the warehouse: the same answers as the in-memory history, from
``core.return_file`` and the record tables that ingestion wrote (an embedded DuckDB warehouse)."""

from __future__ import annotations

import datetime as dt
import importlib.util
from collections.abc import Iterator
from pathlib import Path

import pytest

import recouvra.returns.warehouse_history as warehouse_history
from recouvra.ingest import context_from_warehouse
from recouvra.returns import InMemoryReturnHistory, Judgement, ReturnHistory, judge_bytes
from recouvra.returns.warehouse_history import WarehouseReturnHistory
from recouvra.warehouse import Warehouse, connect, migrate_connection

# The seeded warehouse and the file helpers of the ingestion tests: one world for both.
_spec = importlib.util.spec_from_file_location(
    "ingest_load_world", Path(__file__).parents[1] / "ingest" / "test_load.py")
assert _spec and _spec.loader
world = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(world)

AS_OF, T0, D1 = world.AS_OF, world.T0, world.D1
write, ingest = world.write, world.ingest


@pytest.fixture()
def wh(tmp_path: Path) -> Iterator[Warehouse]:
    with connect(f"duckdb:///{(tmp_path / 'wh.duckdb').as_posix()}") as conn:
        migrate_connection(conn)
        world.seed(conn)
        yield conn


def test_warehouse_history_judges_like_the_in_memory_history(wh: Warehouse, tmp_path: Path) -> None:
    """The same sequence of files judged with both memories gives the same judgements."""
    DAY = "2026-11-10"
    requested = [D1, "PL1", "2026-11-10", "6", "2026-12-05", "6000", "REQUESTED"]
    signed = [D1, "PL1", "2026-11-10", "6", "2026-12-05", "6000", "SIGNED"]
    files = [
        ("AG01_PLANS_20261125_01.csv", "PLANS", [requested]),
        ("AG01_PLANS_20261125_02.csv", "PLANS", [requested, signed]),
        ("AG01_PLANS_20261125_03.csv", "PLANS", [[*signed[:3], "7", *signed[4:]]]),   # E011
        ("AG01_CONTACTS_20261125_01.csv", "CONTACTS", [[D1, "C1", "PHONE", "06 12 34 56 78", DAY, ""]]),
        ("AG01_CONTACTS_20261125_02.csv", "CONTACTS", [[D1, "C1", "PHONE", "+212612345678", DAY, ""],
                                                        [D1, "C2", "EMAIL", "A@b.ma", DAY, "x"]]),
        ("AG01_CONTACTS_20261125_01.csv", "CONTACTS", [[D1, "C3", "CITY", "Rabat", DAY, ""]]),  # F007
    ]
    memory = InMemoryReturnHistory()
    context = context_from_warehouse(wh)
    for i, (name, rtype, rows) in enumerate(files):
        path = write(tmp_path / str(i), name, rtype, rows)
        received = T0 + dt.timedelta(minutes=i)
        expected = judge_bytes(name, path.read_bytes(), "AG01", context, memory, on=AS_OF,
                               received_at=received)
        memory.remember(expected)
        seen = judge_bytes(name, path.read_bytes(), "AG01", context, WarehouseReturnHistory(wh), on=AS_OF,
                           received_at=received)
        assert seen.report() == expected.report(), name
        ingest(wh, path, received_at=received)
    assert [r[0] for r in wh.query("SELECT status FROM core.return_file ORDER BY return_file_id")] == [
        "ACCEPTED", "ACCEPTED", "REJECTED", "ACCEPTED", "ACCEPTED", "REJECTED"]
    assert wh.query("SELECT reason_code FROM core.return_reject") == [("E011",)]


def judged(wh: Warehouse, path: Path, received_at: dt.datetime = T0) -> Judgement:
    """The judge's verdict on ``path`` as the history of ``wh`` stands now."""
    return judge_bytes(path.name, path.read_bytes(), "AG01", context_from_warehouse(wh),
                       InMemoryReturnHistory(), on=AS_OF, received_at=received_at)


def test_warehouse_history_is_a_return_history(wh: Warehouse) -> None:
    assert isinstance(WarehouseReturnHistory(wh), ReturnHistory)


def test_an_empty_warehouse_remembers_nothing(wh: Warehouse) -> None:
    history = WarehouseReturnHistory(wh)
    assert history.file_seen("AG01", "ab" * 32) is False
    assert history.sha256_for_name("AG01", "AG01_PAYMENTS_20261125_01.csv") is None
    assert history.fingerprints("AG01", "PAYMENTS", ["P1"]) == {}


def test_a_loaded_file_is_seen_by_its_sha256_in_any_case_and_for_its_agency_only(
    wh: Warehouse, tmp_path: Path
) -> None:
    path = write(tmp_path, "AG01_PAYMENTS_20261125_01.csv", "PAYMENTS", [
        [D1, "P1", "2026-11-10", "10.00", "CHEQUE", ""]])
    digest = judged(wh, path).sha256
    ingest(wh, path)
    history = WarehouseReturnHistory(wh)
    assert history.file_seen("AG01", digest) and history.file_seen("AG01", digest.upper())
    assert history.file_seen("AG02", digest) is False
    assert history.sha256_for_name("AG01", path.name) == digest
    assert history.sha256_for_name("AG02", path.name) is None


def test_a_file_rejected_whole_keeps_its_name_not_its_bytes(wh: Warehouse, tmp_path: Path) -> None:
    path = write(tmp_path, "AG01_PAYMENTS_20261125_01.csv", "PAYMENTS", [
        [D1, "P1", "2026-11-10", "10.00", "CHEQUE", ""]])
    (tmp_path / (path.name + ".sha256")).write_text("0" * 64 + "\n", encoding="utf-8")  # F004
    digest = judged(wh, path).sha256
    ingest(wh, path)
    history = WarehouseReturnHistory(wh)
    assert history.file_seen("AG01", digest) is False
    assert history.sha256_for_name("AG01", path.name) == digest
    assert history.fingerprints("AG01", "PAYMENTS", ["P1"]) == {}


def test_a_refused_name_is_not_remembered(wh: Warehouse, tmp_path: Path) -> None:
    path = write(tmp_path, "AG01_PAYMENTS_2026112_01.csv", "PAYMENTS", [
        [D1, "P1", "2026-11-10", "10.00", "CHEQUE", ""]])
    ingest(wh, path)
    assert wh.query("SELECT file_error_code FROM core.return_file") == [("F001",)]
    assert WarehouseReturnHistory(wh).sha256_for_name("AG01", path.name) is None


def test_fingerprints_are_the_judges_own_for_every_record_type(wh: Warehouse, tmp_path: Path) -> None:
    day = "2026-11-10"
    files = [
        ("AG01_PAYMENTS_20261125_01.csv", "PAYMENTS", [[D1, "P1", day, "10", "CHEQUE", "R-1"]]),
        ("AG01_ACTIONS_20261125_01.csv", "ACTIONS", [[D1, "A1", day, "CALL", "PROMISE_TO_PAY", "500",
                                                       "2026-12-01", "رد"]]),
        ("AG01_CONTACTS_20261125_01.csv", "CONTACTS", [[D1, "C1", "PHONE", "06 12 34 56 78", day, ""],
                                                        [D1, "C2", "CITY", "Rabat", day, "seen"]]),
        ("AG01_PLANS_20261125_01.csv", "PLANS", [[D1, "PL1", day, "6", "2026-12-05", "6000", "REQUESTED"],
                                                  [D1, "PL1", day, "6", "2026-12-05", "6000", "SIGNED"]]),
        ("AG01_CLOSURES_20261125_01.csv", "CLOSURES", [[D1, "K1", day, "OTHER", "done"]]),
    ]
    history = WarehouseReturnHistory(wh)
    for i, (name, rtype, rows) in enumerate(files):
        path = write(tmp_path / str(i), name, rtype, rows)
        expected = {r.key: r.fingerprint for r in judged(wh, path).accepted}
        assert expected, name
        ingest(wh, path)
        assert history.fingerprints("AG01", rtype, [*expected, "nope"]) == expected, name
    assert history.fingerprints("AG01", "PLANS", ["PL1#SIGNED"]).keys() == {"PL1#SIGNED"}
    assert history.fingerprints("AG01", "PLANS", []) == {}
    assert history.fingerprints("AG01", "INVOICES", ["P1"]) == {}
    assert history.fingerprints("AG02", "PAYMENTS", ["P1"]) == {}


def test_many_keys_are_read_in_chunks(
    wh: Warehouse, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = [[D1, f"P{i}", "2026-11-10", f"{i}.00", "CHEQUE", ""] for i in range(1, 8)]
    path = write(tmp_path, "AG01_PAYMENTS_20261125_01.csv", "PAYMENTS", rows)
    expected = {r.key: r.fingerprint for r in judged(wh, path).accepted}
    ingest(wh, path)
    monkeypatch.setattr(warehouse_history, "KEYS_PER_QUERY", 3)
    assert WarehouseReturnHistory(wh).fingerprints("AG01", "PAYMENTS", list(expected)) == expected
    assert len(expected) == 7
