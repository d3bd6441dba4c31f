"""The set-based load_ledger on PostgreSQL gives what the former row-by-row load gives on DuckDB: the
same reports and the same core.ledger_payment at every run of the world of
tests/support/ledger_reference.py (reads through Warehouse.query_arrow's COPY path)."""

from __future__ import annotations

import datetime as dt

import pytest

import ledger_reference as ref
from recouvra.ledger import load_ledger, load_ledger_before
from recouvra.warehouse import connect, migrate_connection

pytestmark = pytest.mark.postgres


def test_the_set_based_load_on_postgres_equals_the_former_one(pg_url: str) -> None:
    with connect("duckdb:///:memory:") as old, connect(pg_url) as new:
        for wh in (old, new):
            migrate_connection(wh)
            ref.hold_unstripped_reference(wh)
        for bridge, rows, on, before in ref.STEPS:
            ref.set_bridge(old, bridge)
            ref.set_bridge(new, bridge)
            with ref.lake_of(rows) as lake:
                expected = ref.load_ledger(old, lake, on - dt.timedelta(days=1) if before else on)
                got = (load_ledger_before if before else load_ledger)(new, lake, on)
            assert got == expected, (on, before)
            assert ref.table_of(new) == ref.table_of(old), (on, before)
