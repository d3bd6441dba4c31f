"""The warehouse schema and its migration step on embedded DuckDB; the access layer's contract."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from recouvra.errors import WarehouseError
from recouvra.warehouse import (
    DATA_DICTIONARY,
    connect,
    data_dictionary,
    describe,
    discover_migrations,
    list_columns,
    migrate,
    migrate_connection,
    migrations_dir,
    normalize_type,
    parse_url,
    split_statements,
)

EXPECTED_TABLES = {
    "meta": {"schema_migrations", "staging_load"},
    "staging": {
        "employers", "declarations", "titles", "receivables", "ledger_payments", "payment_plans",
        "plan_installments", "legal_proceedings", "disputes",
    },
    "core": {
        "dim_debtor", "debtor_history", "bridge_affiliation_debtor", "debtor_match_evidence",
        "debtor_portfolio", "debtor_source_golden", "match_model", "match_model_level", "dim_agency",
        "selection_decision", "selection_run",
        "selection_score", "dossier", "dossier_period", "dossier_recall", "dossier_addition", "lifecycle_run",
        "publication_log", "return_file", "return_reject", "agency_action", "agency_contact_update",
        "agency_payment", "agency_plan", "agency_closure", "agency_dispute", "agency_objection",
        "recall_notice", "ledger_payment",
        "ledger_payment_notice",
        "payment_match", "attribution", "attribution_kind", "commission_statement", "dossier_update",
        "reconcile_input",
    },
    "marts": {
        "fact_dossier_month", "kpi_recovery_vintage", "kpi_cohort_outcome", "kpi_agency_month",
        "kpi_portfolio_month", "kpi_cohort_month", "kpi_agency_league", "kpi_agency_effect",
        "kpi_score_calibration", "kpi_recovered_kind",
    },
}
ALL_VERSIONS = [m.version for m in discover_migrations()]


@pytest.fixture()
def url(tmp_path: Path) -> str:
    return f"duckdb:///{(tmp_path / 'warehouse.duckdb').as_posix()}"


@pytest.fixture()
def migrations_copy(tmp_path: Path) -> Path:
    """The project's migration files copied to a folder a test may edit."""
    folder = tmp_path / "migrations"
    folder.mkdir()
    for path in migrations_dir().glob("V*.sql"):
        shutil.copy(path, folder / path.name)
    return folder


def tables(url: str) -> dict[str, set[str]]:
    with connect(url) as wh:
        rows = wh.query(
            "SELECT table_schema, table_name FROM information_schema.tables "
            "WHERE table_schema IN ('staging', 'core', 'marts', 'meta') AND table_type = 'BASE TABLE'"
        )
    out: dict[str, set[str]] = {}
    for schema, table in rows:
        out.setdefault(schema, set()).add(table)
    return out


def history(url: str) -> list[tuple[object, ...]]:
    with connect(url) as wh:
        return wh.query("SELECT version, name, checksum, applied_at FROM meta.schema_migrations ORDER BY 1")


# --- migrations -------------------------------------------------------------------------------------

def test_migrate_creates_every_schema_and_table(url: str) -> None:
    applied = migrate(url)

    assert applied == ALL_VERSIONS == [f"V{i:03d}" for i in range(1, len(ALL_VERSIONS) + 1)]
    with connect(url) as wh:
        schemas = {s for (s,) in wh.query("SELECT schema_name FROM information_schema.schemata")}
    assert {"staging", "core", "marts", "meta"} <= schemas
    assert tables(url) == EXPECTED_TABLES
    recorded = history(url)
    assert [(v, n, c) for v, n, c, _ in recorded] == [
        (m.version, m.name, m.checksum) for m in discover_migrations()
    ]


