"""The fund's ledger (agency-exchange v1, "Attribution and commission"): its rules, written once; its
load from the lake into the warehouse; the reads of ``core.ledger_payment`` the later stages share.

The ledger is the fund's own record of what debtors paid: every later stage reads it from the warehouse
(``core.ledger_payment``), never from the lake. Publication tells agencies its entries (the weekly
payments notices), reconciliation matches and attributes them, commission and the integrity audit
follow from that. Only :func:`load_ledger` reads the lake's ``ledger_payments``.

The ledger's rules (the contract's, and where it is silent, ours; ``docs/reconciliation.md``):

* **Kind and sign** (:func:`check_entry`): a PAYMENT is positive and reverses nothing; a REVERSAL is
  negative and names the payment it reverses (``reverses_payment_id``). An entry that breaks them is
  never loaded nor told to an agency: it is skipped with a warning naming the entry and the reason.
* **Amounts** (:func:`amount_from_centimes`, :func:`money`): the lake holds whole centimes; the
  warehouse exact MAD with two decimals, never through binary float.
* **settles_period** (:func:`settles_period`): the month an entry settles, ``YYYY-MM`` in the lake, its
  first day in the warehouse.
* **payment_ref** (:func:`quoted_ref`): the reference the payer quoted, kept as quoted (stripped, None
  when blank), a mistyped one too; reconciliation decides whether it names a dossier.
* **Recorded by** (:func:`recorded_by`): a load for run date ``on`` takes the entries recorded by the
  end of the fund's local day ``on`` (Africa/Casablanca). ``first_seen_on`` is the earliest run date
  that loaded an entry, never earlier than the day it was recorded. So the entries first seen before
  ``on`` (:func:`read_seen_before`, after :func:`load_ledger_before`) are those recorded before the
  day ``on`` began: whatever is loaded later, even by a re-run of ``on`` itself, never joins them.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import sys
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from typing import TYPE_CHECKING, Any

from recouvra.calendar import FUND_TZ, PERIOD_PATTERN
from recouvra.errors import RecouvraError
from recouvra.exchange.payment_ref import PaymentRefError, dossier_of
from recouvra.lake import memory_limit
from recouvra.sqlfiles import query

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    import duckdb
    import pyarrow as pa

    from recouvra.warehouse import Warehouse

log = logging.getLogger(__name__)

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
PAYMENT = "PAYMENT"
REVERSAL = "REVERSAL"
ENTRY_KINDS = frozenset({PAYMENT, REVERSAL})

_PERIOD_RE = re.compile(PERIOD_PATTERN, re.ASCII)


class LedgerError(RecouvraError):
    """A ledger value or entry breaks the ledger's rules; the message names the value and the rule."""


