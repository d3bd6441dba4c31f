"""Ingestion of agency return files into the warehouse (step B), on an embedded DuckDB warehouse.

Checked on outcomes: rows in the record tables (Decimal amounts), rejects kept verbatim with their
codes, counts that add up, DUPLICATE and E011 across files through the warehouse's memory, a replay
after a crash between load and acknowledgement that changes nothing and gives the same bytes. The
debtor master fed by contact updates and closures: test_master.py; the warehouse's memory itself:
tests/unit/returns/test_warehouse_history.py.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import recouvra.ingest.load as load_module
from recouvra.exchange.spec import MAX_FILE_BYTES, UNREAD_SHA256
from recouvra.ingest import context_from_warehouse, ingest_fetched, ingest_file, record_deliveries
from recouvra.standins.return_samples import return_csv
from recouvra.warehouse import Warehouse, connect, migrate_connection

pytestmark = [pytest.mark.unit]

AS_OF = dt.date(2026, 11, 25)
T0 = dt.datetime(2026, 11, 25, 9, 30, tzinfo=dt.UTC)
START, END = dt.date(2026, 11, 1), dt.date(2027, 4, 30)
BUILT = dt.datetime(2026, 11, 1, 6, 0)

HEADERS = {
    "PAYMENTS": ["dossier_id", "payment_id", "payment_date", "amount", "channel", "receipt_ref"],
    "CONTACTS": ["dossier_id", "update_id", "field", "value", "observed_date", "evidence"],
    "CLOSURES": ["dossier_id", "closure_id", "closure_date", "reason", "comment"],
    "ACTIONS": ["dossier_id", "action_id", "action_date", "action_type", "outcome", "promise_amount",
                "promise_date", "comment"],
    "PLANS": ["dossier_id", "plan_id", "request_date", "installments", "first_due_date", "total_amount",
              "status"],
}
D1, D2, D3 = "D202611-000001", "D202611-000002", "D202611-000003"


def seed(wh: Warehouse) -> None:
    """Three debtors with a SOURCE version each; D1, D3 with AG01, D2 with AG02; D3 recalled."""
    for debtor_id, phone in ((1, "+212522123456"), (2, None), (3, None)):
        values = [debtor_id, f"100000{debtor_id}", f"Debtor {debtor_id} SARL", "12 Rue Ibn Battouta",
                  "Casablanca", "Casablanca-Settat", phone, "contact@atlas.ma", "Karim Benali"]
        wh.execute(
            "INSERT INTO core.dim_debtor (debtor_id, primary_affiliation_no, legal_name, is_natural_person, "
            "address, city, region, phone_1, email, legal_rep_name, activity_status, affiliations_count, "
            "status, created_at, updated_at) "
            "VALUES (?, ?, ?, false, ?, ?, ?, ?, ?, ?, 'ACTIVE', 1, 'ACTIVE', ?, ?)", [*values, BUILT, BUILT])
        wh.execute(
            "INSERT INTO core.debtor_history (debtor_id, valid_from, valid_to, is_current, "
            "primary_affiliation_no, legal_name, is_natural_person, address, city, region, phone_1, email, "
            "legal_rep_name, activity_status, change_source, change_ref) VALUES (?, ?, NULL, true, ?, ?, "
            "false, ?, ?, ?, ?, ?, ?, 'ACTIVE', 'SOURCE', '2026-11-01')", [values[0], BUILT, *values[1:]])
    for dossier_id, debtor_id, agency, total in ((D1, 1, "AG01", "10000.00"), (D2, 2, "AG02", "5000.00"),
                                                 (D3, 3, "AG01", "8000.00")):
        wh.execute(
            "INSERT INTO core.dossier (dossier_id, assignment_month, debtor_id, affiliation_no, agency_code, "
            "segment, assignment_start, assignment_end, commission_rate, commission_cap, periods_count, "
            "oldest_period, newest_period, principal_due, surcharges_due, penalties_due, total_due, status, "
            "status_date, created_at) VALUES (?, DATE '2026-11-01', ?, ?, ?, 'FRESH', ?, ?, 0.03, 30000, 1, "
            "DATE '2026-01-01', DATE '2026-01-01', ?, 0, 0, ?, 'PUBLISHED', DATE '2026-11-01', ?)",
            [dossier_id, debtor_id, f"100000{debtor_id}", agency, START, END, Decimal(total), Decimal(total),
             BUILT])
    wh.execute("INSERT INTO core.dossier_recall VALUES (?, DATE '2026-11-20', 'FUND_DECISION', 8000, ?, "
               "NULL, DATE '2026-11-20')", [D3, BUILT])


@pytest.fixture()
def wh(tmp_path: Path) -> Iterator[Warehouse]:
    with connect(f"duckdb:///{(tmp_path / 'wh.duckdb').as_posix()}") as conn:
        migrate_connection(conn)
        seed(conn)
        yield conn


def write(folder: Path, name: str, rtype: str, rows: list[list[str]], *, line_end: str = "\n") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(return_csv(HEADERS[rtype], rows, line_end=line_end))
    return path


def ingest(wh: Warehouse, path: Path, received_at: dt.datetime = T0, agency: str = "AG01") -> dict[str, Any]:
    return ingest_file(wh, path, agency, AS_OF, received_at)


def done(wh: Warehouse, result: dict[str, Any], at: str = "2026-11-25T12:00:00Z") -> None:
    """Steps C and D for an ingested file: its acknowledgement delivered, the file moved, recorded."""
    record_deliveries(wh, [{"agency": result["agency"], "file_name": result["file_name"], "delivered": True,
                            "return_file_id": result["return_file_id"], "published": [], "done_at": at}])


def count(wh: Warehouse, table: str) -> int:
    return int(wh.query(f"SELECT count(*) FROM {table}")[0][0])


def state(wh: Warehouse) -> dict[str, list[tuple[Any, ...]]]:
    """Everything ingestion writes, for before/after comparisons."""
    tables = {
        "core.return_file": "return_file_id", "core.return_reject": "return_file_id, line_no",
        "core.agency_payment": "payment_id", "core.agency_contact_update": "update_id",
        "core.agency_closure": "closure_id", "core.dim_debtor": "debtor_id",
        "core.debtor_history": "debtor_id, valid_from",
    }
    return {t: wh.query(f"SELECT * FROM {t} ORDER BY {k}") for t, k in tables.items()}


# --- loading ------------------------------------------------------------------------------------------

def test_partial_payments_file_loads_accepted_rows_with_decimal_and_quarantines_rejects(
    wh: Warehouse, tmp_path: Path
) -> None:
    path = write(tmp_path / "spool", "AG01_PAYMENTS_20261125_01.csv", "PAYMENTS", [
        [D1, "P1", "2026-11-10", "1500.5", "BANK_TRANSFER", "R-1"],
        [D1, "P2", "2026-11-11", "12,50", "CHEQUE", ""],           # E005
        [D2, "P3", "2026-11-11", "10.00", "CHEQUE", ""],           # E002: AG02's dossier
        [D1, "P4", "2026-11-12", "99.99", "ONLINE", ""],
    ])
    result = ingest(wh, path)

    assert (result["status"], result["rows_received"], result["rows_accepted"], result["rows_rejected"],
            result["rows_duplicate"]) == ("PARTIAL", 4, 2, 2, 0)
    rows = wh.query("SELECT payment_id, amount, payment_date, line_no FROM core.agency_payment ORDER BY 1")
    assert rows == [("P1", Decimal("1500.50"), dt.date(2026, 11, 10), 2),
                    ("P4", Decimal("99.99"), dt.date(2026, 11, 12), 5)]
    assert all(isinstance(r[1], Decimal) for r in rows)
    quarantine = wh.query(
        "SELECT line_no, record_id, reason_code, raw_line FROM core.return_reject ORDER BY 1")
    assert quarantine == [
        (3, "P2", "E005", f"{D1};P2;2026-11-11;12,50;CHEQUE;"),
        (4, "P3", "E002", f"{D2};P3;2026-11-11;10.00;CHEQUE;"),
    ]
    registry = wh.query("SELECT file_type, file_date, seq, status, rows_received, rows_accepted, "
                        "rows_rejected, rows_duplicate, ack_file_name, sha256 FROM core.return_file")
    assert registry == [("PAYMENTS", dt.date(2026, 11, 25), 1, "PARTIAL", 4, 2, 2, 0,
                         "AG01_PAYMENTS_20261125_01.ack.json", hashlib.sha256(path.read_bytes()).hexdigest())]
    ack = json.loads(Path(result["ack_path"]).read_text(encoding="utf-8"))
    assert ack["status"] == "PARTIAL" and ack["received_at"] == "2026-11-25T09:30:00Z"
    assert ack["rows_received"] == ack["rows_accepted"] + ack["rows_rejected"] + ack["rows_duplicate"]
    rejects = Path(result["rejects_path"]).read_text(encoding="utf-8").splitlines()
    assert [line.split(";")[:3] for line in rejects] == [
        ["line_no", "record_id", "reason_code"], ["3", "P2", "E005"], ["4", "P3", "E002"]]


def test_rejected_record_spanning_lines_is_kept_verbatim_with_crlf_line_ends(
    wh: Warehouse, tmp_path: Path
) -> None:
    path = write(tmp_path, "AG01_ACTIONS_20261125_01.csv", "ACTIONS", [
        [D1, "A1", "2026-11-10", "CALL", "NO_ANSWER", "", "", "ok"],
        [D1, "A2", "2026-11-10", "SHOUT", "NO_ANSWER", "", "", "two\r\nlines; \"quoted\""],  # E006
        [D1, "A3", "2026-11-10", "CALL", "PROMISE_TO_PAY", "", "", ""],                       # E007
    ], line_end="\r\n")
    result = ingest(wh, path)

    assert result["status"] == "PARTIAL"
    raw = dict(wh.query("SELECT line_no, raw_line FROM core.return_reject"))
    assert raw == {3: f'{D1};A2;2026-11-10;SHOUT;NO_ANSWER;;;"two\r\nlines; ""quoted"""',
                   5: f"{D1};A3;2026-11-10;CALL;PROMISE_TO_PAY;;;"}
    assert wh.query("SELECT reason_code FROM core.return_reject ORDER BY line_no") == [("E006",), ("E007",)]
    assert wh.query("SELECT action_id, comment FROM core.agency_action") == [("A1", "ok")]


