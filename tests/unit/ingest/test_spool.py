"""Steps A (fetch_inbox) and C (deliver_acks) of the ingestion against an agency account that is a local
folder (the SftpClient interface, no server): what is fetched, what is acknowledged, what is moved and
what is left for the next run. The same steps over the embedded SFTP server: tests/integration."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from recouvra.exchange.names import ack_name, rejects_name
from recouvra.exchange.spec import MAX_FILE_BYTES
from recouvra.ingest import (
    deliver_acks,
    fetch_inbox,
    ingest_fetched,
    open_deliveries,
    record_deliveries,
    spool_dir,
)
from recouvra.sftp.client import PublishedPackage, RemoteFile, Transferred
from recouvra.warehouse import Warehouse, connect, migrate_connection

UPLOADED = 1_795_599_000  # 2026-11-25 09:30:00 UTC
NAME = "AG01_PAYMENTS_20261125_01.csv"
FETCHED = dt.datetime(2026, 11, 25, 10, 15, 7, 250_000, tzinfo=dt.UTC)  # the fund's clock
LISTED = dt.datetime(2026, 12, 3, 6, 30, 0, 500_000, tzinfo=dt.UTC)  # the wall clock, as the fetch began


def ticking(start: dt.datetime = FETCHED, step: dt.timedelta = dt.timedelta(seconds=2)) -> Any:
    """A clock that moves ``step`` on at each reading."""
    moments = iter(start + k * step for k in range(1_000))
    return lambda: next(moments)


class FolderAccount:
    """An agency's SFTP account as a local folder, behind the client interface the stages use."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.log: list[tuple[str, ...]] = []
        for folder in ("inbox/processed", "outbox/acks"):
            (root / folder).mkdir(parents=True, exist_ok=True)

    def drop(self, name: str, data: bytes, mtime: int = UPLOADED) -> Path:
        path = self.root / "inbox" / name
        path.write_bytes(data)
        os.utime(path, (mtime, mtime))
        return path

    def list_ready(self, remote_dir: str) -> list[RemoteFile]:
        folder = self.root / remote_dir
        return sorted(
            (RemoteFile(p.name, f"{remote_dir}/{p.name}", p.stat().st_size, int(p.stat().st_mtime))
             for p in folder.iterdir() if p.is_file() and not p.name.endswith(".part")),
            key=lambda f: f.name,
        )

    def download(self, remote_path: str, local_path: Path) -> Transferred:
        self.log.append(("download", remote_path))
        shutil.copyfile(self.root / remote_path, local_path)
        data = local_path.read_bytes()
        return Transferred(str(local_path), len(data), hashlib.sha256(data).hexdigest())

    def upload_atomic(self, local_path: Path, remote_path: str) -> Transferred:
        self.log.append(("upload", remote_path))
        shutil.copyfile(local_path, self.root / remote_path)
        data = local_path.read_bytes()
        return Transferred(remote_path, len(data), hashlib.sha256(data).hexdigest())

    def write_text_atomic(self, remote_path: str, text: str) -> Transferred:
        raise NotImplementedError("not used by the ingestion")

    def publish_package(self, files: Any, manifest: Path, remote_dir: str = "outbox") -> PublishedPackage:
        raise NotImplementedError("not used by the ingestion")

    def move(self, remote_src: str, remote_dst: str, replace: bool = False) -> None:
        self.log.append(("move", remote_src, remote_dst))
        assert replace or not (self.root / remote_dst).exists(), "a processed file is never overwritten"
        os.replace(self.root / remote_src, self.root / remote_dst)

    def remove(self, remote_path: str) -> None:
        self.log.append(("remove", remote_path))
        (self.root / remote_path).unlink()


@pytest.fixture()
def account(tmp_path: Path) -> FolderAccount:
    return FolderAccount(tmp_path / "sftp" / "AG01")


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# ----------------------------------------------------------------------------------------- spool
@pytest.mark.parametrize(
    ("run", "folder"),
    [
        ("scheduled__2026-11-25T06:00:00+00:00", "scheduled__2026-11-25T06_00_00+00_00"),
        ("manual run/1", "manual_run_1"),
        ("../../etc", ".._.._etc"),
        ("r-1.2", "r-1.2"),
    ],
)
def test_spool_dir_is_agency_then_a_safe_run_folder(tmp_path: Path, run: str, folder: str) -> None:
    assert spool_dir(tmp_path, "AG01", run) == tmp_path / "AG01" / folder


