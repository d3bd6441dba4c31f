"""Step D of the ingestion: every acknowledgement and rejects file step C uploaded is recorded in
core.publication_log under its own name (a later file of the same stem beside the first, never over
it), and the run's report fails when a file was not ingested or an agency's delivery never reported."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from recouvra.ingest import DeliveryRecordError, ingest_file, record_deliveries, summarize
from recouvra.standins.return_samples import return_csv
from recouvra.warehouse import Warehouse, connect, migrate_connection

pytestmark = [pytest.mark.unit]

NAME = "AG01_PAYMENTS_20261125_01.csv"
T0 = dt.datetime(2026, 11, 25, 9, 30, tzinfo=dt.UTC)
HEADER = ["dossier_id", "payment_id", "payment_date", "amount", "channel", "receipt_ref"]


@pytest.fixture()
def wh(tmp_path: Path) -> Iterator[Warehouse]:
    with connect(f"duckdb:///{(tmp_path / 'wh.duckdb').as_posix()}") as conn:
        migrate_connection(conn)
        yield conn


def received(wh: Warehouse, tmp_path: Path, folder: str, rows: list[list[str]]) -> dict[str, Any]:
    """A file of NAME judged and acknowledged by step B (no dossier is known: every row is E001)."""
    path = tmp_path / folder / NAME
    path.parent.mkdir(parents=True)
    path.write_bytes(return_csv(HEADER, rows))
    return ingest_file(wh, path, "AG01", dt.date(2026, 11, 25), T0, acks_dir=tmp_path / folder / "acks")


def delivered(item: dict[str, Any], at: str = "2026-11-25T10:00:00Z") -> dict[str, Any]:
    """Step C's report for ``item``: its rejects file (when any) and its acknowledgement uploaded."""
    published = []
    for local, file_type, rows in ((item["rejects_path"], "REJECTS", item["rows_rejected"]),
                                   (item["ack_path"], "ACK", 0)):
        if local:
            name = Path(local).name
            published.append({"file_name": name, "file_type": file_type, "remote_path": f"outbox/acks/{name}",
                              "sha256": hashlib.sha256(Path(local).read_bytes()).hexdigest(), "rows": rows,
                              "published_at": at})
    return {"agency": "AG01", "file_name": item["file_name"], "delivered": True, "moved_to": None,
            "note": "acknowledged and moved", "status": item["status"],
            "return_file_id": item["return_file_id"], "published": published, "done_at": at}


def log_rows(wh: Warehouse) -> list[tuple[Any, ...]]:
    return wh.query("SELECT file_name, file_type, period_label, seq, remote_path, sha256, row_count, "
                    "control_total, published_at FROM core.publication_log ORDER BY file_name")


def test_each_files_acknowledgement_and_rejects_are_logged_under_their_own_names(
    wh: Warehouse, tmp_path: Path
) -> None:
    first = received(wh, tmp_path, "run1", [["D1", "P1", "2026-11-10", "10.00", "CHEQUE", ""],
                                            ["D1", "P2", "2026-11-10", "20.00", "CHEQUE", ""]])
    second = received(wh, tmp_path, "run2", [["D1", "P9", "2026-11-10", "9.00", "CHEQUE", ""]])  # F007

    assert record_deliveries(wh, [[delivered(first)], [delivered(second, "2026-11-25T11:00:00Z")]]) == {
        "files": 2, "logged": 4}

    def digest(path: str) -> str:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()

    at1, at2 = dt.datetime(2026, 11, 25, 10), dt.datetime(2026, 11, 25, 11)
    stem = "AG01_PAYMENTS_20261125_01"
    assert log_rows(wh) == [
        (f"{stem}.ack.2.json", "ACK", stem, 2, f"outbox/acks/{stem}.ack.2.json", digest(second["ack_path"]),
         0, None, at2),
        (f"{stem}.ack.json", "ACK", stem, None, f"outbox/acks/{stem}.ack.json", digest(first["ack_path"]),
         0, None, at1),
        (f"{stem}.rejects.2.csv", "REJECTS", stem, 2, f"outbox/acks/{stem}.rejects.2.csv",
         digest(second["rejects_path"]), 1, None, at2),
        (f"{stem}.rejects.csv", "REJECTS", stem, None, f"outbox/acks/{stem}.rejects.csv",
         digest(first["rejects_path"]), 2, None, at1),
    ]
    # Both uploads are over: the same name and bytes in inbox/ later would be new uploads.
    assert wh.query("SELECT ack_number, delivered_at FROM core.return_file ORDER BY 1") == [
        (1, at1), (2, at2)]
    # The same delivery recorded again (a retry) moves only published_at.
    before = [r[:8] for r in log_rows(wh)]
    record_deliveries(wh, [delivered(first, "2026-11-25T12:00:00Z")])
    assert [r[:8] for r in log_rows(wh)] == before
    assert wh.query("SELECT count(*), max(published_at) FROM core.publication_log") == [
        (4, dt.datetime(2026, 11, 25, 12))]


