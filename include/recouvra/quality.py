"""The data-quality gate of the extracted snapshots, with Great Expectations (GX Core).

Two suites per table, so that no snapshot is ever loaded whole into one DataFrame:

- ``<table>.rows``: row-level expectations (keys present, amounts non-negative, months valid, codes
  known), which GX computes as SQL: aggregate queries on DuckDB (in memory) over a view of the
  snapshot's Parquet files (:func:`_lake_source`), the rows never leaving DuckDB;
- ``<table>.snapshot``: whole-snapshot expectations (keys unique, every row's employer known, row count
  and money totals equal to the source's own over the same watermark window), validated on a one-row
  table of figures that DuckDB computes over the Parquet files.

Results and readable Data Docs go to a file-backed GX project per run (``<docs_root>/<run_id>/``;
``docs_root`` is ``<data>/gx``, :data:`DATA_DOCS_DIR_NAME` beside the lake; the site of a project is
:func:`data_docs_site`). GX is imported inside functions: it takes seconds to import.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from recouvra.calendar import PERIOD_PATTERN
from recouvra.lake import TABLES, current_glob, money_columns, source_columns
from recouvra.ledger import ENTRY_KINDS
from recouvra.sqlfiles import query

if TYPE_CHECKING:
    from recouvra.extract import Snapshot

PERIOD_REGEX = f"^{PERIOD_PATTERN}$"
CODES: dict[tuple[str, str], list[str]] = {
    ("receivables", "kind"): ["PRINCIPAL", "SURCHARGE", "PENALTY"],
    ("ledger_payments", "kind"): sorted(ENTRY_KINDS),
    ("ledger_payments", "channel"): ["BANK_TRANSFER", "CHEQUE", "FUND_COUNTER", "ONLINE"],
    ("payment_plans", "status"): ["ACTIVE", "HONOURED", "BROKEN"],
}
#: Tables whose rows must name a known employer (referential integrity).
REFERS_TO_EMPLOYER = [t for t in TABLES if t != "employers" and t != "plan_installments"]
#: GX's SQL datasource of the snapshots' rows: DuckDB in memory (one per validation run), where each
#: snapshot is a view over its Parquet files.
LAKE_SQL_URL = "duckdb:///:memory:"
#: The folder, beside the lake (``data/gx``), holding one GX project per extraction run.
DATA_DOCS_DIR_NAME = "gx"
FIRST_KEYS = 5  # offending keys a failure message names


@dataclass
class TableResult:
    table: str
    success: bool
    failures: list[str] = field(default_factory=list)
    figures: dict[str, Any] = field(default_factory=dict)


@dataclass
class GateResult:
    run_id: str
    success: bool
    tables: list[TableResult]
    docs_index: str | None

    def summary(self) -> str:
        lines = [f"quality gate {self.run_id}: {'PASSED' if self.success else 'FAILED'}"]
        for t in self.tables:
            lines.append(f"  {t.table:<20} {'ok' if t.success else 'FAILED'}"
                         + ("" if t.success else ": " + "; ".join(t.failures)))
        if self.docs_index:
            lines.append(f"  data docs: {self.docs_index}")
        return "\n".join(lines)


def data_docs_site(project: Path) -> Path:
    """The folder of a GX project's Data Docs site (``index.html`` and the pages it links to)."""
    return project / "gx" / "uncommitted" / "data_docs" / "local_site"


def _row_expectations(table: str) -> list[Any]:
    import great_expectations as gx

    exp = gx.expectations
    # updated_at may be missing: a full load takes the source's undated rows on purpose.
    out: list[Any] = [exp.ExpectColumnValuesToNotBeNull(column=c) for c in TABLES[table]]
    for col, _ in source_columns()[table]:
        if col.endswith("_centimes") and not (table == "ledger_payments" and col == "amount_centimes"):
            out.append(exp.ExpectColumnValuesToBeBetween(column=col, min_value=0))
        if col in {"period", "settles_period"}:
            out.append(exp.ExpectColumnValuesToMatchRegex(column=col, regex=PERIOD_REGEX))
        if (table, col) in CODES:
            out.append(exp.ExpectColumnValuesToBeInSet(column=col, value_set=CODES[(table, col)]))
    if table == "ledger_payments":
        # A payment is never of zero; only reversals are negative (ledger.check_entry's rule, checked
        # on the whole snapshot by include/sql/quality/count_misdirected_signs.sql).
        out.append(exp.ExpectColumnValuesToNotBeInSet(column="amount_centimes", value_set=[0]))
    if table == "employers":
        out.append(exp.ExpectColumnValuesToMatchRegex(column="affiliation_no", regex=r"^\d+$"))
    return out


