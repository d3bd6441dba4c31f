"""SQL lives in files read by one loader (recouvra.sqlfiles), never in Python strings.

The loader's own behaviour (a file's text, composed parts and the parts it refuses, multi-statement
files, a missing file) and the files themselves (UTF-8, commented, named ``<stage>/<verb>_<object>``)
are tested first. Then an AST scan of the production code (include/recouvra, plugins, dags) fails,
naming file and line, for any string or f-string outside the loader that holds a SQL statement;
docstrings, regular expressions and prose that merely mentions a verb are not statements, and the
detector is tested on such snippets so that the scan itself can fail.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from recouvra import sqlfiles
from recouvra.sqlfiles import SqlFileError, query, sql_root, statements

ROOT = Path(__file__).resolve().parents[2]
SQL_ROOT = ROOT / "include" / "sql"
SCANNED = (ROOT / "include" / "recouvra", ROOT / "plugins", ROOT / "dags")
LOADER = ROOT / "include" / "recouvra" / "sqlfiles.py"



# --- the loader -----------------------------------------------------------------------------------

@pytest.fixture()
def sql_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder of SQL files the loader reads instead of include/sql (names unique to this module:
    the loader caches a file's text by name)."""
    monkeypatch.setattr(sqlfiles, "sql_root", lambda: tmp_path)
    (tmp_path / "testonly").mkdir()
    return tmp_path / "testonly"


def test_query_returns_the_file_text() -> None:
    text = query("kpi/select_agency_league")
    assert text == (SQL_ROOT / "kpi" / "select_agency_league.sql").read_text(encoding="utf-8")
    assert text.startswith("-- ") and "FROM marts.kpi_cohort_month AS c" in text


def test_query_accepts_the_name_with_its_suffix() -> None:
    assert query("kpi/select_agency_league.sql") == query("kpi/select_agency_league")


def test_the_files_are_found_in_the_source_checkout() -> None:
    assert sql_root() == SQL_ROOT


def test_query_fills_the_composed_parts(sql_dir: Path) -> None:
    (sql_dir / "insert_composed_rows.sql").write_text(
        "-- Parts: table, columns.\nINSERT INTO {table} ({columns}) SELECT {columns} FROM w\n",
        encoding="utf-8",
    )
    sql = query("testonly/insert_composed_rows", table="core.t", columns='"a", "b"')
    assert sql.splitlines()[1] == 'INSERT INTO core.t ("a", "b") SELECT "a", "b" FROM w'


def test_a_real_file_composes_its_identifiers() -> None:
    sql = query("staging/insert_work_rows", table="employers", work="staging.load_employers")
    assert sql.rstrip().endswith("INSERT INTO staging.employers SELECT * FROM staging.load_employers")


@pytest.mark.parametrize("part", [
    "a = 'x'",                 # a quoted literal
    "a; DROP TABLE core.dossier",  # a statement break
    "a -- the rest is gone",   # a line comment
    "a /* hidden */",          # a block comment
])
def test_a_part_holding_a_literal_a_break_or_a_comment_is_refused(sql_dir: Path, part: str) -> None:
    (sql_dir / "select_refused_part.sql").write_text("SELECT {columns} FROM t\n", encoding="utf-8")
    with pytest.raises(SqlFileError, match="testonly/select_refused_part: part 'columns' holds a literal"):
        query("testonly/select_refused_part", columns=part)


def test_identifier_lists_and_placeholders_are_accepted_as_parts(sql_dir: Path) -> None:
    (sql_dir / "update_accepted_parts.sql").write_text("UPDATE t SET {assignments} WHERE k = ?\n",
                                                       encoding="utf-8")
    sql = query("testonly/update_accepted_parts", assignments='"a" = ?, b = ?, c = NULL::VARCHAR')
    assert sql == 'UPDATE t SET "a" = ?, b = ?, c = NULL::VARCHAR WHERE k = ?\n'


def test_statements_splits_a_file_without_its_comments(sql_dir: Path) -> None:
    (sql_dir / "delete_several_rows.sql").write_text(
        "-- Two statements.\n-- Param: the month.\nDELETE FROM a WHERE m = ?;  -- first\n\n"
        "DELETE FROM b\nWHERE m = ?;\n", encoding="utf-8"
    )
    assert statements("testonly/delete_several_rows") == [
        "DELETE FROM a WHERE m = ?", "DELETE FROM b\nWHERE m = ?",
    ]


def test_statements_of_a_project_file() -> None:
    got = statements("selection/delete_selection_month")
    assert len(got) == 5
    assert all(s.startswith("DELETE FROM core.") and "--" not in s and ";" not in s for s in got)


def test_a_missing_file_is_an_error_naming_it() -> None:
    with pytest.raises(SqlFileError, match=r"no SQL file nowhere/select_nothing\.sql under "):
        query("nowhere/select_nothing")
    with pytest.raises(SqlFileError, match=r"no SQL file nowhere/select_nothing\.sql"):
        statements("nowhere/select_nothing")


