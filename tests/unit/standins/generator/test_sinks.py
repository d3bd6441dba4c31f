"""Where the generated rows go (recouvra.standins.generator.sinks): the sink a URL gets, and rows in and
out of it by column, committed or rolled back."""

from __future__ import annotations

from pathlib import Path

import pytest

from recouvra.standins.generator.sinks import Sink, SqlAlchemySink, SqliteSink, open_sink


def test_a_sqlite_file_gets_the_standard_library_sink_anything_else_sqlalchemy(tmp_path: Path) -> None:
    file_sink = open_sink(f"sqlite:///{tmp_path / 'sub' / 'source.db'}")
    memory_sink = open_sink("sqlite://")
    try:
        assert isinstance(file_sink, SqliteSink) and file_sink.dialect == "sqlite"
        assert (tmp_path / "sub" / "source.db").exists()  # its folder is created
        assert isinstance(memory_sink, SqlAlchemySink) and memory_sink.dialect == "sqlite"
    finally:
        file_sink.close()
        memory_sink.close()


@pytest.mark.parametrize("kind", ["sqlite-file", "sqlalchemy"])
def test_rows_go_in_by_column_and_a_rollback_drops_what_was_not_committed(kind: str, tmp_path: Path) -> None:
    sink: Sink = open_sink(f"sqlite:///{tmp_path / 'a.db'}" if kind == "sqlite-file" else "sqlite://")
    try:
        sink.execute("CREATE TABLE employers (affiliation_no TEXT PRIMARY KEY, legal_name TEXT, "
                     "headcount INT)")
        sink.commit()
        sink.begin_load()
        n = sink.insert("employers", {"affiliation_no": ["1000001", "1000002"],
                                      "legal_name": ["STE ATLAS", None], "headcount": [12, 3]})
        sink.end_load()
        assert n == 2 and sink.insert("employers", {}) == 0
        sink.execute("INSERT INTO employers VALUES (?, ?, ?)", ["1000003", "ETS BENALI", 1])
        sink.rollback()
        assert sink.query("SELECT affiliation_no, legal_name, headcount FROM employers ORDER BY 1") == [
            ("1000001", "STE ATLAS", 12), ("1000002", None, 3)]
        assert sink.query("SELECT count(*) FROM employers WHERE headcount > ?", [5]) == [(1,)]
    finally:
        sink.close()