# ------------------------------------------------------------------------------------------ step A
def test_fetch_downloads_files_and_their_sidecars_in_name_order(
    account: FolderAccount, tmp_path: Path
) -> None:
    second = b"dossier_id;payment_id\n"
    first = b"dossier_id;action_id\n"
    account.drop("AG01_PAYMENTS_20261125_02.csv", second, UPLOADED + 60)
    account.drop("AG01_ACTIONS_20261125_01.csv", first)
    account.drop("AG01_ACTIONS_20261125_01.csv.sha256", sha(first).encode())
    account.drop("AG01_CLOSURES_20261125_01.csv.sha256", b"0" * 64)  # its file is still on its way
    account.drop("AG01_PLANS_20261125_01.csv.part", b"half")         # an upload in progress
    spool = tmp_path / "spool"
    files = spool / "files"  # the downloads; step B's acknowledgements go to spool/acks

    items = fetch_inbox(account, "AG01", spool, clock=ticking(), wall_clock=ticking(LISTED))

    assert items == [
        {"agency": "AG01", "file_name": "AG01_ACTIONS_20261125_01.csv",
         "remote_path": "inbox/AG01_ACTIONS_20261125_01.csv", "size": len(first), "mtime": UPLOADED,
         "received_at": "2026-11-25T10:15:07.250000+00:00",
         "fetched_at": "2026-12-03T06:30:00.500000+00:00", "sha256": sha(first),
         "local_path": str(files / "AG01_ACTIONS_20261125_01.csv"),
         "sidecar_remote": "inbox/AG01_ACTIONS_20261125_01.csv.sha256",
         "sidecar_path": str(files / "AG01_ACTIONS_20261125_01.csv.sha256"), "spool_dir": str(spool)},
        {"agency": "AG01", "file_name": "AG01_PAYMENTS_20261125_02.csv",
         "remote_path": "inbox/AG01_PAYMENTS_20261125_02.csv", "size": len(second), "mtime": UPLOADED + 60,
         "received_at": "2026-11-25T10:15:09.250000+00:00",
         "fetched_at": "2026-12-03T06:30:00.500000+00:00", "sha256": sha(second),
         "local_path": str(files / "AG01_PAYMENTS_20261125_02.csv"),
         "sidecar_remote": None, "sidecar_path": None, "spool_dir": str(spool)},
    ]
    assert sorted(p.name for p in files.iterdir()) == [
        "AG01_ACTIONS_20261125_01.csv", "AG01_ACTIONS_20261125_01.csv.sha256",
        "AG01_PAYMENTS_20261125_02.csv"]
    assert [p.name for p in spool.iterdir()] == ["files"]
    assert (files / "AG01_ACTIONS_20261125_01.csv").read_bytes() == first
    assert sorted(p.name for p in (account.root / "inbox").iterdir() if p.is_file()) == [
        "AG01_ACTIONS_20261125_01.csv", "AG01_ACTIONS_20261125_01.csv.sha256",
        "AG01_CLOSURES_20261125_01.csv.sha256", "AG01_PAYMENTS_20261125_02.csv",
        "AG01_PLANS_20261125_01.csv.part"]  # fetching moves nothing


def test_a_sidecar_left_in_the_spool_by_an_earlier_attempt_is_removed(
    account: FolderAccount, tmp_path: Path
) -> None:
    spool = tmp_path / "spool"
    (spool / "files").mkdir(parents=True)
    (spool / "files" / (NAME + ".sha256")).write_text("f" * 64, encoding="utf-8")
    account.drop(NAME, b"x")
    assert fetch_inbox(account, "AG01", spool)[0]["sidecar_path"] is None
    assert not (spool / "files" / (NAME + ".sha256")).exists()


