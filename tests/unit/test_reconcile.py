"""Reconciliation: matching of agency payments, attribution to dossiers, end to end on the shared world
(tests/support/reconcile_world.py; the ledger's load and rules: test_ledger.py; the money-integrity
audit: test_integrity.py; both reuse that world too)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal

import pytest

from reconcile_world import D1, D2, D3, END, FEB, JAN, LEDGER, NOV, ON, build_world, day, lake_with, snapshot
from recouvra.commission import compute_statements
from recouvra.exchange.payment_ref import payment_ref
from recouvra.ledger import LedgerEntry, load_ledger, read_ledger, read_ledger_concerning
from recouvra.reconcile import (
    DEBTOR_AMOUNT_DATE,
    PAYMENT_REF,
    RECEIPT_REF,
    AgencyPayment,
    DossierTerms,
    attribute,
    build_streams,
    check_payment_refs,
    match_payments,
    read_dossiers,
    reconcile,
)
from recouvra.warehouse import Warehouse, connect, migrate_connection

D = Decimal


@pytest.fixture()
def wh() -> Iterator[Warehouse]:
    with connect("duckdb:///:memory:") as w:
        migrate_connection(w)
        yield w


# ----------------------------------------------------------------------------------------- matching
def entry(pid: int, on: dt.date, amount: str, *, aff: str = "A1", receipt: str | None = None,
          period: dt.date = JAN, kind: str = "PAYMENT", reverses: int | None = None,
          ref: str | None = None) -> LedgerEntry:
    return LedgerEntry(pid, receipt or f"R{pid}", aff, on, D(amount), kind, period, reverses, payment_ref=ref)


def mistyped(reference: str) -> str:
    """``reference`` with its last digit changed: its check digits no longer hold."""
    return reference[:-1] + str((int(reference[-1]) + 1) % 10)


def reported(pid: str, on: dt.date, amount: str, receipt: str | None = None, dossier: str = D1,
             agency: str = "AG01") -> AgencyPayment:
    return AgencyPayment(agency, pid, dossier, on, D(amount), receipt)


AFFS = {D1: frozenset({"A1", "A2"})}


def test_receipt_ref_matches_first_whatever_the_amount_and_date() -> None:
    ledger = [entry(1, day(2026, 11, 10), "100.00"), entry(2, day(2026, 11, 30), "999.00", receipt="RX")]
    m = match_payments([reported("P", day(2026, 11, 10), "100.00", receipt="RX")], ledger, AFFS)
    assert [(x.ledger_payment_id, x.match_rule, x.day_gap) for x in m] == [(2, RECEIPT_REF, 20)]


@pytest.mark.parametrize(("gap", "matched"), [(-6, False), (-5, True), (0, True), (5, True), (6, False)])
def test_debtor_amount_date_window_is_five_days_inclusive(gap: int, matched: bool) -> None:
    ledger = [entry(1, day(2026, 11, 15) + dt.timedelta(days=gap), "100.00", aff="A2")]
    m = match_payments([reported("P", day(2026, 11, 15), "100.00")], ledger, AFFS)
    assert bool(m) is matched
    if matched:
        assert (m[0].match_rule, m[0].day_gap) == (DEBTOR_AMOUNT_DATE, abs(gap))


def test_debtor_rule_needs_the_same_amount_and_the_debtors_number() -> None:
    ledger = [entry(1, day(2026, 11, 15), "100.01"), entry(2, day(2026, 11, 15), "100.00", aff="OTHER")]
    assert match_payments([reported("P", day(2026, 11, 15), "100.00")], ledger, AFFS) == []


def test_matching_is_one_to_one_closest_dates_first_then_ids() -> None:
    ledger = [entry(1, day(2026, 11, 10), "100.00"), entry(2, day(2026, 11, 14), "100.00")]
    claims = [reported("P1", day(2026, 11, 13), "100.00"), reported("P2", day(2026, 11, 12), "100.00"),
              reported("P3", day(2026, 11, 12), "100.00")]
    m = {(x.payment_id, x.ledger_payment_id, x.day_gap) for x in match_payments(claims, ledger, AFFS)}
    # P1-2 (gap 1) first; then P2 and P3 both 2 days from entry 1: P2 (smaller id) takes it.
    assert m == {("P1", 2, 1), ("P2", 1, 2)}


def test_receipt_taken_falls_back_to_debtor_rule_and_a_ledger_entry_confirms_once() -> None:
    ledger = [entry(1, day(2026, 11, 10), "100.00", receipt="R"), entry(2, day(2026, 11, 11), "100.00")]
    claims = [reported("P1", day(2026, 11, 10), "100.00", "R"),
              reported("P2", day(2026, 11, 10), "100.00", "R"),
              reported("Q1", day(2026, 11, 10), "100.00", "R", agency="AG02")]
    m = match_payments(claims, ledger, AFFS)
    assert [(x.agency_code, x.payment_id, x.ledger_payment_id, x.match_rule) for x in m] == [
        ("AG01", "P1", 1, RECEIPT_REF), ("AG01", "P2", 2, DEBTOR_AMOUNT_DATE)]


# Issue 17.4: the payment reference the debtor quoted names the dossier.
REF1 = payment_ref(D1)


@pytest.mark.parametrize(("shown_day", "shown_amount"), [
    (day(2026, 11, 10), "90.00"),    # wrong amount (the debtor rule needs the same amount)
    (day(2026, 11, 22), "100.00"),   # 12 days off (the debtor rule allows 5)
    (day(2026, 12, 5), "1.00"),      # both
])
def test_a_referenced_payment_confirms_its_dossiers_report_despite_a_wrong_amount_or_date(
    shown_day: dt.date, shown_amount: str,
) -> None:
    ledger = [entry(1, day(2026, 11, 10), "100.00", ref="rf" + REF1[2:6] + " " + REF1[6:])]  # as quoted
    m = match_payments([reported("P", shown_day, shown_amount)], ledger, AFFS)
    assert [(x.ledger_payment_id, x.match_rule, x.day_gap) for x in m] == [
        (1, PAYMENT_REF, abs((shown_day - day(2026, 11, 10)).days))]
    # without the reference, nothing matches it
    assert match_payments([reported("P", shown_day, shown_amount)], [entry(1, day(2026, 11, 10), "100.00")],
                          AFFS) == []


def test_a_reference_with_a_wrong_check_digit_confirms_nothing() -> None:
    ledger = [entry(1, day(2026, 11, 10), "100.00", ref=mistyped(REF1))]
    assert match_payments([reported("P", day(2026, 11, 22), "90.00")], ledger, AFFS) == []
    # ignored, not guessed: the other rules still apply to the entry
    m = match_payments([reported("P", day(2026, 11, 12), "100.00")], ledger, AFFS)
    assert [(x.ledger_payment_id, x.match_rule) for x in m] == [(1, DEBTOR_AMOUNT_DATE)]


def test_payment_ref_is_tried_before_the_receipt_and_the_debtor_rules() -> None:
    # P1 carries entry 2's receipt number, but entry 2's payer quoted D2's reference: it goes to D2's
    # report, and P1 falls back to the debtor rule (entry 1).
    ledger = [entry(1, day(2026, 11, 10), "100.00"),
              entry(2, day(2026, 11, 10), "100.00", receipt="RX", ref=payment_ref(D2))]
    claims = [reported("P1", day(2026, 11, 10), "100.00", receipt="RX"),
              reported("Q", day(2026, 11, 11), "80.00", dossier=D2, agency="AG02")]
    m = match_payments(claims, ledger, {**AFFS, D2: frozenset({"A1"})})
    assert [(x.agency_code, x.payment_id, x.ledger_payment_id, x.match_rule) for x in m] == [
        ("AG01", "P1", 1, DEBTOR_AMOUNT_DATE), ("AG02", "Q", 2, PAYMENT_REF)]


def test_payment_ref_is_one_to_one_closest_dates_then_amounts_and_bounded_to_a_month() -> None:
    ledger = [entry(1, day(2026, 11, 10), "100.00", ref=REF1),
              entry(2, day(2026, 12, 10), "100.00", ref=REF1), entry(3, day(2027, 3, 1), "100.00", ref=REF1)]
    claims = [reported("P1", day(2026, 12, 9), "100.00"), reported("P2", day(2026, 11, 10), "60.00"),
              reported("P3", day(2026, 11, 10), "100.00"), reported("P4", day(2027, 1, 20), "100.00")]
    m = {(x.payment_id, x.ledger_payment_id, x.match_rule) for x in match_payments(claims, ledger, AFFS)}
    # P2 and P3 are both 0 days from entry 1: P3's amount is the closer; P2 is left unconfirmed (entry 2
    # went to P1, 1 day away); P4 is 40 days from entry 3, too far for a reference naming only the dossier.
    assert m == {("P1", 2, PAYMENT_REF), ("P3", 1, PAYMENT_REF)}


def test_reversals_never_confirm_an_agency_payment() -> None:
    ledger = [entry(5, day(2026, 11, 10), "-100.00", kind="REVERSAL", reverses=4, receipt="R")]
    assert match_payments([reported("P", day(2026, 11, 10), "100.00", "R")], ledger, AFFS) == []


# -------------------------------------------------------------------------------------- attribution
def terms(dossier_id: str = D1, owed: dict[dt.date, str] | None = None, *, affs: tuple[str, ...] = ("A1",),
          start: dt.date = NOV, end: dt.date = END, recall: dt.date | None = None,
          portfolio: dt.date | None = None) -> DossierTerms:
    return DossierTerms(dossier_id, "AG01", frozenset(affs), start, end,
                        {k: D(v) for k, v in (owed or {JAN: "1000.00"}).items()}, recall, portfolio)


def attributed(
    ds: list[DossierTerms], ledger: list[LedgerEntry], on: dt.date = ON
) -> list[tuple[int, str, str]]:
    return [(a.ledger_payment_id, a.dossier_id, str(a.amount)) for a in attribute(ds, ledger, on)]


@pytest.mark.parametrize(("when", "counts"), [
    (day(2026, 10, 31), False), (NOV, True), (END, True), (day(2027, 5, 1), False)])
def test_window_bounds_are_inclusive(when: dt.date, counts: bool) -> None:
    got = attributed([terms()], [entry(1, when, "10.00")], on=day(2027, 6, 1))
    assert got == ([(1, D1, "10.00")] if counts else [])


def test_recall_date_is_the_last_day_that_counts() -> None:
    ledger = [entry(1, day(2026, 12, 15), "10.00"), entry(2, day(2026, 12, 16), "20.00")]
    assert attributed([terms(recall=day(2026, 12, 15))], ledger) == [(1, D1, "10.00")]


def test_only_assigned_months_of_the_debtors_numbers_count_reported_or_not() -> None:
    ledger = [entry(1, day(2026, 11, 5), "10.00", period=FEB), entry(2, day(2026, 11, 5), "20.00", aff="B"),
              entry(3, day(2026, 11, 6), "30.00", aff="A2")]
    assert attributed([terms(affs=("A1", "A2"))], ledger) == [(3, D1, "30.00")]


def test_partial_and_over_payments_never_exceed_what_the_month_still_owes() -> None:
    ledger = [entry(1, day(2026, 11, 5), "300.00"), entry(2, day(2026, 11, 6), "900.00"),
              entry(3, day(2026, 11, 7), "50.00")]
    assert attributed([terms()], ledger) == [(1, D1, "300.00"), (2, D1, "700.00")]


def test_pre_window_payments_settle_otherwise_and_reduce_what_can_be_attributed() -> None:
    ledger = [entry(1, day(2026, 10, 20), "400.00"), entry(2, day(2026, 11, 6), "900.00")]
    assert attributed([terms(portfolio=day(2026, 10, 15))], ledger) == [(2, D1, "600.00")]
    # Paid before the portfolio date: already out of total_due, so it does not reduce the room.
    assert attributed([terms(portfolio=day(2026, 10, 25))], ledger) == [(2, D1, "900.00")]


def test_reversal_is_attributed_negatively_to_the_same_dossier_even_after_the_window() -> None:
    ledger = [entry(1, day(2026, 11, 5), "300.00"),
              entry(2, day(2027, 6, 3), "-300.00", kind="REVERSAL", reverses=1)]
    assert attributed([terms()], ledger, on=day(2027, 7, 1)) == [(1, D1, "300.00"), (2, D1, "-300.00")]


def test_reversal_takes_back_only_what_later_payments_do_not_cover() -> None:
    ledger = [entry(1, day(2026, 11, 5), "600.00"), entry(2, day(2026, 11, 6), "800.00"),
              entry(3, day(2026, 11, 20), "-600.00", kind="REVERSAL", reverses=1)]
    assert attributed([terms()], ledger) == [(1, D1, "600.00"), (2, D1, "400.00"), (3, D1, "-200.00")]


def test_a_payment_is_never_attributed_to_two_dossiers_the_earliest_window_takes_it() -> None:
    first = terms(D1, start=NOV)
    second = terms("D202612-000001", start=day(2026, 12, 1))
    ledger = [entry(1, day(2026, 12, 5), "10.00")]
    assert attributed([second, first], ledger) == [(1, D1, "10.00")]


def test_a_referenced_payment_goes_to_the_dossier_it_names_when_that_dossier_qualifies() -> None:
    first = terms(D1, start=NOV)
    second = terms("D202612-000001", start=day(2026, 12, 1))
    named = payment_ref("D202612-000001")
    ledger = [entry(1, day(2026, 12, 5), "10.00", ref=named), entry(2, day(2026, 12, 6), "20.00")]
    # still never two dossiers: the named one takes it whole, the unreferenced one follows the old rule
    assert attributed([second, first], ledger) == [(2, D1, "20.00"), (1, "D202612-000001", "10.00")]
    # the named dossier does not qualify (its window has not begun; a month it was not assigned; a
    # mistyped reference): the usual rule decides, as if nothing were quoted
    for e in (entry(1, day(2026, 11, 20), "10.00", ref=named),
              entry(1, day(2026, 12, 5), "10.00", ref=named, period=FEB),
              entry(1, day(2026, 12, 5), "10.00", ref=mistyped(named))):
        owed = {JAN: "1000.00", FEB: "1000.00"}
        assert attributed([terms("D202612-000001", start=day(2026, 12, 1)), terms(D1, owed)], [e]) == [
            (1, D1, "10.00")]


def test_a_referenced_payment_is_never_attributed_above_what_the_month_still_owes() -> None:
    named = payment_ref("D202612-000001")
    ledger = [entry(1, day(2026, 12, 5), "800.00", ref=named),
              entry(2, day(2026, 12, 6), "900.00", ref=named)]
    got = attributed([terms("D202612-000001", start=day(2026, 12, 1)), terms(D1)], ledger)
    assert got == [(1, "D202612-000001", "800.00"), (2, "D202612-000001", "200.00")]  # the excess: nobody's


def test_entries_dated_after_the_run_date_wait() -> None:
    assert attributed([terms()], [entry(1, day(2026, 11, 5), "10.00")], on=day(2026, 11, 4)) == []


# ------------------------------------------------------------------------------- reconcile, end to end
def test_reconcile_matches_reports_unconfirmed_and_attributes_unreported_payments(wh: Warehouse) -> None:
    build_world(wh)
    with lake_with(LEDGER) as lake:
        # Loaded as the runs would have: each day takes what was recorded by its end (first_seen_on).
        for seen in (day(2026, 11, 30), day(2026, 12, 15), day(2026, 12, 31), day(2027, 1, 31), ON):
            load_ledger(wh, lake, seen)
    report = reconcile(wh, ON)
    assert (report.matched_by_receipt, report.matched_by_debtor, report.unconfirmed) == (1, 2, 2)
    assert report.unconfirmed_ids == [("AG01", "P3"), ("AG02", "Q1")]
    assert report.unconfirmed_amount == "800.00"
    assert snapshot(wh)["match"] == [
        ("AG01", "P1", 101, RECEIPT_REF, 1), ("AG01", "P2", 104, DEBTOR_AMOUNT_DATE, 5),
        ("AG01", "P4", 201, DEBTOR_AMOUNT_DATE, 0)]
    assert [(r[0], r[1], r[3]) for r in snapshot(wh)["attribution"]] == [
        (101, D1, D("400.00")), (102, D1, D("600.00")), (104, D1, D("500.00")), (105, D1, D("-200.00")),
        (201, D2, D("2000.00")), (301, D3, D("300.00")), (302, D3, D("-300.00"))]
    assert report.attributed_amount == "3300.00" and report.reversal_attributions == 2


@pytest.mark.parametrize("quoted", [payment_ref(D3), mistyped(payment_ref(D3))])
def test_reconcile_confirms_by_payment_ref_and_reports_invalid_references(wh: Warehouse, quoted: str) -> None:
    """Q1 (D3, 6 days from entry 301: unconfirmed by the debtor rule) is confirmed when the ledger holds
    the reference its payer quoted, not when that reference was mistyped (reported, then ignored)."""
    build_world(wh)
    with_ref = [(*r, quoted) if r[0] == 301 else r for r in LEDGER]
    with lake_with(with_ref) as lake:
        for seen in (day(2026, 11, 30), day(2026, 12, 15), day(2026, 12, 31), day(2027, 1, 31), ON):
            load_ledger(wh, lake, seen)
    held = wh.query("SELECT payment_ref FROM core.ledger_payment WHERE ledger_payment_id = 301")
    assert held == [(quoted,)]
    report = reconcile(wh, ON)
    if quoted == payment_ref(D3):
        assert report.matched_by_payment_ref == 1 and report.unconfirmed_ids == [("AG01", "P3")]
        assert ("AG02", "Q1", 301, PAYMENT_REF, 6) in snapshot(wh)["match"]
        assert report.invalid_payment_refs == []
    else:
        assert report.matched_by_payment_ref == 0
        assert report.unconfirmed_ids == [("AG01", "P3"), ("AG02", "Q1")]
        assert report.invalid_payment_refs == [301]
    # attribution is what it was either way (D3 is the only dossier of its debtor)
    assert [(r[0], r[1], r[3]) for r in snapshot(wh)["attribution"] if r[1] == D3] == [
        (301, D3, D("300.00")), (302, D3, D("-300.00"))]


def test_reconcile_is_idempotent_and_reevaluates_unconfirmed_claims(wh: Warehouse) -> None:
    build_world(wh)
    with lake_with(LEDGER) as lake:
        # Loaded as the runs would have: each day takes what was recorded by its end (first_seen_on).
        for seen in (day(2026, 11, 30), day(2026, 12, 15), day(2026, 12, 31), day(2027, 1, 31), ON):
            load_ledger(wh, lake, seen)
    reconcile(wh, ON)
    stamps = wh.query("SELECT * FROM core.attribution ORDER BY 1, 2")
    matches = wh.query("SELECT * FROM core.payment_match ORDER BY 1, 2")
    reconcile(wh, ON)
    assert wh.query("SELECT * FROM core.attribution ORDER BY 1, 2") == stamps
    assert wh.query("SELECT * FROM core.payment_match ORDER BY 1, 2") == matches
    # The ledger later holds Q1's payment: the next run confirms it.
    late = (304, "R304", "0000003", day(2027, 1, 12), 30000, "2026-03", "PAYMENT", None)
    with lake_with([*LEDGER, late]) as lake:
        load_ledger(wh, lake, ON)
    assert reconcile(wh, ON).unconfirmed_ids == [("AG01", "P3")]


def test_attribution_month_moves_past_a_published_statement(wh: Warehouse) -> None:
    build_world(wh)
    with lake_with(LEDGER[:2]) as lake:
        load_ledger(wh, lake, ON)
    reconcile(wh, ON)
    compute_statements(wh, NOV)
    wh.execute("UPDATE core.commission_statement SET file_name = 'CNSS_COMMISSION_AG01_202611.csv'")
    late = (106, "R106", "0000001", day(2026, 11, 28), 1000, "2026-02", "PAYMENT", None)
    with lake_with([*LEDGER[:2], late]) as lake:
        load_ledger(wh, lake, ON)
    reconcile(wh, ON)
    months = {r[0]: r[6] for r in snapshot(wh)["attribution"]}
    assert months == {101: NOV, 102: NOV, 106: day(2026, 12, 1)}  # November was already sent


D9 = "D202611-000009"  # reconcile_world.late_payment_months' dossier
DEC = day(2026, 12, 1)


@pytest.mark.parametrize(("first", "late", "rows", "december"), [
    # the late payment takes the whole month: the first one's attribution moves to it, in December
    ("1600.00", "1500.00", [(900, DEC, "1500.00", (("PRINCIPAL", "1000.00"), ("SURCHARGE", "500.00"))),
                            (901, NOV, "1500.00", (("PRINCIPAL", "1000.00"), ("SURCHARGE", "500.00"))),
                            (901, DEC, "-1500.00", (("PRINCIPAL", "-1000.00"), ("SURCHARGE", "-500.00")))],
     ("1500.00", "1000.00", "500.00")),
    # both fit: the first one keeps its amount, but what it settled moves from principal to surcharges
    ("600.00", "800.00", [(900, DEC, "800.00", (("PRINCIPAL", "800.00"),)),
                          (901, NOV, "600.00", (("PRINCIPAL", "600.00"),)),
                          (901, DEC, "0.00", (("PRINCIPAL", "-400.00"), ("SURCHARGE", "400.00")))],
     ("1400.00", "1000.00", "400.00")),
    # the late payment takes part of the first one's room
    ("1500.00", "1200.00", [(900, DEC, "1200.00", (("PRINCIPAL", "1000.00"), ("SURCHARGE", "200.00"))),
                            (901, NOV, "1500.00", (("PRINCIPAL", "1000.00"), ("SURCHARGE", "500.00"))),
                            (901, DEC, "-1200.00", (("PRINCIPAL", "-1000.00"), ("SURCHARGE", "-200.00")))],
     ("1500.00", "1000.00", "500.00")),
])
def test_a_payment_recorded_late_dated_before_one_already_sent_leaves_the_sent_statement_as_it_was(
    wh: Warehouse, first: str, late: str, rows: list[tuple[int, dt.date, str, tuple[tuple[str, str], ...]]],
    december: tuple[str, str, str],
) -> None:
    """make demo SCALE=M, 2026-10: a payment the fund records only after the agency's statement was sent,
    but dated before a payment already attributed, takes the month's room first (replay by payment date).
    The rows of the sent month stay as they are; what moved is posted in the next month (amount 0 when
    only kinds moved), so the sent statement and every later one agree with the rows (money integrity),
    and a run again changes nothing."""
    from reconcile_world import late_payment_months

    seen = late_payment_months(wh, first, late)
    assert seen["rows"] == rows
    assert seen["sent_then"] == seen["sent_now"]
    assert seen["december"] == [december]
    assert seen["violations"] == []
    assert seen["again"] == seen["tables"]


def test_before_its_statement_is_sent_a_changed_attribution_stays_one_row_in_its_month() -> None:
    """Nothing sent yet: an entry keeps one row, in the month it was given, with its new amount and
    a new timestamp; unchanged, its row (timestamp included) comes back as it was."""
    from recouvra.owed import Attribution, KindShare
    from recouvra.reconcile import Posting, post

    was, now = dt.datetime(2026, 12, 1, 9), dt.datetime(2026, 12, 20, 9)
    old = [Posting(7, D9, "AG03", D("600.00"), day(2026, 11, 20), JAN, NOV, was,
                   (("PRINCIPAL", D("600.00")),))]
    moved = post([Attribution(7, D9, "AG03", D("400.00"), day(2026, 11, 20), JAN)],
                 [KindShare(7, D9, "PRINCIPAL", D("400.00"), day(2026, 11, 20))], old, {}, now)
    assert moved == [Posting(7, D9, "AG03", D("400.00"), day(2026, 11, 20), JAN, NOV, now,
                             (("PRINCIPAL", D("400.00")),))]
    assert post([Attribution(7, D9, "AG03", D("600.00"), day(2026, 11, 20), JAN)],
                [KindShare(7, D9, "PRINCIPAL", D("600.00"), day(2026, 11, 20))], old,
                {"AG03": day(2026, 10, 1)}, now) == old
    assert post([], [], old, {}, now) == []  # no longer attributed, nothing sent: no row


#: Entries beside LEDGER that matching and attribution must see or rightly ignore: another employer's
#: payments (one reversed, one whose receipt P4 quotes, one quoting D3's reference, one nobody names), a
#: reversal under another number of D1's payment 104, a reversal of a payment the ledger lacks, and a
#: payment of D1's debtor dated after the run date.
UNRELATED: list[tuple[object, ...]] = [
    (401, "R401", "0000009", day(2026, 11, 12), 7000, "2026-01", "PAYMENT", None),
    (402, "R402", "0000009", day(2026, 11, 13), -7000, "2026-01", "REVERSAL", 401),
    (403, " NOPE ", "0000009", day(2026, 12, 14), 200000, "2026-01", "PAYMENT", None),
    (404, "R404", "0000009", day(2027, 1, 7), 30000, "2026-03", "PAYMENT", None, payment_ref(D3)),
    (405, "R405", "0000019", day(2026, 12, 21), -50000, "2026-02", "REVERSAL", 104),
    (406, "R406", "0000009", day(2026, 12, 22), -1000, "2026-01", "REVERSAL", 999),
    (407, "R407", "0000009", day(2026, 12, 23), 9900, "2026-01", "PAYMENT", None),
    (408, "R408", "0000001", day(2027, 3, 2), 10000, "2026-01", "PAYMENT", None),
]


def test_reconcile_reads_only_the_entries_it_can_concern_and_gives_what_the_whole_ledger_gives(
    wh: Warehouse,
) -> None:
    """reconcile reads the entries of the dossiers' debtors, the referenced, the quoted receipts and the
    reversals with what they reverse (read_ledger_concerning), not the whole ledger; its matches,
    attributions, kinds and report are those the pure rules give on the whole ledger."""
    build_world(wh)
    with lake_with([*LEDGER, *UNRELATED]) as lake:
        for seen in (day(2026, 11, 30), day(2026, 12, 15), day(2026, 12, 31), day(2027, 1, 31), ON,
                     day(2027, 3, 31)):
            load_ledger(wh, lake, seen)
    whole = read_ledger(wh, ON)
    dossiers = read_dossiers(wh, ON)
    concerning = read_ledger_concerning(wh, {a for d in dossiers for a in d.affiliation_nos}, ON)
    assert {e.ledger_payment_id for e in whole} - {e.ledger_payment_id for e in concerning} == {407}

    report = reconcile(wh, ON)
    reported_ = [AgencyPayment(str(a), str(p), str(d), dd, D(amt), None if r is None else str(r))
                 for a, p, d, dd, amt, r in wh.query(
                     "SELECT agency_code, payment_id, dossier_id, payment_date, amount, receipt_ref "
                     "FROM core.agency_payment")]
    want_matches = match_payments(reported_, whole, {d.dossier_id: d.affiliation_nos for d in dossiers})
    assert snapshot(wh)["match"] == sorted((m.agency_code, m.payment_id, m.ledger_payment_id, m.match_rule,
                                            m.day_gap) for m in want_matches)
    assert ("AG01", "P4", 403, RECEIPT_REF, 1) in snapshot(wh)["match"]
    want_attr = attribute(dossiers, whole, ON)
    assert sorted((r[0], r[1], r[3]) for r in snapshot(wh)["attribution"]) == sorted(
        (a.ledger_payment_id, a.dossier_id, a.amount) for a in want_attr)
    assert report.ledger_entries == len(whole) == len(LEDGER) + len(UNRELATED) - 1
    assert report.unlinked_reversals == build_streams(dossiers, whole, ON).unlinked_reversals == [406]
    assert (report.invalid_payment_refs, report.unknown_payment_refs) == check_payment_refs(
        whole, {d.dossier_id for d in dossiers})