# --- the files ------------------------------------------------------------------------------------

SQL_FILES = sorted(SQL_ROOT.rglob("*.sql"))
#: <stage>[/<part>]/<verb>_<object>.sql; a stage is named like its module (debtor_master).
_FILE_NAME = re.compile(
    r"^[a-z][a-z0-9_]*(/[a-z][a-z0-9_]*)?/([a-z][a-z0-9]*(_[a-z0-9]+)+|V\d{3}__[a-z0-9_]+)\.sql$"
)


def test_there_are_sql_files() -> None:
    assert len(SQL_FILES) > 100


@pytest.mark.parametrize("path", SQL_FILES, ids=lambda p: p.relative_to(SQL_ROOT).as_posix())
def test_every_sql_file_is_utf8_commented_and_named_by_stage_verb_and_object(path: Path) -> None:
    name = path.relative_to(SQL_ROOT).as_posix()
    text = path.read_bytes().decode("utf-8")  # raises on anything else
    assert text.strip(), f"{name} is empty"
    assert text.startswith("--"), f"{name} does not open with a comment saying what it does"
    assert any(line.strip() and not line.lstrip().startswith("--") for line in text.splitlines()), (
        f"{name} holds only comments"
    )
    assert _FILE_NAME.match(name), f"{name}: expected <stage>/<verb>_<object>.sql"
    assert query(name) == text


# --- no SQL statement in Python strings -----------------------------------------------------------

#: A statement: a verb followed by the structure that makes it SQL (not merely a word in a sentence).
_STATEMENT = re.compile(
    r"""(?: select\b[\s\S]*?\b(?:from|where)\b
          | select\s+[a-z_][\w.]*\s*\(
          | insert\s+(?:or\s+\w+\s+)?into\b
          | update\s+[\w."]*\s*(?:\w+\s+)?set\b
          | delete\s+from\b
          | create\s+(?:or\s+replace\s+)?(?:(?:temp|temporary|unique)\s+)*
                (?:table|view|index|schema|sequence|macro)\b
          | drop\s+(?:table|view|index|schema|sequence|macro)\b
          | alter\s+(?:table|view|index|schema|sequence)\b
          | with\s+(?:recursive\s+)?[\w"]*\s*(?:\([^)]*\)\s*)?as\s*\(
          | merge\s+into\b
          | copy\s+[\w."]*\s*(?:\([^)]*\)\s*)?(?:from|to)\b
          | truncate\s+(?:table\s+)?[\w."]+
          | attach\s+(?:database\s+)?(?:if\s+not\s+exists\s+)?\S*\s*as\b
          | pragma\s+[\w.]+\s*(?:=|\(|;|$)
        )""",
    re.IGNORECASE | re.VERBOSE,
)
#: Whitespace and comments before the verb.
_LEADING = re.compile(r"(?:\s+|--[^\n]*(?:\n|$)|/\*[\s\S]*?\*/)*")
#: Words closing a statement's structure; they must be written in the verb's case (all capitals, the
#: house style, or all lower case), so that "Select the month from the list" is prose.
_KEYWORDS = {"from", "where", "into", "set", "table", "view", "index", "schema", "sequence", "macro",
             "as", "to"}
_RE_FUNCTIONS = {"compile", "match", "fullmatch", "search", "finditer", "findall", "sub", "subn", "split"}


def holds_statement(text: str) -> bool:
    """Whether ``text``, after whitespace and comments, opens with a SQL statement."""
    start = _LEADING.match(text)
    body = text[start.end() if start else 0:]
    m = _STATEMENT.match(body)
    if not m:
        return False
    verb = body.split(None, 1)[0]
    if not (verb.isupper() or verb.islower()):
        return False
    last = re.findall(r"[A-Za-z_]+", m.group(0))[-1]
    return last.lower() not in _KEYWORDS or last.isupper() == verb.isupper()


def _text(node: ast.expr) -> str | None:
    """The string an expression builds, constant parts joined (None if it builds none)."""
    if isinstance(node, ast.Constant):
        return node.value if isinstance(node.value, str) else None
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value for v in node.values
                       if isinstance(v, ast.Constant) and isinstance(v.value, str))
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _text(node.left), _text(node.right)
        if left is None and right is None:
            return None
        return (left or "") + (right or "")
    return None


