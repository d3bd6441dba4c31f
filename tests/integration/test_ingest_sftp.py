"""Agency returns end to end through a real SFTP server (the embedded one, on loopback).

Agencies drop files with the OpenSSH ``sftp`` client, as they would in production; the fund runs
fetch (A, per agency) -> ingest (B, the single warehouse writer) -> deliver_acks (C, per agency) and
the agency then finds its acknowledgements in ``outbox/acks/`` and its files in ``inbox/processed/``.
Also checked: a re-run after a crash between the load and the acknowledgement gives the same end
state, and one agency's bad file stops nothing of another's.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import threading
import tracemalloc
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import recouvra.ingest.load as load_module
from recouvra.exchange.spec import MAX_FILE_BYTES
from recouvra.ingest import (
    deliver_acks,
    fetch_inbox,
    ingest_fetched,
    ingest_file,
    record_deliveries,
    spool_dir,
)
from recouvra.sftp.client import connect as sftp_connect
from recouvra.standins.return_samples import return_csv
from recouvra.standins.sftp_server import EmbeddedSftpServer
from recouvra.warehouse import Warehouse, connect, migrate_connection

pytestmark = [pytest.mark.integration]

AS_OF = dt.date(2026, 11, 25)
BUILT = dt.datetime(2026, 11, 1, 6, 0)
PAYMENTS = ["dossier_id", "payment_id", "payment_date", "amount", "channel", "receipt_ref"]
CONTACTS = ["dossier_id", "update_id", "field", "value", "observed_date", "evidence"]
DOSSIERS = {"D202611-000001": (1, "AG01"), "D202611-000002": (2, "AG02")}


@pytest.fixture()
def wh(tmp_path: Path) -> Iterator[Warehouse]:
    """A DuckDB warehouse with one debtor and one published dossier per agency."""
    with connect(f"duckdb:///{(tmp_path / 'wh.duckdb').as_posix()}") as conn:
        seed(conn)
        yield conn


def seed(conn: Warehouse) -> None:
    """Migrate, then one debtor and one published dossier per agency."""
    migrate_connection(conn)
    for dossier_id, (debtor_id, agency) in DOSSIERS.items():
        conn.execute(
            "INSERT INTO core.dim_debtor (debtor_id, primary_affiliation_no, legal_name, "
            "is_natural_person, phone_1, activity_status, affiliations_count, status, created_at, "
            "updated_at) VALUES (?, ?, 'Atlas SARL', false, '+212522123456', 'ACTIVE', 1, 'ACTIVE', "
            "?, ?)",
            [debtor_id, str(debtor_id), BUILT, BUILT])
        conn.execute(
            "INSERT INTO core.debtor_history (debtor_id, valid_from, valid_to, is_current, "
            "primary_affiliation_no, legal_name, is_natural_person, phone_1, activity_status, "
            "change_source, change_ref) VALUES (?, ?, NULL, true, ?, 'Atlas SARL', false, "
            "'+212522123456', 'ACTIVE', 'SOURCE', '2026-11-01')", [debtor_id, BUILT, str(debtor_id)])
        conn.execute(
            "INSERT INTO core.dossier (dossier_id, assignment_month, debtor_id, affiliation_no, "
            "agency_code, segment, assignment_start, assignment_end, commission_rate, commission_cap, "
            "periods_count, oldest_period, newest_period, principal_due, surcharges_due, penalties_due, "
            "total_due, status, status_date, created_at) VALUES (?, DATE '2026-11-01', ?, ?, ?, 'FRESH', "
            "DATE '2026-11-01', DATE '2027-04-30', 0.03, 30000, 1, DATE '2026-01-01', DATE '2026-01-01', "
            "10000, 0, 0, 10000, 'PUBLISHED', DATE '2026-11-01', ?)",
            [dossier_id, debtor_id, str(debtor_id), agency, BUILT])


def drop(agency_sftp: Any, tmp_path: Path, agency: str, files: dict[str, bytes], *,
         dated: dt.datetime | None = None) -> None:
    """The agency uploads files as the contract says: under ``.part``, then renamed; ``dated``: its
    files carry that date on its disk and go up with ``put -p``, which keeps it on the server."""
    folder = tmp_path / "agency" / agency / "out"
    folder.mkdir(parents=True, exist_ok=True)
    batch = []
    for name, data in files.items():
        (folder / name).write_bytes(data)
        put = "put"
        if dated is not None:
            os.utime(folder / name, (dated.timestamp(), dated.timestamp()))
            put = "put -p"
        batch += [f"{put} {folder / name} inbox/{name}.part", f"rename inbox/{name}.part inbox/{name}"]
    run = agency_sftp(agency, "\n".join(batch) + "\n")
    assert run.returncode == 0, run.stderr


def run_pipeline(server: EmbeddedSftpServer, wh: Warehouse, spool: Path, run: str, *, deliver: bool = True
                 ) -> list[dict[str, Any]]:
    """A (per agency) -> B (one writer) -> C (per agency) -> D (one writer); returns B's groups."""
    fetched = []
    for agency in ("AG01", "AG02"):
        with sftp_connect(server.params(agency)) as client:
            fetched.append(fetch_inbox(client, agency, spool_dir(spool, agency, run)))
    groups = ingest_fetched(wh, fetched, AS_OF)
    if deliver:
        reports = []
        for group in groups:
            with sftp_connect(server.params(group["agency"])) as client:
                reports.append(deliver_acks(client, group["agency"], group["items"]))
        record_deliveries(wh, reports)
    return groups


