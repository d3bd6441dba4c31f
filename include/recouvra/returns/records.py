"""Accepted return records, typed per file type: dates are dates, money is Decimal, phones are E.164.

Each record knows its identity (``key``: the agency's id, plus the status for PLANS) and a content
``fingerprint``: two deliveries of the same id with the same fingerprint are the same record (a
duplicate), with another fingerprint a conflicting one (E011). The fingerprint is computed on the
typed values, so ``100`` and ``100.00``, or ``06 12 34 56 78`` and ``+212612345678``, are the same
content; column order and ignored extra columns do not change it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, fields
from decimal import Decimal
from typing import Any, ClassVar

#: Separates plan_id from status in a PLANS key; status is a code, so the last one splits it back.
KEY_SEPARATOR = "#"


@dataclass(frozen=True, kw_only=True)
class ReturnRecord:
    """What every accepted return record has: where it came from, its dossier and its id."""

    record_type: ClassVar[str] = ""
    id_field: ClassVar[str] = ""

    line_no: int
    dossier_id: str

    @property
    def record_id(self) -> str:
        """The agency's own id of the record (plan_id for PLANS)."""
        return str(getattr(self, self.id_field))

    @property
    def key(self) -> str:
        """Identity of the record within its agency and type (the id; ``plan_id#status`` for PLANS)."""
        return self.record_id

    def content(self) -> dict[str, Any]:
        """The record's values, without its position in the file."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "line_no"}

    @property
    def fingerprint(self) -> str:
        """sha256 of the canonical JSON of :meth:`content`."""
        canonical = json.dumps(self.content(), sort_keys=True, default=_canonical, ensure_ascii=False)
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _canonical(value: object) -> str:
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(type(value).__name__)


@dataclass(frozen=True, kw_only=True)
class ActionRecord(ReturnRecord):
    """A recovery action (call, letter, visit...) and its outcome; a promise to pay carries its terms."""

    record_type: ClassVar[str] = "ACTIONS"
    id_field: ClassVar[str] = "action_id"

    action_id: str
    action_date: dt.date
    action_type: str
    outcome: str
    promise_amount: Decimal | None = None
    promise_date: dt.date | None = None
    comment: str | None = None


@dataclass(frozen=True, kw_only=True)
class ContactRecord(ReturnRecord):
    """A contact detail observed by the agency; PHONE values are stored in E.164."""

    record_type: ClassVar[str] = "CONTACTS"
    id_field: ClassVar[str] = "update_id"

    update_id: str
    field: str
    value: str
    observed_date: dt.date
    evidence: str | None = None


@dataclass(frozen=True, kw_only=True)
class PaymentRecord(ReturnRecord):
    """A payment the agency reports; it earns nothing until the fund's ledger confirms it."""

    record_type: ClassVar[str] = "PAYMENTS"
    id_field: ClassVar[str] = "payment_id"

    payment_id: str
    payment_date: dt.date
    amount: Decimal
    channel: str
    receipt_ref: str | None = None


@dataclass(frozen=True, kw_only=True)
class PlanRecord(ReturnRecord):
    """An instalment plan, sent as REQUESTED then as SIGNED under the same plan_id (two records)."""

    record_type: ClassVar[str] = "PLANS"
    id_field: ClassVar[str] = "plan_id"

    plan_id: str
    request_date: dt.date
    installments: int
    first_due_date: dt.date
    total_amount: Decimal
    status: str

    @property
    def key(self) -> str:
        return f"{self.plan_id}{KEY_SEPARATOR}{self.status}"


@dataclass(frozen=True, kw_only=True)
class ClosureRecord(ReturnRecord):
    """The agency closes its work on a dossier, with a reason."""

    record_type: ClassVar[str] = "CLOSURES"
    id_field: ClassVar[str] = "closure_id"

    closure_id: str
    closure_date: dt.date
    reason: str
    comment: str | None = None


@dataclass(frozen=True, kw_only=True)
class ObjectionRecord(ReturnRecord):
    """The agency objects to a recall notice, with its evidence (addition to agency-exchange/1)."""

    record_type: ClassVar[str] = "OBJECTIONS"
    id_field: ClassVar[str] = "objection_id"

    objection_id: str
    objection_date: dt.date
    evidence_type: str
    evidence_amount: Decimal
    evidence_date: dt.date
    evidence_ref: str | None = None
    comment: str | None = None


RECORD_CLASSES: dict[str, type[ReturnRecord]] = {
    cls.record_type: cls
    for cls in (ActionRecord, ContactRecord, PaymentRecord, PlanRecord, ClosureRecord, ObjectionRecord)
}