def test_file_rejected_whole_loads_nothing_and_counts_its_records(wh: Warehouse, tmp_path: Path) -> None:
    path = write(tmp_path, "AG01_PAYMENTS_20261125_01.csv", "PAYMENTS", [
        [D1, "P1", "2026-11-10", "10.00", "CHEQUE", ""], [D1, "P2", "2026-11-10", "20.00", "CHEQUE", ""]])
    (tmp_path / (path.name + ".sha256")).write_text("0" * 64 + "\n", encoding="utf-8")  # F004
    result = ingest(wh, path)

    assert (result["status"], result["rows_received"], result["rows_rejected"]) == ("REJECTED", 2, 2)
    assert count(wh, "core.agency_payment") == count(wh, "core.return_reject") == 0
    assert wh.query("SELECT file_error_code FROM core.return_file") == [("F004",)]
    lines = Path(result["rejects_path"]).read_text().splitlines()[1:]
    assert [ln.split(";")[2] for ln in lines] == ["F004"] * 2


# --- memory across files: DUPLICATE, duplicates, E011, F007 -----------------------------------------------

def test_redelivered_file_is_duplicate_whatever_its_name(wh: Warehouse, tmp_path: Path) -> None:
    rows = [[D1, "P1", "2026-11-10", "10.00", "CHEQUE", ""], [D1, "P2", "2026-11-10", "20.00", "CHEQUE", ""]]
    first = ingest(wh, write(tmp_path / "run1", "AG01_PAYMENTS_20261125_01.csv", "PAYMENTS", rows))
    done(wh, first)
    # The same bytes uploaded again after processing: a new upload, same name...
    again = ingest(wh, write(tmp_path / "run2", "AG01_PAYMENTS_20261125_01.csv", "PAYMENTS", rows),
                   received_at=T0 + dt.timedelta(hours=2))
    # ... and under another name.
    renamed = ingest(wh, write(tmp_path / "run3", "AG01_PAYMENTS_20261125_02.csv", "PAYMENTS", rows),
                     received_at=T0 + dt.timedelta(hours=3))

    assert first["status"] == "ACCEPTED"
    for result in (again, renamed):
        assert (result["status"], result["rows_received"], result["rows_duplicate"], result["replayed"]) == (
            "DUPLICATE", 2, 2, False)
    assert count(wh, "core.agency_payment") == 2
    assert count(wh, "core.return_file") == 3


