"""Reconciliation that follows what changed (recouvra.reconcile_increment): the groups, the digests,
what a run reconciles again, and, run after run on random months, the incremental result against the
full reconciliation's (``reconcile(..., full=True)``), row for row and timestamp for timestamp."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

import reconcile_months
from reconcile_world import (
    D1,
    D2,
    D3,
    LEDGER,
    ON,
    add_agency_payment,
    add_bridge,
    add_dossier,
    build_world,
    day,
    lake_with,
)
from recouvra import reconcile as reconcile_module
from recouvra.exchange.payment_ref import payment_ref
from recouvra.ledger import LedgerEntry, load_ledger
from recouvra.owed import DossierTerms
from recouvra.reconcile import AgencyPayment, reconcile
from recouvra.reconcile_increment import digests, groups, to_reconcile
from recouvra.warehouse import Warehouse, connect, migrate_connection

D = Decimal
NOV = dt.date(2026, 11, 1)
DA = "D202611-000011"
DB = "D202611-000012"
DC = "D202611-000013"
DD = "D202611-000014"
DE = "D202611-000015"
DF = "D202611-000016"
DG = "D202611-000017"


@pytest.fixture()
def wh() -> Iterator[Warehouse]:
    with connect("duckdb:///:memory:") as w:
        migrate_connection(w)
        yield w


def terms(dossier_id: str, *affs: str, recall: dt.date | None = None,
          status: str = "PUBLISHED") -> DossierTerms:
    return DossierTerms(dossier_id, "AG01", frozenset(affs), NOV, dt.date(2027, 4, 30),
                        {dt.date(2026, 1, 1): D("100.00")}, recall_date=recall, status=status)


def paid(dossier_id: str, receipt: str | None = None, pid: str = "P1") -> AgencyPayment:
    return AgencyPayment("AG01", pid, dossier_id, day(2026, 11, 10), D("100.00"), receipt)


def entry(pid: int, aff: str, *, receipt: str | None = None, ref: str | None = None) -> LedgerEntry:
    return LedgerEntry(pid, receipt or f"R{pid}", aff, day(2026, 11, 10), D("100.00"), "PAYMENT",
                       dt.date(2026, 1, 1), payment_ref=ref)


# -------------------------------------------------------------------------------------------- groups
def test_dossiers_sharing_a_number_a_quoted_receipt_or_a_reference_form_one_group() -> None:
    dossiers = [terms(DA, "A1"), terms(DB, "A1", "A2"), terms(DC, "A3"), terms(DD, "A4"),
                terms(DE, "A5"), terms(DF, "A6")]
    reported = [paid(DC, receipt=" R9 "), paid(DG, pid="P2")]  # DG: named by a payment, not begun
    quoted = [entry(9, "A4", receipt="R9"),  # DC quotes the receipt of DD's debtor's entry
              entry(10, "A5", ref=payment_ref(DF))]  # DE's debtor's payment names DF
    got = groups(dossiers, reported, quoted)
    assert got == {DA: DA, DB: DA, DC: DC, DD: DC, DE: DE, DF: DE, DG: DG}


def test_a_receipt_nobody_holds_and_a_reversal_link_nothing() -> None:
    dossiers = [terms(DA, "A1"), terms(DB, "A2")]
    reversal = LedgerEntry(11, "RX", "A2", day(2026, 11, 12), D("-100.00"), "REVERSAL", dt.date(2026, 1, 1),
                           reverses_payment_id=9)
    assert groups(dossiers, [paid(DA, receipt="RX")], [reversal]) == {DA: DA, DB: DB}


# ----------------------------------------------------------------------------------------- digests
def _digest(dossiers: list[DossierTerms], **over: Any) -> dict[str, str]:
    args: dict[str, Any] = {"reported": [], "quoted": [], "affiliation_digests": {"A1": "x"},
                            "owed_digests": {}, "imputation_order": ("PRINCIPAL",)}
    args.update(over)
    return digests(dossiers, **args)


def test_a_digest_moves_with_what_attribution_reads_and_not_with_the_lifecycle_status() -> None:
    base = _digest([terms(DA, "A1")])
    assert _digest([terms(DA, "A1", status="RECALLED")]) == base
    for changed in (_digest([terms(DA, "A1", recall=day(2026, 12, 1))]),
                    _digest([terms(DA, "A1", "A2")]),
                    _digest([terms(DA, "A1")], affiliation_digests={"A1": "y"}),
                    _digest([terms(DA, "A1")], reported=[paid(DA)]),
                    _digest([terms(DA, "A1")], quoted=[entry(5, "A9", ref=payment_ref(DA))]),
                    _digest([terms(DA, "A1")], imputation_order=("PENALTIES", "PRINCIPAL")),
                    _digest([terms(DA, "A1")], owed_digests={DA: "z"})):
        assert changed[DA] != base[DA]
    # the receipt a payment quotes: the entries holding it are part of the payer's dossier's inputs
    quoting = _digest([terms(DA, "A1")], reported=[paid(DA, receipt="R7")])
    held = _digest([terms(DA, "A1")], reported=[paid(DA, receipt="R7")], quoted=[entry(7, "A9")])
    assert quoting[DA] != held[DA]


# ---------------------------------------------------------------------------------------- to_reconcile
def test_what_a_run_reconciles_again() -> None:
    group = {DA: DA, DB: DA, DC: DC, DD: DD}
    digest = {DA: "a", DB: "b", DC: "c", DD: "d"}
    previous = {DA: (DA, "a"), DB: (DA, "b"), DC: (DC, "c"), DD: (DD, "d")}
    assert to_reconcile(digest, group, previous) == (set(), set())
    assert to_reconcile({**digest, DB: "b2"}, group, previous) == ({DA, DB}, set())  # its group
    assert to_reconcile({**digest, DE: "e"}, {**group, DE: DE}, previous) == ({DE}, set())  # new
    # DC left DD's group (DC's digest changed): DD, which it no longer competes with, is reconciled too
    assert to_reconcile({**digest, DC: "c2"}, group, {**previous, DD: (DC, "d")}) == ({DC, DD}, set())
    # a node gone (a re-run of an earlier date, before its dossier began): its old group again
    gone = {k: v for k, v in digest.items() if k != DB}
    assert to_reconcile(gone, {k: v for k, v in group.items() if k != DB}, previous) == ({DA}, {DB})


# ------------------------------------------------------------------------------------ in the warehouse
def _load(wh: Warehouse, rows: list[tuple[Any, ...]] = LEDGER) -> None:
    with lake_with(rows) as lake:
        for seen in (day(2026, 11, 30), day(2026, 12, 15), day(2026, 12, 31), day(2027, 1, 31), ON):
            load_ledger(wh, lake, seen)


def test_a_second_run_with_nothing_changed_reconciles_nothing_again_and_changes_nothing(
    wh: Warehouse,
) -> None:
    build_world(wh)
    _load(wh)
    first = reconcile(wh, ON)
    assert (first.reconciled_again, first.dossiers, first.groups) == (3, 3, 3)
    before = [wh.query(f"SELECT * FROM core.{t} ORDER BY ALL") for t in
              ("payment_match", "attribution", "attribution_kind", "reconcile_input")]
    again = reconcile(wh, ON)
    assert again.reconciled_again == 0
    assert [wh.query(f"SELECT * FROM core.{t} ORDER BY ALL") for t in
            ("payment_match", "attribution", "attribution_kind", "reconcile_input")] == before
    assert {k: v for k, v in again.as_dict().items() if k != "reconciled_again"} == \
        {k: v for k, v in first.as_dict().items() if k != "reconciled_again"}


def test_a_new_ledger_entry_reconciles_again_only_its_debtors_group(wh: Warehouse) -> None:
    build_world(wh)
    _load(wh)
    reconcile(wh, ON)
    late = (304, "R304", "0000003", day(2027, 1, 12), 30000, "2026-03", "PAYMENT", None)
    _load(wh, [*LEDGER, late])
    report = reconcile(wh, ON)
    assert report.reconciled_again == 1
    assert wh.query("SELECT dossier_id FROM core.reconcile_input WHERE reconciled_at = "
                    "(SELECT max(reconciled_at) FROM core.reconcile_input)") == [(D3,)]
    assert report.unconfirmed_ids == [("AG01", "P3")]  # Q1 (D3) is confirmed now


def test_emptying_the_stored_inputs_reconciles_everything_to_the_same_rows(wh: Warehouse) -> None:
    build_world(wh)
    _load(wh)
    reconcile(wh, ON)
    rows = wh.query("SELECT * FROM core.attribution ORDER BY ALL")
    wh.execute("DELETE FROM core.reconcile_input")
    assert reconcile(wh, ON).reconciled_again == 3
    assert wh.query("SELECT * FROM core.attribution ORDER BY ALL") == rows
    assert {r[0] for r in wh.query("SELECT dossier_id FROM core.reconcile_input")} == {D1, D2, D3}


# --------------------------------------------------------------------- incremental against full, run by run
SEEDS = range(10)


def test_incremental_reconciliation_equals_the_full_one_run_after_run(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Ten random worlds of eight runs each (a re-run of an earlier date among them): after every
    run the incremental warehouse holds exactly what the full reconciliation wrote (matches, attributions,
    kinds, timestamps, groups, digests) and reports the same. The worlds exercise every rule (asserted
    below, so the comparison is not of empty tables), and the incremental runs skip dossiers."""
    def clock(k: int) -> None:  # both reconciliations of run k write the same "now"
        monkeypatch.setattr(reconcile_module, "_now", lambda: dt.datetime(2027, 6, 1, k))

    again = total = 0
    rules: set[str] = set()
    reversals = attributions = 0
    for seed in SEEDS:
        with connect("duckdb:///:memory:") as inc, connect("duckdb:///:memory:") as full:
            for a, n in reconcile_months.run_both(inc, full, seed, clock):
                again, total = again + a, total + n
            rules |= {r[0] for r in full.query("SELECT DISTINCT match_rule FROM core.payment_match")}
            attributions += full.query("SELECT count(*) FROM core.attribution")[0][0]
            reversals += full.query("SELECT count(*) FROM core.attribution WHERE amount < 0")[0][0]
    assert rules == {"PAYMENT_REF", "RECEIPT_REF", "DEBTOR_AMOUNT_DATE"}
    assert attributions > 50 and reversals > 3
    assert 0 < again < total * 0.8, (again, total)


