"""What agencies find about debtors, applied to the debtor master (``core.dim_debtor`` + history).

Accepted CONTACTS records are kept in ``core.agency_contact_update`` with their provenance (agency,
``observed_date``, ``evidence``, file and line) and, in the same transaction, applied to the golden
record. Each update that changes it closes the debtor's current ``core.debtor_history`` version and
opens a new one (``change_source = 'AGENCY'``, ``change_ref = '<agency>:<update_id>'``). Survivorship,
field by field:

- the fields fed: ADDRESS -> ``address``, CITY -> ``city`` (canonical spelling, and ``region`` with
  it when the city is known), PHONE -> ``phone_1`` in E.164 (the phone it replaces becomes
  ``phone_2``), EMAIL -> ``email`` (lower case), LEGAL_REP -> ``legal_rep_name``, ACTIVITY_STATUS ->
  ``activity_status``. ASSET records are kept as records only (``NOT_APPLICABLE``): an asset does not
  change the golden record;
- never overwrite with an older observation: an update whose ``observed_date`` is before that of the
  last agency observation applied to the same debtor and field is ``SUPERSEDED`` (same date: the one
  received later wins). Within one file only the newest observation of a debtor's field (the last
  line on a tie) is a candidate, whatever its line; the others are SUPERSEDED;
- a newer agency observation replaces the source value: the fund's extract only wins when it
  *changed* the field (a SOURCE version differing from the one before it) after the agency's
  ``observed_date``. The first SOURCE version is the baseline, older than any agency observation;
- ACTIVITY_STATUS ``UNKNOWN`` tells nothing (``NOT_APPLICABLE``); ``LIQUIDATION`` and ``INSOLVENT``
  are legal states that an agency's ``ACTIVE`` or ``CEASED`` does not lift (``NOT_APPLICABLE``);
- an update equal to the current value is ``APPLIED`` without a new version (it confirms the value
  and dates it for the rules above).

CLOSURES with reason ``INSOLVENT`` or ``CEASED_NO_ASSETS`` set ``activity_status`` to ``INSOLVENT``
or ``CEASED`` (same rules; ``change_ref = '<agency>:<closure_id>'``), which is what keeps the debtor
out of the next selection: the selection must read the *current* ``core.dim_debtor.activity_status``
(excluding ``INSOLVENT``, ``LIQUIDATION`` and ``CEASED``) together with
``core.debtor_portfolio.in_insolvency``; ``core.debtor_portfolio.activity_status`` is a copy taken at
the last debtor-master build and does not see agency findings made since.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from recouvra.debtor_master import GOLDEN_COLUMNS
from recouvra.sqlfiles import query

if TYPE_CHECKING:
    from recouvra.warehouse import Warehouse

log = logging.getLogger(__name__)

#: Golden-record column fed by each CONTACTS field (ASSET feeds none).
FIELD_COLUMNS: dict[str, str] = {
    "ADDRESS": "address",
    "CITY": "city",
    "PHONE": "phone_1",
    "EMAIL": "email",
    "LEGAL_REP": "legal_rep_name",
    "ACTIVITY_STATUS": "activity_status",
}
#: Legal states only the fund's own source (courts, receivers) ends.
LEGAL_STATES = frozenset({"LIQUIDATION", "INSOLVENT"})
#: Activity status a closure reason establishes.
CLOSURE_STATUS: dict[str, str] = {"INSOLVENT": "INSOLVENT", "CEASED_NO_ASSETS": "CEASED"}
HISTORY_COLUMNS = tuple(c for c in GOLDEN_COLUMNS if c != "affiliations_count")
_TICK = dt.timedelta(microseconds=1)
_MAX_MERGE_HOPS = 20


def _squeeze(text: str) -> str:
    return " ".join(text.split())


def normalized_value(field: str, value: str) -> str:
    """The value as the fund stores it: E.164 phone (the judge already gave it), lower-case e-mail,
    canonical city when known, single spaces in free text, codes as sent."""
    if field == "EMAIL":
        return value.strip().lower()
    if field == "CITY":
        known = _city(value)
        return known[0] if known else _squeeze(value)
    if field in ("PHONE", "ACTIVITY_STATUS"):
        return value.strip()
    return _squeeze(value)


def _city(value: str) -> tuple[str, str] | None:
    """(canonical city, region) when the city table knows ``value``."""
    from recouvra.normalize import canonical_city

    info = canonical_city(value)
    return (info.city, info.region) if info else None


def current_debtor(wh: Warehouse, debtor_id: int) -> int:
    """The debtor that stands for ``debtor_id`` now: itself, or the one a merge folded it into."""
    for _ in range(_MAX_MERGE_HOPS):
        rows = wh.query(query("ingest/select_merged_into"), [debtor_id])
        if not rows or rows[0][0] is None:
            return debtor_id
        debtor_id = int(rows[0][0])
    return debtor_id


def write_version(
    wh: Warehouse, debtor_id: int, changes: dict[str, Any], change_ref: str, now: dt.datetime
) -> dt.datetime:
    """Change the golden record of ``debtor_id`` and open its new history version (AGENCY).

    Versions of one debtor opened in the same run get valid_from one microsecond apart, so that the
    key (debtor_id, valid_from) stays unique. Returns the new version's valid_from.
    """
    current = wh.query(query("ingest/select_latest_version_start"), [debtor_id])[0][0]
    valid_from = now if current is None or now > current else current + _TICK
    sets = ", ".join(f"{column} = ?" for column in changes)
    wh.execute(query("ingest/update_golden_record", sets=sets), [*changes.values(), valid_from, debtor_id])
    wh.execute(query("debtor_master/close_current_version"), [valid_from, debtor_id])
    columns = ", ".join(HISTORY_COLUMNS)
    wh.execute(query("ingest/insert_agency_version", columns=columns), [valid_from, change_ref, debtor_id])
    return valid_from


def _golden(wh: Warehouse, debtor_id: int) -> dict[str, Any] | None:
    rows = wh.query(query("ingest/select_golden_record", columns=", ".join(HISTORY_COLUMNS)), [debtor_id])
    return dict(zip(HISTORY_COLUMNS, rows[0], strict=True)) if rows else None


def source_changed_on(wh: Warehouse, debtor_id: int, column: str) -> dt.date | None:
    """The day the fund's extract last *changed* ``column`` of the debtor (its snapshot date), or None.

    The first version is the baseline and gives no date; a SOURCE version counts when its value of
    ``column`` differs from the version before it.
    """
    if column not in HISTORY_COLUMNS:
        raise ValueError(f"not a golden-record column: {column}")
    rows = wh.query(query("ingest/select_column_history", column=column), [debtor_id])
    changed: dt.date | None = None
    for i, (valid_from, source, ref, value) in enumerate(rows):
        if i and source == "SOURCE" and value != rows[i - 1][3]:
            try:
                changed = dt.date.fromisoformat(str(ref))
            except ValueError:
                changed = valid_from.date()
    return changed


def _last_agency_observation(wh: Warehouse, debtor_id: int, field: str) -> dt.date | None:
    """The latest observed_date of an agency finding applied to this debtor and field."""
    found = wh.query(query("ingest/select_last_applied_observation"), [debtor_id, field])[0][0]
    if field == "ACTIVITY_STATUS":
        closed = wh.query(query("ingest/select_last_status_closure"), [debtor_id])[0][0]
        found = max((d for d in (found, closed) if d is not None), default=None)
    return cast("dt.date | None", found)


@dataclass(frozen=True)
class _Decision:
    status: str  # APPLIED, SUPERSEDED, NOT_APPLICABLE
    changes: dict[str, Any]


def _decide(wh: Warehouse, debtor_id: int, field: str, value: str, observed: dt.date) -> _Decision:
    """Whether an agency finding (``field`` = ``value`` seen on ``observed``) wins, and what it changes."""
    if field not in FIELD_COLUMNS:
        return _Decision("NOT_APPLICABLE", {})
    golden = _golden(wh, debtor_id)
    if golden is None:
        return _Decision("NOT_APPLICABLE", {})
    column = FIELD_COLUMNS[field]
    if field == "ACTIVITY_STATUS":
        current = golden["activity_status"]
        if value == "UNKNOWN" or (current in LEGAL_STATES and value not in LEGAL_STATES):
            return _Decision("NOT_APPLICABLE", {})
        if current == "LIQUIDATION" and value == "INSOLVENT":
            return _Decision("NOT_APPLICABLE", {})  # liquidation follows insolvency, not the reverse
    last = _last_agency_observation(wh, debtor_id, field)
    if last is not None and observed < last:
        return _Decision("SUPERSEDED", {})
    source = source_changed_on(wh, debtor_id, column)
    if source is not None and source > observed:
        return _Decision("SUPERSEDED", {})
    changes: dict[str, Any] = {}
    if golden[column] != value:
        changes[column] = value
    if field == "PHONE" and changes:
        old = golden["phone_1"]
        if old is not None and old != value:
            changes["phone_2"] = old
        elif golden["phone_2"] == value:
            changes["phone_2"] = None
    if field == "CITY" and changes:
        known = _city(value)
        if known and known[1] != golden["region"]:
            changes["region"] = known[1]
    return _Decision("APPLIED", changes)


def apply_contact_updates(wh: Warehouse, return_file_id: int, now: dt.datetime) -> dict[str, int]:
    """Apply the PENDING contact updates loaded from one return file; count them by apply_status.

    Called inside the ingestion's transaction, after the file's updates were inserted as PENDING.
    """
    pending = wh.query(query("ingest/select_pending_contact_updates"), [return_file_id])
    # Within the file, the newest observation of a debtor's field (the last line on a tie) is the only
    # candidate; the others are superseded without ever reaching the golden record.
    newest: dict[tuple[int, str], tuple[dt.date, int]] = {}
    for _, _, debtor_id, field, _, observed, line_no in pending:
        key = (int(debtor_id), field)
        newest[key] = max(newest.get(key, (observed, line_no)), (observed, line_no))
    counts: dict[str, int] = {}
    for agency, update_id, debtor_id, field, value, observed, line_no in pending:
        if field in FIELD_COLUMNS and newest[(int(debtor_id), field)] != (observed, line_no):
            decision = _Decision("SUPERSEDED", {})
        else:
            decision = _decide(wh, int(debtor_id), field, value, observed)
        if decision.changes:
            write_version(wh, int(debtor_id), decision.changes, f"{agency}:{update_id}", now)
        wh.execute(
            query("ingest/mark_contact_update"),
            [decision.status, now if decision.status == "APPLIED" else None, agency, update_id],
        )
        counts[decision.status] = counts.get(decision.status, 0) + 1
    if pending:
        log.info("return file %s: contact updates %s", return_file_id, counts)
    return counts


def apply_closures(wh: Warehouse, return_file_id: int, now: dt.datetime) -> int:
    """Carry the closures of one return file that say INSOLVENT or CEASED_NO_ASSETS to the debtor's
    activity_status (the selection's eligibility); return how many changed a golden record.

    Called inside the ingestion's transaction, after the file's closures were inserted (a closure is
    one of the observations it is compared with: an equal date does not supersede it).
    """
    rows = wh.query(query("ingest/select_status_closures"), [return_file_id])
    changed = 0
    for agency, closure_id, debtor_id, reason, closed_on in rows:
        debtor = current_debtor(wh, int(debtor_id))
        decision = _decide(wh, debtor, "ACTIVITY_STATUS", CLOSURE_STATUS[reason], closed_on)
        if decision.changes:
            write_version(wh, debtor, decision.changes, f"{agency}:{closure_id}", now)
            changed += 1
    return changed
