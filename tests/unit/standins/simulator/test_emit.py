"""Return files from plans (recouvra.standins.simulator.emit) on in-memory dossiers: deterministic,
inside the window and before any recall, never paying more than owed, every return type, malformed
rows as configured, and every file the judge's verdict the simulator intended."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter, defaultdict
from decimal import Decimal

import pytest

from recouvra.config import AgencyBehaviour
from recouvra.exchange.csvparse import parse_rows
from recouvra.returns.context import Dossier, ExchangeContext
from recouvra.returns.history import InMemoryReturnHistory
from recouvra.returns.judge import judge_bytes
from recouvra.standins.simulator.behaviour import plan_dossier
from recouvra.standins.simulator.emit import AgencyState, emit_agency, sending_days
from recouvra.standins.simulator.model import LEDGER_ID_BASE, DossierFacts, Notices

pytestmark = [pytest.mark.unit]

START, END = dt.date(2026, 11, 1), dt.date(2027, 4, 30)
UNTIL = dt.date(2027, 2, 26)


def _facts(n: int, agency: str = "AG01") -> DossierFacts:
    periods = tuple((f"2026-0{m}", Decimal(f"{900 + 13 * n + m}.{m}5")) for m in range(1, 5))
    return DossierFacts(
        dossier_id=f"D202611-{n:06d}",
        agency=agency,
        affiliation_no=f"{n:07d}",
        debtor_name=f"Société {n}",
        total_due=sum((a for _, a in periods), Decimal(0)),
        assignment_start=START,
        assignment_end=END,
        periods=periods,
        city="Casablanca",
        recall_date=dt.date(2026, 12, 20) if n % 7 == 0 else None,
    )


DOSSIERS = {f.dossier_id: f for f in (_facts(n) for n in range(1, 301))}
CLEAN = AgencyBehaviour(malformed_share=Decimal(0), malformed_file_share=Decimal(0))


def _context() -> ExchangeContext:
    return ExchangeContext(
        {
            k: Dossier(k, f.agency, f.assignment_start, f.assignment_end, f.total_due, f.recall_date)
            for k, f in DOSSIERS.items()
        }
    )


def _run(behaviour: AgencyBehaviour, until: dt.date = UNTIL, seed: int = 7, state: AgencyState | None = None):
    state = state or AgencyState("AG01", seed)
    return emit_agency("AG01", DOSSIERS, Notices(), state, behaviour, until), state


def _records(files) -> dict[str, list[dict[str, str]]]:  # type: ignore[no-untyped-def]
    out: dict[str, list[dict[str, str]]] = defaultdict(list)
    for f in files:
        rows = parse_rows(f.data.decode("utf-8"))
        out[f.record_type] += [
            dict(zip(rows[0].cells, r.cells, strict=True)) for r in rows[1:] if not r.blank
        ]
    return out


def test_same_seed_same_files_other_seed_other_files() -> None:
    a, _ = _run(AgencyBehaviour())
    b, _ = _run(AgencyBehaviour())
    c, _ = _run(AgencyBehaviour(), seed=8)
    assert [(f.name, f.data) for f in a.files] == [(f.name, f.data) for f in b.files]
    assert a.ledger == b.ledger
    assert [f.data for f in a.files] != [f.data for f in c.files]


def test_running_in_two_steps_sends_what_one_run_sends_and_a_rerun_sends_nothing() -> None:
    whole, _ = _run(CLEAN)
    first, state = _run(CLEAN, until=dt.date(2026, 12, 15))
    second, state = _run(CLEAN, state=AgencyState.from_dict(state.to_dict()))
    assert [(f.name, f.data) for f in first.files + second.files] == [(f.name, f.data) for f in whole.files]
    again, _ = _run(CLEAN, state=AgencyState.from_dict(state.to_dict()))
    assert again.files == [] and again.ledger == []


def test_every_return_type_with_realistic_content() -> None:
    result, _ = _run(CLEAN)
    records = _records(result.files)
    assert set(records) == {"ACTIONS", "CONTACTS", "PAYMENTS", "PLANS", "CLOSURES"}
    promises = [r for r in records["ACTIONS"] if r["outcome"] == "PROMISE_TO_PAY"]
    assert promises and all(r["promise_amount"] and r["promise_date"] for r in promises)
    phones = [r["value"] for r in records["CONTACTS"] if r["field"] == "PHONE"]
    assert phones and any(" " in p and p.startswith("0") for p in phones)
    assert any(r["field"] == "ASSET" and r["value"] for r in records["CONTACTS"])
    plans = defaultdict(list)
    for r in records["PLANS"]:
        plans[r["plan_id"]].append(r)
    assert any([x["status"] for x in v] == ["REQUESTED", "SIGNED"] for v in plans.values())
    assert {"PAID_IN_FULL", "INSOLVENT"} <= {r["reason"] for r in records["CLOSURES"]}


def test_dates_in_window_not_after_until_nor_recall_and_payments_never_above_owed() -> None:
    result, _ = _run(CLEAN)
    date_col = {
        "ACTIONS": "action_date",
        "CONTACTS": "observed_date",
        "PAYMENTS": "payment_date",
        "PLANS": "request_date",
        "CLOSURES": "closure_date",
    }
    paid: Counter[str] = Counter()
    for rtype, rows in _records(result.files).items():
        for r in rows:
            f = DOSSIERS[r["dossier_id"]]
            day = dt.date.fromisoformat(r[date_col[rtype]])
            assert f.assignment_start <= day <= min(UNTIL, f.assignment_end)
            assert f.recall_date is None or day <= f.recall_date
            if rtype == "PAYMENTS":
                paid[f.dossier_id] += Decimal(r["amount"])  # type: ignore[assignment]
    assert paid and all(Decimal(v) <= DOSSIERS[k].total_due for k, v in paid.items())
    ledger: defaultdict[tuple[str, str], int] = defaultdict(int)
    for row in result.ledger:
        assert row.payment_id >= LEDGER_ID_BASE and len(row.receipt_no) <= 24
        assert row.recorded_at.date() <= UNTIL
        if row.kind == "PAYMENT":
            ledger[(row.affiliation_no, row.settles_period)] += row.amount_centimes
    for (aff, period), centimes in ledger.items():
        f = DOSSIERS[f"D202611-{int(aff):06d}"]
        assert centimes <= dict(f.periods)[period] * 100  # a month is never paid above what it owes


def test_ledger_differs_from_reports_as_configured() -> None:
    sloppy = AgencyBehaviour(
        malformed_share=Decimal(0),
        malformed_file_share=Decimal(0),
        ledger_missing_share=Decimal("0.2"),
        reversal_share=Decimal("0.2"),
        wrong_amount_share=Decimal("0.3"),
        wrong_date_share=Decimal("0.3"),
    )
    result, _ = _run(sloppy)
    reported = _records(result.files)["PAYMENTS"]
    kinds = Counter(r.kind for r in result.ledger)
    assert kinds["REVERSAL"] > 0 and kinds["PAYMENT"] < len(reported)  # some missing from the ledger
    by_receipt = {r.receipt_no: r for r in result.ledger if r.kind == "PAYMENT"}
    matched = [r for r in reported if r["receipt_ref"] in by_receipt]
    assert any(Decimal(r["amount"]) * 100 != by_receipt[r["receipt_ref"]].amount_centimes for r in matched)
    assert any(r["payment_date"] != by_receipt[r["receipt_ref"]].payment_date.isoformat() for r in matched)


def test_stops_after_the_fund_reports_the_debt_paid() -> None:
    f = DOSSIERS["D202611-000001"]
    paid_on = dt.date(2026, 11, 20)
    notices = Notices({(f.dossier_id, p): a for p, a in f.periods}, {f.dossier_id: paid_on})
    result = emit_agency("AG01", {f.dossier_id: f}, notices, AgencyState("AG01", 7), CLEAN, UNTIL)
    records = _records(result.files)
    assert records["CLOSURES"] and records["CLOSURES"][-1]["reason"] == "PAID_IN_FULL"
    assert not records.get("PAYMENTS")
    assert all(dt.date.fromisoformat(r["action_date"]) <= paid_on for r in records.get("ACTIONS", []))


@pytest.mark.parametrize("share", [Decimal("0.05"), Decimal("0.15")])
def test_malformed_share_about_as_configured(share: Decimal) -> None:
    result, _ = _run(
        AgencyBehaviour(malformed_share=share, malformed_file_share=Decimal(0), correction_rate=Decimal(0))
    )
    rows = sum(f.rows for f in result.files)
    bad = sum(f.malformed_rows for f in result.files)
    assert rows > 1000
    assert abs(bad / rows - float(share)) < float(share) * 0.35


def test_the_judge_rejects_exactly_what_was_spoilt() -> None:
    messy = AgencyBehaviour(malformed_share=Decimal("0.08"), malformed_file_share=Decimal("0.4"))
    result, _ = _run(messy)
    history = InMemoryReturnHistory()
    statuses: Counter[tuple[str, str]] = Counter()
    codes: set[str] = set()
    for f in result.files:
        j = judge_bytes(
            f.name,
            f.data,
            "AG01",
            _context(),
            history,
            on=UNTIL,
            received_at=dt.datetime(2027, 2, 26, 12),
            sidecar=f.sidecar,
        )
        history.remember(j)
        statuses[(f.intent, j.status.value)] += 1
        codes |= {r.reason_code for r in j.rejects} | {e.code for e in j.file_errors}
        if f.intent in ("VALID", "CORRECTION"):
            assert j.status.value == "ACCEPTED", (f.name, j.report())
        elif f.intent == "ROWS_MALFORMED":
            assert len(j.rejects) == f.malformed_rows, (f.name, f.malformed_codes, j.report())
        elif f.intent == "DUPLICATE":
            assert j.status.value == "DUPLICATE"
        else:
            assert j.status.value == "REJECTED" and j.file_errors[0].code == f.intent
    assert {"E010", "E007", "E004", "E006", "E001", "E003", "E008"} <= codes
    assert {"F008", "F003", "F004", "F001"} & codes
    assert ("CORRECTION", "ACCEPTED") in statuses


def test_sending_days_are_one_weekday_from_start_to_until() -> None:
    assert sending_days(dt.date(2026, 11, 1), dt.date(2026, 11, 30), 4) == [
        dt.date(2026, 11, d) for d in (6, 13, 20, 27)
    ]


def test_an_agency_about_to_collect_objects_to_the_recall_notice_and_the_fund_accepts() -> None:
    """Each dossier gets a recall notice on April 1st (window ends April 30th): the agency objects for
    the debtors it is about to collect from (promisers, plans being signed), not for the others nor
    for a recalled dossier; the fund's judge, with its default rules, accepts every objection."""
    from recouvra.exchange.spec import ObjectionRules
    from recouvra.returns.context import Notice

    told = dt.date(2027, 4, 1)
    notices = Notices(recall_notices={k: (told, END, END, f.total_due) for k, f in DOSSIERS.items()})
    result = emit_agency("AG01", DOSSIERS, notices, AgencyState("AG01", 7), CLEAN, END)
    objections = _records([f for f in result.files if f.record_type == "OBJECTIONS"])["OBJECTIONS"]
    plans = {k: plan_dossier(f, CLEAN, 7).profile for k, f in DOSSIERS.items()}
    about_to_collect = {k for k, p in plans.items() if p in ("promiser", "plan")
                        and DOSSIERS[k].recall_date is None}
    assert objections and {r["dossier_id"] for r in objections} == about_to_collect
    assert {r["evidence_type"] for r in objections} == {"PROMISE", "PLAN_IN_SIGNATURE"}
    assert all(r["objection_date"] == "2027-04-03" and r["evidence_date"] == "2027-05-14"
               for r in objections)
    context = ExchangeContext({
        k: Dossier(k, f.agency, f.assignment_start, f.assignment_end, f.total_due, f.recall_date,
                   Notice(END, END, f.total_due)) for k, f in DOSSIERS.items()}, ObjectionRules())
    for f in (f for f in result.files if f.record_type == "OBJECTIONS"):
        j = judge_bytes(f.name, f.data, "AG01", context, InMemoryReturnHistory(), on=f.file_date,
                        received_at=dt.datetime(2027, 4, 9, 12), sidecar=f.sidecar)
        assert j.status.value == "ACCEPTED", j.report()