def test_every_table_and_column_is_commented_and_money_is_decimal(url: str) -> None:
    migrate(url)
    with connect(url) as wh:
        columns = list_columns(wh)
    assert len({(c.schema, c.table) for c in columns}) == sum(len(t) for t in EXPECTED_TABLES.values())
    assert [f"{c.schema}.{c.table}.{c.name}" for c in columns if not (c.comment and c.table_comment)] == []
    types = {c.data_type for c in columns}
    assert types <= {"VARCHAR", "BIGINT", "INTEGER", "DATE", "TIMESTAMP", "BOOLEAN", "DECIMAL(18,2)",
                     "DECIMAL(6,4)", "DECIMAL(7,4)", "DECIMAL(9,6)", "DECIMAL(12,4)",
                     "DECIMAL(18,6)",  # coverage rates (V021): ratios above 999
                     "DOUBLE"}  # the stored matching model's probabilities (V033), exactly as trained
    assert {f"{c.schema}.{c.table}" for c in columns if c.data_type == "DOUBLE"} == {
        "core.match_model", "core.match_model_level"}
    money = re.compile(r"(amount|_due|total|_cap|_to_date|_this_month|_in_month|^recovered_\d+d)$")
    amounts = [c for c in columns if c.schema != "staging" and money.search(c.name)]
    assert len(amounts) > 45 and {c.data_type for c in amounts} == {"DECIMAL(18,2)"}
    centimes = [c for c in columns if c.name.endswith("_centimes")]
    assert centimes and {(c.schema, c.data_type) for c in centimes} == {("staging", "BIGINT")}


def test_describe_counts_tables_per_schema_and_names_missing_ones(url: str) -> None:
    with pytest.raises(WarehouseError, match=r"schema\(s\) staging, core, marts, meta missing"):
        describe(url)
    migrate(url)
    assert describe(url) == {s: len(EXPECTED_TABLES[s]) for s in ("staging", "core", "marts", "meta")}
    assert describe(url, required_schemas=("core",)) == {"core": len(EXPECTED_TABLES["core"])}


def test_staging_mirrors_the_source_tables(url: str) -> None:
    from recouvra.lake import TABLES, source_columns

    migrate(url)
    with connect(url) as wh:
        columns = list_columns(wh)
    kinds = {"BIGINT": "int64", "INTEGER": "int64", "DATE": "date", "TIMESTAMP": "timestamp",
             "VARCHAR": "string"}
    for table in TABLES:
        staged = [(c.name, kinds[c.data_type]) for c in columns
                  if (c.schema, c.table) == ("staging", table) and c.name != "snapshot_date"]
        assert staged == source_columns()[table], table
    assert EXPECTED_TABLES["staging"] == set(TABLES)


def test_rerun_applies_nothing_and_changes_nothing(url: str) -> None:
    migrate(url)
    with connect(url) as wh:
        before = list_columns(wh)
    recorded = history(url)

    assert migrate(url) == []
    assert migrate(url) == []

    with connect(url) as wh:
        assert list_columns(wh) == before
    assert history(url) == recorded


def test_tampered_applied_migration_raises_naming_it(url: str, migrations_copy: Path) -> None:
    assert migrate(url, migrations_copy) == ALL_VERSIONS
    target = migrations_copy / "V003__create_debtor_tables.sql"
    target.write_text(target.read_text(encoding="utf-8").replace("legal_name", "name"), encoding="utf-8")

    with pytest.raises(WarehouseError) as err:
        migrate(url, migrations_copy)
    assert str(err.value).startswith("V003__create_debtor_tables.sql: changed after it was applied")


def test_line_end_conversion_is_not_tampering(url: str, migrations_copy: Path) -> None:
    migrate(url, migrations_copy)
    target = migrations_copy / "V001__create_schemas.sql"
    target.write_bytes(target.read_bytes().replace(b"\n", b"\r\n"))

    assert migrate(url, migrations_copy) == []


def test_failing_statement_leaves_no_partial_migration(url: str, tmp_path: Path) -> None:
    folder = tmp_path / "migrations"
    folder.mkdir()
    (folder / "V001__create_things.sql").write_text(
        "CREATE SCHEMA IF NOT EXISTS core;\nCREATE TABLE core.thing (id BIGINT PRIMARY KEY);\n",
        encoding="utf-8",
    )
    broken = folder / "V002__add_more.sql"
    broken.write_text(
        "CREATE TABLE core.more (id BIGINT PRIMARY KEY);\n"
        "INSERT INTO core.more VALUES (1);\n"
        "INSERT INTO core.no_such_table SELECT id FROM core.more;\n",
        encoding="utf-8",
    )

    with pytest.raises(WarehouseError) as err:
        migrate(url, folder)

    message = str(err.value)
    assert message.startswith("V002__add_more.sql: statement 3 of 3 failed")
    assert "INSERT INTO core.no_such_table" in message
    assert [v for v, *_ in history(url)] == ["V001"]
    assert tables(url)["core"] == {"thing"}

    broken.write_text("CREATE TABLE core.more (id BIGINT PRIMARY KEY);\n", encoding="utf-8")
    assert migrate(url, folder) == ["V002"]
    assert tables(url)["core"] == {"thing", "more"}


