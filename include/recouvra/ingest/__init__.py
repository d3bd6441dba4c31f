"""Agency returns into the warehouse: fetch, ingest, acknowledge (agency-exchange/1).

Four steps, shaped for Airflow's dynamic task mapping with a single warehouse writer:

- A :func:`fetch_inbox` (mapped per agency, no warehouse): ``inbox/`` -> local spool
  ``data/inbox/<AGENCY>/<run>/files/`` (:func:`spool_dir`), file and ``.sha256`` sidecar;
- B :func:`ingest_fetched` / :func:`ingest_file` (one task, the only warehouse writer, one transaction
  per file): judge with the shared judge, register in ``core.return_file``, load accepted records,
  quarantine rejects verbatim, update the debtor master (:mod:`recouvra.ingest.master`), write the
  acknowledgement locally (``<run>/acks/``, beside the downloads). One file's failure is recorded in
  its item and stops no other file;
- C :func:`deliver_acks` (mapped per agency, no warehouse): acknowledgement to ``outbox/acks/``
  atomically, THEN the file to ``inbox/processed/``;
- D :func:`record_deliveries` (the warehouse writer): every acknowledgement and rejects file uploaded
  into ``core.publication_log``.

Every received file has its own acknowledgement, never replaced: ``<stem>.ack.json`` for the first
file of a stem, ``<stem>.ack.<n>.json`` for the n-th (:func:`recouvra.ingest.load.ack_number`).

Exactly once: a registry row stays open from B's load until D records C's delivery (``delivered_at``).
A file fetched while a row of the same agency, name and sha256 is open is that upload fetched again:
B loads nothing and regenerates the same acknowledgement from the registry, so a crash between B's
commit and C's move only delays the acknowledgement. So is a copy whose fetch began (A's
``fetched_at``, wall clock) before such a row was closed: two runs at once fetched the upload and the
second ingests its copy after the first delivered it. The same bytes sent again once the fund was done
with the first are a new upload: DUPLICATE, as the contract says, with its own acknowledgement.
``received_at`` is the fund's clock when A fetched the file, never a date the agency's client set.
"""

from __future__ import annotations

from recouvra.ingest.load import (
    IngestError,
    context_from_warehouse,
    ingest_fetched,
    ingest_file,
    ingest_unread,
    open_deliveries,
    stored_acknowledgement,
    write_ack_files,
)
from recouvra.ingest.master import apply_closures, apply_contact_updates
from recouvra.ingest.record import DeliveryRecordError, record_deliveries, summarize
from recouvra.ingest.spool import deliver_acks, fetch_inbox, spool_dir

__all__ = [
    "DeliveryRecordError",
    "IngestError",
    "apply_closures",
    "apply_contact_updates",
    "context_from_warehouse",
    "deliver_acks",
    "fetch_inbox",
    "ingest_fetched",
    "ingest_file",
    "ingest_unread",
    "open_deliveries",
    "record_deliveries",
    "spool_dir",
    "stored_acknowledgement",
    "summarize",
    "write_ack_files",
]
