"""Closures act (recouvra.selection.lifecycle.refresh_dossiers): an agency's CLOSURES record, ingested
as the agency sends it, leads to the fund's decision at the next refresh. PAID_IN_FULL is checked
against the ledger; INSOLVENT and CEASED_NO_ASSETS recall FUND_DECISION and keep the debtor out of the
next selection; UNREACHABLE and OTHER recall FUND_DECISION and leave it eligible; DISPUTED recalls
FUND_DECISION and records the dispute. Checked on the recall rows, the recall files, the next month's
selection decisions, the dispute rows and the KPI facts."""

from __future__ import annotations

import csv
import datetime as dt
import importlib.util
from decimal import Decimal
from pathlib import Path
from typing import Any

from recouvra.ingest import ingest_file
from recouvra.selection import refresh_dossiers, select_and_allocate
from recouvra.standins.return_samples import return_csv

_spec = importlib.util.spec_from_file_location("selection_worlds", Path(__file__).with_name("worlds.py"))
assert _spec is not None and _spec.loader is not None
worlds = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(worlds)
NOV = worlds.NOV
_settings, _debtor, _write_lake, _build = worlds._settings, worlds._debtor, worlds._write_lake, worlds._build

HEADER = ["dossier_id", "closure_id", "closure_date", "reason", "comment"]
JUDGED = dt.date(2026, 12, 12)


def _placed(wh: Any, lake: Path, tmp_path: Path, n: int, **settings: Any) -> tuple[Any, dict[int, str]]:
    """n debtors (debtor i owes 10,000 × i principal and a tenth in surcharges), all placed in November
    and published."""
    _build(wh, lake, [_debtor(i, 10_000 * i) for i in range(1, n + 1)])
    config = _settings(tmp_path, per_month=n, **settings)
    select_and_allocate(wh, lake, config, NOV, seed=1)
    wh.execute("UPDATE core.dossier SET status = 'PUBLISHED'")
    return config, {int(d): str(i) for d, i in wh.query("SELECT debtor_id, dossier_id FROM core.dossier")}


def _send_closures(wh: Any, folder: Path, closures: list[tuple[str, str, str]]) -> None:
    """Each agency's CLOSURES file (dossier_id, reason, comment; dated 2026-12-10), ingested on JUDGED."""
    agency_of = dict(wh.query("SELECT dossier_id, agency_code FROM core.dossier"))
    by_agency: dict[str, list[list[str]]] = {}
    for k, (dossier_id, reason, comment) in enumerate(closures, 1):
        agency = agency_of[dossier_id]
        by_agency.setdefault(agency, []).append([dossier_id, f"{agency}-CLO-{k:04d}", "2026-12-10", reason,
                                                 comment])
    folder.mkdir(parents=True, exist_ok=True)
    for agency, rows in sorted(by_agency.items()):
        path = folder / f"{agency}_CLOSURES_20261212_01.csv"
        path.write_bytes(return_csv(HEADER, rows))
        summary = ingest_file(wh, path, agency, JUDGED, dt.datetime(2026, 12, 12, 9, tzinfo=dt.UTC))
        assert summary["rows_accepted"] == len(rows), summary


def _payment(pid: int, aff: str, cents: int) -> dict[str, Any]:
    day, ts = dt.date(2026, 12, 8), dt.datetime(2026, 12, 9)
    return {"payment_id": pid, "receipt_no": f"R{pid}", "affiliation_no": aff, "payment_date": day,
            "amount_centimes": cents, "settles_period": "2026-08", "kind": "PAYMENT", "channel": "ONLINE",
            "recorded_at": ts, "updated_at": ts}


