"""What a simulated agency knows and does: its dossiers (from the fund's files) and its planned events.

Plain frozen dataclasses, no I/O: the behaviour functions (:mod:`recouvra.standins.simulator.behaviour`) and
the file builder (:mod:`recouvra.standins.simulator.emit`) work on them, so the unit tests need no server.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

#: Simulator ledger entries get ids from here up; the generator's ids stay far below (chunk x 1e8).
LEDGER_ID_BASE = 900_000_000_000_000_000
CENT = Decimal("0.01")
#: The five return-file types, in the order a weekly batch is sent.
RETURN_TYPE_ORDER: tuple[str, ...] = ("ACTIONS", "CONTACTS", "PLANS", "PAYMENTS", "CLOSURES", "OBJECTIONS")


@dataclass(frozen=True)
class DossierFacts:
    """One dossier as the agency received it: the assignment row, its detail months, any recall."""

    dossier_id: str
    agency: str
    affiliation_no: str
    debtor_name: str
    total_due: Decimal
    assignment_start: dt.date
    assignment_end: dt.date
    #: (period ``YYYY-MM``, amount due over every kind), oldest first; they sum to ``total_due``.
    periods: tuple[tuple[str, Decimal], ...]
    city: str = ""
    address: str = ""
    phone: str = ""
    email: str = ""
    legal_rep_name: str = ""
    recall_date: dt.date | None = None
    #: The dossier's payment reference from the assignment file ("" when the file has no such column).
    payment_ref: str = ""

    @property
    def number(self) -> int:
        """The dossier id's digits (``D202611-000123`` -> 202611000123): the seed of its ledger ids."""
        return int("".join(ch for ch in self.dossier_id if ch.isdigit()) or 0)


@dataclass(frozen=True)
class PlannedPayment:
    """A payment the debtor makes, as the ledger holds it and as the agency reports it.

    ``fate`` says what the fund's ledger does with it: ``OK`` (recorded as paid), ``MISSING`` (never
    received), ``REVERSED`` (recorded, then reversed ``reversal_days`` later). The agency may report
    a lower amount (``reported_amount``) or another day (``reported_date``) than the ledger's.
    """

    period: str
    amount: Decimal
    paid_on: dt.date
    channel: str
    fate: str = "OK"
    reversal_days: int = 0
    recorded_delay_days: int = 0
    recorded_second: int = 36_000
    amount_shortfall: Decimal = Decimal("0")
    date_shift_days: int = 0
    with_receipt: bool = True
    #: The payment reference the debtor quotes to the fund (its ledger row's ``payment_ref``), as
    #: quoted: the dossier's, printed or compact, sometimes mistyped; "" when none is quoted.
    quoted_ref: str = ""


@dataclass(frozen=True)
class ReturnEvent:
    """One record the agency will report: its type, its own id, the event day and its cells.

    ``payment`` is set for PAYMENTS records: the cells ``amount``, ``payment_date`` and
    ``receipt_ref`` are then computed when the record is sent (the amount is capped by what is
    still owed at that moment, see :func:`recouvra.standins.simulator.emit.settle_payment`).
    """

    record_type: str
    record_id: str
    day: dt.date
    dossier_id: str
    cells: tuple[tuple[str, str], ...]
    payment: PlannedPayment | None = None
    seq_in_dossier: int = 0

    def cell(self, column: str) -> str:
        return dict(self.cells).get(column, "")


@dataclass(frozen=True)
class DossierPlan:
    """Everything one dossier's debtor and agency do over the assignment window, by day."""

    dossier_id: str
    profile: str
    events: tuple[ReturnEvent, ...]


@dataclass(frozen=True)
class LedgerRow:
    """One row for the fund's ``ledger_payments`` (amount in centimes, negative for a REVERSAL)."""

    payment_id: int
    receipt_no: str
    affiliation_no: str
    payment_date: dt.date
    amount_centimes: int
    settles_period: str
    kind: str
    reverses_payment_id: int | None
    channel: str
    recorded_at: dt.datetime
    payment_ref: str | None = None

    def as_dict(self) -> dict[str, object]:
        return {
            "payment_id": self.payment_id,
            "receipt_no": self.receipt_no,
            "affiliation_no": self.affiliation_no,
            "payment_date": self.payment_date.isoformat(),
            "amount_centimes": self.amount_centimes,
            "settles_period": self.settles_period,
            "kind": self.kind,
            "reverses_payment_id": self.reverses_payment_id,
            "channel": self.channel,
            "recorded_at": self.recorded_at.isoformat(sep=" "),
            "payment_ref": self.payment_ref,
        }

    @classmethod
    def from_dict(cls, d: dict[str, object]) -> LedgerRow:
        rev = d.get("reverses_payment_id")
        return cls(
            payment_id=int(str(d["payment_id"])),
            receipt_no=str(d["receipt_no"]),
            affiliation_no=str(d["affiliation_no"]),
            payment_date=dt.date.fromisoformat(str(d["payment_date"])),
            amount_centimes=int(str(d["amount_centimes"])),
            settles_period=str(d["settles_period"]),
            kind=str(d["kind"]),
            reverses_payment_id=None if rev is None else int(str(rev)),
            channel=str(d["channel"]),
            recorded_at=dt.datetime.fromisoformat(str(d["recorded_at"])),
            payment_ref=None if d.get("payment_ref") is None else str(d["payment_ref"]),
        )


@dataclass(frozen=True)
class OutgoingFile:
    """A return file ready to upload: its name, bytes, optional sidecar, and why it looks as it does.

    ``intent`` is ``VALID``, ``ROWS_MALFORMED`` (some rows built to be rejected), ``CORRECTION``
    (a corrected re-send), or the file-level fault built in (``F001``..``F008``, ``DUPLICATE``).
    """

    name: str
    data: bytes
    record_type: str
    file_date: dt.date
    intent: str = "VALID"
    sidecar: bytes | None = None
    rows: int = 0
    malformed_rows: int = 0
    malformed_codes: tuple[str, ...] = ()


@dataclass
class Notices:
    """What the fund's weekly payments files told the agency about payments from elsewhere.

    ``paid``: net amount by (dossier_id, period) of ledger entries the simulator did not write;
    ``fully_paid_on``: for a dossier those entries settle entirely, the day they did.
    """

    paid: dict[tuple[str, str], Decimal] = field(default_factory=dict)
    fully_paid_on: dict[str, dt.date] = field(default_factory=dict)
    #: Recall notices still open to an objection, by dossier: (day of the notice file, intended recall
    #: date, objection deadline, what the dossier owed at the notice).
    recall_notices: dict[str, tuple[dt.date, dt.date, dt.date, Decimal]] = field(default_factory=dict)
