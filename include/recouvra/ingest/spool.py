"""Steps A and C of the ingestion, one agency's SFTP account each (mapped per agency), no warehouse.

A, :func:`fetch_inbox`: list the complete files of ``inbox/`` (``.part`` files are skipped by the
client), download each return file, and its ``.sha256`` sidecar when one is there, into the local
spool ``data/inbox/<AGENCY>/<run>/files/`` (:func:`spool_dir`; step B writes the acknowledgements in
``<run>/acks/``: no name an agency gives a file can reach the other folder, not even ``acks``). Each
item says where the file came from, its size, remote modification time, sha256 and ``received_at``:
when the fund fetched it, by the fund's clock. The modification time is the agency's to set
(``put -p`` keeps the date of the agency's own disk): it dates nothing; step C compares it to see
whether the file was replaced since it was fetched.
A file larger than the contract's 50 MiB is not downloaded (nor its sidecar): its item has no
``local_path``, its ``received_at`` is when the fund listed it and left it there, and step B answers
it F005 from the size the listing gave, so neither the spool's disk nor the ingestion's memory grows
with it. Nor is a sidecar above 4 KiB downloaded: a line saying so stands for it in the spool, and
the judge answers F004. Each item also says when the fetch began by the wall clock (``fetched_at``, the
moment before ``inbox/`` was listed, whatever the run's clock): the registry compares it with when the
fund was done with an upload (``delivered_at``, wall clock too), so that a copy fetched by another run
at once, before the first delivered it, is told from the same bytes sent again later.

C, :func:`deliver_acks`: for each file step B ingested, upload its rejects file (when any) then its
acknowledgement to ``outbox/acks/``, under the names B gave them (``<stem>.ack.json``, or
``<stem>.ack.<n>.json`` for the n-th file of a stem: each file its own, none ever replaced), each
atomically (``.part`` then rename, verified), THEN move the file, then its sidecar, to
``inbox/processed/``. What went up is returned for :func:`recouvra.ingest.record_deliveries`. A crash
anywhere in C leaves the file in ``inbox/``: the next run fetches it again, step B replays it (same
acknowledgement) and C finishes.
A file the agency replaced after step A fetched it is acknowledged (its first content was loaded)
but not moved: its new content is judged by the next run.
"""

from __future__ import annotations

import datetime as dt
import logging
import posixpath
from pathlib import Path
from typing import TYPE_CHECKING, Any

from recouvra.exchange.names import ACKS, INBOX, NAME_MAX_BYTES, PROCESSED, SIDECAR_SUFFIX, fit_name
from recouvra.exchange.spec import MAX_FILE_BYTES, format_timestamp
from recouvra.returns.judge import SIDECAR_MAX_BYTES, sidecar_not_read

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping

    from recouvra.sftp.client import RemoteFile, SftpClient

log = logging.getLogger(__name__)

#: The folder of a run's spool that holds the files downloaded from ``inbox/`` (and their sidecars);
#: the acknowledgements go beside it (:data:`recouvra.ingest.load.ACKS_FOLDER`), never among them.
FILES_FOLDER = "files"


