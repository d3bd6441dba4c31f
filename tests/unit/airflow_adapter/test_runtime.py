"""The run's resources from Airflow (recouvra.airflow_adapter.runtime): connections as SQLAlchemy URLs
or the configured defaults, and the run's date from the task context."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from types import SimpleNamespace

import pendulum
import pytest

from recouvra.airflow_adapter import runtime
from recouvra.calendar import RunDate


@pytest.fixture(autouse=True)
def fresh_settings() -> Iterator[None]:
    runtime.settings.cache_clear()
    yield
    runtime.settings.cache_clear()


@pytest.mark.parametrize(
    ("uri", "url"),
    [
        ("postgres://fund:s3cret@db.cnss.ma:5432/source", "postgresql+psycopg://fund:s3cret@db.cnss.ma:5432/source"),
        ("postgresql://fund@10.0.0.5/warehouse", "postgresql+psycopg://fund@10.0.0.5/warehouse"),
    ],
)
def test_a_defined_connection_gives_a_psycopg_url(
    uri: str, url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_RECOUVRA_TEST_DB", uri)
    assert runtime.connection_url("recouvra_test_db", "sqlite:///unused.db") == url


def test_without_the_connection_the_configured_default_stands(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AIRFLOW_CONN_RECOUVRA_SOURCE", raising=False)
    monkeypatch.delenv("AIRFLOW_CONN_RECOUVRA_WAREHOUSE", raising=False)
    monkeypatch.setenv("RECOUVRA__STORAGE__SOURCE_URL", "sqlite:////tmp/recouvra-test/source.db")
    assert runtime.connection_url("recouvra_missing_conn", "duckdb:///x.duckdb") == "duckdb:///x.duckdb"
    assert runtime.source_url() == "sqlite:////tmp/recouvra-test/source.db"
    assert runtime.warehouse_url() == runtime.settings().warehouse_url
    monkeypatch.setenv("AIRFLOW_CONN_RECOUVRA_WAREHOUSE", "postgres://wh@db/warehouse")
    assert runtime.warehouse_url() == "postgresql+psycopg://wh@db/warehouse"


def test_settings_are_loaded_once_per_process() -> None:
    assert runtime.settings() is runtime.settings()


def test_the_run_date_is_the_logical_day_in_morocco_or_when_the_run_was_queued(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import airflow.sdk

    # 23:30 UTC on 31 October is already 1 November in Casablanca (UTC+1)
    late = pendulum.datetime(2026, 10, 31, 23, 30, tz="UTC")
    context = {"logical_date": late, "dag_run": SimpleNamespace(run_after=None)}
    monkeypatch.setattr(airflow.sdk, "get_current_context", lambda: context)
    assert runtime.run_date() == RunDate(dt.date(2026, 11, 1))
    assert runtime.run_date().month == dt.date(2026, 11, 1)
    queued = pendulum.datetime(2026, 12, 3, 8, tz="UTC")
    context = {"logical_date": None, "dag_run": SimpleNamespace(run_after=queued)}  # asset-triggered
    assert runtime.run_date() == RunDate(dt.date(2026, 12, 3))
    # the extraction's bound: the same instant as Casablanca's wall clock, naive
    assert runtime.logical_wall_time() == dt.datetime(2026, 12, 3, 9)
    context = {"logical_date": late, "dag_run": SimpleNamespace(run_after=None)}
    assert runtime.logical_wall_time() == dt.datetime(2026, 11, 1, 0, 30)
    assert runtime.logical_wall_time().date() == runtime.run_date().day
    assert runtime.LOCAL_TZ.name == "Africa/Casablanca"
    assert runtime.START_DATE == pendulum.datetime(2024, 1, 1, tz="Africa/Casablanca")


def test_the_run_clock_is_now_but_never_later_than_the_run_s_logical_instant(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A return file's received_at is stamped by the run's clock: a re-run or backfill of a past hour
    stamps that hour, whenever it runs; a run of a future instant (or a late logical date) reads now."""
    import airflow.sdk

    past = pendulum.datetime(2026, 11, 30, 22, tz="UTC")
    context = {"logical_date": past, "dag_run": SimpleNamespace(run_after=None)}
    monkeypatch.setattr(airflow.sdk, "get_current_context", lambda: context)
    assert runtime.run_clock() == dt.datetime(2026, 11, 30, 22, tzinfo=dt.UTC)
    assert runtime.run_clock() == runtime.run_clock()  # the same whenever it runs
    future = pendulum.datetime(2999, 1, 1, tz="UTC")
    context = {"logical_date": future, "dag_run": SimpleNamespace(run_after=None)}
    before = dt.datetime.now(dt.UTC)
    assert before <= runtime.run_clock() <= dt.datetime.now(dt.UTC)