def test_a_file_above_the_limit_is_left_on_the_server_and_its_item_says_so(
    account: FolderAccount, tmp_path: Path
) -> None:
    big = account.drop(NAME, b"")
    os.truncate(big, MAX_FILE_BYTES + 1)  # sparse: what the listing says is all step A looks at
    os.utime(big, (UPLOADED, UPLOADED))
    account.drop(NAME + ".sha256", b"f" * 64)
    small = account.drop("AG01_ACTIONS_20261125_01.csv", b"dossier_id;action_id\n")
    spool = tmp_path / "spool"
    (spool / "files").mkdir(parents=True)
    (spool / "files" / NAME).write_bytes(b"an earlier attempt's copy")

    items = fetch_inbox(account, "AG01", spool, clock=ticking(), wall_clock=lambda: LISTED)

    # received_at: the fund's clock when it listed the file and left it there (the small file, first
    # in name order, read the clock before it), never the upload's date; the mtime is kept for step C.
    assert items[0]["received_at"] == FETCHED.isoformat()
    assert items[1] == {
        "agency": "AG01", "file_name": NAME, "remote_path": f"inbox/{NAME}", "size": MAX_FILE_BYTES + 1,
        "mtime": UPLOADED, "received_at": "2026-11-25T10:15:09.250000+00:00",
        "fetched_at": LISTED.isoformat(), "sha256": None,
        "local_path": None, "sidecar_remote": f"inbox/{NAME}.sha256", "sidecar_path": None,
        "spool_dir": str(spool)}
    assert account.log == [("download", f"inbox/{small.name}")]  # neither the file nor its sidecar
    assert sorted(p.name for p in (spool / "files").iterdir()) == [small.name]  # the spool never holds it
    # with a lower limit, a small file is left on the server too
    assert fetch_inbox(account, "AG01", tmp_path / "s2", max_bytes=5)[0]["local_path"] is None


def test_a_sidecar_above_4_kib_is_not_downloaded_a_line_saying_so_stands_for_it(
    account: FolderAccount, tmp_path: Path
) -> None:
    account.drop(NAME, b"dossier_id;payment_id\n")
    side = account.drop(NAME + ".sha256", b"")
    os.truncate(side, 10**9)  # a gigabyte "sidecar"
    (item,) = fetch_inbox(account, "AG01", tmp_path / "spool")
    assert account.log == [("download", f"inbox/{NAME}")]
    assert Path(item["sidecar_path"]).read_bytes() == (
        b"<not read: 1,000,000,000 bytes, more than the 4,096 a sidecar may hold>\n")
    assert item["sidecar_remote"] == f"inbox/{NAME}.sha256"  # moved with its file in step C


def test_an_empty_inbox_fetches_nothing(account: FolderAccount, tmp_path: Path) -> None:
    assert fetch_inbox(account, "AG01", tmp_path / "spool") == []
    assert (tmp_path / "spool").is_dir()


# ------------------------------------------------------------------------------------------ step C
def ingested(account: FolderAccount, tmp_path: Path, *, rejects: bool, sidecar: bool = False,
             status: str = "PARTIAL", number: int = 1) -> dict[str, Any]:
    """One file fetched by step A and acknowledged locally by step B (the ``number``-th of its stem)."""
    data = b"dossier_id;payment_id\n"
    account.drop(NAME, data)
    if sidecar:
        account.drop(NAME + ".sha256", sha(data).encode())
    item = fetch_inbox(account, "AG01", tmp_path / "spool", clock=ticking())[0]
    acks = tmp_path / "acks"
    acks.mkdir(exist_ok=True)
    ack = acks / ack_name(NAME, number)
    ack.write_text(f'{{"status": "{status}"}}\n', encoding="utf-8")
    item["ack_path"] = str(ack)
    item["rejects_path"] = None
    item["rows_rejected"] = 1 if rejects else 0
    if rejects:
        (acks / rejects_name(NAME, number)).write_text("line_no;record_id;reason_code;detail\n2;P1;E005;x\n",
                                                       encoding="utf-8")
        item["rejects_path"] = str(acks / rejects_name(NAME, number))
    item["status"], item["error"], item["return_file_id"] = status, None, 7
    return item


