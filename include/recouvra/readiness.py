"""Whether a run's inputs are there: a run whose inputs are missing does nothing and says so.

An operator's first day must be safe. A run can be created for a day or a month whose data do not
exist yet: unpausing a DAG (the scheduler's latest interval), a trigger without a logical date (the run
then stands for "now"), a trigger for the wrong month. Such a run must never select, build or publish
anything: each DAG that writes the warehouse or sends files first checks that what its day or month is
made from is there, and otherwise stops with one line naming what is missing and how to make it.

What each run is made from (its inputs), and the check that says they are there:

============================ ===================== =====================================================
DAG                          run stands for        inputs
============================ ===================== =====================================================
``debtor_master``            day D                 the extraction of D published in the lake (every
                                                   table's ``snapshot_date=D`` manifest)
``collections_reconcile``    day D                 the ledger extracted on or before D
``assignment_monthly``       month M (its 1st)     the debtor master of M's 1st (core.debtor_portfolio)
``commission_monthly``       month P (before M)    P closed: the debtor master of M's 1st (the 1st's
                                                   extraction, reconciled); a dossier published by P
``kpi_load``                 month P (before M)    as ``commission_monthly``
``payments_weekly``          day D                 the ledger extracted in D's month by D; a dossier
                                                   published by D's month
============================ ===================== =====================================================

The clock DAGs ``portfolio_extract`` (its input is the fund's database) and ``returns_ingest`` (the
files agencies sent: none, nothing done) need no check. Pure functions of the lake and the warehouse:
the Airflow adapter turns the verdict into a short-circuit (docs/runbook.md, "A run that does nothing").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from recouvra.calendar import add_months
from recouvra.extract import MANIFEST
from recouvra.lake import TABLES
from recouvra.sqlfiles import query

if TYPE_CHECKING:
    import datetime as dt
    from pathlib import Path

    from recouvra.warehouse import Warehouse


@dataclass(frozen=True)
class Inputs:
    """The verdict on one run's inputs: ``missing`` is empty when they are all there."""

    dag_id: str
    stands_for: str  # the day (YYYY-MM-DD) or month (YYYY-MM) the run is about
    missing: tuple[str, ...] = ()

    @property
    def ready(self) -> bool:
        return not self.missing

    def line(self) -> str:
        """The one line the run logs: ready, or what is missing and that nothing was done."""
        if self.ready:
            return f"{self.dag_id} {self.stands_for}: inputs present, running"
        return (
            f"{self.dag_id} {self.stands_for}: nothing done, inputs missing: "
            + "; ".join(self.missing)
            + ". No file was built or published and the warehouse is unchanged."
        )


# ------------------------------------------------------------------------------ the single checks
def extraction_missing(lake: Path, day: dt.date) -> str:
    """Why the lake holds no extraction of ``day`` (every table's manifest of that date), or ""."""
    absent = [t for t in TABLES if not (lake / t / f"snapshot_date={day.isoformat()}" / MANIFEST).exists()]
    if not absent:
        return ""
    return (
        f"no extraction of {day.isoformat()} in the lake {lake} (missing {', '.join(absent)}): run "
        f"portfolio_extract for that day first"
    )


def ledger_missing(lake: Path, day: dt.date, since: dt.date | None = None) -> str:
    """Why the lake holds no ledger extracted on or before ``day`` (and on or after ``since``), or ""."""
    low, cut = f"snapshot_date={since.isoformat() if since else ''}", f"snapshot_date={day.isoformat()}"
    if any(low <= p.parent.name <= cut for p in lake.glob(f"ledger_payments/snapshot_date=*/{MANIFEST}")):
        return ""
    window = f"between {since} and {day}" if since else f"on or before {day}"
    return f"no ledger extracted {window} in the lake {lake}: run portfolio_extract first"


def master_missing(wh: Warehouse, day: dt.date, why: str) -> str:
    """Why the debtor master of ``day`` was never built (no core.debtor_portfolio row of it), or ""."""
    (count,) = wh.query(query("readiness/count_debtor_portfolio_on"), [day])[0]
    if int(count):
        return ""
    return (
        f"the debtor master of {day.isoformat()} is not built ({why}): run portfolio_extract, then "
        f"debtor_master and collections_reconcile, for {day.isoformat()} first"
    )


def placements_missing(wh: Warehouse, month: dt.date) -> str:
    """Why no dossier had been published by ``month`` (its first day), or ""."""
    (count,) = wh.query(query("readiness/count_published_dossiers_by"), [month])[0]
    if int(count):
        return ""
    return (
        f"no dossier was published in {month:%Y-%m} or before (assignment_monthly has published no "
        "month yet): nothing to state"
    )


def _verdict(dag_id: str, stands_for: str, *missing: str) -> Inputs:
    return Inputs(dag_id, stands_for, tuple(m for m in missing if m))


# ------------------------------------------------------------------------------ one check per DAG
def debtor_master_inputs(lake: Path, day: dt.date) -> Inputs:
    return _verdict("debtor_master", day.isoformat(), extraction_missing(lake, day))


def reconcile_inputs(lake: Path, day: dt.date) -> Inputs:
    return _verdict("collections_reconcile", day.isoformat(), ledger_missing(lake, day))


def assignment_inputs(wh: Warehouse, month: dt.date) -> Inputs:
    """The month's selection reads the debtor master of its first day, and nothing older."""
    return _verdict(
        "assignment_monthly", f"{month:%Y-%m}", master_missing(wh, month, "the month's selection reads it")
    )


def _month_closed(dag_id: str, wh: Warehouse, month: dt.date) -> Inputs:
    following = add_months(month, 1)
    return _verdict(
        dag_id,
        f"{month:%Y-%m}",
        master_missing(
            wh,
            following,
            f"{month:%Y-%m} is closed by the extraction and reconciliation of {following.isoformat()}",
        ),
        placements_missing(wh, month),
    )


def commission_inputs(wh: Warehouse, month: dt.date) -> Inputs:
    """The statements of ``month`` (the month before the run's) need it closed and something placed."""
    return _month_closed("commission_monthly", wh, month)


def kpi_inputs(wh: Warehouse, month: dt.date) -> Inputs:
    """The KPIs of ``month`` (the month before the run's): as for its commission statements."""
    return _month_closed("kpi_load", wh, month)


def payments_inputs(lake: Path, wh: Warehouse, day: dt.date) -> Inputs:
    """A weekly notice needs the ledger extracted in its month by its day (not a ledger of months ago:
    a Monday long after the last extraction has nothing new to tell) and dossiers with the agencies."""
    return _verdict(
        "payments_weekly",
        day.isoformat(),
        ledger_missing(lake, day, since=day.replace(day=1)),
        placements_missing(wh, day.replace(day=1)),
    )
