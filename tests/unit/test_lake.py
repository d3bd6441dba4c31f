"""The lake's layout and current state (recouvra.lake): columns and types read from the source DDL, money
columns, and views that keep the latest version of each key across snapshots."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from recouvra.lake import (
    TABLES,
    arrow_schema,
    create_outstanding,
    current_glob,
    money_columns,
    open_lake,
    snapshot_dates,
    source_columns,
)


def _publish(lake: Path, table: str, day: str, rows: list[dict[str, Any]]) -> None:
    schema = arrow_schema(table)
    folder = lake / table / f"snapshot_date={day}"
    folder.mkdir(parents=True, exist_ok=True)
    data = {f.name: pa.array([r.get(f.name) for r in rows], f.type) for f in schema}
    pq.write_table(pa.table(data, schema=schema), folder / "part-0.parquet")


def test_every_lake_table_has_its_columns_typed_from_the_source_ddl_and_holds_its_keys() -> None:
    columns = source_columns()
    assert set(TABLES) <= set(columns)
    for table, keys in TABLES.items():
        names = [c for c, _ in columns[table]]
        assert set(keys) <= set(names) and names[-1] == "updated_at", table
    assert columns["receivables"] == [
        ("receivable_id", "int64"), ("affiliation_no", "string"), ("period", "string"), ("kind", "string"),
        ("basis", "string"), ("amount_centimes", "int64"), ("established_on", "date"), ("title_id", "string"),
        ("updated_at", "timestamp")]
    assert arrow_schema("plan_installments") == pa.schema([
        ("plan_id", pa.string()), ("seq", pa.int64()), ("due_date", pa.date32()),
        ("amount_centimes", pa.int64()), ("paid_on", pa.date32()), ("updated_at", pa.timestamp("us"))])


def test_money_columns_are_the_centimes_columns() -> None:
    assert money_columns("ledger_payments") == ["amount_centimes"]
    assert money_columns("declarations") == ["payroll_centimes"]
    assert money_columns("payment_plans") == ["total_centimes"]
    assert money_columns("employers") == []


def test_current_views_keep_the_latest_version_of_each_key_and_exist_empty_before_any_snapshot(
    tmp_path: Path,
) -> None:
    lake = tmp_path / "lake"
    assert current_glob(lake, "receivables") == f"{lake}/receivables/snapshot_date=*/*.parquet"
    t1, t2 = dt.datetime(2026, 10, 1, 9), dt.datetime(2026, 10, 20, 9)
    row = {"affiliation_no": "1000001", "period": "2026-08", "kind": "PRINCIPAL", "basis": "CONTRIBUTIONS",
           "established_on": dt.date(2026, 9, 10)}
    first = [{**row, "receivable_id": 1, "amount_centimes": 500, "updated_at": t1},
             {**row, "receivable_id": 2, "amount_centimes": 70, "updated_at": t1}]
    _publish(lake, "receivables", "2026-10-01", first)
    _publish(lake, "receivables", "2026-11-01", [{**row, "receivable_id": 1, "amount_centimes": 300,
                                                  "updated_at": t2}])
    with open_lake(lake, as_of=None, memory_limit="256MB") as con:
        current = con.execute("SELECT receivable_id, amount_centimes, updated_at FROM receivables ORDER BY 1")
        assert current.fetchall() == [(1, 300, t2), (2, 70, t1)]
        assert con.execute("SELECT count(*) FROM ledger_payments").fetchall() == [(0,)]
        described = con.execute("DESCRIBE ledger_payments").fetchall()
        assert [(r[0], r[1]) for r in described][:4] == [
            ("payment_id", "BIGINT"), ("receipt_no", "VARCHAR"), ("affiliation_no", "VARCHAR"),
            ("payment_date", "DATE")]
        # the snapshot partition column is not part of the current state
        assert "snapshot_date" not in [r[0] for r in con.execute("DESCRIBE receivables").fetchall()]


def test_a_lake_opened_as_of_a_day_shows_each_table_as_the_snapshots_up_to_that_day_left_it(
    tmp_path: Path,
) -> None:
    lake = tmp_path / "lake"
    t1, t2 = dt.datetime(2026, 10, 1, 9), dt.datetime(2026, 11, 20, 9)
    row = {"affiliation_no": "1000001", "period": "2026-08", "kind": "PRINCIPAL", "basis": "CONTRIBUTIONS",
           "established_on": dt.date(2026, 9, 10)}
    _publish(lake, "receivables", "2026-11-01", [{**row, "receivable_id": 1, "amount_centimes": 500,
                                                  "updated_at": t1}])
    _publish(lake, "receivables", "2026-12-01", [{**row, "receivable_id": 1, "amount_centimes": 300,
                                                  "updated_at": t2},
                                                 {**row, "receivable_id": 2, "amount_centimes": 70,
                                                  "updated_at": t2}])
    sql = "SELECT receivable_id, amount_centimes FROM receivables ORDER BY 1"
    # A November run re-done after December was extracted reads November's lake, not today's.
    with open_lake(lake, as_of=dt.date(2026, 11, 1)) as con:
        assert con.execute(sql).fetchall() == [(1, 500)]
    with open_lake(lake, as_of=dt.date(2026, 11, 30)) as con:
        assert con.execute(sql).fetchall() == [(1, 500)]
    with open_lake(lake, as_of=dt.date(2026, 12, 1)) as con:
        assert con.execute(sql).fetchall() == [(1, 300), (2, 70)]
    # Before the first snapshot: every table exists, empty and typed.
    with open_lake(lake, as_of=dt.date(2026, 10, 31)) as con:
        assert con.execute(sql).fetchall() == []
    assert snapshot_dates(lake, "receivables", dt.date(2026, 11, 15)) == ["2026-11-01"]
    assert snapshot_dates(lake, "receivables") == ["2026-11-01", "2026-12-01"]


def test_snapshots_written_before_the_ledger_gained_payment_ref_read_it_as_null(tmp_path: Path) -> None:
    """A lake extracted before issue 17.4 holds ledger snapshots without ``payment_ref``: the view reads
    them beside the newer ones (NULL: nothing was quoted), so an upgraded pipeline needs no re-extract."""
    lake = tmp_path / "lake"
    entry = {"receipt_no": "R", "affiliation_no": "1000001", "payment_date": dt.date(2026, 11, 5),
             "amount_centimes": 1000, "settles_period": "2026-10", "kind": "PAYMENT", "channel": "CHEQUE",
             "recorded_at": dt.datetime(2026, 11, 5, 9), "updated_at": dt.datetime(2026, 11, 5, 9)}
    old = pa.schema([f for f in arrow_schema("ledger_payments") if f.name != "payment_ref"])
    folder = lake / "ledger_payments" / "snapshot_date=2026-11-06"
    folder.mkdir(parents=True)
    pq.write_table(pa.table({f.name: pa.array([{**entry, "payment_id": 1}.get(f.name)], f.type) for f in old},
                            schema=old), folder / "part-0.parquet")
    _publish(lake, "ledger_payments", "2026-12-01",
             [{**entry, "payment_id": 2, "payment_ref": "RF14202611000123"}])
    with open_lake(lake, as_of=dt.date(2026, 12, 1)) as con:
        assert con.execute("SELECT payment_id, payment_ref FROM ledger_payments ORDER BY 1").fetchall() == [
            (1, None), (2, "RF14202611000123")]


def test_a_lake_scoped_to_some_affiliation_numbers_gives_a_reader_joining_on_them_what_the_whole_lake_gives(
    tmp_path: Path,
) -> None:
    """open_lake(affiliations=...) ranks only the rows of the keys that ever named one of the numbers; a
    key that moved to another number keeps its latest version (not an older one naming a wanted number)."""
    import random

    lake, rnd = tmp_path / "lake", random.Random(7)
    numbers = [f"10000{i:02d}" for i in range(12)]
    t = dt.datetime(2026, 9, 1, 9)
    for m, day in enumerate(["2026-10-01", "2026-11-01", "2026-12-01"]):
        receivables, payments = [], []
        for key in range(40):
            if rnd.random() < 0.6:  # a new version of this key in this snapshot, maybe on another number
                receivables.append({"receivable_id": key, "affiliation_no": rnd.choice(numbers),
                                    "period": f"2026-0{1 + key % 8}",
                                    "kind": rnd.choice(["PRINCIPAL", "SURCHARGE"]),
                                    "basis": "CONTRIBUTIONS", "amount_centimes": rnd.randint(100, 90_000),
                                    "established_on": dt.date(2026, 9, 1), "updated_at": t + dt.timedelta(m)})
            if rnd.random() < 0.3:
                payments.append({"ledger_payment_id": key, "receipt_no": f"R{key}",
                                 "affiliation_no": rnd.choice(numbers), "payment_date": dt.date(2026, 9, 15),
                                 "amount_centimes": rnd.randint(100, 50_000), "kind": "PAYMENT",
                                 "settles_period": f"2026-0{1 + key % 8}", "channel": "BANK",
                                 "updated_at": t + dt.timedelta(m)})
        _publish(lake, "receivables", day, receivables)
        _publish(lake, "ledger_payments", day, payments)
    wanted = numbers[:4]
    sql = ("SELECT * FROM outstanding WHERE affiliation_no IN (SELECT unnest($w)) "
           "ORDER BY ALL")
    on = dt.date(2026, 12, 1)
    with open_lake(lake, as_of=on) as con:
        create_outstanding(con, on)
        whole = con.execute(sql, {"w": wanted}).fetchall()
        all_keys = con.execute("SELECT count(*) FROM receivables").fetchone()
    with open_lake(lake, as_of=on, affiliations=wanted) as con:
        create_outstanding(con, on)
        scoped = con.execute(sql, {"w": wanted}).fetchall()
        scoped_keys = con.execute("SELECT count(*) FROM receivables").fetchone()
        moved = con.execute("SELECT count(*) FROM receivables WHERE affiliation_no NOT IN "
                            "(SELECT unnest($w))", {"w": wanted}).fetchone()
    assert whole and scoped == whole
    assert scoped_keys is not None and all_keys is not None and scoped_keys[0] < all_keys[0]
    assert moved is not None and moved[0] > 0  # keys that moved away keep their latest version


def test_a_view_narrowed_to_affiliation_numbers_holds_their_rows_of_the_whole_view(tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    t1, t2 = dt.datetime(2026, 10, 1, 9), dt.datetime(2026, 11, 20, 9)
    base = {"period": "2026-08", "kind": "PRINCIPAL", "basis": "CONTRIBUTIONS",
            "established_on": dt.date(2026, 9, 10)}
    _publish(lake, "receivables", "2026-11-01", [
        {**base, "receivable_id": 1, "affiliation_no": "1000001", "amount_centimes": 500, "updated_at": t1},
        {**base, "receivable_id": 2, "affiliation_no": "1000002", "amount_centimes": 900, "updated_at": t1},
        {**base, "receivable_id": 3, "affiliation_no": "1000003", "amount_centimes": 800, "updated_at": t1},
        {**base, "receivable_id": 4, "affiliation_no": "1000001", "amount_centimes": 100, "updated_at": t1},
    ])
    _publish(lake, "receivables", "2026-12-01", [
        # 1 moves to an unwanted number (its older version must not come back), 3 moves to a wanted one
        {**base, "receivable_id": 1, "affiliation_no": "1000003", "amount_centimes": 400, "updated_at": t2},
        {**base, "receivable_id": 3, "affiliation_no": "1000002", "amount_centimes": 700, "updated_at": t2},
        {**base, "receivable_id": 4, "affiliation_no": "1000001", "amount_centimes": 50, "updated_at": t2},
    ])
    _publish(lake, "ledger_payments", "2026-11-01", [
        {"payment_id": 9, "receipt_no": "R9", "affiliation_no": "1000002",
         "payment_date": dt.date(2026, 11, 2), "amount_centimes": 200, "settles_period": "2026-08",
         "kind": "PAYMENT", "channel": "CHEQUE", "recorded_at": t1, "updated_at": t1}])
    wanted = ["1000001", "1000002", "7777777"]
    on = dt.date(2026, 12, 1)
    sql = "SELECT * FROM {} WHERE affiliation_no IN (SELECT unnest($w)) ORDER BY ALL"
    got = {}
    for scope in (None, wanted):
        with open_lake(lake, as_of=on, affiliations=scope) as con:
            create_outstanding(con, on)
            got[scope is None] = {t: con.execute(sql.format(t), {"w": wanted}).fetchall()
                                  for t in ("receivables", "outstanding")}
            if scope is not None:
                assert con.execute("SELECT count(*) FROM disputes").fetchall() == [(0,)]  # no snapshot
    whole, narrowed = got[True], got[False]
    assert narrowed == whole
    assert [r[0] for r in narrowed["receivables"]] == [2, 3, 4]  # not 1: it left 1000001
    assert [(r[0], r[1], r[4]) for r in narrowed["outstanding"]] == [("1000001", "2026-08", 50),
                                                                      ("1000002", "2026-08", 1400)]


def test_memory_limit_holds_inside_the_block_and_the_connection_s_own_comes_back() -> None:
    import duckdb

    from recouvra.lake import memory_limit

    con = duckdb.connect(config={"memory_limit": "2GB"})

    def current() -> str:
        row = con.execute("SELECT current_setting('memory_limit')").fetchone()
        assert row is not None
        return str(row[0])

    own = current()
    with memory_limit(con, "500MB"):
        assert current() == "476.8 MiB"  # 500 MB as DuckDB shows it
    assert current() == own
    for _ in range(5):  # given back as it was, not a little less at every use
        with memory_limit(con, "1GB"):
            pass
    assert current() == own == "1.8 GiB"
    with pytest.raises(ZeroDivisionError), memory_limit(con, "300MB"):
        raise ZeroDivisionError  # the block failing gives the limit back too
    assert current() == own
