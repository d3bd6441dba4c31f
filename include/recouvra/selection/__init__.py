"""Stage 3: the monthly selection of debtors, their allocation among agencies, and the dossiers'
lifecycle (recalls). Pure functions over the warehouse (DuckDB or PostgreSQL) and the lake.

- :func:`select_and_allocate` (:mod:`recouvra.selection.monthly`): eligibility, transparent score,
  selection of ``programme.dossiers_per_month`` debtors, randomised stratified split among agencies,
  dossiers with their periods; idempotent for a month.
- :func:`top_up_month` (:mod:`recouvra.selection.topup`): a second selection run later in a month whose
  selection placed fewer than asked, up to the shortfall and the agencies' capacity left; idempotent.
- :func:`refresh_dossiers` (:mod:`recouvra.selection.lifecycle`): recalls (expired window, paid in
  full, legal proceeding, plan with the fund, merged duplicate, closure or retired agency); idempotent.
- :mod:`recouvra.selection.scoring` and :mod:`recouvra.selection.allocation`: the score and the split
  as pure functions, tested on small tables.

Rules and their reasons: docs/selection.md.
"""

from __future__ import annotations

from recouvra.selection.additions import AdditionReport, add_debts
from recouvra.selection.common import SelectionError
from recouvra.selection.lifecycle import LifecycleReport, refresh_dossiers
from recouvra.selection.monthly import (
    EmptySelectionError,
    SelectionReport,
    check_settings,
    require_dossiers,
    select_and_allocate,
    sync_agencies,
)
from recouvra.selection.topup import TopUpReport, top_up_month

__all__ = [
    "AdditionReport",
    "EmptySelectionError",
    "LifecycleReport",
    "SelectionError",
    "SelectionReport",
    "TopUpReport",
    "add_debts",
    "check_settings",
    "refresh_dossiers",
    "require_dossiers",
    "select_and_allocate",
    "sync_agencies",
    "top_up_month",
]