def test_migration_history_errors_are_explained(url: str, migrations_copy: Path) -> None:
    migrate(url, migrations_copy)
    (migrations_copy / "V002__create_staging_tables.sql").rename(migrations_copy / "v2_staging.sql")
    with pytest.raises(WarehouseError, match=r"v2_staging\.sql: not a migration file name"):
        migrate(url, migrations_copy)
    (migrations_copy / "v2_staging.sql").unlink()
    with pytest.raises(WarehouseError, match=r"migration V002 is applied but no file"):
        migrate(url, migrations_copy)


def test_a_migration_numbered_below_the_latest_applied_is_refused(url: str, migrations_copy: Path) -> None:
    migrate(url, migrations_copy)
    shutil.copy(migrations_copy / "V001__create_schemas.sql", migrations_copy / "V000__late.sql")
    with pytest.raises(WarehouseError, match=rf"V000__late\.sql: older than {ALL_VERSIONS[-1]}"):
        migrate(url, migrations_copy)


def engine_specific_migrations(folder: Path) -> Path:
    """V002 for PostgreSQL only (a DO block, which DuckDB cannot parse), V003 for DuckDB only (a macro,
    which PostgreSQL has not), between two migrations for both."""
    folder.mkdir()
    (folder / "V001__create_things.sql").write_text(
        "CREATE SCHEMA IF NOT EXISTS core;\nCREATE TABLE core.thing (id BIGINT PRIMARY KEY);\n",
        encoding="utf-8")
    (folder / "V002__create_pg_only_postgresql.sql").write_text(
        "-- PostgreSQL only.\nDO 'BEGIN CREATE TABLE core.pg_only (id BIGINT); END';\n", encoding="utf-8")
    (folder / "V003__create_duck_only_duckdb.sql").write_text(
        "CREATE TABLE core.duck_only (id BIGINT);\nCREATE MACRO core.twice(x) AS x * 2;\n", encoding="utf-8")
    (folder / "V004__add_more.sql").write_text("CREATE TABLE core.more (id BIGINT);\n", encoding="utf-8")
    return folder


def test_a_migration_for_the_other_engine_is_recorded_and_not_run(url: str, tmp_path: Path) -> None:
    folder = engine_specific_migrations(tmp_path / "migrations")
    assert [m.engine for m in discover_migrations(folder)] == [None, "postgresql", "duckdb", None]

    assert migrate(url, folder) == ["V001", "V002", "V003", "V004"]

    assert tables(url)["core"] == {"thing", "duck_only", "more"}  # V002's DO block never ran here
    with connect(url) as wh:
        assert wh.query("SELECT core.twice(21)") == [(42,)]
    assert [(v, n, c) for v, n, c, _ in history(url)] == [
        (m.version, m.name, m.checksum) for m in discover_migrations(folder)
    ]
    assert migrate(url, folder) == []


def test_the_bi_role_migration_is_for_postgresql_only() -> None:
    [bi_role] = [m for m in discover_migrations() if "recouvra_bi" in m.sql and "CREATE ROLE" in m.sql]
    assert bi_role.engine == "postgresql" and bi_role.name.endswith("_postgresql.sql")
    statements = " ".join(split_statements(bi_role.sql)).upper()  # comments removed
    assert "CREATE ROLE RECOUVRA_BI NOLOGIN" in statements
    assert "PASSWORD" not in statements, "no password in the repository: the operator sets them"


def test_a_read_only_connection_refuses_writes(url: str) -> None:
    migrate(url)
    with connect(url, read_only=True) as wh:
        assert wh.query("SELECT count(*) FROM marts.v_agency_league") == [(0,)]
        with pytest.raises(WarehouseError, match="read-only"):
            wh.execute("DELETE FROM marts.kpi_agency_league")