def _agree(monkeypatch: pytest.MonkeyPatch, runs: list[tuple[dt.date, Any]]) -> list[dict[str, Any]]:
    """:func:`reconcile_months.reconcile_both` on two fresh warehouses. Returns the incremental reports."""
    def clock(k: int) -> None:
        monkeypatch.setattr(reconcile_module, "_now", lambda: dt.datetime(2027, 6, 1, k))

    with connect("duckdb:///:memory:") as inc, connect("duckdb:///:memory:") as full:
        for wh in (inc, full):
            migrate_connection(wh)
        return reconcile_months.reconcile_both(inc, full, runs, clock)


@pytest.mark.parametrize("link", ["receipt", "reference"])
def test_a_payment_quoting_another_debtors_receipt_or_a_dossiers_reference_ties_the_two_dossiers(
    monkeypatch: pytest.MonkeyPatch, link: str,
) -> None:
    """A payment of Z's debtor confirms X's agency payment, which quotes its receipt number (or which
    its payer's reference names: X's); when Z's agency later reports that payment, only reconciling X
    with Z keeps it confirmed once (Z's report stays unconfirmed, as the full reconciliation has it)."""
    x, z = "D202611-000001", "D202611-000002"
    ref = (payment_ref(x),) if link == "reference" else ()
    entry_ = [(500, "R500", "0000002", day(2026, 11, 10), 10000, "2026-01", "PAYMENT", None, *ref)]

    def world(wh: Warehouse) -> None:
        reconcile_months.setup(wh)
        add_dossier(wh, x, 1, "AG01", {dt.date(2026, 1, 1): "100.00"})
        add_dossier(wh, z, 2, "AG02", {dt.date(2026, 1, 1): "100.00"})
        add_agency_payment(wh, "AG01", "P1", x, day(2026, 11, 12), "100.00", None if ref else "R500")
        with lake_with(entry_) as lake:
            load_ledger(wh, lake, day(2026, 11, 30))

    def z_reports(wh: Warehouse) -> None:
        add_agency_payment(wh, "AG02", "Q1", z, day(2026, 11, 10), "100.00")

    first, second = _agree(monkeypatch, [(day(2026, 11, 30), world), (day(2026, 11, 30), z_reports)])
    rule = "matched_by_payment_ref" if ref else "matched_by_receipt"
    assert first[rule] == 1 and first["groups"] == 1
    assert second["unconfirmed_ids"] == [["AG02", "Q1"]] and second["reconciled_again"] == 2


