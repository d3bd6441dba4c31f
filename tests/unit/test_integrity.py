"""The money-integrity audit: silent on a consistent world, and naming the rule, dossier (or agency)
and month whose stored numbers disagree with the ledger and the contract's formulas. The world is the
reconciliation world (tests/support/reconcile_world.py: three dossiers, two agencies, a recall,
reversals)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

import reconcile_world as world
from recouvra.calendar import CalendarError
from recouvra.commission import compute_statements
from recouvra.integrity import Violation, check_integrity
from recouvra.reconcile import reconcile
from recouvra.warehouse import Warehouse, connect, migrate_connection

run_world, day, D1, D2 = world.run_world, world.day, world.D1, world.D2
JAN27, FEB27 = dt.date(2027, 1, 1), dt.date(2027, 2, 1)


@pytest.fixture()
def wh() -> Iterator[Warehouse]:
    with connect("duckdb:///:memory:") as w:
        migrate_connection(w)
        yield w


def test_integrity_holds_on_the_world_and_catches_a_corrupted_ledger_row(wh: Warehouse) -> None:
    run_world(wh)
    assert check_integrity(wh, day(2027, 2, 1)) == []
    wh.execute("UPDATE core.ledger_payment SET amount = 350.00 WHERE ledger_payment_id = 101")
    found = check_integrity(wh, day(2027, 2, 1))
    assert found and {v.dossier_id for v in found} == {D1}
    assert {v.code for v in found} >= {"ATTRIBUTION"}
    assert any("ledger gives" in v.detail for v in found)


def test_integrity_catches_a_wrong_recalled_amount_and_an_over_attribution(wh: Warehouse) -> None:
    run_world(wh)
    wh.execute("UPDATE core.dossier_recall SET recalled_amount = 5.00")
    wh.execute("UPDATE core.attribution SET amount = 2500.00 WHERE ledger_payment_id = 201")
    found = check_integrity(wh, day(2027, 2, 1))
    codes = {(v.code, v.dossier_id) for v in found}
    assert codes >= {("RECALLED", D2), ("ATTRIBUTION", D2), ("IDENTITY", D2)}


def test_statement_integrity_names_a_dossier_above_its_cap(wh: Warehouse) -> None:
    run_world(wh)
    wh.execute("UPDATE core.commission_statement SET commission_this_month = 12.00 "
               "WHERE dossier_id = ? AND statement_month = ?", [world.D3, JAN27])
    found = check_integrity(wh, FEB27)
    assert found and {v.dossier_id for v in found} == {world.D3} and {v.code for v in found} == {"STATEMENT"}

def test_an_empty_warehouse_breaks_no_rule(wh: Warehouse) -> None:
    assert check_integrity(wh, FEB27) == []


@pytest.mark.parametrize("month", [dt.date(2027, 2, 15), dt.datetime(2027, 2, 1), "2027-02-01"])
def test_the_month_must_be_a_month(wh: Warehouse, month: object) -> None:
    with pytest.raises(CalendarError):
        check_integrity(wh, month)  # type: ignore[arg-type]


def test_a_total_due_that_is_not_the_sum_of_its_months_is_named(wh: Warehouse) -> None:
    run_world(wh)
    wh.execute("UPDATE core.dossier SET principal_due = 1400.00, total_due = 1400.00 WHERE dossier_id = ?",
               [D1])
    found = check_integrity(wh, FEB27)
    assigned = [v for v in found if v.code == "ASSIGNED"]
    assert assigned == [Violation("ASSIGNED", "2027-02", "total_due 1400.00 but its months sum to 1500.00",
                                  D1, "AG01")]


def test_a_later_month_is_not_audited_before_its_turn(wh: Warehouse) -> None:
    run_world(wh)
    wh.execute("UPDATE core.commission_statement SET commission_this_month = 12.00 "
               "WHERE dossier_id = ? AND statement_month = ?", [world.D3, FEB27])
    assert check_integrity(wh, JAN27) == []
    assert {v.month for v in check_integrity(wh, FEB27)} == {"2027-02"}


def test_a_violation_reads_code_who_month_and_detail() -> None:
    assert str(Violation("CAP", "2027-01", "above", dossier_id=D1, agency_code="AG01")) == (
        f"CAP {D1} 2027-01: above")
    assert str(Violation("FILE", "2027-01", "totals differ", agency_code="AG02")) == (
        "FILE AG02 2027-01: totals differ")
    assert str(Violation("FILE", "2027-01", "no owner")) == "FILE warehouse 2027-01: no owner"


def test_a_payment_recorded_after_a_recall_lowers_what_is_owed_not_what_was_recalled(wh: Warehouse) -> None:
    """Time-correct months: D2 was recalled PAID_IN_FULL on 2026-12-15 with nothing left, as the ledger
    then said. A reversal dated 2026-12-14 reaches the ledger only on 2027-01-05: the audit compares the
    recalled amount with the ledger as known on the recall's decision day, so the recall stays right;
    a recalled amount that was wrong on that day is still named."""
    run_world(wh)
    wh.execute("INSERT INTO core.ledger_payment VALUES (204, 'R204', '0000002', 2, DATE '2026-12-14', "
               "-2000.00, 'REVERSAL', 201, DATE '2026-01-01', 'CHEQUE', DATE '2027-01-05', NULL)")
    reconcile(wh, world.ON)
    for m in (JAN27, FEB27):
        compute_statements(wh, m)
    assert [v for v in check_integrity(wh, FEB27) if v.code == "RECALLED"] == []
    # Known on the decision day: a recalled amount that disagreed then is still a violation.
    wh.execute("INSERT INTO core.lifecycle_run VALUES (DATE '2026-12-15', 2, 1, "
               "TIMESTAMP '2026-12-15 20:00:00')")
    wh.execute("UPDATE core.dossier_recall SET recalled_amount = 2000.00 WHERE dossier_id = ?", [D2])
    found = [v for v in check_integrity(wh, FEB27) if v.code == "RECALLED"]
    assert [(v.dossier_id, v.detail) for v in found] == [
        (D2, "recalled_amount 2000.00 but the ledger known on 2026-12-15 leaves 0.00 open on 2026-12-15")]