def test_data_dictionary_is_current() -> None:
    assert DATA_DICTIONARY.read_text(encoding="utf-8") == data_dictionary(), (
        "docs/data-dictionary.md is stale: regenerate it with recouvra.warehouse.write_data_dictionary()"
    )


# --- rules the schema enforces ----------------------------------------------------------------------

def test_money_integrity_is_enforced_per_dossier_month(url: str) -> None:
    migrate(url)
    insert = (
        "INSERT INTO marts.fact_dossier_month VALUES "
        "(DATE '2026-12-01', 'D202611-000001', 'AG01', 1, 'FRESH', 'Casablanca-Settat', DATE '2026-11-01', "
        "1, ?, 0.00, ?, 0.00, 0.00, 0.00, ?, 0.00, 1)"
    )
    with connect(url) as wh:
        wh.execute(insert, [Decimal("1000.00"), Decimal("250.10"), Decimal("749.90")])
        with pytest.raises(WarehouseError, match="CHECK"):
            wh.execute(insert.replace("'D202611-000001'", "'D202611-000002'"),
                       [Decimal("1000.00"), Decimal("250.10"), Decimal("749.89")])
        assert wh.query("SELECT count(*) FROM marts.fact_dossier_month") == [(1,)]


def test_ids_come_from_sequences(url: str) -> None:
    migrate(url)
    now = dt.datetime(2026, 11, 1, 6, 0)
    with connect(url) as wh:
        for no in ("1000001", "1000002"):
            wh.execute(
                "INSERT INTO core.dim_debtor (primary_affiliation_no, legal_name, is_natural_person, "
                "activity_status, affiliations_count, status, created_at, updated_at) "
                "VALUES (?, 'Atlas SARL', false, 'ACTIVE', 1, 'ACTIVE', ?, ?)",
                [no, now, now],
            )
        assert wh.query("SELECT debtor_id, primary_affiliation_no FROM core.dim_debtor ORDER BY 1") == [
            (1, "1000001"), (2, "1000002"),
        ]


# --- access layer -----------------------------------------------------------------------------------

def dossier_periods() -> pa.Table:
    amounts = [Decimal("0.01"), Decimal("0.10"), Decimal("1234.56"), Decimal("9999999999999999.99"),
               Decimal("30000.00")]
    return pa.table({
        "dossier_id": ["D202611-000123"] * 5,
        "period": pa.array([dt.date(2026, m, 1) for m in (1, 2, 3, 4, 5)], pa.date32()),
        "kind": ["PRINCIPAL", "SURCHARGE", "PENALTY", "PRINCIPAL", "SURCHARGE"],
        "amount_due": pa.array(amounts, pa.decimal128(18, 2)),
        "title_id": [None, "T-1", "", None, "T;2"],
    })


def test_load_arrow_round_trips_decimal_money_exactly(url: str) -> None:
    migrate(url)
    data = dossier_periods()
    with connect(url) as wh:
        assert wh.load_arrow("core.dossier_period", data) == 5
        rows = wh.query("SELECT period, kind, amount_due, title_id FROM core.dossier_period ORDER BY period")
        total = wh.query("SELECT sum(amount_due) FROM core.dossier_period")[0][0]
    assert [r[2] for r in rows] == data.column("amount_due").to_pylist()
    assert all(isinstance(r[2], Decimal) for r in rows)
    assert total == sum(data.column("amount_due").to_pylist()) == Decimal("10000000000031234.66")
    assert [r[3] for r in rows] == [None, "T-1", "", None, "T;2"]


def test_query_arrow_reads_rows_back_as_the_schema_says(url: str) -> None:
    migrate(url)
    data = dossier_periods()
    schema = pa.schema([("period", pa.date32()), ("amount", pa.decimal128(18, 2)), ("title", pa.string())])
    with connect(url) as wh:
        wh.load_arrow("core.dossier_period", data)
        sql = "SELECT period, amount_due, title_id FROM core.dossier_period WHERE period >= ? ORDER BY period"
        table = wh.query_arrow(sql, schema, [dt.date(2026, 2, 1)])
        empty = wh.query_arrow(sql, schema, [dt.date(2027, 1, 1)])
    assert table.schema == schema == empty.schema and empty.num_rows == 0
    assert table.column("amount").to_pylist() == data.column("amount_due").to_pylist()[1:]
    assert table.column("title").to_pylist() == ["T-1", "", None, "T;2"]