def test_resent_record_is_a_duplicate_and_changed_record_is_e011_across_files(
    wh: Warehouse, tmp_path: Path
) -> None:
    ingest(wh, write(tmp_path, "AG01_PAYMENTS_20261125_01.csv", "PAYMENTS", [
        [D1, "P1", "2026-11-10", "10.00", "CHEQUE", ""]]))
    result = ingest(wh, write(tmp_path, "AG01_PAYMENTS_20261125_02.csv", "PAYMENTS", [
        [D1, "P1", "2026-11-10", "10", "CHEQUE", ""],        # same content (10 = 10.00): duplicate
        [D1, "P2", "2026-11-11", "30.00", "CHEQUE", ""],
    ]), received_at=T0 + dt.timedelta(minutes=5))
    changed = ingest(wh, write(tmp_path, "AG01_PAYMENTS_20261125_03.csv", "PAYMENTS", [
        [D1, "P2", "2026-11-11", "31.00", "CHEQUE", ""],     # other content: E011
    ]), received_at=T0 + dt.timedelta(minutes=10))

    assert (result["status"], result["rows_accepted"], result["rows_duplicate"]) == ("ACCEPTED", 1, 1)
    assert (changed["status"], changed["rows_rejected"]) == ("REJECTED", 1)
    assert wh.query("SELECT reason_code, record_id FROM core.return_reject") == [("E011", "P2")]
    assert wh.query("SELECT payment_id, amount FROM core.agency_payment ORDER BY 1") == [
        ("P1", Decimal("10.00")), ("P2", Decimal("30.00"))]


