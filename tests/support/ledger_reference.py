"""The ledger load as it was before issue 16 (row by row, in Python), kept as the reference the
set-based :func:`recouvra.ledger.load_ledger` must equal: same report, same warnings, same table.

A plain module (tests/support is on pytest's ``pythonpath``): tests/unit/test_ledger_setbased.py and
tests/integration/test_ledger_postgres.py run both on the same worlds. Its code is the former
``load_ledger`` with its helpers ``_debtor_on`` and ``_write``, unchanged but for the names."""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Sequence

import duckdb
import pyarrow as pa

from recouvra.ledger import (
    REVERSAL,
    LedgerEntry,
    LedgerError,
    LedgerLoadReport,
    amount_from_centimes,
    as_date,
    bridge_history,
    check_entry,
    quoted_ref,
    read_ledger,
    recorded_by,
    settles_period,
)
from recouvra.sqlfiles import query
from recouvra.warehouse import Warehouse

log = logging.getLogger("recouvra.ledger")


def debtor_on(held: Sequence[tuple[int, dt.date, dt.date | None]], day: dt.date) -> int | None:
    """Debtor an affiliation number belonged to on ``day``; before its first link, its first debtor."""
    for debtor, vf, vt in held:
        if vf <= day and (vt is None or vt > day):
            return debtor
    later = [(vf, debtor) for debtor, vf, _ in held if vf > day]
    return min(later)[1] if later else None


def write(wh: Warehouse, rows: Sequence[LedgerEntry], replaced: Sequence[int]) -> None:
    table = pa.table({
        "ledger_payment_id": pa.array([e.ledger_payment_id for e in rows], pa.int64()),
        "receipt_no": pa.array([e.receipt_no for e in rows], pa.string()),
        "affiliation_no": pa.array([e.affiliation_no for e in rows], pa.string()),
        "debtor_id": pa.array([e.debtor_id for e in rows], pa.int64()),
        "payment_date": pa.array([e.payment_date for e in rows], pa.date32()),
        "amount": pa.array([e.amount for e in rows], pa.decimal128(18, 2)),
        "kind": pa.array([e.kind for e in rows], pa.string()),
        "reverses_payment_id": pa.array([e.reverses_payment_id for e in rows], pa.int64()),
        "settles_period": pa.array([e.settles_period for e in rows], pa.date32()),
        "channel": pa.array([e.channel for e in rows], pa.string()),
        "first_seen_on": pa.array([e.first_seen_on for e in rows], pa.date32()),
        "payment_ref": pa.array([e.payment_ref for e in rows], pa.string()),
    })
    with wh.transaction():
        wh.execute(query("ledger/delete_ledger_payments"), [list(replaced)])
        wh.load_arrow("core.ledger_payment", table)


def load_ledger(wh: Warehouse, lake: duckdb.DuckDBPyConnection, on: dt.date) -> LedgerLoadReport:
    """The former recouvra.ledger.load_ledger."""
    report = LedgerLoadReport(on.isoformat())
    links: dict[str, list[tuple[int, dt.date, dt.date | None]]] = defaultdict(list)
    for aff, debtor, vf, vt in bridge_history(wh):
        links[aff].append((debtor, vf, vt))
    existing = {e.ledger_payment_id: e for e in read_ledger(wh)}
    wanted: list[LedgerEntry] = []
    raw = lake.execute(query("ledger/select_ledger_payments_lake"), [recorded_by(on)]).fetchall()
    ids = {int(r[0]) for r in raw}
    for pid, receipt, aff, pdate, centimes, period, kind, reverses, channel, ref in raw:
        pid = int(pid)
        try:
            amount, settles = amount_from_centimes(centimes), settles_period(period)
            check_entry(str(kind), amount, None if reverses is None else int(reverses))
        except LedgerError as exc:
            log.warning("ledger entry %s (%s %r, reverses %s) breaks the ledger's rules (%s); skipped",
                        pid, kind, centimes, reverses, exc)
            report.skipped.append(pid)
            continue
        if kind == REVERSAL and int(reverses) not in ids and int(reverses) not in existing:
            report.unlinked_reversals.append(pid)
        day = as_date(pdate)
        old = existing.get(pid)
        first_seen = on if old is None or old.first_seen_on is None else min(old.first_seen_on, on)
        entry = LedgerEntry(pid, str(receipt), str(aff), day, amount, str(kind), settles,
                            None if reverses is None else int(reverses), str(channel),
                            debtor_on(links.get(str(aff), []), day), first_seen, quoted_ref(ref))
        if old is None:
            report.inserted += 1
        elif old != entry:
            report.updated += 1
        else:
            continue
        wanted.append(entry)
    report.entries = len(raw)
    if report.unlinked_reversals:
        log.warning("%d reversal(s) name a payment the ledger does not hold: %s",
                    len(report.unlinked_reversals), report.unlinked_reversals[:10])
    if wanted:
        write(wh, wanted, [e.ledger_payment_id for e in wanted if e.ledger_payment_id in existing])
    log.info("ledger %s: %d entries, %d new, %d changed, %d skipped", on, report.entries, report.inserted,
             report.updated, len(report.skipped))
    return report