def test_acks_go_up_rejects_first_then_the_file_then_its_sidecar_move_to_processed(
    account: FolderAccount, tmp_path: Path
) -> None:
    item = ingested(account, tmp_path, rejects=True, sidecar=True)
    account.log.clear()

    report = deliver_acks(account, "AG01", [item])

    (entry,) = report
    assert {k: v for k, v in entry.items() if k not in ("published", "done_at")} == {
        "agency": "AG01", "file_name": NAME, "delivered": True, "moved_to": f"inbox/processed/{NAME}",
        "note": "acknowledged and moved", "status": "PARTIAL", "return_file_id": 7}
    acks = account.root / "outbox" / "acks"
    assert [(f["file_name"], f["file_type"], f["remote_path"], f["sha256"], f["rows"])
            for f in entry["published"]] == [
        ("AG01_PAYMENTS_20261125_01.rejects.csv", "REJECTS",
         "outbox/acks/AG01_PAYMENTS_20261125_01.rejects.csv",
         sha((acks / "AG01_PAYMENTS_20261125_01.rejects.csv").read_bytes()), 1),
        ("AG01_PAYMENTS_20261125_01.ack.json", "ACK", "outbox/acks/AG01_PAYMENTS_20261125_01.ack.json",
         sha((acks / "AG01_PAYMENTS_20261125_01.ack.json").read_bytes()), 0)]
    assert account.log == [
        ("upload", "outbox/acks/AG01_PAYMENTS_20261125_01.rejects.csv"),
        ("upload", "outbox/acks/AG01_PAYMENTS_20261125_01.ack.json"),
        ("move", f"inbox/{NAME}", f"inbox/processed/{NAME}"),
        ("move", f"inbox/{NAME}.sha256", f"inbox/processed/{NAME}.sha256"),
    ]
    assert sorted(p.name for p in (account.root / "outbox" / "acks").iterdir()) == [
        "AG01_PAYMENTS_20261125_01.ack.json", "AG01_PAYMENTS_20261125_01.rejects.csv"]
    assert [p.name for p in (account.root / "inbox").iterdir() if p.is_file()] == []


def test_a_name_already_in_processed_is_kept_and_the_new_file_gets_a_stamp(
    account: FolderAccount, tmp_path: Path
) -> None:
    (account.root / "inbox" / "processed" / NAME).write_bytes(b"the earlier file")
    (account.root / "inbox" / "processed" / f"{NAME}.20261125T101507Z").write_bytes(b"and another")
    item = ingested(account, tmp_path, rejects=False)
    report = deliver_acks(account, "AG01", [item])
    assert report[0]["moved_to"] == f"inbox/processed/{NAME}.20261125T101507Z.2"  # stamped when fetched
    assert (account.root / "inbox" / "processed" / NAME).read_bytes() == b"the earlier file"


def test_an_earlier_files_acknowledgement_of_the_same_stem_is_never_touched(
    account: FolderAccount, tmp_path: Path
) -> None:
    acks = account.root / "outbox" / "acks"
    earlier = {"AG01_PAYMENTS_20261125_01.ack.json": '{"status": "PARTIAL"}\n',
               "AG01_PAYMENTS_20261125_01.rejects.csv": "line_no;record_id;reason_code;detail\n2;P1;E005;x\n"}
    for name, text in earlier.items():
        (acks / name).write_text(text, encoding="utf-8")
    item = ingested(account, tmp_path, rejects=False, status="DUPLICATE", number=2)  # the name sent again
    account.log.clear()
    deliver_acks(account, "AG01", [item])
    assert {name: (acks / name).read_text(encoding="utf-8") for name in earlier} == earlier
    assert sorted(p.name for p in acks.iterdir()) == [
        "AG01_PAYMENTS_20261125_01.ack.2.json", *sorted(earlier)]
    assert [e for e in account.log if e[0] != "move"] == [
        ("upload", "outbox/acks/AG01_PAYMENTS_20261125_01.ack.2.json")]