def test_name_reused_with_other_content_is_f007(wh: Warehouse, tmp_path: Path) -> None:
    ingest(wh, write(tmp_path / "a", "AG01_PAYMENTS_20261125_01.csv", "PAYMENTS", [
        [D1, "P1", "2026-11-10", "10.00", "CHEQUE", ""]]))
    result = ingest(wh, write(tmp_path / "b", "AG01_PAYMENTS_20261125_01.csv", "PAYMENTS", [
        [D1, "P9", "2026-11-10", "10.00", "CHEQUE", ""]]), received_at=T0 + dt.timedelta(hours=1))
    assert result["status"] == "REJECTED"
    codes = wh.query("SELECT file_error_code FROM core.return_file ORDER BY return_file_id")
    assert codes == [(None,), ("F007",)]


def test_every_file_received_under_one_stem_gets_its_own_acknowledgement_never_replaced(
    wh: Warehouse, tmp_path: Path
) -> None:
    acks = tmp_path / "outbox" / "acks"  # one folder for every file, as on the agency's account
    name = "AG01_PAYMENTS_20261125_01.csv"
    first_rows = [[D1, "P1", "2026-11-10", "10.00", "CHEQUE", ""],
                  [D1, "P2", "2026-11-10", "0", "CHEQUE", ""]]
    sent = [
        write(tmp_path / "1", name, "PAYMENTS", first_rows),                                  # PARTIAL
        write(tmp_path / "2", name, "PAYMENTS", [[D1, "P9", "2026-11-10", "9.00", "CHEQUE", ""]]),  # F007
        write(tmp_path / "3", name, "PAYMENTS", first_rows),                                  # DUPLICATE
        write(tmp_path / "4", "AG01_PAYMENTS_20261125_01", "PAYMENTS", first_rows[:1]),      # F001, same stem
    ]
    results, first_answer = [], None
    for i, path in enumerate(sent):
        results.append(ingest_file(wh, path, "AG01", AS_OF, T0 + dt.timedelta(hours=i), acks_dir=acks))
        done(wh, results[-1])
        if i == 0:
            first_answer = {p.name: p.read_bytes() for p in acks.iterdir()}

    assert [r["status"] for r in results] == ["PARTIAL", "REJECTED", "DUPLICATE", "REJECTED"]
    assert wh.query("SELECT file_name, ack_file_name, ack_number, file_error_code FROM core.return_file "
                    "ORDER BY return_file_id") == [
        (name, "AG01_PAYMENTS_20261125_01.ack.json", 1, None),
        (name, "AG01_PAYMENTS_20261125_01.ack.2.json", 2, "F007"),
        (name, "AG01_PAYMENTS_20261125_01.ack.3.json", 3, None),
        ("AG01_PAYMENTS_20261125_01", "AG01_PAYMENTS_20261125_01.ack.4.json", 4, "F001"),
    ]
    # The first file's answer is as it was written, byte for byte, beside the answers of the others.
    assert first_answer is not None and {n: (acks / n).read_bytes() for n in first_answer} == first_answer
    assert sorted(first_answer) == ["AG01_PAYMENTS_20261125_01.ack.json",
                                    "AG01_PAYMENTS_20261125_01.rejects.csv"]
    assert sorted(p.name for p in acks.iterdir()) == sorted([
        *first_answer, "AG01_PAYMENTS_20261125_01.ack.2.json", "AG01_PAYMENTS_20261125_01.rejects.2.csv",
        "AG01_PAYMENTS_20261125_01.ack.3.json", "AG01_PAYMENTS_20261125_01.ack.4.json",
        "AG01_PAYMENTS_20261125_01.rejects.4.csv"])
    answers = [json.loads(Path(r["ack_path"]).read_text(encoding="utf-8")) for r in results]
    assert [(a["file"], a["status"], [e["code"] for e in a["file_errors"]]) for a in answers] == [
        (name, "PARTIAL", []), (name, "REJECTED", ["F007"]), (name, "DUPLICATE", []),
        ("AG01_PAYMENTS_20261125_01", "REJECTED", ["F001"])]
    assert [Path(r["rejects_path"]).name if r["rejects_path"] else None for r in results] == [
        "AG01_PAYMENTS_20261125_01.rejects.csv", "AG01_PAYMENTS_20261125_01.rejects.2.csv", None,
        "AG01_PAYMENTS_20261125_01.rejects.4.csv"]

    # A replay of the second file (its acknowledgement never reached the agency) writes its own again.
    second = (acks / "AG01_PAYMENTS_20261125_01.ack.2.json").read_bytes()
    wh.execute("UPDATE core.return_file SET delivered_at = NULL WHERE ack_number = 2")  # C never ran
    again = ingest_file(wh, sent[1], "AG01", AS_OF, T0 + dt.timedelta(hours=5), acks_dir=tmp_path / "run2")
    assert again["replayed"] is True
    assert Path(again["ack_path"]).name == "AG01_PAYMENTS_20261125_01.ack.2.json"
    assert Path(again["ack_path"]).read_bytes() == second
    assert count(wh, "core.return_file") == 4


