"""OpenLineage: the run facet that says which programme month a task's lineage event belongs to.

The OpenLineage provider (enabled by configuration: ``scripts/env.sh``, ``docker-compose.yaml``) turns
each task's inlets and outlets (the assets of :mod:`recouvra.airflow_adapter.assets`) into the inputs and
outputs of its events. Its ``[openlineage] custom_run_facets`` calls :func:`month_facet` for every task
event, so that a lineage reader finds a month's chain (source → lake → warehouse → marts → files) by
the month the runs stand for (:func:`recouvra.airflow_adapter.runtime.instant_of`: an asset-triggered
run keeps the month of the extraction it follows), not by the time the events were written.

Imported by the provider inside the task's process, at event time: light, and never raising (the
provider ignores a facet function that fails; this one returns no facet instead).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import attr
from openlineage.client.facet_v2 import RunFacet

from recouvra.airflow_adapter.runtime import instant_of
from recouvra.calendar import month_label

if TYPE_CHECKING:
    import datetime as dt
    from collections.abc import Mapping

log = logging.getLogger(__name__)

#: The key of the facet in an event's ``run.facets``.
FACET_KEY = "recouvra_month"


@attr.define
class MonthRunFacet(RunFacet):
    """The programme month (``YYYY-MM``, fund time) a run stands for, its instant (ISO 8601), and the
    task's state (``success``, ``skipped``, ``failed``, ``running``): the provider sends a COMPLETE event
    for a skipped task too, with its declared inputs and outputs, although it wrote nothing."""

    month: str
    instant: str
    state: str = ""


def month_of_context(context: Mapping[str, Any]) -> tuple[str, dt.datetime] | None:
    """The run's month and instant from a task's Airflow context; None without a DAG run."""
    dag_run = context.get("dag_run")
    if dag_run is None:
        return None
    when = instant_of(context.get("logical_date"), context.get("triggering_asset_events"), dag_run.run_after)
    return month_label(when), when


def month_facet(ti: Any, ti_state: Any) -> dict[str, RunFacet]:
    """``[openlineage] custom_run_facets``: ``{"recouvra_month": MonthRunFacet}`` for the task's event."""
    try:
        found = month_of_context(ti.get_template_context())
    except Exception as exc:  # lineage must never cost the task: no facet rather than an error
        log.debug("no month facet for %s: %s", getattr(ti, "task_id", ti), exc)
        return {}
    if found is None:
        return {}
    month, when = found
    state = str(getattr(ti_state, "value", ti_state) or "")
    return {FACET_KEY: MonthRunFacet(month=month, instant=when.isoformat(), state=state)}


# ------------------------------------------------------------------------ reading the events back
#: The layers a month's data crosses, in order, named by the groups of the assets.
LAYERS = ("source", "lake", "core", "marts", "files")


def dataset_key(uri: str) -> tuple[str, str]:
    """The OpenLineage (namespace, name) the installed providers give an asset URI: ``postgres://h:p/
    db/schema/table`` → (``postgres://h:p``, ``db.schema.table``); ``file:///path`` → (``file``,
    ``/path``). (A test holds it equal to the providers' converters.)"""
    from urllib.parse import urlsplit

    parts = urlsplit(uri)
    if parts.scheme == "postgres":
        return f"postgres://{parts.netloc}", ".".join(parts.path.strip("/").split("/"))
    if parts.scheme == "file":
        return (f"file://{parts.netloc}" if parts.netloc else "file"), parts.path
    raise ValueError(f"{uri}: no OpenLineage dataset for scheme {parts.scheme!r}")


def _layers() -> dict[tuple[str, str], str]:
    from recouvra.airflow_adapter.assets import ASSETS, SOURCE_TABLES

    return {dataset_key(a.uri): str(a.group) for a in (*SOURCE_TABLES, *ASSETS)}


def month_chain(events: list[Mapping[str, Any]], month: str) -> list[tuple[str, str, str]]:
    """A path source → lake → core → marts → files through the COMPLETE task events of ``month``
    (their :data:`FACET_KEY` facet; a skipped task's event is no link: it wrote nothing):
    ``[(job, input, output), ...]``, each hop a job that read its input and wrote its output; empty when
    the month's events draw no such path."""
    layer = _layers()
    edges: dict[str, list[tuple[str, str]]] = {}
    for event in events:
        facet = event.get("run", {}).get("facets", {}).get(FACET_KEY) or {}
        if event.get("eventType") != "COMPLETE" or facet.get("month") != month:
            continue
        if facet.get("state") == "skipped":
            continue
        job = str(event.get("job", {}).get("name", "?"))
        outputs = [(d["namespace"], d["name"]) for d in event.get("outputs", [])]
        for i in event.get("inputs", []):
            for o in outputs:
                edges.setdefault(f"{i['namespace']}|{i['name']}", []).append((job, f"{o[0]}|{o[1]}"))

    def rank(node: str) -> int:
        ns, _, name = node.partition("|")
        group = layer.get((ns, name))
        return LAYERS.index(group) if group in LAYERS else -1

    # breadth first from every source table, a hop never going back a layer
    frontier: list[tuple[str, list[tuple[str, str, str]]]] = [(n, []) for n in edges if rank(n) == 0]
    seen = {node for node, _ in frontier}
    while frontier:
        node, hops = frontier.pop(0)
        if rank(node) == len(LAYERS) - 1:
            if sorted({rank(out) for _, _, out in hops}) == list(range(1, len(LAYERS))):
                return [(job, i.split("|", 1)[1], o.split("|", 1)[1]) for job, i, o in hops]
            continue
        for job, nxt in edges.get(node, []):
            if nxt not in seen and rank(nxt) >= rank(node):
                seen.add(nxt)
                frontier.append((nxt, [*hops, (job, node, nxt)]))
    return []