def listing(agency_sftp: Any, agency: str, folder: str) -> set[str]:
    run = agency_sftp(agency, f"ls -1 {folder}\n")
    assert run.returncode == 0, run.stderr
    return {ln.strip().rsplit("/", 1)[-1] for ln in run.stdout.splitlines()
            if ln.strip() and not ln.startswith("sftp>")}


def test_agencies_upload_fund_ingests_and_acknowledges(
    sftp_server: EmbeddedSftpServer, agency_sftp: Any, wh: Warehouse, tmp_path: Path
) -> None:
    good = return_csv(PAYMENTS, [["D202611-000001", "P1", "2026-11-10", "1500.50", "CHEQUE", "R-1"],
                                 ["D202611-000001", "P2", "2026-11-11", "-3", "CHEQUE", ""]])
    contacts = return_csv(CONTACTS, [
        ["D202611-000001", "C1", "PHONE", "06 12 34 56 78", "2026-11-10", "call"]])
    drop(agency_sftp, tmp_path, "AG01", {
        "AG01_PAYMENTS_20261125_01.csv": good,
        "AG01_PAYMENTS_20261125_01.csv.sha256": f"{hashlib.sha256(good).hexdigest()}  "
                                                "AG01_PAYMENTS_20261125_01.csv\n".encode(),
        "AG01_CONTACTS_20261125_01.csv": contacts,
    })
    # AG02 sends one bad file (not UTF-8) and one good one; a half-written upload stays invisible.
    drop(agency_sftp, tmp_path, "AG02", {
        "AG02_PAYMENTS_20261125_01.csv": "dossier_id;payment_id\n\xe9\n".encode("latin-1"),
        "AG02_PAYMENTS_20261125_02.csv": return_csv(PAYMENTS, [
            ["D202611-000002", "P1", "2026-11-10", "20.00", "ONLINE", ""]]),
    })
    (sftp_server.account("AG02").home / "inbox" / "AG02_ACTIONS_20261125_01.csv.part").write_text("x")

    groups = run_pipeline(sftp_server, wh, tmp_path / "spool", "run1")

    status = {i["file_name"]: i["status"] for g in groups for i in g["items"]}
    assert status == {
        "AG01_PAYMENTS_20261125_01.csv": "PARTIAL", "AG01_CONTACTS_20261125_01.csv": "ACCEPTED",
        "AG02_PAYMENTS_20261125_01.csv": "REJECTED", "AG02_PAYMENTS_20261125_02.csv": "ACCEPTED"}
    assert wh.query("SELECT agency_code, payment_id, amount FROM core.agency_payment ORDER BY 1, 2") == [
        ("AG01", "P1", Decimal("1500.50")), ("AG02", "P1", Decimal("20.00"))]
    assert wh.query("SELECT phone_1 FROM core.dim_debtor WHERE debtor_id = 1") == [("+212612345678",)]

    # What each agency sees on its own account.
    assert listing(agency_sftp, "AG01", "outbox/acks") == {
        "AG01_PAYMENTS_20261125_01.ack.json", "AG01_PAYMENTS_20261125_01.rejects.csv",
        "AG01_CONTACTS_20261125_01.ack.json"}
    assert listing(agency_sftp, "AG01", "inbox/processed") == {
        "AG01_PAYMENTS_20261125_01.csv", "AG01_PAYMENTS_20261125_01.csv.sha256",
        "AG01_CONTACTS_20261125_01.csv"}
    assert listing(agency_sftp, "AG01", "inbox") == {"processed"}
    assert listing(agency_sftp, "AG02", "inbox") == {"processed", "AG02_ACTIONS_20261125_01.csv.part"}
    got = tmp_path / "agency" / "AG02" / "got"
    got.mkdir(parents=True)
    run = agency_sftp("AG02", f"lcd {got}\nget outbox/acks/AG02_PAYMENTS_20261125_01.ack.json\n")
    assert run.returncode == 0, run.stderr
    ack = json.loads((got / "AG02_PAYMENTS_20261125_01.ack.json").read_text(encoding="utf-8"))
    assert (ack["status"], ack["file_errors"][0]["code"]) == ("REJECTED", "F002")


