"""Re-placement: a debtor whose dossier came back unresolved is placed again, with another agency.

A recall is **unresolved** when the debtor still owes and nothing the fund knows explains why: the window
ended (``EXPIRED``), or the fund took the dossier back on the agency's closure ``UNREACHABLE`` or
``OTHER``, or because the agency was retired (``FUND_DECISION``). Every other recall is resolved:
paid in full, a legal proceeding, a plan with the fund, a merger, or a closure that says why the debtor
cannot pay (``INSOLVENT``, ``CEASED_NO_ASSETS``) or contests (``DISPUTED``). A debtor's next placement
after an unresolved recall is its previous tier + 1 (tier 1 is a first placement, or a placement after a
resolved recall), and goes to an agency that held none of the chain's dossiers; beyond
``programme.eligibility.max_placement_tier`` the debtor is no longer placed (``MAX_TIER_REACHED``).
The cooling-off (``recall_cooling_off_months``) applies as to any recall. Rules: docs/selection.md,
"Re-placement".
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from recouvra.selection.common import current_debtors, debtor_resolver
from recouvra.sqlfiles import query

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from recouvra.warehouse import Warehouse

#: The agency's closure reasons after which a FUND_DECISION recall leaves the debtor unresolved.
UNRESOLVED_CLOSURES = frozenset({"UNREACHABLE", "OTHER"})
MAX_TIER_REACHED = "MAX_TIER_REACHED"
#: Not selected: every agency serving the debtor's region held a dossier of its chain.
NO_OTHER_AGENCY = "NO_OTHER_AGENCY"


@dataclass(frozen=True)
class PastDossier:
    """A recalled dossier as re-placement sees it."""

    dossier_id: str
    debtor_id: int
    affiliation_no: str | None
    agency_code: str
    tier: int
    previous_dossier_id: str | None
    recall_date: dt.date
    reason: str
    closure_reason: str | None
    retired: bool
    recovered: Decimal

    @property
    def outcome(self) -> str:
        """How it ended, in the words ``core.dossier.previous_recall_reason`` keeps."""
        if self.reason != "FUND_DECISION":
            return self.reason
        if self.closure_reason is not None:
            return f"FUND_DECISION/{self.closure_reason}"
        return "FUND_DECISION/AGENCY_RETIRED" if self.retired else "FUND_DECISION"

    @property
    def unresolved(self) -> bool:
        """Returned without resolution (module docstring)."""
        if self.reason == "EXPIRED":
            return True
        if self.reason != "FUND_DECISION":
            return False
        if self.closure_reason is not None:
            return self.closure_reason in UNRESOLVED_CLOSURES
        return self.retired


@dataclass(frozen=True)
class Placement:
    """What a debtor's next dossier would be: its tier, the agencies it may not go to, the previous one."""

    tier: int = 1
    held_by: frozenset[str] = frozenset()
    previous: PastDossier | None = None


FIRST = Placement()


def next_placements(history: Iterable[PastDossier], resolve: Mapping[str, set[int]]) -> dict[int, Placement]:
    """Per current debtor whose latest recalled dossier was unresolved, its next placement (tier and the
    agencies of its chain); debtors absent are tier 1. ``resolve``: dossier_id -> its current debtors
    (through merges and the current bridge)."""
    rows = sorted(history, key=lambda p: (p.recall_date, p.dossier_id))
    by_id = {p.dossier_id: p for p in rows}
    latest: dict[int, PastDossier] = {}
    for p in rows:
        for debtor in resolve.get(p.dossier_id, {p.debtor_id}):
            latest[debtor] = p
    out: dict[int, Placement] = {}
    for debtor, p in latest.items():
        if not p.unresolved:
            continue
        held = {p.agency_code}
        seen = {p.dossier_id}
        prev = p.previous_dossier_id
        while prev is not None and prev in by_id and prev not in seen:  # the chain's earlier agencies
            seen.add(prev)
            held.add(by_id[prev].agency_code)
            prev = by_id[prev].previous_dossier_id
        out[debtor] = Placement(p.tier + 1, frozenset(held), p)
    return out


def read_placements(wh: Warehouse, before: dt.date) -> dict[int, Placement]:
    """The next placement of every debtor with a dossier recalled unresolved before ``before``."""
    merged, bridge = debtor_resolver(wh)
    history: list[PastDossier] = []
    resolve: dict[str, set[int]] = {}
    for row in wh.query(query("selection/select_placement_history"), [before]):
        (dossier_id, debtor_id, aff, agency, tier, prev, recall_date, reason, closure, retired, recovered) = (
            row
        )
        p = PastDossier(
            str(dossier_id),
            int(debtor_id),
            None if aff is None else str(aff),
            str(agency),
            int(tier),
            None if prev is None else str(prev),
            _date(recall_date),
            str(reason),
            None if closure is None else str(closure),
            bool(retired),
            Decimal(recovered),
        )
        history.append(p)
        resolve[p.dossier_id] = current_debtors(
            [(p.dossier_id, p.debtor_id, p.affiliation_no)], merged, bridge
        )
    return next_placements(history, resolve)


def _date(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