def test_a_file_replaced_since_it_was_fetched_is_acknowledged_but_left_in_the_inbox(
    account: FolderAccount, tmp_path: Path
) -> None:
    item = ingested(account, tmp_path, rejects=False)
    account.drop(NAME, b"a corrected content, longer", UPLOADED + 600)
    report = deliver_acks(account, "AG01", [item])
    assert report[0]["delivered"] is True and report[0]["moved_to"] is None
    assert "replaced since it was fetched" in report[0]["note"]
    assert (account.root / "inbox" / NAME).read_bytes() == b"a corrected content, longer"


def test_a_file_moved_by_an_earlier_attempt_is_acknowledged_again_and_not_moved(
    account: FolderAccount, tmp_path: Path
) -> None:
    item = ingested(account, tmp_path, rejects=False)
    first = deliver_acks(account, "AG01", [item])
    again = deliver_acks(account, "AG01", [item])
    assert first[0]["moved_to"] == f"inbox/processed/{NAME}"
    assert again[0]["moved_to"] is None and again[0]["note"] == (
        "acknowledged; file already moved by an earlier attempt")
    assert [p.name for p in (account.root / "inbox" / "processed").iterdir()] == [NAME]


def test_a_file_not_ingested_is_neither_acknowledged_nor_moved(
    account: FolderAccount, tmp_path: Path
) -> None:
    item = ingested(account, tmp_path, rejects=False)
    failed = {**item, "error": "warehouse unreachable"}
    unacked = {**item, "ack_path": None}
    account.log.clear()
    report = deliver_acks(account, "AG01", [failed, unacked])
    assert report == [
        {"agency": "AG01", "file_name": NAME, "delivered": False, "moved_to": None,
         "note": "not ingested: warehouse unreachable"},
        {"agency": "AG01", "file_name": NAME, "delivered": False, "moved_to": None,
         "note": "not ingested: no acknowledgement"},
    ]
    assert [entry[0] for entry in account.log] == []
    assert (account.root / "inbox" / NAME).exists()


def test_delivery_refuses_another_agencys_items_and_does_nothing_for_none(account: FolderAccount) -> None:
    assert deliver_acks(account, "AG01", []) == []
    with pytest.raises(ValueError, match="item of agency AG02 given to the delivery of AG01"):
        deliver_acks(account, "AG01", [{"agency": "AG02", "file_name": NAME, "ack_path": "x"}])


def test_received_at_is_the_funds_clock_when_fetched_not_the_date_the_agency_gave_the_file(
    account: FolderAccount, tmp_path: Path
) -> None:
    put_p = int(dt.datetime(2020, 1, 1, tzinfo=dt.UTC).timestamp())  # put -p kept the agency's disk date
    account.drop(NAME, b"x", mtime=put_p)
    (item,) = fetch_inbox(account, "AG01", tmp_path, clock=ticking())
    assert (item["received_at"], item["mtime"]) == ("2026-11-25T10:15:07.250000+00:00", put_p)
    before = dt.datetime.now(dt.UTC)
    (item,) = fetch_inbox(account, "AG01", tmp_path / "again")  # the real clock
    assert before <= dt.datetime.fromisoformat(item["received_at"]) <= dt.datetime.now(dt.UTC)


# ------------------------------------------------------------------------------------ hostile names
@pytest.fixture()
def empty_wh() -> Iterator[Warehouse]:
    with connect("duckdb:///:memory:") as wh:
        migrate_connection(wh)
        yield wh


def run_once(account: FolderAccount, wh: Warehouse, spool: Path, clock: Any = None) -> list[dict[str, Any]]:
    """Steps A to D over the account, as the DAG chains them; step B's items."""
    items = fetch_inbox(account, "AG01", spool, clock=clock or ticking())
    (group,) = ingest_fetched(wh, [items], dt.date(2026, 11, 25))
    record_deliveries(wh, [deliver_acks(account, "AG01", group["items"])])
    return list(group["items"])