def spool_dir(root: Path, agency: str, run: str) -> Path:
    """The local spool of one agency and run: ``<root>/<AGENCY>/<run>`` (``root`` = ``data/inbox``).

    ``run`` is the Airflow run id or any label; characters unfit for a folder name are replaced.
    """
    safe = "".join(c if c.isalnum() or c in "-_.+" else "_" for c in run)
    return Path(root) / agency / safe


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def fetch_inbox(
    client: SftpClient,
    agency: str,
    local_dir: Path,
    *,
    clock: Callable[[], dt.datetime] = _utc_now,
    max_bytes: int = MAX_FILE_BYTES,
    wall_clock: Callable[[], dt.datetime] = _utc_now,
) -> list[dict[str, Any]]:
    """Step A: download the complete return files of ``inbox/`` (and their sidecars) to ``local_dir``.

    Returns one JSON-ready item per file, in name order: ``agency, file_name, remote_path, size,
    mtime, received_at, fetched_at, sha256, local_path, sidecar_remote, sidecar_path, spool_dir``; the
    files are downloaded into ``local_dir/files/`` (``spool_dir`` is ``local_dir``); ``received_at`` is
    the fund's ``clock`` (UTC, ISO 8601 as read: acknowledgements show it to the second) when the file's
    download completed; ``fetched_at`` the ``wall_clock`` (UTC, ISO 8601) just before ``inbox/`` was
    listed, the same for every item: each copy was in ``inbox/`` after it. A file above ``max_bytes``
    (the contract's limit) is left on the server: ``sha256``, ``local_path`` and ``sidecar_path`` are
    None, ``size`` is the listing's and ``received_at`` the fund's clock when it was listed and left
    there (never the remote ``mtime``, which is kept: step C compares it). A sidecar whose file is not
    in ``inbox/`` is left alone (its file may still be on its way). Raises the client's
    :class:`~recouvra.sftp.errors.SftpError` when the account cannot be read: that agency's task
    fails, no other's.
    """
    local_dir = Path(local_dir)
    files_dir = local_dir / FILES_FOLDER
    files_dir.mkdir(parents=True, exist_ok=True)
    fetched_at = wall_clock().astimezone(dt.UTC).isoformat()
    entries = client.list_ready(INBOX)
    by_name = {e.name: e for e in entries}
    items: list[dict[str, Any]] = []
    for entry in entries:
        if entry.name.endswith(SIDECAR_SUFFIX):
            if entry.name.removesuffix(SIDECAR_SUFFIX) not in by_name:
                log.info("%s: sidecar %s has no file in inbox/ yet; left alone", agency, entry.name)
            continue
        local = files_dir / entry.name
        sidecar = by_name.get(entry.name + SIDECAR_SUFFIX)
        local_sidecar = files_dir / (entry.name + SIDECAR_SUFFIX)
        if entry.size > max_bytes:
            log.warning("%s: %s is %s bytes, above the %s accepted: not downloaded (F005)", agency,
                        entry.name, f"{entry.size:,}", f"{max_bytes:,}")
            for stale in (local, local_sidecar):  # from an earlier attempt into the same spool
                _discard(stale)
            size, sha256, local_path, sidecar_path = entry.size, None, None, None
            received_at = clock().astimezone(dt.UTC).isoformat()
        else:
            got = client.download(entry.path, local)
            received_at = clock().astimezone(dt.UTC).isoformat()
            if sidecar is not None and sidecar.size > SIDECAR_MAX_BYTES:  # not read: F004 says so
                local_sidecar.write_bytes(sidecar_not_read(sidecar.size))
            elif sidecar is not None:
                client.download(sidecar.path, local_sidecar)
            else:
                _discard(local_sidecar)  # from an earlier attempt into the same spool
            size, sha256, local_path = got.size, got.sha256, str(local)
            sidecar_path = str(local_sidecar) if sidecar is not None else None
        items.append({
            "agency": agency,
            "file_name": entry.name,
            "remote_path": entry.path,
            "size": size,
            "mtime": entry.mtime,
            "received_at": received_at,
            "fetched_at": fetched_at,
            "sha256": sha256,
            "local_path": local_path,
            "sidecar_remote": sidecar.path if sidecar is not None else None,
            "sidecar_path": sidecar_path,
            "spool_dir": str(local_dir),
        })
    log.info("%s: %d file(s) fetched from inbox/ into %s", agency, len(items), local_dir)
    return items


def _discard(path: Path) -> None:
    """Remove a spool file left by an earlier attempt; a name too long to be a file is none (the
    sidecar of a file whose name already takes 249 bytes or more cannot exist)."""
    if len(path.name.encode("utf-8", "surrogateescape")) <= NAME_MAX_BYTES:
        path.unlink(missing_ok=True)


def _now() -> str:
    """The fund's clock, UTC to the second, as ``core.publication_log`` records publications."""
    return format_timestamp(dt.datetime.now(dt.UTC))


def _free_name(name: str, taken: set[str], received_at: str) -> str:
    """``name``, or ``name.<received stamp>`` when ``inbox/processed/`` already holds one of that name
    (an earlier file is evidence: never overwritten). A stamped name that would not be a file name
    with its sidecar's ``.sha256`` is cut and marked (:func:`recouvra.exchange.names.fit_name`)."""
    if name not in taken:
        return name
    stamp = dt.datetime.fromisoformat(received_at).astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    room = len(SIDECAR_SUFFIX)
    candidate, n = fit_name(name, f".{stamp}", room=room), 1
    while candidate in taken:
        n += 1
        candidate = fit_name(name, f".{stamp}.{n}", room=room)
    return candidate