def test_rerun_after_crash_between_load_and_ack_gives_the_same_end_state(
    sftp_server: EmbeddedSftpServer, agency_sftp: Any, wh: Warehouse, tmp_path: Path
) -> None:
    name = "AG01_PAYMENTS_20261125_01.csv"
    drop(agency_sftp, tmp_path, "AG01", {name: return_csv(PAYMENTS, [
        ["D202611-000001", "P1", "2026-11-10", "10.00", "CHEQUE", ""],
        ["D202611-000099", "P2", "2026-11-10", "10.00", "CHEQUE", ""]])})
    first = run_pipeline(sftp_server, wh, tmp_path / "spool", "run1", deliver=False)  # crash after B
    home = sftp_server.account("AG01").home
    assert (home / "inbox" / name).exists() and not list((home / "outbox" / "acks").iterdir())

    second = run_pipeline(sftp_server, wh, tmp_path / "spool", "run2")
    (item,) = [i for g in second for i in g["items"]]
    assert item["replayed"] is True and item["status"] == "PARTIAL"
    (before,) = [i for g in first for i in g["items"]]
    assert Path(item["ack_path"]).read_bytes() == Path(before["ack_path"]).read_bytes()
    assert (home / "outbox" / "acks" / "AG01_PAYMENTS_20261125_01.ack.json").read_bytes() == Path(
        before["ack_path"]).read_bytes()
    assert (home / "inbox" / "processed" / name).exists() and not (home / "inbox" / name).exists()
    assert wh.query("SELECT count(*) FROM core.return_file") == [(1,)]
    assert wh.query("SELECT count(*) FROM core.agency_payment") == [(1,)]
    assert wh.query("SELECT count(*) FROM core.return_reject") == [(1,)]

    # A third run finds nothing; the same bytes uploaded again later are DUPLICATE, with their own ack.
    assert run_pipeline(sftp_server, wh, tmp_path / "spool", "run3") == []
    drop(agency_sftp, tmp_path, "AG01", {name: (home / "inbox" / "processed" / name).read_bytes()})
    (again,) = [i for g in run_pipeline(sftp_server, wh, tmp_path / "spool", "run4") for i in g["items"]]
    assert (again["status"], again["replayed"]) == ("DUPLICATE", False)
    assert Path(again["ack_path"]).name == "AG01_PAYMENTS_20261125_01.ack.2.json"
    processed = sorted(p.name for p in (home / "inbox" / "processed").iterdir())
    assert processed[0] == name and len(processed) == 2  # the first file kept, the second beside it