def test_a_file_named_acks_is_acknowledged_like_any_other_and_blocks_no_other(
    account: FolderAccount, empty_wh: Warehouse, tmp_path: Path
) -> None:
    """The spool keeps its downloads apart from the acknowledgements it writes: a file named like the
    acknowledgements' folder once made every file of the agency fail, run after run."""
    account.drop("acks", b"dossier_id;payment_id\n")
    account.drop(NAME, b"dossier_id;payment_id\n")

    items = run_once(account, empty_wh, tmp_path / "spool")

    assert [(i["file_name"], i["error"], i["status"]) for i in items] == [
        (NAME, None, "REJECTED"), ("acks", None, "REJECTED")]
    assert sorted(p.name for p in (account.root / "outbox" / "acks").iterdir()) == sorted([
        f"{Path(NAME).stem}.ack.json", "acks.ack.json"])
    assert sorted(p.name for p in (account.root / "inbox" / "processed").iterdir()) == [NAME, "acks"]


@pytest.mark.parametrize("length", [240, 246, 250, 255])
def test_a_file_whose_name_is_as_long_as_a_name_can_be_is_acknowledged_and_moved_twice(
    account: FolderAccount, empty_wh: Warehouse, tmp_path: Path, length: int
) -> None:
    """A name of up to 255 bytes reaches inbox/ (the agency may upload without .part). Its answer once
    failed to be written (<stem>.rejects.csv longer than a name can be) and the file stayed, refused
    again each hour; from 249 bytes the fetch itself failed, and with it every file of the agency."""
    name = "AG01_PAYMENTS_20261125_01_" + "X" * (length - 30) + ".csv"
    assert len(name.encode()) == length
    clock = ticking()
    for run in ("run1", "run2"):  # the second time, its name is taken in processed/: a stamp is added
        account.drop(name, b"dossier_id;payment_id\nD1;P1\n")
        account.drop(NAME, b"dossier_id;payment_id\n")
        items = run_once(account, empty_wh, tmp_path / run, clock)
        assert [(i["file_name"], i["error"], i["status"]) for i in items] == [
            (NAME, None, "REJECTED"), (name, None, "REJECTED")]
    acks = account.root / "outbox" / "acks"
    answers = sorted(p.name for p in acks.iterdir() if p.name not in (ack_name(NAME), ack_name(NAME, 2)))
    assert len(answers) == 4 and all(len((a + ".part").encode()) <= 255 for a in answers)  # 2 acks, 2 rejects
    processed = sorted(p.name for p in (account.root / "inbox" / "processed").iterdir())
    assert len(processed) == 4 and name in processed
    assert [p.name for p in (account.root / "inbox").iterdir() if p.is_file()] == []


# ------------------------------------------------------------------ a delivery whose recording was lost
def _open_rows(wh: Warehouse) -> list[tuple[Any, ...]]:
    return wh.query("SELECT file_name, delivered_at IS NULL FROM core.return_file ORDER BY return_file_id")


def test_a_delivery_whose_recording_was_lost_is_recorded_by_the_next_run_without_a_second_upload(
    account: FolderAccount, empty_wh: Warehouse, tmp_path: Path
) -> None:
    """Killed between step C (acknowledgement uploaded, file moved to processed/) and step D: the next
    run fetches nothing, yet finds the open row, reads the acknowledgement back and records it."""
    account.drop(NAME, b"dossier_id;payment_id\n")
    (group,) = ingest_fetched(empty_wh, [fetch_inbox(account, "AG01", tmp_path / "r1", clock=ticking())],
                              dt.date(2026, 11, 25))
    deliver_acks(account, "AG01", group["items"])  # ... and the process dies before record_deliveries
    assert _open_rows(empty_wh) == [(NAME, True)]
    ack = account.root / "outbox" / "acks" / f"{Path(NAME).stem}.ack.json"
    uploaded = ack.read_bytes()
    account.log.clear()

    assert fetch_inbox(account, "AG01", tmp_path / "r2", clock=ticking()) == []
    (group,) = ingest_fetched(empty_wh, [[]], dt.date(2026, 11, 25))
    (item,) = group["items"]
    assert item["open_delivery"] and item["ack_file_name"] == ack.name
    (entry,) = deliver_acks(account, "AG01", group["items"])
    assert entry["delivered"] and entry["note"] == (
        "acknowledged and moved by an earlier run; its delivery recorded now")
    assert [(f["file_name"], f["file_type"], f["remote_path"], f["sha256"]) for f in entry["published"]] == [
        (ack.name, "ACK", f"outbox/acks/{ack.name}", sha(uploaded))]
    assert [op for op, *_ in account.log] == ["download"]  # read back, never uploaded or moved again
    assert record_deliveries(empty_wh, [[entry]]) == {"files": 1, "logged": 1}
    assert _open_rows(empty_wh) == [(NAME, False)]
    assert empty_wh.query("SELECT file_name, file_type, sha256 FROM core.publication_log") == [
        (ack.name, "ACK", sha(uploaded))]
    assert ingest_fetched(empty_wh, [[]], dt.date(2026, 11, 25)) == []  # nothing open any more
    assert ack.read_bytes() == uploaded


