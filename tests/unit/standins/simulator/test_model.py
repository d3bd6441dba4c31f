"""The simulator's plain records (recouvra.standins.simulator.model): dossier numbers, ledger rows to and
from their dictionaries, cells of a return event."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from recouvra.standins.simulator.model import (
    LEDGER_ID_BASE,
    RETURN_TYPE_ORDER,
    DossierFacts,
    LedgerRow,
    ReturnEvent,
)


def _facts(dossier_id: str) -> DossierFacts:
    return DossierFacts(dossier_id, "AG01", "1000001", "Atlas", Decimal("10.00"), dt.date(2026, 11, 1),
                        dt.date(2027, 4, 30), (("2026-08", Decimal("10.00")),))


def test_a_dossier_number_is_its_digits() -> None:
    assert _facts("D202611-000123").number == 202611000123
    assert _facts("no digits").number == 0


def test_ledger_rows_survive_their_dictionary_as_text() -> None:
    payment = LedgerRow(LEDGER_ID_BASE + 7, "Q202611-S000000000000007", "1000001", dt.date(2026, 11, 20),
                        123_456, "2026-08", "PAYMENT", None, "CHEQUE", dt.datetime(2026, 11, 21, 9, 30, 5),
                        "RF14 2026 1100 0123")
    reversal = LedgerRow(LEDGER_ID_BASE + 507, "Q202612-S000000000000507", "1000001", dt.date(2026, 12, 2),
                         -123_456, "2026-08", "REVERSAL", LEDGER_ID_BASE + 7, "CHEQUE",
                         dt.datetime(2026, 12, 2, 9, 30, 5))
    assert payment.as_dict() == {
        "payment_id": 900_000_000_000_000_007,
        "receipt_no": "Q202611-S000000000000007",
        "affiliation_no": "1000001",
        "payment_date": "2026-11-20",
        "amount_centimes": 123_456,
        "settles_period": "2026-08",
        "kind": "PAYMENT",
        "reverses_payment_id": None,
        "channel": "CHEQUE",
        "recorded_at": "2026-11-21 09:30:05",
        "payment_ref": "RF14 2026 1100 0123",
    }
    for row in (payment, reversal):
        assert LedgerRow.from_dict(row.as_dict()) == row
    # a state written before payment references read back: nothing quoted
    before = {k: v for k, v in reversal.as_dict().items() if k != "payment_ref"}
    assert LedgerRow.from_dict(before) == reversal and reversal.payment_ref is None


def test_a_return_event_reads_its_cells_and_the_types_come_in_sending_order() -> None:
    event = ReturnEvent("ACTIONS", "ACT-1", dt.date(2026, 11, 5), "D202611-000001",
                        (("dossier_id", "D202611-000001"), ("outcome", "NO_ANSWER")))
    assert event.cell("outcome") == "NO_ANSWER" and event.cell("comment") == ""
    assert RETURN_TYPE_ORDER == ("ACTIONS", "CONTACTS", "PLANS", "PAYMENTS", "CLOSURES", "OBJECTIONS")
