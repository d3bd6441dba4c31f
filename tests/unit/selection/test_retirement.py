"""A retired agency (agencies[].retired_on): from that day it is given no new dossier and its capacity no
longer counts; the first refresh on or after it recalls every dossier it holds FUND_DECISION (the fund's
own facts first), the recall file goes to it like any other, and its returns dated up to the recall day
are still taken in. Checked on the recall rows, the recall file's bytes, the next month's dossiers,
core.dim_agency and the acknowledgement of a return file."""

from __future__ import annotations

import datetime as dt
import importlib.util
from decimal import Decimal
from pathlib import Path
from typing import Any

from recouvra.config import REGIONS
from recouvra.ingest import ingest_file
from recouvra.publication import (
    Publication,
    PublishedFile,
    build_packages,
    build_recall_files,
    record_publication,
)
from recouvra.selection import refresh_dossiers, select_and_allocate
from recouvra.standins.return_samples import return_csv

_spec = importlib.util.spec_from_file_location("selection_worlds", Path(__file__).with_name("worlds.py"))
assert _spec is not None and _spec.loader is not None
worlds = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(worlds)
NOV = worlds.NOV
DEC = dt.date(2026, 12, 1)
_settings, _agency, _debtor, _write_lake, _build = (worlds._settings, worlds._agency, worlds._debtor,
                                                    worlds._write_lake, worlds._build)


def _agencies(retired_on: str | None) -> list[dict[str, Any]]:
    """A1, A2, A3 serve every region, 3 dossiers a month each; A3 retires on ``retired_on``."""
    out = [_agency(code, list(REGIONS), 3) for code in ("A1", "A2", "A3")]
    if retired_on:
        out[2]["retired_on"] = retired_on
    return out


def _published(pkg: Any, at: str) -> Publication:
    return Publication(pkg, tuple(PublishedFile(f.name, f.file_type, f"outbox/{f.name}", f.sha256, f.rows,
                                                f.control_total) for f in pkg.all_files), at)


