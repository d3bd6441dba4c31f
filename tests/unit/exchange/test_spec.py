"""The contract as data (agency-exchange/1): return types and their columns, codes in the contract's
order, and the parsing of return-file names and dates."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from recouvra.exchange import spec
from recouvra.exchange.spec import (
    FILE_CODES,
    RETURN_TYPES,
    ROW_CODES,
    Kind,
    Status,
    parse_iso_date,
)

#: The contract's table "columns (required in bold)", written out: (column, required).
CONTRACT_COLUMNS = {
    "ACTIONS": [("dossier_id", True), ("action_id", True), ("action_date", True), ("action_type", True),
                ("outcome", True), ("promise_amount", False), ("promise_date", False), ("comment", False)],
    "CONTACTS": [("dossier_id", True), ("update_id", True), ("field", True), ("value", True),
                 ("observed_date", True), ("evidence", False)],
    "PAYMENTS": [("dossier_id", True), ("payment_id", True), ("payment_date", True), ("amount", True),
                 ("channel", True), ("receipt_ref", False)],
    "PLANS": [("dossier_id", True), ("plan_id", True), ("request_date", True), ("installments", True),
              ("first_due_date", True), ("total_amount", True), ("status", True)],
    "CLOSURES": [("dossier_id", True), ("closure_id", True), ("closure_date", True), ("reason", True),
                 ("comment", False)],
}
#: Additions to agency-exchange/1 (docs/agency-exchange.md): new return types, after the contract's.
ADDED_COLUMNS = {
    "OBJECTIONS": [("dossier_id", True), ("objection_id", True), ("objection_date", True),
                   ("evidence_type", True), ("evidence_ref", False), ("evidence_amount", True),
                   ("evidence_date", True), ("comment", False)],
}


def test_return_types_have_the_contracts_columns_in_its_order() -> None:
    assert list(RETURN_TYPES) == list(CONTRACT_COLUMNS) + list(ADDED_COLUMNS)
    for name, columns in {**CONTRACT_COLUMNS, **ADDED_COLUMNS}.items():
        rtype = RETURN_TYPES[name]
        assert rtype.name == name
        assert rtype.column_names == tuple(c for c, _ in columns)
        assert rtype.required == tuple(c for c, required in columns if required)


def test_ids_and_keys_of_each_return_type() -> None:
    assert {n: (t.id_column, t.key_columns) for n, t in RETURN_TYPES.items()} == {
        "ACTIONS": ("action_id", ("action_id",)),
        "CONTACTS": ("update_id", ("update_id",)),
        "PAYMENTS": ("payment_id", ("payment_id",)),
        "PLANS": ("plan_id", ("plan_id", "status")),
        "CLOSURES": ("closure_id", ("closure_id",)),
        "OBJECTIONS": ("objection_id", ("objection_id",)),
    }


def test_event_dates_are_the_ones_that_cannot_lie_ahead() -> None:
    events = {n: [c.name for c in t.columns if c.kind is Kind.EVENT_DATE] for n, t in RETURN_TYPES.items()}
    assert events == {"ACTIONS": ["action_date"], "CONTACTS": ["observed_date"],
                      "PAYMENTS": ["payment_date"], "PLANS": ["request_date"], "CLOSURES": ["closure_date"],
                      "OBJECTIONS": ["objection_date"]}
    assert RETURN_TYPES["ACTIONS"].column("promise_date").kind is Kind.DATE
    assert RETURN_TYPES["PLANS"].column("first_due_date").kind is Kind.DATE


def test_coded_columns_carry_the_contracts_codes() -> None:
    assert RETURN_TYPES["PAYMENTS"].column("channel").codes == {
        "BANK_TRANSFER", "CHEQUE", "FUND_COUNTER", "ONLINE"}
    assert RETURN_TYPES["PLANS"].column("status").codes == {"REQUESTED", "SIGNED"}
    assert RETURN_TYPES["CLOSURES"].column("reason").codes == {
        "PAID_IN_FULL", "INSOLVENT", "CEASED_NO_ASSETS", "UNREACHABLE", "DISPUTED", "OTHER"}
    assert RETURN_TYPES["CONTACTS"].column("field").codes == {
        "ADDRESS", "CITY", "PHONE", "EMAIL", "LEGAL_REP", "ACTIVITY_STATUS", "ASSET"}
    assert len(RETURN_TYPES["ACTIONS"].column("action_type").codes) == 7
    assert len(RETURN_TYPES["ACTIONS"].column("outcome").codes) == 11
    assert spec.PROMISE_TO_PAY in RETURN_TYPES["ACTIONS"].column("outcome").codes


def test_an_unknown_column_is_a_key_error() -> None:
    with pytest.raises(KeyError):
        RETURN_TYPES["PAYMENTS"].column("note")


def test_codes_are_listed_in_the_order_they_are_checked() -> None:
    assert list(FILE_CODES) == ["F001", "F007", "F005", "F004", "F002", "F008", "F003", "F006"]
    assert list(ROW_CODES) == ["E010", "E007", "E004", "E005", "E006", "E012", "E001", "E002", "E003",
                               "E009", "E013", "E014", "E015", "E016", "E008", "E011"]
    assert [s.value for s in Status] == ["DUPLICATE", "REJECTED", "ACCEPTED", "PARTIAL"]


def test_limits_and_ceilings() -> None:
    assert spec.SPEC == "agency-exchange/1"
    assert spec.MAX_FILE_BYTES == 52_428_800
    assert spec.MAX_CELL_CHARS == 1_000
    assert (spec.INSTALLMENTS_MIN, spec.INSTALLMENTS_MAX) == (2, 36)
    assert (spec.MAX_COMMISSION_RATE, spec.MAX_COMMISSION_CAP) == (Decimal("0.03"), Decimal("30000.00"))
    assert spec.TIMEZONE == "Africa/Casablanca"


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("2026-11-25", dt.date(2026, 11, 25)),
        ("2024-02-29", dt.date(2024, 2, 29)),
        ("2023-02-29", None),
        ("2026-11-31", None),
        ("2026-1-25", None),
        ("20261125", None),
        ("2026-11-25 ", None),
        ("2026-11-25T00:00", None),
        ("٢٠٢٦-١١-٢٥", None),  # Arabic-Indic digits are not the contract's digits
        ("", None),
    ],
)
def test_parse_iso_date_only_takes_real_yyyy_mm_dd(text: str, day: dt.date | None) -> None:
    assert parse_iso_date(text) == day


def test_the_funds_files_have_the_columns_the_agency_guide_shows() -> None:
    """docs/agency-exchange.md shows each of the fund's files by its header line: the code writes those."""
    guide = (Path(__file__).resolve().parents[3] / "docs" / "agency-exchange.md").read_text(encoding="utf-8")
    headers = {line for line in guide.splitlines() if line.startswith("dossier_id;")}
    for columns in (spec.ASSIGNMENT_COLUMNS, spec.DETAIL_COLUMNS, spec.RECALL_COLUMNS, spec.PAYMENTS_COLUMNS,
                    spec.COMMISSION_COLUMNS, spec.UPDATE_COLUMNS, spec.RECALL_NOTICE_COLUMNS):
        assert ";".join(columns) in headers, columns
    assert spec.SEGMENTS == {"FRESH", "UNPAID_TITLE"}
    assert spec.DETAIL_KINDS == ("PRINCIPAL", "SURCHARGE", "PENALTY")


def test_the_agency_home_folders() -> None:
    from recouvra.exchange import names

    assert names.HOME_FOLDERS == ("outbox", "outbox/acks", "inbox", "inbox/processed")
    assert all(f.startswith((names.OUTBOX, names.INBOX)) for f in names.HOME_FOLDERS)
