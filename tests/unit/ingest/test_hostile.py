"""Hostile return files through the ingestion the returns_ingest DAG runs (issue 13, item 8).

Generated stories of agency uploads (``hostile.py``: names path-like, look-alike, over-long or reused;
content in other encodings, with NUL bytes, ragged rows, unterminated quotes, huge cells, formula
payloads, mixed line ends, empty or header-only; sidecars good and bad; files above 50 MiB), two
ingestion runs per story on an agency account that is a local folder, through ``fetch_inbox``,
``ingest_fetched`` (the embedded DuckDB warehouse), ``deliver_acks`` and ``record_deliveries``, with
every invariant checked after each run (``hostile._one_run``). The same stories over the embedded SFTP
server: tests/integration/test_ingest_hostile_sftp.py.

``RECOUVRA_HOSTILE_FILES`` sets how many files (default 2,000, under three minutes on the 2-core
reference machine: 10,000 take about a quarter of an hour, too long for every run of the suite);
``make hostile`` runs 10,000 and writes the figures of docs/benchmarks.md ("Hostile return files") to
``RECOUVRA_HOSTILE_REPORT``. Hypothesis is derandomized: every run tests the same stories.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given

from recouvra.ingest import deliver_acks, fetch_inbox, ingest_fetched, record_deliveries
from recouvra.warehouse import Warehouse, connect, migrate_connection

_spec = importlib.util.spec_from_file_location("ingest_hostile", Path(__file__).with_name("hostile.py"))
assert _spec is not None and _spec.loader is not None
hostile = importlib.util.module_from_spec(_spec)
sys.modules.setdefault("ingest_hostile", hostile)
_spec.loader.exec_module(hostile)

pytestmark = [pytest.mark.unit, pytest.mark.slow]

FILES = int(os.environ.get("RECOUVRA_HOSTILE_FILES", "2000"))


@pytest.fixture()
def wh() -> Iterator[Warehouse]:
    with connect("duckdb:///:memory:") as conn:
        migrate_connection(conn)
        hostile.seed_world(conn)
        yield conn


def test_hostile_files_are_each_acknowledged_once_counted_and_stored_as_the_contract_says(
    wh: Warehouse, tmp_path: Path
) -> None:
    tally = hostile.Tally()
    clock = hostile.Clock()
    codes = hostile.agencies()
    debtors = iter(range(100, 10**9, 3))
    started = time.monotonic()

    @hostile.story_settings(FILES)
    @given(plans=hostile.stories(hostile.FILES_PER_STORY))
    @example(plans=hostile.coverage_story())
    def story(plans: list[Any]) -> None:
        agency = next(codes)
        hostile.seed_agency(wh, agency, next(debtors))
        account = hostile.LocalAccount(tmp_path / "sftp" / agency)
        try:
            hostile.run_story(wh, plans, account, agency, tmp_path / "spool", clock, tally)
        finally:
            hostile.cleanup(tmp_path / "sftp" / agency)
            hostile.cleanup(tmp_path / "spool" / agency)

    story()

    figures = {**tally.as_dict(), "wall_seconds": round(time.monotonic() - started, 1)}
    report = os.environ.get("RECOUVRA_HOSTILE_REPORT")
    if report:
        Path(report).write_text(json.dumps(figures, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    # the generated stories and the hand-written one (hostile.coverage_story)
    assert tally.uploads == (hostile.stories_for(FILES) + 1) * hostile.FILES_PER_STORY
    assert tally.acked == tally.received > 0
    assert tally.rows["received"] == tally.rows["accepted"] + tally.rows["rejected"] + tally.rows["duplicate"]
    # the stories reach every outcome the contract has, file-level and row-level
    assert set(tally.statuses) == {"ACCEPTED", "PARTIAL", "REJECTED", "DUPLICATE"}, tally.statuses
    assert {f"F00{k}" for k in range(1, 9)} <= set(tally.codes), tally.codes


def test_a_file_of_exactly_50_mib_with_a_50_mib_cell_is_read_judged_and_kept_verbatim(
    wh: Warehouse, tmp_path: Path
) -> None:
    """At the cap (52,428,800 bytes: accepted, one byte more is F005), through the same four calls:
    the huge cell is E012 (a cell holds 1,000 characters), its row kept whole in the quarantine, the
    other row loaded, the formula payload at the start of the huge cell stored as sent and guarded in
    nothing the fund writes (the rejects file gives its length, not its text)."""
    agency = "L0001"
    hostile.seed_agency(wh, agency, 50)
    account = hostile.LocalAccount(tmp_path / "sftp" / agency)
    dossier = hostile.dossier_id(agency, 1)
    head = (f"dossier_id;action_id;action_date;action_type;outcome;comment\n"
            f"{dossier};A1;2026-11-10;CALL;NO_ANSWER;=1+1\n{dossier};A2;2026-11-10;CALL;NO_ANSWER;")
    huge = "=" + "x" * (hostile.CAP - len(head.encode()) - 2)
    data = (head + huge + "\n").encode()
    assert len(data) == hostile.CAP
    name = f"{agency}_ACTIONS_20261125_01.csv"
    (account.home / "inbox" / name).write_bytes(data)

    with account.fund() as client:
        fetched = fetch_inbox(client, agency, tmp_path / "spool", clock=hostile.Clock())
    (group,) = ingest_fetched(wh, [fetched], hostile.AS_OF)
    with account.fund() as client:
        delivered = deliver_acks(client, agency, group["items"])
    record_deliveries(wh, [delivered])

    (item,) = group["items"]
    assert (item["error"], item["status"], item["rows_received"], item["rows_accepted"],
            item["rows_rejected"]) == (None, "PARTIAL", 2, 1, 1)
    assert wh.query("SELECT action_id, comment FROM core.agency_action WHERE agency_code = ?", [agency]) == [
        ("A1", "=1+1")]
    ((line_no, code, raw_line),) = wh.query(
        "SELECT line_no, reason_code, raw_line FROM core.return_reject r JOIN core.return_file f "
        "USING (return_file_id) WHERE f.agency_code = ?", [agency])
    row = f"{dossier};A2;2026-11-10;CALL;NO_ANSWER;"
    assert (line_no, code, len(raw_line)) == (3, "E012", len(row) + len(huge))
    assert raw_line.endswith(";" + huge)
    rejects = (account.home / "outbox" / "acks" / f"{agency}_ACTIONS_20261125_01.rejects.csv").read_text()
    assert rejects.splitlines()[1].startswith("3;A2;E012;comment: 52,428,") and len(rejects) < 500
    assert delivered[0]["moved_to"] == f"inbox/processed/{name}"