def test_a_file_above_the_limit_is_registered_and_acknowledged_f005_without_its_bytes(
    wh: Warehouse, tmp_path: Path
) -> None:
    """What step A fetched without downloading (no local_path): judged from its name and size."""
    big = MAX_FILE_BYTES + 1
    item = {"agency": "AG01", "file_name": "AG01_PAYMENTS_20261125_01.csv", "size": big, "mtime": 1,
            "received_at": T0.isoformat(), "sha256": None, "local_path": None,
            "spool_dir": str(tmp_path / "spool")}
    (group,) = ingest_fetched(wh, [[item]], AS_OF)
    (result,) = group["items"]
    assert (result["status"], result["error"], result["sha256"], result["rows_received"]) == (
        "REJECTED", None, UNREAD_SHA256, 0)
    assert result["rejects_path"] is None and not (tmp_path / "spool" / item["file_name"]).exists()
    ack = json.loads(Path(result["ack_path"]).read_text(encoding="utf-8"))
    assert Path(result["ack_path"]).parent == tmp_path / "spool" / "acks"
    assert (ack["sha256"], ack["status"], ack["rows_received"], ack["file_errors"][0]["code"]) == (
        UNREAD_SHA256, "REJECTED", 0, "F005")
    assert "52,428,801 bytes" in ack["file_errors"][0]["detail"]
    assert wh.query("SELECT file_type, sha256, size_bytes, status, file_error_code, rows_received "
                    "FROM core.return_file") == [("PAYMENTS", UNREAD_SHA256, big, "REJECTED", "F005", 0)]
    assert (Path(result["ack_path"]).name, ack["received_at"]) == (
        "AG01_PAYMENTS_20261125_01.ack.json", "2026-11-25T09:30:00Z")
    # the next run finds it still in inbox/ (C never ran) at another time of the fund's clock: the same
    # upload, the same acknowledgement (its first received_at), nothing added
    before = state(wh)
    later = {**item, "received_at": (T0 + dt.timedelta(minutes=30)).isoformat(),
             "spool_dir": str(tmp_path / "s2")}
    (again,) = ingest_fetched(wh, [[later]], AS_OF)[0]["items"]
    assert again["replayed"] is True and state(wh) == before
    assert Path(again["ack_path"]).name == "AG01_PAYMENTS_20261125_01.ack.json"
    assert json.loads(Path(again["ack_path"]).read_text(encoding="utf-8")) == ack
    done(wh, again)
    # a file of the right size sent again under that name is not the file refused: F007, its own answer
    fixed = ingest(wh, write(tmp_path / "b", item["file_name"], "PAYMENTS", [
        [D1, "P1", "2026-11-10", "10.00", "CHEQUE", ""]]), received_at=T0 + dt.timedelta(hours=1))
    assert fixed["status"] == "REJECTED"
    assert Path(fixed["ack_path"]).name == "AG01_PAYMENTS_20261125_01.ack.2.json"
    assert wh.query("SELECT file_error_code, file_error_detail FROM core.return_file WHERE sha256 <> ?",
                    [UNREAD_SHA256]) == [("F007", "a file named AG01_PAYMENTS_20261125_01.csv was already "
                                          "received (larger than the limit, not read); send a correction "
                                          "under a new SEQ")]
    # once the fund was done with the first, a file above the limit under that name again is a new
    # upload: registered and answered on its own (.ack.3.json), never the first's answer replayed
    third = {**item, "received_at": (T0 + dt.timedelta(hours=2)).isoformat(),
             "spool_dir": str(tmp_path / "s3")}
    # (the corrected file's row is still open, C never ran for it: offered to C again, not ingested)
    new, still_open = ingest_fetched(wh, [[third]], AS_OF)[0]["items"]
    assert (still_open["open_delivery"], still_open["return_file_id"]) == (True, fixed["return_file_id"])
    assert (new["replayed"], new["status"], Path(new["ack_path"]).name) == (
        False, "REJECTED", "AG01_PAYMENTS_20261125_01.ack.3.json")
    answer = json.loads(Path(new["ack_path"]).read_text(encoding="utf-8"))
    assert (answer["received_at"], answer["file_errors"][0]["code"]) == ("2026-11-25T11:30:00Z", "F005")
    done(wh, new, at="2026-11-25T12:30:00Z")
    assert wh.query("SELECT ack_file_name, ack_number, file_error_code, received_at, delivered_at "
                    "FROM core.return_file WHERE sha256 = ? ORDER BY return_file_id", [UNREAD_SHA256]) == [
        ("AG01_PAYMENTS_20261125_01.ack.json", 1, "F005", dt.datetime(2026, 11, 25, 9, 30),
         dt.datetime(2026, 11, 25, 12, 0)),
        ("AG01_PAYMENTS_20261125_01.ack.3.json", 3, "F005", dt.datetime(2026, 11, 25, 11, 30),
         dt.datetime(2026, 11, 25, 12, 30))]