def test_an_open_upload_still_in_the_inbox_is_left_to_the_fetch_which_replays_it(
    account: FolderAccount, empty_wh: Warehouse, tmp_path: Path
) -> None:
    account.drop(NAME, b"dossier_id;payment_id\n")
    ingest_fetched(empty_wh, [fetch_inbox(account, "AG01", tmp_path / "r1", clock=ticking())],
                   dt.date(2026, 11, 25))  # ... and the process dies before step C
    (item,) = open_deliveries(empty_wh)
    (entry,) = deliver_acks(account, "AG01", [item])
    assert not entry["delivered"] and "still in inbox/" in entry["note"]
    assert list((account.root / "outbox" / "acks").iterdir()) == []
    assert open_deliveries(empty_wh, [item["return_file_id"]]) == []  # a run's own files are not offered

    (replayed,) = run_once(account, empty_wh, tmp_path / "r2")
    assert replayed["return_file_id"] == item["return_file_id"]
    assert _open_rows(empty_wh) == [(NAME, False)]
    assert open_deliveries(empty_wh) == []


def test_an_open_delivery_whose_acknowledgement_is_not_on_the_account_stays_open(
    account: FolderAccount, empty_wh: Warehouse, tmp_path: Path
) -> None:
    account.drop(NAME, b"dossier_id;payment_id\n")
    (group,) = ingest_fetched(empty_wh, [fetch_inbox(account, "AG01", tmp_path / "r1", clock=ticking())],
                              dt.date(2026, 11, 25))
    deliver_acks(account, "AG01", group["items"])
    ack_file = f"{Path(NAME).stem}.ack.json"
    (account.root / "outbox" / "acks" / ack_file).unlink()  # the agency took it away

    (entry,) = deliver_acks(account, "AG01", open_deliveries(empty_wh))
    assert not entry["delivered"] and entry["note"] == (
        f"delivery never recorded; {ack_file} not on the account: left open")
    assert record_deliveries(empty_wh, [[entry]]) == {"files": 0, "logged": 0}
    assert _open_rows(empty_wh) == [(NAME, True)]


def test_an_open_delivery_of_an_agency_no_longer_configured_is_left_open_and_logged(
    account: FolderAccount, empty_wh: Warehouse, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """AG01 was removed from the configuration while one of its files' deliveries was open: the next
    run offers no delivery for it (there is no account to deliver to: the delivery task would fail every
    hour), logs it, and leaves the row open for the day the agency comes back."""
    account.drop(NAME, b"dossier_id;payment_id\n")
    ingest_fetched(empty_wh, [fetch_inbox(account, "AG01", tmp_path / "r1", clock=ticking())],
                   dt.date(2026, 11, 25))  # ... and the process dies before step C
    with caplog.at_level("WARNING"):
        assert ingest_fetched(empty_wh, [[]], dt.date(2026, 11, 26), agencies={"AG02"}) == []
    assert f"AG01 {NAME}" in caplog.text and "no longer configured: left open" in caplog.text
    assert _open_rows(empty_wh) == [(NAME, True)]
    (item,) = open_deliveries(empty_wh, agencies={"AG01", "AG02"})  # configured again: offered
    assert (item["agency"], item["file_name"], item["open_delivery"]) == ("AG01", NAME, True)