def test_load_arrow_is_all_or_nothing(url: str) -> None:
    migrate(url)
    data = dossier_periods()
    with connect(url) as wh:
        wh.load_arrow("core.dossier_period", data.slice(0, 2))
        with pytest.raises(WarehouseError, match=r"load into core\.dossier_period failed"):
            wh.load_arrow("core.dossier_period", data)  # rows 1-2 collide with the primary key
        assert wh.query("SELECT count(*), sum(amount_due) FROM core.dossier_period") == [(2, Decimal("0.11"))]


def test_load_arrow_refuses_floats_and_odd_table_names(url: str) -> None:
    migrate(url)
    data = dossier_periods().set_column(3, "amount_due", pa.array([0.1] * 5, pa.float64()))
    with connect(url) as wh:
        with pytest.raises(WarehouseError, match="binary floating point"):
            wh.load_arrow("core.dossier_period", data)
        with pytest.raises(WarehouseError, match="not a schema-qualified table name"):
            wh.load_arrow("core.dossier_period; DROP TABLE core.dossier", dossier_periods())
        assert wh.query("SELECT count(*) FROM core.dossier_period") == [(0,)]


def test_query_placeholders_and_transactions(url: str) -> None:
    with connect(url) as wh:
        assert wh.dialect == "duckdb"
        assert wh.query("SELECT ? || '%?', ? + 1", ["a", 41]) == [("a%?", 42)]
        wh.executescript("CREATE SCHEMA s; CREATE TABLE s.t (v VARCHAR); -- a; comment\n")
        with pytest.raises(RuntimeError), wh.transaction():
            wh.execute("INSERT INTO s.t VALUES (?)", ["kept?"])
            raise RuntimeError("abort")
        with wh.transaction():
            wh.execute("INSERT INTO s.t VALUES (?)", ["kept"])
            with wh.transaction():  # nested: joins the outer transaction
                wh.execute("INSERT INTO s.t VALUES (?)", ["also kept"])
        assert wh.query("SELECT v FROM s.t ORDER BY v") == [("also kept",), ("kept",)]


@pytest.mark.parametrize(
    ("script", "statements"),
    [
        ("SELECT 1; SELECT 2;", ["SELECT 1", "SELECT 2"]),
        ("COMMENT ON TABLE a.b IS 'x; y -- z';\n-- c; d\nSELECT 'it''s';", [
            "COMMENT ON TABLE a.b IS 'x; y -- z'", "SELECT 'it''s'"]),
        ('SELECT "a;b" /* ; */ FROM t', ['SELECT "a;b"   FROM t']),
        ("-- only a comment;\n;;", []),
    ],
)
def test_split_statements(script: str, statements: list[str]) -> None:
    assert split_statements(script) == statements


def test_split_statements_rejects_unterminated_quotes() -> None:
    with pytest.raises(WarehouseError, match="unterminated ' quote"):
        split_statements("SELECT 'oops;")


@pytest.mark.parametrize(
    ("raw", "normal"),
    [("numeric(18,2)", "DECIMAL(18,2)"), ("DECIMAL(18,2)", "DECIMAL(18,2)"), ("text", "VARCHAR"),
     ("character varying(20)", "VARCHAR"), ("timestamp without time zone", "TIMESTAMP"),
     ("bigint", "BIGINT"), ("INTEGER", "INTEGER"), ("boolean", "BOOLEAN")],
)
def test_normalize_type(raw: str, normal: str) -> None:
    assert normalize_type(raw) == normal


def test_urls_are_read_and_passwords_never_shown() -> None:
    assert parse_url("duckdb:///:memory:").database == ":memory:"
    assert parse_url("duckdb:////srv/data/warehouse.duckdb").database == "/srv/data/warehouse.duckdb"
    pg = parse_url("postgresql+psycopg://cnss:s3cr3t@db.example:6543/recouvra?sslmode=require")
    assert (pg.dialect, pg.options["host"], pg.options["port"], pg.options["sslmode"]) == (
        "postgresql", "db.example", 6543, "require")
    assert "s3cr3t" not in pg.label
    with pytest.raises(WarehouseError, match="unsupported warehouse engine 'mysql'") as err:
        parse_url("mysql://root:s3cr3t@localhost/db")
    assert "s3cr3t" not in str(err.value)
    # Nothing listens on port 1: the connection error names the target without its password.
    with pytest.raises(WarehouseError, match="cannot open warehouse") as err, connect(
        "postgresql://cnss:s3cr3t@127.0.0.1:1/recouvra?connect_timeout=2"
    ):
        pass
    assert "s3cr3t" not in str(err.value)


