"""What the selection's modules share: errors, month arithmetic, SQL files, resolving old debtors."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING

from recouvra.calendar import add_months as add_months
from recouvra.calendar import require_month
from recouvra.errors import RecouvraError
from recouvra.sqlfiles import query

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from pathlib import Path

    from recouvra.warehouse import Warehouse

CENT = Decimal("0.01")
OPEN_STATUSES = ("ALLOCATED", "PUBLISHED")


class SelectionError(RecouvraError):
    """The month cannot be selected or refreshed as asked; the message says why and what to do."""


def sql(name: str) -> str:
    """A query of include/sql/selection/: :func:`recouvra.sqlfiles.query` of ``selection/<name>``.

    Kept for recouvra.selection.lifecycle until it asks :mod:`recouvra.sqlfiles` itself; remove then.
    """
    return query(f"selection/{name}")


def first_day(month: dt.date) -> dt.date:
    """The month as its first day; any other day is refused (months are first days everywhere)."""
    return require_month(month, error=SelectionError)


def months_between(period: str | None, month: dt.date) -> int | None:
    """Whole months from a ``YYYY-MM`` period to a month (2026-09 to 2026-11 is 2)."""
    if not period:
        return None
    year, mon = int(period[:4]), int(period[5:7])
    return (month.year * 12 + month.month) - (year * 12 + mon)


def window_end(month: dt.date, window_months: int) -> dt.date:
    """Last day (inclusive) of an assignment window starting on ``month``."""
    return add_months(month, window_months) - dt.timedelta(days=1)


def centimes_to_mad(centimes: int) -> Decimal:
    """Integer centimes as exact MAD."""
    return (Decimal(int(centimes)) * CENT).quantize(CENT)


def debtor_resolver(wh: Warehouse) -> tuple[dict[int, int], dict[str, int]]:
    """({retired debtor_id: surviving debtor_id}, {affiliation_no: current debtor_id})."""
    merged = {int(a): int(b) for a, b in wh.query(sql("select_merged_debtors"))}
    bridge = {str(a): int(d) for a, d in wh.query(sql("select_current_bridge"))}
    return merged, bridge


def current_debtors(
    rows: Iterable[tuple[object, object, object]], merged: Mapping[int, int], bridge: Mapping[str, int]
) -> set[int]:
    """Current debtors of past dossiers ``(dossier_id, debtor_id, affiliation_no)``: the dossier's
    debtor followed through merges, and the debtor its affiliation number now belongs to, so that a
    dossier still blocks its legal entity after entity resolution renumbered it."""
    out: set[int] = set()
    for _, debtor_id, affiliation_no in rows:
        d = int(str(debtor_id))
        seen = {d}
        while d in merged and merged[d] not in seen:
            d = merged[d]
            seen.add(d)
        out.add(d)
        if affiliation_no is not None and str(affiliation_no) in bridge:
            out.add(bridge[str(affiliation_no)])
    return out


def outstanding_by_owner(
    lake: Path, on: dt.date, wanted: Iterable[tuple[str, str]]
) -> dict[str, list[tuple[str, str | None, int, int, int]]]:
    """What affiliation numbers still owe on the day ``on`` per the lake, grouped by owner:
    ``{owner: [(period YYYY-MM, title_id, principal, surcharge, penalty centimes), ...]}`` for pairs
    ``(affiliation_no, owner)`` (an owner is a debtor or a dossier). Reads the lake
    as of ``on`` through ``build_outstanding_by_period.sql``, the same query as the debtor portfolio,
    over the wanted numbers' rows only (not the whole portfolio's)."""
    import pyarrow as pa

    from recouvra.lake import create_outstanding, open_lake, register_view_of_affiliations

    pairs = sorted(set(wanted))
    out: dict[str, list[tuple[str, str | None, int, int, int]]] = {}
    if not pairs:
        return out
    table = pa.table({"affiliation_no": pa.array([a for a, _ in pairs], pa.string()),
                      "owner": pa.array([o for _, o in pairs], pa.string())})
    with open_lake(lake, as_of=on) as con:
        # Only the wanted numbers' receivables and payments: what a number owes is its rows' alone.
        con.register("wanted", table)
        for source in ("receivables", "ledger_payments"):
            register_view_of_affiliations(con, lake, source, on, f"wanted_{source}", "wanted")
        create_outstanding(con, on, receivables="wanted_receivables",
                           ledger_payments="wanted_ledger_payments")
        found = con.execute(query("selection/select_outstanding_for_affiliations")).fetchall()
        for owner, period, title_id, p, s, pen in found:
            out.setdefault(str(owner), []).append(
                (str(period), None if title_id is None else str(title_id), int(p), int(s), int(pen))
            )
    return out
