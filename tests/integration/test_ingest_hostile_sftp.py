"""Hostile return files over the embedded SFTP server (issue 13, item 8): the stories of
tests/unit/ingest/hostile.py, uploaded by the agency's own SFTP login (names sent as bytes: names no
text holds too) and taken by the fund's client (``server.params``), through the same four calls the
returns_ingest DAG makes, every invariant checked after each run.

What the server decides here: a name holding a NUL, a name longer than 255 bytes (or its ``.part``),
a path into a folder that does not exist, a name that is a folder (``processed``) and any file above
50 MiB (``File too large``) are refused: never received, never answered. ``..``, ``/`` and ``./`` are
resolved inside the home: what lands in ``inbox/`` under a name is received under that name, what
lands elsewhere is not. The bulk (thousands of files, an account that is a local folder):
tests/unit/ingest/test_hostile.py. The same stories into the production warehouse engine
(PostgreSQL, whose loads go through COPY): the last test here.
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

from recouvra.standins.sftp_server import EmbeddedSftpServer
from recouvra.warehouse import Warehouse, connect, migrate_connection

_path = Path(__file__).resolve().parents[1] / "unit" / "ingest" / "hostile.py"
_spec = importlib.util.spec_from_file_location("ingest_hostile", _path)
assert _spec is not None and _spec.loader is not None
hostile = importlib.util.module_from_spec(_spec)
sys.modules.setdefault("ingest_hostile", hostile)
_spec.loader.exec_module(hostile)

pytestmark = [pytest.mark.integration, pytest.mark.slow]

FILES = int(os.environ.get("RECOUVRA_HOSTILE_SFTP_FILES", "400"))
PG_FILES = int(os.environ.get("RECOUVRA_HOSTILE_PG_FILES", "200"))


@pytest.fixture()
def wh() -> Iterator[Warehouse]:
    with connect("duckdb:///:memory:") as conn:
        migrate_connection(conn)
        hostile.seed_world(conn)
        yield conn


def test_hostile_files_over_sftp_are_each_acknowledged_once_counted_and_stored_as_the_contract_says(
    wh: Warehouse, tmp_path: Path
) -> None:
    tally = hostile.Tally()
    clock = hostile.Clock()
    codes = hostile.agencies()
    debtors = iter(range(100, 10**9, 3))
    started = time.monotonic()

    @hostile.story_settings(FILES)
    @given(plans=hostile.stories(hostile.FILES_PER_STORY, sftp=True))
    @example(plans=hostile.coverage_story(sftp=True))
    def story(plans: list[Any]) -> None:
        agency = next(codes)
        hostile.seed_agency(wh, agency, next(debtors))
        with EmbeddedSftpServer(tmp_path / "sftp", [agency]) as server, \
                hostile.SftpAccount(server, agency) as account:
            try:
                hostile.run_story(wh, plans, account, agency, tmp_path / "spool", clock, tally)
            finally:
                hostile.cleanup(account.home)
                hostile.cleanup(tmp_path / "spool" / agency)

    story()

    report = os.environ.get("RECOUVRA_HOSTILE_SFTP_REPORT")
    if report:
        figures = {**tally.as_dict(), "wall_seconds": round(time.monotonic() - started, 1)}
        Path(report).write_text(json.dumps(figures, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    assert tally.acked == tally.received > 0
    assert tally.rows["received"] == tally.rows["accepted"] + tally.rows["rejected"] + tally.rows["duplicate"]
    assert set(tally.statuses) == {"ACCEPTED", "PARTIAL", "REJECTED", "DUPLICATE"}, tally.statuses
    assert sum(tally.refused.values()) > 0, "no upload the server refused"
    assert tally.generated["name:not_utf8"], "no name the server holds as bytes only"


@pytest.mark.postgres
def test_hostile_files_into_postgresql_are_each_acknowledged_once_counted_and_stored_verbatim(
    pg_url: str, tmp_path: Path
) -> None:
    """PostgreSQL is the production warehouse: its bulk loads go through COPY (CSV), where a cell of
    quotes, line ends, a lone backslash-dot or a megabyte must come back exactly as sent."""
    tally = hostile.Tally()
    clock = hostile.Clock()
    codes = hostile.agencies()
    debtors = iter(range(100, 10**9, 3))
    with connect(pg_url) as wh:
        migrate_connection(wh)
        hostile.seed_world(wh)

        @hostile.story_settings(PG_FILES)
        @given(plans=hostile.stories(hostile.FILES_PER_STORY))
        @example(plans=hostile.coverage_story())
        def story(plans: list[Any]) -> None:
            agency = next(codes)
            hostile.seed_agency(wh, agency, next(debtors))
            account = hostile.LocalAccount(tmp_path / "sftp" / agency)
            try:
                hostile.run_story(wh, plans, account, agency, tmp_path / "spool", clock, tally)
            finally:
                hostile.cleanup(account.home)
                hostile.cleanup(tmp_path / "spool" / agency)

        story()

    assert tally.acked == tally.received > 0
    assert {"ACCEPTED", "PARTIAL", "REJECTED"} <= set(tally.statuses), tally.statuses
