"""The assets and their events (recouvra.airflow_adapter.assets): what counts as produced, which run
closes a month, and the extras an event carries, from a fake Airflow context."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pendulum
import pytest

from recouvra.airflow_adapter import assets, runtime
from recouvra.airflow_adapter.assets import (
    ATTRIBUTION,
    DEBTOR_MASTER,
    KPI_MARTS,
    RETURN_FILES,
    SOURCE_SNAPSHOTS,
    Production,
    closed_month,
    master_built,
    placements_recorded,
    recalls_decided,
    returns_ingested,
    snapshots_published,
    statements_published,
)

D = dt.date


class OutletEvents(dict):  # type: ignore[type-arg]
    """outlet_events as the task SDK hands it: an accessor per asset, created on first use."""

    def __missing__(self, asset: Any) -> SimpleNamespace:
        self[asset] = SimpleNamespace(extra={})
        return self[asset]


def event(asset: Any, logical_date: str | None) -> tuple[Any, SimpleNamespace]:
    return asset, SimpleNamespace(extra={} if logical_date is None else {"logical_date": logical_date})


def triggered(*pairs: tuple[Any, SimpleNamespace]) -> dict[Any, list[SimpleNamespace]]:
    """triggering_asset_events: the events of each asset that triggered the run."""
    out: dict[Any, list[SimpleNamespace]] = {}
    for asset, ev in pairs:
        out.setdefault(asset, []).append(ev)
    return out


@pytest.fixture()
def context(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """A fake task context; a test fills logical_date / triggering_asset_events / dag_run."""
    import airflow.sdk

    ctx: dict[str, Any] = {"logical_date": None, "triggering_asset_events": {},
                           "dag_run": SimpleNamespace(run_after=pendulum.datetime(2026, 7, 9, 12, tz="UTC")),
                           "outlet_events": OutletEvents()}
    monkeypatch.setattr(airflow.sdk, "get_current_context", lambda: ctx)
    yield ctx


def snapshot(rows: int, kept: bool = False) -> dict[str, Any]:
    return {"rows": rows, "low": None, "high": "2026-07-01T02:00:00", "path": "x", "kept": kept}


# ------------------------------------------------------------------- what counts as produced
@pytest.mark.parametrize(
    ("tables", "expected"),
    [
        ({"employers": snapshot(3), "titles": snapshot(0)}, Production(3, 2)),
        # a day with no changed row is still a new snapshot: the cut moved
        ({"employers": snapshot(0), "titles": snapshot(0)}, Production(0, 2)),
        # a re-run that found every table published for its date: nothing new
        ({"employers": snapshot(3, kept=True), "titles": snapshot(0, kept=True)}, None),
        ({"employers": snapshot(3, kept=True), "titles": snapshot(5)}, Production(5, 1)),
    ],
)
def test_snapshots_count_what_this_run_published(tables: dict[str, Any], expected: Production | None) -> None:
    produced = snapshots_published({"run_id": "r", "data_docs": None, "tables": tables})
    if expected is None:
        assert produced.nothing and "already published" in produced.nothing
    else:
        assert produced == expected


def test_an_hour_without_a_return_file_produces_nothing() -> None:
    assert returns_ingested([]).nothing == "no return file was ingested"
    failed = [{"agency": "AG01", "items": [{"file_name": "a.csv", "error": "IOError: disk"}]}]
    assert returns_ingested(failed).nothing, "a file that could not be ingested registered nothing"
    groups = [
        {"agency": "AG01", "items": [{"file_name": "a.csv", "rows_accepted": 40, "error": None},
                                     {"file_name": "b.csv", "rows_accepted": 0, "error": None},  # rejected
                                     {"file_name": "c.csv", "error": "IOError: disk"}]},
        {"agency": "AG02", "items": [{"file_name": "d.csv", "rows_accepted": 2, "error": None}]},
    ]
    assert returns_ingested(groups) == Production(rows=42, files=3)


def test_a_kept_debtor_master_or_refresh_produced_nothing_and_no_recall_is_still_a_decision() -> None:
    assert master_built({"as_of": "2026-07-01", "debtors": 1200, "kept": False}) == Production(1200)
    assert "kept as built" in master_built({"as_of": "2026-07-01", "debtors": 1200, "kept": True}).nothing
    assert recalls_decided({"on": "2026-08-01", "recalled": {"EXPIRED": 3, "PAID_IN_FULL": 2},
                            "kept_after": None}) == Production(5)
    assert recalls_decided({"on": "2026-08-01", "recalled": {}, "kept_after": None}) == Production(0)
    assert "kept as judged" in recalls_decided({"on": "2026-08-01", "recalled": {},
                                                "kept_after": "2026-09-01"}).nothing


def test_placements_count_what_was_marked_published_once() -> None:
    first = {"files_logged": 12, "dossiers_published": 500, "recalls_marked": 7, "notices_recorded": 0}
    assert placements_recorded(first) == Production(507, 12)
    again = {**first, "dossiers_published": 0, "recalls_marked": 0}
    assert "already recorded" in placements_recorded(again).nothing


def test_statement_rows_are_the_data_files_rows_not_the_manifests() -> None:
    def pub(agency: str, rows: int) -> dict[str, Any]:
        return {"package": {"agency": agency}, "published_at": "2026-08-01T05:00:00Z", "files": [
            {"name": f"CNSS_COMMISSION_{agency}_202607.csv", "file_type": "COMMISSION", "rows": rows},
            {"name": f"CNSS_COMMISSION_{agency}_202607.manifest.json", "file_type": "MANIFEST", "rows": 0},
        ]}

    assert statements_published([pub("AG01", 120), pub("AG02", 80)]) == Production(200, 4)
    assert statements_published([]).nothing


# ------------------------------------------------------------------------- closing a month
@pytest.mark.parametrize(
    ("day", "explicit", "masters", "closed"),
    [
        (D(2026, 8, 1), False, {D(2026, 8, 1)}, D(2026, 7, 1)),  # the 1st's master: closes July
        (D(2026, 1, 1), False, {D(2025, 12, 31), D(2026, 1, 1)}, D(2025, 12, 1)),
        (D(2026, 8, 1), False, set(), None),  # returns of the 1st only (before or after the master)
        (D(2026, 8, 1), False, {D(2026, 7, 31)}, None),  # last night's master, reconciled late
        (D(2026, 8, 2), False, {D(2026, 8, 2)}, None),  # any other day closes nothing
        (D(2026, 8, 1), True, set(), D(2026, 7, 1)),  # explicit logical date: `dags test`, a trigger
        (D(2026, 8, 15), True, set(), None),
    ],
)
def test_only_the_reconciliation_of_the_first_s_debtor_master_closes_the_month_before(
    day: dt.date, explicit: bool, masters: set[dt.date], closed: dt.date | None
) -> None:
    assert closed_month(day, explicit=explicit, master_days=masters) == closed


# ------------------------------------------------------------------ events from a fake context
def test_an_event_carries_month_rows_files_and_the_producing_run_s_instant(context: dict[str, Any]) -> None:
    context["logical_date"] = pendulum.datetime(2026, 7, 1, 1, tz="UTC")  # 02:00 in Casablanca
    extra = assets.emit(SOURCE_SNAPSHOTS, D(2026, 7, 1), {"tables": {"employers": snapshot(3)}})
    assert extra == {"month": "2026-07", "rows": 3, "files": 1, "logical_date": "2026-07-01T02:00:00+01:00"}
    assert context["outlet_events"][SOURCE_SNAPSHOTS].extra == extra
    # the consumer it triggers reads its date back from the extra
    events = triggered((SOURCE_SNAPSHOTS, SimpleNamespace(extra=extra)))
    assert runtime.instant_of(None, events, pendulum.datetime(2026, 7, 2, tz="UTC")) == \
        dt.datetime(2026, 7, 1, 1, tzinfo=dt.UTC)


def test_nothing_produced_skips_the_task_and_attaches_no_event(context: dict[str, Any]) -> None:
    from airflow.sdk.exceptions import AirflowSkipException

    context["logical_date"] = pendulum.datetime(2026, 7, 31, 22, tz="UTC")
    with pytest.raises(AirflowSkipException, match="no return_files event: no return file was ingested"):
        assets.emit(RETURN_FILES, D(2026, 7, 1), [])
    assert RETURN_FILES not in context["outlet_events"]


def test_the_reconciliation_of_the_first_s_master_emits_the_month_close(context: dict[str, Any]) -> None:
    from airflow.sdk.exceptions import AirflowSkipException

    # asset-triggered (no logical date) by the debtor master of 1 August, built from its 02:00 extraction
    context["triggering_asset_events"] = triggered(event(DEBTOR_MASTER, "2026-08-01T02:00:00+01:00"),
                                                   event(RETURN_FILES, "2026-07-31T23:00:00+01:00"))
    context["dag_run"] = SimpleNamespace(run_after=pendulum.datetime(2026, 8, 1, 1, 40, tz="UTC"))
    extra = assets.emit_month_close({"attributions": 17})
    assert extra == {"month": "2026-07", "rows": 17, "files": 0, "logical_date": "2026-08-01T02:00:00+01:00"}
    assert context["outlet_events"][ATTRIBUTION].extra == extra

    # returns ingested at 01:00 on the 1st, before the day's extraction: no master of the 1st yet
    context["outlet_events"] = OutletEvents()
    context["triggering_asset_events"] = triggered(event(RETURN_FILES, "2026-08-01T01:00:00+01:00"))
    with pytest.raises(AirflowSkipException, match="closes no month"):
        assets.emit_month_close({"attributions": 0})
    assert not context["outlet_events"]

    # a triggered run with an explicit logical date (the demo, a replay) is taken at its word
    context["triggering_asset_events"] = {}
    context["logical_date"] = pendulum.datetime(2026, 8, 1, 1, tz="UTC")
    assert assets.emit_month_close({"attributions": 3})["month"] == "2026-07"
    context["logical_date"] = pendulum.datetime(2026, 8, 2, 1, tz="UTC")
    with pytest.raises(AirflowSkipException):
        assets.emit_month_close({"attributions": 3})


def test_every_mart_gets_its_rows_and_a_kept_month_says_so(context: dict[str, Any]) -> None:
    context["logical_date"] = pendulum.datetime(2026, 8, 1, 1, tz="UTC")
    assets.emit_marts(D(2026, 7, 1), {"marts.fact_dossier_month": 480, "marts.kpi_agency_month": 4},
                      kept=False)
    extras = {m.name: context["outlet_events"][m].extra for m in KPI_MARTS}
    assert extras["fact_dossier_month"]["rows"] == 480 and extras["kpi_agency_month"]["rows"] == 4
    assert {e["month"] for e in extras.values()} == {"2026-07"}
    assert not any(e["kept"] for e in extras.values())
    assets.emit_marts(D(2026, 7, 1), {}, kept=True)
    assert all(context["outlet_events"][m].extra["kept"] and context["outlet_events"][m].extra["rows"] == 0
               for m in KPI_MARTS)


def test_the_kpi_marts_are_every_table_the_kpi_load_writes() -> None:
    from recouvra.kpi import MART_TABLES

    assert sorted(f"marts.{m.name}" for m in KPI_MARTS) == sorted(MART_TABLES)


def test_the_monthly_report_event_names_the_month_of_its_marts_and_one_file(context: dict[str, Any]) -> None:
    from recouvra.airflow_adapter.assets import MONTHLY_REPORT

    context["logical_date"] = pendulum.datetime(2026, 8, 3, 8, tz="UTC")  # kpi_load, 3 August 09:00
    extra = assets.emit(MONTHLY_REPORT, D(2026, 7, 1), "/data/reports/2026-07/report.html")
    assert extra == {"month": "2026-07", "rows": 0, "files": 1, "logical_date": "2026-08-03T09:00:00+01:00"}
    assert context["outlet_events"][MONTHLY_REPORT].extra == extra
    assert assets.report_written("") == Production(0, 0, "no report was written")
