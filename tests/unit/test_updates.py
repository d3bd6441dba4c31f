"""Fund-to-agency updates (recouvra.updates): what the fund learns about a placed debtor after its
assignment (its own records, another agency's finding, a plan signed with the fund) reaches the agency
holding the dossier once, in a file that re-runs write the same."""

from __future__ import annotations

import csv
import datetime as dt
import importlib.util
import io
import json
from pathlib import Path
from typing import Any

import pytest

from recouvra.exchange.names import parse_outgoing_name
from recouvra.exchange.spec import UPDATE_COLUMNS
from recouvra.publication import Publication, PublishedFile
from recouvra.selection import select_and_allocate
from recouvra.updates import build_update_files, record_update_publication
from recouvra.warehouse import Warehouse, connect, migrate_connection

pytestmark = pytest.mark.unit

_spec = importlib.util.spec_from_file_location(
    "selection_worlds", Path(__file__).parent / "selection" / "worlds.py")
assert _spec is not None and _spec.loader is not None
worlds = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(worlds)
NOV = worlds.NOV
TOLD, CHANGED, LATER = "2026-10-31", "2026-11-20", "2026-12-02"
WEEK1, WEEK2, WEEK3 = dt.date(2026, 11, 23), dt.date(2026, 11, 30), dt.date(2026, 12, 7)


def _employer(n: int, **kw: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "affiliation_no": f"{1000000 + n}", "legal_name": f"STE {n}", "address": f"{n} Rue Allal",
        "city": "Rabat",
        "phone": "0612345678", "phone_2": None, "email": f"contact{n}@ste.ma", "legal_rep_name": "A. Alami",
        "status": "ACTIVE", "registered_on": dt.date(2010, 1, 1), "updated_at": dt.datetime(2026, 10, 1),
    }
    row.update(kw)
    return row


@pytest.fixture()
def world(tmp_path: Path):  # type: ignore[no-untyped-def]
    with connect("duckdb:///:memory:") as wh:
        migrate_connection(wh)
        lake = tmp_path / "lake"
        worlds._build(wh, lake, [worlds._debtor(i, 10_000 * i) for i in range(1, 4)])
        select_and_allocate(wh, lake, worlds._settings(tmp_path, per_month=3), NOV, seed=1)
        wh.execute("UPDATE core.dossier SET status = 'PUBLISHED'")
        worlds._write_lake(lake, "employers", [_employer(n) for n in (1, 2, 3)], TOLD)
        yield wh, lake


def _rows(package: Any) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(Path(package.files[0].path).read_text(encoding="utf-8")),
                               delimiter=";"))


def _record(wh: Warehouse, packages: list[Any], at: str) -> int:
    pubs = [Publication(p, tuple(PublishedFile(f.name, f.file_type, f"outbox/{f.name}", f.sha256, f.rows,
                                               f.control_total) for f in p.all_files), at) for p in packages]
    return record_update_publication(wh, pubs)