def test_debtors_quote_the_dossiers_payment_reference_on_the_configured_share() -> None:
    """Issue 17.4: with the reference in the assignment file, a share of the ledger's payments carry it
    (printed or compact; a configured share mistyped, so invalid); the rest of the world is unchanged."""
    from recouvra.exchange.payment_ref import PaymentRefError, dossier_of, payment_ref

    with_ref = {k: dataclasses.replace(f, payment_ref=payment_ref(k)) for k, f in DOSSIERS.items()}
    quoting = AgencyBehaviour(malformed_share=Decimal(0), malformed_file_share=Decimal(0),
                              payment_ref_share=Decimal("0.5"), payment_ref_typo_share=Decimal("0.2"))
    plain = emit_agency("AG01", DOSSIERS, Notices(), AgencyState("AG01", 7), quoting, UNTIL)
    quoted = emit_agency("AG01", with_ref, Notices(), AgencyState("AG01", 7), quoting, UNTIL)
    # the same payments, files and ledger fates: only the quoted reference differs
    assert [f.data for f in plain.files] == [f.data for f in quoted.files]
    assert [dataclasses.replace(r, payment_ref=None) for r in quoted.ledger] == plain.ledger
    assert all(r.payment_ref is None for r in plain.ledger)  # no reference sent: none quoted
    payments = [r for r in quoted.ledger if r.kind == "PAYMENT"]
    refs = [r for r in payments if r.payment_ref is not None]
    assert 0.35 < len(refs) / len(payments) < 0.65
    assert all(r.payment_ref is None for r in quoted.ledger if r.kind == "REVERSAL")
    valid, invalid = 0, 0
    for r in refs:
        try:
            named = dossier_of(r.payment_ref or "")
        except PaymentRefError as exc:
            assert exc.reason == "CHECK_DIGITS"
            invalid += 1
            continue
        assert named == f"D202611-{int(r.affiliation_no):06d}"  # the payer's own dossier
        valid += 1
    assert valid > 0 and 0.1 < invalid / len(refs) < 0.3
    printed = [" " in (r.payment_ref or "") for r in refs]
    assert any(printed) and not all(printed)  # printed in blocks of four, or compact
