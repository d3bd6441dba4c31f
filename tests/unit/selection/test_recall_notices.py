"""Pending recalls over several days (recouvra.selection.lifecycle with recouvra.ingest and
recouvra.publication): a window about to end is announced by a notice; an accepted objection moves the
recall date once, and the ledger's payments up to it count; a dossier without an objection is recalled
as it always was; a late objection changes nothing."""

from __future__ import annotations

import datetime as dt
import importlib.util
from decimal import Decimal
from pathlib import Path

import pytest

from recouvra.ingest import context_from_warehouse, ingest_file
from recouvra.publication import (
    Package,
    Publication,
    PublishedFile,
    build_recall_files,
    build_recall_notice_files,
    record_publication,
)
from recouvra.returns.context import ExchangeContext
from recouvra.selection import refresh_dossiers, select_and_allocate
from recouvra.standins.return_samples import return_csv

pytestmark = pytest.mark.unit

_spec = importlib.util.spec_from_file_location("selection_worlds", Path(__file__).with_name("worlds.py"))
assert _spec is not None and _spec.loader is not None
worlds = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(worlds)
NOV = worlds.NOV

HEADER = ["dossier_id", "objection_id", "objection_date", "evidence_type", "evidence_ref", "evidence_amount",
          "evidence_date", "comment"]


def _object(wh, tmp_path: Path, agency: str, dossier_id: str, objection_id: str,  # type: ignore[no-untyped-def]
            on: dt.date,
            amount: str = "3000.00", evidence_date: str = "2027-05-10", dated: dt.date | None = None,
            context: ExchangeContext | None = None, seq: int = 1) -> dict:
    folder = tmp_path / "spool" / agency
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{agency}_OBJECTIONS_{on:%Y%m%d}_{seq:02d}.csv"
    path.write_bytes(return_csv(HEADER, [[dossier_id, objection_id, (dated or on).isoformat(),
                                          "PAYMENT_ANNOUNCED", "VIR-1", amount, evidence_date, ""]]))
    received = dt.datetime.combine(on, dt.time(10), tzinfo=dt.UTC)
    return ingest_file(wh, path, agency, on, received, now=received, context=context)


def _published(packages: list[Package], at: str) -> list[Publication]:
    """What publish_package returns for packages (no server needed here)."""
    return [Publication(p, tuple(PublishedFile(f.name, f.file_type, f"outbox/{f.name}", f.sha256, f.rows,
                                               f.control_total) for f in p.all_files), at) for p in packages]


def _pay(lake: Path, affiliation_no: str, day: dt.date, cents: int) -> None:
    ts = dt.datetime.combine(day, dt.time(12))
    worlds._write_lake(lake, "ledger_payments", [{
        "payment_id": 1, "receipt_no": "R1", "affiliation_no": affiliation_no, "payment_date": day,
        "amount_centimes": cents, "settles_period": "2026-08", "kind": "PAYMENT", "channel": "ONLINE",
        "recorded_at": ts, "updated_at": ts}], day.isoformat())