def test_v018_keys_the_selection_tables_by_run_and_keeps_the_rows_as_run_1(
        url: str, migrations_before: Callable[[str], Path]) -> None:
    """The top-up's migration rebuilds selection_run, selection_decision and selection_score around
    (month, selection_seq): a warehouse selected before it keeps every row, as the month's selection (1)."""
    folder = migrations_before("V018")
    migrate(url, folder)
    nov, now = dt.date(2026, 11, 1), dt.datetime(2026, 11, 1, 6)
    with connect(url) as wh, wh.transaction():
        wh.execute("INSERT INTO core.selection_run VALUES (?, ?, 42, 500, 900, 600, 388, 'PRIOR', '{}', "
                   "0, 'CAPACITY', '{}', 0.05, true, 1, ?)", [nov, dt.date(2026, 10, 31), now])
        wh.execute("INSERT INTO core.selection_decision VALUES (?, 7, 'SELECTED', 'TOP_SCORE', 'FRESH', "
                   "NULL, 8000.00, 2, 12.5, 1, ?)", [nov, now])
        wh.execute("INSERT INTO core.selection_score (selection_month, debtor_id, payments_12m, "
                   "broken_plans, reversals, activity_status, has_phone, has_email, has_address, "
                   "weighted_due, likelihood) "
                   "VALUES (?, 7, 1, 0, 0, 'ACTIVE', true, false, true, 7000.00, 0.25)", [nov])
    for path in migrations_dir().glob("V018*.sql"):
        shutil.copy(path, folder / path.name)
    assert migrate(url, folder)[0] == "V018"
    with connect(url) as wh:
        assert wh.query("SELECT selection_month, selection_seq, assignment_start, as_of_date, "
                        "dossiers_selected FROM core.selection_run") == [
            (nov, 1, nov, dt.date(2026, 10, 31), 388)]
        assert wh.query("SELECT selection_seq, debtor_id, decision, priority_rank "
                        "FROM core.selection_decision") == [(1, 7, "SELECTED", 1)]
        assert wh.query("SELECT selection_seq, debtor_id, likelihood FROM core.selection_score") == [
            (1, 7, Decimal("0.250000"))]
        # A month has at most its selection and one top-up, which starts after the month's first day.
        with pytest.raises(Exception, match="(?i)constraint"):
            wh.execute("INSERT INTO core.selection_run SELECT selection_month, 2, selection_month, "
                       "as_of_date, seed, dossiers_target, debtors_considered, debtors_eligible, "
                       "dossiers_selected, likelihood_source, likelihood_coefficients, results_months, "
                       "share_rule, agency_shares, balance_max_deviation, balance_met, balance_draws, "
                       "decided_at FROM core.selection_run")
    # Added after V018: core.dossier_update (V027), core.dossier_addition (V029), the recall notices' two,
    # core.attribution_kind (recovered by kind), the match model's two, core.reconcile_input (V036).
    added_since = {"dossier_update", "dossier_addition", "agency_objection", "recall_notice",
                   "attribution_kind", "match_model", "match_model_level", "reconcile_input"}
    assert tables(url)["core"] == EXPECTED_TABLES["core"] - added_since  # rebuilt under their own names