# ---------------------------------------------------------------------------- worlds to compare on
#: A lake row: (payment_id, receipt_no, affiliation_no, payment_date, centimes, settles_period, kind,
#: reverses_payment_id, channel, recorded_at, payment_ref).
LakeRow = tuple[object, ...]
#: A bridge link: (affiliation_no, valid_from, valid_to, debtor_id).
Link = tuple[str, dt.date, dt.date | None, int]


def day(y: int, m: int, d: int) -> dt.date:
    return dt.date(y, m, d)


def at(d: dt.date, hour: int = 12) -> dt.datetime:
    return dt.datetime.combine(d, dt.time(hour))


def lake_of(rows: Sequence[LakeRow]) -> duckdb.DuckDBPyConnection:
    """A lake connection whose view ledger_payments holds ``rows``."""
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE ledger_payments (payment_id BIGINT, receipt_no VARCHAR, affiliation_no VARCHAR, "
        "payment_date DATE, amount_centimes BIGINT, settles_period VARCHAR, kind VARCHAR, "
        "reverses_payment_id BIGINT, channel VARCHAR, recorded_at TIMESTAMP, payment_ref VARCHAR)"
    )
    if rows:
        con.executemany("INSERT INTO ledger_payments VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        [list(r) for r in rows])
    return con


def set_bridge(wh: Warehouse, links: Sequence[Link]) -> None:
    """core.bridge_affiliation_debtor holds exactly ``links``."""
    wh.execute("DELETE FROM core.bridge_affiliation_debtor")
    for aff, valid_from, valid_to, debtor in links:
        wh.execute("INSERT INTO core.bridge_affiliation_debtor VALUES (?, ?, ?, ?, ?, 'SINGLETON', NULL)",
                   [aff, valid_from, valid_to, valid_to is None, debtor])


def table_of(wh: Warehouse) -> list[tuple[object, ...]]:
    """core.ledger_payment, every column, in id order."""
    return wh.query(query("ledger/select_ledger_payments"))


def _entry(pid: int, aff: str, on: dt.date, centimes: int, *, period: str = "2026-01", kind: str = "PAYMENT",
           reverses: int | None = None, recorded: dt.datetime | None = None, ref: str | None = None,
           receipt: str | None = None, channel: str = "CHEQUE") -> LakeRow:
    return (pid, receipt or f"R{pid}", aff, on, centimes, period, kind, reverses, channel,
            recorded or at(on), ref)


NOV30, DEC15, DEC31 = day(2026, 11, 30), day(2026, 12, 15), day(2026, 12, 31)

#: Bridge before and after a merge: 0000002 moves to debtor 7 on 20 December, 0000003 gets a debtor.
BRIDGE_1: list[Link] = [
    ("0000001", day(2026, 6, 1), day(2026, 12, 1), 1),
    ("0000001", day(2026, 12, 1), None, 9),
    ("0000002", day(2026, 11, 15), None, 2),  # a payment before it: its earliest later link
    ("0000004", day(2026, 1, 1), day(2026, 3, 1), 4),  # ended: later payments resolve to nobody
    ("0000004", day(2026, 9, 1), day(2026, 10, 1), 5),
]
BRIDGE_2: list[Link] = [
    *BRIDGE_1[:2],
    ("0000002", day(2026, 11, 15), day(2026, 12, 20), 2),
    ("0000002", day(2026, 12, 20), None, 7),
    ("0000003", day(2026, 1, 1), None, 3),
    *BRIDGE_1[3:],
]

LAKE_1: list[LakeRow] = [
    _entry(1, "0000001", day(2026, 11, 10), 40000, ref="  RF18 D202611\u00a0"),
    _entry(2, "0000001", day(2026, 12, 5), 1000),  # recorded after 30 November
    _entry(3, "0000002", day(2026, 11, 1), 2500),  # before the number's first link
    _entry(4, "0000003", day(2026, 11, 2), 3000),  # no link yet
    _entry(5, "0000004", day(2026, 2, 10), 100, recorded=at(day(2026, 11, 3))),
    _entry(6, "0000004", day(2025, 12, 1), 200, recorded=at(day(2026, 11, 3))),
    _entry(7, "0000004", day(2026, 11, 5), 300),
    _entry(8, "0000001", day(2026, 11, 12), -40000, kind="REVERSAL", reverses=1),
    _entry(9, "0000001", day(2026, 11, 12), -500, kind="REVERSAL", reverses=999),  # unknown payment
    _entry(10, "0000001", day(2026, 11, 13), -100),  # negative payment
    _entry(11, "0000001", day(2026, 11, 13), 0),
    _entry(12, "0000001", day(2026, 11, 13), 100, kind="REVERSAL", reverses=1),
    _entry(13, "0000001", day(2026, 11, 13), -100, kind="REVERSAL"),
    _entry(14, "0000001", day(2026, 11, 13), 100, reverses=1),
    _entry(15, "0000001", day(2026, 11, 13), 100, kind="REFUND"),
    _entry(16, "0000001", day(2026, 11, 13), 100, period="2026-1"),
    _entry(17, "0000001", day(2026, 11, 13), 100, period="0000-05"),
    _entry(18, "0000001", day(2026, 11, 13), 100, period="2026-13"),
    _entry(19, "0000001", day(2026, 11, 13), 100, period=" 2026-01"),
    _entry(20, "0000001", day(2026, 11, 14), 100, ref="   "),
    _entry(21, "0000001", day(2026, 11, 14), 100, ref="\u3000\t"),
    _entry(22, "0000001", day(2026, 11, 14), 100, ref="\u200bRF\u200b"),  # zero width: not white space
    _entry(23, "0000002", day(2026, 11, 20), -700, kind="REVERSAL", reverses=30),  # 30 not recorded yet
    _entry(24, "0000001", day(2026, 11, 14), 100, kind="payment"),
    _entry(25, "0000001", day(2026, 11, 14), 99, period="2026-12", channel="ONLINE", ref="x"),
    _entry(30, "0000002", day(2026, 12, 10), 700),
    _entry(50, "0000001", day(2026, 11, 1), 5000, ref="RF50 "),  # held with its reference unstripped
]


def _changed(rows: Sequence[LakeRow]) -> list[LakeRow]:
    """The lake a month later: changed amount, receipt and reference, a fixed and a broken entry, one
    entry gone (still held), new entries and reversals."""
    out: list[LakeRow] = []
    for r in rows:
        pid = r[0]
        if pid == 1:
            r = (*r[:4], 45000, *r[5:])
        elif pid == 3:
            r = (r[0], "R3-bis", *r[2:])
        elif pid == 5:
            r = (*r[:6], "REFUND", *r[7:])
        elif pid == 6:
            continue
        elif pid == 10:
            r = (*r[:4], 100, *r[5:])
        elif pid == 20:
            r = (*r[:10], "RF12 ")
        elif pid == 25:
            r = (*r[:5], "2026-11", *r[6:])
        out.append(r)
    return [
        *out,
        _entry(40, "0000004", day(2026, 12, 21), -300, kind="REVERSAL", reverses=7),
        _entry(41, "0000004", day(2026, 12, 22), -200, kind="REVERSAL", reverses=6),  # held only
        _entry(42, "0000002", day(2026, 12, 21), 800),  # after the move to debtor 7
        _entry(43, "0000005", day(2026, 12, 1), 900, recorded=at(day(2026, 12, 31), 23)),  # 1 January, local
    ]


LAKE_2 = _changed(LAKE_1)

#: (bridge, lake, run date, whether load_ledger_before of it): the world's runs, in order.
STEPS: list[tuple[list[Link], list[LakeRow], dt.date, bool]] = [
    (BRIDGE_1, LAKE_1, NOV30, False),
    (BRIDGE_1, LAKE_1, NOV30, False),  # a re-run changes nothing
    (BRIDGE_2, LAKE_2, DEC31, False),  # changed amounts, bridge, entries
    (BRIDGE_2, LAKE_2, DEC31, False),
    (BRIDGE_2, LAKE_2, DEC15, False),  # an earlier day: first_seen_on moves back
    (BRIDGE_2, LAKE_2, day(2027, 1, 2), True),
    (BRIDGE_2, LAKE_2, day(2027, 1, 2), True),
]


def hold_unstripped_reference(wh: Warehouse) -> None:
    """Entry 50 held with its payment reference as quoted, blanks included (the lake's strips alike)."""
    wh.execute("INSERT INTO core.ledger_payment VALUES (50, 'R50', '0000001', 1, ?, 50.00, 'PAYMENT', NULL, "
               "?, 'CHEQUE', ?, '  RF50')", [day(2026, 11, 1), day(2026, 1, 1), day(2026, 11, 1)])
