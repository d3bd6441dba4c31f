"""The judge's memory read from the warehouse: :class:`WarehouseReturnHistory`.

Same semantics as :class:`~recouvra.returns.history.InMemoryReturnHistory`, with the warehouse as the
memory instead of dictionaries:

- ``file_seen``: ``core.return_file`` holds a row of the agency with this sha256 that was judged on its
  rows (no file-level error: ACCEPTED, PARTIAL, REJECTED row by row, or itself DUPLICATE). A file
  rejected whole loaded nothing, so its bytes are not remembered;
- ``sha256_for_name``: the sha256 of the *first* row of the agency under that name, leaving out rows
  whose name was refused (F001): first delivery wins, a later other content is F007;
- ``fingerprints``: the content fingerprint of each *accepted* record, recomputed from the record
  tables (``core.agency_action``, ``agency_contact_update``, ``agency_payment``, ``agency_plan``,
  ``agency_closure``) by rebuilding the judge's typed record, so that the judge's own
  :attr:`~recouvra.returns.records.ReturnRecord.fingerprint` is the one compared. Only the keys of the
  file being judged are read (in chunks of :data:`KEYS_PER_QUERY`), never a whole table.

``remember`` has nothing to do: :func:`recouvra.ingest.ingest_file` writes the registry row and the
accepted records in the same transaction as the load, which is what the warehouse remembers. Reads go
through the caller's connection, so inside that transaction they see its own uncommitted writes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from recouvra.exchange.values import phone_e164
from recouvra.returns.records import (
    KEY_SEPARATOR,
    ActionRecord,
    ClosureRecord,
    ContactRecord,
    ObjectionRecord,
    PaymentRecord,
    PlanRecord,
    ReturnRecord,
)
from recouvra.sqlfiles import query

if TYPE_CHECKING:
    from collections.abc import Collection, Mapping

    from recouvra.returns.history import Judged
    from recouvra.warehouse import Warehouse

#: Most keys bound in one ``IN (...)`` list (well under PostgreSQL's 65,535 parameters).
KEYS_PER_QUERY = 1_000


def _action(r: tuple[Any, ...]) -> ReturnRecord:
    return ActionRecord(line_no=0, dossier_id=r[0], action_id=r[1], action_date=r[2], action_type=r[3],
                        outcome=r[4], promise_amount=r[5], promise_date=r[6], comment=r[7])


def _contact(r: tuple[Any, ...]) -> ReturnRecord:
    # The judge's record holds PHONE values in E.164 and every other value as sent; the table keeps
    # the value as sent (``value``), so the E.164 form is derived again the same way.
    field, sent = r[2], r[3]
    value = (phone_e164(sent) or sent) if field == "PHONE" else sent
    return ContactRecord(line_no=0, dossier_id=r[0], update_id=r[1], field=field, value=value,
                         observed_date=r[4], evidence=r[5])


def _payment(r: tuple[Any, ...]) -> ReturnRecord:
    return PaymentRecord(line_no=0, dossier_id=r[0], payment_id=r[1], payment_date=r[2], amount=r[3],
                         channel=r[4], receipt_ref=r[5])


def _plan(r: tuple[Any, ...]) -> ReturnRecord:
    return PlanRecord(line_no=0, dossier_id=r[0], plan_id=r[1], request_date=r[2], installments=int(r[3]),
                      first_due_date=r[4], total_amount=r[5], status=r[6])


def _closure(r: tuple[Any, ...]) -> ReturnRecord:
    return ClosureRecord(line_no=0, dossier_id=r[0], closure_id=r[1], closure_date=r[2], reason=r[3],
                         comment=r[4])


def _objection(r: tuple[Any, ...]) -> ReturnRecord:
    return ObjectionRecord(line_no=0, dossier_id=r[0], objection_id=r[1], objection_date=r[2],
                           evidence_type=r[3], evidence_amount=r[4], evidence_date=r[5], evidence_ref=r[6],
                           comment=r[7])


#: Per return type: the query reading its record table by id (include/sql/returns/, columns in the
#: builder's order) and the builder of the judge's typed record from one row.
RECORD_TABLES: dict[str, tuple[str, Any]] = {
    "ACTIONS": ("returns/select_action_records", _action),
    "CONTACTS": ("returns/select_contact_records", _contact),
    "PAYMENTS": ("returns/select_payment_records", _payment),
    "PLANS": ("returns/select_plan_records", _plan),
    "CLOSURES": ("returns/select_closure_records", _closure),
    "OBJECTIONS": ("returns/select_objection_records", _objection),
}


class WarehouseReturnHistory:
    """A :class:`~recouvra.returns.history.ReturnHistory` read from the warehouse (see the module doc)."""

    def __init__(self, wh: Warehouse) -> None:
        self.wh = wh

    def file_seen(self, agency: str, sha256: str) -> bool:
        rows = self.wh.query(query("returns/count_judged_files"), [agency, sha256.lower()])
        return bool(rows[0][0])

    def sha256_for_name(self, agency: str, file_name: str) -> str | None:
        rows = self.wh.query(query("returns/select_first_sha256_for_name"), [agency, file_name])
        return str(rows[0][0]) if rows else None

    def fingerprints(self, agency: str, record_type: str, keys: Collection[str]) -> Mapping[str, str]:
        if record_type not in RECORD_TABLES or not keys:
            return {}
        name, build = RECORD_TABLES[record_type]
        # PLANS keys are plan_id#status: read by plan_id, keep the keys asked for.
        wanted = set(keys)
        ids = sorted({k.rsplit(KEY_SEPARATOR, 1)[0] if record_type == "PLANS" else k for k in wanted})
        found: dict[str, str] = {}
        for start in range(0, len(ids), KEYS_PER_QUERY):
            chunk = ids[start : start + KEYS_PER_QUERY]
            marks = ", ".join("?" for _ in chunk)
            rows = self.wh.query(query(name, marks=marks), [agency, *chunk])
            for row in rows:
                record = build(row)
                if record.key in wanted:
                    found[record.key] = record.fingerprint
        return found

    def remember(self, judgement: Judged) -> None:
        """Nothing to do: the ingestion's own writes, committed with the load, are the memory."""