def test_a_file_that_fails_ingestion_stays_in_inbox_and_stops_no_other(
    sftp_server: EmbeddedSftpServer, agency_sftp: Any, wh: Warehouse, tmp_path: Path
) -> None:
    drop(agency_sftp, tmp_path, "AG01", {"AG01_PAYMENTS_20261125_01.csv": return_csv(PAYMENTS, [
        ["D202611-000001", "P1", "2026-11-10", "10.00", "CHEQUE", ""]])})
    drop(agency_sftp, tmp_path, "AG02", {"AG02_PAYMENTS_20261125_01.csv": return_csv(PAYMENTS, [
        ["D202611-000002", "P1", "2026-11-10", "10.00", "CHEQUE", ""]])})
    fetched = []
    for agency in ("AG01", "AG02"):
        with sftp_connect(sftp_server.params(agency)) as client:
            fetched.append(fetch_inbox(client, agency, spool_dir(tmp_path / "spool", agency, "run1")))
    Path(fetched[0][0]["local_path"]).unlink()  # AG01's spool copy is lost before B
    groups = ingest_fetched(wh, fetched, AS_OF)
    for group in groups:
        with sftp_connect(sftp_server.params(group["agency"])) as client:
            report = deliver_acks(client, group["agency"], group["items"])
        if group["agency"] == "AG01":
            assert report[0]["delivered"] is False and "not ingested" in report[0]["note"]
    assert (sftp_server.account("AG01").home / "inbox" / "AG01_PAYMENTS_20261125_01.csv").exists()
    processed = sftp_server.account("AG02").home / "inbox" / "processed"
    assert (processed / "AG02_PAYMENTS_20261125_01.csv").exists()
    assert wh.query("SELECT agency_code FROM core.agency_payment") == [("AG02",)]