@dataclass
class FigureSource:
    """The gate's one in-memory DuckDB connection for the whole-snapshot figures of a run, with the
    tables of known employers it has built (one per set of employers snapshots, shared by every
    snapshot referring to that set)."""

    con: Any
    known: dict[tuple[str, ...], str] = field(default_factory=dict)


#: The view, on the figures' connection, of the snapshot whose figures are being computed.
FIGURES_VIEW = "snapshot"


def snapshot_figures(
    snap: Snapshot, lake: Path, source: dict[str, int], figures: FigureSource | None = None
) -> dict[str, Any]:
    """Whole-snapshot figures computed by DuckDB over Parquet, beside the source's own figures.

    ``figures``: the run's connection (:class:`FigureSource`); an in-memory connection of its own
    (closed after) when None."""
    import duckdb

    if figures is not None:
        return _figures(figures, snap, lake, source)
    own = FigureSource(duckdb.connect())
    try:
        return _figures(own, snap, lake, source)
    finally:
        own.con.close()


def _figures(fs: FigureSource, snap: Snapshot, lake: Path, source: dict[str, int]) -> dict[str, Any]:
    con, view = fs.con, FIGURES_VIEW
    # The snapshot as a view over its folder's Parquet files (relational API: no path pasted into SQL).
    con.read_parquet(f"{Path(snap.path).as_posix()}/*.parquet").create_view(view, replace=True)
    money = money_columns(snap.table)
    totals = ", ".join(["count(*)", *(f"coalesce(sum({c}), 0)" for c in money)])
    got = _one(con, query("quality/select_snapshot_totals", totals=totals, view=view))
    dup = _one(con, query("quality/count_duplicate_keys", keys=", ".join(TABLES[snap.table]), view=view))[0]
    figures: dict[str, Any] = {"rows": got[0], "source_rows": source["rows"], "duplicate_keys": dup}
    for c, total in zip(money, got[1:], strict=True):
        figures[f"sum_{c}"] = int(total)
        figures[f"source_sum_{c}"] = source[c]
    if snap.table in REFERS_TO_EMPLOYER:
        known = _known_employers(fs, lake, snap)
        got = _one(con, query("quality/count_orphan_rows", view=view, known=known))
        figures["orphans"], figures["orphan_employers"] = int(got[0]), int(got[1])
        if figures["orphans"]:
            first = con.execute(query("quality/select_first_orphan_employers", view=view, known=known),
                                [FIRST_KEYS]).fetchall()
            figures["first_orphan_employers"] = ", ".join(str(r[0]) for r in first)
    if snap.table == "ledger_payments":
        figures["misdirected_signs"] = _one(con, query("quality/count_misdirected_signs", view=view))[0]
    return figures


def _one(con: Any, sql: str) -> tuple[Any, ...]:
    """The one row of an aggregate query, its result read to the end (DuckDB then frees it)."""
    return tuple(con.execute(sql).fetchall()[0])


def _known_employers(fs: FigureSource, lake: Path, snap: Snapshot) -> str:
    """The table of the employers a snapshot's rows may refer to: every published snapshot plus this
    run's own employers snapshot; built once per set of such snapshots."""
    sources = [current_glob(lake, "employers")] if list(lake.glob("employers/*/*.parquet")) else []
    incoming = Path(snap.path).parent / "employers"
    if list(incoming.glob("*.parquet")):
        sources.append(f"{incoming.as_posix()}/*.parquet")
    name = fs.known.get(tuple(sources))
    if name is None:
        name = fs.known[tuple(sources)] = f"known_employers_{len(fs.known)}"
        fs.con.execute(query("quality/create_known_employers", known=name))
        for glob in sources:
            fs.con.execute(query("quality/insert_known_employers", known=name), [glob])
    return name


