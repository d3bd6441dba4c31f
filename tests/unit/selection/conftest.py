"""The selection tests' world: an empty migrated in-memory warehouse and a lake folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from recouvra.warehouse import connect, migrate_connection


@pytest.fixture()
def world(tmp_path: Path):  # type: ignore[no-untyped-def]
    """An empty migrated in-memory warehouse and a lake folder."""
    with connect("duckdb:///:memory:") as wh:
        migrate_connection(wh)
        yield wh, tmp_path / "lake"