def test_an_acknowledgement_uploaded_under_another_files_name_is_refused_and_nothing_recorded(
    wh: Warehouse, tmp_path: Path
) -> None:
    first = received(wh, tmp_path, "run1", [["D1", "P1", "2026-11-10", "10.00", "CHEQUE", ""]])
    second = received(wh, tmp_path, "run2", [["D1", "P9", "2026-11-10", "9.00", "CHEQUE", ""]])
    forged = delivered(second)
    forged["published"][-1]["file_name"] = "AG01_PAYMENTS_20261125_01.ack.json"  # the first file's
    with pytest.raises(DeliveryRecordError, match=r"ack\.json uploaded, its ack file is .*\.ack\.2\.json"):
        record_deliveries(wh, [delivered(first), forged])
    assert log_rows(wh) == []
    wrong_id = {**delivered(first), "return_file_id": 999}
    with pytest.raises(DeliveryRecordError, match="return_file_id 999 is not in core.return_file"):
        record_deliveries(wh, [wrong_id])


def test_files_not_delivered_are_not_logged(wh: Warehouse, tmp_path: Path) -> None:
    first = received(wh, tmp_path, "run1", [["D1", "P1", "2026-11-10", "10.00", "CHEQUE", ""]])
    skipped = {**delivered(first), "delivered": False, "published": []}
    assert record_deliveries(wh, [skipped]) == {"files": 0, "logged": 0}
    assert log_rows(wh) == []
    assert wh.query("SELECT delivered_at FROM core.return_file") == [(None,)]  # still open: replayed


def test_the_report_counts_per_agency_and_fails_for_a_file_not_ingested_or_an_agency_not_delivered() -> None:
    ingested = [
        {"agency": "AG01", "items": [
            {"agency": "AG01", "file_name": "a.csv", "rows_accepted": 3, "rows_rejected": 1,
             "rows_duplicate": 0},
            {"agency": "AG01", "file_name": "b.csv", "error": "IngestError: spool lost it"}]},
        {"agency": "AG02", "items": [
            {"agency": "AG02", "file_name": "c.csv", "rows_accepted": 0, "rows_rejected": 0,
             "rows_duplicate": 5}]},
    ]
    reports = [[{"agency": "AG01", "file_name": "a.csv", "note": "acknowledged and moved"}]]  # AG02's failed

    lines, summary, errors = summarize(ingested, reports)

    assert summary == {"AG01": {"files": 2, "accepted": 3, "rejected": 1, "duplicate": 0, "errors": 1},
                       "AG02": {"files": 1, "accepted": 0, "rejected": 0, "duplicate": 5, "errors": 0}}
    assert errors == [
        "AG01 b.csv: IngestError: spool lost it",
        "AG02: acknowledgements not delivered (deliver_acks failed); its files stay in inbox/ for the "
        "next run"]
    assert lines[0] == "  a.csv: acknowledged and moved" and lines[1].startswith("AG01: {")
    assert summarize(ingested[1:], [[{"agency": "AG02", "file_name": "c.csv", "note": "ok"}]])[2] == []