def test_a_dossier_leaving_a_group_frees_what_it_took_for_the_other(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Number 0000002 was bridged to X's debtor during X's window, so X (placed first) took its December
    payment before Y (0000002's own dossier); the bridge is then corrected (the number was X's debtor's
    only until October): X changed, and Y, which no longer competes with it, is reconciled again and
    gets the payment, as the full reconciliation gives it."""
    x, y = "D202611-000001", "D202612-000001"
    entry_ = [(600, "R600", "0000002", day(2026, 12, 20), 10000, "2026-01", "PAYMENT", None)]

    def world(wh: Warehouse) -> None:
        add_bridge(wh, "0000001", 1)
        wh.execute("INSERT INTO core.bridge_affiliation_debtor VALUES "
                   "('0000002', DATE '2026-06-01', DATE '2026-12-10', false, 1, 'SINGLETON', NULL)")
        add_bridge(wh, "0000002", 2, valid_from=day(2026, 12, 10))
        add_dossier(wh, x, 1, "AG01", {dt.date(2026, 1, 1): "100.00"})
        add_dossier(wh, y, 2, "AG02", {dt.date(2026, 1, 1): "100.00"}, start=day(2026, 12, 1),
                    month=day(2026, 12, 1))
        with lake_with(entry_) as lake:
            load_ledger(wh, lake, day(2026, 12, 31))

    def corrected(wh: Warehouse) -> None:
        wh.execute("UPDATE core.bridge_affiliation_debtor SET valid_to = DATE '2026-10-01' "
                   "WHERE affiliation_no = '0000002' AND debtor_id = 1")

    first, second = _agree(monkeypatch, [(day(2026, 12, 31), world), (day(2026, 12, 31), corrected)])
    assert first["groups"] == 1 and second["groups"] == 2 and second["reconciled_again"] == 2
    assert (first["attributions"], second["attributions"]) == (1, 1)  # X's, then Y's


def test_a_reversal_under_another_number_reconciles_the_reversed_payments_dossier_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A reversal booked under a number nobody's dossier holds still takes back the payment of X's
    debtor it names: it is part of X's inputs (the affiliation digest follows reversals to what they
    reverse), so X is reconciled again and the reversal attributed."""
    x = "D202611-000001"
    paid_ = (700, "R700", "0000001", day(2026, 11, 10), 10000, "2026-01", "PAYMENT", None)
    reversed_ = (701, "R701", "0000008", day(2026, 11, 20), -10000, "2026-01", "REVERSAL", 700)

    def world(wh: Warehouse) -> None:
        reconcile_months.setup(wh)
        add_dossier(wh, x, 1, "AG01", {dt.date(2026, 1, 1): "100.00"})
        with lake_with([paid_]) as lake:
            load_ledger(wh, lake, day(2026, 11, 30))

    def reversal(wh: Warehouse) -> None:
        with lake_with([paid_, reversed_]) as lake:
            load_ledger(wh, lake, day(2026, 11, 30))

    first, second = _agree(monkeypatch, [(day(2026, 11, 30), world), (day(2026, 11, 30), reversal)])
    assert (first["attributions"], second["attributions"], second["reversal_attributions"]) == (1, 2, 1)
    assert second["reconciled_again"] == 1