# ------------------------------------------------------------------------------------------ the rules
def as_date(value: Any) -> dt.date:
    """A date from a driver value (date, datetime or ISO text)."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


def money(value: Any) -> Decimal:
    """An exact MAD amount with two decimals (never through binary float)."""
    if isinstance(value, float):
        raise LedgerError(f"amount {value!r} arrived as binary float")
    return Decimal(value).quantize(CENT)


def amount_from_centimes(centimes: Any) -> Decimal:
    """The exact MAD amount of a whole number of centimes (the lake's ``amount_centimes``)."""
    if isinstance(centimes, bool) or not isinstance(centimes, int):
        raise LedgerError(f"amount {centimes!r} is not a whole number of centimes")
    return (Decimal(centimes) * CENT).quantize(CENT)


def settles_period(value: Any) -> dt.date:
    """The month an entry settles, from the lake's ``YYYY-MM``, as its first day."""
    m = _PERIOD_RE.fullmatch(str(value))
    if m is None:
        raise LedgerError(f"settles_period {value!r} is not YYYY-MM")
    try:
        return dt.date(int(m.group()[:4]), int(m.group()[5:7]), 1)
    except ValueError as exc:  # year 0000
        raise LedgerError(f"settles_period {value!r} is not a month") from exc


def check_entry(kind: str, amount: Decimal, reverses_payment_id: int | None) -> None:
    """Raise :class:`LedgerError` when an entry breaks the kind-and-sign rules (module docstring)."""
    if kind == PAYMENT:
        if amount <= 0:
            raise LedgerError(f"a PAYMENT must be positive, not {amount}")
        if reverses_payment_id is not None:
            raise LedgerError(f"a PAYMENT reverses nothing, yet names payment {reverses_payment_id}")
    elif kind == REVERSAL:
        if amount >= 0:
            raise LedgerError(f"a REVERSAL must be negative, not {amount}")
        if reverses_payment_id is None:
            raise LedgerError("a REVERSAL must name the payment it reverses")
    else:
        raise LedgerError(f"kind {kind!r} is neither PAYMENT nor REVERSAL")


def quoted_ref(value: Any) -> str | None:
    """The payment reference a payer quoted, as the ledger keeps it: stripped, None when blank. Kept as
    quoted (a mistyped reference too): whether it names a dossier is reconciliation's question."""
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def recorded_by(on: dt.date) -> dt.datetime:
    """The end of the fund's local day ``on``, as a naive UTC timestamp: a load for ``on`` takes the
    entries recorded before it."""
    local = dt.datetime.combine(on + dt.timedelta(days=1), dt.time(), tzinfo=FUND_TZ)
    return local.astimezone(dt.UTC).replace(tzinfo=None)


# ------------------------------------------------------------------------------------------ the entry
@dataclass(frozen=True)
class LedgerEntry:
    """One entry of the fund's ledger (core.ledger_payment): PAYMENT > 0, REVERSAL < 0."""

    ledger_payment_id: int
    receipt_no: str
    affiliation_no: str
    payment_date: dt.date
    amount: Decimal
    kind: str
    settles_period: dt.date
    reverses_payment_id: int | None = None
    channel: str = "BANK_TRANSFER"
    debtor_id: int | None = None
    first_seen_on: dt.date | None = None
    #: The payment reference the payer quoted, as quoted (stripped; None when none): read by
    #: reconciliation (recouvra.exchange.payment_ref), never trusted before its check digits are.
    payment_ref: str | None = None

    @property
    def named_dossier(self) -> str | None:
        """The dossier the quoted payment reference names, when its check digits are right; None when
        nothing was quoted or the reference is invalid (:func:`recouvra.exchange.payment_ref.dossier_of`)."""
        if self.payment_ref is None:
            return None
        try:
            return dossier_of(self.payment_ref)
        except PaymentRefError:
            return None


# -------------------------------------------------------------------------------- warehouse reads
def bridge_history(wh: Warehouse) -> list[tuple[str, int, dt.date, dt.date | None]]:
    """Every (affiliation number, debtor) link: ``(affiliation_no, debtor_id, valid_from, valid_to)``,
    ``valid_from`` inclusive, ``valid_to`` exclusive (``None``: still valid)."""
    return [(str(aff), int(debtor), as_date(valid_from), None if valid_to is None else as_date(valid_to))
            for aff, debtor, valid_from, valid_to in wh.query(query("ledger/select_bridge_history"))]


def _entry(row: Sequence[Any]) -> LedgerEntry:
    """A LedgerEntry from a row of ``ledger/select_ledger_payments*`` (the table's column order)."""
    pid, receipt, aff, debtor, pdate, amount, kind, reverses, period, channel, seen, ref = row
    return LedgerEntry(int(pid), str(receipt), str(aff), as_date(pdate), money(amount), str(kind),
                       as_date(period), None if reverses is None else int(reverses), str(channel),
                       None if debtor is None else int(debtor), as_date(seen), quoted_ref(ref))


def read_ledger(
    wh: Warehouse, on: dt.date | None = None, *, known_by: dt.date | None = None
) -> list[LedgerEntry]:
    """core.ledger_payment (entries dated up to ``on`` when given; and first seen by ``known_by``
    when given: the ledger as a run of that day knew it, whatever was loaded since), in id order."""
    entries = (_entry(r) for r in wh.query(query("ledger/select_ledger_payments")))
    return [e for e in entries if (on is None or e.payment_date <= on)
            and (known_by is None or e.first_seen_on is None or e.first_seen_on <= known_by)]


def read_ledger_concerning(
    wh: Warehouse, affiliations: Iterable[str], on: dt.date, *, known_by: dt.date | None = None
) -> list[LedgerEntry]:
    """The entries of :func:`read_ledger` ``(wh, on, known_by=known_by)`` that matching and attribution
    can concern, in id order: those of ``affiliations`` (the dossiers' debtors' numbers), those quoting a
    payment reference, those whose receipt number an agency payment quotes, every reversal and every
    payment a reversal names. Matching, attribution (streams, unlinked reversals included) and the
    payment-reference check give on it what they give on the whole ledger, without turning the payments
    of the portfolio's other employers (nearly all of it) into Python objects on every run."""
    rows = wh.query(query("ledger/select_ledger_payments_concerning"), [on, sorted(set(affiliations))])
    entries = (_entry(r) for r in rows)
    return [e for e in entries if known_by is None or e.first_seen_on is None or e.first_seen_on <= known_by]


def read_ledger_quoted(wh: Warehouse, on: dt.date) -> list[LedgerEntry]:
    """The entries dated up to ``on`` that name something beside their affiliation number: those quoting
    a payment reference and those whose receipt number an agency payment quotes, in id order."""
    return [_entry(r) for r in wh.query(query("ledger/select_ledger_payments_quoted"), [on])]


def read_ledger_of_affiliations(wh: Warehouse, affiliations: Iterable[str], on: dt.date,
                                also: Iterable[LedgerEntry] = ()) -> list[LedgerEntry]:
    """The entries dated up to ``on`` of some affiliation numbers and the reversals so dated naming one
    of them (whatever the reversal's own number), with the entries ``also`` gives (read before, e.g. by
    :func:`read_ledger_quoted`), in id order."""
    wanted = sorted(set(affiliations))
    rows = wh.query(query("ledger/select_ledger_payments_of_affiliations"), [on, wanted, on]) \
        if wanted else []
    by_id = {e.ledger_payment_id: e for e in also}
    by_id.update((e.ledger_payment_id, e) for e in map(_entry, rows))
    return [by_id[i] for i in sorted(by_id)]


def unlinked_reversals(wh: Warehouse, on: dt.date) -> list[int]:
    """The reversals dated up to ``on`` whose reversed payment the ledger does not hold as a PAYMENT
    dated up to ``on``, in date then id order (attribution's)."""
    return [int(r[0]) for r in wh.query(query("ledger/select_unlinked_reversals_held"), [on, on])]


def count_ledger(wh: Warehouse, on: dt.date) -> int:
    """How many entries core.ledger_payment holds dated up to ``on``."""
    return int(wh.query(query("ledger/count_ledger_payments"), [on])[0][0])


def read_attributed_entries(wh: Warehouse) -> dict[int, LedgerEntry]:
    """The entries some core.attribution row points at, by id (whatever their date)."""
    return {e.ledger_payment_id: e
            for e in (_entry(r) for r in wh.query(query("ledger/select_attributed_ledger_payments")))}


def read_seen_before(wh: Warehouse, affiliations: Iterable[str], on: dt.date) -> list[LedgerEntry]:
    """The entries of some affiliation numbers first seen before ``on`` (``first_seen_on < on``): what
    the ledger held when the day ``on`` began, whatever was loaded since (module docstring, "Recorded
    by"). core.ledger_payment's CHECK constraint holds the kind-and-sign rules: every row follows them."""
    wanted = sorted(set(affiliations))
    if not wanted:
        return []
    return [_entry(r) for r in wh.query(query("ledger/select_ledger_payments_seen_before"), [wanted, on])]


# ------------------------------------------------------------------------------------ load_ledger
@dataclass
class LedgerLoadReport:
    """What :func:`load_ledger` wrote."""

    on: str
    entries: int = 0
    inserted: int = 0
    updated: int = 0
    skipped: list[int] = field(default_factory=list)
    unlinked_reversals: list[int] = field(default_factory=list)


@cache
def _blank() -> str:
    """The characters Python's ``str.strip()`` removes (:func:`quoted_ref`), for the SQL that strips a
    quoted payment reference alike (computed once, at the first load: 0.2 s)."""
    return "".join(c for c in map(chr, range(sys.maxunicode + 1)) if c.isspace())


#: The names the Arrow tables load_ledger compares are registered under on the lake connection (the
#: SQL files ``ledger/select_lake_entries_to_check``, ``select_unlinked_reversals`` and
#: ``select_ledger_payment_changes`` read them).
_LAKE, _HELD, _BRIDGE = "load_ledger_lake", "load_ledger_held", "load_ledger_bridge"


def _ledger_schema() -> pa.Schema:
    """core.ledger_payment's columns as Arrow (the order of ``ledger/select_ledger_payments*``)."""
    import pyarrow as pa

    return pa.schema([
        ("ledger_payment_id", pa.int64()), ("receipt_no", pa.string()), ("affiliation_no", pa.string()),
        ("debtor_id", pa.int64()), ("payment_date", pa.date32()), ("amount", pa.decimal128(18, 2)),
        ("kind", pa.string()), ("reverses_payment_id", pa.int64()), ("settles_period", pa.date32()),
        ("channel", pa.string()), ("first_seen_on", pa.date32()), ("payment_ref", pa.string()),
    ])


def _bridge_schema() -> pa.Schema:
    """core.bridge_affiliation_debtor's links as Arrow (``ledger/select_bridge_history``)."""
    import pyarrow as pa

    return pa.schema([("affiliation_no", pa.string()), ("debtor_id", pa.int64()),
                      ("valid_from", pa.date32()), ("valid_to", pa.date32())])


def _skip_breaking_entries(lake: duckdb.DuckDBPyConnection, check_all: bool) -> list[int]:
    """The ids, in order, of the entries of the registered lake table that break the ledger's rules,
    each with its warning: SQL picks those that do not plainly follow them, the rules themselves
    (written once, above) decide and say why."""
    skipped = []
    rows = lake.execute(query("ledger/select_lake_entries_to_check"), {"check_all": check_all}).fetchall()
    for pid, kind, centimes, period, reverses in rows:
        try:
            amount = amount_from_centimes(centimes)
            settles_period(period)
            check_entry(str(kind), amount, None if reverses is None else int(reverses))
        except LedgerError as exc:
            log.warning("ledger entry %s (%s %r, reverses %s) breaks the ledger's rules (%s); skipped",
                        int(pid), kind, centimes, reverses, exc)
            skipped.append(int(pid))
    return skipped


def _write(wh: Warehouse, rows: pa.Table, replaced: Sequence[int]) -> None:
    """Replace ``replaced`` and insert ``rows`` into core.ledger_payment, in one transaction."""
    with wh.transaction():
        wh.execute(query("ledger/delete_ledger_payments"), [list(replaced)])
        wh.load_arrow("core.ledger_payment", rows)


#: DuckDB's memory for comparing the lake's entries with the warehouse's rows: with the lake connection's
#: 4 GB the comparison took the process to 2,751 MiB at L when every entry was rewritten (a first month's
#: weekly load, whose first-seen day is earlier), with 1 GB to 2,219 MiB in the same time (12.3 / 12.1 s)
COMPARE_MEMORY_LIMIT = "1GB"


def load_ledger(wh: Warehouse, lake: duckdb.DuckDBPyConnection, on: dt.date) -> LedgerLoadReport:
    """Upsert the ledger entries the lake holds, recorded by the end of ``on`` (local), into
    ``core.ledger_payment``: amounts from centimes to exact MAD, debtor resolved through the bridge on
    the payment date, ``first_seen_on`` the earliest run date that saw the entry. Entries that break the
    ledger's rules (sign, kind, settles_period) are skipped with a warning; only new or changed rows are
    written, so a re-run changes nothing. ``lake``: an :func:`recouvra.lake.open_lake` connection.

    Set-based: the lake's entries, the warehouse's rows and the bridge are read as Arrow and compared in
    DuckDB on the lake connection (``ledger/select_ledger_payment_changes``); no entry becomes a Python
    object but those that break the rules, so time and memory follow the ledger's columns, and what is
    written follows what changed."""
    import pyarrow as pa

    report = LedgerLoadReport(on.isoformat())
    entries = lake.sql(query("ledger/select_ledger_payments_lake"), params=[recorded_by(on)]).to_arrow_table()
    held = wh.query_arrow(query("ledger/select_ledger_payments_held"), _ledger_schema())
    bridge = wh.query_arrow(query("ledger/select_bridge_history"), _bridge_schema())
    report.entries = entries.num_rows
    registered = {_LAKE: entries, _HELD: held, _BRIDGE: bridge}
    for name, table in registered.items():
        lake.register(name, table)
    try:
        check_all = not pa.types.is_integer(entries.schema.field("amount_centimes").type)
        report.skipped = _skip_breaking_entries(lake, check_all)
        report.unlinked_reversals = [int(r[0]) for r in lake.execute(
            query("ledger/select_unlinked_reversals"), {"skipped": report.skipped}).fetchall()]
        params = {"skipped": report.skipped, "blank": _blank(), "on": on}
        with memory_limit(lake, COMPARE_MEMORY_LIMIT):
            changes = lake.sql(query("ledger/select_ledger_payment_changes"), params=params).to_arrow_table()
    finally:
        for name in registered:
            lake.unregister(name)
    del entries, held, bridge, registered
    replaces = changes.column("replaces").to_pylist()
    report.updated = sum(replaces)
    report.inserted = len(replaces) - report.updated
    if report.unlinked_reversals:
        log.warning("%d reversal(s) name a payment the ledger does not hold: %s",
                    len(report.unlinked_reversals), report.unlinked_reversals[:10])
    if changes.num_rows:
        ids = changes.column("ledger_payment_id").to_pylist()
        _write(wh, changes.drop_columns(["replaces"]).cast(_ledger_schema()),
               [pid for pid, again in zip(ids, replaces, strict=True) if again])
    log.info("ledger %s: %d entries, %d new, %d changed, %d skipped", on, report.entries, report.inserted,
             report.updated, len(report.skipped))
    return report


def load_ledger_before(wh: Warehouse, lake: duckdb.DuckDBPyConnection, on: dt.date) -> LedgerLoadReport:
    """:func:`load_ledger` of the day before ``on``: the entries recorded before the fund's local day
    ``on`` began, first seen at the latest the day before. With :func:`read_seen_before`, for a reader
    of day ``on`` that must not depend on the hour it runs nor on what the lake received since (the
    weekly payments notices): a re-run of the day reads the same entries."""
    return load_ledger(wh, lake, on - dt.timedelta(days=1))