def _snapshot_expectations(figures: dict[str, Any]) -> list[Any]:
    import great_expectations as gx

    exp = gx.expectations
    out: list[Any] = [
        exp.ExpectColumnPairValuesToBeEqual(column_A="rows", column_B="source_rows"),
        exp.ExpectColumnValuesToBeBetween(column="duplicate_keys", min_value=0, max_value=0),
    ]
    for name in figures:
        if name.startswith("sum_"):
            out.append(exp.ExpectColumnPairValuesToBeEqual(column_A=name, column_B=f"source_{name}"))
    for zero in ("orphans", "misdirected_signs"):
        if zero in figures:
            out.append(exp.ExpectColumnValuesToBeBetween(column=zero, min_value=0, max_value=0))
    return out


def _describe_failure(res: Any, figures: dict[str, Any] | None = None) -> str:
    """One failed expectation in words a data engineer can act on: what was expected, what was found,
    and the first offending keys (row suites) or the figures compared (snapshot suite)."""
    cfg = res.expectation_config
    kw = cfg.kwargs
    detail = res.result or {}
    if figures is not None and "column_A" in kw:
        a, b = kw["column_A"], kw["column_B"]
        text = f"{a} = {figures.get(a)} but {b} = {figures.get(b)} (expected equal)"
    elif figures is not None and "column" in kw:
        col = kw["column"]
        text = f"{col} = {figures.get(col)} (expected {kw.get('min_value')}..{kw.get('max_value')})"
        if col == "orphans" and figures.get("orphans"):
            text = (f"orphans: {figures['orphans']} rows refer to {figures.get('orphan_employers')} "
                    f"employers the extraction did not take (first: {figures.get('first_orphan_employers')})")
    else:
        text = f"{cfg.type} on {kw.get('column')!r}"
        if "unexpected_count" in detail:
            text += f": {detail['unexpected_count']} rows"
            keys = detail.get("partial_unexpected_index_list") or []
            if keys:
                text += " (first keys: " + "; ".join(
                    ", ".join(f"{k}={v}" for k, v in row.items() if k != kw.get("column"))
                    if isinstance(row, dict) else str(row) for row in keys[:FIRST_KEYS]) + ")"
            elif detail.get("partial_unexpected_list"):
                text += f" (first values: {detail['partial_unexpected_list'][:FIRST_KEYS]})"
    if res.exception_info and res.exception_info.get("raised_exception"):
        text += f"; error: {res.exception_info.get('exception_message')}"
    return text


def validate_snapshots(
    snapshots: list[Snapshot], lake: Path, sources: dict[str, dict[str, int]], docs_root: Path, run_id: str
) -> GateResult:
    """Run both suites on every snapshot of a run; Data Docs for the run under ``docs_root/run_id``."""
    import duckdb
    import great_expectations as gx
    import pandas as pd
    from great_expectations.data_context.types.base import ProgressBarsConfig

    project = docs_root / re.sub(r"[^\w.-]", "_", run_id)
    ctx = gx.get_context(mode="file", project_root_dir=str(project))
    ctx.variables.progress_bars = ProgressBarsConfig(globally=False)
    rows_source, duck = _lake_source(ctx)
    figures_source = ctx.data_sources.add_or_update_pandas("figures")
    gx_run = gx.RunIdentifier(run_name=run_id)
    results = []
    figure_source = FigureSource(duckdb.connect())  # the figures' one in-memory connection of the run
    try:
        for snap in snapshots:
            failures: list[str] = []
            # Row-level suite: GX's queries on DuckDB over the snapshot's Parquet files.
            _create_snapshot_view(duck, snap)
            select = query("quality/select_snapshot_rows", view=snap.table)
            asset = rows_source.add_query_asset(  # GX wants the statement without its leading comment
                f"{snap.table}.rows", query=select[select.index("SELECT"):].strip())
            rows_cp = _checkpoint(ctx, asset.add_batch_definition_whole_table("batch"),
                                  f"{snap.table}.rows", _row_expectations(snap.table),
                                  keys=list(TABLES[snap.table]))
            res = rows_cp.run(run_id=gx_run)
            if not res.success:
                for vr in res.run_results.values():
                    failures += [_describe_failure(r) for r in vr.results if not r.success]
            # Whole-snapshot suite on DuckDB's figures.
            figures = snapshot_figures(snap, lake, sources[snap.table], figure_source)
            figures_asset = figures_source.add_dataframe_asset(f"{snap.table}.snapshot")
            bd = figures_asset.add_batch_definition_whole_dataframe("batch")
            snap_cp = _checkpoint(ctx, bd, f"{snap.table}.snapshot", _snapshot_expectations(figures))
            res = snap_cp.run(batch_parameters={"dataframe": pd.DataFrame([figures])}, run_id=gx_run)
            if not res.success:
                for vr in res.run_results.values():
                    failures += [_describe_failure(r, figures) for r in vr.results if not r.success]
            results.append(TableResult(snap.table, not failures, failures, figures))
    finally:
        figure_source.con.close()
        duck.dispose()
    ctx.build_data_docs()  # once per run, outside the validation loop
    docs = data_docs_site(project) / "index.html"
    return GateResult(run_id, all(r.success for r in results), results,
                      str(docs) if docs.exists() else None)