def test_a_spooled_file_above_the_limit_is_not_read(
    wh: Warehouse, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "spool" / "AG01_ACTIONS_20261125_01.csv"
    path.parent.mkdir()
    with path.open("wb") as fh:
        fh.truncate(MAX_FILE_BYTES + 1)

    def no_read(self: Path) -> bytes:
        raise AssertionError(f"{self} was read")

    monkeypatch.setattr(Path, "read_bytes", no_read)
    result = ingest(wh, path)
    assert (result["status"], result["sha256"], result["rows_received"]) == ("REJECTED", UNREAD_SHA256, 0)
    assert Path(result["ack_path"]) == tmp_path / "spool" / "acks" / "AG01_ACTIONS_20261125_01.ack.json"


def test_context_from_warehouse_has_windows_totals_and_recalls(wh: Warehouse) -> None:
    context = context_from_warehouse(wh)
    d3 = context.get(D3)
    assert d3 is not None and (d3.agency, d3.total_due, d3.recall_date) == (
        "AG01", Decimal("8000.00"), dt.date(2026, 11, 20))
    assert context.get(D2) is not None and context.get(D2).agency == "AG02"  # type: ignore[union-attr]


# --- exactly once -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("case", ["partial", "rejected_whole", "duplicate"])
def test_rerun_after_crash_between_load_and_ack_changes_nothing_and_gives_the_same_ack(
    wh: Warehouse, tmp_path: Path, case: str
) -> None:
    rows = [[D1, "P1", "2026-11-10", "10.00", "CHEQUE", ""], [D1, "P2", "2026-11-10", "0", "CHEQUE", ""]]
    if case == "duplicate":
        ingest(wh, write(tmp_path / "earlier", "AG01_PAYMENTS_20261124_01.csv", "PAYMENTS", rows),
               received_at=T0 - dt.timedelta(days=1))
    path = write(tmp_path / "run1", "AG01_PAYMENTS_20261125_01.csv", "PAYMENTS", rows)
    if case == "rejected_whole":
        (path.parent / (path.name + ".sha256")).write_text("f" * 64, encoding="utf-8")
    first = ingest(wh, path)                                    # B commits ...
    acks = {p.name: p.read_bytes() for p in Path(first["ack_path"]).parent.iterdir()}
    before = state(wh)
    # ... C never runs: the next run fetches the same upload again into a new spool and replays it.
    spool = tmp_path / "run2"
    spool.mkdir()
    for p in path.parent.glob(path.name + "*"):
        (spool / p.name).write_bytes(p.read_bytes())
    second = ingest(wh, spool / path.name)

    assert second["replayed"] is True and first["replayed"] is False
    assert {k: v for k, v in second.items() if k not in ("ack_path", "rejects_path", "replayed")} == {
        k: v for k, v in first.items() if k not in ("ack_path", "rejects_path", "replayed")}
    assert state(wh) == before
    assert {p.name: p.read_bytes() for p in Path(second["ack_path"]).parent.iterdir()} == acks
    expected = {"partial": "PARTIAL", "rejected_whole": "REJECTED", "duplicate": "DUPLICATE"}
    assert first["status"] == expected[case]


def test_a_file_fetched_again_is_replayed_until_the_fund_is_done_with_it_then_the_same_bytes_are_new(
    wh: Warehouse, tmp_path: Path
) -> None:
    """received_at is the fund's clock at each fetch; the upload's modification time, which put -p
    sets to the agency's own (here 2020, the same for both uploads), decides nothing."""
    path = write(tmp_path / "inbox", "AG01_PAYMENTS_20261125_01.csv", "PAYMENTS", [
        [D1, "P1", "2026-11-10", "10.00", "CHEQUE", ""]])
    put_p = int(dt.datetime(2020, 1, 1, tzinfo=dt.UTC).timestamp())

    def fetched(run: str, at: dt.datetime) -> dict[str, Any]:
        spool = tmp_path / run
        spool.mkdir()
        (spool / path.name).write_bytes(path.read_bytes())
        item = {"agency": "AG01", "file_name": path.name, "local_path": str(spool / path.name),
                "received_at": at.isoformat(), "mtime": put_p, "size": path.stat().st_size}
        ((result,),) = [g["items"] for g in ingest_fetched(wh, [[item]], AS_OF)]
        return {**result, "ack": json.loads(Path(result["ack_path"]).read_text(encoding="utf-8"))}

    first = fetched("run1", T0)
    again = fetched("run2", T0 + dt.timedelta(hours=1))   # C failed: the file is still in inbox/
    done(wh, again)
    later = fetched("run3", T0 + dt.timedelta(hours=2))   # sent again once the first was done

    assert [(r["status"], r["replayed"], r["ack"]["received_at"], Path(r["ack_path"]).name) for r in (
        first, again, later)] == [
        ("ACCEPTED", False, "2026-11-25T09:30:00Z", "AG01_PAYMENTS_20261125_01.ack.json"),
        ("ACCEPTED", True, "2026-11-25T09:30:00Z", "AG01_PAYMENTS_20261125_01.ack.json"),
        ("DUPLICATE", False, "2026-11-25T11:30:00Z", "AG01_PAYMENTS_20261125_01.ack.2.json")]
    assert wh.query("SELECT received_at, delivered_at IS NOT NULL, status FROM core.return_file "
                    "ORDER BY return_file_id") == [
        (dt.datetime(2026, 11, 25, 9, 30), True, "ACCEPTED"),
        (dt.datetime(2026, 11, 25, 11, 30), False, "DUPLICATE")]
    assert count(wh, "core.agency_payment") == 1


def test_a_copy_fetched_by_another_run_before_the_fund_was_done_with_the_upload_is_that_upload(
    wh: Warehouse, tmp_path: Path
) -> None:
    """Two runs at once fetched one upload; the embedded warehouse has one writer, so the second
    ingests its copy only after the first delivered the acknowledgement and moved the file. That copy's
    fetch began before the fund was done with the upload (``fetched_at``, the wall clock, against
    ``delivered_at``): the same upload, replayed, not a DUPLICATE with an acknowledgement of its own.
    A copy whose fetch began after the fund was done with it (the bytes sent again) is new, even within
    the same second: both times are kept to the microsecond."""
    path = write(tmp_path / "inbox", "AG01_PAYMENTS_20261125_01.csv", "PAYMENTS", [
        [D1, "P1", "2026-11-10", "10.00", "CHEQUE", ""]])

    def item(run: str, fetched_at: str, received_at: dt.datetime = T0) -> dict[str, Any]:
        spool = tmp_path / run
        spool.mkdir()
        (spool / path.name).write_bytes(path.read_bytes())
        return {"agency": "AG01", "file_name": path.name, "local_path": str(spool / path.name),
                "received_at": received_at.isoformat(), "fetched_at": fetched_at, "mtime": 1,
                "size": path.stat().st_size}

    def ingest_item(it: dict[str, Any]) -> dict[str, Any]:
        ((result,),) = [g["items"] for g in ingest_fetched(wh, [[it]], AS_OF)]
        return result

    hourly = item("hourly", "2026-11-25T09:30:00.100+00:00")
    manual = item("manual", "2026-11-25T09:30:02.100+00:00", T0 + dt.timedelta(seconds=2))
    first = ingest_item(hourly)
    done(wh, first, at="2026-11-25T09:30:02.500000+00:00")  # the hourly run delivered and moved it
    second = ingest_item(manual)
    resent = ingest_item(item("later", "2026-11-25T09:30:02.700+00:00", T0 + dt.timedelta(hours=1)))

    assert [(r["status"], r["replayed"], r["return_file_id"], Path(r["ack_path"]).name)
            for r in (first, second, resent)] == [
        ("ACCEPTED", False, first["return_file_id"], "AG01_PAYMENTS_20261125_01.ack.json"),
        ("ACCEPTED", True, first["return_file_id"], "AG01_PAYMENTS_20261125_01.ack.json"),
        ("DUPLICATE", False, first["return_file_id"] + 1, "AG01_PAYMENTS_20261125_01.ack.2.json")]
    assert Path(second["ack_path"]).read_bytes() == Path(first["ack_path"]).read_bytes()
    assert count(wh, "core.return_file") == 2 and count(wh, "core.agency_payment") == 1
    # a copy of the DUPLICATE fetched before it was done with is that one, not the first upload
    again = ingest_item(item("at-once", "2026-11-25T09:30:04+00:00", T0 + dt.timedelta(hours=1)))
    assert (again["replayed"], again["return_file_id"]) == (True, resent["return_file_id"])


def test_a_file_registered_before_v020_is_still_found_by_its_upload_time(
    wh: Warehouse, tmp_path: Path
) -> None:
    """Rows from before V020 have no ack_number and took received_at from the upload's modification
    time: a copy of that upload fetched after the upgrade is replayed, a later upload is new."""
    path = write(tmp_path / "run1", "AG01_PAYMENTS_20261125_01.csv", "PAYMENTS", [
        [D1, "P1", "2026-11-10", "10.00", "CHEQUE", ""]])
    first = ingest(wh, path)
    wh.execute("UPDATE core.return_file SET ack_number = NULL")  # as V020 leaves an older row
    uploaded = int(T0.timestamp())

    replay = ingest_file(wh, path, "AG01", AS_OF, T0 + dt.timedelta(hours=3), upload_mtime=uploaded,
                         acks_dir=tmp_path / "run2" / "acks")
    assert (replay["replayed"], replay["return_file_id"]) == (True, first["return_file_id"])
    assert Path(replay["ack_path"]).read_bytes() == Path(first["ack_path"]).read_bytes()
    newer = ingest_file(wh, path, "AG01", AS_OF, T0 + dt.timedelta(hours=4), upload_mtime=uploaded + 60,
                        acks_dir=tmp_path / "run3" / "acks")
    assert (newer["replayed"], newer["status"], Path(newer["ack_path"]).name) == (
        False, "DUPLICATE", "AG01_PAYMENTS_20261125_01.ack.2.json")


def test_crash_before_commit_leaves_nothing(
    wh: Warehouse, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path, "AG01_CONTACTS_20261125_01.csv", "CONTACTS", [
        [D1, "C1", "PHONE", "0612345678", "2026-11-10", ""]])
    before = state(wh)

    def crash(*_: object) -> None:
        raise RuntimeError("killed")

    monkeypatch.setattr(load_module, "apply_contact_updates", crash)
    with pytest.raises(RuntimeError):
        ingest(wh, path)
    assert state(wh) == before
    monkeypatch.undo()
    assert ingest(wh, path)["status"] == "ACCEPTED"  # and the file is judged afresh, not DUPLICATE


def test_one_bad_file_does_not_stop_the_others(wh: Warehouse, tmp_path: Path) -> None:
    good = write(tmp_path / "AG02", "AG02_PAYMENTS_20261125_01.csv", "PAYMENTS", [
        [D2, "P1", "2026-11-10", "10.00", "CHEQUE", ""]])
    item = {"received_at": T0.isoformat(), "size": 1, "mtime": 1}
    groups = ingest_fetched(wh, [
        [{**item, "agency": "AG01", "file_name": "AG01_PAYMENTS_20261125_01.csv",
          "local_path": str(tmp_path / "AG01" / "gone.csv")}],           # the spool lost it
        [{**item, "agency": "AG02", "file_name": good.name, "local_path": str(good)}],
    ], AS_OF)

    by_agency = {g["agency"]: g["items"] for g in groups}
    assert by_agency["AG01"][0]["status"] == "ERROR" and "gone.csv" in by_agency["AG01"][0]["error"]
    assert by_agency["AG02"][0]["status"] == "ACCEPTED" and by_agency["AG02"][0]["error"] is None
    assert wh.query("SELECT agency_code, payment_id FROM core.agency_payment") == [("AG02", "P1")]