def test_recall_notice_migration_keeps_the_registry_and_the_log_and_takes_the_new_file_types(
        url: str, migrations_before: Callable[[str], Path]) -> None:
    """Issue 17.1's migration rebuilds core.return_file (DuckDB cannot change a CHECK): every row, the
    acknowledgement index and the sequence stay; OBJECTIONS is taken, an unknown return type still
    refused; the publication log (V027) takes RECALLNOTICE."""
    (mine,) = migrations_dir().glob("V*__add_recall_notices_and_objections.sql")
    folder = migrations_before(mine.name)
    migrate(url, folder)
    at = dt.datetime(2026, 11, 25, 9)
    register = ("INSERT INTO core.return_file (agency_code, file_name, file_type, sha256, size_bytes, "
                "received_at, processed_at, status, rows_received, rows_accepted, rows_rejected, "
                "rows_duplicate, ack_file_name, ack_number) "
                "VALUES ('AG01', ?, ?, ?, 10, ?, ?, 'ACCEPTED', 1, 1, 0, 0, ?, 1)")
    with connect(url) as wh, wh.transaction():
        wh.execute(register, ["AG01_PAYMENTS_20261125_01.csv", "PAYMENTS", "a" * 64, at, at,
                              "AG01_PAYMENTS_20261125_01.ack.json"])
        wh.execute("INSERT INTO core.publication_log VALUES ('AG01', 'CNSS_RECALL_AG01_20261201_01.csv', "
                   "'RECALL', '20261201', 1, 'outbox/CNSS_RECALL_AG01_20261201_01.csv', ?, 2, NULL, ?)",
                   ["b" * 64, at])
    shutil.copy(mine, folder / mine.name)
    assert migrate(url, folder) == [mine.name[:4]]
    with connect(url) as wh:
        assert wh.query("SELECT return_file_id, file_type FROM core.return_file") == [(1, "PAYMENTS")]
        assert wh.query("SELECT file_type FROM core.publication_log") == [("RECALL",)]
        wh.execute(register, ["AG01_OBJECTIONS_20261215_01.csv", "OBJECTIONS", "c" * 64, at, at,
                              "AG01_OBJECTIONS_20261215_01.ack.json"])
        assert wh.query("SELECT max(return_file_id) FROM core.return_file") == [(2,)]  # sequence goes on
        wh.execute("INSERT INTO core.publication_log VALUES ('AG01', "
                   "'CNSS_RECALLNOTICE_AG01_20261201_01.csv', 'RECALLNOTICE', '20261201', 1, "
                   "'outbox/x.csv', ?, 1, NULL, ?)", ["d" * 64, at])
        with pytest.raises(Exception, match="(?i)constraint"):  # the acknowledgement index is back
            wh.execute(register, ["AG01_PAYMENTS_20261125_01.csv", "PAYMENTS", "e" * 64, at, at,
                                  "AG01_PAYMENTS_20261125_01.ack.json"])
        with pytest.raises(Exception, match="(?i)constraint"):  # an unknown return type is refused
            wh.execute(register, ["AG01_NOTES_20261215_01.csv", "NOTES", "f" * 64, at, at,
                                  "AG01_NOTES_20261215_01.ack.json"])
        with pytest.raises(Exception, match="(?i)constraint"):  # a kind of file is upper case (V027)
            wh.execute("INSERT INTO core.publication_log VALUES ('AG01', 'y.csv', 'notice', '20261201', 1, "
                       "'outbox/y.csv', ?, 1, NULL, ?)", ["f" * 64, at])
    added_after_v030 = {"attribution_kind", "match_model", "match_model_level", "reconcile_input"}
    assert tables(url)["core"] == EXPECTED_TABLES["core"] - added_after_v030


def _hold_duckdb(path: Path, seconds: float) -> tuple[object, Path]:
    """Another process opens the DuckDB file (its lock) for ``seconds``; returns (process, ready flag)."""
    import subprocess
    import sys
    import time

    ready = path.with_suffix(".held")
    code = (f"import duckdb, pathlib, time; c = duckdb.connect({str(path)!r}); "
            f"pathlib.Path({str(ready)!r}).touch(); time.sleep({seconds}); c.close()")
    proc = subprocess.Popen([sys.executable, "-c", code])
    while not ready.exists() and proc.poll() is None:
        time.sleep(0.01)
    return proc, ready


def test_a_duckdb_file_held_by_another_process_is_waited_for_then_opened(tmp_path: Path) -> None:
    # Two tasks of the embedded demo's scheduler want the warehouse at once: the second waits its turn.
    path = tmp_path / "wh.duckdb"
    connect(f"duckdb:///{path}").__enter__().close()
    proc, _ = _hold_duckdb(path, 1.0)
    with connect(f"duckdb:///{path}") as wh:
        assert wh.query("SELECT 42") == [(42,)]
    assert proc.wait(timeout=30) == 0  # type: ignore[attr-defined]