def test_every_file_sent_gets_its_own_acknowledgement_none_replaced_each_logged(
    sftp_server: EmbeddedSftpServer, agency_sftp: Any, wh: Warehouse, tmp_path: Path
) -> None:
    """A name sent again (F007) and a name sharing its stem (no .csv: F001) each get their own
    acknowledgement beside the first file's, which the agency finds as it was; core.publication_log
    holds every acknowledgement and rejects file, with the digest of what the agency reads."""
    stem = "AG01_PAYMENTS_20261125_01"
    acks = sftp_server.account("AG01").home / "outbox" / "acks"
    drop(agency_sftp, tmp_path, "AG01", {f"{stem}.csv": return_csv(PAYMENTS, [
        ["D202611-000001", "P1", "2026-11-10", "10.00", "CHEQUE", ""],
        ["D202611-000099", "P2", "2026-11-10", "10.00", "CHEQUE", ""]])})                 # PARTIAL
    run_pipeline(sftp_server, wh, tmp_path / "spool", "run1")
    first = {p.name: p.read_bytes() for p in acks.iterdir()}
    assert sorted(first) == [f"{stem}.ack.json", f"{stem}.rejects.csv"]

    drop(agency_sftp, tmp_path, "AG01", {f"{stem}.csv": return_csv(PAYMENTS, [
        ["D202611-000001", "P3", "2026-11-10", "30.00", "CHEQUE", ""]])})                  # F007
    run_pipeline(sftp_server, wh, tmp_path / "spool", "run2")
    drop(agency_sftp, tmp_path, "AG01", {stem: return_csv(PAYMENTS, [
        ["D202611-000001", "P4", "2026-11-10", "40.00", "CHEQUE", ""]])})                  # F001
    run_pipeline(sftp_server, wh, tmp_path / "spool", "run3")

    assert listing(agency_sftp, "AG01", "outbox/acks") == {
        f"{stem}.ack.json", f"{stem}.rejects.csv", f"{stem}.ack.2.json", f"{stem}.rejects.2.csv",
        f"{stem}.ack.3.json", f"{stem}.rejects.3.csv"}
    assert {name: (acks / name).read_bytes() for name in first} == first  # the first answer, untouched
    got = tmp_path / "agency" / "AG01" / "got"
    got.mkdir(parents=True)
    run = agency_sftp("AG01", f"lcd {got}\nget outbox/acks/*.ack*.json\n")
    assert run.returncode == 0, run.stderr
    answers = {p.name: json.loads(p.read_text(encoding="utf-8")) for p in got.iterdir()}
    verdicts = {n: (a["file"], a["status"], [e["code"] for e in a["file_errors"]])
                for n, a in answers.items()}
    assert verdicts == {
        f"{stem}.ack.json": (f"{stem}.csv", "PARTIAL", []),
        f"{stem}.ack.2.json": (f"{stem}.csv", "REJECTED", ["F007"]),
        f"{stem}.ack.3.json": (stem, "REJECTED", ["F001"])}
    registry = wh.query("SELECT file_name, ack_file_name, status FROM core.return_file "
                        "ORDER BY return_file_id")
    assert registry == [
        (f"{stem}.csv", f"{stem}.ack.json", "PARTIAL"), (f"{stem}.csv", f"{stem}.ack.2.json", "REJECTED"),
        (stem, f"{stem}.ack.3.json", "REJECTED")]
    logged = wh.query("SELECT file_name, file_type, period_label, seq, remote_path, sha256 "
                      "FROM core.publication_log WHERE agency_code = 'AG01' ORDER BY file_name")
    assert logged == sorted(
        (p.name, "REJECTS" if "rejects" in p.name else "ACK", stem,
         int(p.name.split(".")[-2]) if p.name.split(".")[-2].isdigit() else None,
         f"outbox/acks/{p.name}", hashlib.sha256(p.read_bytes()).hexdigest()) for p in acks.iterdir())
    assert len(logged) == 6
    assert listing(agency_sftp, "AG01", "inbox") == {"processed"}
    assert len(listing(agency_sftp, "AG01", "inbox/processed")) == 3  # every file kept, none overwritten


def test_received_at_is_the_funds_clock_even_when_the_agency_uploads_with_its_own_dates(
    sftp_server: EmbeddedSftpServer, agency_sftp: Any, wh: Warehouse, tmp_path: Path
) -> None:
    """``put -p`` gives the upload the date of the agency's disk (2020 here). The acknowledgement and
    core.return_file say when the fund took the file; the same file sent again the same way, once the
    first was done, is a new upload (DUPLICATE, its own acknowledgement), not taken for the first."""
    name = "AG01_PAYMENTS_20261125_01.csv"
    home = sftp_server.account("AG01").home
    data = return_csv(PAYMENTS, [["D202611-000001", "P1", "2026-11-10", "10.00", "CHEQUE", ""]])
    agency_date = dt.datetime(2020, 1, 1, 8, 0, tzinfo=dt.UTC)

    for n, (run, ack, status) in enumerate((("run1", "AG01_PAYMENTS_20261125_01.ack.json", "ACCEPTED"),
                                            ("run2", "AG01_PAYMENTS_20261125_01.ack.2.json", "DUPLICATE"))):
        drop(agency_sftp, tmp_path, "AG01", {name: data}, dated=agency_date)
        assert (home / "inbox" / name).stat().st_mtime == agency_date.timestamp()  # put -p kept it
        start = dt.datetime.now(dt.UTC)
        run_pipeline(sftp_server, wh, tmp_path / "spool", run)
        end = dt.datetime.now(dt.UTC)

        registry = wh.query("SELECT received_at, status FROM core.return_file ORDER BY return_file_id")
        assert len(registry) == n + 1
        fetched = registry[-1][0].replace(tzinfo=dt.UTC)
        assert start <= fetched <= end, (fetched, start, end)
        answer = json.loads((home / "outbox" / "acks" / ack).read_text(encoding="utf-8"))
        assert (answer["received_at"], answer["status"], registry[-1][1]) == (
            fetched.strftime("%Y-%m-%dT%H:%M:%SZ"), status, status)
    assert wh.query("SELECT count(*) FROM core.agency_payment") == [(1,)]
    assert len(list((home / "inbox" / "processed").iterdir())) == 2


