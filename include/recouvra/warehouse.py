"""The warehouse: versioned schema migrations and a thin access layer, on DuckDB or PostgreSQL.

One set of SQL files serves both engines (``include/sql/warehouse/V<NNN>__<what>.sql``, written in the
subset both understand). :func:`migrate` applies the pending files in version order, each in its own
transaction together with its row in ``meta.schema_migrations``, and refuses to go on when a file
already applied has changed. On PostgreSQL an advisory lock serialises concurrent migrators.

A file whose name ends in ``_postgresql`` or ``_duckdb`` (the suffix the engine-specific support files
use) holds what only that engine has, e.g. roles and grants: the other engine records it as applied
without running it, so both keep the same history and later versions stay in order.

:func:`connect` yields a :class:`Warehouse`, the same small API on both engines:

- ``execute(sql, params)``, ``query(sql, params) -> list[tuple]``, ``executescript(sql)``;
- ``transaction()``: a context manager (a nested one joins the outer transaction);
- ``load_arrow(table, arrow_table)``: bulk load (DuckDB: insert from the registered Arrow table;
  PostgreSQL: ``COPY ... FROM STDIN``), never row by row, row count checked;
- ``query_arrow(sql, schema, params)``: bulk read into Arrow (DuckDB: its Arrow result; PostgreSQL:
  ``COPY (...) TO STDOUT`` as CSV parsed by pyarrow), never through Python tuples.

:func:`describe` counts tables per schema (the set-up DAG's check), :func:`list_columns` reads the
catalogue with engine-neutral types, and :func:`write_data_dictionary` renders ``docs/data-dictionary.md``
from the SQL comments.

Parameters are positional ``?`` placeholders on both engines (DuckDB's own style; for psycopg they
are rewritten to ``%s`` outside string literals and comments, and a literal ``%`` is escaped).
Passwords never appear in messages: connection targets are shown as redacted URLs.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import logging
import re
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from recouvra.errors import WarehouseError
from recouvra.sqlfiles import query as sql_file
from recouvra.sqlfiles import sql_root

if TYPE_CHECKING:
    import pyarrow as pa

log = logging.getLogger(__name__)

SCHEMAS: tuple[str, ...] = ("staging", "core", "marts", "meta")
SCHEMA_ROLES: dict[str, str] = {
    "staging": "The fund's operational source as extracted: same tables and columns, raw values, "
    "latest version of each source row (merged from the incremental Parquet snapshots of the lake; one "
    "row per source key, kept by the merge, not by a key constraint).",
    "core": "The pipeline's own records: debtor master, monthly selection and assignment, agency "
    "returns, ledger reconciliation, attribution and commission.",
    "marts": "KPI tables rebuilt from core for reports and dashboards. BI users read them, and only "
    "them: on PostgreSQL as members of the read-only role recouvra_bi (V022), on the embedded DuckDB "
    "through kpi_load's export of the v_* views (docs/kpi.md, \"A BI user's first query\").",
    "meta": "Bookkeeping: migrations applied, lake snapshots merged into staging.",
}
DATA_DICTIONARY = Path(__file__).resolve().parents[2] / "docs" / "data-dictionary.md"

Dialect = Literal["duckdb", "postgresql"]
Params = Sequence[Any] | None

_MIGRATION_FILE = re.compile(r"^V(\d{3})__([a-z0-9_]+)\.sql$")
#: ``V<NNN>__<what>_postgresql.sql``: a migration for that engine only.
_ENGINE_SUFFIX = re.compile(r"_(duckdb|postgresql)$")
_ENGINES: dict[str, Dialect] = {"duckdb": "duckdb", "postgresql": "postgresql"}
#: Key of the PostgreSQL advisory lock held while migrating ("Recouvra" in ASCII, as a bigint).
_PG_LOCK_KEY = int.from_bytes(b"Recouvra", "big")
_DUCKDB_LOCKS: dict[str, threading.Lock] = {}
_DUCKDB_LOCKS_GUARD = threading.Lock()
_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*$")


# --- SQL text: statements and placeholders ---------------------------------------------------------

def _segments(sql: str) -> Iterator[tuple[str, str]]:
    """The text as ("code" | "quoted" | "comment", text) pieces; quotes double to escape themselves."""
    i, n, start = 0, len(sql), 0
    while i < n:
        ch = sql[i]
        if ch == "-" and sql.startswith("--", i):
            end = sql.find("\n", i)
            end = n if end < 0 else end
            kind = "comment"
        elif ch == "/" and sql.startswith("/*", i):
            end = sql.find("*/", i + 2)
            if end < 0:
                raise WarehouseError(f"unterminated /* comment in SQL: {_snippet(sql[i:])}")
            end += 2
            kind = "comment"
        elif ch in "'\"":
            end = i + 1
            while True:
                end = sql.find(ch, end)
                if end < 0:
                    raise WarehouseError(f"unterminated {ch} quote in SQL: {_snippet(sql[i:])}")
                if sql.startswith(ch * 2, end):
                    end += 2
                    continue
                end += 1
                break
            kind = "quoted"
        else:
            i += 1
            continue
        if start < i:
            yield "code", sql[start:i]
        yield kind, sql[i:end]
        i = start = end
    if start < n:
        yield "code", sql[start:]


def split_statements(sql: str) -> list[str]:
    """The statements of a script, without comments; ``;`` ends a statement outside quotes."""
    statements: list[str] = []
    current: list[str] = []
    for kind, text in _segments(sql):
        if kind == "comment":
            current.append(" ")
            continue
        if kind == "quoted":
            current.append(text)
            continue
        parts = text.split(";")
        for k, part in enumerate(parts):
            current.append(part)
            if k < len(parts) - 1:
                statements.append("".join(current).strip())
                current = []
    statements.append("".join(current).strip())
    return [s for s in statements if s]


def _to_pyformat(sql: str) -> str:
    """``?`` placeholders as psycopg's ``%s``; every literal ``%`` doubled, as psycopg requires."""
    out = []
    for kind, text in _segments(sql):
        text = text.replace("%", "%%")
        out.append(text.replace("?", "%s") if kind == "code" else text)
    return "".join(out)