def test_notice_objection_extension_and_final_recall(world, tmp_path: Path) -> None:
    wh, lake = world
    worlds._build(wh, lake, [worlds._debtor(i, 20_000) for i in (1, 2)])
    settings = worlds._settings(tmp_path, per_month=2)
    select_and_allocate(wh, lake, settings, NOV, seed=1)
    wh.execute("UPDATE core.dossier SET status = 'PUBLISHED'")
    rows = wh.query("SELECT debtor_id, dossier_id, agency_code, assignment_end FROM core.dossier "
                    "ORDER BY debtor_id")
    (d1, agency1, end), (d2, agency2, _) = [r[1:] for r in rows]
    assert end == dt.date(2027, 4, 30)

    # 1. Two months before the window's end: no notice yet (notice_days 31).
    assert refresh_dossiers(wh, lake, settings, dt.date(2027, 3, 1)).notices == 0
    # 2. On April 1st: both dossiers get a notice, told in a notice file.
    report = refresh_dossiers(wh, lake, settings, dt.date(2027, 4, 1))
    assert (report.notices, report.recalled) == (2, {})
    out = tmp_path / "outbox"
    packages = build_recall_notice_files(wh, dt.date(2027, 4, 1), out)
    files = {p.agency: p.files[0] for p in packages}
    text = (out / agency1 / files[agency1].name).read_text(encoding="utf-8")
    assert files[agency1].name == f"CNSS_RECALLNOTICE_{agency1}_20270401_01.csv"
    assert text.splitlines()[0] == "dossier_id;reason;intended_recall_date;objection_deadline;owed_amount"
    assert f"{d1};EXPIRED;2027-04-30;2027-04-30;22000.00" in text.splitlines()
    record_publication(wh, _published(packages, "2027-04-01T06:00:00Z"))
    assert wh.query("SELECT count(*) FROM core.recall_notice WHERE file_name IS NULL") == [(0,)]
    assert wh.query("SELECT DISTINCT file_type FROM core.publication_log") == [("RECALLNOTICE",)]
    # A re-run of the day decides nothing more.
    assert refresh_dossiers(wh, lake, settings, dt.date(2027, 4, 1)).notices == 0

    # 3. The agency of D1 objects in time with a payment announced for May 10th (3,000 of 22,000 owed:
    # above the 10 % minimum): accepted, the date moves to May 17th (10th + 7 days margin).
    # (One ingestion run: its context is read once, before the first file.)
    run = context_from_warehouse(wh, settings.recalls.rules())
    ack = _object(wh, tmp_path, agency1, d1, "OB1", dt.date(2027, 4, 20), context=run)
    assert (ack["status"], ack["rows_accepted"]) == ("ACCEPTED", 1)
    assert wh.query("SELECT extended_to FROM core.agency_objection") == [(dt.date(2027, 5, 17),)]
    # A second objection for D1 in a later file of the same run: the date moves once (E016).
    again = _object(wh, tmp_path, agency1, d1, "OB3", dt.date(2027, 4, 20), evidence_date="2027-06-01",
                    context=run, seq=2)
    assert (again["status"], again["rows_rejected"]) == ("REJECTED", 1)
    # D2's agency objects on April 29th, but the file arrives after the deadline (judged May 2nd): E014.
    late = _object(wh, tmp_path, agency2, d2, "OB2", dt.date(2027, 5, 2), dated=dt.date(2027, 4, 29))
    assert (late["status"], late["rows_rejected"]) == ("REJECTED", 1)
    assert wh.query("SELECT reason_code FROM core.return_reject ORDER BY return_file_id") == [
        ("E016",), ("E014",)]

    # 4. The debtor of D1 pays 5,000 on May 12th, within the moved window.
    _pay(lake, "1000001", dt.date(2027, 5, 12), 500_000)
    # 5. May 1st... judged as May 3rd: D2 recalled EXPIRED on its last day, D1 kept, told its new date.
    may = refresh_dossiers(wh, lake, settings, dt.date(2027, 5, 3))
    assert may.dossiers == {d2: "EXPIRED"} and may.extended == 1 and may.notices == 1
    assert wh.query("SELECT recall_date FROM core.dossier_recall WHERE dossier_id = ?", [d2]) == [
        (dt.date(2027, 4, 30),)]
    # D1's debtor is still placed for a new month's selection (ALREADY_PLACED), D2's is not.
    from recouvra.sqlfiles import query

    held = wh.query(query("selection/select_open_dossiers"),
                    [dt.date(2027, 5, 1), dt.date(2027, 5, 1), dt.date(2027, 10, 31)])
    assert [r[0] for r in held] == [d1]
    again = build_recall_notice_files(wh, dt.date(2027, 5, 3), out)
    record_publication(wh, _published(again, "2027-05-03T06:00:00Z"))
    assert [p.dossier_ids for p in again] == [(d1,)]
    assert (out / agency1 / again[0].files[0].name).read_text(encoding="utf-8").splitlines()[1] == (
        f"{d1};EXPIRED;2027-05-17;;22000.00")

    # 6. After the moved date: D1 recalled EXPIRED on May 17th, the payment of May 12th counted for it.
    june = refresh_dossiers(wh, lake, settings, dt.date(2027, 6, 1))
    assert june.dossiers == {d1: "EXPIRED"}
    assert wh.query("SELECT recall_date, recalled_amount FROM core.dossier_recall WHERE dossier_id = ?",
                    [d1]) == [(dt.date(2027, 5, 17), Decimal("17000.00"))]
    # The recall files of June 1st (no recall of May 3rd was told yet: D2's too), and no notice left.
    recalls = build_recall_files(wh, dt.date(2027, 6, 1), out)
    assert sorted((p.kind, d) for p in recalls for d in p.dossier_ids) == [("RECALL", d1), ("RECALL", d2)]

    # 7. Money integrity holds for every month: the payment of May 12th attributed to D1, the rest
    # recalled; nothing left open.
    from recouvra.integrity import check_integrity
    from recouvra.reconcile import reconcile

    reconcile(wh, dt.date(2027, 6, 1))
    assert wh.query("SELECT dossier_id, sum(amount) FROM core.attribution GROUP BY 1") == [
        (d1, Decimal("5000.00"))]
    for month in (dt.date(2027, 4, 1), dt.date(2027, 5, 1)):
        assert check_integrity(wh, month) == []