def deliver_acks(client: SftpClient, agency: str, items: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Step C: upload the acknowledgements of ``agency``'s ingested files, then move the files away.

    ``items`` are step B's results for this agency; an item with an ``error`` is skipped (its file
    stays in ``inbox/`` and is tried again next run). Returns per item: ``file_name``, ``delivered``
    (ack uploaded), ``moved_to`` (or None), a ``note``, and for a delivered file its ``status``,
    ``return_file_id``, ``published``: the acknowledgement files uploaded (name, type ``ACK`` or
    ``REJECTS``, remote path, sha256, rows, when), for ``core.publication_log``, and ``done_at`` (the
    wall clock, UTC, ISO 8601 to the microsecond, as ``fetched_at``): from then on the file's upload
    is over (moved now, moved by an earlier attempt, or replaced by the agency since it was fetched),
    so the same name and bytes in ``inbox/`` fetched later are a new upload.
    SFTP failures raise (this agency's task fails; a retry is safe: an upload replaces a file of the
    same name, which only this file's own acknowledgement can have; a file already moved is not moved
    again).
    """
    items = [dict(i) for i in items]
    if not items:
        return []
    inbox = {f.name: f for f in client.list_ready(INBOX)}
    processed = {f.name for f in client.list_ready(PROCESSED)}
    report: list[dict[str, Any]] = []
    acks: dict[str, RemoteFile] | None = None
    for item in items:
        name = item["file_name"]
        if item.get("agency", agency) != agency:
            raise ValueError(f"item of agency {item.get('agency')} given to the delivery of {agency}")
        if item.get("open_delivery"):
            if acks is None:
                acks = {f.name: f for f in client.list_ready(ACKS)}
            report.append(_open_delivery(client, agency, item, name in inbox, acks))
            continue
        if item.get("error") or not item.get("ack_path"):
            report.append({"agency": agency, "file_name": name, "delivered": False, "moved_to": None,
                           "note": f"not ingested: {item.get('error') or 'no acknowledgement'}"})
            continue
        published = []
        for local, file_type, rows in ((item.get("rejects_path"), "REJECTS", item.get("rows_rejected")),
                                       (item["ack_path"], "ACK", 0)):
            if local:
                sent = client.upload_atomic(Path(local), posixpath.join(ACKS, Path(local).name))
                published.append({"file_name": Path(local).name, "file_type": file_type,
                                  "remote_path": sent.path, "sha256": sent.sha256, "rows": int(rows or 0),
                                  "published_at": _now()})
        remote = inbox.get(name)
        moved_to: str | None = None
        if remote is None:
            note = "acknowledged; file already moved by an earlier attempt"
        elif (remote.size, remote.mtime) != (item.get("size"), item.get("mtime")):
            note = "acknowledged; the file was replaced since it was fetched: left in inbox/ for the next run"
        else:
            target = _free_name(name, processed, item["received_at"])
            sidecar = inbox.get(name + SIDECAR_SUFFIX) if item.get("sidecar_remote") else None
            # The file first, then its sidecar: while the file is in inbox/, so is its sidecar.
            moved_to = posixpath.join(PROCESSED, target)
            client.move(remote.path, moved_to)
            processed.add(target)
            if sidecar is not None:
                side_target = target + SIDECAR_SUFFIX
                client.move(sidecar.path, posixpath.join(PROCESSED, side_target))
                processed.add(side_target)
            note = "acknowledged and moved"
        report.append({"agency": agency, "file_name": name, "delivered": True, "moved_to": moved_to,
                       "note": note, "status": item.get("status"),
                       "return_file_id": item.get("return_file_id"), "published": published,
                       "done_at": dt.datetime.now(dt.UTC).isoformat()})
        log.info("%s %s: %s (%s)", agency, name, note, item.get("status"))
    return report


def _open_delivery(client: SftpClient, agency: str, item: Mapping[str, Any], in_inbox: bool,
                   acks: Mapping[str, RemoteFile]) -> dict[str, Any]:
    """An earlier run's file whose delivery was never recorded (:func:`recouvra.ingest.open_deliveries`):
    reported delivered, for the recording step, when its acknowledgement (and rejects file) are on the
    account and the file has left ``inbox/``; each is read back for its sha256 (the bytes uploaded
    then; ``published_at`` its modification time). Left open otherwise: a file still in ``inbox/`` is
    fetched and its acknowledgement replayed by the next run."""
    import tempfile

    name = item["file_name"]
    base = {"agency": agency, "file_name": name, "moved_to": None, "status": item.get("status"),
            "return_file_id": item.get("return_file_id")}
    if in_inbox:
        return {**base, "delivered": False, "note": "open upload still in inbox/: the next run fetches it "
                                                    "and replays its acknowledgement"}
    wanted = [(item.get("rejects_file_name"), "REJECTS", item.get("rows_rejected")),
              (item["ack_file_name"], "ACK", 0)]
    missing = [f for f, _, _ in wanted if f and f not in acks]
    if missing:
        log.warning("%s %s: delivery never recorded and %s not in %s/: left open", agency, name,
                    ", ".join(missing), ACKS)
        return {**base, "delivered": False,
                "note": f"delivery never recorded; {', '.join(missing)} not on the account: left open"}
    published = []
    with tempfile.TemporaryDirectory(prefix="recouvra-ack-") as tmp:
        for file_name, file_type, rows in wanted:
            if file_name:
                remote = acks[file_name]
                read = client.download(remote.path, Path(tmp) / file_name)
                uploaded = dt.datetime.fromtimestamp(remote.mtime, dt.UTC)
                published.append({"file_name": file_name, "file_type": file_type, "remote_path": remote.path,
                                  "sha256": read.sha256, "rows": int(rows or 0),
                                  "published_at": format_timestamp(uploaded)})
    log.info("%s %s: acknowledged by an earlier run, its delivery recorded now", agency, name)
    return {**base, "delivered": True, "published": published,
            "note": "acknowledged and moved by an earlier run; its delivery recorded now",
            "done_at": dt.datetime.now(dt.UTC).isoformat()}
