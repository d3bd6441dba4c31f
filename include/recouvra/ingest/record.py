"""Step D of the ingestion, the single warehouse writer again: record what step C put on the agencies'
accounts.

:func:`record_deliveries` writes one ``core.publication_log`` row per acknowledgement and rejects file
uploaded to ``outbox/acks/`` (the table's promise: every file the fund wrote to an agency's account),
type ``ACK`` or ``REJECTS``, ``period_label`` the stem of the file acknowledged, ``seq`` the number of
a numbered acknowledgement (NULL for the contract's ``<stem>.ack.json``). Each file has its own names
(:func:`recouvra.ingest.load.ack_number`), so a row is never another file's; the same upload delivered
again (a retry, a replay) has the same bytes and only its ``published_at`` moves.

It also closes each delivered file's upload in ``core.return_file`` (``delivered_at``): the fund is
done with the file in ``inbox/``, so the same name and bytes found there later are a new upload
(DUPLICATE, with its own acknowledgement), not the same one fetched again (replayed).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from recouvra.errors import RecouvraError
from recouvra.exchange.names import ack_name, file_stem, rejects_name
from recouvra.sqlfiles import query

if TYPE_CHECKING:
    from recouvra.warehouse import Warehouse

log = logging.getLogger(__name__)


#: Step C's reports: a list per agency (as mapped tasks return them) or one flat list.
Reports = Iterable[Mapping[str, Any] | Iterable[Mapping[str, Any]]]


class DeliveryRecordError(RecouvraError):
    """What step C reports does not match the registry (a file uploaded under a name that is not its own)."""


def _flatten(delivered: Reports) -> list[Mapping[str, Any]]:
    out: list[Mapping[str, Any]] = []
    for entry in delivered:
        if isinstance(entry, Mapping):
            out.append(entry)
        else:
            out.extend(entry)
    return out


def _utc(text: str) -> dt.datetime:
    """An ISO 8601 time (``...Z`` to the second, or with its offset and microseconds) as naive UTC."""
    moment = dt.datetime.fromisoformat(text)
    return moment.astimezone(dt.UTC).replace(tzinfo=None) if moment.tzinfo else moment


def record_deliveries(wh: Warehouse, delivered: Reports) -> dict[str, int]:
    """Record step C's uploads (:func:`recouvra.ingest.deliver_acks` reports, a list per agency as mapped
    tasks return them, or flat) in one transaction; returns the counts ``files`` (acknowledged files)
    and ``logged`` (publication_log rows written). Raises :class:`DeliveryRecordError`, recording
    nothing, when an uploaded name is not the one the registry gave that file.
    """
    reports = [r for r in _flatten(delivered) if r.get("delivered")]
    files = logged = 0
    with wh.transaction():
        for report in reports:
            rows = wh.query(query("ingest/select_file_ack"), [int(report["return_file_id"])])
            if not rows:
                raise DeliveryRecordError(f"{report['agency']} {report['file_name']}: return_file_id "
                                          f"{report['return_file_id']} is not in core.return_file")
            agency, file_name, ack_file, number = rows[0]
            number = int(number or 1)
            own = {"ACK": ack_name(file_name, number), "REJECTS": rejects_name(file_name, number)}
            if (agency, file_name, own["ACK"]) != (report["agency"], report["file_name"], ack_file):
                raise DeliveryRecordError(f"{report['agency']} {report['file_name']}: the registry holds "
                                          f"{agency} {file_name} acknowledged as {ack_file}")
            for f in report.get("published", ()):
                if f["file_name"] != own[f["file_type"]]:
                    raise DeliveryRecordError(f"{agency} {file_name}: {f['file_name']} uploaded, its "
                                              f"{f['file_type'].lower()} file is {own[f['file_type']]}")
                wh.execute(query("publication/upsert_publication_log"), [
                    agency, f["file_name"], f["file_type"], file_stem(file_name),
                    number if number > 1 else None, f["remote_path"], f["sha256"], int(f["rows"]), None,
                    dt.datetime.strptime(f["published_at"], "%Y-%m-%dT%H:%M:%SZ"),
                ])
                logged += 1
            wh.execute(query("ingest/update_file_delivered"), [_utc(report["done_at"]),
                                                                int(report["return_file_id"])])
            files += 1
    log.info("recorded the acknowledgements of %d file(s): %d publication_log row(s)", files, logged)
    return {"files": files, "logged": logged}


def summarize(
    ingested: Iterable[Mapping[str, Any]], delivered: Reports
) -> tuple[list[str], dict[str, dict[str, int]], list[str]]:
    """The run's report: lines to print (one per delivered file, then one per agency), the counts per
    agency (``files, accepted, rejected, duplicate, errors``) and the errors that fail the run: a file
    not ingested, or an agency whose files were ingested but whose delivery never reported (its task
    failed: the files stay in ``inbox/`` and the next run replays their acknowledgements).
    """
    reports = _flatten(delivered)
    lines = [f"  {d['file_name']}: {d['note']}" for d in reports]
    reported = {d.get("agency") for d in reports}
    summary: dict[str, dict[str, int]] = {}
    errors: list[str] = []
    for group in ingested:
        # an earlier run's file whose delivery is recorded now (open_delivery) was counted by that run
        items = [i for i in group["items"] if not i.get("open_delivery")]
        if any(not i.get("error") for i in items) and group["agency"] not in reported:
            errors.append(f"{group['agency']}: acknowledgements not delivered (deliver_acks failed); "
                          "its files stay in inbox/ for the next run")
        for item in items:
            s = summary.setdefault(item["agency"], {"files": 0, "accepted": 0, "rejected": 0,
                                                    "duplicate": 0, "errors": 0})
            s["files"] += 1
            if item.get("error"):
                s["errors"] += 1
                errors.append(f"{item['agency']} {item['file_name']}: {item['error']}")
                continue
            s["accepted"] += int(item.get("rows_accepted", 0))
            s["rejected"] += int(item.get("rows_rejected", 0))
            s["duplicate"] += int(item.get("rows_duplicate", 0))
    lines += [f"{agency}: {s}" for agency, s in sorted(summary.items())]
    return lines, summary, errors