@pytest.mark.postgres
def test_two_ingestions_of_one_upload_at_once_load_it_once(
    pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two runs fetched the same upload (another fetch time each) and judge it at the same moment:
    neither sees the other's row, both number the file 1 of its stem, and the acknowledgement's unique
    index lets one commit; the other fails whole (left for the next run, which replays)."""
    with connect(pg_url) as conn:
        seed(conn)
    path = tmp_path / "AG01_PAYMENTS_20261125_01.csv"
    path.write_bytes(return_csv(PAYMENTS, [["D202611-000001", "P1", "2026-11-10", "10.00", "CHEQUE", ""]]))
    both_numbered = threading.Barrier(2, timeout=30)
    numbered = load_module.ack_number

    def ack_number_then_wait(wh: Warehouse, agency: str, file_name: str) -> int:
        number = numbered(wh, agency, file_name)
        both_numbered.wait()  # each has judged and numbered the file; neither has registered it
        return number

    monkeypatch.setattr(load_module, "ack_number", ack_number_then_wait)
    outcomes: dict[int, Any] = {}

    def ingestion(k: int) -> None:
        try:
            with connect(pg_url) as wh:
                fetched = dt.datetime(2026, 11, 25, 10, k, tzinfo=dt.UTC)
                outcomes[k] = ingest_file(wh, path, "AG01", AS_OF, fetched, acks_dir=tmp_path / f"run{k}")
        except Exception as exc:  # the loser's error, checked below
            outcomes[k] = exc

    threads = [threading.Thread(target=ingestion, args=(k,)) for k in (1, 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    results = [o for o in outcomes.values() if isinstance(o, dict)]
    errors = [o for o in outcomes.values() if isinstance(o, Exception)]
    assert len(results) == 1 and results[0]["status"] == "ACCEPTED", outcomes
    assert len(errors) == 1 and "return_file_ack_once" in str(errors[0]), outcomes
    with connect(pg_url) as wh:
        assert wh.query("SELECT count(*), min(ack_file_name) FROM core.return_file") == [
            (1, "AG01_PAYMENTS_20261125_01.ack.json")]
        assert wh.query("SELECT count(*) FROM core.agency_payment") == [(1,)]


class _CountingClient:
    """The fund's client, with what it downloaded and how many bytes it read counted."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self.downloads: list[str] = []

    def download(self, remote_path: str, local_path: Path) -> Any:
        self.downloads.append(remote_path)
        return self._client.download(remote_path, local_path)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


def test_a_file_above_the_limit_already_in_an_inbox_is_answered_f005_without_being_downloaded(
    sftp_server: EmbeddedSftpServer, agency_sftp: Any, wh: Warehouse, tmp_path: Path
) -> None:
    """The server refuses such an upload; one that got there anyway (an sshd without a per-file cap,
    a copy by hand) is judged from the size the listing gives: acknowledged F005 and moved to
    inbox/processed/, while the spool never holds it and the ingestion's memory does not grow with it."""
    inbox = sftp_server.account("AG01").home / "inbox"
    big = inbox / "AG01_PAYMENTS_20261125_01.csv"
    with big.open("wb") as fh:
        fh.truncate(MAX_FILE_BYTES + 1)  # sparse: 50 MiB of NUL bytes to whoever reads it
    agency_date = dt.datetime(2020, 1, 1, 8, 0, tzinfo=dt.UTC).timestamp()
    os.utime(big, (agency_date, agency_date))  # a date the agency's side gave it: not received_at
    (inbox / (big.name + ".sha256")).write_text("f" * 64 + "\n")
    drop(agency_sftp, tmp_path, "AG01", {"AG01_CONTACTS_20261125_01.csv": return_csv(CONTACTS, [
        ["D202611-000001", "C1", "PHONE", "06 12 34 56 78", "2026-11-10", "call"]])})
    spool = spool_dir(tmp_path / "spool", "AG01", "run1")

    start = dt.datetime.now(dt.UTC)
    tracemalloc.start()
    try:
        with sftp_connect(sftp_server.params("AG01")) as client:
            counting = _CountingClient(client)
            fetched = fetch_inbox(counting, "AG01", spool)
        (group,) = ingest_fetched(wh, [fetched], AS_OF)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    end = dt.datetime.now(dt.UTC)
    with sftp_connect(sftp_server.params("AG01")) as client:
        delivered = deliver_acks(client, "AG01", group["items"])
    record_deliveries(wh, [delivered])

    assert counting.downloads == ["inbox/AG01_CONTACTS_20261125_01.csv"]  # neither the file nor its sidecar
    assert sorted(p.name for p in spool.rglob("*") if p.is_file()) == [  # the spool never held it
        "AG01_CONTACTS_20261125_01.ack.json", "AG01_CONTACTS_20261125_01.csv",
        "AG01_PAYMENTS_20261125_01.ack.json"]
    assert peak < MAX_FILE_BYTES // 4, f"{peak:,} bytes allocated at the peak"
    status = {i["file_name"]: (i["status"], i["rows_received"]) for i in group["items"]}
    assert status == {"AG01_PAYMENTS_20261125_01.csv": ("REJECTED", 0),
                      "AG01_CONTACTS_20261125_01.csv": ("ACCEPTED", 1)}
    assert [d["moved_to"] for d in delivered] == [
        "inbox/processed/AG01_CONTACTS_20261125_01.csv", "inbox/processed/AG01_PAYMENTS_20261125_01.csv"]
    assert listing(agency_sftp, "AG01", "inbox/processed") == {
        "AG01_CONTACTS_20261125_01.csv", "AG01_PAYMENTS_20261125_01.csv",
        "AG01_PAYMENTS_20261125_01.csv.sha256"}
    got = tmp_path / "agency" / "AG01" / "got"
    got.mkdir(parents=True)
    run = agency_sftp("AG01", f"lcd {got}\nget outbox/acks/AG01_PAYMENTS_20261125_01.ack.json\n")
    assert run.returncode == 0, run.stderr
    ack = json.loads((got / "AG01_PAYMENTS_20261125_01.ack.json").read_text(encoding="utf-8"))
    assert (ack["status"], ack["sha256"], ack["rows_received"], ack["file_errors"][0]["code"]) == (
        "REJECTED", "0" * 64, 0, "F005")
    assert wh.query("SELECT file_name, size_bytes, file_error_code, ack_file_name, ack_number "
                    "FROM core.return_file WHERE file_type = 'PAYMENTS'") == [
        (big.name, MAX_FILE_BYTES + 1, "F005", "AG01_PAYMENTS_20261125_01.ack.json", 1)]
    # dated by the fund's clock when it listed the file, not the 2020 the file carried; closed once
    # its acknowledgement went out and the file left inbox/, and that acknowledgement logged
    ((received, closed),) = wh.query("SELECT received_at, delivered_at FROM core.return_file "
                                     "WHERE file_type = 'PAYMENTS'")
    assert start <= received.replace(tzinfo=dt.UTC) <= end, (received, start, end)
    assert ack["received_at"] == received.replace(tzinfo=dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert closed is not None
    assert wh.query("SELECT file_name, file_type FROM core.publication_log WHERE period_label = "
                    "'AG01_PAYMENTS_20261125_01'") == [("AG01_PAYMENTS_20261125_01.ack.json", "ACK")]
    assert wh.query("SELECT phone_1 FROM core.dim_debtor WHERE debtor_id = 1") == [("+212612345678",)]


def put_raw(server: EmbeddedSftpServer, agency: str, files: dict[bytes, bytes]) -> None:
    """The agency uploads under names given as bytes, straight under the final name (a client may):
    names no text can hold, names as long as a name can be."""
    import paramiko

    account = server.account(agency)
    transport = paramiko.Transport((server.host, server.port))
    try:
        transport.connect(username=account.username,
                          pkey=paramiko.Ed25519Key.from_private_key_file(str(account.key_file)))
        sftp = paramiko.SFTPClient.from_transport(transport)
        assert sftp is not None
        for name, data in files.items():
            with sftp.open(b"inbox/" + name, "wb") as fh:
                fh.write(data)
    finally:
        transport.close()


def test_names_no_text_holds_and_names_of_255_bytes_are_acknowledged_and_stop_no_other_file(
    sftp_server: EmbeddedSftpServer, wh: Warehouse, tmp_path: Path
) -> None:
    """An SFTP name is bytes: one that is not UTF-8 made the listing of inbox/ fail (paramiko could
    not decode it), and with it every fetch and delivery of the agency, run after run; a name of 251
    to 255 bytes failed the download (its .part was longer than a name can be). Each is now read (the
    undecodable bytes written \\xNN), answered F001 and moved to inbox/processed/ under the name the
    fund read."""
    good = return_csv(PAYMENTS, [["D202611-000001", "P1", "2026-11-10", "10.00", "CHEQUE", ""]])
    odd = b"AG01_PAYMENTS_20261125_02\xe9.csv"
    long = b"AG01_PAYMENTS_20261125_03_" + b"X" * 223 + b".csv"
    assert len(long) == 253
    put_raw(sftp_server, "AG01", {odd: good + b"\n", odd + b".sha256": b"0" * 64, long: good + b"\n\n",
                                  b"AG01_PAYMENTS_20261125_01.csv": good})

    groups = run_pipeline(sftp_server, wh, tmp_path / "spool", "run1")

    read = "AG01_PAYMENTS_20261125_02\\xe9.csv"
    assert {(i["file_name"], i["status"], i["error"]) for g in groups for i in g["items"]} == {
        ("AG01_PAYMENTS_20261125_01.csv", "ACCEPTED", None), (read, "REJECTED", None),
        (long.decode(), "REJECTED", None)}
    assert wh.query("SELECT file_name, file_error_code FROM core.return_file WHERE file_error_code "
                    "IS NOT NULL ORDER BY 1") == [(read, "F001"), (long.decode(), "F001")]
    home = sftp_server.account("AG01").home
    assert sorted(os.listdir(home / "inbox")) == ["processed"]
    assert sorted(os.listdir(os.fsencode(home / "inbox" / "processed"))) == sorted([
        b"AG01_PAYMENTS_20261125_01.csv", read.encode(), read.encode() + b".sha256", long])
    acks = sorted(os.listdir(home / "outbox" / "acks"))
    assert "AG01_PAYMENTS_20261125_02\\xe9.ack.json" in acks and len(acks) == 5  # 3 acks, 2 rejects
    ack = json.loads((home / "outbox" / "acks" / "AG01_PAYMENTS_20261125_02\\xe9.ack.json").read_text())
    assert (ack["file"], ack["file_errors"][0]["code"]) == (read, "F001")