def test_a_retired_agency_gets_nothing_new_and_gives_back_what_it_holds(world, tmp_path: Path) -> None:
    wh, lake = world
    # Twelve debtors: 1-6 owe the most (placed in November), 7-12 wait for December.
    _build(wh, lake, [_debtor(i, 10_000 * (13 - i)) for i in range(1, 13)])
    wh.execute("UPDATE core.debtor_history SET address = 'Rue 1', city = 'Ville'")  # as in dim_debtor
    settings = _settings(tmp_path, per_month=6, agencies=_agencies("2026-12-01"),
                         performance={"rule": "capacity"})
    # November: A3 still works for the fund (it retires on 1 December) and takes its share.
    select_and_allocate(wh, lake, settings, NOV, seed=1)
    nov = dict(wh.query("SELECT dossier_id, agency_code FROM core.dossier WHERE assignment_month = ?", [NOV]))
    assert sorted(nov.values()) == ["A1", "A1", "A2", "A2", "A3", "A3"]
    record_publication(wh, [_published(p, "2026-11-01T06:00:00Z")
                            for p in build_packages(wh, NOV, tmp_path / "out")])
    a3 = sorted(d for d, a in nov.items() if a == "A3")
    # One of A3's debtors pays in full before the refresh: the fund's own fact wins over the retirement.
    paid_debtor, = wh.query("SELECT debtor_id, total_due FROM core.dossier WHERE dossier_id = ?", [a3[0]])
    ts = dt.datetime(2026, 11, 21)
    _write_lake(lake, "ledger_payments", [{
        "payment_id": 1, "receipt_no": "R1", "affiliation_no": f"{1000000 + paid_debtor[0]}",
        "payment_date": dt.date(2026, 11, 20), "amount_centimes": int(paid_debtor[1] * 100),
        "settles_period": "2026-08", "kind": "PAYMENT", "channel": "ONLINE", "recorded_at": ts,
        "updated_at": ts}], "2026-11-21")

    # The refresh of 1 December recalls every dossier A3 holds, and nothing of A1 or A2.
    report = refresh_dossiers(wh, lake, settings, DEC)
    assert report.dossiers == {a3[0]: "PAID_IN_FULL", a3[1]: "FUND_DECISION"}
    assert report.agency_retired == 1
    recalls = wh.query("SELECT dossier_id, recall_date, reason, recalled_amount FROM core.dossier_recall "
                       "ORDER BY 1")
    owed = wh.query("SELECT total_due FROM core.dossier WHERE dossier_id = ?", [a3[1]])[0][0]
    assert recalls == [(a3[0], DEC, "PAID_IN_FULL", Decimal("0.00")), (a3[1], DEC, "FUND_DECISION", owed)]
    assert dict(wh.query("SELECT agency_code, count(*) FROM core.dossier WHERE status = 'PUBLISHED' "
                         "GROUP BY 1")) == {"A1": 2, "A2": 2}

    # Its recall file, built and recorded like any other, on the day judged.
    told_on = DEC
    files = build_recall_files(wh, told_on, tmp_path / "out")
    assert [(p.agency, p.files[0].name) for p in files] == [("A3", f"CNSS_RECALL_A3_{told_on:%Y%m%d}_01.csv")]
    assert Path(files[0].files[0].path).read_bytes() == (
        b"dossier_id;recall_date;reason\n"
        + f"{a3[0]};2026-12-01;PAID_IN_FULL\n{a3[1]};2026-12-01;FUND_DECISION\n".encode())
    assert record_publication(wh, [_published(files[0], "2026-12-01T07:00:00Z")]).recalls_marked == 2

    # December: A3 gets no dossier and its capacity does not count: A1 and A2 take 3 each, full.
    report_dec = select_and_allocate(wh, lake, settings, DEC, seed=1)
    dec = wh.query("SELECT agency_code, count(*) FROM core.dossier WHERE assignment_month = ? GROUP BY 1 "
                   "ORDER BY 1", [DEC])
    assert dec == [("A1", 3), ("A2", 3)] and sorted(report_dec.agencies) == ["A1", "A2"]
    assert wh.query("SELECT agency_code, is_active, retired_on FROM core.dim_agency ORDER BY 1") == [
        ("A1", True, None), ("A2", True, None), ("A3", False, DEC)]

    # Its returns are still read: an action dated on the recall day is accepted, one after it is E003.
    path = tmp_path / "inbox" / "A3_ACTIONS_20261203_01.csv"
    path.parent.mkdir()
    path.write_bytes(return_csv(["dossier_id", "action_id", "action_date", "action_type", "outcome"], [
        [a3[1], "A3-ACT-1", "2026-12-01", "CALL", "NO_ANSWER"],
        [a3[1], "A3-ACT-2", "2026-12-02", "CALL", "NO_ANSWER"]]))
    summary = ingest_file(wh, path, "A3", dt.date(2026, 12, 3), dt.datetime(2026, 12, 3, 9, tzinfo=dt.UTC))
    assert (summary["rows_accepted"], summary["rows_rejected"]) == (1, 1)
    assert wh.query("SELECT reason_code FROM core.return_reject") == [("E003",)]


def test_a_dossier_whose_window_ended_before_the_retirement_expires_as_usual(world, tmp_path: Path) -> None:
    wh, lake = world
    _build(wh, lake, [_debtor(i, 10_000 * i) for i in range(1, 4)])
    settings = _settings(tmp_path, per_month=3, agencies=_agencies("2027-05-01"),
                         performance={"rule": "capacity"})
    select_and_allocate(wh, lake, settings, NOV, seed=1)
    wh.execute("UPDATE core.dossier SET status = 'PUBLISHED'")
    # The window ended on 30 April; A3 retired on 1 May: its dossier expired while it still worked.
    report = refresh_dossiers(wh, lake, settings, dt.date(2027, 5, 1))
    assert set(report.dossiers.values()) == {"EXPIRED"} and len(report.dossiers) == 3
    assert report.agency_retired == 0
    # Retired the day before, it would have given it back FUND_DECISION on the window's last day.
    early = _settings(tmp_path, per_month=3, agencies=_agencies("2027-04-30"),
                      performance={"rule": "capacity"})
    wh.execute("DELETE FROM core.dossier_recall")
    wh.execute("UPDATE core.dossier SET status = 'PUBLISHED'")
    again = refresh_dossiers(wh, lake, early, dt.date(2027, 5, 1))
    a3 = [d for (d,) in wh.query("SELECT dossier_id FROM core.dossier WHERE agency_code = 'A3'")]
    assert {d: r for d, r in again.dossiers.items() if r == "FUND_DECISION"} == dict.fromkeys(a3,
                                                                                              "FUND_DECISION")
    assert wh.query("SELECT DISTINCT recall_date FROM core.dossier_recall") == [(dt.date(2027, 4, 30),)]
