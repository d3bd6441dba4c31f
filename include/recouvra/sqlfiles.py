"""The one loader of the project's SQL files: ``include/sql/<stage>/<verb>_<object>.sql``.

Every statement the pipeline runs lives in a file under ``include/sql`` (tests/unit/test_sqlfiles.py
fails when a Python string outside this module holds one); code asks for it by its path relative to
that folder, without the suffix: ``query("kpi/select_agency_league")``. Composed statements (a table or
column list known only at run time) keep their fixed text in the file with ``{placeholders}`` that
``query(..., **parts)`` fills with identifiers the code itself produced, never with values: values are
always bound parameters.

Two homes, one lookup: in a source checkout (editable install, ``PYTHONPATH=include``) the files are
read from ``include/sql``; a plain ``pip install .`` ships the same folder inside the package as
``recouvra/_sql`` (see ``[tool.setuptools]`` in pyproject.toml).
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from recouvra.errors import RecouvraError

_HERE = Path(__file__).resolve().parent
#: The installed wheel's copy first, then the source checkout's folder.
_CANDIDATES = (_HERE / "_sql", _HERE.parent / "sql")
#: What a composed part may not contain: a quoted literal, a statement break or a comment.
_UNSAFE_PART = re.compile(r"'|;|--|/\*")


class SqlFileError(RecouvraError):
    """A SQL file is missing or a composed part is not an identifier list."""


@cache
def sql_root() -> Path:
    """The folder holding the SQL files (``include/sql`` or the installed ``recouvra/_sql``)."""
    for candidate in _CANDIDATES:
        if candidate.is_dir():
            return candidate
    raise SqlFileError(
        "the SQL files are not installed: looked for " + " and ".join(str(c) for c in _CANDIDATES)
    )


def sql_path(name: str) -> Path:
    """The file of statement ``name`` (``<stage>/<verb>_<object>``, or with its ``.sql`` suffix)."""
    relative = name if name.endswith(".sql") else f"{name}.sql"
    path = sql_root() / relative
    if not path.is_file():
        raise SqlFileError(f"no SQL file {relative} under {sql_root()}")
    return path


@cache
def _text(name: str) -> str:
    return sql_path(name).read_text(encoding="utf-8")


def query(name: str, **parts: str) -> str:
    """The statement in ``include/sql/<name>.sql``, its ``{placeholders}`` filled with ``parts``.

    ``parts`` are identifiers, identifier lists or ``?`` runs the caller composed (table names, column
    lists, ``a = ?, b = ?``); a part holding a quoted literal, a ``;`` or a comment is refused, so that
    a value is never pasted into SQL.
    """
    text = _text(name)
    if not parts:
        return text
    for key, part in parts.items():
        if _UNSAFE_PART.search(part):
            raise SqlFileError(f"{name}: part {key!r} holds a literal or a statement break: {part[:60]!r}")
    return text.format(**parts)


def statements(name: str) -> list[str]:
    """The statements of a multi-statement file, comments removed, split on ``;``."""
    lines = [line.split("--", 1)[0] for line in _text(name).splitlines()]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]