class _Finder(ast.NodeVisitor):
    """Strings and f-strings (and ``+`` chains of them) that hold a statement, outside docstrings and
    the patterns given to ``re``."""

    def __init__(self) -> None:
        self.found: list[tuple[int, str]] = []

    def _check(self, node: ast.expr) -> None:
        text = _text(node)
        if text is not None and holds_statement(text):
            self.found.append((node.lineno, " ".join(text.split())[:80]))

    def visit_Expr(self, node: ast.Expr) -> None:
        if isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            return  # a docstring (module, class, function or attribute): prose
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        if (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == "re"
                and func.attr in _RE_FUNCTIONS and node.args):
            self.visit(func)
            for arg in node.args[1:]:
                self.visit(arg)
            for kw in node.keywords:
                self.visit(kw)
            return  # the first argument is a regular expression
        self.generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> None:
        self._check(node)

    def visit_JoinedStr(self, node: ast.JoinedStr) -> None:
        self._check(node)
        for value in node.values:
            if isinstance(value, ast.FormattedValue):
                self.visit(value)

    def visit_BinOp(self, node: ast.BinOp) -> None:
        if isinstance(node.op, ast.Add) and _text(node) is not None:
            self._check(node)
            for leaf in _operands(node):
                if _text(leaf) is None:
                    self.visit(leaf)
                elif isinstance(leaf, ast.JoinedStr):
                    for value in leaf.values:
                        if isinstance(value, ast.FormattedValue):
                            self.visit(value)
            return
        self.generic_visit(node)


def _operands(node: ast.expr) -> list[ast.expr]:
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _operands(node.left) + _operands(node.right)
    return [node]


def sql_strings(source: str) -> list[tuple[int, str]]:
    """``(line, text)`` of every string in ``source`` that holds a SQL statement."""
    finder = _Finder()
    finder.visit(ast.parse(source))
    return finder.found


def _scanned_files() -> list[Path]:
    return sorted(p for folder in SCANNED for p in folder.rglob("*.py")
                  if p != LOADER and ".venv" not in p.parts and "__pycache__" not in p.parts)


@pytest.mark.parametrize("snippet", [
    'con.execute("SELECT a, b FROM core.dossier WHERE dossier_id = ?", [d])',
    'sql = f"DELETE FROM {table} WHERE snapshot_date = ?"',
    'sql = f"SELECT {cols} WHERE false"',
    'sql = "SELECT affiliation_no, " + columns + " FROM employers"',
    'sql = ("  -- the lock\\n"\n       "SELECT pg_try_advisory_lock(?)")',
    'wh.execute(f"UPDATE {table} SET a = ? WHERE k = ?", [1, 2])',
    'sink.execute("INSERT INTO seed_runs (run_id) VALUES (?)", [r])',
    'con.execute("CREATE TEMP TABLE outstanding AS " + body)',
    'con.execute("CREATE OR REPLACE TEMP VIEW employers AS SELECT 1")',
    'wh.execute(f"DROP TABLE IF EXISTS {work}")',
    'cur.copy(f"COPY {name} ({columns}) FROM STDIN")',
    'conn.execute("PRAGMA journal_mode=OFF")',
    'sql = "WITH due AS (SELECT 1) SELECT * FROM due"',
    'sql = "select count(*) from employers"',
    'def f():\n    x = 1\n    return "MERGE INTO t USING s ON t.k = s.k"',
])
def test_the_detector_finds_a_statement(snippet: str) -> None:
    assert len(sql_strings(snippet)) == 1, snippet


@pytest.mark.parametrize("snippet", [
    '"""Select the month\'s dossiers from the portfolio and allocate them."""',
    'def f():\n    """Create the table of agencies from the configuration."""\n',
    'class C:\n    """Update the debtor master: set the new status."""\n',
    'X = 1\n"""Delete from the lake what is older than the retention."""',
    'raise ValueError(f"{name}: select a month from the list, delete from the folder")',
    'raise ValueError("Select another month from the calendar")',
    'raise ValueError("cannot insert into a published month")',
    'log.info("Copy a remote file to the local folder")',
    'help = "create or migrate the warehouse schema (idempotent)"',
    'TABLE = re.compile(r"CREATE TABLE (\\w+) \\((.*?)\\n\\);", re.S)',
    'name = "delete_selection_month"',
    'query("selection/select_candidates")',
])
def test_the_detector_leaves_docstrings_prose_and_patterns_alone(snippet: str) -> None:
    assert sql_strings(snippet) == [], snippet


def test_the_detector_names_the_line() -> None:
    source = ('import x\n\n\ndef f(wh):\n    return wh.query(\n'
              '        "SELECT version FROM meta.schema_migrations"\n    )\n')
    assert sql_strings(source) == [(6, "SELECT version FROM meta.schema_migrations")]


def _findings() -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for path in _scanned_files():
        name = path.relative_to(ROOT).as_posix()
        for line, text in sql_strings(path.read_text(encoding="utf-8")):
            out.setdefault(name, []).append(f"{name}:{line}: {text}")
    return out


def test_no_python_string_holds_a_sql_statement() -> None:
    assert _scanned_files(), "nothing scanned"
    findings = _findings()
    offending = [f for name, found in sorted(findings.items()) for f in found]
    assert not offending, (
        "SQL statements in Python strings; move each to include/sql/<stage>/<verb>_<object>.sql and read "
        "it with recouvra.sqlfiles.query (composed identifier lists as parts):\n" + "\n".join(offending)
    )
