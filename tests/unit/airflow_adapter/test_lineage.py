"""Lineage (recouvra.airflow_adapter.lineage): the month facet of a task's event, the datasets the
providers make of our asset URIs, and a month's chain source → lake → warehouse → marts → files read
back from events."""

from __future__ import annotations

import datetime as dt
import json
from types import SimpleNamespace
from typing import Any

import pytest
from openlineage.client.serde import Serde

from recouvra.airflow_adapter.assets import (
    ASSETS,
    DEBTOR_MASTER,
    KPI_MARTS,
    MONTHLY_REPORT,
    SOURCE_SNAPSHOTS,
    SOURCE_TABLES,
)
from recouvra.airflow_adapter.lineage import FACET_KEY, dataset_key, month_chain, month_facet
from recouvra.lake import TABLES


def _ti(context: dict[str, Any]) -> SimpleNamespace:
    return SimpleNamespace(task_id="t", get_template_context=lambda: context)


def test_the_facet_names_the_month_the_run_stands_for() -> None:
    run = SimpleNamespace(run_after=dt.datetime(2026, 12, 3, tzinfo=dt.UTC))
    # 1 August 00:30 in Casablanca is still 31 July in UTC: the fund's month counts
    logical = dt.datetime(2026, 7, 31, 23, 30, tzinfo=dt.UTC)
    facets = month_facet(_ti({"dag_run": run, "logical_date": logical}), "success")
    body = json.loads(Serde.to_json(facets[FACET_KEY]))
    assert (body["month"], body["instant"]) == ("2026-08", "2026-07-31T23:30:00+00:00")
    assert body["state"] == "success"
    assert body["_schemaURL"].endswith("RunFacet")


def test_the_facet_never_raises() -> None:
    assert month_facet(_ti({}), "success") == {}
    assert month_facet(SimpleNamespace(), "failed") == {}  # no context at all


def test_source_tables_are_the_lake_s_tables_and_no_scheduling_asset() -> None:
    assert [a.name for a in SOURCE_TABLES] == [f"source_{t}" for t in TABLES]
    assert not {a.uri for a in SOURCE_TABLES} & {a.uri for a in ASSETS}


def test_dataset_keys_are_the_providers_own() -> None:
    from airflow.providers.common.compat.openlineage.utils.utils import translate_airflow_asset

    for asset in (*SOURCE_TABLES, *ASSETS):
        ol = translate_airflow_asset(asset, None)
        assert ol is not None, asset.uri
        assert dataset_key(asset.uri) == (ol.namespace, ol.name)
    with pytest.raises(ValueError, match="scheme"):
        dataset_key("recouvra://x")


def _event(job: str, inputs: list[str], outputs: list[str], month: str = "2026-08",
           kind: str = "COMPLETE", state: str = "success") -> dict[str, Any]:
    def ds(uri: str) -> dict[str, str]:
        ns, name = dataset_key(uri)
        return {"namespace": ns, "name": name}

    return {"eventType": kind, "job": {"namespace": "recouvra", "name": job},
            "run": {"facets": {FACET_KEY: {"month": month, "state": state}}},
            "inputs": [ds(u) for u in inputs], "outputs": [ds(u) for u in outputs]}


MART = KPI_MARTS[0].uri
MONTH = [
    _event("portfolio_extract.report", [SOURCE_TABLES[0].uri], [SOURCE_SNAPSHOTS.uri]),
    _event("debtor_master.build_debtor_master", [SOURCE_SNAPSHOTS.uri], [DEBTOR_MASTER.uri]),
    _event("kpi_load.load_kpis", [DEBTOR_MASTER.uri], [MART]),
    _event("kpi_load.render_report", [MART], [MONTHLY_REPORT.uri]),
]


def test_a_month_s_chain_goes_through_every_layer_in_order() -> None:
    chain = month_chain(MONTH, "2026-08")
    assert [job for job, _, _ in chain] == [e["job"]["name"] for e in MONTH]
    assert chain[0][1] == "cnss.public.employers" and chain[-1][2] == "/opt/airflow/data/reports"


@pytest.mark.parametrize(
    "events",
    [
        MONTH[:1] + MONTH[2:],  # the debtor master's event is missing: the lake leads nowhere
        [*MONTH[:3], _event("kpi_load.render_report", [MART], [MONTHLY_REPORT.uri], month="2026-09")],
        [*MONTH[:3], _event("kpi_load.render_report", [MART], [MONTHLY_REPORT.uri], kind="START")],
        # skipped: the provider still says COMPLETE, with the declared datasets, but nothing was written
        [*MONTH[:3], _event("kpi_load.render_report", [MART], [MONTHLY_REPORT.uri], state="skipped")],
        # the report straight from the lake skips the warehouse and the marts: no chain
        [MONTH[0], _event("x.report", [SOURCE_SNAPSHOTS.uri], [MONTHLY_REPORT.uri])],
    ],
)
def test_no_chain_when_a_link_is_missing_or_of_another_month(events: list[dict[str, Any]]) -> None:
    assert month_chain(events, "2026-08") == []