def test_what_the_fund_learns_reaches_the_agency_holding_the_dossier_once(world, tmp_path: Path) -> None:
    wh, lake = world
    dossier = {int(d): (str(i), str(a)) for i, d, a in wh.query(
        "SELECT dossier_id, debtor_id, agency_code FROM core.dossier")}
    changed_at = dt.datetime(2026, 11, 19, 9)
    worlds._write_lake(lake, "employers", [
        # 1 moved; its phone typed another way is no change.
        _employer(1, address="=12 Bd Zerktouni", city="Casablanca", phone="+212 6 12 34 56 78",
                  updated_at=changed_at),
        # 2 has a new phone; 3 went insolvent.
        _employer(2, phone="0661000000", updated_at=changed_at),
        _employer(3, status="INSOLVENT", updated_at=changed_at),
    ], CHANGED)
    worlds._write_lake(lake, "payment_plans", [
        {"plan_id": "L2", "affiliation_no": "1000002", "signed_on": dt.date(2026, 11, 18), "installments": 6,
         "total_centimes": 1_200_000, "status": "ACTIVE", "updated_at": changed_at}], CHANGED)
    # Another agency's finding about debtor 3, applied by the fund (its own dossier of the debtor).
    other = "AG99" if dossier[3][1] != "AG99" else "AG98"
    wh.execute("INSERT INTO core.return_file (return_file_id, agency_code, file_name, file_date, sha256, "
               "size_bytes, received_at, processed_at, status, rows_received, rows_accepted, rows_rejected, "
               "rows_duplicate, ack_file_name) VALUES (900, ?, 'x.csv', DATE '2026-11-21', repeat('a', 64), "
               "1, "
               "TIMESTAMP '2026-12-03 10:00:00', TIMESTAMP '2026-12-03 10:00:00', 'ACCEPTED', 1, 1, 0, 0, "
               "'x.ack.json')", [other])
    wh.execute("INSERT INTO core.agency_contact_update VALUES (?, 'U1', 'D-OTHER', 3, 'EMAIL', 'new@ste.ma', "
               "'new@ste.ma', DATE '2026-11-12', NULL, 'APPLIED', TIMESTAMP '2026-12-03 10:00:00', 900, 2)",
               [other])

    out = tmp_path / "outbox"
    packages = build_update_files(wh, lake, WEEK1, out, now=dt.datetime(2026, 11, 23, 7))
    by_dossier: dict[str, list[tuple[str, ...]]] = {}
    for p in packages:
        parsed = parse_outgoing_name(p.files[0].name)
        assert parsed is not None and parsed.kind == "UPDATES" and parsed.manifest is False
        assert p.manifest is not None
        assert json.loads(Path(p.manifest.path).read_text())["files"][0]["rows"] == p.files[0].rows
        rows = _rows(p)
        assert tuple(rows[0]) == UPDATE_COLUMNS
        for r in rows:
            assert dossier[next(d for d, (i, _) in dossier.items() if i == r["dossier_id"])][1] == p.agency
            by_dossier.setdefault(r["dossier_id"], []).append(
                (r["update_id"], r["field"], r["value"], r["source"], r["observed_date"]))
    assert by_dossier == {
        dossier[1][0]: [("20261123-ADDRESS", "ADDRESS", "'=12 Bd Zerktouni", "FUND", "2026-11-19"),
                        ("20261123-CITY", "CITY", "Casablanca", "FUND", "2026-11-19")],
        dossier[2][0]: [("20261123-PHONE", "PHONE", "+212661000000", "FUND", "2026-11-19"),
                        ("20261123-PLAN_WITH_FUND", "PLAN_WITH_FUND", "12000.00", "FUND", "2026-11-18")],
        dossier[3][0]: [("20261123-ACTIVITY_STATUS", "ACTIVITY_STATUS", "INSOLVENT", "FUND", "2026-11-19"),
                        ("20261123-EMAIL", "EMAIL", "new@ste.ma", "AGENCY", "2026-11-12")],
    }
    # A re-run of the day, before recording, writes the same files.
    again = build_update_files(wh, lake, WEEK1, tmp_path / "again", now=dt.datetime(2026, 11, 23, 8))
    assert [p.files[0].sha256 for p in again] == [p.files[0].sha256 for p in packages]
    assert _record(wh, packages, "2026-11-23T07:05:00Z") == 6
    address = wh.query("SELECT value FROM core.dossier_update WHERE field = 'ADDRESS'")
    assert address == [("=12 Bd Zerktouni",)]  # as compared: the guard is the file's, not the value's
    assert _record(wh, packages, "2026-11-23T07:06:00Z") == 6  # re-recorded, not doubled
    assert wh.query("SELECT count(*) FROM core.dossier_update") == [(6,)]
    # Sent once: nothing new the next week; a re-run of the first week still writes what it wrote.
    assert build_update_files(wh, lake, WEEK2, out) == []
    rerun = build_update_files(wh, lake, WEEK1, tmp_path / "rerun", now=dt.datetime(2026, 11, 23, 7))
    assert [p.files[0].sha256 for p in rerun] == [p.files[0].sha256 for p in packages]
    # A later change of a field already sent is sent again.
    worlds._write_lake(lake, "employers", [
        _employer(1, address="=12 Bd Zerktouni", city="Tanger", phone="+212 6 12 34 56 78",
                  updated_at=dt.datetime(2026, 12, 1))], LATER)
    third = build_update_files(wh, lake, WEEK3, out)
    assert [[(r["field"], r["value"]) for r in _rows(p)] for p in third] == [[("CITY", "Tanger")]]


def test_a_recalled_or_ended_dossier_gets_no_update(world, tmp_path: Path) -> None:
    wh, lake = world
    worlds._write_lake(lake, "employers", [_employer(n, city="Fès", updated_at=dt.datetime(2026, 11, 19))
                                           for n in (1, 2, 3)], CHANGED)
    first = wh.query("SELECT min(dossier_id) FROM core.dossier")[0][0]
    wh.execute("INSERT INTO core.dossier_recall (dossier_id, recall_date, reason, recalled_amount, "
               "decided_at, decided_on) VALUES (?, DATE '2026-11-22', 'FUND_DECISION', 0, "
               "TIMESTAMP '2026-11-22 10:00:00', DATE '2026-11-22')", [first])
    told = {r["dossier_id"] for p in build_update_files(wh, lake, WEEK1, tmp_path / "o") for r in _rows(p)}
    assert first not in told and len(told) == 2
    end = wh.query("SELECT max(assignment_end) FROM core.dossier")[0][0]
    assert build_update_files(wh, lake, end + dt.timedelta(days=1), tmp_path / "late") == []


def test_a_day_run_again_after_a_later_recall_writes_the_same_file(world, tmp_path: Path) -> None:
    """make reproduce at M: the weekly run of 2026-09-07 run again after a dossier was recalled on
    2026-10-01 left that dossier's updates out (it read the dossier's status now, RECALLED, not as of
    the day), so the day's file changed. As of the day, the dossier was the agency's."""
    wh, lake = world
    worlds._write_lake(lake, "employers", [_employer(n, city="Fès", updated_at=dt.datetime(2026, 11, 19))
                                           for n in (1, 2, 3)], CHANGED)
    before = [_rows(p) for p in build_update_files(wh, lake, WEEK1, tmp_path / "first")]
    first = wh.query("SELECT min(dossier_id) FROM core.dossier")[0][0]
    assert first in {r["dossier_id"] for rows in before for r in rows}
    wh.execute("INSERT INTO core.dossier_recall (dossier_id, recall_date, reason, recalled_amount, "
               "decided_at, decided_on) VALUES (?, DATE '2026-12-01', 'FUND_DECISION', 0, "
               "TIMESTAMP '2026-12-01 10:00:00', DATE '2026-12-01')", [first])
    wh.execute("UPDATE core.dossier SET status = 'RECALLED', status_date = DATE '2026-12-01' "
               "WHERE dossier_id = ?", [first])
    assert [_rows(p) for p in build_update_files(wh, lake, WEEK1, tmp_path / "again")] == before
    later = build_update_files(wh, lake, WEEK3, tmp_path / "later")
    assert first not in {r["dossier_id"] for p in later for r in _rows(p)}
