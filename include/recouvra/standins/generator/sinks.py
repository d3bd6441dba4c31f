"""Where the generated rows go: one small interface, three implementations.

* SQLite: the standard library's ``sqlite3``, ``executemany`` inside one transaction per chunk, with
  journaling and fsync off during the load (a half-written seed is simply re-seeded).
* PostgreSQL: psycopg 3 ``COPY ... FROM STDIN``, the fastest load path (about 40 times row inserts).
* Anything else SQLAlchemy reaches: Core ``executemany``, slower but portable.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from recouvra.sqlfiles import query, statements

if TYPE_CHECKING:
    from collections.abc import Sequence


class Sink(Protocol):
    dialect: str

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None: ...
    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]: ...
    def insert(self, table: str, columns: dict[str, list[Any]]) -> int: ...
    def begin_load(self) -> None: ...
    def end_load(self) -> None: ...
    def commit(self) -> None: ...
    def rollback(self) -> None: ...
    def close(self) -> None: ...


def _rows(columns: dict[str, list[Any]]) -> tuple[list[str], Any, int]:
    names = list(columns)
    n = len(columns[names[0]]) if names else 0
    return names, zip(*(columns[c] for c in names), strict=True), n


class SqliteSink:
    """SQLite through the standard library: the fastest way to write a local file."""

    dialect = "sqlite"

    def __init__(self, path: str) -> None:
        import sqlite3

        Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.conn = sqlite3.connect(path, isolation_level=None)
        self.conn.execute(query("standins/set_sqlite_cache"))

    def _begin(self) -> None:
        if not self.conn.in_transaction:
            self.conn.execute("BEGIN")

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        self._begin()
        self.conn.execute(sql, tuple(params))

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return list(self.conn.execute(sql, tuple(params)).fetchall())

    def insert(self, table: str, columns: dict[str, list[Any]]) -> int:
        names, rows, n = _rows(columns)
        if n:
            self._begin()
            marks = ", ".join("?" * len(names))
            self.conn.executemany(
                query("standins/insert_rows", table=table, columns=", ".join(names), values=marks), rows
            )
        return n

    def begin_load(self) -> None:
        self.commit()
        for statement in statements("standins/begin_sqlite_bulk_load"):
            self.conn.execute(statement)

    def end_load(self) -> None:
        self.commit()
        for statement in statements("standins/end_sqlite_bulk_load"):
            self.conn.execute(statement)

    def commit(self) -> None:
        if self.conn.in_transaction:
            self.conn.execute("COMMIT")

    def rollback(self) -> None:
        if self.conn.in_transaction:
            self.conn.execute("ROLLBACK")

    def close(self) -> None:
        self.commit()
        self.conn.close()


class PostgresSink:
    """PostgreSQL through psycopg 3, rows streamed with COPY."""

    dialect = "postgresql"

    def __init__(self, url: str) -> None:
        import psycopg
        from sqlalchemy.engine import make_url

        u = make_url(url)
        extra: dict[str, Any] = {k: v for k, v in u.query.items() if isinstance(v, str)}
        self.conn = psycopg.connect(
            host=u.host or "127.0.0.1", port=u.port or 5432, user=u.username, password=u.password,
            dbname=u.database, **extra,
        )

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        self.conn.execute(sql.replace("?", "%s"), tuple(params))

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return list(self.conn.execute(sql.replace("?", "%s"), tuple(params)).fetchall())

    def insert(self, table: str, columns: dict[str, list[Any]]) -> int:
        names, rows, n = _rows(columns)
        if n:
            statement = query("standins/copy_rows_postgresql", table=table, columns=", ".join(names))
            with self.conn.cursor() as cur, cur.copy(statement) as copy:
                for row in rows:
                    copy.write_row(row)
        return n

    def begin_load(self) -> None:
        self.commit()

    def end_load(self) -> None:
        self.commit()
        self.conn.execute("ANALYZE")
        self.commit()

    def commit(self) -> None:
        self.conn.commit()

    def rollback(self) -> None:
        self.conn.rollback()

    def close(self) -> None:
        self.conn.commit()
        self.conn.close()


class SqlAlchemySink:
    """Any other database SQLAlchemy can reach: Core executemany, portable but slow."""

    def __init__(self, url: str) -> None:
        import sqlalchemy as sa

        self._sa = sa
        self.engine = sa.create_engine(url)
        self.dialect = self.engine.dialect.name
        self.conn = self.engine.connect()
        self.conn.begin()

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        self.conn.exec_driver_sql(sql.replace("?", "%s") if self.dialect != "sqlite" else sql, tuple(params))

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        stmt = sql.replace("?", "%s") if self.dialect != "sqlite" else sql
        return [tuple(r) for r in self.conn.exec_driver_sql(stmt, tuple(params)).fetchall()]

    def insert(self, table: str, columns: dict[str, list[Any]]) -> int:
        names, rows, n = _rows(columns)
        if n:
            stmt = self._sa.text(query("standins/insert_rows", table=table, columns=", ".join(names),
                                       values=", ".join(":" + c for c in names)))
            self.conn.execute(stmt, [dict(zip(names, r, strict=True)) for r in rows])
        return n

    def begin_load(self) -> None:
        self.commit()

    def end_load(self) -> None:
        self.commit()

    def commit(self) -> None:
        self.conn.commit()
        self.conn.begin()

    def rollback(self) -> None:
        self.conn.rollback()
        self.conn.begin()

    def close(self) -> None:
        self.conn.commit()
        self.conn.close()
        self.engine.dispose()


def open_sink(url: str) -> Sink:
    """The fastest sink for a SQLAlchemy URL."""
    from sqlalchemy.engine import make_url

    u = make_url(url)
    backend = u.get_backend_name()
    if backend == "sqlite" and u.database and u.database != ":memory:":
        return SqliteSink(u.database)
    if backend == "postgresql" and u.get_driver_name() in ("psycopg", "psycopg2", "default", ""):
        return PostgresSink(url)
    return SqlAlchemySink(url)