def _snippet(sql: str, limit: int = 160) -> str:
    # A statement read from a file opens with its "--" comment: show the statement itself.
    lines = sql.strip().splitlines()
    while len(lines) > 1 and lines[0].lstrip().startswith("--"):
        lines.pop(0)
    flat = " ".join("\n".join(lines).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _qualified(table: str) -> str:
    """A ``schema.table`` name checked to be plain identifiers (it is spliced into SQL)."""
    parts = table.split(".")
    if len(parts) != 2 or not all(_IDENTIFIER.match(p) for p in parts):
        raise WarehouseError(f"not a schema-qualified table name: {table!r} (expected e.g. core.dossier)")
    return table


def _quote(column: str) -> str:
    return '"' + column.replace('"', '""') + '"'


# --- connections ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Target:
    """Where a URL points: the engine, what to pass its driver, and a label safe for logs."""

    dialect: Dialect
    database: str
    options: dict[str, Any]
    label: str


def parse_url(url: str) -> Target:
    """Read a warehouse URL: ``duckdb:////abs/file.duckdb``, ``duckdb:///:memory:``,
    ``postgresql+psycopg://user:pw@host:port/db`` (or ``postgresql://``)."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        u = make_url(url)
    except ArgumentError:
        raise WarehouseError(
            f"not a database URL: {url.split('://', 1)[0]}://… (expected duckdb:///... or postgresql://...)"
        ) from None
    label = u.render_as_string(hide_password=True)
    backend = u.get_backend_name()
    query = {k: v if isinstance(v, str) else v[-1] for k, v in u.query.items()}
    if backend == "duckdb":
        return Target("duckdb", u.database or ":memory:", query, label)
    if backend in {"postgresql", "postgres"}:
        options: dict[str, Any] = {
            "host": u.host or "127.0.0.1",
            "port": u.port or 5432,
            "user": u.username,
            "password": u.password,
            "dbname": u.database,
            "connect_timeout": 10,
            **query,
        }
        return Target("postgresql", u.database or "", options, label)
    raise WarehouseError(f"unsupported warehouse engine {backend!r} in {label}: use duckdb or postgresql")


class Warehouse:
    """An open warehouse connection with the same small API on DuckDB and PostgreSQL."""

    def __init__(self, target: Target, raw: Any, driver_errors: tuple[type[BaseException], ...]) -> None:
        self.dialect: Dialect = target.dialect
        self.label = target.label
        self.database = target.database
        self._raw = raw
        self._errors = driver_errors
        self._in_transaction = False

    # Statements -------------------------------------------------------------------------------

    def _run(self, sql: str, params: Params, *, fetch: bool) -> list[tuple[Any, ...]]:
        try:
            if self.dialect == "duckdb":
                result = self._raw.execute(sql, list(params) if params is not None else None)
                return [tuple(r) for r in result.fetchall()] if fetch else []
            with self._raw.cursor() as cur:
                if params is None:
                    cur.execute(sql)
                else:
                    cur.execute(_to_pyformat(sql), list(params))
                return [tuple(r) for r in cur.fetchall()] if fetch and cur.description else []
        except self._errors as exc:
            raise WarehouseError(
                f"{self.label}: statement failed: {_snippet(sql)}: {str(exc).strip()}"
            ) from exc

    def execute(self, sql: str, params: Params = None) -> None:
        """Run one statement; ``?`` placeholders take ``params`` in order."""
        self._run(sql, params, fetch=False)

    def query(self, sql: str, params: Params = None) -> list[tuple[Any, ...]]:
        """Run one statement and return its rows as tuples."""
        return self._run(sql, params, fetch=True)

    def query_arrow(self, sql: str, schema: pa.Schema, params: Params = None) -> pa.Table:
        """Run one statement and return its rows as an Arrow table of ``schema`` (its columns in the
        statement's order, named and typed by the schema), never as Python tuples: DuckDB hands its
        result over as Arrow; PostgreSQL streams it out with ``COPY (...) TO STDOUT`` as CSV, parsed
        by pyarrow in blocks of whole rows. Types: integers, text, dates, booleans and decimals (read
        exactly from their text). On PostgreSQL the statement may hold no quoted literal (it is composed
        into the COPY statement; its ``?`` parameters are bound by the driver)."""
        try:
            if self.dialect == "duckdb":
                relation = self._raw.sql(sql, params=list(params) if params is not None else None)
                table = relation.to_arrow_table()
                return table.rename_columns(schema.names).cast(schema)
            return self._query_arrow_postgresql(sql, schema, params)
        except self._errors as exc:
            raise WarehouseError(
                f"{self.label}: statement failed: {_snippet(sql)}: {str(exc).strip()}"
            ) from exc

    def _query_arrow_postgresql(self, sql: str, schema: pa.Schema, params: Params) -> pa.Table:
        import pyarrow as pa
        import pyarrow.csv as pcsv

        statements = split_statements(sql)
        if len(statements) != 1:
            raise WarehouseError(f"{self.label}: query_arrow takes one statement, got {len(statements)}")
        copy_sql = sql_file("warehouse/support/copy_query_csv_postgresql", query=statements[0])
        read = pcsv.ReadOptions(column_names=schema.names, use_threads=False)
        convert = pcsv.ConvertOptions(column_types=schema, null_values=[""], strings_can_be_null=True,
                                      quoted_strings_can_be_null=False, true_values=["t"],
                                      false_values=["f"])
        # COPY TO sends one message per row: whole rows, gathered into blocks parsed one at a time.
        tables: list[pa.Table] = []
        block: list[bytes] = []
        size = 0
        with self._raw.cursor() as cur:
            with cur.copy(_to_pyformat(copy_sql), list(params) if params is not None else None) as copy:
                for row in copy:
                    block.append(bytes(row))
                    size += len(row)
                    if size >= _ARROW_BLOCK_BYTES:
                        tables.append(pcsv.read_csv(pa.py_buffer(b"".join(block)), read, None, convert))
                        block, size = [], 0
        if block:
            tables.append(pcsv.read_csv(pa.py_buffer(b"".join(block)), read, None, convert))
        return pa.concat_tables(tables) if tables else schema.empty_table()

    def executescript(self, sql: str) -> None:
        """Run every statement of a script in turn (no parameters); the first failure raises."""
        for statement in split_statements(sql):
            self._run(statement, None, fetch=False)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Commit on success, roll back on error; a nested call joins the outer transaction."""
        if self._in_transaction:
            yield
            return
        self._in_transaction = True
        try:
            if self.dialect == "postgresql":
                with self._raw.transaction():
                    yield
            else:
                self._raw.execute("BEGIN TRANSACTION")
                try:
                    yield
                except BaseException:
                    self._raw.execute("ROLLBACK")
                    raise
                self._raw.execute("COMMIT")
        finally:
            self._in_transaction = False

    # Bulk load --------------------------------------------------------------------------------

    def load_arrow(self, table: str, data: pa.Table) -> int:
        """Append an Arrow table to ``schema.table`` (columns matched by name, others take their
        default) in one transaction; return the rows loaded, checked against ``data.num_rows``."""
        import pyarrow as pa

        name = _qualified(table)
        floats = [f.name for f in data.schema if pa.types.is_floating(f.type)]
        if floats:
            raise WarehouseError(
                f"{name}: columns {floats} are binary floating point; load money and rates as "
                "decimal128 (or integer centimes)"
            )
        columns = ", ".join(_quote(c) for c in data.column_names)
        with self.transaction():
            try:
                if self.dialect == "duckdb":
                    loaded = self._load_duckdb(name, columns, data)
                else:
                    loaded = self._load_postgresql(name, columns, data)
            except self._errors as exc:
                raise WarehouseError(f"{self.label}: load into {name} failed: {str(exc).strip()}") from exc
            if loaded != data.num_rows:
                raise WarehouseError(
                    f"{self.label}: load into {name} wrote {loaded} rows, expected {data.num_rows}; "
                    "rolled back"
                )
        log.info("loaded %d rows into %s (%s)", loaded, name, self.dialect)
        return loaded

    def _load_duckdb(self, name: str, columns: str, data: pa.Table) -> int:
        view = f"_recouvra_load_{uuid.uuid4().hex}"
        self._raw.register(view, data)
        try:
            row = self._raw.execute(sql_file("warehouse/support/insert_registered_arrow",
                                             table=name, columns=columns, view=view)).fetchone()
        finally:
            self._raw.unregister(view)
        return int(row[0]) if row else 0

    def _load_postgresql(self, name: str, columns: str, data: pa.Table) -> int:
        import pyarrow.csv as pcsv

        # CSV with every non-null value quoted: NULL stays an unquoted empty field, "" an empty
        # string, and a value such as \. cannot be read as COPY's end-of-data marker.
        options = pcsv.WriteOptions(include_header=False, quoting_style="all_valid")
        with self._raw.cursor() as cur:
            statement = sql_file("warehouse/support/copy_csv_postgresql", table=name, columns=columns)
            with cur.copy(statement) as copy:
                for batch in data.to_batches(max_chunksize=50_000):
                    buffer = io.BytesIO()
                    pcsv.write_csv(batch, buffer, options)
                    copy.write(buffer.getvalue())
            return int(cur.rowcount)

    def close(self) -> None:
        self._raw.close()


#: How many bytes of CSV :meth:`Warehouse.query_arrow` gathers from PostgreSQL before parsing them.
_ARROW_BLOCK_BYTES = 16 << 20


#: How long opening a DuckDB file waits while another process holds it. DuckDB lets one process at a
#: time open a file; under a real scheduler (the embedded demo: LocalExecutor, several tasks at once) a
#: task that reads the warehouse may start while another run's task writes it: it waits its turn rather
#: than fail. PostgreSQL (production) has no such lock.
DUCKDB_LOCK_WAIT_S = 900.0


def _duckdb_connect(database: str, *, read_only: bool, config: dict[str, Any]) -> Any:
    """``duckdb.connect``, waiting up to :data:`DUCKDB_LOCK_WAIT_S` for another process's lock on the file."""
    import duckdb

    deadline, delay = time.monotonic() + DUCKDB_LOCK_WAIT_S, 0.05
    while True:
        try:
            return duckdb.connect(database, read_only=read_only, config=config)
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower() or time.monotonic() + delay > deadline:
                raise
            log.info("warehouse %s is held by another process; waiting", database)
            time.sleep(delay)
            delay = min(delay * 2, 1.0)


def _open(target: Target, *, read_only: bool = False) -> Warehouse:
    try:
        if target.dialect == "duckdb":
            import duckdb

            if target.database != ":memory:" and not read_only:
                Path(target.database).parent.mkdir(parents=True, exist_ok=True)
            raw = _duckdb_connect(target.database, read_only=read_only, config=dict(target.options))
            return Warehouse(target, raw, (duckdb.Error,))
        import psycopg

        options = dict(target.options)
        if read_only:
            options["options"] = f"{options.get('options', '')} -c default_transaction_read_only=on".strip()
        return Warehouse(target, psycopg.connect(autocommit=True, **options), (psycopg.Error,))
    except Exception as exc:
        # Driver messages name host, port and database, never the password; say which target anyway.
        raise WarehouseError(f"cannot open warehouse {target.label}: {str(exc).strip()}") from exc


@contextmanager
def connect(url: str, *, read_only: bool = False) -> Iterator[Warehouse]:
    """Open the warehouse a URL names, close it on exit (autocommit outside ``transaction()``);
    ``read_only`` refuses every write (DuckDB's read-only mode; PostgreSQL's read-only transactions)."""
    wh = _open(parse_url(url), read_only=read_only)
    try:
        yield wh
    finally:
        wh.close()


# --- migrations -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Migration:
    """One migration file: version ``V001``, file name, text, checksum, and the one engine it is for
    (``None``: both)."""

    version: str
    name: str
    sql: str
    checksum: str
    engine: Dialect | None = None

    def runs_on(self, dialect: Dialect) -> bool:
        """Whether its statements run on ``dialect`` (else it is recorded as applied, nothing run)."""
        return self.engine is None or self.engine == dialect


def _checksum(text: str) -> str:
    # Line ends normalised so that a checkout with CRLF does not look like an edited migration.
    return hashlib.sha256(text.replace("\r\n", "\n").encode("utf-8")).hexdigest()


def migrations_dir() -> Path:
    """The folder of the warehouse's migration files, ``include/sql/warehouse``."""
    return sql_root() / "warehouse"


def discover_migrations(directory: Path | None = None) -> list[Migration]:
    """The migration files of a folder (:func:`migrations_dir` by default) in version order; any
    other ``.sql`` file there is an error (the ``support`` subfolder is not a migration)."""
    directory = directory or migrations_dir()
    found: dict[int, Migration] = {}
    for path in sorted(directory.glob("*.sql")):
        m = _MIGRATION_FILE.match(path.name)
        if not m:
            raise WarehouseError(
                f"{path.name}: not a migration file name (expected V<NNN>__<what>.sql, e.g. "
                f"V008__add_kpi_table.sql) in {directory}"
            )
        number = int(m.group(1))
        if number in found:
            raise WarehouseError(f"{path.name}: version V{number:03d} also used by {found[number].name}")
        text = path.read_text(encoding="utf-8")
        suffix = _ENGINE_SUFFIX.search(m.group(2))
        engine = _ENGINES[suffix.group(1)] if suffix else None
        found[number] = Migration(f"V{number:03d}", path.name, text, _checksum(text), engine)
    return [found[k] for k in sorted(found)]


@contextmanager
def _migration_lock(wh: Warehouse, timeout: float) -> Iterator[None]:
    """Only one migrator at a time: an advisory lock on PostgreSQL, a process lock on DuckDB
    (DuckDB itself lets a single process write a database file)."""
    if wh.dialect == "duckdb":
        key = wh.database if wh.database == ":memory:" else str(Path(wh.database).resolve())
        with _DUCKDB_LOCKS_GUARD:
            lock = _DUCKDB_LOCKS.setdefault(key, threading.Lock())
        if not lock.acquire(timeout=timeout):
            raise WarehouseError(f"{wh.label}: another migration held the warehouse for {timeout:.0f} s")
        try:
            yield
        finally:
            lock.release()
        return
    deadline = time.monotonic() + timeout
    while not wh.query(sql_file("warehouse/support/lock_migrations_postgresql"), [_PG_LOCK_KEY])[0][0]:
        if time.monotonic() > deadline:
            raise WarehouseError(f"{wh.label}: another migration held the warehouse for {timeout:.0f} s")
        time.sleep(0.2)
    try:
        yield
    finally:
        wh.query(sql_file("warehouse/support/unlock_migrations_postgresql"), [_PG_LOCK_KEY])


def _applied(wh: Warehouse) -> dict[str, str]:
    """``{version: checksum}`` of the migrations applied, creating the bookkeeping table if need be."""
    exists = wh.query(sql_file("warehouse/support/count_schema_migrations_table"))[0][0]
    if not exists:
        with wh.transaction():
            wh.executescript(sql_file("warehouse/support/create_schema_migrations"))
    return {str(v): str(c) for v, c in wh.query(sql_file("warehouse/support/select_applied_migrations"))}


def _check_history(migrations: Sequence[Migration], applied: dict[str, str], label: str) -> None:
    on_disk = {m.version: m for m in migrations}
    for version in sorted(applied):
        if version not in on_disk:
            raise WarehouseError(
                f"{label}: migration {version} is applied but no file of that version exists here; "
                "the warehouse is newer than this code"
            )
        if on_disk[version].checksum != applied[version]:
            raise WarehouseError(
                f"{on_disk[version].name}: changed after it was applied to {label} (checksum "
                f"{applied[version][:12]}… recorded, {on_disk[version].checksum[:12]}… now); "
                "restore it and add the change as a new migration"
            )
    latest = max(applied, default="")
    late = [m.name for m in migrations if m.version not in applied and m.version < latest]
    if late:
        raise WarehouseError(
            f"{', '.join(late)}: older than {latest}, already applied to {label}; renumber it after {latest}"
        )


def _apply(wh: Warehouse, migration: Migration) -> None:
    # A migration for the other engine only: recorded, so that both engines keep one history.
    statements = split_statements(migration.sql) if migration.runs_on(wh.dialect) else []
    with wh.transaction():
        for number, statement in enumerate(statements, start=1):
            try:
                wh.execute(statement)
            except WarehouseError as exc:
                cause = exc.__cause__ or exc
                raise WarehouseError(
                    f"{migration.name}: statement {number} of {len(statements)} failed, nothing of the "
                    f"file was applied: {_snippet(statement)}: {str(cause).strip()}"
                ) from cause
        wh.execute(
            sql_file("warehouse/support/insert_schema_migration"),
            [migration.version, migration.name, migration.checksum,
             dt.datetime.now(dt.UTC).replace(tzinfo=None)],
        )


def migrate(url: str, directory: Path | None = None, *, lock_timeout: float = 300.0) -> list[str]:
    """Apply the pending migrations in order, each in its own transaction; return the versions
    applied now (empty when the warehouse is up to date). Raise :class:`WarehouseError` naming the
    file when an applied migration changed or a statement fails."""
    with connect(url) as wh:
        return migrate_connection(wh, directory, lock_timeout=lock_timeout)


def migrate_connection(
    wh: Warehouse, directory: Path | None = None, *, lock_timeout: float = 300.0
) -> list[str]:
    """:func:`migrate` on an open connection (an in-memory DuckDB lives only as long as its connection)."""
    migrations = discover_migrations(directory)
    applied_now: list[str] = []
    with _migration_lock(wh, lock_timeout):
        applied = _applied(wh)
        _check_history(migrations, applied, wh.label)
        for migration in migrations:
            if migration.version in applied:
                continue
            started = time.monotonic()
            _apply(wh, migration)
            applied_now.append(migration.version)
            if migration.runs_on(wh.dialect):
                log.info("applied %s to %s in %.2f s", migration.name, wh.label, time.monotonic() - started)
            else:
                log.info("recorded %s on %s: it is for %s only, nothing to run", migration.name,
                         wh.label, migration.engine)
    return applied_now


# --- the catalogue and the data dictionary --------------------------------------------------------

@dataclass(frozen=True)
class Column:
    """A column of the warehouse as the catalogue describes it, with an engine-neutral type."""

    schema: str
    table: str
    name: str
    data_type: str
    nullable: bool
    primary_key: bool
    table_comment: str | None
    comment: str | None


_TYPE_NAMES = {
    "character varying": "VARCHAR", "varchar": "VARCHAR", "text": "VARCHAR", "character": "VARCHAR",
    "bigint": "BIGINT", "int8": "BIGINT", "integer": "INTEGER", "int4": "INTEGER", "int": "INTEGER",
    "smallint": "SMALLINT", "date": "DATE", "boolean": "BOOLEAN",
    "timestamp": "TIMESTAMP", "timestamp without time zone": "TIMESTAMP",
    "timestamp with time zone": "TIMESTAMPTZ", "timestamptz": "TIMESTAMPTZ",
    "double precision": "DOUBLE", "double": "DOUBLE", "real": "REAL", "float": "REAL",
}


def normalize_type(raw: str) -> str:
    """One spelling per type on both engines: ``numeric(18,2)`` and ``DECIMAL(18,2)`` are
    ``DECIMAL(18,2)``, ``character varying(n)``, ``text`` and ``VARCHAR`` are ``VARCHAR``."""
    t = " ".join(raw.lower().split())
    m = re.match(r"^(numeric|decimal)\s*\((\d+)\s*,\s*(\d+)\)$", t)
    if m:
        return f"DECIMAL({m.group(2)},{m.group(3)})"
    return _TYPE_NAMES.get(re.sub(r"\(.*\)$", "", t).strip(), raw.upper())


def list_columns(wh: Warehouse) -> list[Column]:
    """Every column of the warehouse's schemas, ordered by schema, table and position."""
    sql = sql_file(f"warehouse/support/list_columns_{wh.dialect}")
    return [
        Column(s, t, c, normalize_type(str(typ)), bool(nullable), bool(pk), tc, cc)
        for s, t, c, _, typ, nullable, pk, tc, cc in wh.query(sql)
    ]


def describe(url: str, required_schemas: Sequence[str] = SCHEMAS) -> dict[str, int]:
    """Table count per schema; raise :class:`WarehouseError` naming any required schema missing."""
    with connect(url) as wh:
        present = {str(s) for (s,) in wh.query(sql_file("warehouse/support/select_schemas"))}
        counts = {str(s): int(n) for s, n in wh.query(sql_file("warehouse/support/count_tables_by_schema"))}
        label = wh.label
    missing = [s for s in required_schemas if s not in present]
    if missing:
        raise WarehouseError(
            f"{label}: schema(s) {', '.join(missing)} missing; run `recouvra warehouse migrate`"
        )
    return {s: counts.get(s, 0) for s in required_schemas}


def _cell(text: str | None) -> str:
    return (text or "").replace("|", "\\|").replace("\n", " ")


def render_data_dictionary(columns: Sequence[Column], versions: Sequence[str]) -> str:
    """The data dictionary as Markdown, from the catalogue's comments."""
    lines = [
        "# Data dictionary of the warehouse",
        "",
        "Generated from the comments of the migrations (`include/sql/warehouse/V*.sql`, applied: "
        f"{', '.join(versions)}); do not edit by hand. Regenerate after adding a migration:",
        "",
        "```",
        ".venv/bin/python -c 'from recouvra.warehouse import write_data_dictionary; write_data_dictionary()'",
        "```",
        "",
        "The same schema runs on DuckDB (embedded default) and PostgreSQL. Conventions: money is "
        "`DECIMAL(18,2)` in MAD (staging keeps the source's integer centimes, `*_centimes`); months "
        "are `DATE` on the first day of the month (staging keeps the source's text `YYYY-MM`); "
        "timestamps are UTC; rates are fractions. Relations are documented here and checked by the "
        "pipeline's audits, not declared as foreign keys (DuckDB has no ON DELETE CASCADE and cannot "
        "add a foreign key to an existing table, so they would hinder re-runs that replace a month and "
        "later migrations). Money integrity, per dossier and month, to the centime: assigned = "
        "attributed + open + recalled + closed + settled otherwise (`marts.fact_dossier_month` "
        "enforces it).",
        "",
        "Key columns (primary key) are marked ★; *null* says whether a column may be empty. The staging "
        "tables declare no key (V034, V035): one row per source key is kept by the merge "
        "(`recouvra.staging`), each snapshot's keys checked unique by the quality gate.",
        "",
    ]
    tables: dict[tuple[str, str], list[Column]] = {}
    for col in columns:
        tables.setdefault((col.schema, col.table), []).append(col)
    for schema in SCHEMAS:
        names = sorted(t for s, t in tables if s == schema)
        lines += [f"## Schema `{schema}`", "", SCHEMA_ROLES[schema], ""]
        lines += [f"- [`{schema}.{t}`](#{schema}{t})" for t in names]
        lines.append("")
        for t in names:
            cols = tables[(schema, t)]
            lines += [f"### {schema}.{t}", "", _cell(cols[0].table_comment), "",
                      "| column | type | null | description |", "|---|---|---|---|"]
            for c in cols:
                key = " ★" if c.primary_key else ""
                null = "yes" if c.nullable else "no"
                lines.append(f"| `{c.name}`{key} | {c.data_type} | {null} | {_cell(c.comment)} |")
            lines.append("")
    return "\n".join(lines)


def data_dictionary(url: str = "duckdb:///:memory:") -> str:
    """Migrate the warehouse a URL names (an empty in-memory one by default) and document it."""
    with connect(url) as wh:
        migrate_connection(wh)
        versions = [str(v) for (v,) in wh.query(sql_file("warehouse/support/select_migration_versions"))]
        return render_data_dictionary(list_columns(wh), versions)


def write_data_dictionary(path: Path = DATA_DICTIONARY) -> Path:
    """Write :func:`data_dictionary` of a fresh warehouse to ``docs/data-dictionary.md``."""
    path.write_text(data_dictionary(), encoding="utf-8")
    return path