def _lake_source(ctx: Any) -> tuple[Any, Any]:
    """GX's SQL datasource ``lake`` (DuckDB in memory) and the SQLAlchemy engine GX validates with.

    GX 1.24 has no DuckDB support of its own (its SQL path runs on duckdb_engine, but as an unknown
    dialect), so this engine, and only it (its dialect object: nothing global), is fitted twice:

    - no transactions: GX reads a query's rows after handing its connection back, and SQLAlchemy's
      ROLLBACK at that moment discards DuckDB's pending result (every metric then fails with
      ``IndexError: list index out of range``, GX issue #11579). The gate only reads; DuckDB commits
      each statement by itself.
    - regular expressions: GX builds them for the dialects it knows only; DuckDB has PostgreSQL's
      ``~`` and ``!~`` (and LIKE), which GX uses for a dialect whose ``dialect`` is PostgreSQL's.
      DuckDB's regexes are RE2's: for the gate's anchored patterns they match what Python's ``re``
      matched, except that ``$`` no longer accepts a trailing line feed and ``\\d`` only ASCII digits.
    """
    from sqlalchemy.dialects import postgresql

    source = ctx.data_sources.add_or_update_sql("lake", connection_string=LAKE_SQL_URL)
    engine = source.get_execution_engine().engine
    dialect = engine.dialect
    for method in ("do_begin", "do_rollback", "do_commit"):
        setattr(dialect, method, _no_transaction)
    dialect.dialect = postgresql.dialect
    return source, engine


def _no_transaction(dbapi_connection: Any) -> None:
    """DuckDB's own autocommit: nothing to begin, commit or roll back (see :func:`_lake_source`)."""


def _create_snapshot_view(engine: Any, snap: Snapshot) -> None:
    """The snapshot as view ``<table>`` of the engine's DuckDB (in memory, one connection per thread:
    the one GX queries through), over its Parquet files; built with DuckDB's relational API, so that
    the files' paths are never pasted into SQL."""
    files = [(Path(snap.path) / f).as_posix() for f in snap.files]
    with engine.connect() as conn:
        duck = conn.connection.dbapi_connection
        duck.abort()  # a result left unread by an earlier query (SQL statements drop it by themselves)
        duck.read_parquet(files).create_view(snap.table, replace=True)


def _checkpoint(
    ctx: Any, batch_definition: Any, name: str, expectations: list[Any], keys: list[str] | None = None
) -> Any:
    """The checkpoint of one suite, its suite, validation definition and checkpoint each written once:
    built whole in memory, then stored by the checkpoint's ``add_or_update`` (which stores its
    validation definition and that one its suite). A suite stored first and then given its
    expectations one by one is written again at every expectation."""
    import great_expectations as gx

    suite = gx.ExpectationSuite(name=name, expectations=expectations)
    vd = gx.ValidationDefinition(name=name, data=batch_definition, suite=suite)
    return ctx.checkpoints.add_or_update(
        gx.Checkpoint(
            name=name,
            validation_definitions=[vd],
            actions=[],
            result_format={"result_format": "SUMMARY",
                           **({"unexpected_index_column_names": keys} if keys else {})},
        )
    )