def test_each_closure_reason_leads_to_the_funds_decision(world, tmp_path: Path) -> None:
    from recouvra.kpi import load_kpis
    from recouvra.publication import build_recall_files
    from recouvra.reconcile import reconcile

    wh, lake = world
    settings, ids = _placed(wh, lake, tmp_path, 7)
    # 1 paid all it owes (11,000.00), 2 paid 5,000.00 of its 22,000.00: both closed PAID_IN_FULL.
    _write_lake(lake, "ledger_payments", [_payment(1, "1000001", 1_100_000), _payment(2, "1000002", 500_000)],
                "2026-12-09")
    _send_closures(wh, tmp_path / "inbox", [
        (ids[1], "PAID_IN_FULL", "soldé"), (ids[2], "PAID_IN_FULL", "soldé selon le débiteur"),
        (ids[3], "INSOLVENT", ""), (ids[4], "CEASED_NO_ASSETS", "aucun bien"),
        (ids[5], "UNREACHABLE", ""), (ids[6], "DISPUTED", "conteste la période 2026-08"),
        (ids[7], "OTHER", "")])
    on = dt.date(2026, 12, 20)
    report = refresh_dossiers(wh, lake, settings, on)

    # PAID_IN_FULL confirmed by the ledger: recalled with nothing left; not confirmed: stays, counted.
    assert report.dossiers == {ids[1]: "PAID_IN_FULL", **{ids[i]: "FUND_DECISION" for i in (3, 4, 5, 6, 7)}}
    assert report.closures_unconfirmed == 1 and report.disputes_recorded == 1
    recalls = {r[0]: r[1:] for r in wh.query(
        "SELECT dossier_id, recall_date, reason, recalled_amount FROM core.dossier_recall")}
    assert recalls == {
        ids[1]: (on, "PAID_IN_FULL", Decimal("0.00")),
        **{ids[i]: (on, "FUND_DECISION", Decimal(f"{11_000 * i}.00")) for i in (3, 4, 5, 6, 7)}}
    status = dict(wh.query("SELECT dossier_id, status FROM core.dossier"))
    assert status[ids[2]] == "PUBLISHED" and {status[ids[i]] for i in (1, 3, 4, 5, 6, 7)} == {"RECALLED"}

    # DISPUTED: the dispute is recorded with the amount the dossier still owed.
    agency_of = dict(wh.query("SELECT dossier_id, agency_code FROM core.dossier"))
    assert wh.query("SELECT agency_code, dossier_id, debtor_id, affiliation_no, reported_on, recorded_on, "
                    "disputed_amount, comment FROM core.agency_dispute") == [
        (agency_of[ids[6]], ids[6], 6, "1000006", dt.date(2026, 12, 10), on, Decimal("66000.00"),
         "conteste la période 2026-08")]

    # The recall files tell each agency, one line per recalled dossier with its reason.
    told = on  # the day judged: its recall file tells them, whenever the run happens
    lines: dict[str, tuple[str, str]] = {}
    for package in build_recall_files(wh, told, tmp_path / "outbox"):
        for f in package.files:
            with Path(f.path).open(encoding="utf-8", newline="") as fh:
                for row in csv.DictReader(fh, delimiter=";"):
                    lines[row["dossier_id"]] = (row["recall_date"], row["reason"])
    assert lines == {ids[1]: ("2026-12-20", "PAID_IN_FULL"),
                     **{ids[i]: ("2026-12-20", "FUND_DECISION") for i in (3, 4, 5, 6, 7)}}

    # KPIs: what was open on the recalled dossiers is recalled, not closed (no closure makes a dossier
    # CLOSED under the contract); the unconfirmed one is still open.
    reconcile(wh, on)  # attribution first, as the monthly DAG runs it
    dec = dt.date(2026, 12, 1)
    load_kpis(wh, dec)
    fact = {r[0]: r[1:] for r in wh.query(
        "SELECT dossier_id, open_amount, recalled_amount, closed_amount FROM marts.fact_dossier_month "
        "WHERE as_of_month = ?", [dec])}
    zero = Decimal("0.00")
    assert fact[ids[2]] == (Decimal("17000.00"), zero, zero)
    assert fact[ids[4]] == (zero, Decimal("44000.00"), zero)
    assert fact[ids[1]] == (zero, zero, zero)

    # Idempotent: nothing more is recalled nor recorded.
    again = refresh_dossiers(wh, lake, settings, on)
    assert again.dossiers == {} and again.closures_unconfirmed == 1
    assert wh.query("SELECT count(*) FROM core.agency_dispute") == [(1,)]

    # The next selection (January, no cooling-off): INSOLVENT and CEASED_NO_ASSETS stay out, UNREACHABLE
    # and OTHER are placed again; the unconfirmed one is still with its agency. (January's portfolio:
    # November's, less debtor 1 who owes nothing now.)
    jan = dt.date(2027, 1, 1)
    wh.execute("INSERT INTO core.debtor_portfolio SELECT * REPLACE (CAST(? AS DATE) AS as_of_date) "
               "FROM core.debtor_portfolio WHERE as_of_date = ? AND debtor_id <> 1", [jan, NOV])
    select_and_allocate(wh, lake, _settings(tmp_path, per_month=7, recall_cooling_off_months=0), jan, seed=1)
    decisions = {d: (dec_, r) for d, (dec_, r, _) in worlds._decisions(wh, jan).items()}
    assert decisions[3] == ("EXCLUDED", "INSOLVENT_OR_LIQUIDATION")
    assert decisions[4] == ("EXCLUDED", "CEASED_NO_ASSETS")
    assert decisions[5] == ("SELECTED", "TOP_SCORE") and decisions[7] == ("SELECTED", "TOP_SCORE")
    assert decisions[2] == ("EXCLUDED", "ALREADY_PLACED")


def test_priority_of_a_closure_among_the_other_reasons(world, tmp_path: Path) -> None:
    """A closure gives way to the fund's own facts (a proceeding), wins over the window's end
    (FUND_DECISION on the last day), and a paid-in-full closure the ledger never confirms ends EXPIRED."""
    wh, lake = world
    settings, ids = _placed(wh, lake, tmp_path, 3)
    ts = dt.datetime(2026, 12, 9)
    _write_lake(lake, "legal_proceedings", [{"proceeding_id": "P1", "affiliation_no": "1000001",
                                             "kind": "FORCED_RECOVERY", "opened_on": dt.date(2026, 12, 8),
                                             "updated_at": ts}], "2026-12-09")
    _send_closures(wh, tmp_path / "inbox", [(ids[1], "UNREACHABLE", ""), (ids[2], "OTHER", ""),
                                            (ids[3], "PAID_IN_FULL", "")])
    # First refresh after the window ended (2027-04-30).
    report = refresh_dossiers(wh, lake, settings, dt.date(2027, 5, 3))
    assert report.dossiers == {ids[1]: "LEGAL_PROCEEDING", ids[2]: "FUND_DECISION", ids[3]: "EXPIRED"}
    assert report.closures_unconfirmed == 0  # a recall (EXPIRED) was made: nothing left unconfirmed
    assert dict(wh.query("SELECT dossier_id, recall_date FROM core.dossier_recall")) == {
        i: dt.date(2027, 4, 30) for i in ids.values()}