def _events(*stamps_by_asset: tuple[str, list[str | None]]) -> dict[object, list[SimpleNamespace]]:
    """A fake ``triggering_asset_events``: asset -> its events (``logical_date`` extra, or none)."""
    from airflow.sdk import Asset

    return {
        Asset(name=name): [SimpleNamespace(extra={} if s is None else {"logical_date": s}) for s in stamps]
        for name, stamps in stamps_by_asset
    }


def test_a_run_s_instant_is_its_logical_date_else_the_latest_of_its_triggering_events() -> None:
    queued = pendulum.datetime(2026, 11, 1, 0, 20, tz="UTC")
    late = pendulum.datetime(2026, 10, 31, 22, tz="UTC")  # 23:00 in Casablanca, the month's last day
    events = _events(("debtor_master", ["2026-10-30T02:00:00+01:00", "2026-10-31T02:00:00+01:00"]),
                     ("return_files", ["2026-10-31T23:00:00+01:00", None, "not a date"]))
    # a scheduled, backfilled or triggered run (and `airflow dags test`): its logical date
    assert runtime.instant_of(late, events, queued) == late
    # asset-triggered: the latest producing run's instant, not when the run was queued (already November)
    assert runtime.instant_of(None, events, queued) == dt.datetime(2026, 10, 31, 22, tzinfo=dt.UTC)
    # events that carry no readable instant: when it was queued; naive instants are UTC
    assert runtime.instant_of(None, _events(("return_files", [None, "x"])), queued) == queued
    assert runtime.instant_of(None, {}, dt.datetime(2026, 11, 1, 0, 20)) == queued
    assert runtime.event_instants(events, "debtor_master") == [
        dt.datetime(2026, 10, 30, 1, tzinfo=dt.UTC), dt.datetime(2026, 10, 31, 1, tzinfo=dt.UTC)]


def test_an_asset_triggered_run_takes_its_date_and_clock_from_the_events_that_triggered_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """commission_monthly triggered after midnight by the recalls of the 1st: the month before is still
    the one the extraction of the 1st closed, whenever the chain runs."""
    import airflow.sdk

    context = {
        "logical_date": None,
        "dag_run": SimpleNamespace(run_after=pendulum.datetime(2026, 12, 1, 23, 30, tz="UTC")),  # the 2nd
        "triggering_asset_events": _events(("recalls", ["2026-12-01T02:00:00+01:00"])),
    }
    monkeypatch.setattr(airflow.sdk, "get_current_context", lambda: context)
    assert runtime.run_date() == RunDate(dt.date(2026, 12, 1))
    assert runtime.run_date().previous_month == dt.date(2026, 11, 1)
    assert runtime.run_clock() == dt.datetime(2026, 12, 1, 1, tzinfo=dt.UTC)
    assert runtime.logical_wall_time() == dt.datetime(2026, 12, 1, 2)
    # no event says (an event posted through the API): when the run was queued, as before
    context["triggering_asset_events"] = _events(("recalls", [None]))
    assert runtime.run_date() == RunDate(dt.date(2026, 12, 2))


def test_the_demo_only_dags_load_only_where_the_demo_asks_for_them(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(runtime.DEMO_DAGS_ENV, raising=False)
    assert runtime.demo_dags_enabled() is False  # production: the variable is never set
    monkeypatch.setenv(runtime.DEMO_DAGS_ENV, "0")
    assert runtime.demo_dags_enabled() is False
    monkeypatch.setenv(runtime.DEMO_DAGS_ENV, "1")
    assert runtime.demo_dags_enabled() is True


def test_the_clock_dags_end_where_the_demo_says_in_the_fund_s_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(runtime.SCHEDULE_END_ENV, raising=False)
    assert runtime.schedule_end() is None  # production: no end
    monkeypatch.setenv(runtime.SCHEDULE_END_ENV, "2026-10-01T23:59")
    end = runtime.schedule_end()
    assert end is not None and end.in_timezone("UTC") == pendulum.datetime(2026, 10, 1, 22, 59, tz="UTC")
    monkeypatch.setenv(runtime.SCHEDULE_END_ENV, "October")
    with pytest.raises(ValueError, match="RECOUVRA_SCHEDULE_END='October'"):
        runtime.schedule_end()
