"""The fund's answer to a return file: ``<stem>.ack.json`` and ``<stem>.rejects.csv``, written whole."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

from recouvra.returns import (
    Dossier,
    ExchangeContext,
    InMemoryReturnHistory,
    Judgement,
    judge_bytes,
    write_acknowledgement,
)
from recouvra.returns.ack import write_complete
from recouvra.standins.return_samples import return_csv

AS_OF = dt.date(2026, 11, 25)
NOW = dt.datetime(2026, 11, 25, 9, 30, tzinfo=dt.UTC)
CONTEXT = ExchangeContext({
    "D1": Dossier("D1", "AG01", dt.date(2026, 11, 1), dt.date(2027, 4, 30), Decimal("10000.00")),
})
HEADER = ["dossier_id", "payment_id", "payment_date", "amount", "channel", "receipt_ref"]


def row(payment_id: str = "P1", amount: str = "1500.00") -> list[str]:
    return ["D1", payment_id, "2026-11-10", amount, "BANK_TRANSFER", "R-0001"]


def judge(*rows: list[str]) -> Judgement:
    return judge_bytes("AG01_PAYMENTS_20261125_01.csv", return_csv(HEADER, rows), "AG01", CONTEXT,
                       InMemoryReturnHistory(), on=AS_OF, received_at=NOW)


def test_acknowledgement_files(tmp_path: Path) -> None:
    j = judge(row(), row(payment_id="P2", amount="0"))
    paths = write_acknowledgement(j, tmp_path / "acks")
    assert [p.name for p in paths] == [
        "AG01_PAYMENTS_20261125_01.rejects.csv", "AG01_PAYMENTS_20261125_01.ack.json"
    ]
    assert json.loads(paths[1].read_text(encoding="utf-8")) == j.ack
    assert paths[0].read_text(encoding="utf-8").splitlines()[1].startswith("3;P2;E005;")
    assert not list((tmp_path / "acks").glob("*.part"))
    clean = judge(row())
    assert [p.name for p in write_acknowledgement(clean, tmp_path / "acks2")] == [
        "AG01_PAYMENTS_20261125_01.ack.json"
    ]



def test_a_later_file_of_the_stem_is_written_beside_the_first(tmp_path: Path) -> None:
    first = write_acknowledgement(judge(row(), row(payment_id="P2", amount="0")), tmp_path)
    before = {p.name: p.read_bytes() for p in first}
    second = write_acknowledgement(judge(row(payment_id="P3", amount="0")), tmp_path, number=2)
    assert [p.name for p in second] == [
        "AG01_PAYMENTS_20261125_01.rejects.2.csv", "AG01_PAYMENTS_20261125_01.ack.2.json"]
    assert {name: (tmp_path / name).read_bytes() for name in before} == before


def test_ack_json_is_indented_utf8_ending_with_a_newline_and_rejects_are_the_judges_text(
    tmp_path: Path,
) -> None:
    j = judge(row(), row(payment_id="P2", amount="0"))
    rejects, ack = write_acknowledgement(j, tmp_path)
    assert ack.read_text(encoding="utf-8") == json.dumps(j.ack, ensure_ascii=False, indent=2) + "\n"
    assert rejects.read_bytes() == j.rejects_csv().encode("utf-8")


def test_write_complete_replaces_the_file_and_leaves_no_part(tmp_path: Path) -> None:
    target = tmp_path / "x.ack.json"
    target.write_text("old", encoding="utf-8")
    write_complete(target, "line 1\r\nآخر\n")
    assert target.read_bytes() == "line 1\r\nآخر\n".encode()  # newlines kept as given
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.ack.json"]