def test_a_duckdb_file_held_past_the_wait_fails_naming_the_file(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    import recouvra.warehouse as warehouse

    path = tmp_path / "wh.duckdb"
    connect(f"duckdb:///{path}").__enter__().close()
    proc, _ = _hold_duckdb(path, 5.0)
    monkeypatch.setattr(warehouse, "DUCKDB_LOCK_WAIT_S", 0.0)
    try:
        with pytest.raises(WarehouseError, match="wh.duckdb.*lock"):
            connect(f"duckdb:///{path}").__enter__()
    finally:
        proc.kill()  # type: ignore[attr-defined]
        proc.wait()  # type: ignore[attr-defined]


def test_staging_loses_its_keys_keeping_rows_and_comments(
    url: str, staged_before_v034: Callable[[str], Any], tmp_path: Path
) -> None:
    """V034 (DuckDB re-creates each staging table without its primary key; V035, PostgreSQL's, is recorded
    here): a warehouse with rows keeps them, and the same columns, types, NULLs and comments."""
    import dataclasses

    from recouvra.lake import TABLES

    before, rows = staged_before_v034(url)
    assert {c.table for c in before if c.schema == "staging" and c.primary_key} == set(TABLES)
    assert migrate(url)[:2] == ["V034", "V035"]
    with connect(url) as wh:
        after = list_columns(wh)
        assert {t: wh.query(f"SELECT * FROM staging.{t} ORDER BY 1, 2") for t in TABLES} == rows
        # No key any more: a second row of a key goes in (the merge, not the table, keeps one per key).
        wh.execute("INSERT INTO staging.disputes SELECT * FROM staging.disputes WHERE dispute_id = '1'")
        assert wh.query("SELECT count(*) FROM staging.disputes WHERE dispute_id = '1'") == [(2,)]
    later = {"reconcile_input", "attribution", "attribution_kind"}  # made or re-made later (V036, V037)
    added = ("match_model", "namesakes_mail_share")  # V038's
    assert [c for c in after if c.table not in later and (c.table, c.name) != added] == [
        dataclasses.replace(c, primary_key=False) if c.schema == "staging" else c for c in before
        if c.table not in later]
    assert all(c.table_comment and c.comment for c in after if c.schema == "staging")
    with connect(f"duckdb:///{tmp_path / 'fresh.duckdb'}") as fresh:
        migrate_connection(fresh)
        assert list_columns(fresh) == after


def test_v037_makes_attributions_postings_keeping_rows_and_giving_kinds_their_row_s_month(
    url: str, attribution_before_v037: Callable[[str], list[tuple[Any, ...]]]
) -> None:
    """V037: the rows stay; kinds take their attribution row's month; an entry and dossier may now hold a
    row in each statement month (a later month's change), even of amount 0 (kinds moved), never two in
    one month."""
    before = attribution_before_v037(url)
    assert migrate(url)[0] == "V037"
    with connect(url) as wh:
        assert wh.query("SELECT * FROM core.attribution ORDER BY 1, 2") == before
        assert wh.query("SELECT ledger_payment_id, dossier_id, attribution_month, kind, amount "
                        "FROM core.attribution_kind ORDER BY 1, 2, 4") == [
            (7, "D1", dt.date(2026, 8, 1), "PRINCIPAL", Decimal("60.00")),
            (7, "D1", dt.date(2026, 8, 1), "SURCHARGE", Decimal("40.00")),
            (7, "D2", dt.date(2026, 9, 1), "PRINCIPAL", Decimal("-40.00"))]
        wh.execute("INSERT INTO core.attribution VALUES (7, 'D1', 'AG01', 0.00, DATE '2026-08-29', "
                   "DATE '2024-08-01', DATE '2026-10-01', TIMESTAMP '2026-10-01 09:00:00')")
        with pytest.raises(Exception, match="(?i)constraint|duplicate"):
            wh.execute("INSERT INTO core.attribution VALUES (7, 'D1', 'AG01', 1.00, DATE '2026-08-29', "
                       "DATE '2024-08-01', DATE '2026-10-01', TIMESTAMP '2026-10-01 09:00:00')")
